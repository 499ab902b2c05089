#!/bin/sh
# `make fuzz`: build the libFuzzer targets (build.sh fuzz), run each for
# PT_FUZZ_SECONDS (default 60) starting from its committed corpus
# (tests/fuzz/corpus/<target>/) plus the seeds (seeds.py), at most
# PT_FUZZ_JOBS (default 2) at a time, then minimise what was found into the
# committed corpus directory with -merge=1 (commit it afterwards).
#
#   PT_FUZZ_SECONDS=600 make fuzz             the 10-minute runs
#   PT_FUZZ_TARGETS="note proof" make fuzz     only some targets
#   PT_FUZZ_MERGE=0 make fuzz                  leave the corpus alone
#
# Crashes are written to $BUILD/fuzz/artifacts/<target>/ and fail the run;
# logs go to $BUILD/fuzz/<target>.log.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$top/build}
secs=${PT_FUZZ_SECONDS:-60}
jobs=${PT_FUZZ_JOBS:-2}
merge=${PT_FUZZ_MERGE:-1}
out=$BUILD/fuzz
mkdir -p "$out"
targets=$(sh "$here/build.sh" fuzz "$out/bin") || { echo "fuzz: build failed"; exit 1; }
[ -n "${PT_FUZZ_TARGETS:-}" ] && targets=$PT_FUZZ_TARGETS
seeds=$out/seeds
rm -rf "$seeds"
/usr/bin/python3 "$here/seeds.py" "$seeds" >/dev/null || exit 1

max_len() {
	case $1 in
	submission) echo 24576 ;;
	note) echo 151552 ;;	# PT_NOTE_MAX and a tlog-proof header
	witreq) echo 155648 ;;	# PT_WITREQ_MAX_BODY and some
	*) echo 4096 ;;
	esac
}

run_one() {
	t=$1
	work=$out/work/$t
	art=$out/artifacts/$t/
	rm -rf "$work"; mkdir -p "$work" "$art" "$here/corpus/$t"
	cp "$here/corpus/$t/"* "$work/" 2>/dev/null || true
	[ -d "$seeds/$t" ] && cp "$seeds/$t/"* "$work/"
	echo "fuzz: $t for ${secs}s"
	"$out/bin/$t" -max_total_time="$secs" -max_len="$(max_len "$t")" \
	    -timeout=10 -rss_limit_mb=1536 -print_final_stats=1 \
	    -artifact_prefix="$art" "$work" >"$out/$t.log" 2>&1
	rc=$?
	grep -E '^(stat::number_of_executed_units|stat::new_units_added)' \
	    "$out/$t.log" | sed "s/^/fuzz: $t: /"
	if [ $rc -ne 0 ]; then
		echo "fuzz: $t FAILED (rc=$rc), see $out/$t.log and $art"
		return 1
	fi
	if [ "$merge" = 1 ]; then
		new=$out/merged/$t
		rm -rf "$new"; mkdir -p "$new"
		"$out/bin/$t" -merge=1 -max_len="$(max_len "$t")" "$new" \
		    "$here/corpus/$t" "$work" >"$out/$t.merge.log" 2>&1 || return 1
		rm -f "$here/corpus/$t/"*
		cp "$new/"* "$here/corpus/$t/"
		echo "fuzz: $t: corpus $(ls "$here/corpus/$t" | wc -l) files," \
		    "$(du -sk "$here/corpus/$t" | cut -f1) KiB"
	fi
	return 0
}

fail=0
running=0
pids=""
for t in $targets; do
	run_one "$t" &
	pids="$pids $!"
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		for p in $pids; do wait "$p" || fail=1; done
		pids=""; running=0
	fi
done
for p in $pids; do wait "$p" || fail=1; done
[ $fail -eq 0 ] && echo "fuzz: all targets clean" || echo "fuzz: FAILURES"
exit $fail
