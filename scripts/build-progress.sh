#!/usr/bin/env bash
# build-progress.sh OUT [go build flags...]: go build ./cmd/kpnode into OUT,
# saying what it does. A cold build (empty Go build cache, as on the first
# make demo) compiles some 400 packages for minutes; this prints a running
# count with the package being compiled instead of staying silent, and
# the compiler's errors in full.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$1
shift
go=${GO:-go}
echo "== building $out (the first build compiles libp2p, badger, quic and the rest: several minutes on a small machine; later builds take seconds)"
start=$(date +%s)
"$go" build -v "$@" -o "$out" ./cmd/kpnode 2>&1 | awk -v tty="$([ -t 1 ] && echo 1)" '
	/ / { if (n && tty) printf "\n"; print; next }   # an error or a "#" header: in full
	{ n++; if (tty) printf "\r   compiled %d packages: %s\033[K", n, $0; else if (n % 50 == 0) printf "   compiled %d packages: %s\n", n, $0 }
	END { if (n && tty) printf "\n" }'
echo "   built $out in $(($(date +%s) - start)) s"
