"""Vietnamese government-news NER on PhoBERT: everything inference needs.

`from model import Predictor` is the one-line entry point; the heavy imports (torch,
transformers) happen only when it is first used, so the text tools stay light.
`import model` also makes `transformers.pipeline("vn-gov-ner", model=folder)` work: the
pipeline is registered when transformers' pipelines are imported (model/autoregister.py).
"""
from __future__ import annotations

from model import autoregister as _autoregister

_autoregister.install()

__all__ = ["Predictor", "Report", "Entity", "__version__"]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name == "Predictor":
        from model.predictor import Predictor

        return Predictor
    if name in ("Report", "Entity"):
        from model import report

        return getattr(report, name)
    raise AttributeError(f"module 'model' has no attribute {name!r}")
