# keyvault-csi: every target creates the virtualenv it needs from the pinned requirement files.
SHELL := bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STACK ?= dev
BASE ?=
PULUMI ?= pulumi
export PULUMI_CONFIG_PASSPHRASE ?=

.PHONY: test pytest lint typecheck plan review preview up destroy bench clean venv doctor

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt constraints.txt pyproject.toml
	@# All of it on stderr: a first `make -s doctor ARGS=--json > findings.json` stays JSON.
	@echo "Creating $(VENV): installing the pinned dependencies (~800 MB, 1-3 min) ..." >&2
	$(PYTHON) -m venv $(VENV) >&2
	@# A machine whose pip config lists an extra index directory without a project's folder gets one
	@# "Location ... is ignored: it is neither a file nor a directory" warning per package on stderr;
	@# only that line is dropped. pip's progress stays on the terminal, errors still show.
	$(PY) -m pip install --disable-pip-version-check -r requirements-dev.txt >&2 \
		2> >(grep -v --line-buffered 'is ignored: it is neither a file nor a directory' >&2)
	touch $@

## make test: lint, then the type check beside the whole suite: pytest's two workers leave a core idle
## part of the time (tests that wait on subprocesses), mypy is one process. Each prints when it ends.
test: venv lint
	@$(MAKE) --no-print-directory -j2 --keep-going --output-sync=target typecheck pytest

## make pytest: the whole suite (unit, graph, schema, ARM-over-HTTPS scenarios), one worker per core
pytest: venv
	$(PY) -m pytest -n auto

## make lint: ruff check, ruff format --check and the layer order (lint-imports, pyproject.toml)
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

## make typecheck: mypy (strict on keyvault_csi); part of make test
typecheck: venv
	$(PY) -m mypy

## make plan STACK=dev [ASSUME_RBAC=1]: (the plan tool reads ASSUME_RBAC itself) evaluate a stack offline (mock runtime), print the tree, write manifests
plan: venv
	$(PY) -m tools.review.plan --stack $(STACK) $(if $(BASE),--base $(BASE))

## make doctor [STACK=dev] [EVENTS=file.json] [ARGS=--json]: cause and fix of each secrets-store FailedMount
doctor: venv
	$(if $(EVENTS),,kubectl get events -A -o json |) $(PY) -m keyvault_csi.doctor \
		$(if $(EVENTS),--events $(EVENTS)) $(if $(filter command line,$(origin STACK)),--stack $(STACK)) $(ARGS)

## make review BASE=origin/main: every stack's offline plan diff as one PR comment (build/review/comment.md)
review: venv
	$(PY) -m tools.review.comment --base $(or $(BASE),origin/main)

## make preview/up STACK=dev: the real Pulumi CLI (with the policy/ pack), local file backend unless PULUMI_BACKEND_URL is set
preview up destroy: venv
	@command -v $(PULUMI) >/dev/null || { echo "The Pulumi CLI is not installed: see https://www.pulumi.com/docs/install/ (make plan works without it)." >&2; exit 127; }
	@[[ -n "$${PULUMI_BACKEND_URL:-}" ]] || $(PULUMI) login --local >/dev/null
	$(PULUMI) stack select --create $(STACK) --non-interactive
	@[[ $@ == destroy ]] || (cd policy && $(PULUMI) install >/dev/null)  # the pack's own venv (policy/venv)
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(PULUMI) $@ --stack $(STACK) $(if $(filter preview,$@),--diff,) \
		$(if $(filter-out destroy,$@),--policy-pack policy,)

## make bench: program evaluation at 1-1000 workloads, ours vs a hand-written program, node identity writes against the local ARM server
bench: venv
	$(PY) -m benchmarks.program_scale
	$(PY) -m benchmarks.handwritten
	$(PY) -m benchmarks.node_identity

clean:
	rm -rf $(VENV) build .pytest_cache
