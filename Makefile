# Caseload: the README's commands. Only Python 3 and make are needed beforehand.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: install run test test-postgres bench lint format migrate clean

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

bench: install
	$(PY) -m tests.bench $(BENCH_ARGS)

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

clean:
	rm -rf $(VENV) var build *.egg-info
