#!/usr/bin/env bash
# Runs the benchmarks $BENCHCOUNT times each and writes BENCHMARKS.md: the
# exchange targets of issue 3 with the measured figures, then the machine,
# the commit, the command and the medians of every benchmark (benchstat).
# BENCH_RAW=FILE writes BENCHMARKS.md from the saved output of an earlier
# run instead of running the benchmarks again.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCHCOUNT=${BENCHCOUNT:-3}
# The benchmarks the targets are judged by; BENCH_ALL=1 adds the micro-
# benchmarks of crypto, protocol, tabular and store (about 4 more minutes), which
# explain costs but judge no target.
# Of ReconcileFull only the batches mode, which the target is judged by
# (one record at a time, "each", is BENCH_ALL's): a second -bench level
# would drop BenchmarkIncremental, which has none, so reconcile takes two
# runs. BenchmarkAttacks runs once (attacks_cmd): its outcomes are counts,
# the same in every run.
if [ -n "${BENCH_ALL:-}" ]; then
	cmd="go test -run '^\$' -bench . -benchmem -count $BENCHCOUNT -timeout 60m ./crypto/ ./protocol/ ./tabular/ ./store/ ./node/ ./reconcile/"
else
	cmd="go test -run '^\$' -bench '^Benchmark(Pipeline|CatchUp|Latency|FanOut|ImportCertificates)\$' -benchmem -count $BENCHCOUNT -timeout 60m ./node/"
	cmd+=" && go test -run '^\$' -bench '^BenchmarkReconcileFull\$/^batches\$' -benchmem -count $BENCHCOUNT -timeout 20m ./reconcile/"
	cmd+=" && go test -run '^\$' -bench '^BenchmarkIncremental\$' -benchmem -count $BENCHCOUNT -timeout 20m ./reconcile/"
fi
attacks_cmd="go test -run '^\$' -bench '^BenchmarkAttacks\$' -benchtime 1x -count 1 -timeout 10m ./node/"
# The reconnect times of a partner under a flood of half-open connections
# (issue 13), about 8 s a run. Its restarts make go-libp2p log "swarm
# listener accept error" (a race of its own at close) in the middle of a
# result line, which would then not be counted: swarm2 logs only above
# error here.
flood_cmd="GOLOG_LOG_LEVEL='error,swarm2=ERROR+4' go test -run '^\$' -bench '^BenchmarkReconnectUnderFlood\$' -benchtime 1x -count $BENCHCOUNT -timeout 10m ./node/"
# The scale benchmarks of issue 7 that run real kpnode processes: start-up
# and verify of a store of 1,000,000 entries, a daemon idling with 60
# partners (docs/performance.md). SCALE_COUNT runs (default 1: the store's
# setup is shared, but each run adds a start-up, a verify and an idle
# window); the idle window is IDLE_WINDOW (default 30s: the daemon starts
# its periodic syncs at a 30 s tick, so every window of 30 s holds one
# round of them, where a 15 s window held one or none).
SCALE_COUNT=${SCALE_COUNT:-1}
IDLE_WINDOW=${IDLE_WINDOW:-30s}
scale_cmd="go test -run '^\$' -bench '^Benchmark(StartUp|VerifyStore|Idle)\$' -benchtime 1x -count $SCALE_COUNT -timeout 60m ./cmd/kpnode/ -args -idle.window=$IDLE_WINDOW"
# The daemon's memory after importing a 200,000-row file (issue 14,
# cmd/kpnode/bench_import_test.go): IMPORT_COUNT runs (default 1: a run
# takes about 100 s, and the figure, a level not a rate, moved 3 % between
# the runs of a session, 357-368 MiB).
IMPORT_COUNT=${IMPORT_COUNT:-1}
import_cmd="go test -run '^\$' -bench '^BenchmarkImportMemory\$' -benchtime 1x -count $IMPORT_COUNT -timeout 30m ./cmd/kpnode/"
# The findings of a year (issue 14): 200,000 findings from 200,000 imported
# certificates, paged, counted and shown in Chromium (api/bench_findings_test.go).
# $BENCHCOUNT runs as iterations of one benchmark on one node, which reports
# each figure's median over them: the node's setup (import and
# reconciliation) is paid once instead of once a run.
findings_cmd="go test -run '^\$' -bench '^BenchmarkFindingsAtScale\$' -benchtime ${BENCHCOUNT}x -count 1 -timeout 30m ./api/"
# A 50 MB attachment against a bare libp2p stream between the same hosts
# (issue 18, node/internal/blobxfer/bench_test.go), about 4 s a run.
attach_cmd="go test -run '^\$' -bench '^BenchmarkTransfer50MB\$' -benchtime 3x -count $BENCHCOUNT -timeout 10m ./node/internal/blobxfer/"
# The peer comparison (docs/performance.md): PEER_N records, PEER_COUNT runs.
PEER_N=${PEER_N:-100000}
PEER_COUNT=${PEER_COUNT:-3}
peer_cmd="PEER_N=$PEER_N PEER_COUNT=$PEER_COUNT scripts/hypercore/compare.sh"
# The scale run: a full-mesh testnet of real processes (20 by default),
# then the whole network (issue 20: every participant of --participants
# kp, 67 nodes, on the trade topology), each once, in one go test run;
# each idles TESTNET_IDLE after its check for the idle CPU. The whole
# network's figures are reported against the 20 nodes' of this run.
TESTNET_PARTICIPANTS=${TESTNET_PARTICIPANTS:-IN,BE,AE,ZA,BW,AO,CD,RU,CN,US,CA,AU,NA,SL,IL,CH,GB,LK,TH,JP}
# The idle window: at least TESTNET_IDLE (30 s: one round of each daemon's
# periodic syncs, for the idle CPU), and until every daemon has released
# memory since the check (Badger's mapped pages once a minute, the heap every
# 15 s, on tickers of its own, started between its home's lock and its API; the benchmark
# reads both files' times), so that memory is read after the release
# (docs/performance.md, "The whole network on one box"); 20 s read the
# load's leftovers (largest node 127 against 78 MiB). It was 75 s for both
# testnets; it is now 30-70 s, as the daemons' ticks fall.
TESTNET_IDLE=${TESTNET_IDLE:-30s}
TESTNET_DAYS=${TESTNET_DAYS:-365}
testnet_cmd="go test -run '^\$' -bench '^Benchmark(Testnet|WholeNetwork)\$' -benchtime 1x -timeout 30m ./cmd/kpnode/ -args -testnet.participants=$TESTNET_PARTICIPANTS -testnet.days=$TESTNET_DAYS -testnet.idle=$TESTNET_IDLE"
# The crash-restart cycles of issues 8 and 13 (cmd/kpnode/crash_cycles_test.go):
# CRASH_CYCLES SIGKILLs (at least 100, issue 13), about 1.5 s each.
CRASH_CYCLES=${CRASH_CYCLES:-100}
crash_cmd="KPNODE_CRASH_CYCLES=$CRASH_CYCLES go test -count 1 -timeout 20m -run '^TestCrashCycles\$' -v ./cmd/kpnode/"

