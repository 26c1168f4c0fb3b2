# The two commands of the README:  `make run`  and  `make test`.  Both set everything up first.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test lint eval report bench browser train

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	# CPU build of torch (sentence-transformers backend); a plain `torch` would pull a multi-GB CUDA build.
	$(BIN)/pip install -q "torch==2.13.0"
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

# Builds the index if it is missing or stale, then serves the web chat on http://127.0.0.1:7860
run: setup
	$(BIN)/python -m assistant ingest --quiet
	$(BIN)/python app.py

browser:
	bash scripts/install-browser.sh

test: setup browser
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check assistant evals tests app.py

# The spent parents' sets and new-documents sets `make eval` reruns (evals/README.md says what each one is)
PARENT_SETS := train dev test7 test8 test9 test10 test11 test12 test13 test14
NEWDOCS_SETS := 3 5 6 7 8 9 10 11 12 13
PARENT_OUT := $(PARENT_SETS:%=evals/out/parents_%.json)
NEWDOCS_OUT := $(NEWDOCS_SETS:%=evals/out/newdocs%_now.json)

eval: setup
	$(BIN)/python -m evals.run --mode all --output evals/out/run.json
	$(BIN)/python -m evals.run --dataset evals/heldout.jsonl --output evals/out/heldout.json
	$(BIN)/python -m evals.run --dataset evals/final_check.jsonl --output evals/out/final_check.json
	for s in $(PARENT_SETS); do \
		$(BIN)/python -m evals.run --dataset evals/parents/$$s.jsonl --output evals/out/parents_$$s.json || exit 1; \
	done
	$(BIN)/python -m evals.newdocs --output evals/out/newdocs.json
	for n in $(NEWDOCS_SETS); do \
		$(BIN)/python -m evals.newdocs --docs evals/newdocs$$n/docs --questions evals/newdocs$$n/questions.jsonl \
			--output evals/out/newdocs$${n}_now.json || exit 1; \
	done
	$(BIN)/python -m evals.report evals/out/run.*.json --other evals/out/heldout.json evals/out/final_check.json \
		$(PARENT_OUT) evals/out/newdocs.json $(NEWDOCS_OUT)

# Write the question memory and refit the learned chunk ranker, sentence scorer, answerability and trust models
# (every spent part of the parents' bank)
train: setup
	$(BIN)/python -m evals.train

bench: setup
	$(BIN)/python -m evals.bench
