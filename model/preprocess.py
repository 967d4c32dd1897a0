"""Raw text -> a prepared document (words with raw offsets, model windows): the CPU stage
before the model, in one picklable object so worker processes and Ray tasks run exactly
the code the single-process predictor runs.

The Preprocessor holds only the tokenizer and the preprocessing settings (no weights), so
it is cheap to copy into a worker; `Preprocessor.from_pretrained(folder)` loads just those.
"""
from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from model.encode import Window, WordEncoder
from model.segment import Word, get_segmenter, segment_normalized
from model.settings import PreprocessingSettings
from model.text import normalize

PREPROCESS_STAGES = ("normalise", "segment", "tokenise")


@dataclass
class PreparedDoc:
    """One document ready for the model: its text, words and windows, and why it may be odd."""

    index: int
    doc_id: str | None
    text: str
    words: list[Word]
    windows: list[Window]
    warnings: list[str]


@dataclass
class DocFailure:
    """A document that could not be processed: where in the stream, which stage, the error.

    Carried instead of raising, so a batch goes on; `error` is the exception itself (made
    picklable by `portable_error` where it crosses a process boundary).
    """

    index: int
    doc_id: str | None
    stage: str  # "preprocess" or "report"
    error: BaseException

    @property
    def reason(self) -> str:
        return f"{self.stage} failed: {type(self.error).__name__}: {self.error}"


def portable_error(exc: BaseException) -> BaseException:
    """The exception itself when it survives pickling, else a RuntimeError with its text."""
    import pickle

    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001 - any pickling problem means: send the text instead
        return RuntimeError(f"{type(exc).__name__}: {exc}")


class Preprocessor:
    """Normalise -> segment -> tokenise -> windows, with seconds per stage in `timings`."""

    def __init__(self, tokenizer, settings: PreprocessingSettings, timings: Counter | None = None) -> None:
        self.tokenizer = tokenizer
        self.settings = settings
        self.encoder = WordEncoder(tokenizer, settings.max_length, settings.stride)
        self.timings: Counter[str] = timings if timings is not None else Counter()

    @classmethod
    def from_pretrained(cls, folder: str | os.PathLike) -> "Preprocessor":
        """The tokenizer and preprocessing settings of a trained model folder, without its weights."""
        from transformers import AutoConfig, PhobertTokenizer

        config = AutoConfig.from_pretrained(str(folder))
        return cls(PhobertTokenizer.from_pretrained(str(folder)), PreprocessingSettings.from_model_config(config))

    def __getstate__(self) -> dict[str, Any]:
        # a copy for another process starts with its own clock and an empty word cache
        return {"tokenizer": self.tokenizer, "settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["tokenizer"], state["settings"])

    def warm_up(self) -> None:
        """Load the segmenter's model now (pyvi reads its CRF on first use), not on the first document."""
        get_segmenter(self.settings.segmenter).spans("Ngày 6/7 họp")

    def prepare(self, text: str, index: int = 0, doc_id: str | None = None) -> PreparedDoc:
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
        return PreparedDoc(index, doc_id, text, words, windows, warnings)

    def try_prepare(self, text: Any, index: int, doc_id: str | None) -> PreparedDoc | DocFailure:
        """`prepare`, with a failure returned (naming the document) instead of raised."""
        try:
            return self.prepare(text, index, doc_id)
        except Exception as exc:  # noqa: BLE001 - one bad document must not end the batch
            return DocFailure(index, doc_id, "preprocess", exc)
