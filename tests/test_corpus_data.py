"""The shipped corpus: valid on every split, and as large and varied as the data card says."""
from pathlib import Path

import pytest

from model.labels import ENTITY_TYPES
from training.authoring import load_sources
from training.consistency import date_without_ngay, label_conflicts
from training.corpus import assign_splits, read_jsonl, statistics, validate

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "annotations" / "corpus"


@pytest.fixture(scope="module")
def splits():
    return {s: list(read_jsonl(CORPUS / f"{s}.jsonl")) for s in ("train", "dev", "test")}


def test_every_split_validates(splits):
    for name, docs in splits.items():
        assert validate(docs) == [], name
    ids = [d.id for docs in splits.values() for d in docs]
    assert len(ids) == len(set(ids))


def test_sizes_meet_the_corpus_targets(splits):
    s = statistics([d for docs in splits.values() for d in docs])
    assert s["documents"] >= 460 and s["sentences"] >= 12000 and s["entities"] >= 20000
    assert all(s["entities_per_type"][t] >= 2500 for t in ENTITY_TYPES)
    assert len(s["topics"]) >= 27
    assert {"central_politics", "biographies_personnel", "business_economy", "society_2020s", "world_affairs",
            "legal_explainer", "archive_2000s"} <= set(s["topics"])
    assert len([r for r in s["regions"] if r != "central"]) >= 30
    assert all(d.meta["source"] == "written for this corpus" for docs in splits.values() for d in docs)


def test_splits_are_rebuilt_exactly_from_the_sources(splits):
    docs, problems = load_sources([ROOT / "annotations" / "authoring"])
    assert problems == []
    rebuilt = assign_splits(docs)
    for name in splits:
        assert [(d.id, d.text, d.entities) for d in rebuilt[name]] == \
               [(d.id, d.text, d.entities) for d in splits[name]], name


def test_consistency_rules_hold(splits):
    docs = [d for ds in splits.values() for d in ds]
    assert label_conflicts(docs) == []
    assert date_without_ngay(docs) == []


def shingles(text: str, k: int = 12) -> set[str]:
    """Runs of k words, case and Unicode form folded."""
    import unicodedata

    w = unicodedata.normalize("NFC", text).lower().split()
    return {" ".join(w[i:i + k]) for i in range(len(w) - k + 1)}


def test_no_text_shared_with_the_real_evaluation_articles(splits):
    """The corpus is written, not copied: no 12-word run in common with ../shared/dev-real."""
    import json

    real_file = ROOT.parent / "shared" / "dev-real" / "real_dev.jsonl"
    if not real_file.is_file():
        pytest.skip("../shared/dev-real is absent")

    real = set()
    for line in real_file.read_text(encoding="utf-8").splitlines():
        real |= shingles(json.loads(line)["text"])
    shared = {d.id: len(shingles(d.text) & real) for docs in splits.values() for d in docs}
    assert {k: v for k, v in shared.items() if v} == {}


def test_no_text_shared_with_the_pretraining_text(splits):
    """Nor with the raw pretraining text (the same 12-word check): its 108 M characters are
    streamed past the corpus' runs, never held in memory."""
    import gzip
    import json

    files = sorted((ROOT.parent / "shared" / "pretrain").glob("*.jsonl.gz"))
    if not files:
        pytest.skip("../shared/pretrain is absent")
    ours: dict[str, str] = {}
    for docs in splits.values():
        for d in docs:
            for sh in shingles(d.text):
                ours[sh] = d.id
    shared: dict[str, int] = {}
    for f in files:
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                for sh in shingles(json.loads(line)["text"]) & ours.keys():
                    shared[ours[sh]] = shared.get(ours[sh], 0) + 1
    assert shared == {}  # document id -> runs in common (the runs themselves are not printed)
