/*
 * fuzz.h: the one entry point every fuzz target defines.  Built two ways by
 * tests/fuzz/run.sh and tests/integration/test_fuzz_replay.sh: with libFuzzer
 * (clang -fsanitize=fuzzer,...) for `make fuzz`, and with replay.c's main(),
 * which feeds every file of the corpus directories it is given, for
 * `make check`.  A target aborts (FUZZ_ASSERT) when an invariant fails, so
 * that both libFuzzer and the replay program report it.
 */
#ifndef PT_FUZZ_H
#define PT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(c) do {						\
	if (!(c)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #c);				\
		abort();						\
	}								\
} while (0)

#endif
