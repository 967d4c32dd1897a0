"""Masked-LM pretraining end to end on a tiny model and a few hundred documents built here."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest

from conftest import SHARED

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def raw_docs(tmp_path_factory) -> Path:
    """A few hundred short documents: the corpus' training paragraphs, as raw JSONL.gz."""
    from training.corpus import read_jsonl

    paras = [p for d in read_jsonl(ROOT / "annotations" / "corpus" / "train.jsonl")
             for p in d.text.split("\n") if len(p) > 200]
    path = tmp_path_factory.mktemp("raw") / "raw.jsonl.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        for i, p in enumerate(paras[:400]):
            fh.write(json.dumps({"id": f"p{i}", "text": p}, ensure_ascii=False) + "\n")
        fh.write(json.dumps({"id": "empty", "text": ""}) + "\n")
    return path


def tiny_cfg(raw: Path, work: Path, **kw):
    from training.pretrain import PretrainConfig

    base = dict(sources=[str(raw)], work_dir=str(work), output_dir=str(work / "encoder"), vocab_size=600,
                min_frequency=2, workers=1, heldout_every=10, max_length=64,
                model_config=dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=2,
                                  intermediate_size=128),
                learning_rate=3e-3, warmup_steps=5, batch_size=16, max_steps=60, logging_steps=10,
                eval_steps=30, save_steps=30, eval_rows=32, bf16=False, seed=3)
    base.update(kw)
    return PretrainConfig(**base)


def test_segmentation_is_order_stable_across_workers(raw_docs, tmp_path):
    from training.pretrain import segment_sources

    one = segment_sources(tiny_cfg(raw_docs, tmp_path / "w1", max_documents=60), progress=False)
    two = segment_sources(tiny_cfg(raw_docs, tmp_path / "w2", max_documents=60, workers=2), progress=False)
    for a, b in zip(one, two):
        assert a.read_text(encoding="utf-8") == b.read_text(encoding="utf-8")
    lines = one[0].read_text(encoding="utf-8").splitlines() + one[1].read_text(encoding="utf-8").splitlines()
    assert len(lines) == 60  # nothing lost: every non-empty document is either train or held out
    assert any("_" in w for w in lines[0].split())  # word-segmented, PhoBERT style


