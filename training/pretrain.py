"""Masked-LM pretraining of a RoBERTa encoder in PhoBERT's format, on raw Vietnamese text.

The offline model cannot download PhoBERT, so it learns the language here first. Four
cached stages, each skipped when its output exists, so a run resumes where it stopped:

1. segment: raw JSONL(.gz) documents -> normalised, word-segmented text (`Thành_uỷ`), one
   document per line, through the very `to_words` that inference uses; a pool of worker
   processes, a progress bar, and a held-out slice chosen by a hash of the document id.
2. tokenizer: PhoBERT-format BPE (`vocab.txt` + `bpe.codes`) learnt deterministically on
   that text (`training.bpe`).
3. pack: words -> subword ids, documents joined by `</s>` and cut into rows of exactly
   `max_length` tokens (`<s> ... </s>`), stored as memory-mapped `.npy` with, per token,
   whether it starts a word (for whole-word masking). No padding is ever computed.
4. train: `RobertaForMaskedLM` under the HF `Trainer`, whole-word masking, the LM head
   applied only at masked positions (the vocabulary projection is most of a small
   model's cost otherwise), bf16 autocast where the hardware has it, checkpoints that
   `resume` picks up, a log with loss, masked-token accuracy, tokens/s and tokens seen,
   and masked-token accuracy on the held-out slice with a fixed mask.
"""
from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import numpy as np

log = logging.getLogger("pretrain")

SEGMENTED = "segmented"
HELDOUT_SUFFIX = ".heldout.txt"
TRAIN_SUFFIX = ".train.txt"


