"""Config -> datasets -> Trainer -> one self-contained model folder.

The folder holds the best checkpoint by dev F1 (weights, config with label maps and the
preprocessing settings, tokenizer files) plus `train_config.json` (the resolved config,
library versions, data hashes), `training_log.jsonl`, `alignment.json`, `metrics.json` and
a model card `README.md` (model/card.py).
`AutoModelForTokenClassification.from_pretrained(folder)` and `Predictor.from_pretrained(folder)`
both load it.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from model.card import write_model_card
from model.labels import BIO_TAGS, IGNORE_INDEX, id2label, label2id
from model.segment import Word
from model.settings import CONFIG_KEY, PIPELINE_TASK, TASK_KEY, PreprocessingSettings
from model.text import NormalizationSettings

log = logging.getLogger("training")


@dataclass
class TrainConfig:
    """Every setting of a run; the help text of each field is the documentation."""

    train_file: str = field(metadata={"help": "training documents (JSONL with character spans)"})
    dev_file: str = field(metadata={"help": "dev documents; the best checkpoint is chosen by their F1"})
    output_dir: str = field(metadata={"help": "folder for the trained model (created)"})
    base_model: str = field(default="vinai/phobert-base-v2",
                            metadata={"help": "hub id or local folder of the pre-trained model (or of its config)"})
    init: str = field(default="pretrained", metadata={"help": "'pretrained' weights, or 'from_config' (random)"})
    tokenizer: str | None = field(default=None, metadata={"help": "folder with vocab.txt + bpe.codes; default: base_model"})
    model_config: dict = field(default_factory=dict,
                               metadata={"help": "config overrides for init=from_config (hidden_size, ...)"})
    test_file: str | None = field(default=None, metadata={"help": "optional test documents, scored at the end"})
    segmenter: str = field(default="pyvi", metadata={"help": "pyvi | underthesea | syllable"})
    tone_style: str = field(default="old", metadata={"help": "old (PhoBERT's vocabulary) | new | keep"})
    max_length: int = field(default=256, metadata={"help": "tokens per window including <s> and </s> (<= 256)"})
    stride: int = field(default=64, metadata={"help": "overlap in tokens when a sentence exceeds a window"})
    seed: int = 42
    learning_rate: float = 5e-5
    epochs: float = 3.0
    batch_size: int = 16
    eval_batch_size: int = 32
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    dropout: float | None = field(default=None, metadata={"help": "override hidden/attention dropout"})
    max_steps: int = field(default=-1, metadata={"help": "stop after this many steps (-1: run all epochs)"})
    logging_steps: int = 20
    bf16: bool | str = field(default=False, metadata={
        "help": "train under bf16 autocast: true, false, or 'auto' (where the CPU/GPU has bf16 units)"})
    threads: int | None = field(default=None, metadata={"help": "torch CPU threads (default: torch's choice)"})
    augment_swaps: int = field(default=0, metadata={
        "help": "extra copies of the training set with entity surface forms swapped between documents"})

    @property
    def preprocessing(self) -> PreprocessingSettings:
        return PreprocessingSettings(segmenter=self.segmenter,
                                     normalization=NormalizationSettings(tone_style=self.tone_style),
                                     max_length=self.max_length, stride=self.stride)


def _read_config_file(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """One config file as a dict; `extends: other.yaml` (relative to this file) is read first
    and this file's keys override it, so a stage of a run states only what differs."""
    text = path.read_text(encoding="utf-8")
    if path.suffix in (".yaml", ".yml"):
        import yaml

        data = yaml.safe_load(text) or {}
    else:
        data = json.loads(text)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    base_path = (path.parent / parent).resolve()
    if base_path in seen or base_path == path.resolve():
        raise ValueError(f"{path}: 'extends' loops back to {base_path}")
    merged = _read_config_file(base_path, seen + (path.resolve(),))
    merged.update(data)
    return merged


