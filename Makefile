# The two commands README.rst promises: `make demo` and `make test`.
# Each creates .venv with the default python3 and installs what it needs.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_HOST ?= 127.0.0.1:8000

# On machines where pyenv manages the interpreters (ours and CI's), make every
# installed CPython 3.11+ visible at once, so tox finds python3.12 beside python3.11.
ifeq ($(origin PYENV_VERSION),undefined)
PYENV_ALL := $(shell pyenv versions --bare 2>/dev/null | grep -E '^3\.(1[1-9])\.[0-9]+$$' | sort -V | paste -sd: -)
ifneq ($(PYENV_ALL),)
export PYENV_VERSION := $(PYENV_ALL)
endif
endif

.PHONY: demo test lint docs check dist clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,lint,docs,redis]" "tox>=4.14"
	touch $@

demo: $(BIN)/.installed
	cd testproject && ../$(BIN)/python manage.py migrate --noinput
	cd testproject && ../$(BIN)/python manage.py createcachetable
	cd testproject && ../$(BIN)/python manage.py demo_setup
	# The WeChat emulator runs in the background on 127.0.0.1:8001 (where the demo's
	# settings point), and so does the task worker (manage.py db_worker: defer=True
	# handlers, broadcasts); both are stopped when runserver exits.
	cd testproject && { ../$(BIN)/python manage.py wechat_emulator --port 8001 & \
		emulator=$$!; \
		../$(BIN)/python manage.py db_worker --interval 0.5 --no-reload & \
		worker=$$!; \
		trap 'kill $$emulator $$worker 2>/dev/null; wait $$emulator $$worker' EXIT; \
		trap 'exit 130' INT TERM; \
		../$(BIN)/python manage.py runserver $(DEMO_HOST); }

lint: $(BIN)/.installed
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

docs: $(BIN)/.installed
	$(BIN)/sphinx-build -W --keep-going -q -b html docs docs/_build/html

# Lint, docs, then the whole suite on Python 3.11 + Django 5.2 and Python 3.12 + Django 6.
test: lint docs
	$(BIN)/tox run -e py311-django52,py312-django6 -- $(PYTEST_ARGS)

dist: $(BIN)/.installed
	rm -rf dist && $(BIN)/python -m build --sdist --wheel --outdir dist .

clean:
	rm -rf $(VENV) .tox dist build docs/_build *.egg-info

# Regenerate the catalogues from the source, fill in the Chinese from scripts/zh_hans.py
# and compile them; fails while a message has no translation. Needs GNU gettext.
.PHONY: messages
messages: $(BIN)/.installed
	cd django_wechat && ../$(BIN)/django-admin makemessages -l zh_Hans -l en
	$(BIN)/python scripts/zh_hans.py

# The documentation's screenshots (docs/images/), taken of the demo in Chromium.
.PHONY: screenshots
screenshots: $(BIN)/.installed
	PYTHONPATH=. $(BIN)/python scripts/docs_screenshots.py
