#!/bin/sh
# bench/run.sh: run every benchmark and set each figure beside the limit of
# this machine measured in the same run (bench/README.md).  Figures only:
# nothing here asserts anything about time.
#
#   BUILD=<abs build dir> sh bench/run.sh          (what `make bench` does)
#
# Environment:
#   BENCH_SCALE       scales entry counts (default 1: a 1M-entry log, under
#                     10 minutes on 2 cores; 10: the 10M-entry comparison,
#                     set beside bench/results-scale1.json of a scale-1 run)
#   BENCH_ONLY        comma list of phases:
#                     base,store,seq,read,append,submit,audit,static,web
#                     (default all)
#   BENCH_WEB_N       entries of the citizen page's log (default 100,000 x
#                     BENCH_SCALE, at least 1024)
#   BENCH_BATCH_MAX, BENCH_WINDOW_MS, BENCH_VERIFY_THREADS
#                     daemon settings for the append phase (default: the
#                     daemon's defaults); BENCH_BATCH_MAX also sets
#                     seqbench's batches
#   BENCH_DURATION    seconds per HTTP load (default 10)
#   BENCH_ADD_CONNS   connections of the full-rate append load (default 128)
#   BENCH_ADD_BATCH   submissions per POST /add of the batched append load
#                     (default 100, pubtrail submit's default --batch)
#   BENCH_KEEP        keep the temporary directory (default: removed)
#
# Output: one line per figure
#   name value unit | baseline name value unit | ratio | target
# and bench/results.json: a list of {name, value, unit, baseline,
# baseline_value, ratio, target}.
set -u

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
B=$BUILD/bench
PUBTRAILD=$BUILD/pubtraild
PUBTRAIL=$BUILD/pubtrail
# Each run is a new log: keep the client's per-log memory out of ~/.local.
export PUBTRAIL_STATE=-
SCALE=${BENCH_SCALE:-1}
ALL_PHASES=base,store,seq,read,append,submit,audit,static,web
ONLY=${BENCH_ONLY:-$ALL_PHASES}
DUR=${BENCH_DURATION:-10}
ADDCONNS=${BENCH_ADD_CONNS:-128}
ABATCH=${BENCH_ADD_BATCH:-100}
NCPU=$(nproc 2>/dev/null || echo 1)
ORIGIN=bench.example/log
OUT=$TOP/bench/results.json
N=$(awk -v s="$SCALE" 'BEGIN { n = int(1000000 * s); n -= n % 1024;
    if (n < 1024) n = 1024; print n }')

TMP=$(mktemp -d /tmp/ptbench.XXXXXX) || exit 1
FIGS=$TMP/figs
: > "$FIGS"
PIDS=""

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
	done
	if [ -n "${BENCH_KEEP:-}" ]; then
		echo "bench: kept $TMP"
	else
		rm -rf "$TMP"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

want() { case ",$ONLY," in *",$1,"*) return 0 ;; esac; return 1; }
say() { echo "bench: $*" >&2; }
# Run a bench program; keep its FIG lines.
figs() { "$@" | tee -a "$FIGS" | sed 's/^FIG /  /' >&2; }
fig() { awk -v n="$1" '$1 == "FIG" && $2 == n { v = $3 } END { print v }' "$FIGS"; }
addfig() { echo "FIG $1 $2 $3" >> "$FIGS"; }
# Ed25519 baselines bracketing a measured phase: the VM's speed moves by
# several percent within minutes (2 threads: 24,454-30,566
# verifications/s in the runs of 2026-12-04; once the start's 1-thread
# figure was the day's fastest while the daemon, minutes later, needed
# 7% more CPU per entry than the run before), so the ratios of issue 18
# divide by the mean of what the machine did just before and just after
# their phase.  The start's baselines stay in the table beside them.
#   verify_mark PHASE before|after THREADS...   verify_near PHASE THREADS...
verify_mark() {
	ph=$1 when=$2; shift 2
	for t in "$@" 1; do
		"$B/baseline" ed25519 "$t" 2 | awk -v s="_${ph}_$when" \
		    '$1 == "FIG" { print "FIG", $2 s, $3, $4 }'
	done | tee -a "$FIGS" | sed 's/^FIG /  /' >&2
}
verify_near() {	# no figure when a side is missing: no ratio, not half
	ph=$1; shift
	for t in "$@" 1; do
		b=ed25519_verify_${t}t
		v=$(awk -v a="$(fig "${b}_${ph}_before")" \
		    -v c="$(fig "${b}_${ph}_after")" \
		    'BEGIN { if (a + 0 > 0 && c + 0 > 0)
			printf "%.1f", (a + c) / 2 }')
		if [ -n "$v" ]; then
			addfig "${b}_$ph" "$v" verifications/s
		fi
	done
	v=$(awk -v r="$(fig "ed25519_verify_1t_$ph")" \
	    'BEGIN { if (r + 0 > 0) printf "%.3f", 1e6 / r }')
	if [ -n "$v" ]; then
		addfig "ed25519_verify_cpu_$ph" "$v" us
	fi
	# One verification's CPU while THREADS verify at once (the cores
	# as busy as under the daemon: on this VM a verification then takes
	# ~7% more CPU time than with the other core idle).  Informational.
	v=$(awk -v r="$(fig "ed25519_verify_${1}t_$ph")" -v t="$1" \
	    'BEGIN { if (r + 0 > 0) printf "%.3f", t * 1e6 / r }')
	if [ -n "$v" ]; then
		addfig "ed25519_verify_cpu_${1}t_$ph" "$v" us
	fi
}
# A random loopback port (each caller retries or fails on a taken one).
# Not awk's srand(): it seeds from the clock in seconds, so every retry
# within one second got the same port.
port() { echo $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 30000)); }
# Wait until 127.0.0.1:$1 answers GET $2 (at most 10 s, while pid $3 lives).
ready() {
	for i in $(seq 1 100); do
		curl -sf "http://127.0.0.1:$1$2" >/dev/null 2>&1 && return 0
		kill -0 "$3" 2>/dev/null || break
		sleep 0.1
	done
	say "server on port $1 did not answer"
	return 1
}
stop() {
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	PIDS=$(echo "$PIDS" | sed "s/\\<$1\\>//")
}
# DIR/nginx.conf (DIR/logs and DIR/tmp made) serving the server blocks
# SERVERS: one set of settings for the 8 KiB baseline and the published
# tree, so that their rates compare.
nginx_conf() {	# DIR SERVERS
	mkdir -p "$1/logs" "$1/tmp"
	cat > "$1/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process off;
pid $1/nginx.pid;
error_log $1/logs/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 100000000;
	keepalive_timeout 120;
	client_body_temp_path $1/tmp/body;
	proxy_temp_path $1/tmp/proxy;
	fastcgi_temp_path $1/tmp/fastcgi;
$2
}
EOF
}