def read_settings(path: str | Path, overrides: dict[str, Any] | None, cls: type) -> dict[str, Any]:
    """A YAML or JSON config file plus overrides, as a dict; a key that is not a field of the
    dataclass `cls` is an error naming it (a typo must not be silently ignored)."""
    data = _read_config_file(Path(path))
    data.update(overrides or {})
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{path}: unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    return data


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """Read a YAML or JSON training config; unknown keys are an error naming the key."""
    data = read_settings(path, overrides, TrainConfig)
    base = Path(path).parent
    for key in ("train_file", "dev_file", "test_file"):  # data paths are relative to the config file
        if data.get(key) and not Path(data[key]).is_absolute() and not Path(data[key]).exists():
            if (base / data[key]).exists():
                data[key] = str(base / data[key])
    return TrainConfig(**data)


def file_sha256(path: str | None) -> str | None:
    if not path:
        return None
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_tokenizer(cfg: TrainConfig):
    from transformers import PhobertTokenizer

    return PhobertTokenizer.from_pretrained(cfg.tokenizer or cfg.base_model)


def build_model(cfg: TrainConfig, tokenizer):
    """Pre-trained weights, or random weights from a config (offline runs, compact model)."""
    from transformers import AutoConfig, AutoModelForTokenClassification, RobertaConfig

    labels = {"num_labels": len(BIO_TAGS), "id2label": id2label(), "label2id": label2id()}
    drop = {} if cfg.dropout is None else {"hidden_dropout_prob": cfg.dropout,
                                            "attention_probs_dropout_prob": cfg.dropout}
    if cfg.init == "pretrained":
        model = AutoModelForTokenClassification.from_pretrained(cfg.base_model, **labels, **drop)
    elif cfg.init == "from_config":
        base = Path(cfg.base_model)
        config = (AutoConfig.from_pretrained(cfg.base_model) if base.exists() or "/" in cfg.base_model
                  else RobertaConfig())
        for k, v in {**cfg.model_config, **drop, **labels}.items():
            setattr(config, k, v)
        config.vocab_size = max(len(tokenizer), int(cfg.model_config.get("vocab_size", 0)))
        config.pad_token_id, config.bos_token_id, config.eos_token_id = (
            tokenizer.pad_token_id, tokenizer.cls_token_id, tokenizer.sep_token_id)
        model = AutoModelForTokenClassification.from_config(config)
    else:
        raise ValueError(f"init must be 'pretrained' or 'from_config', got {cfg.init!r}")
    if len(tokenizer) > model.config.vocab_size:
        raise ValueError(f"tokenizer has {len(tokenizer)} tokens, model embedding only {model.config.vocab_size}")
    setattr(model.config, CONFIG_KEY, cfg.preprocessing.to_dict())
    setattr(model.config, TASK_KEY, PIPELINE_TASK)
    return model


def collate(pad_id: int):
    """Pad a batch of windows; labels are padded with the ignore index."""
    import torch

    def fn(rows: list[dict]) -> dict:
        width = max(len(r["input_ids"]) for r in rows)
        ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        labels = torch.full((len(rows), width), IGNORE_INDEX, dtype=torch.long)
        for i, r in enumerate(rows):
            n = len(r["input_ids"])
            ids[i, :n] = torch.tensor(r["input_ids"])
            mask[i, :n] = 1
            labels[i, :n] = torch.tensor(r["labels"])
        return {"input_ids": ids, "attention_mask": mask, "labels": labels}

    return fn