# run_crash_cycles runs TestCrashCycles; its log line "N SIGKILLs survived
# in T (S s a cycle)" joins the raw output (a failure is one "crash cycles
# failed" line), and so does its time by phase.
run_crash_cycles() {
	echo "running: $crash_cmd" >&2
	if ! eval "$crash_cmd" >"$tmp/crash.log" 2>&1; then
		echo "crash cycles failed: $(grep -m1 -- '--- FAIL\|FAIL' "$tmp/crash.log")"
	fi
	grep -o '[0-9]* SIGKILLs survived in [0-9a-z.]* ([0-9.]* s a cycle)' "$tmp/crash.log" || true
	grep -o 'time by phase: .*' "$tmp/crash.log" || true
}

# took NAME T0: notes how long the step NAME took since T0 (in $SECONDS)
# and moves t0 on, for the durations line of BENCHMARKS.md. The notes stay
# out of the raw output, which benchstat reads.
took() {
	durations+="${durations:+, }$1 $((SECONDS - $2)) s"
	t0=$SECONDS
}
durations=""

# within_budget T: whether a run of T seconds stayed within make bench's
# budget of 15 minutes (issue 20, item 4), as a line of BENCHMARKS.md.
within_budget() {
	local verdict="yes"
	[ "$1" -le 900 ] || verdict="**no**"
	echo "within 15 minutes: $verdict ($(($1 / 60)) min $(($1 % 60)) s of 15 min)"
}
budget_line=""

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
raw="$tmp/kpnode" # benchstat names its column after the file
if [ -n "${BENCH_RAW:-}" ]; then
	cp "$BENCH_RAW" "$raw"
	load_start=unknown load_end=unknown
