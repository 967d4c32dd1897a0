"""The main job: train (or reuse) a model, predict the test split and given files, score.

Used by `make demo`. The default (`compact_pretrained.yaml`) fine-tunes the compact shape from
the encoder the repository ships in `models/vn-news-roberta-compact` (pretrained here with
`make pretrain`; no download); `config="compact"` trains the same shape from random weights,
the baseline; with `base` set, a pre-trained PhoBERT is fine-tuned instead. The trained folder
is cached under `.cache/` and reused while its config, data, base weights and the code that
shapes training (see TRAINING_CODE) are unchanged.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import time
from collections import Counter
from pathlib import Path

from training.train import TrainConfig, file_sha256, load_config

ROOT = Path(__file__).resolve().parents[1]
CONFIGS = ROOT / "training" / "configs"
REAL_DEV = ROOT.parent / "shared" / "dev-real" / "real_dev.jsonl"


class DemoError(RuntimeError):
    """A problem the user can act on (no hub access, missing files); printed without a trace."""


# Modules whose change changes the trained model or the checkpoint picked: text handling,
# alignment, the decoder the dev metric runs, training itself and the compact tokenizer.
TRAINING_CODE = ("model/text.py", "model/segment.py", "model/encode.py", "model/decode.py",
                 "model/labels.py", "model/settings.py", "training/features.py", "training/train.py",
                 "training/corpus.py", "training/augment.py", "training/bpe.py", "training/tokenizer.py")


def cache_key(cfg: TrainConfig) -> str:
    """Same key, same trained model: config, data files and the training code."""
    data = dataclasses.asdict(cfg)
    data["data"] = [file_sha256(p) for p in (cfg.train_file, cfg.dev_file)]
    weights = Path(cfg.base_model) / "model.safetensors"
    data["base_weights"] = file_sha256(str(weights)) if weights.is_file() else None
    data["code"] = [file_sha256(ROOT / p) for p in TRAINING_CODE]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


def _resolve(cfg: TrainConfig) -> TrainConfig:
    fix = {k: str(ROOT / v) for k in ("train_file", "dev_file", "test_file", "output_dir", "tokenizer")
           if (v := getattr(cfg, k)) and not Path(v).is_absolute() and not (k == "tokenizer" and "/" in v
                                                                           and not v.startswith("."))}
    local = cfg.base_model.startswith((".", "models/"))  # the shipped encoder or a pretraining output
    if local or (not Path(cfg.base_model).is_absolute() and (ROOT / cfg.base_model).is_dir()):
        fix["base_model"] = str(ROOT / cfg.base_model)  # a local encoder folder, relative to the repo
    return dataclasses.replace(cfg, **fix)


def prepare_model(base: str | None, log=print, config: str = "compact_pretrained") -> Path:
    """Train unless an identical run is cached; returns the model folder."""
    from training.train import train

    from training.authoring import ensure_splits

    if ensure_splits(ROOT / "annotations" / "authoring", ROOT / "annotations" / "corpus"):
        log("built the corpus splits from annotations/authoring")
    if base:
        slug = base.strip("/").replace("/", "--")
        cfg = load_config(CONFIGS / "phobert.yaml", {"base_model": base, "output_dir": f".cache/phobert/{slug}"})
    else:
        path = CONFIGS / f"{config}.yaml"
        if not path.is_file():
            known = ", ".join(sorted(p.stem for p in CONFIGS.glob("compact*.yaml")))
            raise DemoError(f"no config {config!r} in {CONFIGS}; choose one of {known}")
        cfg = load_config(path)
    cfg = _resolve(cfg)
    if not base and cfg.init == "pretrained":
        _check_base(cfg.base_model)
    out = Path(cfg.output_dir)
    key = cache_key(cfg)
    if (out / "cache_key.txt").is_file() and (out / "cache_key.txt").read_text() == key:
        log(f"using the cached model in {out} (delete it to retrain)")
        return out
    if not base and cfg.init == "from_config" and cfg.tokenizer:
        from training.tokenizer import build_tokenizer

        log("building the compact tokenizer from the training split ...")
        build_tokenizer(cfg.train_file, cfg.tokenizer, cfg.preprocessing)
    elif base:
        _check_base(base)
    if out.exists():
        shutil.rmtree(out)
    what = f"PhoBERT {base}" if base else f"the compact model ({config}: {cfg.init} from {cfg.base_model})"
    log(f"training {what} -> {out}")
    t0 = time.time()
    train(cfg)
    (out / "cache_key.txt").write_text(key)
    log(f"trained in {time.time() - t0:.0f} s")
    return out


def _check_base(base: str) -> None:
    """Fail early, in words, when a hub id cannot be fetched or a local encoder is missing."""
    if base.startswith((".", "/")) and not Path(base).exists():  # a local folder, not a hub id
        raise DemoError(f"no encoder at {base}: make it with `make pretrain` (scripts.pretrain), "
                        "or train from random weights with `make demo CONFIG=compact`")
    if Path(base).exists():
        folder = Path(base)
        missing = [f for f in ("config.json", "vocab.txt", "bpe.codes") if not (folder / f).is_file()]
        if not any((folder / w).is_file() for w in ("model.safetensors", "pytorch_model.bin")):
            missing.append("model.safetensors or pytorch_model.bin")
        if missing:
            raise DemoError(f"{base} is not a pre-trained PhoBERT folder: missing {', '.join(missing)}")
        return
    try:
        from transformers import AutoConfig

        AutoConfig.from_pretrained(base)
    except Exception as exc:  # any hub failure means the same thing to the user
        raise DemoError(
            f"cannot fetch {base!r} from the Hugging Face hub ({type(exc).__name__}). Without hub access, "
            "download the model elsewhere and pass its folder: make demo BASE=/path/to/phobert-base-v2; "
            "or run plain `make demo` for the compact offline model.") from None


def summarise(reports_path: Path, top: int = 5) -> str:
    per_type: dict[str, Counter] = {}
    docs = 0
    with open(reports_path, encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            docs += 1
            for e in r["entities"]:
                per_type.setdefault(e["label"], Counter())[e["text"].replace("\n", " ")] += 1
    lines = [f"{docs} documents"]
    for label, c in sorted(per_type.items()):
        common = "; ".join(f"{t} ×{n}" for t, n in c.most_common(top))
        lines.append(f"  {label:<7}{sum(c.values()):>6}  e.g. {common}")
    return "\n".join(lines)


def run_demo(base: str | None, files: list[str], out_dir: Path, log=print,
             config: str = "compact_pretrained") -> dict:
    from model.batch import run_batch
    from model.predictor import Predictor
    from training.evaluate import evaluate_documents, format_table, predict_documents
    from training.corpus import read_jsonl

    model_dir = prepare_model(base, log, config)
    predictor = Predictor.from_pretrained(str(model_dir), device="auto", dtype="float32")
    out_dir.mkdir(parents=True, exist_ok=True)
    result = {"model": str(model_dir)}
    test_file = ROOT / "annotations" / "corpus" / "test.jsonl"
    for name in ("test_reports.jsonl", "files_reports.jsonl", "test_view.html", "files_view.html"):
        (out_dir / name).unlink(missing_ok=True)
    s = run_batch(predictor, [str(test_file)], out_dir / "test_reports.jsonl", out_dir / "errors.jsonl",
                  html=out_dir / "test_view.html")
    log(f"\npredicted the test split: {s.written} documents, {s.docs_per_s:.1f} documents/s")
    docs = list(read_jsonl(test_file))
    m = evaluate_documents(docs, predict_documents(predictor, docs), predictor.settings)
    log("\ntest split (strict, character spans):\n" + format_table(m["scores"]))
    result["test"] = m["scores"]
    if REAL_DEV.is_file():
        real = list(read_jsonl(REAL_DEV))
        mr = evaluate_documents(real, predict_documents(predictor, real), predictor.settings)
        log(f"\nreal articles ({len(real)}, ../shared/dev-real; evaluation only):\n" + format_table(mr["scores"]))
        result["real"] = mr["scores"]
    log("\nentities found in the test split:\n" + summarise(out_dir / "test_reports.jsonl"))
    if files:
        s = run_batch(predictor, files, out_dir / "files_reports.jsonl", out_dir / "errors.jsonl",
                      html=out_dir / "files_view.html")
        log(f"\nyour files: {s.written} documents ({s.failed} failed)\n" + summarise(out_dir / "files_reports.jsonl"))
    log(f"\nreports and HTML views in {out_dir}/")
    return result
