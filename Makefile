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

eval: setup
	$(BIN)/python -m evals.run --mode all --output evals/out/run.json
	$(BIN)/python -m evals.run --dataset evals/heldout.jsonl --output evals/out/heldout.json
	$(BIN)/python -m evals.run --dataset evals/final_check.jsonl --output evals/out/final_check.json
	$(BIN)/python -m evals.run --dataset evals/parents/train.jsonl --output evals/out/parents_train.json
	$(BIN)/python -m evals.run --dataset evals/parents/dev.jsonl --output evals/out/parents_dev.json
	$(BIN)/python -m evals.newdocs --output evals/out/newdocs.json
	$(BIN)/python -m evals.newdocs --docs evals/newdocs3/docs --questions evals/newdocs3/questions.jsonl \
		--output evals/out/newdocs3_now.json
	$(BIN)/python -m evals.run --dataset evals/parents/test7.jsonl --output evals/out/parents_test7.json
	$(BIN)/python -m evals.newdocs --docs evals/newdocs5/docs --questions evals/newdocs5/questions.jsonl \
		--output evals/out/newdocs5_now.json
	$(BIN)/python -m evals.newdocs --docs evals/newdocs6/docs --questions evals/newdocs6/questions.jsonl \
		--output evals/out/newdocs6_now.json
	$(BIN)/python -m evals.run --dataset evals/parents/test8.jsonl --output evals/out/parents_test8.json
	$(BIN)/python -m evals.newdocs --docs evals/newdocs7/docs --questions evals/newdocs7/questions.jsonl \
		--output evals/out/newdocs7_now.json
	$(BIN)/python -m evals.run --dataset evals/parents/test9.jsonl --output evals/out/parents_test9.json
	$(BIN)/python -m evals.newdocs --docs evals/newdocs8/docs --questions evals/newdocs8/questions.jsonl \
		--output evals/out/newdocs8_now.json
	$(BIN)/python -m evals.run --dataset evals/parents/test10.jsonl --output evals/out/parents_test10.json
	$(BIN)/python -m evals.newdocs --docs evals/newdocs9/docs --questions evals/newdocs9/questions.jsonl \
		--output evals/out/newdocs9_now.json
	$(BIN)/python -m evals.run --dataset evals/parents/test11.jsonl --output evals/out/parents_test11.json
	$(BIN)/python -m evals.newdocs --docs evals/newdocs10/docs --questions evals/newdocs10/questions.jsonl \
		--output evals/out/newdocs10_now.json
	$(BIN)/python -m evals.report evals/out/run.*.json --other evals/out/heldout.json evals/out/final_check.json \
		evals/out/parents_train.json evals/out/parents_dev.json evals/out/parents_test7.json \
		evals/out/parents_test8.json evals/out/parents_test9.json evals/out/parents_test10.json evals/out/parents_test11.json \
		evals/out/newdocs.json evals/out/newdocs3_now.json evals/out/newdocs5_now.json evals/out/newdocs6_now.json \
		evals/out/newdocs7_now.json evals/out/newdocs8_now.json evals/out/newdocs9_now.json \
		evals/out/newdocs10_now.json

# Write the question memory and refit the learned chunk ranker, sentence scorer, answerability and trust models
# (every spent part of the parents' bank)
train: setup
	$(BIN)/python -m evals.train

bench: setup
	$(BIN)/python -m evals.bench
