"""Predictor: a trained folder or hub id in, one Report per document out.

    from model import Predictor
    p = Predictor.from_pretrained("models/vn-gov-ner")      # or a hub id
    report = p.predict("Ngày 6/7, đồng chí Nguyễn Văn A ...")
    for r in p.predict_batch(texts): ...

Each step is a named method (prepare -> batch -> run -> decode -> report). Windows from
many documents are sorted by length and cut into batches of about `batch_tokens`
(padding included), so padding stays small and the matrices fit the CPU's caches;
documents are streamed in and reports streamed out in input order, so memory stays flat.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import time
from collections import Counter
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np
import torch

from model.decode import decode, word_probabilities
from model.encode import Window, WordEncoder
from model.labels import ENTITY_TYPES, check_label_maps
from model.report import Entity, Report, text_sha256
from model.segment import Word, segment_normalized
from model.structure import extract_structure
from model.text import normalize
from model.settings import PreprocessingSettings

WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")
TOKENIZER_FILES = ("vocab.txt", "bpe.codes")
DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
# CPU-only int8 settings (model/quantize.py): "int8" quantises activations per token,
# "qint8" (torch's dynamic quantisation) per batch
CPU_INT8 = {"int8": "int8 products with one activation scale per token",
            "qint8": "torch dynamic int8, one activation scale per batch"}
# Tokens per batch (rows x width, padding included). On the 2-core CPU, phobert-base size,
# 512-1024 tokens ran fastest end to end in bf16 and int8 (4096: -8% bf16, -16% int8, and
# padding 6% instead of 1.4%), so the CPU gets ~512 per thread; a GPU wants large batches.
CPU_TOKENS_PER_THREAD = 512
GPU_BATCH_TOKENS = 64 * 256


def default_batch_tokens(device: torch.device) -> int:
    if device.type == "cpu":
        return CPU_TOKENS_PER_THREAD * max(1, torch.get_num_threads())
    return GPU_BATCH_TOKENS


class ModelLoadError(RuntimeError):
    """A model folder or hub id that cannot serve as an NER model; says what is wrong."""


@dataclass
class _Doc:
    index: int
    doc_id: str | None
    text: str
    words: list[Word]
    windows: list[Window]
    warnings: list[str]


def cpu_supports_bf16() -> bool:
    """True where oneDNN has native bf16 kernels (AVX512-BF16 / AMX)."""
    try:
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except (AttributeError, RuntimeError):
        return False


def resolve_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ModelLoadError(f"device {device!r} requested but CUDA is not available")
    return dev


def resolve_dtype(dtype: str | None, device: torch.device) -> str:
    """None picks the fast default: bf16 where the hardware has it, else fp32."""
    if dtype is None or dtype == "auto":
        if device.type == "cuda":
            return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        return "bfloat16" if cpu_supports_bf16() else "float32"
    if dtype not in DTYPES and dtype not in CPU_INT8:
        raise ValueError(f"dtype must be one of {', '.join([*DTYPES, *CPU_INT8])} or None, got {dtype!r}")
    if dtype in CPU_INT8 and device.type != "cpu":
        raise ValueError(f"{dtype} ({CPU_INT8[dtype]}) runs on the CPU only")
    return dtype


def _check_folder(path: Path) -> None:
    missing = []
    if not (path / "config.json").is_file():
        missing.append("config.json")
    if not any((path / f).is_file() for f in WEIGHT_FILES):
        missing.append(" or ".join(WEIGHT_FILES))
    missing += [f for f in TOKENIZER_FILES if not (path / f).is_file()]
    if missing:
        raise ModelLoadError(f"model folder {path} is missing {', '.join(missing)}; "
                             "a trained folder holds the weights, config.json and the tokenizer files")


def weights_sha256(model: torch.nn.Module, folder: Path | None) -> str:
    """Hash of the weight file when there is one, else of the parameters themselves."""
    h = hashlib.sha256()
    if folder is not None:
        for name in WEIGHT_FILES:
            f = folder / name
            if f.is_file():
                with open(f, "rb") as fh:
                    for chunk in iter(lambda: fh.read(1 << 22), b""):
                        h.update(chunk)
                return h.hexdigest()
    for name, t in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(t.detach().to(torch.float32).cpu().numpy().tobytes())
    return h.hexdigest()


class Predictor:
    """Runs a PhoBERT-format token classifier over raw documents."""

    def __init__(self, model: torch.nn.Module, tokenizer, settings: PreprocessingSettings | None = None,
                 name: str = "<in-memory>", device: str = "auto", dtype: str | None = "float32",
                 weights_hash: str | None = None, folder: Path | None = None, structure: bool = True) -> None:
        self.device = resolve_device(device)
        self.dtype = resolve_dtype(dtype, self.device)
        self.settings = settings or PreprocessingSettings.from_model_config(model.config)
        self.id2label = {int(k): v for k, v in model.config.id2label.items()}
        problems = check_label_maps(self.id2label, dict(model.config.label2id))
        unknown = {v[2:] for v in self.id2label.values() if v != "O"} - set(ENTITY_TYPES)
        if unknown:
            problems.append(f"labels {sorted(unknown)} are not among {', '.join(ENTITY_TYPES)}")
        if problems:
            raise ModelLoadError(f"model {name}: label maps are inconsistent: " + "; ".join(problems))
        self.name = name
        self.structure = structure
        self.tokenizer = tokenizer
        self.encoder = WordEncoder(tokenizer, self.settings.max_length, self.settings.stride)
        model = model.eval()
        self.weights_hash = weights_hash or weights_sha256(model, folder)  # of the weights as trained
        if self.dtype in CPU_INT8:
            from model.quantize import Int8TokenClassifier, dynamic_int8

            model = Int8TokenClassifier(model) if self.dtype == "int8" else dynamic_int8(model)
        elif self.device.type == "cuda" and self.dtype != "float32":
            model = model.to(DTYPES[self.dtype])
        self.model = model.to(self.device)
        self.batch_size = 64  # row cap per batch
        self.batch_tokens = default_batch_tokens(self.device)
        self.labels = list(ENTITY_TYPES)
        self.timings: Counter[str] = Counter()  # seconds per stage, summed over calls
        self.tokens_run = 0  # real subword tokens through the model (with <s> </s>)
        self.tokens_padded = 0  # including padding

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_pretrained(cls, path_or_id: str | os.PathLike, device: str = "auto", dtype: str | None = None,
                        threads: int | None = None, structure: bool = True) -> "Predictor":
        """Load a trained folder or a hub id; errors name the problem, not a stack trace."""
        from transformers import AutoConfig, AutoModelForTokenClassification, PhobertTokenizer

        if threads:
            torch.set_num_threads(int(threads))
        name = str(path_or_id)
        folder = Path(name) if Path(name).exists() else None
        if folder is not None:
            if not folder.is_dir():
                raise ModelLoadError(f"{folder} is a file; give the model folder")
            _check_folder(folder)
        try:
            config = AutoConfig.from_pretrained(name)
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"cannot load a model config from {name!r}: not a local folder, and the Hugging Face hub "
                f"could not provide it (offline, or no such repository). Details: {exc}") from None
        archs = getattr(config, "architectures", None) or []
        if archs and not any(a.endswith("ForTokenClassification") for a in archs):
            raise ModelLoadError(f"{name} is a {', '.join(archs)}, not a token classifier; "
                                 "train one with scripts/train.py first")
        if not getattr(config, "id2label", None) or len(config.id2label) < 3:
            raise ModelLoadError(f"{name} has no NER label map (id2label) in its config")
        try:
            model = AutoModelForTokenClassification.from_pretrained(name, config=config)
            tokenizer = PhobertTokenizer.from_pretrained(name)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelLoadError(f"cannot load the weights or tokenizer of {name!r}: {exc}") from None
        if len(tokenizer) > model.config.vocab_size:
            raise ModelLoadError(f"{name}: tokenizer has {len(tokenizer)} tokens but the model's "
                                 f"embedding has {model.config.vocab_size}")
        return cls(model, tokenizer, name=name, device=device, dtype=dtype, folder=folder, structure=structure)

    # ------------------------------------------------------------------ steps
    def prepare(self, text: str, index: int = 0, doc_id: str | None = None) -> _Doc:
        """Raw text -> words (raw offsets) -> windows."""
        if not isinstance(text, str):
            raise TypeError(f"document {doc_id if doc_id is not None else index}: text must be str, "
                            f"got {type(text).__name__}")
        t0 = time.perf_counter()
        norm = normalize(text, self.settings.normalization)
        t1 = time.perf_counter()
        words = segment_normalized(norm, self.settings.segmenter)
        t2 = time.perf_counter()
        before = self.encoder.truncated_words
        windows = self.encoder.windows(words, doc_index=index)
        t3 = time.perf_counter()
        self.timings["normalise"] += t1 - t0
        self.timings["segment"] += t2 - t1
        self.timings["tokenise"] += t3 - t2
        warnings = []
        cut = self.encoder.truncated_words - before
        if cut:
            warnings.append(f"{cut} very long word(s) were tokenised from their first characters only")
        return _Doc(index, doc_id, text, words, windows, warnings)

    def _autocast(self):
        if self.dtype == "bfloat16" and self.device.type == "cpu":
            return torch.autocast("cpu", dtype=torch.bfloat16)
        return nullcontext()

    def batches(self, windows: Sequence[Window], batch_size: int | None = None,
                batch_tokens: int | None = None) -> list[list[int]]:
        """Window indices grouped by similar length, each group within the row and token caps."""
        rows = batch_size or self.batch_size
        budget = batch_tokens or self.batch_tokens
        out: list[list[int]] = []
        cur: list[int] = []
        for i in sorted(range(len(windows)), key=lambda i: len(windows[i])):
            width = len(windows[i])  # ascending order: the newest window is the widest
            if cur and (len(cur) >= rows or (len(cur) + 1) * width > budget):
                out.append(cur)
                cur = []
            cur.append(i)
        if cur:
            out.append(cur)
        return out

    def run(self, windows: Sequence[Window], batch_size: int | None = None,
            batch_tokens: int | None = None) -> list[np.ndarray]:
        """Logits for each window, batched by similar length (returned in input order)."""
        t0 = time.perf_counter()
        out: list[np.ndarray | None] = [None] * len(windows)
        pad = self.encoder.pad_id
        with torch.inference_mode(), self._autocast():
            for idx in self.batches(windows, batch_size, batch_tokens):
                width = max(len(windows[i]) for i in idx)
                ids = torch.full((len(idx), width), pad, dtype=torch.long)
                mask = torch.zeros((len(idx), width), dtype=torch.long)
                for r, i in enumerate(idx):
                    n = len(windows[i])
                    ids[r, :n] = torch.tensor(windows[i].input_ids)
                    mask[r, :n] = 1
                logits = self.model(input_ids=ids.to(self.device), attention_mask=mask.to(self.device)).logits
                logits = logits.float().cpu().numpy()
                for r, i in enumerate(idx):
                    out[i] = logits[r, : len(windows[i])]
                self.tokens_run += sum(len(windows[i]) for i in idx)
                self.tokens_padded += len(idx) * width
        self.timings["model"] += time.perf_counter() - t0
        return out  # type: ignore[return-value]

    def make_report(self, doc: _Doc, logits: Sequence[np.ndarray], structure: bool | None = None) -> Report:
        """Decode one document's logits into its report; `structure` None means the Predictor's setting."""
        t0 = time.perf_counter()
        probs = word_probabilities(doc.windows, logits, len(doc.words), len(self.id2label))
        spans = decode(doc.words, probs, self.id2label)
        t1 = time.perf_counter()
        self.timings["decode"] += t1 - t0
        entities = [Entity(s.label, doc.text[s.start:s.end], s.start, s.end, round(s.score, 6)) for s in spans]
        parsed = None
        if (self.structure if structure is None else structure):
            parsed = extract_structure(doc.text, [dataclasses.asdict(e) for e in entities])
        t2 = time.perf_counter()
        self.timings["structure"] += t2 - t1
        report = Report(doc_id=doc.doc_id, model=self.model_info(), device=str(self.device),
                        dtype=self.dtype, text_length=len(doc.text), text_sha256=text_sha256(doc.text),
                        entities=entities, warnings=doc.warnings, structure=parsed)
        self.timings["report"] += time.perf_counter() - t2
        return report

    def model_info(self) -> dict:
        return {"name": self.name, "weights_sha256": self.weights_hash, "labels": self.labels}

    # ------------------------------------------------------------------ API
    def predict(self, text: str, doc_id: str | None = None) -> Report:
        return next(self.predict_batch([(doc_id, text)] if doc_id is not None else [text]))

    def predict_batch(self, items: Iterable[str | tuple[str, str]], batch_size: int | None = None,
                      max_windows_in_flight: int | None = None, batch_tokens: int | None = None,
                      structure: bool | None = None) -> Iterator[Report]:
        """Reports for texts or (id, text) pairs, in input order, streaming.

        Documents are gathered until about `max_windows_in_flight` windows are waiting
        (default 512, a hundred-odd news articles), then their windows are sorted by length
        and run in batches of at most `batch_size` rows and `batch_tokens` tokens, so padding
        stays small (about 1.5% on news) and memory bounded. `structure` overrides the
        Predictor's setting for these reports.
        """
        limit = max_windows_in_flight or 512
        pending: list[_Doc] = []
        waiting = 0
        for i, item in enumerate(items):
            doc_id, text = (item if isinstance(item, tuple) else (None, item))
            doc = self.prepare(text, i, doc_id)
            pending.append(doc)
            waiting += len(doc.windows)
            if waiting >= limit:
                yield from self._flush(pending, batch_size, batch_tokens, structure)
                pending, waiting = [], 0
        if pending:
            yield from self._flush(pending, batch_size, batch_tokens, structure)

    def _flush(self, docs: list[_Doc], batch_size: int | None, batch_tokens: int | None,
               structure: bool | None = None) -> Iterator[Report]:
        windows = [w for d in docs for w in d.windows]
        logits = self.run(windows, batch_size, batch_tokens)
        k = 0
        for d in docs:
            n = len(d.windows)
            yield self.make_report(d, logits[k:k + n], structure)
            k += n
