# PoseForge developer commands. `make run` and `make test` are the two you need.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export PATH := $(BIN):$(PATH)
NPM := cd frontend && npm

.PHONY: run test setup deps node frontend lint fmt migrate pytest test-frontend api-types bench-training bench-unlabeled bench-frames bench-inference bench-al bench-al-signals bench-saves bench-multianimal bench-tracking reliability clean

run: setup  ## set everything up, then start web + worker with the demo project
	$(BIN)/python manage.py serve

test: setup lint pytest test-frontend  ## every test: lint, Python (+ browser e2e), frontend unit tests

setup: deps node frontend

deps: $(VENV)/.deps-installed

# torch goes first and alone: anything that pulls an unpinned torch would fetch a CUDA build.
$(VENV)/.deps-installed: requirements.txt requirements-ml.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -r requirements.txt -r requirements-ml.txt -r requirements-dev.txt
	touch $@

node: deps
	bash scripts/setup_node.sh $(VENV)

frontend: node frontend/dist/index.html

frontend/dist/index.html: frontend/package.json frontend/package-lock.json $(shell find frontend/src frontend/index.html frontend/vite.config.ts -type f 2>/dev/null)
	$(NPM) ci --no-audit --no-fund --loglevel=error
	$(NPM) run build

lint: deps node frontend
	$(BIN)/ruff check .
	$(NPM) run typecheck

# frontend/src/types/schema.gen.ts from the OpenAPI schema; tests/test_api_contract.py fails when stale.
api-types: deps node
	bash scripts/gen_api_types.sh

fmt:
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format backend ml_worker tests bench scripts manage.py

migrate: deps
	$(BIN)/python manage.py migrate

# Then every test that touches media again, against a real S3 server (moto, 127.0.0.1).
pytest: deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)
	PYTEST_MEDIA_STORAGE=s3 $(BIN)/python -m pytest -m 'media and not reliability and not e2e' $(PYTEST_ARGS)

test-frontend: node frontend
	$(NPM) test

bench-training: deps  ## three data sets, then the unlabeled-frame options (bench-unlabeled)
	$(BIN)/python bench/training.py
	$(MAKE) bench-unlabeled

bench-unlabeled: deps  ## pretrained encoder / pseudo-labels vs none, at 20 and all labels
	$(BIN)/python bench/unlabeled.py --seeds 0,1 --steps 600 --pretrain-steps 600 --seconds 80000 \
		--pretrain-seconds 80000
	$(BIN)/python bench/unlabeled.py --seeds 2,3 --arms baseline,pretrained_encoder --steps 600 \
		--pretrain-steps 600 --seconds 80000 --pretrain-seconds 80000

clean:
	rm -rf $(VENV) frontend/node_modules frontend/dist var

bench-frames: deps
	$(BIN)/python bench/frames.py

bench-inference: deps
	$(BIN)/python bench/inference.py

bench-al: deps  ## step budgets: the same figures on a busy or a quiet machine (~1 h per pool on 2 cores)
	$(BIN)/python bench/active_learning.py --pools centered-pair --arms default --steps 300 \
		--first-steps 600 --max-labels 50
	$(BIN)/python bench/active_learning.py --pools openfield-video --arms default \
		--steps 250 --first-steps 500 --max-labels 40 --reference-steps 1000 --video-stride 8 \
		--reference-min-score 0.5
	$(BIN)/python bench/al_all_labels.py --pools centered-pair --steps 300 --first-steps 600 \
		--max-labels 50
	$(BIN)/python bench/al_all_labels.py --pools openfield-video --steps 250 --first-steps 500 \
		--max-labels 40 --reference-steps 1000 --video-stride 8 --reference-min-score 0.5

bench-al-signals: deps  ## one arm per sub-score and the greedy mix (the ablation), open-field video: ~5 h on 2 cores
	$(BIN)/python bench/active_learning.py --pools openfield-video \
		--arms default,greedy,uncertainty,disagreement,ensemble_disagreement,pose_outlier,diversity,temporal \
		--steps 250 --first-steps 500 --max-labels 40 --reference-steps 1000 --video-stride 8 \
		--reference-min-score 0.5

bench-saves: deps  ## label saves on gunicorn + PostgreSQL + Redis -> bench/results/saves.json
	$(BIN)/python bench/saves.py

bench-multianimal: deps  ## top-down vs bottom-up, 10 min each, 2 data sets -> bench/results/multi_animal.json
	$(BIN)/python bench/multi_animal.py $(BENCH_ARGS)

bench-tracking: deps  ## id switches / MOTA / IDF1 / tracks on synthetic + centered pair -> bench/results/tracking.json
	$(BIN)/python bench/tracking.py $(BENCH_ARGS)

reliability: deps  ## issue-7 proofs at full length -> bench/results/reliability.json
	$(BIN)/python bench/reliability.py