for p in baseline loadgen seqbench storebench; do
	[ -x "$B/$p" ] || { echo "bench: $B/$p missing (make bench)"; exit 1; }
done
DEFWIN=$("$PUBTRAILD" --help | awk '$1 == "batch_window_ms" {
    sub(/.*\(default /, ""); sub(/,.*/, ""); print }')
DEFMAX=$("$PUBTRAILD" --help | awk '$1 == "batch_max" {
    sub(/.*\(default /, ""); sub(/,.*/, ""); print }')
WIN=${BENCH_WINDOW_MS:-$DEFWIN}
BMAX=${BENCH_BATCH_MAX:-$DEFMAX}
VT=${BENCH_VERIFY_THREADS:-0}
[ "$VT" = 0 ] && VTN=$NCPU || VTN=$VT
say "scale $SCALE ($N entries), $NCPU CPUs, phases $ONLY, tmp $TMP"

# ---- baselines ----
if want base; then
	say "baselines"
	figs "$B/baseline" ed25519 "$VTN" 3
	[ "$VTN" != "$NCPU" ] && figs "$B/baseline" ed25519 "$NCPU" 3
	# One verification's CPU: the single-thread rate's inverse.
	[ "$VTN" != 1 ] && [ "$NCPU" != 1 ] && figs "$B/baseline" ed25519 1 3
	addfig ed25519_verify_cpu "$(awk -v r="$(fig ed25519_verify_1t)" \
	    'BEGIN { printf "%.3f", (r > 0) ? 1e6 / r : 0 }')" us
	figs "$B/baseline" sha256 1 3
	# Informational: puts of 32-byte values (one hash each).
	figs "$B/baseline" lmdb "$TMP/lmdb" "$N"
	rm -rf "$TMP/lmdb"
fi

# ---- the store alone: its layout's cost per database ----
if want store; then
	NS=$(awk -v s="$SCALE" 'BEGIN { n = int(100000 * s);
	    if (n < 10000) n = 10000; print n }')
	say "store: $NS entries of 300..599 bytes, two offices (no signing)"
	figs "$B/storebench" --dir "$TMP/store" --n "$NS"
	rm -rf "$TMP/store"
fi

# ---- the sequencer in process; builds the log the reads use ----
LOG=$TMP/log
if want seq || want read || want audit || want append || want submit || want static; then
	say "sequencer: $N entries (signing is not timed)"
	figs "$B/seqbench" --dir "$LOG" --n "$N" --origin "$ORIGIN" \
	    --batch "$BMAX" --receipts
	du -sk "$LOG" | awk '{ print "  log directory: " $1 " KiB" }' >&2
fi

# ---- a daemon on that log ----
DPORT=""
DPID=""
DAEMON_EXTRA=""		# more pubtraild.conf lines (phase static)
RSSLOG=$TMP/rss
start_daemon() {
	cat > "$TMP/pubtraild.conf" <<EOF
[pubtraild]
rate_limit = 0
batch_max = $BMAX
batch_window_ms = $WIN
verify_threads = $VT
queue_max = 65536
max_connections = 4096
$DAEMON_EXTRA
EOF
	# Who may append is the log's own grants (office keys): the first
	# start grants seqbench's submitter, signed by a registrar key made
	# here (--bootstrap-registrar-key, once).
	BOOT=""
	if [ ! -f "$LOG/registrar.vkey" ]; then
		[ -f "$TMP/registrar.key" ] || "$PUBTRAIL" keygen --name \
		    bench-registrar --out "$TMP/registrar.key" >/dev/null
		BOOT="--bootstrap-registrar-key $TMP/registrar.key"
	fi
	for try in 1 2 3 4 5; do
		DPORT=$(port)
		"$PUBTRAILD" --config "$TMP/pubtraild.conf" --data "$LOG" \
		    --listen "127.0.0.1:$DPORT" --origin "$ORIGIN" $BOOT \
		    >> "$TMP/pubtraild.log" 2>&1 &
		DPID=$!
		PIDS="$PIDS $DPID"
		for i in $(seq 1 100); do
			if curl -sf "http://127.0.0.1:$DPORT/healthz" \
			    >/dev/null 2>&1; then
				break 2
			fi
			kill -0 "$DPID" 2>/dev/null || break
			sleep 0.1
		done
		stop "$DPID"
		DPID=""
	done
	[ -n "$DPID" ] || { cat "$TMP/pubtraild.log"; exit 1; }
	# Resident memory outside the LMDB map (anonymous pages), sampled.
	( while kill -0 "$DPID" 2>/dev/null; do
		awk '$1 == "RssAnon:" { print $2 }' "/proc/$DPID/status" \
		    2>/dev/null
		sleep 0.2
	done ) >> "$RSSLOG" &
	PIDS="$PIDS $!"
}
if want read || want append || want submit || want audit || want static; then
	start_daemon
	say "pubtraild pid $DPID on 127.0.0.1:$DPORT"
fi
LG="$B/loadgen --port"

if want read; then
	# A daemon just started has not yet mapped the pages of its log into
	# its page tables: the first proofs of a 10M-entry log take ~70,000
	# minor page faults in 5 s (docs/PERFORMANCE.md).  Measure the steady
	# state, at every scale: 3 s of the same load first, not recorded.
	say "warm-up: 3 s of inclusion proofs, not measured"
	$LG "$DPORT" --conns 32 --duration 3 proof --size "$N" >/dev/null 2>&1
	say "inclusion proofs over HTTP (random indexes, size $N)"
	figs $LG "$DPORT" --conns 32 --duration "$DUR" proof --size "$N"
	say "full level-0 hash tiles over HTTP"
	figs $LG "$DPORT" --conns 32 --duration "$DUR" tiles --size "$N"

	say "baseline: a trivial evhttp handler"
	HP=$(port)
	"$B/baseline" httpd "$HP" & HPID=$!
	PIDS="$PIDS $HPID"
	ready "$HP" / "$HPID"
	figs $LG "$HP" --conns 32 --duration "$DUR" --name evhttp_trivial \
	    get --path /
	stop "$HPID"

	say "baseline: nginx serving an 8 KiB file"
	NG=$TMP/nginx
	mkdir -p "$NG/html"
	head -c 8192 /dev/urandom > "$NG/html/file8k"
	NP=$(port)
	nginx_conf "$NG" "	server {
		listen 127.0.0.1:$NP;
		root $NG/html;
		default_type application/octet-stream;
	}"
	if command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; then
		NGINX=$(command -v nginx || echo /usr/sbin/nginx)
		"$NGINX" -p "$NG/" -c "$NG/nginx.conf" -e "$NG/logs/error.log" &
		NPID=$!
		PIDS="$PIDS $NPID"
		ready "$NP" /file8k "$NPID"
		figs $LG "$NP" --conns 32 --duration "$DUR" --name nginx_8k \
		    get --path /file8k
		stop "$NPID"
	else
		say "nginx not installed: no tile baseline"
	fi
fi

if want append; then
	say "signed appends over HTTP: as fast as answered"
	NA=$(awk -v s="$SCALE" -v d="$DUR" 'BEGIN { n = int(4000 * d);
	    print n < 2000 ? 2000 : n }')
	figs $LG "$DPORT" --conns "$ADDCONNS" --name add add \
	    --key "$LOG/bench-submitter.key" --origin "$ORIGIN" \
	    --tag "max$$" --n "$NA"
	MAX=$(fig add_rate)
	HALF=$(awk -v m="$MAX" 'BEGIN { printf "%d", m / 2 }')
	NH=$(awk -v h="$HALF" -v d="$DUR" 'BEGIN { print int(h * d) + 1 }')
	say "signed appends at half that rate ($HALF/s): latency"
	figs $LG "$DPORT" --conns 256 --rate "$HALF" --name add_half add \
	    --key "$LOG/bench-submitter.key" --origin "$ORIGIN" \
	    --tag "half$$" --n "$NH"
	# Batched: BENCH_ADD_BATCH submissions per POST /add; the daemon's
	# own CPU (utime + stime from /proc, the load generator excluded)
	# per appended entry.
	say "signed appends over HTTP in batches of $ABATCH"
	NBA=$(awk -v d="$DUR" -v b="$ABATCH" 'BEGIN { n = int(8000 * d);
	    if (n < 4000) n = 4000; print n - n % b }')
	TCK=$(getconf CLK_TCK)
	verify_mark batch before "$VTN"
	C0=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat")
	figs $LG "$DPORT" --conns 16 --name add_batch add --batch "$ABATCH" \
	    --key "$LOG/bench-submitter.key" --origin "$ORIGIN" \
	    --tag "batch$$" --n "$NBA"
	C1=$(awk '{ print $14 + $15 }' "/proc/$DPID/stat")
	verify_mark batch after "$VTN"
	verify_near batch "$VTN"
	E=$(fig add_batch_entries_n)
	[ -n "$E" ] && [ "$E" != 0 ] && addfig add_batch_cpu "$(awk \
	    -v c="$((C1 - C0))" -v t="$TCK" -v e="$E" \
	    'BEGIN { printf "%.3f", c / t * 1e6 / e }')" us/entry
	# The same figure beside a verification's CPU on busy cores.
	v=$(fig add_batch_cpu)
	[ -n "$v" ] && addfig add_batch_cpu_busy "$v" us/entry
fi

# ---- pubtrail submit of a whole file, end to end, default options ----
if want submit; then
	NSUB=$(awk -v s="$SCALE" 'BEGIN { n = int(100000 * s);
	    if (n < 2000) n = 2000; print n }')
	say "pubtrail submit of $NSUB records, default options (signing," \
	    "batches, receipts verified and saved)"
	awk -v n="$NSUB" -v t="sub$$" 'BEGIN { for (i = 0; i < n; i++)
	    printf "{\"type\":\"payment\",\"id\":\"%s-%d\",\"date\":" \
	    "\"2026-03-01\",\"amount_minor\":%d,\"currency\":\"EUR\"," \
	    "\"payer\":{\"kind\":\"organization\",\"scheme\":\"XI-BENCH\"," \
	    "\"id\":\"F-1\",\"name\":\"Bench Finance Office\"}," \
	    "\"payee\":{\"kind\":\"organization\",\"scheme\":\"XI-BENCH\"," \
	    "\"id\":\"P-%d\",\"name\":\"Supplier %d\"},\"description\":" \
	    "\"Invoice %d\"}\n", t, i, 1000 + i, i % 997, i % 997, i }' \
	    > "$TMP/submit.jsonl"
	mkdir -p "$TMP/submit" && chmod 700 "$TMP/submit"
	# The file system's own rate of new receipt-sized files, beside it:
	# on ext4 without a journal (this VM) it falls ~20 x for minutes
	# after many files were deleted (a test suite, an earlier bench run:
	# the allocator skips recently freed inodes), and the receipts with it.
	verify_mark submit before "$NCPU"
	figs "$B/baseline" files "$TMP/files" "$((NSUB / 5))"
	S0=$(date +%s.%N)
	if (cd "$TMP/submit" && "$PUBTRAIL" submit \
	    --log "http://127.0.0.1:$DPORT" --log-key "$LOG/log.vkey" \
	    --key "$LOG/bench-submitter.key" "$TMP/submit.jsonl" \
	    > "$TMP/submit.out" 2> "$TMP/submit.err"); then
		S1=$(date +%s.%N)
		verify_mark submit after "$NCPU"
		verify_near submit "$NCPU"
		R=$(ls "$TMP/submit/receipts" | wc -l)
		addfig submit_rate "$(awk -v n="$NSUB" -v a="$S0" -v b="$S1" \
		    'BEGIN { printf "%.1f", n / (b - a) }')" records/s
		say "  $NSUB records in $(awk -v a="$S0" -v b="$S1" \
		    'BEGIN { printf "%.1f", b - a }') s, $R receipts saved"
	else
		say "pubtrail submit failed:"; tail -5 "$TMP/submit.err" >&2
	fi
