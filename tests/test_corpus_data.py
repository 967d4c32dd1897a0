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
    """Runs of k words, case, Unicode form and punctuation folded: `xã hội, bảo hiểm` and
    `xã hội bảo hiểm` are the same run, so a comma moved or added does not hide a copy."""
    import re
    import unicodedata

    w = re.findall(r"\w+", unicodedata.normalize("NFC", text).lower())
    return {" ".join(w[i:i + k]) for i in range(len(w) - k + 1)}


@pytest.fixture(scope="module")
def our_texts(splits) -> dict[str, str]:
    """Every text the repository ships: the corpus documents (by id), and the code, tests,
    documentation and gold files (by path), all checked the same way."""
    import re

    texts = {d.id: d.text for docs in splits.values() for d in docs}
    files = [ROOT / "README.md", *sorted((ROOT / "annotations").glob("*.md")),
             *sorted((ROOT / "annotations" / "structure").glob("*.jsonl"))]
    for folder in ("model", "training", "scripts", "tests", "docs"):
        files += sorted(p for p in (ROOT / folder).rglob("*")
                        if p.suffix in {".py", ".md", ".yaml", ".json", ".jsonl", ".txt", ".html"})
    for path in files:  # inline tags in test sentences would otherwise break the runs
        texts[str(path.relative_to(ROOT))] = re.sub(r"</?(PERSON|ORG|ROLE|DOC|DATE)>", "",
                                                    path.read_text(encoding="utf-8"))
    return texts


def test_no_text_shared_with_the_real_evaluation_articles(our_texts):
    """The corpus is written, not copied: no 12-word run in common with ../shared/dev-real or
    the seed article the project started from (../shared/seed)."""
    import json

    shared_dir = ROOT.parent / "shared"
    real_file = shared_dir / "dev-real" / "real_dev.jsonl"
    seeds = sorted((shared_dir / "seed").glob("*.txt"))
    if not real_file.is_file() and not seeds:
        pytest.skip("../shared/dev-real and ../shared/seed are absent")

    real = set()
    if real_file.is_file():
        for line in real_file.read_text(encoding="utf-8").splitlines():
            real |= shingles(json.loads(line)["text"])
    for seed in seeds:
        real |= shingles(seed.read_text(encoding="utf-8"))
    shared = {name: len(shingles(text) & real) for name, text in our_texts.items()}
    assert {k: v for k, v in shared.items() if v} == {}


def test_no_text_shared_with_the_pretraining_text(our_texts):
    """Nor with the raw pretraining text (the same 12-word check): its 108 M characters are
    streamed past the corpus' runs, never held in memory."""
    import gzip
    import json

    files = sorted((ROOT.parent / "shared" / "pretrain").glob("*.jsonl.gz"))
    if not files:
        pytest.skip("../shared/pretrain is absent")
    ours: dict[str, str] = {}
    for name, text in our_texts.items():
        for sh in shingles(text):
            ours[sh] = name
    shared: dict[str, int] = {}
    for f in files:
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                for sh in shingles(json.loads(line)["text"]) & ours.keys():
                    shared[ours[sh]] = shared.get(ours[sh], 0) + 1
    assert shared == {}  # document id or file -> runs in common (the runs themselves are not printed)
