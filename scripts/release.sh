#!/usr/bin/env bash
# make release: static, reproducible kpnode binaries for every released
# platform, and their SHA256SUMS, into OUT (default dist/).
#
#   VERSION    the version stamped into the binaries (make passes git
#              describe of HEAD, "-dirty" when tracked files changed)
#   COMMIT     the full commit hash stamped beside it (make: git rev-parse HEAD)
#   PLATFORMS  the GOOS/GOARCH pairs (default: the four released ones)
#
# Reproducible: CGO off (no C toolchain in the result), -trimpath (no
# paths of this machine), an empty build id, the version from git rather
# than the clock; the Go toolchain records the commit and its time, never
# the build's. The same commit, built with the same Go version, gives the
# same bytes (make release-check proves it with a second, cold build).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
version=${VERSION:?VERSION is not set (make release sets it from git describe)}
commit=${COMMIT:-$(git rev-parse HEAD)}
platforms=${PLATFORMS:-linux/amd64 linux/arm64 darwin/arm64 windows/amd64}
go=${GO:-go}

mkdir -p "$out"
rm -f "$out"/kpnode-* "$out/SHA256SUMS"
for p in $platforms; do
	os=${p%/*} arch=${p#*/}
	ext=; [ "$os" = windows ] && ext=.exe
	bin="kpnode-$version-$os-$arch$ext"
	echo "build $bin" >&2
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch GOFLAGS=-mod=readonly "$go" build \
		-trimpath -buildvcs=true \
		-ldflags "-s -w -buildid= -X github.com/kpnode/kpnode/internal/buildinfo.stamped=$version -X github.com/kpnode/kpnode/internal/buildinfo.stampedCommit=$commit" \
		-o "$out/$bin" ./cmd/kpnode
done
(cd "$out" && if command -v sha256sum >/dev/null; then sha256sum kpnode-*; else shasum -a 256 kpnode-*; fi) >"$out/SHA256SUMS"
cat "$out/SHA256SUMS"
