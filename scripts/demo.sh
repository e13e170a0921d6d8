#!/usr/bin/env bash
# make demo: two nodes (IN and BE) in a temporary directory on loopback.
# They pin each other's cards and IN publishes the example notice to BE.
# Runs until Ctrl-C, then stops both nodes and removes the directory.
set -euo pipefail
cd "$(dirname "$0")/.."
kp=./bin/kpnode
dir=$(mktemp -d -t kpnode-demo-XXXXXX)
pids=()

cleanup() {
	trap - EXIT INT TERM
	echo
	echo "Stopping the demo nodes..."
	for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$dir"
	echo "Removed $dir"
}
trap cleanup EXIT INT TERM

start() { # start CODE NAME
	local home="$dir/$(echo "$1" | tr A-Z a-z)"
	$kp init --participant "$1" --name "$2" --home "$home" >/dev/null
	$kp run --home "$home" --api 127.0.0.1:0 --log-format text \
		--listen /ip4/127.0.0.1/tcp/0 --listen /ip4/127.0.0.1/udp/0/quic-v1 2>"$dir/$1.log" &
	pids+=($!)
	$kp status --home "$home" --wait 30s >/dev/null
}

start IN "India KP Authority"
start BE "Belgian Diamond Office"
$kp card --home "$dir/in" >"$dir/in.card"
$kp card --home "$dir/be" >"$dir/be.card"
$kp partners add "$dir/be.card" --home "$dir/in" >/dev/null
$kp partners add "$dir/in.card" --home "$dir/be" >/dev/null

echo "== IN's signed card (kpnode card --home $dir/in)"
cat "$dir/in.card"
echo
echo "== IN publishes docs/examples/notice.json to BE"
$kp publish --home "$dir/in" --type notice --to BE docs/examples/notice.json
echo
echo "== kpnode status --home $dir/in"
$kp status --home "$dir/in"
echo
echo "== kpnode feed --home $dir/in"
$kp feed --home "$dir/in"
echo
echo "Nodes are running:"
echo "  IN  API http://$(cat "$dir/in/api.addr")   home $dir/in   log $dir/IN.log"
echo "  BE  API http://$(cat "$dir/be/api.addr")   home $dir/be   log $dir/BE.log"
echo "Try: ./bin/kpnode status --home $dir/be"
echo "Press Ctrl-C to stop the demo."
wait
