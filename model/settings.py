"""Preprocessing settings that belong to a trained model and travel in its config.json.

Training writes them under the config key `ner_preprocessing`; the predictor reads them
back, so inference segments, normalises and windows text exactly as training did.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from model.encode import MAX_POSITIONS
from model.segment import DEFAULT_SEGMENTER, SEGMENTERS
from model.text import NormalizationSettings

CONFIG_KEY = "ner_preprocessing"
# The transformers pipeline task the package registers (model/hf_pipeline.py); training writes
# it into config.json under TASK_KEY so `pipeline(model=folder)` can find the task by itself.
PIPELINE_TASK = "vn-gov-ner"
TASK_KEY = "ner_pipeline"


@dataclass(frozen=True)
class PreprocessingSettings:
    segmenter: str = DEFAULT_SEGMENTER
    normalization: NormalizationSettings = field(default_factory=NormalizationSettings)
    max_length: int = MAX_POSITIONS
    stride: int = 64

    def __post_init__(self) -> None:
        if self.segmenter not in SEGMENTERS:
            raise ValueError(f"unknown segmenter {self.segmenter!r}; choose one of {', '.join(SEGMENTERS)}")
        if not 8 <= self.max_length <= MAX_POSITIONS:
            raise ValueError(f"max_length must be within 8..{MAX_POSITIONS}, got {self.max_length}")

    def to_dict(self) -> dict:
        return {"segmenter": self.segmenter, "normalization": self.normalization.to_dict(),
                "max_length": self.max_length, "stride": self.stride}

    @classmethod
    def from_dict(cls, data: dict | None) -> "PreprocessingSettings":
        data = data or {}
        return cls(segmenter=data.get("segmenter", DEFAULT_SEGMENTER),
                   normalization=NormalizationSettings.from_dict(data.get("normalization")),
                   max_length=int(data.get("max_length", MAX_POSITIONS)),
                   stride=int(data.get("stride", 64)))

    @classmethod
    def from_model_config(cls, config) -> "PreprocessingSettings":
        return cls.from_dict(getattr(config, CONFIG_KEY, None))
