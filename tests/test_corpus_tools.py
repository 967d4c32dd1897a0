"""Authoring conversion, validator, statistics, consistency, CoNLL and Label Studio round trips."""
import json

import pytest

from training.authoring import AuthoringError, parse_body, parse_source, to_source
from training.consistency import label_conflicts, untagged_occurrences
from training.convert import from_conll, from_label_studio, to_conll, to_label_studio
from training.corpus import Document, Span, assign_splits, statistics, validate


def test_inline_tags_become_exact_spans():
    text, spans = parse_body("Ông <PERSON>Trần Văn Khải</PERSON>, <ROLE>Bí thư\nTỉnh ủy</ROLE>.")
    assert [text[s.start:s.end] for s in spans] == ["Trần Văn Khải", "Bí thư\nTỉnh ủy"]
    assert text == "Ông Trần Văn Khải, Bí thư\nTỉnh ủy."


@pytest.mark.parametrize("body,msg", [
    ("<PERSON>A <ORG>B</ORG></PERSON>", "tags are flat"),
    ("<PERSON>A</ORG>", "closes"),
    ("<PERSON>A", "never closed"),
    ("<FOO>A</FOO>", "unknown tag"),
    ("a < b", "stray"),
    ("<DATE></DATE>", "empty"),
])
def test_authoring_errors_are_named(body, msg):
    with pytest.raises(AuthoringError, match=msg):
        parse_body(body, "f.txt")


def test_source_round_trip(tiny_docs):
    for d in tiny_docs:
        again = parse_source(to_source(d))
        assert again.text == d.text and again.entities == d.entities and again.meta == d.meta


def test_validator_messages():
    docs = [
        Document("a", "Ông Nam dự.", [Span(3, 7, "PERSON")], {}),  # starts with a space
        Document("b", "Ông Nam dự.", [Span(4, 8, "PERSON")], {}),  # ends with a space
        Document("c", "Ông Nam dự.", [Span(4, 7, "PERSON"), Span(5, 7, "ORG")], {}),
        Document("c", "x", [Span(0, 5, "FOO")], {}),
        Document("d", "Ông Nam dự.", [Span(4, 11, "PERSON")], {}),  # ends with a full stop
    ]
    problems = "\n".join(validate(docs))
    for needle in ("a: PERSON ' Nam' at 3 starts with ' '", "b: PERSON 'Nam ' at 4 ends with ' '", "overlaps",
                   "unknown label 'FOO'", "c: id used by 2 documents", "missing metadata", "ends with '.'"):
        assert needle in problems


def test_statistics_and_splits(tiny_docs):
    s = statistics(tiny_docs)
    assert s["documents"] == 6 and s["entities"] == sum(len(d.entities) for d in tiny_docs)
    assert s["sentences"] >= 18
    docs = [Document(f"{t}{i}", "x", [], {"topic": t}) for t in "ab" for i in range(20)]
    splits = assign_splits(docs)
    assert {k: len(v) for k, v in splits.items()} == {"train": 32, "dev": 4, "test": 4}
    assert assign_splits(docs) == splits  # fixed


def test_consistency_findings():
    docs = [Document("a", "Sở Nội vụ họp. Sở Nội vụ báo cáo.", [Span(0, 9, "ORG")], {}),
            Document("b", "Thủ tướng Chính phủ dự.", [Span(0, 19, "ROLE")], {}),
            Document("c", "Thủ tướng Chính phủ dự.", [Span(0, 19, "ORG")], {})]
    assert label_conflicts(docs)[0]["text"] == "Thủ tướng Chính phủ"
    untagged = untagged_occurrences(docs)
    assert [(u["doc_id"], u["start"]) for u in untagged] == [("a", 15)]


def test_conll_round_trip(tiny_docs):
    conll = to_conll(tiny_docs)
    assert "B-PERSON" in conll and "# id = t1" in conll
    back = from_conll(conll)
    assert [d.id for d in back] == [d.id for d in tiny_docs]
    for orig, new in zip(tiny_docs, back):
        assert [orig.text[s.start:s.end] for s in orig.entities] == \
               [new.text[s.start:s.end].replace(" ", "") for s in new.entities] or \
               [orig.text[s.start:s.end].replace(" ", "") for s in orig.entities] == \
               [new.text[s.start:s.end].replace(" ", "") for s in new.entities]
        assert [s.label for s in orig.entities] == [s.label for s in new.entities]


def test_label_studio_round_trip_and_predictions(tiny_docs):
    tasks = to_label_studio(tiny_docs)
    json.dumps(tasks)
    back = list(from_label_studio(tasks))
    assert [(d.text, d.entities) for d in back] == [(d.text, d.entities) for d in tiny_docs]
    reports = {tiny_docs[0].id: {"entities": [{"start": 0, "end": 3, "label": "ORG", "score": 0.5}]}}
    pre = to_label_studio(tiny_docs[:1], reports)
    assert pre[0]["predictions"][0]["result"][0]["value"]["labels"] == ["ORG"]
    # an export whose annotation corrects the prediction: the annotation wins
    pre[0]["annotations"] = [{"result": [{"type": "labels", "value": {"start": 4, "end": 7, "labels": ["PERSON"]}}]}]
    assert next(from_label_studio(pre)).entities == [Span(4, 7, "PERSON")]
