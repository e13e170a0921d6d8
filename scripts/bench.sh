#!/usr/bin/env bash
# Runs the benchmarks $BENCHCOUNT times each and writes BENCHMARKS.md: the
# exchange targets of issue 3 with the measured figures, then the machine,
# the commit, the command and the medians of every benchmark (benchstat).
# BENCH_RAW=FILE writes BENCHMARKS.md from the saved output of an earlier
# run instead of running the benchmarks again.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCHCOUNT=${BENCHCOUNT:-5}
cmd="go test -run '^\$' -bench . -benchmem -count $BENCHCOUNT -timeout 60m ./crypto/ ./protocol/ ./store/ ./node/ ./reconcile/"
# The scale benchmarks of issue 7 that run real kpnode processes: start-up
# and verify of a store of 1,000,000 entries, a daemon idling with 60
# partners (docs/performance.md).
scale_cmd="go test -run '^\$' -bench '^Benchmark(StartUp|VerifyStore|Idle)\$' -count $BENCHCOUNT -timeout 60m ./cmd/kpnode/"
# The peer comparison (docs/performance.md): PEER_N records, PEER_COUNT runs.
PEER_N=${PEER_N:-100000}
PEER_COUNT=${PEER_COUNT:-1}
peer_cmd="PEER_N=$PEER_N PEER_COUNT=$PEER_COUNT scripts/hypercore/compare.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
raw="$tmp/kpnode" # benchstat names its column after the file
if [ -n "${BENCH_RAW:-}" ]; then
	cp "$BENCH_RAW" "$raw"
	load_start=unknown load_end=unknown
else
	load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
	echo "running: $cmd"
	eval "$cmd" | tee "$raw"
	echo "running: $scale_cmd"
	eval "$scale_cmd" | tee -a "$raw"
	# The peer comparison against Hypercore, in its own go test run; its
	# output joins the rest (a skip is one "peer comparison skipped:" line).
	echo "running: $peer_cmd"
	if ! PEER_N=$PEER_N PEER_COUNT=$PEER_COUNT scripts/hypercore/compare.sh | tee -a "$raw"; then
		echo "peer comparison failed: see the output above" | tee -a "$raw"
	fi
	load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
fi
stats=$(cd "$tmp" && go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da kpnode 2>/dev/null || cat "$raw")

# med NAME UNIT: the median of the UNIT values of benchmark NAME (without
# the -GOMAXPROCS suffix) over the runs, or "n/a".
med() {
	awk -v name="$1" -v unit="$2" '
		{ b = $1; sub(/-[0-9]+$/, "", b) }
		b == name { for (i = 3; i <= NF; i++) if ($i == unit) print $(i - 1) }' "$raw" |
		sort -g | awk '{ v[NR] = $1 }
		END {
			if (NR == 0) { print "n/a"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf (m >= 100 ? "%.0f\n" : "%.3g\n"), m
		}'
}

# verdict VALUE OP LIMIT [VALUE OP LIMIT]: "met" when every comparison holds.
verdict() {
	awk -v a="$*" 'BEGIN {
		n = split(a, f, " ")
		for (i = 1; i <= n; i += 3) {
			if (f[i] == "n/a") { print "not run"; exit }
			ok = (f[i + 1] == ">=") ? (f[i] + 0 >= f[i + 2] + 0) : (f[i] + 0 < f[i + 2] + 0)
			if (!ok) { print "**missed**"; exit }
		}
		print "met"
	}'
}

