# Two commands for a new user (see README): `make run` and `make test`.
# Everything installs into .venv; torch is installed first and pinned, so pip takes the CPU wheel.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(PY) -m pip
export HF_HUB_OFFLINE=1
export TRANSFORMERS_OFFLINE=1
export HF_HUB_DISABLE_PROGRESS_BARS=1
export TOKENIZERS_PARALLELISM=false

.PHONY: run test bench install install-test browser clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install -q -e '.[test]'
	@# The browser tests drive a real headless Chromium (Debian's package); install it when we can.
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
	  && (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } \
	  || echo "note: chromium is not installed; the browser tests will be skipped (apt-get install chromium)"
	touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	$(VENV)/bin/insights run

test: install-test
	$(PY) -m pytest -q

# The performance benchmark (not part of the tests): 10, 100 and 500 generated calls, with the spaCy and BERTopic
# references (BERTopic is installed for the benchmark only). About an hour on 2 cores; see bench/performance.py.
bench: install
	$(PIP) install -q -r bench/requirements.txt
	$(PY) bench/performance.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) reports/*/ insights.sqlite*
