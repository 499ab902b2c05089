#!/bin/sh
# bench/sweep.sh: appends over HTTP (throughput, and latency at half that
# rate) for several batch_max / batch_window_ms settings, on a log of
# BENCH_SCALE * 1M entries (default 0.1).  The evidence behind the defaults
# in daemon/cfg.c (docs/PERFORMANCE.md).
#   BUILD=<abs build dir> sh bench/sweep.sh ["MAX:WINDOW ..."]
TOP=$(cd "$(dirname "$0")/.." && pwd)
SETTINGS=${1:-"1024:10 256:2 256:5 1024:2 1024:5 4096:10 4096:25"}
printf "%-10s %-10s %12s %12s %12s %12s %12s\n" batch_max window_ms \
    "max_req/s" "ed25519/s" "half_p50_ms" "half_p99_ms" "errors"
for s in $SETTINGS; do
	m=${s%:*}
	w=${s#*:}
	BENCH_ONLY=base,append BENCH_SCALE=${BENCH_SCALE:-0.1} \
	    BENCH_DURATION=${BENCH_DURATION:-5} BENCH_BATCH_MAX=$m \
	    BENCH_WINDOW_MS=$w sh "$TOP/bench/run.sh" > /tmp/sweep.$$ 2>&1
	g() { awk -v n="$1" '$1 == n { print $2; exit }' /tmp/sweep.$$; }
	e=$(awk '/^  add_errors|^  add_half_errors/ { s += $2 } END { print s }' \
	    /tmp/sweep.$$)
	printf "%-10s %-10s %12.0f %12.0f %12.1f %12.1f %12s\n" "$m" "$w" \
	    "$(g add_rate)" "$(g ed25519_verify_2t)" "$(g add_half_p50)" \
	    "$(g add_half_p99)" "$e"
done
rm -f /tmp/sweep.$$
