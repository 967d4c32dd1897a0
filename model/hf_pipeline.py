"""`transformers.pipeline("vn-gov-ner", model=folder)`: the Predictor behind the pipeline API.

The stock token-classification pipeline feeds raw syllables to a model trained on
segmented words and cannot map subwords back to the text, so it returns fragments
(`Nguyễn Văn`, `Đ@@`) without offsets. This pipeline runs the Predictor's own steps as the
pipeline's stages — `prepare` (normalise, segment, window) as preprocess, `run` as
_forward, `make_report` (constrained decoding, spans on the raw text) as postprocess — so
its entities are the Predictor's, with character offsets into the caller's string.

Registered under the task `vn-gov-ner` (model.settings.PIPELINE_TASK) when transformers'
pipelines are imported after `import model` (model/autoregister.py).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from transformers import AutoModelForTokenClassification, Pipeline

from model.predictor import Predictor
from model.report import Report
from model.settings import PIPELINE_TASK, TASK_KEY


def entity_dicts(report: Report) -> list[dict]:
    """Entities in the stock pipeline's aggregated format (`entity_group`, `word`, offsets)."""
    return [{"entity_group": e.label, "score": e.score, "word": e.text, "start": e.start, "end": e.end}
            for e in report.entities]


class VnGovNerPipeline(Pipeline):
    """Raw Vietnamese text in; entities with character offsets (or whole reports) out.

    `precision` is the Predictor's `dtype` (None: the fast default for the hardware,
    "float32": the exact reference, "bfloat16", "float16", "int8", "qint8"). Call options:
    `report=True` returns each document's full report dict (schema 1.2, with the
    structured section) instead of the entity list; `doc_id=` names a single document.
    A list of texts (or of (id, text) pairs) runs through `Predictor.predict_batch`, which
    batches windows of many documents by tokens, so `batch_size` is not needed.
    """

    _load_tokenizer = True
    _load_processor = False
    _load_image_processor = False
    _load_feature_extractor = False
    _load_video_processor = False

    def __init__(self, *args: Any, precision: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.tokenizer is None:
            raise ValueError("the vn-gov-ner pipeline needs the model folder's tokenizer (vocab.txt, bpe.codes)")
        name = getattr(self.model, "name_or_path", "") or "<in-memory>"
        folder = Path(name) if name and Path(name).is_dir() else None
        self.predictor = Predictor(self.model, self.tokenizer, name=name, device=str(self.device),
                                   dtype=precision, folder=folder)

    def _sanitize_parameters(self, doc_id: str | None = None, report: bool | None = None,
                             **unknown: Any) -> tuple[dict, dict, dict]:
        if unknown:
            raise TypeError(f"vn-gov-ner pipeline: unknown option(s) {', '.join(sorted(unknown))}; "
                            "it takes doc_id=, report= and precision= (at creation)")
        pre = {} if doc_id is None else {"doc_id": doc_id}
        post = {} if report is None else {"report": bool(report)}
        return pre, {}, post

    def preprocess(self, inputs: str, doc_id: str | None = None) -> dict:
        return {"doc": self.predictor.prepare(inputs, 0, doc_id)}

    def _forward(self, model_inputs: dict) -> dict:
        doc = model_inputs["doc"]
        return {"doc": doc, "logits": self.predictor.run(doc.windows)}

    def postprocess(self, model_outputs: dict, report: bool = False) -> list[dict] | dict:
        rep = self.predictor.make_report(model_outputs["doc"], model_outputs["logits"], structure=report)
        return rep.to_dict() if report else entity_dicts(rep)

    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(inputs, list):
            return super().__call__(inputs, *args, **kwargs)
        kwargs.pop("batch_size", None)  # batching is by tokens, inside the Predictor
        kwargs.pop("num_workers", None)
        pre, _, post = self._sanitize_parameters(**kwargs)
        if pre:
            raise TypeError("doc_id= names one document; for a list pass (id, text) pairs")
        report = {**self._postprocess_params, **post}.get("report", False)
        reports = self.predictor.predict_batch(inputs, structure=report)
        return [r.to_dict() if report else entity_dicts(r) for r in reports]


def task_in_folder(model: Any) -> str | None:
    """The task a local model folder's config.json names (training writes `ner_pipeline`)."""
    if not isinstance(model, (str, os.PathLike)):
        return None
    config = Path(model) / "config.json"
    if not config.is_file():
        return None
    try:
        return json.loads(config.read_text(encoding="utf-8")).get(TASK_KEY)
    except (OSError, ValueError, AttributeError):
        return None


def _patch_task_inference() -> None:
    """Let `pipeline(model=folder)` read the task from the folder's config.

    transformers infers a missing task only from the hub's `pipeline_tag` (unreachable for a
    local folder) or from a config's `custom_pipelines`, which always demands
    trust_remote_code and code inside the folder, and would also force that on
    `pipeline("vn-gov-ner", ...)`. So the lookup is wrapped: a local folder whose config
    names a registered task gets it; everything else goes to transformers' own lookup.
    """
    import transformers.pipelines as pipelines
    from transformers.pipelines import PIPELINE_REGISTRY

    original = getattr(pipelines, "get_task", None)
    if original is None or getattr(original, "_reads_folder_config", False):
        return

    def get_task(model: str, token: str | None = None, **kwargs: Any) -> str:
        task = task_in_folder(model)
        if task and task in PIPELINE_REGISTRY.get_supported_tasks():
            return task
        return original(model, token, **kwargs)

    get_task._reads_folder_config = True  # type: ignore[attr-defined]
    get_task.__doc__ = original.__doc__
    pipelines.get_task = get_task


def register() -> None:
    """Add the `vn-gov-ner` task to transformers' PIPELINE_REGISTRY (idempotent)."""
    from transformers.pipelines import PIPELINE_REGISTRY

    current = PIPELINE_REGISTRY.supported_tasks.get(PIPELINE_TASK, {}).get("impl")
    if current is not VnGovNerPipeline:
        PIPELINE_REGISTRY.register_pipeline(PIPELINE_TASK, pipeline_class=VnGovNerPipeline,
                                            pt_model=AutoModelForTokenClassification, type="text")
    _patch_task_inference()


register()  # importing this module is what registers the task (model/autoregister.py imports it)