def test_broken_source_line_is_named(tmp_path):
    from training.pretrain import read_documents

    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "Xin chào"}\n{"id": "b"\n', encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl: line 2"):
        list(read_documents(bad))


def test_tokenizer_is_deterministic(raw_docs, tmp_path):
    from training.pretrain import learn_tokenizer, segment_sources

    cfg = tiny_cfg(raw_docs, tmp_path / "a")
    train_text, _ = segment_sources(cfg, progress=False)
    a = learn_tokenizer(cfg, train_text)
    b = learn_tokenizer(tiny_cfg(raw_docs, tmp_path / "b"), train_text)
    for f in ("vocab.txt", "bpe.codes"):
        assert (a / f).read_bytes() == (b / f).read_bytes()


def test_truncated_tokenizer_is_the_smaller_run(raw_docs, tmp_path):
    """BPE learning is greedy and ordered: the first merges of a 600-symbol run are a 400-symbol run."""
    from training.bpe import learn_bpe
    from training.pretrain import iter_words, segment_sources, truncate_tokenizer

    cfg = tiny_cfg(raw_docs, tmp_path / "w")
    train_text, _ = segment_sources(cfg, progress=False)
    big = learn_bpe(iter_words(train_text), tmp_path / "big", vocab_size=600, min_frequency=2, count_cap=None)
    small = learn_bpe(iter_words(train_text), tmp_path / "small", vocab_size=400, min_frequency=2, count_cap=None)
    n = len((small / "bpe.codes").read_text(encoding="utf-8").splitlines())
    cut = truncate_tokenizer(big, tmp_path / "cut", n)
    for f in ("bpe.codes", "vocab.txt"):
        assert sorted((cut / f).read_text().splitlines()) == sorted((small / f).read_text().splitlines())


def test_packing_and_whole_word_masking(raw_docs, tmp_path):
    from training.pretrain import WholeWordMaskCollator, prepare_data

    tokenizer, rows, _ = prepare_data(tiny_cfg(raw_docs, tmp_path), progress=False)
    assert len(rows) > 20
    row = rows[0]
    assert row["input_ids"][0] == tokenizer.cls_token_id and row["input_ids"][-1] == tokenizer.sep_token_id
    assert tokenizer.pad_token_id not in row["input_ids"].tolist()  # packed: no padding computed
    batch = WholeWordMaskCollator(tokenizer, 0.3, seed=0)([rows[i] for i in range(16)])
    labels = batch["labels"].numpy()
    ids = np.stack([rows[i]["input_ids"] for i in range(16)])
    starts = np.stack([rows[i]["word_starts"] for i in range(16)])
    masked = labels != -100
    assert 0.15 < masked[starts == 1].mean() < 0.45
    assert (labels[masked] == ids[masked]).all()
    assert not masked[:, 0].any() and not masked[:, -1].any()
    # whole words: a masked continuation piece always belongs to a masked word start
    for r in range(16):
        for t in range(1, ids.shape[1]):
            if masked[r, t] and starts[r, t] == 0:
                k = t
                while starts[r, k] == 0:
                    k -= 1
                assert masked[r, k]


def test_context_shuffle_moves_only_unmasked_inner_tokens():
    import torch

    from training.pretrain import shuffle_context

    ids = torch.arange(40).reshape(2, 20)
    labels = torch.full((2, 20), -100)
    labels[0, 5] = labels[1, 7] = labels[1, 8] = 1
    out = shuffle_context(ids, labels, seed=3)
    assert (out[:, 0] == ids[:, 0]).all() and (out[:, -1] == ids[:, -1]).all()
    assert out[0, 5] == 5 and out[1, 7] == 27 and out[1, 8] == 28
    for r in range(2):
        assert sorted(out[r].tolist()) == ids[r].tolist()  # a permutation within the row
    assert not out.equal(ids)
    assert shuffle_context(ids, labels, seed=3).equal(out)  # deterministic


def test_a_model_that_reads_context_has_a_context_gain():
    """A toy masked-LM whose answer is the token left of the mask: shuffling its context must
    cost it, and a model that predicts from the masked position alone loses nothing."""
    import torch

    from training.pretrain import heldout_metrics

    class Toy(torch.nn.Module):
        def __init__(self, look_left: bool):
            super().__init__()
            self.look_left, self.w = look_left, torch.nn.Parameter(torch.zeros(1))

        def roberta(self, input_ids):
            src = torch.roll(input_ids, 1, dims=1) if self.look_left else input_ids
            return type("Out", (), {"last_hidden_state": torch.nn.functional.one_hot(src, 50).float() * 10})()

        def lm_head(self, h):
            return h

    g = torch.Generator().manual_seed(0)
    ids = torch.randint(5, 50, (8, 30), generator=g)
    labels = torch.full_like(ids, -100)
    labels[:, 10] = ids[:, 9]  # the answer at position 10 is its left neighbour
    ids[:, 10] = 4  # <mask>
    batch = {"input_ids": ids, "labels": labels}
    reads = heldout_metrics(Toy(True), [batch])
    blind = heldout_metrics(Toy(False), [batch])
    assert reads["mlm_accuracy"] == 1.0 and reads["context_gain"] > 1.0
    assert blind["context_gain"] == 0.0


def test_pretraining_lowers_loss_resumes_and_fine_tunes(raw_docs, tmp_path, tiny_jsonl):
    from transformers import AutoModelForTokenClassification, RobertaForMaskedLM

    from training.pretrain import pretrain
    from training.train import TrainConfig, train

    work = tmp_path / "run"
    first = pretrain(tiny_cfg(raw_docs, work, max_steps=60), progress=False)
    log = [json.loads(l) for l in (work / "encoder" / "pretraining_log.jsonl").read_text().splitlines()]
    losses = [r["loss"] for r in log if "loss" in r]
    assert losses[-1] < losses[0] - 0.3  # a 2-layer model on 400 paragraphs: out of the uniform guess
    assert all("tokens_per_s" in r and "mlm_accuracy" in r for r in log if "loss" in r)
    assert "eval_mlm_accuracy" in first and isinstance(first["eval_context_gain"], float)
    assert (work / "checkpoints" / "checkpoint-60").is_dir()

    pretrain(tiny_cfg(raw_docs, work, max_steps=90), progress=False)  # resumes at step 60
    summary = json.loads((work / "encoder" / "pretraining_summary.json").read_text())
    assert summary["steps"] == 90 and summary["tokens_seen"] == 90 * 16 * 64
    steps = [r["step"] for r in map(json.loads, (work / "encoder" / "pretraining_log.jsonl").read_text().splitlines())]
    assert min(s for s in steps if s > 0) == 10 and max(steps) == 90

    from model.card import read_front_matter
    from training.pretrain import export_encoder

    shipped = export_encoder(tiny_cfg(raw_docs, work, max_steps=90, source_notes=["test text (CC BY-SA)"]),
                             tmp_path / "models" / "tiny-encoder")
    assert read_front_matter(shipped / "README.md")["pipeline_tag"] == "fill-mask"
    card = (shipped / "README.md").read_text(encoding="utf-8")
    assert f"Tokens seen: {90 * 16 * 64:,}" in card and "CC BY-SA" in card and "Held-out accuracy by step" in card
    enc = work / "encoder"
    assert (enc / "model.safetensors").is_file() and (enc / "vocab.txt").is_file()
    assert read_front_matter(enc / "README.md")["pipeline_tag"] == "fill-mask"  # every saved folder has its card
    RobertaForMaskedLM.from_pretrained(str(enc))
    clf = AutoModelForTokenClassification.from_pretrained(str(enc), num_labels=11)
    mlm = RobertaForMaskedLM.from_pretrained(str(enc))
    assert clf.roberta.embeddings.word_embeddings.weight.equal(mlm.roberta.embeddings.word_embeddings.weight)

    out = tmp_path / "ner"
    cfg = TrainConfig(train_file=str(tiny_jsonl), dev_file=str(tiny_jsonl), output_dir=str(out),
                      base_model=str(enc), init="pretrained", max_length=64, epochs=2, batch_size=8,
                      learning_rate=1e-3, logging_steps=100, seed=1)
    metrics = train(cfg)
    assert (out / "model.safetensors").is_file() and "dev" in metrics


def test_short_rows_are_framed_cuts_of_the_packed_rows(raw_docs, tmp_path):
    from training.pretrain import ShortRows, prepare_data, stage_rows

    cfg = tiny_cfg(raw_docs, tmp_path, row_length=18)
    tokenizer, rows, _ = prepare_data(cfg, progress=False)
    short = stage_rows(rows, cfg, tokenizer)
    assert isinstance(short, ShortRows) and len(short) == len(rows) * 3  # 62 inner tokens -> three of 16
    for i in (0, 1, 2, 5):
        r, k = rows[i // 3], i % 3
        item = short[i]
        assert len(item["input_ids"]) == 18
        assert item["input_ids"][0] == tokenizer.cls_token_id and item["input_ids"][-1] == tokenizer.sep_token_id
        assert item["input_ids"][1:-1].tolist() == r["input_ids"][1 + 16 * k:17 + 16 * k].tolist()
        assert item["word_starts"][1:-1].tolist() == r["word_starts"][1 + 16 * k:17 + 16 * k].tolist()
    assert stage_rows(rows, tiny_cfg(raw_docs, tmp_path), tokenizer) is rows
    with pytest.raises(ValueError, match="row_length"):
        ShortRows(rows, 65, tokenizer.cls_token_id, tokenizer.sep_token_id)


def test_a_stage_starts_from_the_last_and_counts_its_tokens(raw_docs, tmp_path):
    """Short rows first, then full rows from those weights: each stage has its own
    checkpoints, and the summary and card count the tokens of both."""
    from transformers import RobertaForMaskedLM

    from training.pretrain import pretrain

    work = tmp_path / "run"
    pretrain(tiny_cfg(raw_docs, work, row_length=32, max_steps=40, stop_after=20, checkpoint_dir=str(work / "ck-short"),
                      output_dir=str(work / "short")), progress=False)
    short = json.loads((work / "short" / "pretraining_summary.json").read_text())
    assert short["steps"] == 20 and short["tokens_seen"] == 20 * 16 * 32
    lrs = [json.loads(l).get("learning_rate") for l in (work / "short" / "pretraining_log.jsonl").read_text().splitlines()]
    assert min(lr for lr in lrs if lr is not None) > 3e-3 * 0.4  # stopped half-way through a 40-step schedule
    assert (work / "ck-short" / "checkpoint-20").is_dir()
    # a checkpoint is a valid start too: its log gives the tokens seen
    from training.pretrain import tokens_seen_by

    assert tokens_seen_by(work / "ck-short" / "checkpoint-20") == 20 * 16 * 32
    result = pretrain(tiny_cfg(raw_docs, work, init_from=str(work / "short"), max_steps=10,
                               output_dir=str(work / "full")), progress=False)
    full = json.loads((work / "full" / "pretraining_summary.json").read_text())
    assert full["steps"] == 10 and full["tokens_seen"] == 20 * 16 * 32 + 10 * 16 * 64
    assert full["init_from"] == str(work / "short") and "eval_context_gain" in result
    log = [json.loads(l) for l in (work / "full" / "pretraining_log.jsonl").read_text().splitlines()]
    assert [r["tokens_seen"] for r in log if "loss" in r][0] == 20 * 16 * 32 + 10 * 16 * 64
    card = (work / "full" / "README.md").read_text(encoding="utf-8")
    assert f"Tokens seen: {20 * 16 * 32 + 10 * 16 * 64:,}" in card and "in the stages before it" in card
    from training.pretrain import stage_history

    history = stage_history(work / "full")  # the curve of both stages, in tokens seen
    assert [(r["stage"], r["row_length"], r["tokens_seen"]) for r in history] == [
        (1, 32, 20 * 16 * 32), (2, 64, 20 * 16 * 32 + 10 * 16 * 64)]
    assert "Held-out curve over all stages" in card and all("context_gain" in r for r in history)
    RobertaForMaskedLM.from_pretrained(str(work / "full"))


def test_export_stage_of_the_cli(tmp_path, capsys):
    """`--stage export` copies a finished encoder without training; without one it says so."""
    from scripts.pretrain import main

    cfg = tmp_path / "p.yaml"
    cfg.write_text(f"sources: [a.jsonl]\nwork_dir: {tmp_path / 'w'}\noutput_dir: {tmp_path / 'enc'}\n",
                   encoding="utf-8")
    assert main(["--config", str(cfg), "--stage", "export"]) == 2
    assert main(["--config", str(cfg), "--stage", "export", "--export", str(tmp_path / "out")]) == 2
    assert "no finished encoder" in capsys.readouterr().err


def test_a_config_extends_another(tmp_path):
    from training.pretrain import load_pretrain_config

    (tmp_path / "base.yaml").write_text("sources: [a.jsonl]\nwork_dir: w\noutput_dir: o\nmax_steps: 10\n"
                                        "batch_size: 8\n", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "stage.yaml").write_text("extends: ../base.yaml\nrow_length: 32\nmax_steps: 20\n",
                                                 encoding="utf-8")
    cfg = load_pretrain_config(tmp_path / "sub" / "stage.yaml", {"batch_size": 4})
    assert (cfg.sources, cfg.row_length, cfg.max_steps, cfg.batch_size) == (["a.jsonl"], 32, 20, 4)
    (tmp_path / "loop.yaml").write_text("extends: loop.yaml\n", encoding="utf-8")
    with pytest.raises(ValueError, match="loops back"):
        load_pretrain_config(tmp_path / "loop.yaml")


@pytest.mark.skipif(not (SHARED / "pretrain" / "vntc_news.jsonl.gz").is_file(), reason="../shared/pretrain is absent")
def test_real_pretraining_text_segments(tmp_path):
    from training.pretrain import segment_sources

    cfg = tiny_cfg(SHARED / "pretrain" / "vntc_news.jsonl.gz", tmp_path, max_documents=5)
    train_text, held = segment_sources(cfg, progress=False)
    words = train_text.read_text(encoding="utf-8").split() + held.read_text(encoding="utf-8").split()
    assert len(words) > 500 and any("_" in w for w in words)


SHIPPED = ROOT / "models" / "vn-news-roberta-compact"


@pytest.mark.skipif(not (SHIPPED / "model.safetensors").is_file(), reason="no shipped encoder in models/")
def test_shipped_encoder_predicts_masked_words_and_fine_tunes(tiny_jsonl, tmp_path):
    """The committed encoder has learnt Vietnamese: it fills masked words of the corpus' own
    test documents (text it never saw) far above chance, and fine-tunes as a token classifier."""
    from transformers import PhobertTokenizer, RobertaForMaskedLM

    from model.encode import WordEncoder
    from model.segment import to_words
    from training.corpus import read_jsonl
    from training.pretrain import WholeWordMaskCollator, heldout_metrics
    from training.train import TrainConfig, train

    card = (SHIPPED / "README.md").read_text(encoding="utf-8")
    assert "tokens seen" in card.lower() and "CC BY-SA" in card
    tok = PhobertTokenizer.from_pretrained(str(SHIPPED))
    model = RobertaForMaskedLM.from_pretrained(str(SHIPPED))
    enc = WordEncoder(tok)
    rows = []
    for d in list(read_jsonl(ROOT / "annotations" / "corpus" / "test.jsonl"))[:6]:
        words = to_words(d.text[:1500], "pyvi")
        ids, starts = [tok.cls_token_id], [0]
        for w in words[:200]:
            p = enc.word_ids(w.text)
            ids += p
            starts += [1] + [0] * (len(p) - 1)
        ids, starts = ids[:255] + [tok.sep_token_id], starts[:255] + [0]
        rows.append({"input_ids": np.array(ids), "word_starts": np.array(starts)})
    n = min(len(r["input_ids"]) for r in rows)
    rows = [{k: v[:n] for k, v in r.items()} for r in rows]
    batch = WholeWordMaskCollator(tok, 0.15, seed=0)(rows)
    metrics = heldout_metrics(model, [batch])
    assert metrics["mlm_accuracy"] > 0.25, metrics  # a random model scores about 1 / 29,789
    assert metrics["context_gain"] > 0.5, metrics  # it reads the context, not only word frequencies

    out = tmp_path / "ner"
    cfg = TrainConfig(train_file=str(tiny_jsonl), dev_file=str(tiny_jsonl), output_dir=str(out),
                      base_model=str(SHIPPED), init="pretrained", max_steps=4, batch_size=8,
                      logging_steps=100, seed=1)
    train(cfg)
    assert (out / "model.safetensors").is_file()


def test_unknown_pretraining_setting_is_named(tmp_path):
    from training.pretrain import load_pretrain_config

    cfg = tmp_path / "p.yaml"
    cfg.write_text("sources: [a.jsonl]\nwork_dir: w\noutput_dir: o\nmax_step: 10\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown setting.*max_step"):
        load_pretrain_config(cfg)
    cfg.write_text("sources: [a.jsonl]\nwork_dir: w\noutput_dir: o\n", encoding="utf-8")
    assert load_pretrain_config(cfg, {"max_steps": 10}).max_steps == 10