fi

if want audit; then
	VKEY=$(cat "$LOG/log.vkey")
	say "client audit, every submitter signature checked"
	A0=$(date +%s.%N)
	if /usr/bin/time -o "$TMP/audit.rss" -f %M \
	    "$PUBTRAIL" audit --log "http://127.0.0.1:$DPORT" \
	    --log-key "$VKEY" --json > "$TMP/audit.json" 2>"$TMP/audit.err"
	then
		A1=$(date +%s.%N)
		E=$(sed -n 's/.*"entries_checked":\([0-9]*\).*/\1/p' \
		    "$TMP/audit.json")
		addfig audit_sigs "$(awk -v e="$E" -v a="$A0" -v b="$A1" \
		    'BEGIN { print e / (b - a) }')" entries/s
		sed 's/^/  /' "$TMP/audit.json" >&2
	else
		say "pubtrail audit failed:"; cat "$TMP/audit.err" >&2
	fi
	if "$PUBTRAIL" audit --help 2>&1 | grep -q -- --hashes-only; then
		say "client audit, hashes only"
		A0=$(date +%s.%N)
		"$PUBTRAIL" audit --log "http://127.0.0.1:$DPORT" \
		    --log-key "$VKEY" --hashes-only --json \
		    > "$TMP/audit2.json" 2>&1
		A1=$(date +%s.%N)
		E=$(sed -n 's/.*"entries_checked":\([0-9]*\).*/\1/p' \
		    "$TMP/audit2.json")
		[ -n "$E" ] && addfig audit_hashes "$(awk -v e="$E" \
		    -v a="$A0" -v b="$A1" 'BEGIN { print e / (b - a) }')" \
		    entries/s
	else
		say "pubtrail audit has no hashes-only mode: figure not measured"
	fi
	# Readers' peak memory (issue 19): the whole log through audit (the
	# run above), monitor and each export format, each its peak resident
	# set (GNU time's %M, KiB); output to /dev/null.
	rss() {	# name file-with-KiB
		k=$(tail -1 "$2" 2>/dev/null)
		case "$k" in ''|*[!0-9]*) say "$1: not measured"; return ;; esac
		addfig "$1" "$(awk -v k="$k" 'BEGIN { printf "%.1f", k / 1024 }')" MiB
	}
	rss rss_audit "$TMP/audit.rss"
	L="--log http://127.0.0.1:$DPORT --log-key $VKEY"
	say "client monitor --from-start --once (peak memory)"
	/usr/bin/time -o "$TMP/monitor.rss" -f %M "$PUBTRAIL" monitor $L \
	    --from-start --once > /dev/null 2>"$TMP/monitor.err" ||
	    { say "monitor failed:"; cat "$TMP/monitor.err" >&2; }
	rss rss_monitor "$TMP/monitor.rss"
	for f in csv jsonl ocds blds; do
		say "client export --format $f (peak memory)"
		/usr/bin/time -o "$TMP/export-$f.rss" -f %M "$PUBTRAIL" export \
		    $L --format "$f" --quiet > /dev/null 2>"$TMP/export.err" ||
		    { say "export $f failed:"; cat "$TMP/export.err" >&2; }
		rss "rss_export_$f" "$TMP/export-$f.rss"
	done
