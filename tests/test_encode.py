import numpy as np
import pytest

from model.decode import decode, repair_bio, tags_to_word_spans, word_probabilities
from model.encode import MAX_PIECES_PER_WORD, MAX_POSITIONS, WordEncoder
from model.labels import id2label
from model.segment import to_words

LONG_TEXT = ("Đồng chí Nguyễn Văn An, Bí thư Tỉnh ủy, chủ trì hội nghị ngày 6/7/2022 tại Hà Nội. " * 60
             + "Một câu rất dài " + "không có dấu chấm nào " * 300)


def _check_windows(windows, n_words, max_len=MAX_POSITIONS):
    owned = []
    for w in windows:
        assert len(w) <= max_len
        assert w.input_ids[0] != w.input_ids[1] or len(w) > 2
        owned += list(range(w.own_from, w.own_to))
        firsts = [i for i in w.word_index if i >= 0]
        assert firsts == list(range(w.first_word, w.last_word))
    assert owned == list(range(n_words))  # every word owned exactly once, in order


@pytest.mark.parametrize("max_len", [16, 64, 256])
def test_windows_cover_all_words_within_limit(tiny_tokenizer, max_len):
    enc = WordEncoder(tiny_tokenizer, max_length=max_len, stride=8)
    words = to_words(LONG_TEXT, "syllable")
    windows = enc.windows(words)
    _check_windows(windows, len(words), max_len)
    assert any(windows[k].first_word < windows[k - 1].last_word for k in range(1, len(windows)))  # overlaps


def test_long_token_and_unknown_characters(tiny_tokenizer):
    enc = WordEncoder(tiny_tokenizer)
    url = "https://example.org/" + "a1b2c3" * 340  # ~2,000 characters, no spaces
    words = to_words(f"Xem {url} và 😀 ký tự lạ ☃", "syllable")
    for w in words:
        ids = enc.word_ids(w.text)
        assert 1 <= len(ids) <= MAX_PIECES_PER_WORD
    assert enc.truncated_words >= 1
    _check_windows(enc.windows(words), len(words))
    assert enc.word_ids("\u200b") == (tiny_tokenizer.unk_token_id,) or enc.word_ids("\u200b")


def test_empty_document_has_no_windows(tiny_tokenizer):
    assert WordEncoder(tiny_tokenizer).windows([]) == []


def test_max_length_above_positions_is_refused(tiny_tokenizer):
    with pytest.raises(ValueError):
        WordEncoder(tiny_tokenizer, max_length=257)


def test_real_phobert_tokenizer_windows(phobert_dir):
    from transformers import PhobertTokenizer

    tok = PhobertTokenizer(vocab_file=str(phobert_dir / "vocab.txt"), merges_file=str(phobert_dir / "bpe.codes"))
    enc = WordEncoder(tok)
    assert enc.word_ids("Tỉnh_uỷ") == tuple(tok.convert_tokens_to_ids(["Tỉnh_uỷ"]))
    words = to_words(LONG_TEXT * 3, "pyvi")
    _check_windows(enc.windows(words), len(words))


def test_decoder_repairs_and_spans():
    assert repair_bio(["I-ORG", "I-ORG", "O", "B-DATE", "I-PERSON"]) == ["B-ORG", "I-ORG", "O", "B-DATE", "B-PERSON"]
    assert tags_to_word_spans(["B-ORG", "I-ORG", "B-ORG", "O", "B-DATE"]) == [(0, 2, "ORG"), (2, 3, "ORG"), (4, 5, "DATE")]


def test_decode_uses_owning_window(tiny_tokenizer):
    enc = WordEncoder(tiny_tokenizer, max_length=16, stride=6)
    raw = "Ông " + ", ".join(["An"] * 40)
    words = to_words(raw, "syllable")
    windows = enc.windows(words)
    labels = id2label()
    b_person = [k for k, v in labels.items() if v == "B-PERSON"][0]
    outside = [k for k, v in labels.items() if v == "O"][0]
    logits = []
    for w in windows:
        lg = np.zeros((len(w), len(labels)), dtype=np.float32)
        for t, wi in enumerate(w.word_index):
            if wi >= 0 and w.own_from <= wi < w.own_to:  # only the owning window knows the answer
                lg[t, b_person if words[wi].text == "An" else outside] = 5.0
        logits.append(lg)
    probs = word_probabilities(windows, logits, len(words), len(labels))
    spans = decode(words, probs, labels)
    assert [raw[s.start:s.end] for s in spans] == ["An"] * 40
    assert all(s.label == "PERSON" for s in spans)


def test_viterbi_keeps_spans_whole():
    from model.decode import viterbi

    labels = id2label()
    ix = {v: k for k, v in labels.items()}
    probs = np.full((3, len(labels)), 0.01, dtype=np.float32)
    # argmax would say B-ROLE, I-ORG, I-ROLE: three broken spans
    probs[0, ix["B-ROLE"]] = 0.9
    probs[1, ix["I-ORG"]], probs[1, ix["I-ROLE"]] = 0.5, 0.4
    probs[2, ix["I-ROLE"]] = 0.9
    assert [labels[int(i)] for i in viterbi(probs, labels)] == ["B-ROLE", "I-ROLE", "I-ROLE"]
    # a sequence may not start inside an entity
    probs2 = np.full((1, len(labels)), 0.01, dtype=np.float32)
    probs2[0, ix["I-DATE"]] = 0.9
    probs2[0, ix["B-DATE"]] = 0.05
    assert labels[int(viterbi(probs2, labels)[0])] == "B-DATE"


