"""End-to-end batch inference benchmark: tokens/s, documents/s, peak RSS, time per stage.

Runs the predictor exactly as users do (predict_batch over a stream of documents) with
the real PhoBERT-base config and tokenizer (random weights: speed does not depend on
them) and, when present, the compact trained model. In the same run it measures a naive
baseline (one sentence at a time, padded to 256, fp32, batch 1) and checks every speed
option against fp32 on a trained model (share of identical entities).
"""
from __future__ import annotations

import json
import resource
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import torch

from model.encode import MAX_POSITIONS
from model.predictor import Predictor

STAGES = ("normalise", "segment", "tokenise", "model", "decode", "structure", "report")
# with workers: the model process's waits for prepared documents and for finished reports
WAITS = ("wait_preprocess", "wait_reports")


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * resource.getpagesize() / 2**20


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load_documents(paths: Sequence[str], at_least: int) -> list[tuple[str, str]]:
    """(id, text) pairs from JSONL/txt inputs, repeated until there are `at_least`."""
    from model.batch import Record, read_inputs

    base = [(r.id, r.text) for r in read_inputs(list(paths)) if isinstance(r, Record) and r.text.strip()]
    if not base:
        raise ValueError(f"no readable documents in {', '.join(paths)}")
    docs, k = [], 0
    while len(docs) < at_least:
        docs += [(f"{i}#{k}", t) for i, t in base]
        k += 1
    return docs


def phobert_random(folder: Path, device: str = "cpu", dtype: str | None = None,
                   compile: bool | str = False) -> Predictor:
    """PhoBERT-base's exact architecture and tokenizer with random weights."""
    from transformers import PhobertTokenizer, RobertaConfig, RobertaForTokenClassification

    from model.labels import BIO_TAGS, id2label, label2id

    torch.manual_seed(0)
    config = RobertaConfig.from_json_file(str(folder / "config.json"))
    config.num_labels, config.id2label, config.label2id = len(BIO_TAGS), id2label(), label2id()
    model = RobertaForTokenClassification(config)
    tok = PhobertTokenizer(vocab_file=str(folder / "vocab.txt"), merges_file=str(folder / "bpe.codes"))
    # random weights tag words at random: the structure layer would then measure noise,
    # so its cost is measured on the trained model instead
    return Predictor(model, tok, name=f"{folder} (random weights)", device=device, dtype=dtype, structure=False,
                     compile=compile)


@dataclass
class RunResult:
    setting: str
    documents: int
    seconds: float
    tokens: int
    padded_tokens: int
    stages: dict
    rss_start_mb: float
    rss_end_mb: float
    entities: list
    workers: int = 0
    device_seconds: float = 0.0  # GPU busy time (CUDA events); 0 on the CPU

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.seconds

    @property
    def model_share(self) -> float:
        """The model's share of wall time: how much of the run the model process spent in the model."""
        return self.stages.get("model", 0.0) / self.seconds

    def to_dict(self) -> dict:
        out = {"setting": self.setting, "documents": self.documents, "seconds": round(self.seconds, 2),
               "tokens_per_s": round(self.tokens_per_s, 1), "documents_per_s": round(self.documents / self.seconds, 2),
               "padding_share": round(1 - self.tokens / max(self.padded_tokens, 1), 3),
               "workers": self.workers, "model_share": round(self.model_share, 4),
               "stage_seconds": {k: round(v, 2) for k, v in self.stages.items()},
               "rss_start_mb": round(self.rss_start_mb), "rss_end_mb": round(self.rss_end_mb)}
        if self.device_seconds:
            out.update(gpu_busy_share=round(self.device_seconds / self.seconds, 4),
                       gpu_tokens_per_s=round(self.tokens / self.device_seconds, 1))
        return out


def run(predictor: Predictor, docs: Sequence[tuple[str, str]], batch_size: int | None, setting: str,
        workers: int = 0) -> RunResult:
    """Stream documents through predict_batch; keeps only entity keys, not reports.

    Stage seconds from worker processes are summed over the workers, so with workers they
    can add up to more than the wall time; the model's share is of wall time.
    """
    predictor.timings.clear()
    predictor.tokens_run = predictor.tokens_padded = 0
    predictor.device_seconds = 0.0
    rss0 = rss_mb()
    t0 = time.perf_counter()
    ents = []
    for rep in predictor.predict_batch(docs, batch_size=batch_size, workers=workers):
        ents.append({(e.start, e.end, e.label) for e in rep.entities})
    secs = time.perf_counter() - t0
    stages = {s: predictor.timings.get(s, 0.0) for s in STAGES + (WAITS if workers else ())}
    return RunResult(setting, len(docs), secs, predictor.tokens_run, predictor.tokens_padded, stages, rss0,
                     rss_mb(), ents, workers, predictor.device_seconds)


