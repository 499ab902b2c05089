#!/bin/sh
# `make soak`: the fault and hostile-client tests with bigger counts (same
# code as the smoke set in `make check`), then the fuzz corpora replayed.
# Every count can be overridden from the environment.  BUILD is the
# absolute build directory.
#
#   PT_KILL_ROUNDS        kill -9 rounds in test_faults (smoke 100)
#   PT_CRASH_ROUNDS       kill -9 rounds in test_daemon (smoke 20)
#   PT_SLOW_CONNS_FAULT   slow connections in test_faults (smoke 1000)
#   PT_SLOW_CONNS         slow connections in test_hostile_http (smoke 300)
#   PT_BOMB_LOOPS         passes over the msgpack bombs (smoke 5)
#   PT_SHIM_BATCHES       good batches before the injected storage failure
#   PT_SOAK_REPEAT        repeat the whole set (new random seed each time)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
export BUILD=${BUILD:-$top/build}
export PT_KILL_ROUNDS=${PT_KILL_ROUNDS:-1000}
export PT_CRASH_ROUNDS=${PT_CRASH_ROUNDS:-200}
export PT_SLOW_CONNS_FAULT=${PT_SLOW_CONNS_FAULT:-3000}
export PT_SLOW_CONNS=${PT_SLOW_CONNS:-1000}
export PT_BOMB_LOOPS=${PT_BOMB_LOOPS:-100}
export PT_SHIM_BATCHES=${PT_SHIM_BATCHES:-5}
repeat=${PT_SOAK_REPEAT:-3}
ulimit -n 20000 2>/dev/null || true
fail=0
i=1
while [ "$i" -le "$repeat" ]; do
	for t in test_faults.py test_daemon.py test_hostile_http.py; do
		echo "== soak $i/$repeat $t"
		start=$(date +%s)
		(cd "$top" && /usr/bin/python3 "tests/integration/$t") || fail=1
		echo "== $t: $(( $(date +%s) - start )) s"
	done
	i=$((i + 1))
done
echo "== soak: fuzz corpora"
(cd "$top" && sh tests/integration/test_fuzz_replay.sh) || fail=1
[ $fail -eq 0 ] && echo "soak: passed" || echo "soak: FAILED"
exit $fail