def word_level_f1(window_words: Sequence[Sequence[Word]] | None = None) -> Callable[[Any], dict]:
    """compute_metrics: strict IOB2 seqeval F1 over first-subword positions, decoded as at inference.

    `window_words[i]` (from document_windows) holds window i's words, so the checkpoint
    metric runs the inference decoder itself (`best_tags`: the same-type adjacency rule, the
    DATE and DOC checks). Without it, a plain constrained Viterbi with no sentence information.
    """
    def metric(eval_pred) -> dict:
        from seqeval.metrics import f1_score
        from seqeval.scheme import IOB2

        from model.decode import best_tags, viterbi

        logits, labels = np.asarray(eval_pred.predictions, dtype=np.float32), eval_pred.label_ids
        tags = id2label()
        y_true, y_pred = [], []
        for k, (lg, l_row) in enumerate(zip(logits, labels)):
            keep = l_row != IGNORE_INDEX
            if not keep.any():
                continue
            row = lg[keep] - lg[keep].max(axis=1, keepdims=True)
            probs = np.exp(row) / np.exp(row).sum(axis=1, keepdims=True)
            y_true.append([tags[int(i)] for i in l_row[keep]])
            if window_words is None:
                y_pred.append([tags[int(i)] for i in viterbi(probs, tags)])
                continue
            if len(window_words[k]) != len(probs):
                raise ValueError(f"dev window {k}: {len(probs)} labelled words but {len(window_words[k])} words given")
            y_pred.append(best_tags(window_words[k], probs, tags))
        return {"f1": f1_score(y_true, y_pred, mode="strict", scheme=IOB2, zero_division=0)}

    return metric


def _want_bf16(setting: bool | str) -> bool:
    if setting != "auto":
        return bool(setting)
    import torch

    from model.predictor import cpu_supports_bf16

    return torch.cuda.is_bf16_supported() if torch.cuda.is_available() else cpu_supports_bf16()


def _dataset(windows):
    from datasets import Dataset

    return Dataset.from_dict({"input_ids": [w.input_ids for w in windows], "labels": [w.labels for w in windows]})


def train(cfg: TrainConfig) -> dict:
    """Run one training; returns the final metrics (also written to metrics.json)."""
    import torch
    import transformers
    from transformers import Trainer, TrainingArguments, set_seed

    from model.encode import WordEncoder
    from model.predictor import Predictor
    from training.augment import swap_entities
    from training.corpus import read_jsonl
    from training.evaluate import evaluate_documents, predict_documents
    from training.features import AlignmentStats, document_windows

    t0 = time.time()
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    set_seed(cfg.seed)
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = load_tokenizer(cfg)
    settings = cfg.preprocessing
    encoder = WordEncoder(tokenizer, settings.max_length, settings.stride)
    train_docs, dev_docs = list(read_jsonl(cfg.train_file)), list(read_jsonl(cfg.dev_file))
    if cfg.augment_swaps:
        train_docs = train_docs + swap_entities(train_docs, copies=cfg.augment_swaps, seed=cfg.seed)
    stats = {"train": AlignmentStats(), "dev": AlignmentStats()}
    train_windows = document_windows(train_docs, encoder, settings, stats["train"])
    dev_words: list = []
    dev_windows = document_windows(dev_docs, encoder, settings, stats["dev"], dev_words)
    log.info("windows: train %d, dev %d; entities crossing a segmented word: train %.2f%%, dev %.2f%%",
             len(train_windows), len(dev_windows), 100 * stats["train"].crossing_rate,
             100 * stats["dev"].crossing_rate)
    (out / "alignment.json").write_text(json.dumps({k: v.to_dict() for k, v in stats.items()},
                                                   ensure_ascii=False, indent=1), encoding="utf-8")
    set_seed(cfg.seed)  # the model's random init must not depend on data loading
    model = build_model(cfg, tokenizer)
    args = TrainingArguments(
        output_dir=str(out / "checkpoints"), learning_rate=cfg.learning_rate, num_train_epochs=cfg.epochs,
        max_steps=cfg.max_steps, per_device_train_batch_size=cfg.batch_size,
        per_device_eval_batch_size=cfg.eval_batch_size, warmup_steps=cfg.warmup_ratio,  # a float < 1 is a ratio in transformers 5
        weight_decay=cfg.weight_decay, eval_strategy="epoch", save_strategy="epoch",
        load_best_model_at_end=True, metric_for_best_model="f1", greater_is_better=True,
        save_total_limit=1, logging_steps=cfg.logging_steps, seed=cfg.seed, data_seed=cfg.seed,
        report_to=[], dataloader_num_workers=0, save_only_model=True,
        use_cpu=not torch.cuda.is_available(), bf16=_want_bf16(cfg.bf16))
    trainer = Trainer(model=model, args=args, train_dataset=_dataset(train_windows),
                      eval_dataset=_dataset(dev_windows), data_collator=collate(tokenizer.pad_token_id),
                      compute_metrics=word_level_f1(dev_words))
    trainer.train()
    trainer.save_model(str(out))
    tokenizer.save_pretrained(str(out))
    shutil.rmtree(out / "checkpoints", ignore_errors=True)
    with open(out / "training_log.jsonl", "w", encoding="utf-8") as fh:
        for row in trainer.state.log_history:
            fh.write(json.dumps(row) + "\n")
    train_seconds = time.time() - t0

    predictor = Predictor(trainer.model.to("cpu"), tokenizer, settings, name=str(out), device="cpu",
                          dtype="float32", folder=out)
    metrics: dict[str, Any] = {"train_seconds": round(train_seconds, 1),
                               "best_dev_word_f1": trainer.state.best_metric}
    for split, path in (("dev", cfg.dev_file), ("test", cfg.test_file)):
        if path:
            docs = list(read_jsonl(path))
            m = evaluate_documents(docs, predict_documents(predictor, docs, cfg.eval_batch_size), settings)
            m.pop("errors")
            metrics[split] = m
    (out / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=1), encoding="utf-8")
    resolved = dataclasses.asdict(cfg)
    resolved["versions"] = {"transformers": transformers.__version__, "torch": torch.__version__}
    resolved["data_sha256"] = {k: file_sha256(getattr(cfg, k)) for k in ("train_file", "dev_file", "test_file")}
    (out / "train_config.json").write_text(json.dumps(resolved, ensure_ascii=False, indent=1), encoding="utf-8")
    write_model_card(out, kind="token-classification", base_model=cfg.base_model, config=resolved,
                     metrics=metrics, data_files={k: getattr(cfg, f"{k}_file") for k in ("train", "dev", "test")},
                     extra=card_notes(cfg))
    return metrics


