# CSDesk: `make run` opens the app, `make test` runs the whole suite.
# Both create the virtual environment on first use (and on Debian/Ubuntu, as
# root, install the few system libraries Qt needs: see tools/system-libs.sh).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSLIBS := PYTHON=$(PYTHON) VENV=$(VENV) sh tools/system-libs.sh

.PHONY: run test test-postgres bench dist lint clean

$(STAMP): pyproject.toml
	@$(SYSLIBS) venv
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,dist]"
	touch $(STAMP)

run: $(STAMP)
	@$(SYSLIBS) gui
	$(BIN)/csdesk

test: $(STAMP)
	@$(SYSLIBS) offscreen
	QT_QPA_PLATFORM=offscreen CSDESK_TEST_DB= $(BIN)/python -m pytest

# The suite again with every database test on a local PostgreSQL server (tools/pg-local.sh starts
# one on 127.0.0.1, installing the Debian package as root if needed). CSDESK_TEST_DB=URL uses yours.
test-postgres: $(STAMP)
	@$(SYSLIBS) offscreen
	QT_QPA_PLATFORM=offscreen CSDESK_TEST_DB="$${CSDESK_TEST_DB:-$$(sh tools/pg-local.sh start)}" \
	CSDESK_TEST_POSTGRES_URL="$${CSDESK_TEST_POSTGRES_URL:-$$(sh tools/pg-local.sh admin-url)}" \
	$(BIN)/python -m pytest

bench: $(STAMP)
	@$(SYSLIBS) offscreen
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest tests/benchmarks -o addopts="" -o norecursedirs="" --timeout=3600 -p no:cacheprovider

# One-folder frozen build in dist/csdesk/, then its self-test.
dist: $(STAMP)
	@$(SYSLIBS) offscreen
	@start=$$(date +%s); \
	$(BIN)/pyinstaller --noconfirm --clean --log-level WARN build.spec && \
	echo "dist: built dist/csdesk in $$(( $$(date +%s) - start )) s ($$(du -sh dist/csdesk | cut -f1))"
	QT_QPA_PLATFORM=offscreen dist/csdesk/csdesk --selftest

lint: $(STAMP)
	$(BIN)/ruff check cli csdesk db ui tests

clean:
	rm -rf $(VENV) build dist
