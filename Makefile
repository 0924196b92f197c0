# azbackup.vmprep - developer entry points. `make demo` and `make test` are the README's promise.
SHELL := /bin/bash
VENV ?= $(CURDIR)/.venv
BIN := $(VENV)/bin
export VENV
export PATH := $(BIN):$(subst $(BIN):,,$(PATH))
PYTEST := $(BIN)/python -m pytest

.PHONY: help venv lint ruff ansible-lint changelog-lint sanity unit sandbox-test integration faults roles test demo bench reliability sandbox clean

help:
	@echo "make demo    - start the local ARM sandbox and run the example playbooks against it"
	@echo "make test    - everything CI runs: lint, sanity, unit, sandbox, integration and role tests"
	@echo "make bench   - side-by-side benchmarks with azure.azcollection"
	@echo "make reliability - the full fault matrix, fuzzing, secrets, check mode and job slicing"
	@echo "make sandbox - start the ARM sandbox in the foreground"

venv:
	@scripts/venv.sh

lint: ruff ansible-lint changelog-lint

changelog-lint: venv
	cd $(CURDIR) && $(BIN)/antsibull-changelog lint

ruff: venv
	$(BIN)/ruff check plugins tests scripts

ansible-lint: venv
	scripts/ansible-lint.sh

sanity: venv
	scripts/sanity.sh

unit: venv
	$(PYTEST) -q tests/unit

sandbox-test: venv
	$(PYTEST) -q tests/sandbox/tests

integration: venv
	AZBACKUP_FUZZ_EXAMPLES=$${AZBACKUP_FUZZ_EXAMPLES:-200} $(PYTEST) -q -p no:cacheprovider tests/integration

# A fast subset of the fault matrix: the idempotence and convergence tests under transient faults, busy answers
# (with and without Retry-After, and as the final state of long-running operations), lost answers and busy windows.
FAULT_SUBSET_PROFILES ?= transient busy lost-answer busy-window
faults: venv
	@rc=0; for profile in $(FAULT_SUBSET_PROFILES); do \
	  $(PYTEST) -q -p no:cacheprovider tests/integration --fault-profile $$profile -k "foundation or idempot or converge" || rc=1; \
	done; exit $$rc

roles: venv
	@if [ -x tests/roles/run.sh ]; then tests/roles/run.sh; else echo "roles: no role tests yet"; fi

test: lint sanity unit sandbox-test integration faults roles
	@echo "make test: all suites passed"

demo: venv
	scripts/demo.sh

bench: venv
	scripts/bench.sh

reliability: venv
	scripts/reliability.sh

sandbox: venv
	$(BIN)/python tests/sandbox/run.py --state-dir .sandbox --fixtures tests/sandbox/fixtures/seed.json --port 8443

clean:
	rm -rf build .sandbox tests/output .pytest_cache
