# azbackup.vmprep - developer entry points. `make demo` and `make test` are the README's promise.
SHELL := /bin/bash
VENV ?= $(CURDIR)/.venv
BIN := $(VENV)/bin
export VENV
export PATH := $(BIN):$(subst $(BIN):,,$(PATH))
PYTEST := $(BIN)/python -m pytest
# The lowest pass: every SDK at the lower bound of requirements.txt (scripts/venv.sh LOWEST=1).
VENV_LOWEST ?= $(CURDIR)/.venv-lowest
export VENV_LOWEST
# pytest-xdist workers of the integration suite (auto = one per core; 0 = no xdist). Each worker has its own sandbox.
INTEGRATION_JOBS ?= auto
XDIST := -n $(INTEGRATION_JOBS) --dist worksteal

.PHONY: help system venv venv-lowest lint ruff ansible-lint changelog-lint sanity unit compat sandbox-test integration integration-lowest faults roles test demo bench reliability sandbox sandbox-stop clean \
  sanity-oldest shellcheck packaging galaxy-importer ee-context release-notes docsite

help:
	@echo "make demo    - start the local ARM sandbox and run the example playbooks against it"
	@echo "make test    - everything CI runs: lint, shellcheck, sanity (newest and oldest ansible-core), packaging, galaxy-importer,"
	@echo "              unit, compat, sandbox, integration (newest and lowest SDKs) and role tests"
	@echo "make bench   - side-by-side benchmarks with azure.azcollection"
	@echo "make reliability - the full fault matrix, fuzzing, secrets, check mode and job slicing"
	@echo "make sandbox - start the ARM sandbox in the foreground"
	@echo "make ee-context - the execution environment's build context (build/ee) from the local tarball"
	@echo "make release-notes - antsibull-changelog release for galaxy.yml's version: CHANGELOG.md (maintainers, at release time)"
	@echo "make sandbox-stop - stop the demo's background ARM sandbox and remove its test VMs (make clean does too)"
	@echo "make system  - install the system packages of the role tests and the demo's test VMs (as root)"

# The system packages (podman, debootstrap, nftables ...): installed when root, otherwise a clear "run: sudo
# scripts/system-deps.sh". The first prerequisite of `make test` and `make roles`, so a machine without podman
# learns it in a second, not after 40 minutes of other suites. (The demo checks in scripts/demo.sh: its VMs are
# optional.)
system:
	@scripts/need-system.sh roles

venv:
	@scripts/venv.sh

venv-lowest:
	@LOWEST=1 scripts/venv.sh

lint: ruff ansible-lint changelog-lint

changelog-lint: venv
	cd $(CURDIR) && $(BIN)/antsibull-changelog lint

ruff: venv
	$(BIN)/ruff check plugins tests scripts

ansible-lint: venv
	scripts/ansible-lint.sh

sanity: venv
	scripts/sanity.sh

# Sanity on the oldest ansible-core that meta/runtime.yml's requires_ansible claims (.cache/venv-sanity-oldest).
sanity-oldest:
	scripts/sanity.sh --oldest

# ShellCheck over every shell script; fails when the program is missing (ansible-test sanity would skip it).
shellcheck:
	scripts/shellcheck.sh

# The tarball: allow-list (no tooling, tests, venvs), install + ansible-doc of everything with .venv's ansible-core
# and with the clean sanity-oldest venv; the execution environment's build context from that tarball.
packaging: venv
	scripts/venv-sanity-oldest.sh
	AZB_CLEAN_ANSIBLE_VENV=$(CURDIR)/.cache/venv-sanity-oldest $(PYTEST) -q -p no:cacheprovider tests/packaging

# galaxy-importer with Automation Hub's settings on the tarball (its own venv in .cache/venv-galaxy-importer).
galaxy-importer: venv
	scripts/galaxy-importer.sh

ee-context: venv
	scripts/ee-context.sh

# The guides as collection docsite pages (docs/docsite/rst, generated from docs/*.md and committed): fails when they
# are out of date (regenerate with scripts/docsite.sh), then antsibull-docs lint-collection-docs.
docsite: venv
	scripts/docsite.sh --check

# Maintainers, at release time: antsibull-changelog release for galaxy.yml's version (writes CHANGELOG.md and
# changelogs/changelog.yaml, removes the fragments). Not part of `make test`.
release-notes: venv
	scripts/release-notes.sh

unit: venv
	$(PYTEST) -q tests/unit

# pip resolves requirements.txt with azure.azcollection's requirements (current and 12.x bundles); needs PyPI.
compat: venv
	$(PYTEST) -q -p no:cacheprovider tests/compat

sandbox-test: venv
	$(PYTEST) -q tests/sandbox/tests

# The integration suite at the newest SDKs that requirements.txt allows (.venv) ...
integration: venv
	AZBACKUP_FUZZ_EXAMPLES=$${AZBACKUP_FUZZ_EXAMPLES:-200} $(PYTEST) -q -p no:cacheprovider $(XDIST) tests/integration

# ... and at the lowest (.venv-lowest; its bin first on PATH, for ansible-runner's ansible-playbook).
integration-lowest: venv-lowest
	PATH=$(VENV_LOWEST)/bin:$$PATH AZBACKUP_FUZZ_EXAMPLES=$${AZBACKUP_FUZZ_EXAMPLES:-200} \
	  $(VENV_LOWEST)/bin/python -m pytest -q -p no:cacheprovider $(XDIST) -m "not sdk_independent" tests/integration

# A fast subset of the fault matrix: the idempotence and convergence tests, the network mode switch (the
# playbooks' NSG writes), the fail-closed partial updates and raw reads (case1, case2), under transient faults, busy answers (with and without
# Retry-After, and as the final state of long-running operations) and lost answers. Each run's last
# line says how many faults the profile injected (the first subset alone drew almost none under busy/lost-answer).
# busy-window is not in the subset: one test at a time never meets a busy window (0 faults drawn), and the
# integration suite's NSG stress test sets a busy window itself with 22 concurrent writers.
FAULT_SUBSET_PROFILES ?= transient busy lost-answer
FAULT_SUBSET ?= foundation or idempot or converge or switch or case1 or case2
faults: venv
	@rc=0; for profile in $(FAULT_SUBSET_PROFILES); do \
	  $(PYTEST) -q -p no:cacheprovider $(XDIST) tests/integration --fault-profile $$profile -k "$(FAULT_SUBSET)" || rc=1; \
	done; exit $$rc

roles: system venv
	@if [ -x tests/roles/run.sh ]; then tests/roles/run.sh; else echo "roles: no role tests yet"; fi

# integration-lowest last: a failure there still lets every other gate report first.
test: system lint shellcheck sanity sanity-oldest packaging galaxy-importer docsite unit compat sandbox-test integration faults roles integration-lowest
	@echo "make test: all suites passed"

demo: venv
	scripts/demo.sh

bench: venv
	scripts/bench.sh

reliability: venv
	scripts/reliability.sh

sandbox: venv
	$(BIN)/python tests/sandbox/run.py --state-dir .sandbox --fixtures tests/sandbox/fixtures/seed.json --port 8443

# The demo leaves its sandbox running in the background (so re-runs are fast) and its test VMs booted.
sandbox-stop:
	@scripts/demo.sh stop

clean: sandbox-stop
	rm -rf build .sandbox tests/output .pytest_cache