else
	load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
	t0=$SECONDS
	echo "running: $cmd"
	if ! eval "{ $cmd; }" | tee "$raw"; then
		echo "benchmarks failed: see the output above" | tee -a "$raw"
	fi
	took "node and reconcile benchmarks" "$t0"
	echo "running: $attacks_cmd"
	if ! eval "$attacks_cmd" | tee -a "$raw"; then
		echo "attack benchmark failed: see the output above" | tee -a "$raw"
	fi
	echo "running: $flood_cmd"
	if ! eval "$flood_cmd" | tee -a "$raw"; then
		echo "flood benchmark failed: see the output above" | tee -a "$raw"
	fi
	took "attacks" "$t0"
	echo "running: $scale_cmd"
	if ! eval "$scale_cmd" | tee -a "$raw"; then
		echo "scale benchmarks failed: see the output above" | tee -a "$raw"
	fi
	took "scale benchmarks (1,000,000-entry store, idle)" "$t0"
	echo "running: $import_cmd"
	if ! eval "$import_cmd" | tee -a "$raw"; then
		echo "import memory benchmark failed: see the output above" | tee -a "$raw"
	fi
	took "memory after an import" "$t0"
	echo "running: $findings_cmd"
	if ! eval "$findings_cmd" | tee -a "$raw"; then
		echo "findings benchmark failed: see the output above" | tee -a "$raw"
	fi
	took "findings at scale" "$t0"
	echo "running: $attach_cmd"
	if ! eval "$attach_cmd" | tee -a "$raw"; then
		echo "attachment benchmark failed: see the output above" | tee -a "$raw"
	fi
	took "attachments" "$t0"
	# The peer comparison against Hypercore, in its own go test run; its
	# output joins the rest (a skip is one "peer comparison skipped:" line).
	echo "running: $peer_cmd"
	if ! PEER_N=$PEER_N PEER_COUNT=$PEER_COUNT scripts/hypercore/compare.sh | tee -a "$raw"; then
		echo "peer comparison failed: see the output above" | tee -a "$raw"
	fi
	took "peer comparison" "$t0"
	# The scale run (issue 7, item 6) and the whole network (issue 20):
	# testnets of real processes, once each.
	echo "running: $testnet_cmd"
	if ! eval "$testnet_cmd" | tee -a "$raw"; then
		echo "testnet run failed: see the output above" | tee -a "$raw"
	fi
	took "testnets (20 nodes, whole network)" "$t0"
	run_crash_cycles | tee -a "$raw"
	took "crash cycles" "$t0"
	load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
	budget_line=$(within_budget "$SECONDS")
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
pipe_own=$(med BenchmarkPipeline pct_of_own_floor)
pipe_own_snd=$(med BenchmarkPipeline own_sender_floor_us)
pipe_own_rcv=$(med BenchmarkPipeline own_receiver_floor_us)
cu=$(med BenchmarkCatchUp pct_of_floor)
cu_rate=$(med BenchmarkCatchUp entries/s)
cu_n=$(med BenchmarkCatchUp entries)
cu_rcv=$(med BenchmarkCatchUp receiver_floor_us)
cu_x=$(med BenchmarkCatchUp x_naive)
cu_naive=$(med BenchmarkCatchUp naive_floor_us)
cu_cores=$(med BenchmarkCatchUp cpu_cores)
l2p50=$(med BenchmarkLatency/nodes=2 p50_ms)
l2p99=$(med BenchmarkLatency/nodes=2 p99_ms)
l10p50=$(med BenchmarkLatency/nodes=10 p50_ms)
l10p99=$(med BenchmarkLatency/nodes=10 p99_ms)
imp=$(med BenchmarkImportCertificates s/100k)
rfull=$(med BenchmarkReconcileFull/batches s/run)
rfull_cpu=$(med BenchmarkReconcileFull/batches cpu_s/run)
rfull_x=$(med BenchmarkReconcileFull/batches x_baseline)
rfull_xcpu=$(med BenchmarkReconcileFull/batches x_baseline_cpu)
rinc_ns=$(med BenchmarkIncremental ns/op)
peer_n=$(med BenchmarkPeerHypercore records)
[ "$peer_n" != n/a ] || peer_n=$PEER_N
peer_kp=$(med BenchmarkPeerHypercore kpnode_rec/s)
peer_hc=$(med BenchmarkPeerHypercore hypercore_rec/s)
peer_ratio=$(med BenchmarkPeerHypercore kpnode/hypercore)
peer_runs=$(grep -c '^BenchmarkPeerHypercore.* records' "$raw" || true)
peer_note=$(grep -m1 -o 'peer comparison \(skipped\|failed\):.*' "$raw" || true)
tn_verdict=$([ "$(med BenchmarkTestnet check_s)" != n/a ] && echo passed || echo "**failed or not run**")
hc_version=$(sed -n 's/.*"hypercore": "\(.*\)".*/\1/p' scripts/hypercore/package.json)
if [ "$peer_kp" != n/a ]; then
	peer_measured="kpnode $peer_kp records/s, Hypercore $peer_hc records/s: ratio $peer_ratio (median of $peer_runs)"
else
	peer_measured=${peer_note:-not run}
