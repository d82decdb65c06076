# The two commands that matter: `make run` and `make test` (see README.md).
SHELL := /bin/bash

.PHONY: run run-scaled run-dujiaoka run-acgfaka test setup train shell tickets lint clean eval-nlu bench profile fuzz

run:
	bash ops/scripts/run.sh

# The same assistant scaled out: PostgreSQL, Redis, 2 Rasa servers, 2 action servers behind nginx
# (docs/DEPLOYMENT.md). It needs its secrets and agent accounts set, and says which when they are not.
run-scaled:
	TOPUP_DEPLOYMENT=scaled TOPUP_DEMO_ORDERS="$${TOPUP_DEMO_ORDERS:-1}" bash ops/scripts/run.sh

# The same demo on a platform's own database (MariaDB on 127.0.0.1:3306): docs/PLATFORMS.md.
run-dujiaoka:
	bash ops/scripts/run-platform.sh dujiaoka

run-acgfaka:
	bash ops/scripts/run-platform.sh acgfaka

test:
	bash ops/scripts/test.sh

setup:
	bash ops/scripts/setup.sh

train: setup
	bash ops/scripts/train.sh

shell:
	. ops/scripts/env.sh && rasa shell --port 5006 --model models/topup.tar.gz --endpoints endpoints.yml

tickets:
	.venv/bin/python -m topup.cli tickets

lint:
	.venv/bin/ruff check .

clean:
	rm -rf build var results models/*.tar.gz models/.inputs.sha

eval-nlu: setup
	PATH="$$PWD/.venv/bin:$$PATH" python -m ops.nlu_eval.compare --out reports/nlu

# The conversation fuzzer, longer than the test command's run: 20,000 seeded walks through the engine on the real
# services with the trained NLU, every turn checked (tests/dialogue/fuzzer.py). FUZZ_WALKS and FUZZ_SEED change it.
fuzz: train
	PATH="$$PWD/.venv/bin:$$PATH" python -m tests.dialogue.fuzzer --walks $${FUZZ_WALKS:-20000} --seed $${FUZZ_SEED:-1}

bench: train
	PATH="$$PWD/.venv/bin:$$PATH" python -m ops.bench --out reports/bench
	PATH="$$PWD/.venv/bin:$$PATH" python -m ops.bench.platforms --out reports/bench
	PATH="$$PWD/.venv/bin:$$PATH" python -m ops.bench.queue --out reports/bench
	PATH="$$PWD/.venv/bin:$$PATH" python -m ops.bench.reports --out reports/bench
	PATH="$$PWD/.venv/bin:$$PATH" python -m ops.bench.delivery --out reports/bench

# Where the time goes: py-spy on the Rasa and action servers under saturation load -> reports/bench/PROFILE.md
profile: train
	PATH="$$PWD/.venv/bin:$$PATH" python -m ops.bench.profile --out reports/bench
