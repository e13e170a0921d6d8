#!/usr/bin/env bash
# upgrade-fixture.sh OLD_KPNODE OUT: make the upgrade test's fixture with
# an old kpnode binary: a testnet of IN, BE and AE with two days of trade
# (certificates, pre-notifications, confirmations, trade statistics,
# notices) plus one record of each other type, then IN's home (keys,
# config, partners, the three feeds) and what the old build said about it
# (every record, the findings, the partners) as it ran. OUT is replaced.
#
# The fixture in cmd/kpnode/testdata/upgrade/ was made so from 7f4253e:
#   git archive 7f4253e | tar -x -C /tmp/old && (cd /tmp/old && go build -o kpnode ./cmd/kpnode)
#   scripts/upgrade-fixture.sh /tmp/old/kpnode cmd/kpnode/testdata/upgrade/7f4253e
set -euo pipefail
kp=$(realpath "$1")
out=$2
examples=$(realpath "$(dirname "$0")/../docs/examples")
tmp=$(mktemp -d -t kpnode-fixture-XXXXXX)
tn=$tmp/tn
trap '"$kp" testnet down --dir "$tn" --purge >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT

"$kp" testnet up --dir "$tn" --participants IN,BE,AE --topology full >/dev/null
in=$tn/in be=$tn/be ae=$tn/ae

head() { "$kp" status --home "$1" --json | python3 -c 'import json,sys; s=json.load(sys.stdin); print(s["feeds"][0]["seq"])'; }
publish() { # HOME TYPE TO JSON (TO empty: the record's parties)
	printf '%s' "$4" | "$kp" publish --home "$1" --type "$2" ${3:+--to "$3"} - >/dev/null
}
ex() { cat "$examples/$1.json"; }
# one record of each type, each from an author it may come from
publish "$in" certificate "" "$(ex certificate)"
publish "$in" pre_notification "" "$(ex pre_notification)"
publish "$be" import_confirmation "" "$(ex import_confirmation)"
publish "$in" trade_statistics "" "$(ex trade_statistics)"
publish "$in" production_statistics all "$(sed 's/"reporter": "BW"/"reporter": "IN"/' "$examples/production_statistics.json")"
publish "$be" notice IN "$(sed -e 's/"detected_by": "IN"/"detected_by": "BE"/' -e 's/IN-N-2026-0031/BE-N-2026-0031/' "$examples/notice.json")"
publish "$in" acknowledgement BE "$(sed "s/\"seq\": 3310/\"seq\": $(head "$be")/" "$examples/acknowledgement.json")"
publish "$be" anomaly_query IN "$(ex anomaly_query)"
publish "$in" anomaly_answer BE "$(sed "s/\"seq\": 4182/\"seq\": $(head "$be")/" "$examples/anomaly_answer.json")"
publish "$ae" notice all "$(sed -e 's/"detected_by": "IN"/"detected_by": "AE"/' -e 's/IN-N-2026-0031/AE-N-2026-0031/' "$examples/notice.json")"
# a few more of the cross-checked kinds, as batches, by import
for kind in certificates pre-notifications trade-statistics; do
	"$kp" import --home "$in" "$kind" "$examples/import/$kind.csv" >/dev/null
	[ "$kind" = certificates ] && certs=$(head "$in")
done
"$kp" import --home "$be" confirmations "$examples/import/confirmations.csv" >/dev/null
publish "$in" withdrawal "" "$(sed "s/\"seq\": 5120, \"item\": 3/\"seq\": $certs, \"item\": 1/" "$examples/withdrawal.json")"
# the check waits for every entry to reach every node; its verdict on
# findings is about testnet load's anomalies, of which there are none
"$kp" testnet check --dir "$tn" --timeout 2m >"$tmp/check.txt" 2>&1 || grep -q "^Converged: true" "$tmp/check.txt" || { cat "$tmp/check.txt"; exit 1; }

rm -rf "$out"
mkdir -p "$out/old"
for a in IN BE AE; do
	"$kp" feed --home "$in" --author "$a" --limit 100000 --json >"$out/old/feed-$a.json"
done
"$kp" findings --home "$in" --all --json >"$out/old/findings.json"
"$kp" partners list --home "$in" --json >"$out/old/partners.json"
"$kp" version >"$out/old/version.txt"
"$kp" testnet down --dir "$tn" >/dev/null
cp -r "$in" "$out/home"
rm -f "$out/home/api.addr" "$out/home/run.lock" "$out/home/node.log" "$out/home/store/LOCK"
du -sh "$out"