def test_viterbi_does_not_start_a_same_type_entity_right_after_one():
    from model.decode import viterbi

    labels = id2label()
    ix = {v: k for k, v in labels.items()}
    probs = np.full((2, len(labels)), 0.01, dtype=np.float32)
    # `ngày` | `6/7`: the model says B-DATE twice; with the words adjacent it must be one span
    probs[0, ix["B-DATE"]] = 0.9
    probs[1, ix["B-DATE"]], probs[1, ix["I-DATE"]] = 0.6, 0.3
    assert [labels[int(i)] for i in viterbi(probs, labels, np.array([True]))] == ["B-DATE", "I-DATE"]
    # across a sentence boundary two entities of one type may follow each other
    assert [labels[int(i)] for i in viterbi(probs, labels, np.array([False]))] == ["B-DATE", "B-DATE"]


def test_bpe_learning_is_deterministic_and_covers_its_words(tiny_docs, tmp_path):
    """Same words -> byte-identical vocab.txt and bpe.codes, so seeded training reproduces."""
    from transformers import PhobertTokenizer

    from training.bpe import learn_bpe, learn_merges

    words = [w.text for d in tiny_docs for w in to_words(d.text)]
    a = learn_bpe(words, tmp_path / "a", vocab_size=300, min_frequency=1)
    b = learn_bpe(list(reversed(words)), tmp_path / "b", vocab_size=300, min_frequency=1)
    for name in ("vocab.txt", "bpe.codes"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    tok = PhobertTokenizer(vocab_file=str(a / "vocab.txt"), merges_file=str(a / "bpe.codes"))
    pieces = [p for w in words for p in tok.tokenize(w)]
    assert pieces and tok.unk_token not in pieces
    # ties go to the smallest pair; counts decide first
    _, merges = learn_merges({"ab": 3, "cd": 3, "ef": 5}, vocab_size=100, min_frequency=1)
    assert merges[:3] == [("e", "f</w>"), ("a", "b</w>"), ("c", "d</w>")]


def _confident(tags: list[str]) -> np.ndarray:
    """Word probabilities that put 0.9 on each given tag."""
    ix = {v: k for k, v in id2label().items()}
    probs = np.full((len(tags), len(ix)), 0.01, dtype=np.float32)
    for i, tag in enumerate(tags):
        probs[i, ix[tag]] = 0.9
    return probs


def test_decoder_drops_dates_without_a_number():
    """The spec: a DATE always holds a number (digits, Roman numerals, a month or day in
    words); bare `ngày`/`năm`, `năm nay`, `cuối năm` and clock times are never DATE."""
    from model.decode import best_tags, is_calendar_expression
    from model.segment import Word

    for forms in (["ngày", "6/7"], ["năm", "2020"], ["quý", "III"], ["tháng_Giêng"], ["tháng", "năm"],
                  ["sáu", "tháng", "đầu", "năm"], ["2020", "-", "2025"]):
        assert is_calendar_expression(forms), forms
    for forms in (["ngày"], ["năm"], ["năm_nay"], ["cuối", "năm"], ["cùng", "ngày"], ["07:30"], ["14h30"]):
        assert not is_calendar_expression(forms), forms

    labels = id2label()
    raw = "cùng ngày 6/7 và ngày"
    words = [Word("cùng", 0, 4, 0), Word("ngày", 5, 9, 0), Word("6/7", 10, 13, 0),
             Word("và", 14, 16, 0), Word("ngày", 17, 21, 0)]
    probs = _confident(["O", "B-DATE", "I-DATE", "O", "B-DATE"])
    assert best_tags(words, probs, labels) == ["O", "B-DATE", "I-DATE", "O", "O"]
    assert [raw[s.start:s.end] for s in decode(words, probs, labels)] == ["ngày 6/7"]


def test_decoder_drops_docs_made_of_kind_words_alone():
    """The spec: a DOC says which document (number, symbol or name); `Luật`, `Nghị quyết số`,
    `Quyết định này` alone are generic mentions or back-references."""
    from model.decode import best_tags, names_a_document
    from model.segment import Word

    for forms in (["Nghị_quyết", "số", "57-NQ/TW"], ["Luật", "Quy_hoạch"], ["Đề_án", "03"],
                  ["Nghị_quyết", "Đại_hội", "XIII"], ["Điều_lệ", "Đảng"], ["Hiến_pháp"], ["NQTW8"]):
        assert names_a_document(forms), forms
    for forms in (["Luật"], ["Nghị_quyết", "số"], ["Quyết_định", "này"], ["Bộ_luật"], ["Thông_tư", "trên"]):
        assert not names_a_document(forms), forms

    words = [Word("theo", 0, 4, 0), Word("Luật", 5, 9, 0), Word("và", 10, 12, 0),
             Word("Luật", 13, 17, 0), Word("Đất_đai", 18, 25, 0)]
    probs = _confident(["O", "B-DOC", "O", "B-DOC", "I-DOC"])
    assert best_tags(words, probs, id2label()) == ["O", "O", "O", "B-DOC", "I-DOC"]