pipe=$(med BenchmarkPipeline pct_of_floor)
pipe_rate=$(med BenchmarkPipeline entries/s)
pipe_snd=$(med BenchmarkPipeline sender_floor_us)
pipe_rcv=$(med BenchmarkPipeline receiver_floor_us)
cu=$(med BenchmarkCatchUp pct_of_floor)
cu_rate=$(med BenchmarkCatchUp entries/s)
cu_n=$(med BenchmarkCatchUp entries)
cu_rcv=$(med BenchmarkCatchUp receiver_floor_us)
l2p50=$(med BenchmarkLatency/nodes=2 p50_ms)
l2p99=$(med BenchmarkLatency/nodes=2 p99_ms)
l10p50=$(med BenchmarkLatency/nodes=10 p50_ms)
l10p99=$(med BenchmarkLatency/nodes=10 p99_ms)
imp=$(med BenchmarkImportCertificates s/100k)
rfull=$(med BenchmarkReconcileFull/batches s/run)
rinc_ns=$(med BenchmarkIncremental ns/op)
peer_n=$(med BenchmarkPeerHypercore records)
[ "$peer_n" != n/a ] || peer_n=$PEER_N
peer_kp=$(med BenchmarkPeerHypercore kpnode_rec/s)
peer_hc=$(med BenchmarkPeerHypercore hypercore_rec/s)
peer_ratio=$(med BenchmarkPeerHypercore kpnode/hypercore)
peer_runs=$(grep -c '^BenchmarkPeerHypercore.* records' "$raw" || true)
peer_note=$(grep -m1 -o 'peer comparison \(skipped\|failed\):.*' "$raw" || true)
hc_version=$(sed -n 's/.*"hypercore": "\(.*\)".*/\1/p' scripts/hypercore/package.json)
if [ "$peer_kp" != n/a ]; then
	peer_measured="kpnode $peer_kp records/s, Hypercore $peer_hc records/s: ratio $peer_ratio (median of $peer_runs)"
else
	peer_measured=${peer_note:-not run}
fi
# scale_rows prints the table of the scale targets of issue 7.
scale_rows() {
	local fo fo_us fo_age fo_seal l20p50 l20p99 l20cpu idle idle_rss alone alone_rss
	local su su_empty su_rss su_n vf vf_n vf_rate vf_cores vf_rss vf_anon vf_floor
	fo=$(med BenchmarkFanOut publish_ms)
	fo_us=$(med BenchmarkFanOut us/recipient)
	fo_age=$(med BenchmarkFanOut age_seal_ms)
	fo_seal=$(med BenchmarkFanOut seal_ms)
	l20p50=$(med BenchmarkLatency/nodes=20 p50_ms)
	l20p99=$(med BenchmarkLatency/nodes=20 p99_ms)
	l20cpu=$(med BenchmarkLatency/nodes=20 cpu_cores)
	idle=$(med BenchmarkIdle cpu_pct)
	idle_rss=$(med BenchmarkIdle rss_MB)
	alone=$(med BenchmarkIdle alone_cpu_pct)
	alone_rss=$(med BenchmarkIdle alone_rss_MB)
	su=$(med BenchmarkStartUp start_s)
	su_empty=$(med BenchmarkStartUp empty_start_s)
	su_rss=$(med BenchmarkStartUp rss_MB)
	su_n=$(med BenchmarkStartUp entries)
	vf=$(med BenchmarkVerifyStore verify_s)
	vf_n=$(med BenchmarkVerifyStore entries)
	vf_rate=$(med BenchmarkVerifyStore entries/s)
	vf_cores=$(med BenchmarkVerifyStore cpu_cores)
	vf_rss=$(med BenchmarkVerifyStore peak_rss_MB)
	vf_anon=$(med BenchmarkVerifyStore peak_anon_MB)
	vf_floor=$(med BenchmarkVerifyStore floor_s)
	echo "## Scale targets (issue 7)"
	echo
	echo "Baselines measured in the same run; see docs/performance.md. Start-up, verify and idle run real \`kpnode\` processes: \`$scale_cmd\`."
	echo
	echo "| target | goal | measured | |"
	echo "|---|---|---|---|"
	echo "| fan-out: one 1 KiB notice to 60 partners, the author's full publish (seal to 61 stanzas, sign, store, commit) | < 10 ms | $fo ms, $fo_us µs per recipient (the seal alone $fo_seal ms; age's own seal to the same 61 recipients $fo_age ms) | $(verdict "$fo" "<" 10) |"
	echo "| a \`kpnode run\` daemon holding 60 connected partners, idle | < 1 % of a core, < 80 MB resident | $idle % of a core, $idle_rss MB (the daemon alone: $alone %, $alone_rss MB) | $(verdict "$idle" "<" 1 "$idle_rss" "<" 80) |"
	echo "| latency publish → stored at partner, 20 nodes, full mesh | p50 < 10 ms, p99 < 50 ms | p50 $l20p50 ms, p99 $l20p99 ms (on $l20cpu cores) | $(verdict "$l20p50" "<" 10 "$l20p99" "<" 50) |"
	echo "| start-up of \`kpnode run\` with $su_n stored entries, until the API answers | < 1 s | $su s, $su_rss MB resident (empty store: $su_empty s) | $(verdict "$su" "<" 1) |"
	echo "| \`kpnode verify\` of $vf_n entries | < 30 s | $vf s ($vf_rate entries/s on $vf_cores cores; peak $vf_rss MB resident, $vf_anon MB of it anonymous, the rest Badger's mapped tables; one core verifying every signature alone: $vf_floor s) | $(verdict "$vf" "<" 30) |"
}

