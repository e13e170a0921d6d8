#!/usr/bin/env bash
# The peer comparison of kpnode against Hypercore (docs/performance.md,
# "Peer comparison: Hypercore"): PEER_N records of 1 KiB (default 100000)
# appended on one node and replicated to a fresh reader, two processes over
# loopback TCP for each system, PEER_COUNT times (default 5). The writers
# are built once and serve every run; each run times a fresh reader of each
# system (about 40 s a run for 100000 on 2 cores, plus a minute of setup).
#
# Installs the pinned npm packages (npm ci) when package-lock.json changed
# since the last install, then runs BenchmarkPeerHypercore
# (cmd/kpnode/bench_peer_test.go) and prints its go test output. Without
# node or npm, or when npm ci fails, it prints one line starting "peer
# comparison skipped:" and exits 0, so that make bench goes on; a failing
# benchmark exits non-zero.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/../.."
PEER_N=${PEER_N:-100000}
PEER_COUNT=${PEER_COUNT:-5}

skip() {
	echo "peer comparison skipped: $*"
	exit 0
}

command -v node >/dev/null || skip "node is not installed (Hypercore runs on Node.js; apt-get install nodejs npm)"
command -v npm >/dev/null || skip "npm is not installed (apt-get install npm)"

# npm ci empties node_modules and reinstalls (~30 s): only when the lock
# file differs from the one installed last or the tree is damaged.
stamp="$here/node_modules/.kpnode-installed-lock.json"
if ! cmp -s "$here/package-lock.json" "$stamp" 2>/dev/null || ! npm ls --prefix "$here" --all >/dev/null 2>&1; then
	echo "installing Hypercore: npm ci --prefix scripts/hypercore" >&2
	npm ci --prefix "$here" --no-audit --no-fund --loglevel=error >&2 ||
		skip "npm ci --prefix scripts/hypercore failed (is the npm registry reachable?)"
	cp "$here/package-lock.json" "$stamp"
fi

echo "running: KPNODE_BENCH_PEER_N=$PEER_N go test -v -run '^\$' -bench '^BenchmarkPeerHypercore\$' -benchtime 1x -count $PEER_COUNT -timeout 60m ./cmd/kpnode/" >&2
# -v, so that a skip says why.
KPNODE_BENCH_PEER_N=$PEER_N go test -v -run '^$' -bench '^BenchmarkPeerHypercore$' -benchtime 1x \
	-count "$PEER_COUNT" -timeout 60m ./cmd/kpnode/
