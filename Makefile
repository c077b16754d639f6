# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(CURDIR)/$(VENV)/bin/python
INSTALLED := $(VENV)/.installed
# Each service is its own Django project, so each gets its own pytest run; `tests/` holds
# the cross-service tests that start real service processes.
TEST_DIRS := common user_svc product_svc order_svc payment_svc gateway_svc tests

.PHONY: install run test lint format

$(INSTALLED): requirements/*.txt common/pyproject.toml testing/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements/dev.txt
	touch $(INSTALLED)

install: $(INSTALLED)

# Development mode for the processes `run` starts (local secrets and keys, generated once);
# DEBUG unset is production, which refuses to start without real secrets.
run: export DEBUG ?= 1
run: install
	$(PY) manage_all.py migrate --noinput
	$(PY) manage_all.py collectstatic --noinput --verbosity 0
	$(PY) manage_all.py seed
	$(PY) manage_all.py run

test: install
	@failed=""; \
	for dir in $(TEST_DIRS); do \
		echo "== tests: $$dir"; \
		(cd $$dir && $(PY) -m pytest $(PYTEST_ARGS)) || failed="$$failed $$dir"; \
	done; \
	if [ -n "$$failed" ]; then echo "!! tests failed in:$$failed"; exit 1; fi; \
	echo "== all tests passed"

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