rinc=$(awk -v v="$rinc_ns" 'BEGIN { if (v == "n/a") print "n/a"; else printf "%.3g\n", v / 1e6 }')

{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\`; medians of $BENCHCOUNT runs."
	echo
	echo "## Exchange targets (issue 3)"
	echo
	echo "Floors are measured in the same run, single-threaded (see node/bench_exchange_test.go)."
	echo
	echo "| target | goal | measured | |"
	echo "|---|---|---|---|"
	echo "| pipeline, A publishes → B stored and decrypted, 1 KiB, audience of one | ≥ 70 % of floor | $pipe % ($pipe_rate entries/s; floor max(sender $pipe_snd µs, receiver $pipe_rcv µs) per entry) | $(verdict "$pipe" ">=" 70) |"
	echo "| catch-up of $cu_n entries after B restarts | ≥ 70 % of floor | $cu % ($cu_rate entries/s; floor B's verify + open, $cu_rcv µs per entry) | $(verdict "$cu" ">=" 70) |"
	echo "| latency publish → stored at partner, 2 nodes | p50 < 10 ms, p99 < 50 ms | p50 $l2p50 ms, p99 $l2p99 ms | $(verdict "$l2p50" "<" 10 "$l2p99" "<" 50) |"
	echo "| latency publish → stored at partner, 10 nodes | p50 < 10 ms, p99 < 50 ms | p50 $l10p50 ms, p99 $l10p99 ms | $(verdict "$l10p50" "<" 10 "$l10p99" "<" 50) |"
	echo
	echo "## Records targets (issue 4)"
	echo
	echo "| target | goal | measured | |"
	echo "|---|---|---|---|"
	echo "| import of 100,000 certificates from CSV to stored and published | < 10 s | $imp s | $(verdict "$imp" "<" 10) |"
	echo "| reconciliation of 1,000,000 certificates with their confirmations | < 5 s | $rfull s | $(verdict "$rfull" "<" 5) |"
	echo "| incremental reconciliation of one record | < 1 ms | $rinc ms | $(verdict "$rinc" "<" 1) |"
	echo
	scale_rows
	echo
	echo "## Peer comparison (issue 6)"
	echo
	echo "Both systems in the same run, each as a writer and a reader process over loopback TCP: the writer appends the records (not timed), then the clock runs from the start of a fresh reader's process until it holds all of them. See docs/performance.md, \"Peer comparison: Hypercore\"."
	echo
	echo "| comparison | goal | measured | |"
	echo "|---|---|---|---|"
	echo "| $peer_n records of 1 KiB to a fresh reader: kpnode (each entry signed and age-sealed; the reader verifies, decrypts and stores each) against Hypercore $hc_version (the reader verifies the signed Merkle root and a proof per block) | kpnode/Hypercore ≥ 1 | $peer_measured | $(verdict "$peer_ratio" ">=" 1) |"
	echo
	echo "- command: \`$peer_cmd\` (runs \`go test -bench '^BenchmarkPeerHypercore\$' -benchtime 1x ./cmd/kpnode/\` after \`npm ci --prefix scripts/hypercore\`)"
	echo
	echo "## Run"
	echo
	echo "- machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	echo "- load average (1, 5, 15 min) before and after: $load_start / $load_end (the machine may be shared: compare cpu_cores with its core count)"
	echo "- go: $(go version | cut -d' ' -f3-)"
	echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo ' (with local changes)')"
	echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "- command: \`$cmd\`, then \`$scale_cmd\`"
	echo
	echo '```'
	echo "$stats"
	echo '```'
} > BENCHMARKS.md
echo "wrote BENCHMARKS.md"
