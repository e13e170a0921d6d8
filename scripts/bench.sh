#!/usr/bin/env bash
# Runs the benchmarks $BENCHCOUNT times each and writes BENCHMARKS.md with
# the machine, the commit, the command and the medians (benchstat).
set -euo pipefail
cd "$(dirname "$0")/.."
BENCHCOUNT=${BENCHCOUNT:-5}
cmd="go test -run '^\$' -bench . -benchmem -count $BENCHCOUNT ./crypto/ ./protocol/ ./store/"
raw=$(mktemp)
trap 'rm -f "$raw"' EXIT
echo "running: $cmd"
eval "$cmd" | tee "$raw"
stats=$(go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da "$raw" 2>/dev/null || cat "$raw")
{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\`; medians of $BENCHCOUNT runs (benchstat)."
	echo
	echo "- machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	echo "- go: $(go version | cut -d' ' -f3-)"
	echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
	echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "- command: \`$cmd\`"
	echo
	echo '```'
	echo "$stats"
	echo '```'
} > BENCHMARKS.md
echo "wrote BENCHMARKS.md"
