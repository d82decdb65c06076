# The two commands that matter: `make run` and `make test` (see README.md).
SHELL := /bin/bash

.PHONY: run run-scaled test setup train shell tickets lint clean eval-nlu bench profile

run:
	bash scripts/run.sh

# The same assistant scaled out: PostgreSQL, Redis, 2 Rasa servers, 2 action servers (docs/DEPLOYMENT.md).
run-scaled:
	TOPUP_DEPLOYMENT=scaled bash scripts/run.sh

test:
	bash scripts/test.sh

setup:
	bash scripts/setup.sh

train: setup
	bash scripts/train.sh

shell:
	. scripts/env.sh && rasa shell --port 5006 --model models/topup.tar.gz --endpoints endpoints.yml --credentials credentials.yml

tickets:
	. scripts/env.sh && python -m topup.cli tickets

lint:
	. scripts/env.sh && ruff check .

clean:
	rm -rf build var results models/*.tar.gz models/.inputs.sha

eval-nlu: setup
	. scripts/env.sh && python -m nlu_eval.compare --out reports/nlu

bench: train
	. scripts/env.sh && python -m bench --out reports/bench

# Where the time goes: py-spy on the Rasa and action servers under saturation load -> reports/bench/PROFILE.md
profile: train
	. scripts/env.sh && python -m bench.profile --out reports/bench
