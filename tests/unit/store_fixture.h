/*
 * store_fixture.h: what the store's unit suites share (test_store,
 * test_store_groups, test_store_index, test_store_check): a temporary
 * directory per test, synthetic entries, an in-memory tree to compare
 * with, batches, and ways to damage a closed store (LMDB edits, bit flips
 * in data.mdb).  Real LMDB in directories under /tmp, removed at the end
 * of each test (the base directory by an unchecked fixture, so also when a
 * test fails in its forked child).
 */
#ifndef PT_STORE_FIXTURE_H
#define PT_STORE_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include "mt.h"
#include "../../daemon/store.h"

/* The current test's directory (dir_make), under the suite's base. */
extern char tdir[128];

extern const uint8_t sub_a[32];
extern const uint8_t sub_b[32];

/* Unchecked fixture: make and remove the suite's base directory. */
void base_setup(void);
void base_teardown(void);
/* A new empty tdir under the base; remove it with what it holds. */
void dir_make(void);
void dir_remove(void);
/* Remove dir and the files in it (and in its subdirectories). */
void rm_flat(const char *dir);

/* Deterministic synthetic entry i of minlen + (i * 7919) % spread bytes:
 * a unique marker ("ENTRY-<i>-"), then filler.  Returns its length. */
size_t make_entry(uint64_t i, uint8_t *buf, size_t minlen, size_t spread);
/* "pay-<i>" */
void make_id(uint64_t i, char *id, size_t cap, size_t *len);
/* A checkpoint-shaped note for size (the store does not parse it). */
void make_note(uint64_t size, char *note, size_t cap, size_t *len);

/* In-memory tree: leaf hashes, and a reader that recomputes any complete
 * subtree from them (O(2^level) per read). */
struct memtree {
	struct mt_hash *leaf;
	uint64_t n, cap;
};
void mem_push(struct memtree *m, const struct mt_hash *h);
int mem_read(void *ctx, unsigned level, uint64_t n, struct mt_hash *out);
void mem_root(struct memtree *m, uint64_t size, struct mt_hash *root);

/* Open tdir writable with a map of map bytes (0: 256 MiB, which valgrind
 * can map); fails the test on error. */
struct store *open_ok(uint64_t map);

/*
 * Append entries [start, start+count) in one batch with a checkpoint at
 * time_ms (entry i by sub_b when i is odd, else sub_a; id "pay-<i>"); keeps
 * m (may be NULL) in step and checks the batch's root against it.  Returns
 * the commit result (0 expected unless testing a full store).
 */
int append_batch(struct store *s, struct memtree *m, uint64_t start,
    uint64_t count, size_t minlen, size_t spread, uint64_t time_ms);
/* Every root 0, step, 2*step, .. and m->n read through a read txn equals
 * the memory tree's. */
void check_roots(struct store *s, struct memtree *m, uint64_t step);

/* Put (or with del, delete) one record of database dbname of the closed
 * store in tdir, through LMDB directly. */
void lmdb_edit(const char *dbname, const void *key, size_t klen,
    const void *val, size_t vlen, int del);
/* Make tdir an LMDB environment without any named database. */
void lmdb_make_empty(void);
/* Flip bit 0 of byte off of every occurrence of pat (plen bytes) in
 * tdir/data.mdb; returns the number of occurrences. */
int flip_in_file(const uint8_t *pat, size_t plen, size_t off);

#endif
