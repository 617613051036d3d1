/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * DOC: shared by the fuzz targets
 *
 * Each fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput. libFuzzer calls it
 * in the clang build (-DANYCHECK_FUZZ=ON, fuzz/run.sh); fuzz/replay.c calls
 * it for files in every build. FUZZ_EXPECT states what must hold for any
 * input: a failure aborts, which both report as a crash with the input.
 */
#ifndef ANYCHECK_FUZZ_H
#define ANYCHECK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_EXPECT(condition) do {                                      \
	if (!(condition)) {                                              \
		fprintf(stderr, "%s:%d: expectation failed: %s\n",      \
		    __FILE__, __LINE__, #condition);                     \
		abort();                                                 \
	}                                                                \
} while (0)

/* The chunk sizes a stream is fed in on the second pass: 1 to 13 bytes,
 * varying, so that lines are split at every position the first pass (one
 * chunk) did not try. */
static inline size_t
fuzz_chunk_size(size_t offset)
{
	return 1 + (offset * 7 + offset / 13) % 13;
}

#endif
