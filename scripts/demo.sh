#!/usr/bin/env bash
# make demo: two nodes (IN and BE) in a temporary directory on loopback.
# They pin each other's cards, publish a notice each way, wait until each
# holds the other's entry and has the other's receipt, then print both
# nodes' delivery status and the decrypted records that arrived.
# Runs until Ctrl-C, then stops both nodes and removes the directory.
set -euo pipefail
cd "$(dirname "$0")/.."
kp=./bin/kpnode
dir=$(mktemp -d -t kpnode-demo-XXXXXX)
pids=()

cleanup() {
	trap '' INT TERM # a second Ctrl-C must not cut the teardown short
	trap - EXIT
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

# delivered HOME PARTNER: HOME holds PARTNER's entry 1 and PARTNER has
# receipted all of HOME's feed (one partner each, so the JSON is simple).
delivered() {
	$kp feed --home "$1" --author "$2" --json 2>/dev/null | grep -q '"seq": 1,' &&
		$kp status --home "$1" --json 2>/dev/null | grep -q '"receipt": 1,' &&
		$kp status --home "$1" --json 2>/dev/null | grep -q '"undelivered": 0,'
}

wait_delivered() { # up to 30 s for both directions
	for _ in $(seq 150); do
		if delivered "$dir/in" BE && delivered "$dir/be" IN; then
			return 0
		fi
		sleep 0.2
	done
	echo "demo: the entries were not delivered within 30 s; the logs are in $dir/IN.log and $dir/BE.log" >&2
	tail -n 20 "$dir/IN.log" "$dir/BE.log" >&2
	return 1
}

start IN "India KP Authority"
start BE "Belgian Diamond Office"
$kp card --home "$dir/in" >"$dir/in.card"
$kp card --home "$dir/be" >"$dir/be.card"
$kp partners add "$dir/be.card" --home "$dir/in" >/dev/null
$kp partners add "$dir/in.card" --home "$dir/be" >/dev/null
echo "== IN and BE pinned each other's cards"
$kp partners list --home "$dir/in"
echo
echo "== IN publishes docs/examples/notice.json to BE"
$kp publish --home "$dir/in" --type notice --to BE docs/examples/notice.json
echo "== BE publishes docs/examples/notice-enhanced-vigilance.json to IN"
$kp publish --home "$dir/be" --type notice --to IN docs/examples/notice-enhanced-vigilance.json
echo
echo "Waiting until each node holds the other's entry and has its receipt..."
wait_delivered
for code in IN BE; do
	home="$dir/$(echo "$code" | tr A-Z a-z)"
	other=$([ "$code" = IN ] && echo BE || echo IN)
	echo
	echo "== kpnode status --home $home"
	$kp status --home "$home"
	echo
	echo "== kpnode feed --home $home --author $other --json   ($other's entry, decrypted by $code)"
	$kp feed --home "$home" --author "$other" --json
done
echo
echo "Nodes are running:"
echo "  IN  API http://$(cat "$dir/in/api.addr")   home $dir/in   log $dir/IN.log"
echo "  BE  API http://$(cat "$dir/be/api.addr")   home $dir/be   log $dir/BE.log"
echo "Try: ./bin/kpnode feed --home $dir/be --author IN"
echo "     ./bin/kpnode publish --home $dir/be --type notice --to IN docs/examples/notice-suspicious-shipment.json"
echo "     ./bin/kpnode status --home $dir/in"
echo "Press Ctrl-C to stop the demo."
wait