fi
# attacks_section writes the "Attacks (issue 8)" section: BenchmarkAttacks
# (node/bench_attacks_test.go) and the crash cycles, from the raw output.
attacks_section() {
	local a
	echo "## Attacks (issue 8)"
	echo
	echo "Every attack of the hostile-peer suite (docs/security.md), each from a fresh attacker the victim has pinned, with its own libp2p host; one run of \`BenchmarkAttacks\` (node/bench_attacks_test.go; its outcomes are counts, the same in every run: \`$attacks_cmd\`). *Refused* counts what the victim's counters show it rejected or ignored (for sync attacks: sessions it ended); *stored* counts the attacker's entries it stored; *penalised* is whether the attacker's peer score ended below 0 or it was charged for sync abuse; *graylisted* whether it fell under -1000 and was cut off."
	echo
	echo "| attack | sent | refused | stored | penalised | graylisted |"
	echo "|---|---|---|---|---|---|"
	for a in forged:"forged signatures, pushed" wrong_author:"another author's entries on its feed topic" replay:"replays of entries already held" \
		gap:"entries far ahead of the head" equivocation:"a fork of its own feed, by its author" \
		stanzas:"an entry sealed to 2001 recipients (kept unopened: the chain stays whole)" oversized:"a push over the 1 MiB push limit" \
		foreign_author:"a certificate in another authority's name, validly signed (stored as evidence, left out of exports and statistics, finding R13)" \
		flood_forged:"flood of forged entries" flood_ahead:"flood of validly signed entries far ahead (ignored, not penalised)" \
		sync_oversized:"sync frame announcing 4 GiB" sync_truncated:"truncated sync frame" sync_garbage:"4 KiB of random bytes on a sync stream" \
		sync_unexpected:"an Entries frame where a Want is due" sync_forged_served:"a forged entry served to the victim's pull" \
		slow_loris:"slow-loris sync streams, one byte per 300 ms (a partner gets 2 sessions at once)" \
		receipt_false:"receipts of the victim's feed beyond its head or with a hash it never signed (stored: the receipt its status shows)" \
		head_claim_false:"a head of its own feed at 2^63-1 it does not serve (stored: the head the status shows; not charged)" \
		want_copies:"one Want of 1,024 copies of the range 1..8192" want_again:"the same entries asked twice in one session" \
		sync_vouched_forgery:"a forged entry served with a signed successor chained to it (issue 13)" \
		want_sessions:"6 sync sessions at once (refused: answered busy, not charged)"; do
		local k=${a%%:*} label=${a#*:}
		echo "| $label | $(med BenchmarkAttacks ${k}_sent) | $(med BenchmarkAttacks ${k}_refused) | $(med BenchmarkAttacks ${k}_stored) | $(yesno "$(med BenchmarkAttacks ${k}_penalised)") | $(yesno "$(med BenchmarkAttacks ${k}_graylisted)") |"
	done
	echo
	echo "| under attack | heap growth | RSS growth | honest partner's publish → stored, p50 / max of 20 or more |"
	echo "|---|---|---|---|"
	echo "| none (baseline) | | | $(med BenchmarkAttacks honest_base_p50_ms) ms / $(med BenchmarkAttacks honest_base_max_ms) ms |"
	echo "| flood of $(med BenchmarkAttacks flood_forged_sent) forged pushes | $(med BenchmarkAttacks flood_forged_heap_MiB) MiB | $(med BenchmarkAttacks flood_forged_rss_MiB) MiB | $(med BenchmarkAttacks flood_forged_honest_p50_ms) ms / $(med BenchmarkAttacks flood_forged_honest_max_ms) ms |"
	echo "| flood of $(med BenchmarkAttacks flood_ahead_sent) signed pushes far ahead | $(med BenchmarkAttacks flood_ahead_heap_MiB) MiB | $(med BenchmarkAttacks flood_ahead_rss_MiB) MiB | $(med BenchmarkAttacks flood_ahead_honest_p50_ms) ms / $(med BenchmarkAttacks flood_ahead_honest_max_ms) ms |"
	echo "| $(med BenchmarkAttacks slow_loris_sent) slow-loris sync streams held (2 s frame deadline) | $(med BenchmarkAttacks slow_loris_heap_MiB) MiB | $(med BenchmarkAttacks slow_loris_rss_MiB) MiB | |"
	echo
	echo "| Want attack | bytes asked (Want frames) | bytes of entries sent | amplification (sent / asked) | times each entry held was sent |"
	echo "|---|---|---|---|---|"
	for a in want_copies:"1,024 copies of 1..8192 in one Want" want_again:"the same entries asked twice in one session"; do
		local k=${a%%:*} label=${a#*:}
		echo "| $label | $(med BenchmarkAttacks ${k}_bytes_asked) | $(med BenchmarkAttacks ${k}_bytes_sent) | $(med BenchmarkAttacks ${k}_amplification) | $(med BenchmarkAttacks ${k}_times_served) |"
	done
	echo
	echo "Heap is measured after a GC, before and after; RSS from /proc; both include the attacker, which runs in the same process (negative: less than before). Floods go as fast as the attacker's router takes them: gossipsub's bounded queues drop what the victim cannot validate in time, so *refused* counts the pushes that reached the validator."
	echo
	flood_rows
	local crash phases
	crash=$(grep -m1 -o '[0-9]* SIGKILLs survived in [0-9a-z.]* ([0-9.]* s a cycle)\|crash cycles failed.*' "$raw" || echo "not run")
	phases=$(grep -m1 -o 'time by phase: .*' "$raw" || true)
	echo "Crash-restart cycles (cmd/kpnode/crash_cycles_test.go: SIGKILL during publish, import and catch-up, then \`kpnode verify\` and every acknowledged entry and certificate checked): $crash${phases:+; $phases}. Command: \`$crash_cmd\`."
	echo
}

# flood_rows writes the reconnect times of BenchmarkReconnectUnderFlood
# (node/bench_flood_test.go), issue 13.
flood_rows() {
	echo "A partner restarting while strangers hold 500 half-open TCP connections (the multistream header, then nothing) from 250 loopback addresses against each of the two nodes, both transient scopes full (issue 13; docs/security.md, \"Strangers cannot keep partners apart\"): time from the start of its restart (after 2 s down) until both nodes see the connection, medians of $BENCHCOUNT runs of \`$flood_cmd\`. Without the resource manager's allowlist of partners the two did not reconnect while the flood lasted (node/flood_test.go, \`TestPartnerRestartsDuringFlood\`: not within 15 s)."
	echo
	echo "| partner restarts | reconnected after | against the baseline |"
	echo "|---|---|---|"
	echo "| without a flood (baseline) | $(med BenchmarkReconnectUnderFlood base_ms) ms | 1 |"
	echo "| during the flood | $(med BenchmarkReconnectUnderFlood flood_ms) ms | $(med BenchmarkReconnectUnderFlood flood/base)× |"
	echo "| just after a flood that ran while it was down | $(med BenchmarkReconnectUnderFlood after_flood_ms) ms | |"
	echo
}

# runs_of N: "a single run" or "the median of N runs".
runs_of() {
	if [ "$1" -eq 1 ]; then echo "a single run"; else echo "the median of $1 runs"; fi
}

# yesno turns a 0/1 median into words.
yesno() {
	case "$1" in
	n/a) echo "n/a" ;;
	0) echo "no" ;;
	*) awk -v v="$1" 'BEGIN { print (v >= 0.5) ? "yes" : "no" }' ;;
	esac
}

