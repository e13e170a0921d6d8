#!/usr/bin/env bash
# make demo: a testnet of five participants (IN, BE, AE, ZA, BW) on
# loopback, fully meshed, loaded with a year of generated trade with
# injected anomalies (among them a quarter of statistics and an annual
# report never sent, and questionnaires answered and unanswered; a year
# loads in seconds). Prints each node's dashboard (with a one-time sign-in
# link) and a few commands to try; runs until Ctrl-C, then stops every
# node and removes the testnet's directory.
set -euo pipefail
cd "$(dirname "$0")/.."
kp=$PWD/bin/kpnode
dir=$(mktemp -d -t kpnode-demo-XXXXXX)
tn="$dir/testnet"

cleanup() {
	trap '' INT TERM # a second Ctrl-C must not cut the teardown short
	trap - EXIT
	echo
	echo "Stopping the testnet..."
	"$kp" testnet down --dir "$tn" --purge >/dev/null 2>&1 || true
	rm -rf "$dir"
	echo "Removed $dir"
}
trap cleanup EXIT INT TERM

echo "== kpnode testnet up --participants IN,BE,AE,ZA,BW --topology full"
"$kp" testnet up --dir "$tn" --participants IN,BE,AE,ZA,BW --topology full
echo
echo "== kpnode testnet load --days 365 --seed 1 --anomalies 36"
"$kp" testnet load --dir "$tn" --days 365 --seed 1 --anomalies 36
echo
echo "== kpnode testnet check (waits until every node holds everything, then judges)"
"$kp" testnet check --dir "$tn" || echo "(the check reported problems: see above)"
echo
echo "== Dashboards (each link signs you in once; run 'kpnode dashboard --home HOME' for a new one)"
for code in in be ae za bw; do
	link=$("$kp" dashboard --home "$tn/$code" 2>/dev/null | grep -o 'http://[^ ]*' | head -n 1 || true)
	printf '  %s  %s\n' "$(echo "$code" | tr a-z A-Z)" "${link:-http://$(cat "$tn/$code/api.addr" 2>/dev/null)/}"
done
echo
echo "Try, in another terminal:"
echo "  $kp status --home $tn/in"
echo "  $kp findings --home $tn/be"
echo "  $kp calendar --home $tn/ae      # who owes what: late and missing submissions"
echo "  $kp questionnaires --home $tn/za"
echo "  $kp testnet chaos partition IN,BE AE,ZA,BW --dir $tn ; $kp testnet chaos heal --dir $tn"
echo "  $kp testnet chaos kill ZA --dir $tn ; $kp testnet chaos start ZA --dir $tn"
echo "  $kp testnet check --dir $tn"
echo "Press Ctrl-C to stop the demo."
while true; do sleep 3600; done