fi

# ---- static trees: publish_dir, nginx serving it, audits from it ----
# The daemon restarted with publish_dir writes the whole tree once (the
# catch-up, timed), then appends run with the publisher active (beside
# the append rate measured above without it); nginx (one worker, like the
# 8 KiB baseline) serves the tree as docs/OPERATIONS.md's mirror
# configuration does: full level-0 tiles at nginx's rate, and the
# hashes-only audit from the files, with and without the .gz copies,
# beside the same audit against pubtraild, in this phase.
if want static && [ -n "$DPID" ]; then
	PUBD=$TMP/published
	stop "$DPID"
	DPID=""
	DAEMON_EXTRA=$(printf 'publish_dir = %s\npublish_gzip = 1' "$PUBD")
	P0=$(date +%s.%N)
	start_daemon
	VKEY=$(cat "$LOG/log.vkey")
	NOW=$(curl -sf "http://127.0.0.1:$DPORT/checkpoint" | sed -n 2p)
	for i in $(seq 1 36000); do
		[ "$(sed -n 2p "$PUBD/checkpoint" 2>/dev/null)" = "$NOW" ] &&
		    break
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.05
	done
	P1=$(date +%s.%N)
	if [ "$(sed -n 2p "$PUBD/checkpoint" 2>/dev/null)" = "$NOW" ]; then
		addfig publish_catchup "$(awk -v n="$NOW" -v a="$P0" \
		    -v b="$P1" 'BEGIN { printf "%.0f", n / (b - a) }')" entries/s
		du -sk "$PUBD" | awk '{ print "  published tree: " $1 " KiB" }' >&2
	else
		say "publish_dir did not catch up"; tail -5 "$TMP/pubtraild.log" >&2
	fi
	if want append; then
		say "signed appends over HTTP with publish_dir active"
		NA=$(awk -v s="$SCALE" -v d="$DUR" 'BEGIN { n = int(4000 * d);
		    print n < 2000 ? 2000 : n }')
		figs $LG "$DPORT" --conns "$ADDCONNS" --name add_publish add \
		    --key "$LOG/bench-submitter.key" --origin "$ORIGIN" \
		    --tag "pub$$" --n "$NA"
		NOW=$(curl -sf "http://127.0.0.1:$DPORT/checkpoint" | sed -n 2p)
		for i in $(seq 1 600); do
			[ "$(sed -n 2p "$PUBD/checkpoint")" = "$NOW" ] && break
			sleep 0.05
		done
	fi
	NG=$TMP/nginx-static
	NP=$(port)
	NPZ=$(port)
	# Two servers on one nginx: the documented one (gzip_static on) and
	# the same without the .gz files.
	srv() {
		cat <<EOF
	server {
		listen 127.0.0.1:$1;
		root $PUBD;
		location = /checkpoint {
			default_type "text/plain; charset=utf-8";
			add_header Cache-Control "public, max-age=1, must-revalidate";
		}
		location /tile/ {
			try_files \$uri =404;
			default_type application/octet-stream;
			gzip_static $2;
			add_header Cache-Control "public, max-age=31536000, immutable";
		}
	}
EOF
	}
	nginx_conf "$NG" "$(srv "$NPZ" on)
