"""The five entity types and their BIO tags: the one definition every module uses."""
from __future__ import annotations

ENTITY_TYPES: tuple[str, ...] = ("PERSON", "ORG", "ROLE", "DOC", "DATE")
OUTSIDE = "O"
BIO_TAGS: tuple[str, ...] = (OUTSIDE,) + tuple(f"{p}-{t}" for t in ENTITY_TYPES for p in ("B", "I"))
IGNORE_INDEX = -100  # label for subwords that carry no loss (non-first pieces, padding)


def label2id() -> dict[str, int]:
    return {tag: i for i, tag in enumerate(BIO_TAGS)}


def id2label() -> dict[int, str]:
    return dict(enumerate(BIO_TAGS))


def entity_type(tag: str) -> str | None:
    """`B-ORG` -> `ORG`; `O` -> None."""
    return None if tag == OUTSIDE else tag[2:]


def check_label_maps(id2label_map: dict, label2id_map: dict) -> list[str]:
    """Problems with a model's saved label maps (empty list when they are consistent BIO maps)."""
    problems = []
    i2l = {int(k): v for k, v in id2label_map.items()}
    if sorted(i2l) != list(range(len(i2l))):
        problems.append(f"id2label ids are not 0..{len(i2l) - 1}: {sorted(i2l)}")
    for i, tag in i2l.items():
        if label2id_map.get(tag) != i:
            problems.append(f"label2id[{tag!r}] is {label2id_map.get(tag)!r}, id2label says {i}")
        if tag != OUTSIDE and (tag[:2] not in ("B-", "I-") or not tag[2:]):
            problems.append(f"tag {tag!r} is not O, B-X or I-X")
    if OUTSIDE not in label2id_map:
        problems.append("no 'O' tag in the label map")
    return problems