def naive_baseline(predictor: Predictor, docs: Sequence[tuple[str, str]]) -> RunResult:
    """One sentence at a time, padded to 256, fp32, batch 1: what a first script does."""
    tokens = padded = 0
    t0 = time.perf_counter()
    model = predictor.model
    with torch.inference_mode():
        for _, text in docs:
            doc = predictor.prepare(text)
            by_sentence: dict[int, list] = {}
            for w in doc.words:
                by_sentence.setdefault(w.sentence, []).append(w)
            for words in by_sentence.values():
                for win in predictor.encoder.windows(words):
                    ids = torch.full((1, MAX_POSITIONS), predictor.encoder.pad_id, dtype=torch.long)
                    mask = torch.zeros((1, MAX_POSITIONS), dtype=torch.long)
                    ids[0, :len(win)] = torch.tensor(win.input_ids)
                    mask[0, :len(win)] = 1
                    model(input_ids=ids.to(predictor.device), attention_mask=mask.to(predictor.device))
                    tokens += len(win)
                    padded += MAX_POSITIONS
    secs = time.perf_counter() - t0
    return RunResult("naive baseline (fp32, sentence by sentence, padded to 256, batch 1)", len(docs), secs,
                     tokens, padded, {}, 0.0, rss_mb(), [])


def memory_over_stream(predictor: Predictor, docs: Sequence[tuple[str, str]], total: int,
                       every: int = 100) -> list[tuple[int, float]]:
    """RSS (MB) after every `every` reports while `total` documents stream through.

    The documents are generated lazily from `docs` (cycled), so the input itself holds no
    memory; a flat curve means the predictor keeps nothing per document.
    """
    def stream():
        for k in range(total):
            i, t = docs[k % len(docs)]
            yield f"{i}@{k}", t

    points = []
    for n, _ in enumerate(predictor.predict_batch(stream()), start=1):
        if n % every == 0 or n == total:
            points.append((n, round(rss_mb(), 1)))
    return points


def identical_share(reference: list, other: list) -> float:
    """Entities identical to the fp32 reference, as a share of all entities either found."""
    same = sum(len(a & b) for a, b in zip(reference, other))
    union = sum(len(a | b) for a, b in zip(reference, other))
    return same / union if union else 1.0


def check_settings(model_dir: str, docs: Sequence[tuple[str, str]], batch_size: int | None,
                   dtypes: Sequence[str]) -> dict:
    """Each speed option against fp32 on a trained model: speed and identical entities.

    A setting this CPU cannot run (int8 without VNNI) is left out with its reason printed.
    """
    from model.quantize import Int8Unsupported

    ref = run(Predictor.from_pretrained(model_dir, device="cpu", dtype="float32"), docs, batch_size, "float32")
    out = {"float32": {**ref.to_dict(), "identical_entities": 1.0, "entities": sum(map(len, ref.entities))}}
    for dt in dtypes:
        try:
            pred = Predictor.from_pretrained(model_dir, device="cpu", dtype=dt)
        except Int8Unsupported as exc:
            print(f"  {dt}: skipped ({exc})")
            continue
        r = run(pred, docs, batch_size, dt)
        out[dt] = {**r.to_dict(), "identical_entities": round(identical_share(ref.entities, r.entities), 4),
                   "entities": sum(map(len, r.entities))}
    return out


def model_label(model_dir: str) -> str:
    """A short name for a model folder: `.cache/ft_mlm/model` -> `ft_mlm`."""
    path = Path(model_dir)
    return path.parent.name if path.name == "model" and path.parent.name else path.name


def format_run(r: dict) -> str:
    """One run in words; stage times as shares of wall time (worker stages summed over the workers)."""
    stages = r.get("stage_seconds") or {}
    share = "  ".join(f"{k} {100 * v / r['seconds']:.1f}%" for k, v in stages.items())
    gpu = (f", GPU busy {100 * r['gpu_busy_share']:.1f}% ({r['gpu_tokens_per_s']:.0f} tokens/s while busy)"
           if "gpu_busy_share" in r else "")
    return (f"{r['setting']}: {r['tokens_per_s']:.0f} tokens/s, {r['documents_per_s']:.2f} docs/s, "
            f"{r['documents']} docs in {r['seconds']:.1f} s, padding {100 * r['padding_share']:.1f}%, "
            f"workers {r.get('workers', 0)}, model {100 * r.get('model_share', 0):.1f}% of wall time{gpu}"
            + (f"\n    stages (share of wall time): {share}" if share else ""))


def save(path: str | None, data: dict) -> None:
    if path:
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
