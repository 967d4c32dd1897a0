"""Predictor: a trained folder or hub id in, one Report per document out.

    from model import Predictor
    p = Predictor.from_pretrained("models/vn-gov-ner")      # or a hub id
    report = p.predict("Ngày 6/7, đồng chí Nguyễn Văn A ...")
    for r in p.predict_batch(texts): ...

Each step is a named method (prepare -> batch -> run -> decode -> report). Windows from
many documents are sorted by length and cut into batches of about `batch_tokens`
(padding included), so padding stays small and the matrices fit the CPU's caches;
documents are streamed in and reports streamed out in input order, so memory stays flat.
With `predict_batch(..., workers=N)` the CPU stages before and after the model
(model/preprocess.py, model/postprocess.py) run in N worker processes (model/workers.py)
while this process runs only the model.
"""
from __future__ import annotations

import hashlib
import os
import time
from collections import Counter, deque
from concurrent.futures import Future
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

import numpy as np
import torch

from model.encode import Window, WordEncoder
from model.labels import ENTITY_TYPES, check_label_maps
from model.postprocess import Reporter
from model.preprocess import DocFailure, PreparedDoc, Preprocessor
from model.report import Report
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
# padding 6% instead of 1.4%), so the CPU gets ~512 per thread; a GPU wants large batches
# (the GPU sizes below are not yet measured: no GPU was lent when they were set).
CPU_TOKENS_PER_THREAD = 512
CPU_BATCH_ROWS = 64
CPU_WINDOWS_IN_FLIGHT = 512  # windows gathered before a flush: a hundred-odd news articles
GPU_BATCH_TOKENS = 256 * 256
GPU_BATCH_ROWS = 1024
GPU_WINDOWS_IN_FLIGHT = 2048  # several full GPU batches per flush, so sorting by length pays
GPU_PAD_MULTIPLE = 8  # widths rounded up for the tensor cores (padding is masked out)

OnError = Callable[[DocFailure], Any]


def default_batch_tokens(device: torch.device) -> int:
    if device.type == "cpu":
        return CPU_TOKENS_PER_THREAD * max(1, torch.get_num_threads())
    return GPU_BATCH_TOKENS