# ratio A B: A/B to 3 figures, or "n/a".
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.3g\n", a / b }'
}

# testnet_row LABEL UNIT [GOAL VALUE OP LIMIT]: a row of the testnets'
# table: BenchmarkTestnet's figure, BenchmarkWholeNetwork's, their ratio,
# and the whole network's goal and verdict when given.
testnet_row() {
	local t w
	t=$(med BenchmarkTestnet "$2")
	w=$(med BenchmarkWholeNetwork "$2")
	if [ $# -gt 2 ]; then
		echo "| $1 | $t | $w | $(ratio "$w" "$t") | $3 | $(verdict "${@:4}") |"
	else
		echo "| $1 | $t | $w | $(ratio "$w" "$t") | | |"
	fi
}

# testnet_section writes the "Scale on one box" section: the 20-node
# full mesh (issue 7) and the whole network (issue 20), same run.
testnet_section() {
	local wn wt total
	wn=$(med BenchmarkWholeNetwork nodes)
	wt=$([ "$(med BenchmarkWholeNetwork check_s)" != n/a ] && echo passed || echo "**failed or not run**")
	total=$(med BenchmarkWholeNetwork total_s)
	echo "## Scale on one box (issues 7 and 20)"
	echo
	echo "Testnets of real \`kpnode run\` processes on this machine, in one run: $(med BenchmarkTestnet nodes) nodes in a full mesh (issue 7), then the whole Kimberley Process, $wn nodes (\`--participants kp\`) linked as \`--topology trade\` says (issue 20). Each: \`testnet up\`, a $TESTNET_DAYS-day load (seed 5, 24 anomalies), then \`testnet check\` (waits for convergence, then every entry, chain and finding is judged against the ground truth; the benchmark fails unless it passes), then idle: at least $TESTNET_IDLE, and until every daemon has released memory since the check (Badger's mapped pages once a minute, its heap every 15 s, on tickers of its own: cmd/kpnode/bench_testnet_test.go, \`settledAt\`). Memory once converged (after the idle window): RSS is RssAnon + RssFile of /proc/PID/status, in which every process counts the kpnode binary's shared pages in full; PSS (/proc/PID/smaps_rollup) counts a page shared by k processes 1/k in each, so the sum is the memory the network takes. Idle CPU: the growth of utime + stime over the window, in % of one core, summed over the nodes. The 20-node check: $tn_verdict; the whole network's: $wt."
	echo
	echo "| | $(med BenchmarkTestnet nodes) nodes (baseline) | whole network | whole / baseline | goal (issue 20) | |"
	echo "|---|---|---|---|---|---|"
	testnet_row "up (create, start, pin cards), s" up_s
	testnet_row "load ($TESTNET_DAYS days), s" load_s
	testnet_row "records loaded" records
	testnet_row "converged after the load, s" converge_s
	testnet_row "check (convergence wait + verdict), s" check_s
	testnet_row "up, load, converge and check, s" total_s "< 900 s" "$total" "<" 900
	testnet_row "daemons' CPU over the run, s" daemons_cpu_s
	testnet_row "resident memory (RSS) in all, MiB" rss_total_mb "< 4 GB (3815 MiB)" "$(med BenchmarkWholeNetwork rss_total_mb)" "<" 3815
	testnet_row "proportional memory (PSS) in all, MiB" pss_total_mb
	testnet_row "anonymous memory in all, MiB" anon_total_mb
	testnet_row "largest node (RSS), MiB" rss_max_mb "< 100 MB (95.4 MiB)" "$(med BenchmarkWholeNetwork rss_max_mb)" "<" 95.4
	testnet_row "idle window (until every daemon has returned its free heap), s" idle_s
	testnet_row "idle CPU in all, % of one core" idle_cpu_pct "< 25 %" "$(med BenchmarkWholeNetwork idle_cpu_pct)" "<" 25
	testnet_row "idle CPU of the busiest node, % of one core" idle_cpu_max_pct
	testnet_row "goroutines in all" goroutines
	testnet_row "libp2p connections in all (each counted at both ends)" connections
	testnet_row "open files in all" open_files
	echo
	echo "- command: \`$testnet_cmd\`; by hand: docs/testnet.md, \"The whole Kimberley Process\"; the figures explained: docs/performance.md, \"The whole network on one box\""
	echo
}

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
	su_first=$(med BenchmarkStartUp first_start_s)
	su_first_rss=$(med BenchmarkStartUp first_rss_MB)
	vf=$(med BenchmarkVerifyStore verify_s)
	vf_n=$(med BenchmarkVerifyStore entries)
	vf_rate=$(med BenchmarkVerifyStore entries/s)
	vf_cores=$(med BenchmarkVerifyStore cpu_cores)
	vf_rss=$(med BenchmarkVerifyStore peak_rss_MB)
	vf_anon=$(med BenchmarkVerifyStore peak_anon_MB)
	vf_floor=$(med BenchmarkVerifyStore floor_s)
	echo "## Scale targets (issue 7)"
	echo
	echo "Baselines measured in the same run; see docs/performance.md. Start-up, verify and idle run real \`kpnode\` processes, $(runs_of "$SCALE_COUNT") (\`SCALE_COUNT\`; the idle figure is the daemon's CPU over a window of $IDLE_WINDOW, which holds one round of its periodic syncs): \`$scale_cmd\`."
	echo
	echo "| target | goal | measured | |"
	echo "|---|---|---|---|"
	echo "| fan-out: one 1 KiB notice to 60 partners, the author's full publish (seal to 61 stanzas, sign, store, commit) | < 10 ms | $fo ms, $fo_us µs per recipient (static-static stanzas; with standard X25519 stanzas kpnode's seal alone takes $fo_seal ms and age's own seal to the same 61 recipients $fo_age ms) | $(verdict "$fo" "<" 10) |"
	echo "| a \`kpnode run\` daemon holding 60 connected partners, idle | < 1 % of a core, < 80 MB resident | $idle % of a core, $idle_rss MB (the daemon alone: $alone %, $alone_rss MB) | $(verdict "$idle" "<" 1 "$idle_rss" "<" 80) |"
	echo "| latency publish → stored at partner, 20 nodes, full mesh | p50 < 10 ms, p99 < 50 ms | p50 $l20p50 ms, p99 $l20p99 ms (on $l20cpu cores) | $(verdict "$l20p50" "<" 10 "$l20p99" "<" 50) |"
	echo "| start-up of \`kpnode run\` with $su_n stored entries, until the API answers | < 1 s | $su s, $su_rss MB resident (empty store: $su_empty s; the first start on a store without the membership index, as after an upgrade or a crash, builds it from every notice: $su_first s, $su_first_rss MB, with all $su_n entries notices) | $(verdict "$su" "<" 1) |"
	echo "| \`kpnode verify\` of $vf_n entries | < 30 s | $vf s ($vf_rate entries/s on $vf_cores cores; peak $vf_rss MB resident, $vf_anon MB of it anonymous, the rest Badger's mapped value log and tables; every entry's own signature checked, in batches on every core, and the hash chain, docs/protocol.md §2.4; one core verifying every entry's signature one by one: $vf_floor s) | $(verdict "$vf" "<" 30) |"
}