$(srv "$NP" off)"
	NGINX=$(command -v nginx || echo /usr/sbin/nginx)
	if [ -x "$NGINX" ] && [ -f "$PUBD/checkpoint" ]; then
		"$NGINX" -p "$NG/" -c "$NG/nginx.conf" -e "$NG/logs/error.log" &
		NPID=$!
		PIDS="$PIDS $NPID"
		ready "$NP" /checkpoint "$NPID"
		say "full level-0 hash tiles from the published tree, nginx"
		figs $LG "$NP" --conns 32 --duration "$DUR" --name tiles_nginx \
		    tiles --size "$N"
		audit_rate() {	# NAME URL: a hashes-only audit's entries/s
			A0=$(date +%s.%N)
			"$PUBTRAIL" audit --log "$2" --log-key "$VKEY" \
			    --hashes-only --json > "$TMP/$1.json" 2>&1
			A1=$(date +%s.%N)
			E=$(sed -n 's/.*"entries_checked":\([0-9]*\).*/\1/p' \
			    "$TMP/$1.json")
			[ -n "$E" ] && addfig "$1" "$(awk -v e="$E" -v a="$A0" \
			    -v b="$A1" 'BEGIN { print e / (b - a) }')" \
			    entries/s
			[ -n "$E" ] || { say "audit $1 failed:"; cat "$TMP/$1.json" >&2; }
		}
		say "hashes-only audits: nginx (published tree, .gz), nginx" \
		    "(no .gz), pubtraild"
		audit_rate audit_hashes_nginx_gz "http://127.0.0.1:$NPZ"
		audit_rate audit_hashes_nginx "http://127.0.0.1:$NP"
		audit_rate audit_hashes_daemon "http://127.0.0.1:$DPORT"
		stop "$NPID"
	else
		say "nginx missing or nothing published: static figures not measured"
	fi
