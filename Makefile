# Everyday commands. Each is a thin wrapper around a script in scripts/, which CI uses too.
#
#   make app                          build and open the desktop app on the default workspace
#   make app WORKSPACE=path.roster    ... on another workspace file (scripts/app --workspace PATH)
#   make test                         the whole suite, as CI runs it (installs what is missing)
#   make test ARGS="-p roster-tests --test e2e"   ... passing arguments to cargo test
#   make bench ARGS="--help"          the benchmark (release build)
#   make setup                        only install what is missing

SHELL := /bin/bash
ARGS ?=
WORKSPACE ?=

.PHONY: app test bench setup

app:
	scripts/app$(if $(WORKSPACE), --workspace "$(WORKSPACE)")

test:
	scripts/test $(ARGS)

bench:
	scripts/bench $(ARGS)

setup:
	scripts/setup