# findings_rows prints the table of the findings targets of issue 14.
findings_rows() {
	local n fp fpk deep grp lgrp sum kept chg dash rec
	n=$(med BenchmarkFindingsAtScale findings)
	fp=$(med BenchmarkFindingsAtScale first_page_ms)
	fpk=$(med BenchmarkFindingsAtScale first_page_KB)
	deep=$(med BenchmarkFindingsAtScale deep_page_ms)
	grp=$(med BenchmarkFindingsAtScale group_page_ms)
	lgrp=$(med BenchmarkFindingsAtScale large_group_page_ms)
	sum=$(med BenchmarkFindingsAtScale summary_ms)
	kept=$(med BenchmarkFindingsAtScale summary_kept_ms)
	chg=$(med BenchmarkFindingsAtScale page_after_change_ms)
	dash=$(med BenchmarkFindingsAtScale dashboard_open_ms)
	rec=$(med BenchmarkFindingsAtScale record_ms)
	echo "## Findings at scale (issue 14)"
	echo
	echo "A node holding $n findings, raised by the real reconciliation of as many imported certificates (api/bench_findings_test.go). Each figure is the median of 5 requests, then of $BENCHCOUNT runs on the same node (set up once); the baseline, measured in the same run, is one record read through the API (\`GET /api/records/IN/1\`: HTTP, token, one Badger read, decrypt, JSON): $rec ms. Command: \`$findings_cmd\`."
	echo
	echo "| target | goal | measured | |"
	echo "|---|---|---|---|"
	echo "| dashboard findings page opens (groups and first page shown, real Chromium) | < 2 s | $dash ms ($(med BenchmarkFindingsAtScale dashboard_open/record)× the baseline) | $(verdict "$dash" "<" 2000) |"
	echo "| \`/api/findings\` first page (500) | paged (issue 14: 148 MB at once before) | $fp ms, $fpk KB ($(med BenchmarkFindingsAtScale first_page/record)× the baseline); a page near the end $deep ms; a page of 100 of one partner and period (from the index by partner and period) $lgrp ms, of an empty group $grp ms; the first page after a finding came (ids sorted again) $chg ms | |"
	echo "| \`/api/findings/summary\` (by severity, rule, partner, period) | | counted afresh $sum ms ($(med BenchmarkFindingsAtScale summary/record)× the baseline), kept $kept ms | |"
	import_memory_row
}

