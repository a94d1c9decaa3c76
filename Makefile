# Two set-up commands (see README.md):
#   make run    build the embedded world, load its frozen evaluators, evaluate every adapter, write the leaderboards
#   make test   run the test suite
# Both create .venv on first use: torch 2.13.0 first (the local CPU build), then the project with constraints.txt,
# and fetch WordNet (for METEOR) from Debian's packages into the suite's data folder.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
UNIPOSE_BENCH_HOME ?= $(HOME)/.cache/unipose-bench
export UNIPOSE_BENCH_HOME
export NLTK_DATA ?= $(UNIPOSE_BENCH_HOME)/nltk_data
export HF_HUB_OFFLINE ?= 1
export HF_DATASETS_OFFLINE ?= 1
export TOKENIZERS_PARALLELISM ?= false
PYTEST_ARGS ?= -m "not slow"

.PHONY: install wordnet smollm2 test test-all run clean
install: $(VENV)/.installed
wordnet: $(NLTK_DATA)/corpora/wordnet/lexnames
# SmolLM2-135M-Instruct (GGUF Q4_1), the language model of UniPose's CPU presets (models/unipose/language_model.py)
smollm2: $(UNIPOSE_BENCH_HOME)/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf

$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt torch==2.13.0
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[test,blazepose]'
	touch $@

$(NLTK_DATA)/corpora/wordnet/lexnames: scripts/fetch_wordnet.sh
	bash scripts/fetch_wordnet.sh $(NLTK_DATA)

$(UNIPOSE_BENCH_HOME)/models/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf: scripts/fetch_smollm2.sh
	PYTHON=$(PYTHON) bash scripts/fetch_smollm2.sh $(UNIPOSE_BENCH_HOME)/models/smollm2

test: install wordnet
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-all: PYTEST_ARGS =
test-all: test

run: install wordnet
	$(BIN)/unipose-bench run

clean:
	rm -rf $(VENV) .pytest_cache
