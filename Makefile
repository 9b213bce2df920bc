# Caseload: the README's commands. Only Python 3 and make are needed beforehand.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: install run test test-dates bench smoke restore-check lint format migrate clean

$(STAMP): setup.cfg requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip 'setuptools>=68' wheel
	$(PY) -m pip install --quiet -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

install: $(STAMP)

migrate: install
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py roles_sync

# Installs, migrates, loads the demo clinic once, then runs web + worker from the Procfile.
run: migrate
	test -f var/.demo-loaded || ($(PY) manage.py seed_demo && touch var/.demo-loaded)
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo ""
	@echo "  Caseload admin:   http://127.0.0.1:$(PORT)/admin/"
	@echo "  Therapist portal: http://127.0.0.1:$(PORT)/portal/"
	@echo "  Demo logins (password: caseload-demo-2026):"
	@echo "    admin    (administrator)   finance (finance)   reader (read-only)"
	@echo "    therapist (a therapist, portal)"
	@echo ""
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" PORT=$(PORT) honcho start -f Procfile web worker

test: install
	DJANGO_ENV=test $(PY) -m pytest $(PYTEST_ARGS)

# The suite on the days that break date code, each near local midnight where the UTC date is
# already (or still) another one: New Year's Day, 31 December, a month's last day and its 1st,
# and a mid-month day. Every date is run; the target fails if any failed.
TEST_DATES ?= 2027-01-01T00:30 2026-12-31T23:30 2027-02-28T23:45 2027-03-01T00:15 2026-12-15T12:00
test-dates: install
	@failed=""; for now in $(TEST_DATES); do \
		echo "========== the suite at $$now, Vancouver time =========="; \
		DJANGO_ENV=test $(PY) -m pytest -q --now=$$now $(PYTEST_ARGS) || failed="$$failed $$now"; \
	done; \
	if [ -n "$$failed" ]; then echo "FAILED at:$$failed"; exit 1; fi

bench: install
	$(PY) -m tests.bench $(BENCH_ARGS)

# Production on this machine (PostgreSQL and Redis on 127.0.0.1): nginx -> two gunicorn -> two
# Huey consumers, a month-end through it (tests/production/smoke.py; docs/deploy.md).
smoke: install
	$(PY) -m tests.production.smoke

# A backup restored into a fresh PostgreSQL database: row counts and documents compared
# (tests/production/restore.py; docs/deploy.md).
restore-check: install
	$(PY) -m tests.production.restore

# ruff, then the import layers of pyproject.toml (docs/architecture.md, Layers).
lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(VENV)/bin/lint-imports --no-cache --no-logo

format: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf $(VENV) var build *.egg-info
