#!/bin/sh
# Build every fuzz target (tests/fuzz/fuzz_<name>.c) straight from the proto
# sources, into OUTDIR/<name>.
#
#   sh tests/fuzz/build.sh fuzz OUTDIR     libFuzzer binaries (clang,
#                                          -fsanitize=fuzzer,address,undefined)
#   sh tests/fuzz/build.sh replay OUTDIR   plain programs replaying corpus
#                                          directories (replay.c's main), with
#                                          -fsanitize=address,undefined (clang,
#                                          or gcc when clang is missing)
#
# A target names any extra source it needs in a "fuzz-extra: path..." line.
# Prints the names built; exits non-zero when a build fails.
set -eu
mode=${1:?usage: build.sh fuzz|replay OUTDIR}
out=${2:?usage: build.sh fuzz|replay OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
cd "$top"

# PT_FUZZ_CC overrides the compiler (replay mode works with gcc too).
if [ -n "${PT_FUZZ_CC:-}" ]; then CC=$PT_FUZZ_CC
elif command -v clang >/dev/null 2>&1; then CC=clang; else CC=gcc; fi
case $mode in
fuzz)	[ "$CC" = clang ] || { echo "build.sh: libFuzzer needs clang" >&2; exit 1; }
	SAN="-fsanitize=fuzzer,address,undefined" ;;
replay)	SAN="-fsanitize=address,undefined" ;;
*)	echo "build.sh: unknown mode $mode" >&2; exit 2 ;;
esac

PKGS="libcrypto msgpack libevent inih"
PKG_CFLAGS=$(pkg-config --cflags $PKGS 2>/dev/null || true)
PKG_LIBS=$(pkg-config --libs $PKGS 2>/dev/null || echo -lcrypto -lmsgpackc -levent -linih)
CFLAGS="-std=c11 -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all \
-Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wvla -Werror \
-D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -DPT_VERSION=\"fuzz\" \
-Iproto -Idaemon -Itests/fuzz $PKG_CFLAGS"
# (the proto objects need no libFuzzer instrumentation beyond coverage)
case $mode in
fuzz)	OBJSAN="-fsanitize=fuzzer-no-link,address,undefined" ;;
replay)	OBJSAN="$SAN" ;;
esac

mkdir -p "$out/obj"
objs=""
for src in proto/*.c; do
	o="$out/obj/$(basename "$src" .c).o"
	stale=0
	[ -f "$o" ] || stale=1
	for dep in "$src" proto/*.h; do
		[ "$stale" = 1 ] || [ ! "$dep" -nt "$o" ] || stale=1
	done
	if [ "$stale" = 1 ]; then
		$CC $CFLAGS $OBJSAN -c "$src" -o "$o"
	fi
	objs="$objs $o"
done

for src in tests/fuzz/fuzz_*.c; do
	name=$(basename "$src" .c); name=${name#fuzz_}
	extra=$(sed -n 's/.*fuzz-extra: *//p' "$src" | head -1)
	srcs="$src $extra"
	[ "$mode" = replay ] && srcs="$srcs tests/fuzz/replay.c"
	$CC $CFLAGS $SAN $srcs $objs -o "$out/$name" $PKG_LIBS
	echo "$name"
done