fi

# ---- the citizen page: a year of payments proven in headless Chromium ----
# Its own log of NW entries (a 1M-entry log is ten years of a large city's
# payments, more than a browser tab should hold), served by pubtraild with
# web_root; tests/browser/driver.mjs opens #/explore?auto=1 and reads the
# page's own timing (window.pubtrailBench): every bundle fetched, every
# leaf hash and every tile hashed up to the signed root in WebCrypto, every
# entry decoded; then again with every office signature checked.  Set
# beside the one-thread SHA-256 leaf-hash rate in C of this run.
if want web; then
	NW=${BENCH_WEB_N:-$(awk -v s="$SCALE" 'BEGIN { n = int(100000 * s);
	    if (n < 1024) n = 1024; print n }')}
	WLOG=$TMP/weblog
	if [ ! -f "$BUILD/web/index.html" ] || ! command -v node >/dev/null ||
	    [ ! -x /usr/bin/chromium ]; then
		say "web: build/web, node or chromium missing (make web): not measured"
	else
		[ -n "$(fig sha256_leaf_1t)" ] || figs "$B/baseline" sha256 1 3
		[ -n "$(fig ed25519_verify_1t)" ] || figs "$B/baseline" ed25519 1 3
		say "web: a log of $NW payments for the citizen page"
		"$B/seqbench" --dir "$WLOG" --n "$NW" --origin "web.$ORIGIN" \
		    --batch "$BMAX" > "$TMP/webseq.out" 2>&1 ||
		    { cat "$TMP/webseq.out" >&2; exit 1; }
		printf '[pubtraild]\nweb_root = %s\nrate_limit = 0\n' \
		    "$BUILD/web" > "$TMP/web.conf"
		# The page judges every entry by the log's grants: seqbench's
		# log has none, so the daemon's first start migrates it
		# (seqbench's submitter granted after its entries, signed by a
		# registrar key made here), as a log made before office keys
		# is migrated (docs/OPERATIONS.md).
		[ -f "$TMP/webreg.key" ] || "$PUBTRAIL" keygen --name \
		    bench-registrar --out "$TMP/webreg.key" >/dev/null
		WBOOT="--bootstrap-registrar-key $TMP/webreg.key"
		WPORT=""
		for try in 1 2 3 4 5; do
			WPORT=$(port)
			[ -f "$WLOG/registrar.vkey" ] && WBOOT=""
			"$PUBTRAILD" --config "$TMP/web.conf" --data "$WLOG" \
			    --listen "127.0.0.1:$WPORT" --origin "web.$ORIGIN" \
			    $WBOOT >> "$TMP/webd.log" 2>&1 &
			WPID=$!
			PIDS="$PIDS $WPID"
			ready "$WPORT" /healthz "$WPID" && break
			stop "$WPID"
			WPORT=""
		done
		[ -n "$WPORT" ] || { cat "$TMP/webd.log" >&2; exit 1; }
		U="http://127.0.0.1:$WPORT/#/explore?auto=1"
		say "web: headless Chromium proves all $NW entries (hashes), then with signatures"
		printf '{"cmd":"explore","url":"%s&sigs=0"}\n{"cmd":"explore","url":"%s"}\n{"cmd":"quit"}\n' \
		    "$U" "$U" | PT_WEB_OUT="$TMP" PT_WEB_WAIT_MS=1800000 \
		    node "$TOP/tests/browser/driver.mjs" > "$TMP/web.json" \
		    2> "$TMP/web.err"
		node -e '
		const lines = require("fs").readFileSync(process.argv[1], "utf8")
		    .split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l));
		const [, h, s] = lines;
		const out = (n, v, u) => console.log("FIG " + n + " " + v + " " + u);
		for (const [r, name] of [[h, "web_verify"], [s, "web_verify_sigs"]]) {
			if (!r || !r.ok || !r.result.bench || r.result.bad !== "0") {
				console.error("web: " + name + " failed: " +
				    JSON.stringify(r).slice(0, 2000));
				continue;
			}
			const b = r.result.bench;
			out(name, (b.entries / (b.ms / 1000)).toFixed(0), "entries/s");
			if (name === "web_verify") {
				out("web_sha256", (b.hashes / (b.ms / 1000)).toFixed(0), "hashes/s");
				out("web_bytes", b.bytes, "bytes");
			}
		}' "$TMP/web.json" | tee -a "$FIGS" | sed 's/^FIG /  /' >&2
		[ -s "$TMP/web.err" ] && sed 's/^/  driver: /' "$TMP/web.err" >&2
		stop "$WPID"
	fi
