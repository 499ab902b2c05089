#!/bin/sh
# Run Check unit-test binaries; print one summary line.  VALGRIND=1 runs each
# under valgrind's memcheck (no fork, leaks are errors).
pass=0; fail=0; failed=""
for t in "$@"; do
	name=$(basename "$t")
	if [ "${VALGRIND:-0}" = 1 ]; then
		CK_FORK=no valgrind -q --error-exitcode=99 --leak-check=full \
			--errors-for-leak-kinds=definite,indirect "$t"
	else
		"$t"
	fi
	if [ $? -eq 0 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $name"; fi
done
echo "unit suites: $pass passed, $fail failed${failed:+ ($failed )}"
[ "$fail" -eq 0 ]
