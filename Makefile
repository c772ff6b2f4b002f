# chatapp: `make run` serves on http://localhost:$(PORT); `make test` runs the suite.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)
# Node packages pinned in package-lock.json: the web client's linter (Biome) and the OpenID provider the
# single sign-on tests run (oidc-provider). Reinstalled only when the lockfile changes.
NODE_STAMP := node_modules/.installed-$(shell cksum package-lock.json | cut -d' ' -f1)

# The test suite talks to the real services; these are the machine's defaults.
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/chatapp
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
# Test processes run in parallel (pytest-xdist), a test file per process at a time: each process has
# its own test databases and its own Redis database (TEST_REDIS_URL's number plus its index: 0-3 by
# default, tests/workers.py). TEST_WORKERS=0 runs everything in one process.
TEST_WORKERS ?= 4

.PHONY: run test fuzz chaos lint format venv migrate createsuperuser manage clean bench newman

venv: $(STAMP)

# The first run installs for about a minute: say so, and let pip show what it is doing.
$(STAMP): requirements.txt
	@test -x $(BIN)/python || { echo "Creating the virtualenv $(VENV) with $(PYTHON)..."; $(PYTHON) -m venv $(VENV); }
	@echo "Installing Python packages into $(VENV) (first run or requirements.txt changed: about a minute)..."
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar on -r requirements.txt
	@rm -f $(VENV)/.installed-* && touch $@
	@echo "Python packages installed."

$(NODE_STAMP): package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: the web client's linter and the SSO tests' OpenID provider install with it (apt-get install -y nodejs npm)"; exit 1; }
	npm ci --no-audit --no-fund
	@rm -f node_modules/.installed-* && touch $@

migrate: venv
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput

run: migrate
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py serve --port $${PORT:-8080}

# Management commands with the same defaults as `make run` (DEBUG, so a development secret; the same
# database), e.g. make manage ARGS=cleanup_tokens. ARGS=--noinput takes DJANGO_SUPERUSER_* from the env.
createsuperuser: migrate
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py createsuperuser $(ARGS)

manage: migrate
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py $(ARGS)

test: venv $(NODE_STAMP)
	@DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/python scripts/check_services.py
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)
	@echo "Search and its index again on the embedded SQLite (FTS5: the same API, another implementation)..."
	DATABASE_URL= REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/python -m pytest -q search messaging/tests/test_fulltext.py

# The Postman collection against a live server of its own (not part of `make test`; needs npm).
newman: venv
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/python scripts/newman.py

# Longer fuzzing: 200 schemathesis examples per operation, 10,000 WebSocket frames, fresh randomness.
fuzz: venv
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-200} WS_FUZZ_FRAMES=$${WS_FUZZ_FRAMES:-10000} WS_FUZZ_SOCKETS=$${WS_FUZZ_SOCKETS:-50} \
		FUZZ_RANDOM=$${FUZZ_RANDOM:-1} FUZZ_REPORT=var/fuzz-rest.json FUZZ_WS_REPORT=var/fuzz-ws.json \
		$(BIN)/python -m pytest tests/fuzz -p no:randomly $(PYTEST_ARGS)

# Fault injection on private Redis/PostgreSQL instances (ports 18700-18799); figures in var/chaos/.
chaos: venv
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} REDIS_URL=$${REDIS_URL:-$(TEST_REDIS_URL)} \
		$(BIN)/python -m pytest tests/chaos -m chaos -s $(PYTEST_ARGS)

# mypy's Django plugin imports the settings, which need DEBUG (a development secret) or SECRET_KEY.
# The web client stays in small modules, one per view or concern: the awk line fails for any over 300 lines.
lint: venv $(NODE_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DEBUG=true $(BIN)/mypy
	$(BIN)/lint-imports
	node_modules/.bin/biome ci --error-on-warnings static/js tests/js
	@awk 'FNR == 301 { print FILENAME ": over 300 lines, split it by concern"; long = 1 } END { exit long }' \
		$$(find static/js -name '*.js')

format: venv $(NODE_STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	node_modules/.bin/biome check --write static/js tests/js

# Benchmarks: not part of `make test` (minutes of load); see docs/benchmarks.md. BENCH_ARGS picks scenarios and sizes,
# e.g. make bench BENCH_ARGS="--scenarios fanout --targets chatapp,tutorial --size medium".
bench: venv
	$(BIN)/python -m pip install --quiet -r bench/requirements.txt
	$(BIN)/python -m bench.run --write-doc $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .ruff_cache .mypy_cache