@dataclass
class PretrainConfig:
    """Every setting of a pretraining run; paths are relative to the working directory."""

    sources: list[str] = field(metadata={"help": "raw JSONL or JSONL.gz files with a 'text' field (and 'id')"})
    work_dir: str = field(metadata={"help": "cache for segmented text, tokenizer, packed rows and checkpoints"})
    output_dir: str = field(metadata={"help": "the final encoder folder (weights, config, tokenizer, card)"})
    tokenizer: str | None = field(default=None, metadata={
        "help": "an existing PhoBERT-format tokenizer folder; default: learn one into work_dir"})
    vocab_size: int = 24000
    min_frequency: int = 3
    segmenter: str = "pyvi"
    tone_style: str = "old"
    workers: int = field(default=0, metadata={"help": "processes for segmentation (0: one per CPU core)"})
    heldout_every: int = field(default=200, metadata={"help": "one document in N (by id hash) is held out"})
    max_length: int = field(default=256, metadata={"help": "tokens per packed row including <s> and </s>"})
    row_length: int | None = field(default=None, metadata={
        "help": "train on rows of this many tokens cut from the packed rows (default: max_length); "
                "64-token rows leave the frequency-only plateau in far fewer steps than 256"})
    init_from: str | None = field(default=None, metadata={
        "help": "start from the weights of an earlier stage (a checkpoint or encoder folder); "
                "its tokens seen are counted in this run's total"})
    checkpoint_dir: str | None = field(default=None, metadata={
        "help": "where this run's checkpoints go (default: work_dir/checkpoints); one per stage"})
    model_config: dict = field(default_factory=lambda: {
        "hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 1024})
    mask_probability: float = 0.15
    seed: int = 42
    learning_rate: float = 1e-3
    warmup_steps: int = 300
    lr_scheduler: str = field(default="linear", metadata={
        "help": "linear (decay to 0 at max_steps) or constant_with_warmup (a stage that only has to "
                "leave the plateau: a decaying rate slows the escape)"})
    weight_decay: float = 0.01
    batch_size: int = 32
    max_steps: int = 1000
    stop_after: int | None = field(default=None, metadata={
        "help": "end this run at this step, leaving the learning-rate schedule that max_steps sets "
                "(a stage that hands over to the next one part-way)"})
    logging_steps: int = 50
    eval_steps: int = 500
    save_steps: int = 500
    eval_rows: int = 256
    embedding_init: str = field(default="word2vec", metadata={
        "help": "word2vec (CBOW vectors of the packed subwords, seconds to learn) or random"})
    bf16: bool | str = "auto"
    threads: int | None = None
    device: str = field(default="auto", metadata={"help": "auto | cpu | cuda"})
    max_documents: int | None = field(default=None, metadata={"help": "read at most this many documents per source"})
    source_notes: list[str] = field(default_factory=list, metadata={"help": "licence notes for the model card"})

    @property
    def preprocessing(self):
        from model.settings import PreprocessingSettings
        from model.text import NormalizationSettings

        return PreprocessingSettings(segmenter=self.segmenter, max_length=self.max_length,
                                     normalization=NormalizationSettings(tone_style=self.tone_style))


def load_pretrain_config(path: str | Path, overrides: dict[str, Any] | None = None) -> PretrainConfig:
    """Read a YAML/JSON config; unknown keys are an error naming the key."""
    from training.train import read_settings

    return PretrainConfig(**read_settings(path, overrides, PretrainConfig))


# ---------------------------------------------------------------- 1. segmentation

def read_documents(path: str | Path, limit: int | None = None) -> Iterator[tuple[str, str]]:
    """(id, text) of each JSON line; a broken line is an error naming the file and line."""
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if limit is not None and n > limit:
                return
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
                text = rec["text"]
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}: line {n}: not a JSON object with a 'text' field ({exc})") from None
            yield str(rec.get("id", f"{Path(path).name}:{n}")), text


def is_heldout(doc_id: str, every: int) -> bool:
    """Stable held-out choice: a hash of the id, so it never depends on order or workers."""
    return every > 0 and int(hashlib.sha1(doc_id.encode()).hexdigest()[:8], 16) % every == 0


_SEG_SETTINGS: tuple | None = None


def _segment_one(item: tuple[str, str]) -> tuple[str, str]:
    from model.segment import to_words

    segmenter, normalization = _SEG_SETTINGS
    words = to_words(item[1], segmenter, normalization)
    return item[0], " ".join(w.text for w in words)


def _init_worker(settings: tuple) -> None:
    global _SEG_SETTINGS
    _SEG_SETTINGS = settings
    import logging as _logging

    _logging.getLogger("model.segment").setLevel(_logging.ERROR)


def segment_sources(cfg: PretrainConfig, progress: bool = True) -> tuple[Path, Path]:
    """Stage 1: write `<work>/segmented/all.train.txt` and `all.heldout.txt` (cached)."""
    from multiprocessing import get_context

    from tqdm import tqdm

    out = Path(cfg.work_dir) / SEGMENTED
    train_path, held_path = out / ("all" + TRAIN_SUFFIX), out / ("all" + HELDOUT_SUFFIX)
    if train_path.exists() and held_path.exists():
        return train_path, held_path
    out.mkdir(parents=True, exist_ok=True)
    settings = (cfg.segmenter, cfg.preprocessing.normalization)
    workers = cfg.workers or os.cpu_count() or 1

    def items() -> Iterator[tuple[str, str]]:
        for src in cfg.sources:
            yield from read_documents(src, cfg.max_documents)

    tmp_train, tmp_held = train_path.with_suffix(".tmp"), held_path.with_suffix(".tmp")
    n_docs = n_words = 0
    with open(tmp_train, "w", encoding="utf-8") as ft, open(tmp_held, "w", encoding="utf-8") as fh:
        if workers > 1:
            pool = get_context("spawn").Pool(workers, initializer=_init_worker, initargs=(settings,))
            results = pool.imap(_segment_one, items(), chunksize=8)  # imap keeps the input order
        else:
            pool = None
            _init_worker(settings)
            results = map(_segment_one, items())
        try:
            for doc_id, line in tqdm(results, desc="segment", unit="doc", disable=not progress):
                if not line:
                    continue
                (fh if is_heldout(doc_id, cfg.heldout_every) else ft).write(line + "\n")
                n_docs += 1
                n_words += line.count(" ") + 1
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    tmp_train.replace(train_path)
    tmp_held.replace(held_path)
    (out / "stats.json").write_text(json.dumps({"documents": n_docs, "words": n_words}), encoding="utf-8")
    return train_path, held_path


def iter_words(path: Path) -> Iterator[str]:
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            yield from line.split()


# ---------------------------------------------------------------- 2. tokenizer

def learn_tokenizer(cfg: PretrainConfig, train_text: Path) -> Path:
    """Stage 2: PhoBERT-format BPE learnt on the segmented pretraining text (cached)."""
    from training.bpe import learn_bpe

    if cfg.tokenizer:
        return Path(cfg.tokenizer)
    out = Path(cfg.work_dir) / f"tokenizer-{cfg.vocab_size}"
    if (out / "vocab.txt").exists() and (out / "bpe.codes").exists():
        return out
    return learn_bpe(iter_words(train_text), out, vocab_size=cfg.vocab_size,
                     min_frequency=cfg.min_frequency, count_cap=None, min_word_count=cfg.min_frequency)


def tokenizer_quality(tokenizer, words: Iterable[str]) -> dict:
    """Unknown-token rate and subwords per word over word-segmented words."""
    from model.encode import WordEncoder

    enc = WordEncoder(tokenizer)
    n_words = n_pieces = n_unk = 0
    for w in words:
        ids = enc.word_ids(w)
        n_words += 1
        n_pieces += len(ids)
        n_unk += sum(1 for i in ids if i == enc.unk_id)
    return {"words": n_words, "subwords_per_word": round(n_pieces / max(n_words, 1), 4),
            "unknown_rate": round(n_unk / max(n_pieces, 1), 6)}


# ---------------------------------------------------------------- 3. packing

def pack(text_path: Path, tokenizer, max_length: int, out_prefix: Path,
         progress: bool = True) -> tuple[Path, Path]:
    """Stage 3: `<prefix>.ids.npy` (rows x max_length, uint16/int32) and `<prefix>.starts.npy`.

    Documents are concatenated with `</s>` between them (RoBERTa's full-sentence packing)
    and cut into rows of `max_length - 2` tokens, each framed by `<s>` and `</s>`. A word's
    pieces never straddle two rows; the short tail of the stream is dropped.
    """
    from tqdm import tqdm

    from model.encode import WordEncoder

    ids_path, starts_path = Path(f"{out_prefix}.ids.npy"), Path(f"{out_prefix}.starts.npy")
    if ids_path.exists() and starts_path.exists():
        return ids_path, starts_path
    enc = WordEncoder(tokenizer, max_length=min(max_length, 256), cache_size=2_000_000)
    body = max_length - 2
    dtype = np.uint16 if len(tokenizer) < 65535 else np.int32
    rows_ids: list[np.ndarray] = []
    rows_starts: list[np.ndarray] = []
    cur_ids: list[int] = []
    cur_starts: list[int] = []

    def flush() -> None:
        ids = [enc.cls_id] + cur_ids + [enc.pad_id] * (body - len(cur_ids)) + [enc.sep_id]
        rows_ids.append(np.asarray(ids, dtype=dtype))
        rows_starts.append(np.asarray([0] + cur_starts + [0] * (body - len(cur_starts)) + [0], dtype=np.uint8))
        cur_ids.clear()
        cur_starts.clear()

    with open(text_path, encoding="utf-8") as fh:
        for line in tqdm(fh, desc=f"pack {text_path.name}", unit="doc", disable=not progress):
            for w in line.split():
                p = enc.word_ids(w)
                if len(cur_ids) + len(p) > body:
                    if len(cur_ids) < body:  # fill the gap with a separator run, never padding mid-row
                        gap = body - len(cur_ids)
                        cur_ids.extend([enc.sep_id] * gap)
                        cur_starts.extend([0] * gap)
                    flush()
                cur_ids.extend(p)
                cur_starts.extend([1] + [0] * (len(p) - 1))
            if cur_ids and len(cur_ids) < body:
                cur_ids.append(enc.sep_id)
                cur_starts.append(0)
            if len(cur_ids) >= body:
                flush()
    ids = np.stack(rows_ids) if rows_ids else np.zeros((0, max_length), dtype=dtype)
    starts = np.stack(rows_starts) if rows_starts else np.zeros((0, max_length), dtype=np.uint8)
    np.save(ids_path, ids)
    np.save(starts_path, starts)
    return ids_path, starts_path


class ShortRows:
    """The packed rows cut into rows of `length` tokens, each framed again by `<s>` and `</s>`
    (a row of 256 gives four of 64; the few tokens left over are dropped). Short rows teach the
    encoder to use context in far fewer steps; a later stage goes back to full rows."""

    def __init__(self, rows: "PackedRows", length: int, cls_id: int, sep_id: int) -> None:
        full = rows.ids.shape[1] if len(rows) else length
        if not 3 <= length <= full:
            raise ValueError(f"row_length must be between 3 and the packed length {full}, got {length}")
        self.rows, self.body = rows, length - 2
        self.per_row = (full - 2) // self.body
        self.cls_id, self.sep_id = cls_id, sep_id

    def __len__(self) -> int:
        return len(self.rows) * self.per_row

    def __getitem__(self, i: int) -> dict:
        row = self.rows[i // self.per_row]
        a = 1 + (i % self.per_row) * self.body
        ids = np.concatenate([[self.cls_id], row["input_ids"][a:a + self.body], [self.sep_id]])
        starts = np.concatenate([[0], row["word_starts"][a:a + self.body], [0]])
        return {"input_ids": ids.astype(np.int64), "word_starts": starts.astype(np.int64)}


def stage_rows(rows: "PackedRows", cfg: "PretrainConfig", tokenizer):
    """The rows a run trains and evaluates on: the packed rows, or `ShortRows` of them."""
    if not cfg.row_length or cfg.row_length == cfg.max_length:
        return rows
    return ShortRows(rows, cfg.row_length, tokenizer.cls_token_id, tokenizer.sep_token_id)


def tokens_seen_by(folder: str | Path) -> int:
    """Tokens an earlier stage trained on: from an encoder's summary or a checkpoint's log."""
    folder = Path(folder)
    summary = folder / "pretraining_summary.json"
    if summary.is_file():
        return int(json.loads(summary.read_text(encoding="utf-8"))["tokens_seen"])
    state = folder / "trainer_state.json"
    if state.is_file():
        history = json.loads(state.read_text(encoding="utf-8")).get("log_history", [])
        seen = [r["tokens_seen"] for r in history if "tokens_seen" in r]
        return int(seen[-1]) if seen else 0
    raise FileNotFoundError(f"init_from {folder}: neither pretraining_summary.json nor trainer_state.json")


class PackedRows:
    """Map-style dataset over memory-mapped packed rows (nothing is loaded up front)."""

    def __init__(self, ids_path: Path, starts_path: Path) -> None:
        self.ids = np.load(ids_path, mmap_mode="r")
        self.starts = np.load(starts_path, mmap_mode="r")

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, i: int) -> dict:
        return {"input_ids": np.asarray(self.ids[i], dtype=np.int64),
                "word_starts": np.asarray(self.starts[i], dtype=np.int64)}


# ---------------------------------------------------------------- 4. masking and training

class WholeWordMaskCollator:
    """Masks whole segmented words: each word is chosen with probability p, and all its
    subwords become `<mask>` (80%), a random token (10%) or stay (10%). Labels are -100
    elsewhere. Separators and `<s>` are never chosen."""

    def __init__(self, tokenizer, probability: float = 0.15, seed: int | None = None) -> None:
        self.mask_id = tokenizer.mask_token_id
        self.special = np.array(sorted(set(tokenizer.all_special_ids)), dtype=np.int64)
        self.regular = np.setdiff1d(np.arange(len(tokenizer)), self.special)  # PhoBERT puts <mask> last
        self.probability = probability
        self.rng = np.random.default_rng(seed)

    def __call__(self, rows: list[dict]) -> dict:
        import torch

        ids = np.stack([r["input_ids"] for r in rows]).astype(np.int64)
        starts = np.stack([r["word_starts"] for r in rows]).astype(np.int64)
        word_of = np.cumsum(starts, axis=1)  # word number per token; 0 before the first word
        in_word = word_of > 0
        # a token continues its word until the next start, unless it is a special token
        in_word &= ~np.isin(ids, self.special)
        n_words = int(word_of.max()) + 1
        chosen = self.rng.random((len(rows), n_words)) < self.probability
        chosen[:, 0] = False
        masked = np.take_along_axis(chosen, word_of, axis=1) & in_word
        labels = np.where(masked, ids, -100)
        roll = self.rng.random(ids.shape)
        to_mask = masked & (roll < 0.8)
        to_random = masked & (roll >= 0.8) & (roll < 0.9)
        ids = ids.copy()
        ids[to_mask] = self.mask_id
        ids[to_random] = self.regular[self.rng.integers(0, len(self.regular), int(to_random.sum()))]
        return {"input_ids": torch.from_numpy(ids), "labels": torch.from_numpy(labels)}


def masked_lm_outputs(model, input_ids, labels):
    """Loss and correct count with the LM head run on masked positions only."""
    import torch

    hidden = model.roberta(input_ids=input_ids).last_hidden_state
    keep = labels != -100
    logits = model.lm_head(hidden[keep])
    target = labels[keep]
    loss = torch.nn.functional.cross_entropy(logits.float(), target)
    correct = (logits.argmax(-1) == target).sum()
    return loss, correct, target.numel()


def _trainer_class():
    from transformers import Trainer

    class MaskedLMTrainer(Trainer):
        """Trainer whose loss touches the vocabulary only at masked positions and whose log
        says how fast and how far the run has gone."""

        def __init__(self, *args, heldout=None, tokens_per_step: int = 0, tokens_before: int = 0,
                     **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.tokens_before = tokens_before
            self.heldout = heldout or []
            self.tokens_per_step = tokens_per_step
            self._correct = self._masked = 0
            self._t_last = time.time()
            self._step_last: int | None = None  # set at the first step, so a resumed run times itself

        def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
            if self._step_last is None:
                self._t_last, self._step_last = time.time(), self.state.global_step
            loss, correct, n = masked_lm_outputs(model, inputs["input_ids"], inputs["labels"])
            self._correct += int(correct)
            self._masked += n
            return (loss, None) if return_outputs else loss

        def log(self, logs: dict, *args, **kwargs) -> None:
            if "loss" in logs:
                now, step = time.time(), self.state.global_step
                if self._step_last is not None and step > self._step_last:
                    logs["tokens_per_s"] = round((step - self._step_last) * self.tokens_per_step
                                                 / max(now - self._t_last, 1e-9), 1)
                logs["tokens_seen"] = self.tokens_before + step * self.tokens_per_step
                if self._masked:
                    logs["mlm_accuracy"] = round(self._correct / self._masked, 4)
                self._correct = self._masked = 0
                self._t_last, self._step_last = now, step
            super().log(logs, *args, **kwargs)

        def evaluate(self, eval_dataset=None, ignore_keys=None, metric_key_prefix: str = "eval") -> dict:
            metrics = heldout_metrics(self.model, self.heldout, self.args.bf16)
            metrics = {f"{metric_key_prefix}_{k}": v for k, v in metrics.items()}
            t0 = time.time()
            self.log(metrics)
            self._t_last += time.time() - t0
            self.control = self.callback_handler.on_evaluate(self.args, self.state, self.control, metrics)
            return metrics

    return MaskedLMTrainer


def _StopAfter(step: int):
    """A callback that ends training at `step` (saving there) without touching the schedule."""
    from transformers import TrainerCallback

    class StopAfter(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step >= step:
                control.should_training_stop = True
                control.should_save = True
            return control

    return StopAfter()


def heldout_batches(rows: PackedRows, tokenizer, n: int, batch_size: int, probability: float,
                    seed: int) -> list[dict]:
    """A fixed masking of the first n held-out rows, so accuracy is comparable across steps."""
    collate = WholeWordMaskCollator(tokenizer, probability, seed=seed + 1)
    n = min(n, len(rows))
    return [collate([rows[i] for i in range(s, min(s + batch_size, n))]) for s in range(0, n, batch_size)]


def shuffle_context(input_ids, labels, seed: int = 0):
    """The same rows with the unmasked tokens between `<s>` and the last `</s>` permuted
    within each row; masked positions and the frame stay where they are. Scoring the masked
    words on these rows tells how much the model draws on their context."""
    import torch

    g = torch.Generator().manual_seed(seed)
    out = input_ids.clone()
    for r in range(len(input_ids)):
        pos = torch.nonzero(labels[r, 1:-1] == -100).squeeze(1) + 1
        out[r, pos] = input_ids[r, pos[torch.randperm(len(pos), generator=g)]]
    return out


def heldout_metrics(model, batches: list[dict], bf16: bool = False) -> dict:
    """Masked-token loss and accuracy on the held-out batches, and `context_gain`: the loss
    with each row's context shuffled minus the true loss. A model that has only learnt word
    frequencies (the plateau MLM training starts on) has a gain near 0, whatever its loss."""
    import torch

    if not batches:
        return {}
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    total_loss = shuffled_loss = correct = masked = 0.0
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
        for b in batches:
            ids, labels = b["input_ids"], b["labels"]
            loss, c, n = masked_lm_outputs(model, ids.to(device), labels.to(device))
            total_loss += float(loss) * n
            correct += int(c)
            masked += n
            loss, _, _ = masked_lm_outputs(model, shuffle_context(ids, labels).to(device), labels.to(device))
            shuffled_loss += float(loss) * n
    if was_training:
        model.train()
    n = max(masked, 1)
    return {"mlm_loss": round(total_loss / n, 4), "mlm_accuracy": round(correct / n, 4),
            "context_gain": round((shuffled_loss - total_loss) / n, 4)}


class _RowSentences:
    """Re-iterable token sentences for gensim: each packed row, special tokens left out."""

    def __init__(self, rows: PackedRows, special: set[int]) -> None:
        self.rows, self.special = rows, special

    def __iter__(self):
        for k in range(0, len(self.rows), 1024):
            block = np.asarray(self.rows.ids[k:k + 1024])
            for row in block:
                yield [str(int(t)) for t in row if int(t) not in self.special]


def _stable_hash(text: str) -> int:
    return int(hashlib.md5(text.encode()).hexdigest()[:8], 16)


def word2vec_embeddings(rows: PackedRows, tokenizer, dim: int, seed: int, cache: Path | None = None,
                        epochs: int = 2) -> np.ndarray:
    """Subword vectors (CBOW, one worker and a stable hash, so seeded runs agree) for the
    embedding table. A random embedding sits on the MLM loss plateau for thousands of steps;
    co-occurrence vectors give the encoder a head start for a minute of CPU."""
    if cache is not None and cache.exists():
        return np.load(cache)
    from gensim.models import Word2Vec

    w2v = Word2Vec(_RowSentences(rows, set(tokenizer.all_special_ids)), vector_size=dim, window=5, min_count=1, sg=0, workers=1,
                   epochs=epochs, seed=seed, hashfxn=_stable_hash)
    table = np.zeros((len(tokenizer), dim), dtype=np.float32)
    found = np.zeros(len(tokenizer), dtype=bool)
    for key, idx in w2v.wv.key_to_index.items():
        table[int(key)] = w2v.wv.vectors[idx]
        found[int(key)] = True
    table[found] /= table[found].std()
    table[~found] = np.nan  # marks ids the text never used: they keep their random init
    if cache is not None:
        np.save(cache, table)
    return table


def build_mlm_model(cfg: PretrainConfig, tokenizer):
    from transformers import RobertaConfig, RobertaForMaskedLM

    config = RobertaConfig(vocab_size=len(tokenizer), max_position_embeddings=cfg.max_length + 2,
                           pad_token_id=tokenizer.pad_token_id, bos_token_id=tokenizer.cls_token_id,
                           eos_token_id=tokenizer.sep_token_id, type_vocab_size=1, **cfg.model_config)
    return RobertaForMaskedLM(config)


def init_embeddings(model, table: np.ndarray) -> int:
    """Copy vectors into the (tied) word embeddings at the init's scale; returns ids set."""
    import torch

    weight = model.roberta.embeddings.word_embeddings.weight
    use = ~np.isnan(table).any(axis=1)
    with torch.no_grad():
        vec = torch.from_numpy(table[use]) * model.config.initializer_range
        weight[torch.from_numpy(np.nonzero(use)[0])] = vec.to(weight.dtype)
    return int(use.sum())


def _want_bf16(setting: bool | str, device: str) -> bool:
    if setting != "auto":
        return bool(setting)
    import torch

    if device.startswith("cuda"):
        return torch.cuda.is_bf16_supported()
    from model.predictor import cpu_supports_bf16

    return cpu_supports_bf16()


def prepare_data(cfg: PretrainConfig, progress: bool = True):
    """Stages 1-3; returns (tokenizer, train rows, held-out rows)."""
    from transformers import PhobertTokenizer

    train_text, held_text = segment_sources(cfg, progress)
    tok_dir = learn_tokenizer(cfg, train_text)
    tokenizer = PhobertTokenizer.from_pretrained(str(tok_dir))
    tag = f"{Path(tok_dir).name}-{cfg.max_length}"
    train_rows = PackedRows(*pack(train_text, tokenizer, cfg.max_length,
                                  Path(cfg.work_dir) / f"train-{tag}", progress))
    held_rows = PackedRows(*pack(held_text, tokenizer, cfg.max_length,
                                 Path(cfg.work_dir) / f"heldout-{tag}", progress))
    return tokenizer, train_rows, held_rows


def pretrain(cfg: PretrainConfig, resume: bool = True, progress: bool = True) -> dict:
    """Run (or resume) pretraining; the final encoder goes to `cfg.output_dir`."""
    import torch
    from transformers import TrainingArguments, set_seed
    from transformers.trainer_utils import get_last_checkpoint

    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    device = cfg.device if cfg.device != "auto" else ("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise RuntimeError("--device cuda asked for, but torch sees no CUDA device")
    t0 = time.time()
    tokenizer, train_rows, held_rows = prepare_data(cfg, progress)
    if len(train_rows) == 0:
        raise ValueError("no packed training rows: the sources hold too little text for one row")
    set_seed(cfg.seed)
    tokens_before = 0
    if cfg.init_from:
        from transformers import RobertaForMaskedLM

        model = RobertaForMaskedLM.from_pretrained(cfg.init_from)
        if model.config.vocab_size != len(tokenizer):
            raise ValueError(f"init_from {cfg.init_from}: vocabulary {model.config.vocab_size} != "
                             f"tokenizer {len(tokenizer)}")
        tokens_before = tokens_seen_by(cfg.init_from)
        log.info("weights from %s (%d tokens seen before)", cfg.init_from, tokens_before)
    else:
        model = build_mlm_model(cfg, tokenizer)
        if cfg.embedding_init == "word2vec":
            tag = f"{Path(learn_tokenizer(cfg, Path(cfg.work_dir) / SEGMENTED / ('all' + TRAIN_SUFFIX))).name}"
            table = word2vec_embeddings(train_rows, tokenizer, model.config.hidden_size, cfg.seed,
                                        Path(cfg.work_dir) / f"word2vec-{tag}-{model.config.hidden_size}.npy")
            log.info("embedding init: word2vec vectors for %d of %d ids",
                     init_embeddings(model, table), len(tokenizer))
        elif cfg.embedding_init != "random":
            raise ValueError(f"embedding_init must be 'word2vec' or 'random', got {cfg.embedding_init!r}")
    train_rows, held_rows = stage_rows(train_rows, cfg, tokenizer), stage_rows(held_rows, cfg, tokenizer)
    row_length = cfg.row_length or cfg.max_length
    log.info("rows: train %d, held-out %d (x %d tokens)", len(train_rows), len(held_rows), row_length)
    bf16 = _want_bf16(cfg.bf16, device)
    ckpt_dir = Path(cfg.checkpoint_dir or Path(cfg.work_dir) / "checkpoints")
    args = TrainingArguments(
        output_dir=str(ckpt_dir), learning_rate=cfg.learning_rate, max_steps=cfg.max_steps,
        warmup_steps=cfg.warmup_steps, weight_decay=cfg.weight_decay, adam_beta2=0.98, adam_epsilon=1e-6,
        per_device_train_batch_size=cfg.batch_size, logging_steps=cfg.logging_steps,
        eval_strategy="steps" if len(held_rows) else "no", eval_steps=cfg.eval_steps,
        save_strategy="steps", save_steps=cfg.save_steps, save_total_limit=2, seed=cfg.seed,
        data_seed=cfg.seed, report_to=[], dataloader_num_workers=0, remove_unused_columns=False,
        use_cpu=device == "cpu", bf16=bf16, lr_scheduler_type=cfg.lr_scheduler, disable_tqdm=not progress)
    trainer = _trainer_class()(
        model=model, args=args, train_dataset=train_rows, eval_dataset=held_rows if len(held_rows) else None,
        data_collator=WholeWordMaskCollator(tokenizer, cfg.mask_probability, seed=cfg.seed),
        heldout=heldout_batches(held_rows, tokenizer, cfg.eval_rows, cfg.batch_size,
                                cfg.mask_probability, cfg.seed),
        tokens_per_step=cfg.batch_size * row_length, tokens_before=tokens_before)
    if cfg.stop_after:
        trainer.add_callback(_StopAfter(cfg.stop_after))
    last = get_last_checkpoint(str(ckpt_dir)) if resume and ckpt_dir.exists() else None
    if last:
        log.info("resuming from %s", last)
    trainer.train(resume_from_checkpoint=last)
    final = trainer.evaluate() if trainer.heldout else {}
    out = save_encoder(trainer, tokenizer, cfg, final, time.time() - t0, tokens_before)
    return {"output_dir": str(out), **final}


def save_encoder(trainer, tokenizer, cfg: PretrainConfig, final: dict, seconds: float,
                 tokens_before: int = 0) -> Path:
    """The encoder folder: weights (safetensors), config, tokenizer, log, summary."""
    out = Path(cfg.output_dir)
    out.mkdir(parents=True, exist_ok=True)
    model = trainer.model
    setattr(model.config, "ner_preprocessing", cfg.preprocessing.to_dict())
    model.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
    history = trainer.state.log_history
    with open(out / "pretraining_log.jsonl", "w", encoding="utf-8") as fh:
        for row in history:
            fh.write(json.dumps(row) + "\n")
    speeds = [r["tokens_per_s"] for r in history if "tokens_per_s" in r]
    summary = {
        "steps": trainer.state.global_step,
        "tokens_seen": tokens_before + trainer.state.global_step * cfg.batch_size * (cfg.row_length or cfg.max_length),
        "tokens_seen_before": tokens_before,
        "init_from": cfg.init_from,
        "heldout": {k.removeprefix("eval_"): v for k, v in final.items()
                    if k.startswith(("eval_mlm", "eval_context"))},
        "median_tokens_per_s": float(np.median(speeds)) if speeds else None,
        "seconds_this_run": round(seconds, 1),
        "config": dataclasses.asdict(cfg),
    }
    (out / "pretraining_summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1),
                                                  encoding="utf-8")
    write_encoder_card(cfg, out)
    return out


ENCODER_FILES = ("model.safetensors", "config.json", "vocab.txt", "bpe.codes", "tokenizer_config.json",
                 "special_tokens_map.json", "added_tokens.json", "pretraining_summary.json",
                 "pretraining_log.jsonl")


def export_encoder(cfg: PretrainConfig, dest: str | Path, notes: str | None = None) -> Path:
    """Copy the finished encoder (weights, config, tokenizer, log) to `dest` — e.g. `models/<name>`,
    the folder the repository ships — with its model card."""
    import shutil

    src, dest = Path(cfg.output_dir), Path(dest)
    if not (src / "model.safetensors").is_file():
        raise FileNotFoundError(f"{src} holds no finished encoder: run the pretraining first")
    dest.mkdir(parents=True, exist_ok=True)
    for name in ENCODER_FILES:
        if (src / name).is_file():
            shutil.copy2(src / name, dest / name)
    write_encoder_card(cfg, dest, notes)
    return dest


def stage_history(folder: str | Path) -> list[dict]:
    """The held-out evaluations of every stage that led to `folder` (an encoder or a
    checkpoint), earliest first, each with its `stage` (1, 2, ...), `row_length` and
    `tokens_seen`: following `init_from` back through the stages' summaries."""
    folder = Path(folder)
    summary_path, state_path = folder / "pretraining_summary.json", folder / "trainer_state.json"
    if summary_path.is_file():
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
        conf = summary.get("config", {})
        rows = [json.loads(l) for l in (folder / "pretraining_log.jsonl").read_text(encoding="utf-8").splitlines()]
        before = summary.get("init_from")
        tokens_before = summary.get("tokens_seen_before", 0)
        per_step = conf.get("batch_size", 0) * (conf.get("row_length") or conf.get("max_length", 0))
    elif state_path.is_file():  # a checkpoint of a stage that had not finished
        rows = json.loads(state_path.read_text(encoding="utf-8")).get("log_history", [])
        before, tokens_before, per_step, conf = None, 0, 0, {}
        seen = [r for r in rows if "tokens_seen" in r]
        if seen:
            per_step = seen[-1]["tokens_seen"] // max(seen[-1]["step"], 1)
    else:
        raise FileNotFoundError(f"{folder}: neither pretraining_summary.json nor trainer_state.json")
    earlier = stage_history(before) if before else []
    stage = (earlier[-1]["stage"] + 1) if earlier else 1
    row_length = conf.get("row_length") or conf.get("max_length")
    by_step = {r["step"]: {"stage": stage, "row_length": row_length, "step": r["step"],
                           "tokens_seen": tokens_before + r["step"] * per_step,
                           **{k.removeprefix("eval_"): r[k] for k in ("eval_mlm_loss", "eval_mlm_accuracy",
                                                                       "eval_context_gain") if k in r}}
               for r in rows if "eval_mlm_accuracy" in r}  # the final evaluation repeats the last step's
    return earlier + [by_step[k] for k in sorted(by_step)]


def write_encoder_card(cfg: PretrainConfig, dest: Path, notes: str | None = None) -> Path:
    """The encoder folder's model card: sources and their licences, tokens seen, steps,
    held-out masked-token accuracy by step, speed, the config."""
    from model.card import write_model_card

    summary = json.loads((dest / "pretraining_summary.json").read_text(encoding="utf-8"))
    evals = {r["step"]: r for r in map(json.loads, (dest / "pretraining_log.jsonl").read_text(encoding="utf-8")
             .splitlines()) if "eval_mlm_accuracy" in r}  # the final evaluation repeats the last step's
    curve = [(step, evals[step]["eval_mlm_accuracy"]) for step in sorted(evals)]
    last = evals[max(evals)] if evals else {}
    held = {k.removeprefix("eval_"): v for k, v in last.items() if k.startswith("eval_")}
    held.update(summary.get("heldout") or {})
    seg = Path(cfg.work_dir) / SEGMENTED / "stats.json"
    seg_stats = json.loads(seg.read_text()) if seg.is_file() else {}
    lines = [
        f"Tokens seen: {summary['tokens_seen']:,} ({summary['steps']:,} steps of {cfg.batch_size} packed rows "
        f"x {cfg.row_length or cfg.max_length} tokens"
        + (f", after {summary.get('tokens_seen_before', 0):,} in the stages before it, from {cfg.init_from}"
           if cfg.init_from else "") + f"; the training text is {seg_stats.get('words', 0):,} words in "
        f"{seg_stats.get('documents', 0):,} documents).",
        f"Held-out masked-token accuracy {held.get('mlm_accuracy')} (loss {held.get('mlm_loss')}; context gain "
        f"{held.get('context_gain')}, the loss added by shuffling each row's context) on "
        f"{cfg.eval_rows} packed rows of documents never trained on (one in {cfg.heldout_every} by id hash), "
        "whole-word masking at 15% with a fixed mask.",
        "Held-out accuracy by step: " + ", ".join(f"{s}: {a}" for s, a in curve) + ".",
        *_stage_lines(dest, cfg),
        f"Median training speed {summary.get('median_tokens_per_s')} tokens/s.",
    ]
    if notes:
        lines.append(notes)
    data_files = {Path(s).name: s for s in cfg.sources if Path(s).is_file()}
    shape = summary["config"].get("model_config") or {}
    return write_model_card(dest, kind="fill-mask", base_model=None, config=summary["config"], data_files=data_files,
                     extra={"title": dest.name, "corpus": "vn-gov-ner pretraining text",
                            "sources": list(cfg.source_notes),
                            "summary": f"A RoBERTa encoder ({shape.get('num_hidden_layers')} layers x "
                                       f"{shape.get('hidden_size')}) in PhoBERT's format (word-segmented input, "
                                       f"`_`-joined words, old tone placement, its own {len(_vocab(dest)):,}-token BPE) "
                                       "pretrained with whole-word masked language modelling on raw Vietnamese "
                                       "news, encyclopedia and legal explainer text, for the vn-gov-ner offline model.",
                            "notes": "\n".join(f"- {line}" for line in lines)})


def _stage_lines(dest: Path, cfg: PretrainConfig) -> list[str]:
    """The card's curve over every stage, when this run started from an earlier one."""
    if not cfg.init_from:
        return []
    parts: list[str] = []
    history = stage_history(dest)
    for stage in sorted({r["stage"] for r in history}):
        rows = [r for r in history if r["stage"] == stage]
        points = ", ".join(f"{r['tokens_seen'] / 1e6:.1f} M: {r.get('mlm_accuracy')}"
                           + (f" / {r['context_gain']}" if "context_gain" in r else "") for r in rows)
        parts.append(f"stage {stage} ({rows[0]['row_length'] or cfg.max_length}-token rows): {points}")
    return ["Held-out curve over all stages (tokens seen: masked-token accuracy / context gain where "
            "measured): " + "; ".join(parts) + "."]


def _vocab(folder: Path) -> list[str]:
    return (folder / "vocab.txt").read_text(encoding="utf-8").splitlines()


def truncate_tokenizer(src: str | Path, dest: str | Path, merges_kept: int) -> Path:
    """The tokenizer a run stopped after `merges_kept` merges would have learnt: BPE merges are
    learnt greedily and in order, so the first merges of a larger run are exactly a smaller
    run's (measuring 16k against 24k costs no second learning pass)."""
    src, dest = Path(src), Path(dest)
    merges = (src / "bpe.codes").read_text(encoding="utf-8").splitlines()
    kept = merges[:merges_kept]
    allowed = {a + b for a, b, _ in (m.split(" ") for m in kept)}
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "bpe.codes").write_text("".join(m + "\n" for m in kept), encoding="utf-8")

    def kept_piece(line: str) -> bool:  # the alphabet is single characters; `X` may end or continue a word
        piece = line.rsplit(" ", 1)[0]
        core = piece[:-2] if piece.endswith("@@") else piece
        return len(core) == 1 or core in allowed or (not piece.endswith("@@") and core + "</w>" in allowed)

    lines = [l for l in (src / "vocab.txt").read_text(encoding="utf-8").splitlines() if kept_piece(l)]
    (dest / "vocab.txt").write_text("".join(l + "\n" for l in lines), encoding="utf-8")
    return dest