fi

if [ -n "$DPID" ]; then
	stop "$DPID"
	RSS=$(sort -n "$RSSLOG" 2>/dev/null | tail -1)
	[ -n "$RSS" ] && addfig rss_anon_max "$(awk -v k="$RSS" \
	    'BEGIN { print k / 1024 }')" MiB
fi
# The sequencer's baseline: LMDB puts of values the size of the entries it
# stored (their mean, seqbench's entry_bytes), 10,000 per fsynced commit:
# what storing the entries alone costs LMDB on this machine.  Bound by the
# disk's writes and fsyncs, which vary 2x from run to run on a shared VM:
# the best of three runs is the machine's limit.  Run last: its files (3 x
# N x ~470 bytes: 14 GB at scale 10) would push the log out of the page
# cache before the reads.
EV=$(awk '$1 == "FIG" && $2 == "entry_bytes" { printf "%d", $3 + 0.5 }' \
    "$FIGS")
EV=${EV:-466}
if want base; then
	say "baseline: LMDB puts of $EV-byte values (the entries' mean size)," \
	    "best of 3"
	for i in 1 2 3; do
		"$B/baseline" lmdb "$TMP/lmdb" "$N" "$EV"
		rm -rf "$TMP/lmdb"
	done > "$TMP/lmdbev"
	sed 's/^FIG /  /' "$TMP/lmdbev" >&2
	addfig "lmdb_puts_$EV" "$(awk '$1 == "FIG" && $3 + 0 > m {
	    m = $3 + 0 } END { print m }' "$TMP/lmdbev")" puts/s
fi

addfig batch_window "$WIN" ms

