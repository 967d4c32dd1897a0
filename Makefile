# make demo  : set up, train (or reuse) the compact offline model, predict, print scores
# make test  : set up and run the test suite
# make pretrain : the three masked-LM stages of the compact encoder (hours on a CPU), then models/$(ENCODER)
PY      ?= python3
VENV    ?= .venv
BIN     := $(VENV)/bin
BASE    ?=
CONFIG  ?= compact_pretrained
ENCODER ?= vn-news-roberta-compact
FILES   ?=
STAMP   := $(VENV)/.installed
# the corpus splits are built from the inline-tag sources, not kept in git
SPLITS  := annotations/corpus/train.jsonl

.PHONY: setup demo test corpus clean pretrain

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q torch==2.13.0
	$(BIN)/python -m pip install -q -e '.[test,underthesea,serve,pretrain,ray]'
	touch $(STAMP)

$(SPLITS): $(STAMP) $(wildcard annotations/authoring/*/*.txt)
	$(BIN)/python -m scripts.corpus build

setup: $(STAMP) $(SPLITS)

corpus: setup
	$(BIN)/python -m scripts.corpus build

demo: setup
	$(BIN)/python -m scripts.demo --config $(CONFIG) $(if $(BASE),--base $(BASE)) $(FILES)

pretrain: setup
	$(BIN)/python -m scripts.pretrain --config training/configs/pretrain_compact.yaml
	$(BIN)/python -m scripts.pretrain --config training/configs/pretrain_compact_short.yaml
	$(BIN)/python -m scripts.pretrain --config training/configs/pretrain_compact_full.yaml --export models/$(ENCODER)

test: setup
	$(BIN)/python -m pytest -q -p no:cacheprovider

clean:
	rm -rf .cache outputs