def card_notes(cfg: TrainConfig) -> dict:
    """What the model card says about the corpus and the licences of what went into the model."""
    from training.corpus import CORPUS_DIR, corpus_version

    shipped = Path(cfg.train_file).resolve().parent == CORPUS_DIR
    if shipped:
        version = corpus_version()
        corpus = f"vn-gov-ner government-news corpus {version}"
        sources = [f"Training data: the vn-gov-ner corpus {version}, documents written for the "
                   "project with fictional people (annotations/README.md): MIT."]
        limits = [f"The corpus ({version}) is written for the project, not collected: its people are "
                  "fictional and its language more regular than real portals (annotations/README.md, "
                  "Known limits). Scores on it are higher than on real articles (the project measures "
                  "the gap on 21 real articles it never trains on; see the project README)."]
    else:
        corpus = f"own annotations ({Path(cfg.train_file).name})"
        sources = ["Training data: not the shipped corpus; its licence is its owner's and was not recorded."]
        limits = []
    if cfg.init == "pretrained":
        if "phobert" in cfg.base_model.lower():
            sources.append(f"Pretrained weights {cfg.base_model}: PhoBERT by VinAI Research, MIT.")
        else:
            sources.append(f"Pretrained weights {cfg.base_model}: see that model's own card for its licence.")
    if cfg.segmenter == "underthesea":
        sources.append("Word segmenter underthesea (needed at inference): GPL-3.0.")
    elif cfg.segmenter == "pyvi":
        sources.append("Word segmenter pyvi (needed at inference): MIT.")
    return {"title": f"vn-gov-ner NER model ({Path(cfg.output_dir).name})", "corpus": corpus,
            "sources": sources, "limits": limits}
