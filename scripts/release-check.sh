#!/usr/bin/env bash
# make release-check: builds the release twice, the second time with an
# empty Go build cache in another directory, and fails unless both give
# the same bytes (the same SHA256SUMS). Then runs the host's binary to
# check that it reports the version it was stamped with.
set -euo pipefail
cd "$(dirname "$0")/.."
version=${VERSION:?VERSION is not set (make release-check sets it from git describe)}
export COMMIT=${COMMIT:-$(git rev-parse HEAD)}
tmp=$(mktemp -d -t kpnode-release-XXXXXX)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

start=$(date +%s)
./scripts/release.sh "$tmp/a" >/dev/null
warm=$(date +%s)
GOCACHE="$tmp/cache" ./scripts/release.sh "$tmp/b" >/dev/null
cold=$(date +%s)
if ! diff "$tmp/a/SHA256SUMS" "$tmp/b/SHA256SUMS"; then
	echo "release-check: FAIL: two builds of $version differ (above)" >&2
	exit 1
fi
host="$tmp/a/kpnode-$version-$(go env GOOS)-$(go env GOARCH)"
[ -x "$host" ] || host="$host.exe"
if [ -x "$host" ]; then
	got=$("$host" --version | head -n 1)
	if [ "$got" != "kpnode $version" ]; then
		echo "release-check: FAIL: $host --version says '$got', want 'kpnode $version'" >&2
		exit 1
	fi
	if ! "$host" version | grep -qx "  commit  $COMMIT"; then
		echo "release-check: FAIL: $host version does not name commit $COMMIT" >&2
		exit 1
	fi
	if command -v file >/dev/null && ! file "$host" | grep -q 'statically linked'; then
		echo "release-check: FAIL: $host is not statically linked: $(file -b "$host")" >&2
		exit 1
	fi
fi
cat "$tmp/a/SHA256SUMS"
echo "release-check: OK: $version builds to the same bytes twice (build: $((warm - start)) s; cold, empty cache: $((cold - warm)) s)"