class ModelLoadError(RuntimeError):
    """A model folder or hub id that cannot serve as an NER model; says what is wrong."""


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
                 weights_hash: str | None = None, folder: Path | None = None, structure: bool = True,
                 compile: bool | str = False) -> None:
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
        self.tokenizer = tokenizer
        self.timings: Counter[str] = Counter()  # seconds per stage, summed over calls (and workers)
        self.preprocessor = Preprocessor(tokenizer, self.settings, self.timings)
        model = model.eval()
        self.weights_hash = weights_hash or weights_sha256(model, folder)  # of the weights as trained
        if self.dtype in CPU_INT8:
            from model.quantize import Int8TokenClassifier, dynamic_int8

            model = Int8TokenClassifier(model) if self.dtype == "int8" else dynamic_int8(model)
        elif self.device.type == "cuda" and self.dtype != "float32":
            model = model.to(DTYPES[self.dtype])
        self.model = model.to(self.device)
        # what runs the batches: the model itself, or a torch.compile'd wrapper of it
        # (`compile=True` for inductor, or a backend name; shapes vary, so dynamic)
        self.forward = (torch.compile(self.model, dynamic=True, backend="inductor" if compile is True else compile)
                        if compile else self.model)
        cuda = self.device.type == "cuda"
        self.batch_size = GPU_BATCH_ROWS if cuda else CPU_BATCH_ROWS  # row cap per batch
        self.batch_tokens = default_batch_tokens(self.device)
        self.windows_in_flight = GPU_WINDOWS_IN_FLIGHT if cuda else CPU_WINDOWS_IN_FLIGHT
        self.pad_multiple = GPU_PAD_MULTIPLE if cuda else 1
        self.labels = list(ENTITY_TYPES)
        self.reporter = Reporter(self.id2label, self.model_info(), str(self.device), self.dtype, structure,
                                 self.timings)
        self.tokens_run = 0  # real subword tokens through the model (with <s> </s>)
        self.tokens_padded = 0  # including padding
        self.device_seconds = 0.0  # GPU busy time (CUDA events around each batch); stays 0 on the CPU
        self._pools: dict[int, Any] = {}  # worker count -> WorkerPool, started on first use

    @property
    def encoder(self) -> WordEncoder:
        return self.preprocessor.encoder

    @property
    def structure(self) -> bool:
        """Whether reports carry the structured section unless a call says otherwise."""
        return self.reporter.structure

    @structure.setter
    def structure(self, value: bool) -> None:
        self.reporter.structure = bool(value)

    # ------------------------------------------------------------------ loading
    @classmethod
    def from_pretrained(cls, path_or_id: str | os.PathLike, device: str = "auto", dtype: str | None = None,
                        threads: int | None = None, structure: bool = True,
                        compile: bool | str = False) -> "Predictor":
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
        return cls(model, tokenizer, name=name, device=device, dtype=dtype, folder=folder, structure=structure,
                   compile=compile)

    # ------------------------------------------------------------------ steps
    def prepare(self, text: str, index: int = 0, doc_id: str | None = None) -> PreparedDoc:
        """Raw text -> words (raw offsets) -> windows (model/preprocess.py)."""
        return self.preprocessor.prepare(text, index, doc_id)

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
            width = self._width(len(windows[i]))  # ascending order: the newest window is the widest
            if cur and (len(cur) >= rows or (len(cur) + 1) * width > budget):
                out.append(cur)
                cur = []
            cur.append(i)
        if cur:
            out.append(cur)
        return out

    def _width(self, n: int) -> int:
        return -(-n // self.pad_multiple) * self.pad_multiple

    def _inputs(self, windows: Sequence[Window], idx: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """Padded ids and attention mask for one batch, in page-locked memory when bound for a GPU."""
        width = self._width(max(len(windows[i]) for i in idx))
        ids = np.full((len(idx), width), self.encoder.pad_id, dtype=np.int64)
        mask = np.zeros((len(idx), width), dtype=np.int64)
        for r, i in enumerate(idx):
            n = len(windows[i])
            ids[r, :n] = windows[i].input_ids
            mask[r, :n] = 1
        ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
        if self.device.type == "cuda":  # pinned: the copy to the GPU can overlap the running batch
            ids_t, mask_t = ids_t.pin_memory(), mask_t.pin_memory()
        return ids_t, mask_t

    def run(self, windows: Sequence[Window], batch_size: int | None = None,
            batch_tokens: int | None = None) -> list[np.ndarray]:
        """Logits for each window, batched by similar length (returned in input order).

        On a GPU the next batch is queued before the previous one's logits are read back
        (non-blocking copies both ways), so the device does not wait for this thread; CUDA
        events around each batch add the device's busy time to `device_seconds`.
        """
        t0 = time.perf_counter()
        out: list[np.ndarray | None] = [None] * len(windows)
        cuda = self.device.type == "cuda"
        queued = None  # (window indices, logits on their way to the host, start event, end event)

        def collect(item) -> None:
            idx, host, start, end = item
            if end is not None:
                end.synchronize()
                self.device_seconds += start.elapsed_time(end) / 1000
            logits = host.numpy()
            for r, i in enumerate(idx):
                out[i] = logits[r, : len(windows[i])]

        with torch.inference_mode(), self._autocast():
            for idx in self.batches(windows, batch_size, batch_tokens):
                ids, mask = self._inputs(windows, idx)
                start = end = None
                if cuda:
                    start = torch.cuda.Event(enable_timing=True)
                    start.record()
                logits = self.forward(input_ids=ids.to(self.device, non_blocking=cuda),
                                      attention_mask=mask.to(self.device, non_blocking=cuda)).logits
                host = logits.float().to("cpu", non_blocking=cuda)
                if cuda:
                    end = torch.cuda.Event(enable_timing=True)
                    end.record()
                if queued is not None:
                    collect(queued)
                queued = (idx, host, start, end)
                self.tokens_run += sum(len(windows[i]) for i in idx)
                self.tokens_padded += ids.numel()
            if queued is not None:
                collect(queued)
        self.timings["model"] += time.perf_counter() - t0
        return out  # type: ignore[return-value]

    def logits_per_doc(self, docs: Sequence[PreparedDoc], batch_size: int | None = None,
                       batch_tokens: int | None = None) -> list[list[np.ndarray]]:
        """The model over all windows of `docs` at once (batched across documents), split back per document."""
        logits = self.run([w for d in docs for w in d.windows], batch_size, batch_tokens)
        out, k = [], 0
        for d in docs:
            out.append(logits[k:k + len(d.windows)])
            k += len(d.windows)
        return out

    def make_report(self, doc: PreparedDoc, logits: Sequence[np.ndarray], structure: bool | None = None) -> Report:
        """Decode one document's logits into its report; `structure` None means the Predictor's setting."""
        return self.reporter.report(doc, logits, structure)

    def model_info(self) -> dict:
        return {"name": self.name, "weights_sha256": self.weights_hash, "labels": self.labels}

    # ------------------------------------------------------------------ workers
    def worker_pool(self, workers: int):
        """The pool of `workers` processes for the CPU stages, started on first use and kept."""
        from model.workers import WorkerPool

        if workers not in self._pools:
            self._pools[workers] = WorkerPool(self.preprocessor, self.reporter, workers,
                                              chunks_ahead=max(4 * workers, self.windows_in_flight // 8))
        return self._pools[workers]

    def close(self) -> None:
        """Stop the worker processes (if any were started)."""
        for pool in self._pools.values():
            pool.close()
        self._pools.clear()

    def __enter__(self) -> "Predictor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ API
    def predict(self, text: str, doc_id: str | None = None) -> Report:
        return next(self.predict_batch([(doc_id, text)] if doc_id is not None else [text]))

    def predict_batch(self, items: Iterable[str | tuple[str, str]], batch_size: int | None = None,
                      max_windows_in_flight: int | None = None, batch_tokens: int | None = None,
                      structure: bool | None = None, workers: int = 0,
                      on_error: OnError | None = None) -> Iterator[Report]:
        """Reports for texts or (id, text) pairs, in input order, streaming.

        Documents are gathered until about `max_windows_in_flight` windows are waiting
        (default 512 on the CPU, 2048 on a GPU), then their windows are sorted by length
        and run in batches of at most `batch_size` rows and `batch_tokens` tokens, so padding
        stays small (about 1.5% on news) and memory bounded. `structure` overrides the
        Predictor's setting for these reports.

        `workers` > 0 prepares documents and builds reports in that many processes
        (`worker_pool`), this process running only the model; the reports are the same.
        `on_error`, when given, receives a `DocFailure` for each document that cannot be
        processed (for instance a text that is not a string) and the batch goes on without
        it; without it the first such error is raised.
        """
        limit = max_windows_in_flight or self.windows_in_flight
        structure = self.structure if structure is None else structure
        jobs = ((i, *(item if isinstance(item, tuple) else (None, item))) for i, item in enumerate(items))
        if workers:
            pool = self.worker_pool(workers)
            prepared = pool.prepare(jobs, self.timings)
        else:
            pool = None
            prepared = (self.preprocessor.try_prepare(text, i, doc_id) if on_error else
                        self.preprocessor.prepare(text, i, doc_id) for i, doc_id, text in jobs)
        waiting: deque[list[Future]] = deque()  # report chunks of the flushes still in the workers
        for docs in self._flushes(prepared, limit, on_error):
            logits = self.logits_per_doc(docs, batch_size, batch_tokens)
            if pool is None:
                for d, lg in zip(docs, logits):
                    yield from self._settle([self.reporter.try_report(d, lg, structure) if on_error
                                             else self.reporter.report(d, lg, structure)], on_error)
                continue
            waiting.append(pool.report(docs, logits, structure))
            while len(waiting) > 1:  # the workers build flush k's reports while the model runs flush k+1
                yield from self._collect(waiting.popleft(), on_error)
        while waiting:
            yield from self._collect(waiting.popleft(), on_error)

    def predict_prepared(self, docs: Sequence[PreparedDoc], batch_size: int | None = None,
                         batch_tokens: int | None = None, structure: bool | None = None) -> list[Report | DocFailure]:
        """Reports (or failures) for documents prepared elsewhere, e.g. by a Ray preprocessing stage."""
        logits = self.logits_per_doc(docs, batch_size, batch_tokens)
        return [self.reporter.try_report(d, lg, structure) for d, lg in zip(docs, logits)]

    @staticmethod
    def _flushes(prepared: Iterable[PreparedDoc | DocFailure], limit: int,
                 on_error: OnError | None) -> Iterator[list[PreparedDoc]]:
        """Prepared documents in groups of about `limit` windows; failures go to `on_error`."""
        pending: list[PreparedDoc] = []
        waiting = 0
        for doc in prepared:
            if isinstance(doc, DocFailure):
                Predictor._fail(doc, on_error)
                continue
            pending.append(doc)
            waiting += len(doc.windows)
            if waiting >= limit:
                yield pending
                pending, waiting = [], 0
        if pending:
            yield pending

    @staticmethod
    def _fail(failure: DocFailure, on_error: OnError | None) -> None:
        if on_error is None:
            raise failure.error
        on_error(failure)

    def _settle(self, results: Iterable[Report | DocFailure], on_error: OnError | None) -> Iterator[Report]:
        for r in results:
            if isinstance(r, DocFailure):
                self._fail(r, on_error)
            else:
                yield r

    def _collect(self, futures: list[Future], on_error: OnError | None) -> Iterator[Report]:
        for f in futures:
            t0 = time.perf_counter()
            results, spent = f.result()
            self.timings["wait_reports"] += time.perf_counter() - t0
            self.timings.update(spent)
            yield from self._settle(results, on_error)