# ---- the table and results.json ----
# figure | baseline | kind | target | label of the target
#   kind ge: ratio = value / baseline, target is a minimum ratio
#   kind le: ratio = value / baseline, target is a maximum ratio
#   kind plus: target: value <= baseline + t
#   kind abs: no baseline; target: value <= t
#   kind info: no target
SPEC=$TMP/spec
cat > "$SPEC" <<EOF
add_rate ed25519_verify_${VTN}t ge 0.8
add_batch_entries ed25519_verify_${VTN}t_batch ge 0.9
add_batch_cpu ed25519_verify_cpu_batch le 1.2
add_batch_cpu_busy ed25519_verify_cpu_${VTN}t_batch info 0
submit_rate ed25519_verify_${NCPU}t_submit ge 0.35
files_create - info 0
add_half_p50 batch_window info 0
add_half_p99 batch_window plus 15
seq_append lmdb_puts_$EV ge 0.25
seq_receipts - info 0
seq_commit - info 0
seq_phase_append - info 0
proof_rate evhttp_trivial_rate ge 0.5
proof_p50 - info 0
proof_p99 - info 0
tiles_rate nginx_8k_rate ge 0.6
tiles_p99 - info 0
audit_hashes sha256_leaf_1t ge 0.5
audit_sigs ed25519_verify_${NCPU}t ge 0.8
audit_hashes_nginx_gz sha256_leaf_1t ge 0.5
audit_hashes_nginx sha256_leaf_1t ge 0.5
audit_hashes_daemon sha256_leaf_1t ge 0.5
tiles_nginx_rate nginx_8k_rate ge 0.8
tiles_nginx_p99 - info 0
add_publish_rate add_rate ge 0.9
publish_catchup - info 0
storage_overhead leaf_hash_bytes le 5
store_append - info 0
store_check_full - info 0
store_overhead - info 0
store_map_overhead - info 0
store_db_entries - info 0
store_db_hashes - info 0
store_db_leaves - info 0
store_db_leaves_new - info 0
store_db_ids - info 0
store_db_offices - info 0
store_db_checkpoints - info 0
store_db_meta - info 0
rss_anon_max - abs 64
rss_audit - abs 64
rss_monitor - abs 64
rss_export_csv - abs 64
rss_export_jsonl - abs 64
rss_export_ocds - abs 64
rss_export_blds - abs 64
web_verify sha256_leaf_1t info 0
web_verify_sigs ed25519_verify_1t info 0
web_sha256 sha256_leaf_1t info 0
web_bytes - info 0
ed25519_verify_${VTN}t - info 0
ed25519_verify_cpu - info 0
sha256_leaf_1t - info 0
lmdb_puts_$EV - info 0
lmdb_puts - info 0
evhttp_trivial_rate - info 0
nginx_8k_rate - info 0
EOF
[ "$VTN" != "$NCPU" ] && echo "ed25519_verify_${NCPU}t - info 0" >> "$SPEC"
addfig leaf_hash_bytes 32 bytes/entry
# The 10M comparison: the same figures of a scale-1 run.
REF=$TOP/bench/results-scale1.json
if [ "$SCALE" != 1 ] && [ -f "$REF" ]; then
	for f in seq_append proof_p50 proof_p99 add_rate; do
		v=$(sed -n "s/.*\"name\": \"$f\", \"value\": \\([0-9.e+-]*\\).*/\\1/p" "$REF" | head -1)
		[ -n "$v" ] || continue
		u=$(awk -v n="$f" '$2 == n { print $4 }' "$FIGS" | tail -1)
		addfig "${f}_1M" "$v" "$u"
		echo "${f} ${f}_1M within 0.2" >> "$SPEC"
	done
	# How the machine's storage itself scales: the sequencer's baseline
	# of the scale-1 run (its puts of entry-sized values).
	v=$(sed -n 's/.*"name": "seq_append", .*"baseline_value": \([0-9.e+-]*\).*/\1/p' "$REF" | head -1)
	w=$(fig "lmdb_puts_$EV")
	if [ -n "$v" ] && [ -n "$w" ]; then
		addfig lmdb_puts_entry "$w" puts/s
		addfig lmdb_puts_entry_1M "$v" puts/s
		echo "lmdb_puts_entry lmdb_puts_entry_1M info 0" >> "$SPEC"
	fi
fi

awk -v out="$OUT" -v scale="$SCALE" '
FNR == NR { if ($1 == "FIG") { val[$2] = $3; unit[$2] = $4 } next }
{
	f = $1; b = $2; kind = $3; t = $4
	if (!(f in val)) next
	v = val[f]; bv = (b in val) ? val[b] : ""; r = ""
	if (bv != "" && bv + 0 != 0) r = sprintf("%.3f", v / bv)
	if (kind == "ge") tg = ">= " t
	else if (kind == "le") tg = "<= " t
	else if (kind == "plus") tg = "<= baseline + " t " ms"
	else if (kind == "abs") tg = "<= " t " " unit[f]
	else if (kind == "within") tg = "within 20% of the 1M figure"
	else tg = "-"
	printf "%-18s %12.6g %-16s | %-22s %12s %-16s | ratio %-7s | %s\n",
	    f, v, unit[f], (bv == "" ? "-" : b), bv, (bv == "" ? "" : unit[b]),
	    (r == "" ? "-" : r), tg
	n++
	js[n] = sprintf("  {\"name\": \"%s\", \"value\": %s, \"unit\": \"%s\", " \
	    "\"baseline\": %s, \"baseline_value\": %s, \"ratio\": %s, " \
	    "\"target\": \"%s\"}", f, v, unit[f],
	    (bv == "" ? "null" : "\"" b "\""), (bv == "" ? "null" : bv),
	    (r == "" ? "null" : r), tg)
}
END {
	printf "[\n" > out
	for (i = 1; i <= n; i++)
		printf "%s%s\n", js[i], (i < n ? "," : "") > out
	printf "]\n" > out
}' "$FIGS" "$SPEC"
if [ "$SCALE" = 1 ] && [ "$ONLY" = "$ALL_PHASES" ]; then
	cp "$OUT" "$TOP/bench/results-scale1.json"
fi
echo "bench: figures in $OUT (scale $SCALE)"