# import_memory_row prints the row of the daemon's memory after a year's
# import (BenchmarkImportMemory, run by import_cmd).
import_memory_row() {
	local rss hwm idle took rows
	rss=$(med BenchmarkImportMemory rss_MiB)
	hwm=$(med BenchmarkImportMemory hwm_MiB)
	idle=$(med BenchmarkImportMemory idle_rss_MiB)
	took=$(med BenchmarkImportMemory import_s)
	rows=$(med BenchmarkImportMemory rows)
	echo "| a \`kpnode run\` daemon's resident memory (VmRSS) right after \`kpnode import\` of $rows rows (half as many certificates; cmd/kpnode/bench_import_test.go, \`$import_cmd\`) | < 300 MB | $rss MiB (peak $hwm MiB; the same daemon idle before the import: $idle MiB; the import took $took s) | $(verdict "$rss" "<" 286) |"
}

rinc=$(awk -v v="$rinc_ns" 'BEGIN { if (v == "n/a") print "n/a"; else printf "%.3g\n", v / 1e6 }')

{
	echo "# Benchmarks"
	echo
	echo "Written by \`make bench\`; medians of $BENCHCOUNT runs, except where a section says otherwise (start-up, verify and idle: $(runs_of "$SCALE_COUNT"); memory after an import: $(runs_of "$IMPORT_COUNT"); the attacks and the testnets: one run; the crash cycles: one run of $CRASH_CYCLES)."
	echo
	echo "## Exchange targets (issue 3)"
	echo
	echo "Floors are measured in the same run, single-threaded (see node/bench_exchange_test.go). The naive floor is the standard libraries' cost of an entry's cryptography (crypto/ed25519 sign and verify, filippo.io/age encrypt and decrypt with X25519 recipients: node/bench_floor_test.go); kpnode's own floor is the cost of the cryptography it actually does, shown so that the non-crypto overhead stays visible."
	echo
	echo "| target | goal | measured | |"
	echo "|---|---|---|---|"
	echo "| pipeline, A publishes → B stored and decrypted, 1 KiB, audience of one | ≥ 70 % of the naive floor (issue 3), ≥ 85 % (issue 7) | $pipe % ($pipe_rate entries/s; naive floor max(sender $pipe_snd µs, receiver $pipe_rcv µs) per entry; $pipe_own % of kpnode's own crypto, max($pipe_own_snd µs, $pipe_own_rcv µs)) | $(verdict "$pipe" ">=" 70) / $(verdict "$pipe" ">=" 85) |"
	echo "| catch-up of $cu_n entries after B restarts | ≥ 70 % of the naive floor (issue 3), ≥ 3× it (issue 7) | ${cu_x}× ($cu_rate entries/s, $cu_cores cores; every entry's own signature, checked in batches, docs/protocol.md §2.4; naive floor: one Ed25519 verify + one age.Decrypt per entry, $cu_naive µs; $cu % of B's own floor, verify + static-static open, $cu_rcv µs) | $(verdict "$cu_x" ">=" 0.7) / $(verdict "$cu_x" ">=" 3) |"
	echo "| latency publish → stored at partner, 2 nodes | p50 < 10 ms, p99 < 50 ms | p50 $l2p50 ms, p99 $l2p99 ms | $(verdict "$l2p50" "<" 10 "$l2p99" "<" 50) |"
	echo "| latency publish → stored at partner, 10 nodes | p50 < 10 ms, p99 < 50 ms | p50 $l10p50 ms, p99 $l10p99 ms | $(verdict "$l10p50" "<" 10 "$l10p99" "<" 50) |"
	echo
	echo "The catch-up opens each record's header with kpnode's own parser of age's format (crypto/ageheader_parse.go; issue 13, invariant 10: our own only when age's costs over 10 %). In \`BenchmarkCatchUp\`'s in-memory store the hand-written parser saved 4.4 % of CPU per entry (median of 12 interleaved pairs), under that bar; in the Hypercore comparison's reader, on a disk store, age's parser and MAC cost 19 % (line below the comparison table), over it, so kpnode's is used, held to age by FuzzParseHeader, FuzzOpenVerdict and TestVerdictsEqualAge. HKDF-SHA-256 is derived on the stack (crypto/hkdf.go): 2.2 µs against crypto/hkdf's 6.3 for the wrapping key, 1.6 against 5.1 for the payload key, 0 allocations against 16–17 (\`go test -run '^\$' -bench '^BenchmarkHKDF\$' -benchmem -count 5 ./crypto/\`), held to the library by TestHKDFMatchesLibrary, TestHMACMatchesLibrary and FuzzHKDF; docs/performance.md, \"age's own header parser\" and \"CPU per record of the Hypercore comparison\"."
	echo
	echo "## Records targets (issue 4)"
	echo
	echo "| target | goal | measured | |"
	echo "|---|---|---|---|"
	echo "| import of 100,000 certificates from CSV to stored and published | < 10 s | $imp s | $(verdict "$imp" "<" 10) |"
	echo "| reconciliation of 1,000,000 certificates with their confirmations | < 5 s | $rfull s, $rfull_cpu s of CPU ($rfull_x× and $rfull_xcpu× the baseline of the same run: a map matching each confirmation to its certificate, reconcile/bench_test.go \`naiveMatch\`) | $(verdict "$rfull" "<" 5) |"
	echo "| incremental reconciliation of one record | < 1 ms | $rinc ms | $(verdict "$rinc" "<" 1) |"
	echo
	scale_rows
	echo
	findings_rows
	echo
	echo "## Attachments (issue 18)"
	echo
	echo "| target | goal | measured | |"
	echo "|---|---|---|---|"
	echo "| a 50 MB attachment fetched over /kpnode/blob/1.0.0 (manifest, chunk ranges, each chunk checked by the server against the CRC-32C recorded when it was stored and by the fetcher against the manifest's SHA-256, stored in a blob file on disk, synced and recorded) against a bare libp2p stream between the same two hosts, same run | ≥ 60 % of the bare stream's throughput | $(med BenchmarkTransfer50MB ratio) (blob $(med BenchmarkTransfer50MB blob-MB/s) MB/s, bare $(med BenchmarkTransfer50MB bare-MB/s) MB/s; CPU per transfer, both hosts: blob $(med BenchmarkTransfer50MB blob-cpu-ms/op) ms, bare $(med BenchmarkTransfer50MB bare-cpu-ms/op) ms) | $(verdict "$(med BenchmarkTransfer50MB ratio)" ">=" 0.6) |"
	echo
	echo "- command: \`$attach_cmd\`; docs/performance.md, \"Attachments\""
	echo
	echo "## Peer comparison (issue 6)"
	echo
	echo "Both systems in the same run, each as a writer and a reader process over loopback TCP: the writer appends the records (not timed), then the clock runs from the start of a fresh reader's process until it holds all of them. See docs/performance.md, \"Peer comparison: Hypercore\"."
	echo
	echo "| comparison | goal | measured | |"
	echo "|---|---|---|---|"
	echo "| $peer_n records of 1 KiB to a fresh reader: kpnode (each entry signed and age-sealed with static-static stanzas; the reader verifies each entry's own signature (in batches) and the hash chain, decrypts and stores each) against Hypercore $hc_version (the reader verifies the signed Merkle root and a proof per block) | kpnode/Hypercore ≥ 1 (issue 6), ≥ 2.5 with every signature verified (issue 13) | $peer_measured | $(verdict "$peer_ratio" ">=" 1) / $(verdict "$peer_ratio" ">=" 2.5) |"
	echo
	echo "- command: \`$peer_cmd\` (runs \`go test -bench '^BenchmarkPeerHypercore\$' -benchtime 1x ./cmd/kpnode/\` after \`npm ci --prefix scripts/hypercore\`)"
	# measured by hand (not by make bench): the grounds of invariant 10's choice of parser
	echo "- age's header parser (issue 13, invariant 10): in the comparison's reader, kpnode's own parser of age's format (held to age by FuzzParseHeader and FuzzOpenVerdict) against age.DecryptHeader, binaries alternated B A A B in one run (2026-12-07, load average 25–35): reader CPU per record 75.3 and 78.2 µs against 95.9 and 93.6: age's parser costs 19 % of the reader's CPU (16.5–21.5 % per pair), over the 10 % for which the invariant keeps kpnode's; docs/performance.md, \"age's own header parser\""
	echo
	testnet_section
	echo
	attacks_section
	echo "## Run"
	echo
	echo "- machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	echo "- load average (1, 5, 15 min) before and after: $load_start / $load_end (the machine may be shared: compare cpu_cores with its core count)"
	[ -n "$durations" ] && echo "- time taken: $durations; $((SECONDS / 60)) min $((SECONDS % 60)) s in all"
	[ -n "$budget_line" ] && echo "- $budget_line"
	echo "- go: $(go version | cut -d' ' -f3-)"
	echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet -- . ':(exclude)BENCHMARKS.md' 2>/dev/null || echo ' (with local changes)')"
	echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
	echo "- command: \`$cmd\`, then \`$scale_cmd\`, then \`$import_cmd\`, then \`$findings_cmd\`"
	echo
	echo '```'
	echo "$stats"
	echo '```'
} > BENCHMARKS.md
# The summary: every target's table, as BENCHMARKS.md has it.
echo
sed -n '/^## /,/^## Run/p' BENCHMARKS.md | sed '$d'
[ -z "$budget_line" ] || echo "$budget_line"
echo "wrote BENCHMARKS.md"
