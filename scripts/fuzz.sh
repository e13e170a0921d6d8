#!/usr/bin/env bash
# Runs every fuzz target of the module for $FUZZTIME each. Crashers land in
# the package's testdata/fuzz/ and must be committed as regression inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME=${FUZZTIME:-10s}
# Each input that adds coverage is minimised first, for up to 60 s by
# default: on a loaded machine the decoders with large seeds (import files,
# API bodies, sync sessions) spent the whole FUZZTIME minimising a handful of
# inputs. A short bound keeps them fuzzing.
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-3s}
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "== $pkg $target ($FUZZTIME)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" "$pkg"
	done
done
