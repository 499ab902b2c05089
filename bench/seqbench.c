/*
 * seqbench.c: the sequencer in process, without HTTP and without signature
 * checks, and the builder of the big logs the HTTP benchmarks read.
 *
 *   seqbench --dir DIR --n N --origin ORIGIN [--batch B] [--chunk C]
 *            [--receipts] [--sign-threads T] [--unsigned]
 *
 * Creates a new pubtraild data directory DIR (log key log.key/log.vkey
 * named ORIGIN, a submitter key bench-submitter.key and the submitters
 * file), then appends N payment records in batches of B (default
 * PT_BATCH_DEFAULT, pubtraild's default batch_max) exactly as daemon/seq.c's
 * run_batch does: per entry the (submitter, id) lookup, wire_entry_encode,
 * the leaf hash, store_batch_append and the in-memory frontier; per batch
 * the root read back from the transaction and compared with the
 * frontier's, the checkpoint signed with the log key,
 * store_batch_set_checkpoint and the fsynced commit.  With --receipts the
 * receipts the daemon would send (rcpt_ctx_build, one context per batch
 * as in seq.c) are built after each commit
 * and timed separately.
 *
 * Submissions are signed by the submitter key beforehand, C at a time
 * (default 65536) on T threads (default 2), with the clock stopped: every
 * entry carries a valid submitter signature, so `pubtrail audit` of DIR
 * served by pubtraild checks real signatures.  The sequencing is timed
 * alone.  pubtraild --data DIR --origin ORIGIN then serves the log.
 * --unsigned (for profiling the sequencer alone) puts a zero signature in
 * every entry instead: such a log does not pass an audit.
 *
 * Figures: seq_append (entries/s, durable), seq_receipts (receipts/s),
 * seq_commit_ms (mean fsynced commit per batch), storage_overhead (bytes
 * per entry of data.mdb beyond the entry bytes), and the phases.
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "ckpt.h"
#include "crypto.h"
#include "mt.h"
#include "../daemon/rcpt.h"
#include "../daemon/store.h"

struct item {
	struct wire_buf rec;
	struct wire_submission sub;
	uint64_t index;
};

struct signer {
	pthread_t t;
	int fake;
	const struct note_skey *k;
	const char *origin;
	struct item *it;
	uint64_t first, lo, hi;
	int rc;
};

static void *
sign_main(void *arg)
{
	struct signer *s = arg;
	char vkey[PT_MAX_VKEY + 1];

	for (uint64_t i = s->lo; i < s->hi && s->rc == 0; i++) {
		struct item *it = &s->it[i];

		it->rec.len = 0;
		if ((s->rc = bench_payment(&it->rec, "seq", s->first + i)) != 0)
			break;
		if (s->fake) {
			/* Profiling only: a zero signature. */
			memset(&it->sub, 0, sizeof(it->sub));
			s->rc = record_check(it->rec.data, it->rec.len,
			    &it->sub.info, NULL);
			it->sub.record = it->rec.data;
			it->sub.record_len = it->rec.len;
			it->sub.record_checked = s->rc == 0;
			it->sub.submitter = s->k->vk;
		} else
			s->rc = wire_submission_sign(s->k, s->origin,
			    it->rec.data, it->rec.len, &it->sub, vkey,
			    sizeof(vkey));
		/* vkey_buf is per thread: point at the shared copy below. */
		it->sub.submitter_str = NULL;
	}
	return NULL;
}

static void
sign_chunk(const struct note_skey *k, const char *origin, const char *vkey,
    struct item *it, uint64_t first, uint64_t n, unsigned threads, int fake)
{
	struct signer *s = calloc(threads, sizeof(*s));

	if (s == NULL)
		bench_die("out of memory");
	for (unsigned t = 0; t < threads; t++) {
		s[t].k = k;
		s[t].fake = fake;
		s[t].origin = origin;
		s[t].it = it;
		s[t].first = first;
		s[t].lo = n * t / threads;
		s[t].hi = n * (t + 1) / threads;
		if (pthread_create(&s[t].t, NULL, sign_main, &s[t]) != 0)
			bench_die("pthread_create");
	}
	for (unsigned t = 0; t < threads; t++) {
		pthread_join(s[t].t, NULL);
		if (s[t].rc != 0)
			bench_die("signing: %s", pt_strerror(s[t].rc));
	}
	for (uint64_t i = 0; i < n; i++) {
		it[i].sub.submitter_str = vkey;
		it[i].sub.submitter_len = strlen(vkey);
	}
	free(s);
}

static uint64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct timing {
	double append, root, sign, commit, receipts;
	uint64_t batches, entry_bytes;
};

static void
sign_checkpoint(const struct note_skey *logkey, const char *origin,
    uint64_t size, const struct mt_hash *root, char *note, size_t cap,
    size_t *len)
{
	struct ckpt *c = calloc(1, sizeof(*c));
	char body[PT_NOTE_MAX_TEXT + 1];
	size_t blen;
	int rc;

	if (c == NULL)
		bench_die("out of memory");
	snprintf(c->origin, sizeof(c->origin), "%s", origin);
	c->size = size;
	c->root = *root;
	if ((rc = ckpt_format(c, body, sizeof(body), &blen)) != 0 ||
	    (rc = note_sign(body, blen, logkey, 1, 0, note, cap, len)) != 0)
		bench_die("sign checkpoint: %s", pt_strerror(rc));
	free(c);
}

/* One batch, as daemon/seq.c run_batch does it. */
static void
run_batch(struct store *st, struct mt_frontier *fr, const struct note_skey
    *logkey, const char *origin, const uint8_t subm_id[32], struct item *it,
    uint64_t n, int receipts, struct timing *tm, uint64_t *last_ms)
{
	struct store_batch *b;
	struct wire_buf eb;
	struct mt_hash root, memroot, leaf;
	char note[PT_LOG_NOTE_MAX + 1];
	size_t nlen;
	uint64_t now = now_ms(), dup, size;
	double t0 = bench_now(), t1, t2, t3, t4;
	int rc;

	if (now < *last_ms)
		now = *last_ms;
	wire_buf_init(&eb);
	if ((rc = store_batch_begin(st, &b)) != 0)
		bench_die("batch_begin: %s", pt_strerror(rc));
	for (uint64_t i = 0; i < n; i++) {
		rc = store_batch_find_id(b, subm_id, it[i].sub.info.id,
		    it[i].sub.info.id_len, &dup);
		if (rc != PT_ENOTFOUND)
			bench_die("find_id: %s", pt_strerror(rc));
		eb.len = 0;
		if ((rc = wire_entry_encode(&it[i].sub, now, &eb)) != 0 ||
		    (rc = mt_leaf_hash(eb.data, eb.len, &leaf)) != 0 ||
		    (rc = store_batch_append(b, eb.data, eb.len, &leaf,
		    subm_id, it[i].sub.info.id, it[i].sub.info.id_len,
		    &it[i].index)) != 0 ||
		    (rc = mt_frontier_push(fr, &leaf)) != 0)
			bench_die("append: %s", pt_strerror(rc));
		tm->entry_bytes += eb.len;
	}
	t1 = bench_now();
	size = store_batch_size(b);
	if ((rc = store_batch_root(b, &root)) != 0 ||
	    (rc = mt_frontier_root(fr, &memroot)) != 0)
		bench_die("root: %s", pt_strerror(rc));
	if (cr_memcmp(root.b, memroot.b, MT_HASH_SIZE) != 0)
		bench_die("root read back differs from the frontier's");
	t2 = bench_now();
	sign_checkpoint(logkey, origin, size, &root, note, sizeof(note), &nlen);
	if ((rc = store_batch_set_checkpoint(b, note, nlen, now)) != 0)
		bench_die("set_checkpoint: %s", pt_strerror(rc));
	t3 = bench_now();
	if ((rc = store_batch_commit(b)) != 0)
		bench_die("commit: %s", pt_strerror(rc));
	t4 = bench_now();
	*last_ms = now;
	if (receipts) {
		struct store_txn *t;
		struct rcpt_ctx *c;
		struct wire_buf r;

		/* As the daemon answers a batch (seq.c batch_answer): one
		 * read transaction and one receipt context for all. */
		wire_buf_init(&r);
		if ((rc = store_read_begin(st, &t)) != 0)
			bench_die("read_begin: %s", pt_strerror(rc));
		if ((c = rcpt_ctx_new(t)) == NULL)
			bench_die("receipt: out of memory");
		for (uint64_t i = 0; i < n; i++) {
			r.len = 0;
			if ((rc = rcpt_ctx_build(c, it[i].index, note, nlen,
			    size, &r)) != 0)
				bench_die("receipt: %s", pt_strerror(rc));
		}
		rcpt_ctx_free(c);
		store_read_end(t);
		wire_buf_free(&r);
		tm->receipts += bench_now() - t4;
	}
	wire_buf_free(&eb);
	tm->append += t1 - t0;
	tm->root += t2 - t1;
	tm->sign += t3 - t2;
	tm->commit += t4 - t3;
	tm->batches++;
}

static void
write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		bench_die("%s: %s", path, strerror(errno));
	fputs(text, f);
	if (fclose(f) != 0 || chmod(path, mode) != 0)
		bench_die("%s: %s", path, strerror(errno));
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "n", required_argument, NULL, 'n' },
		{ "origin", required_argument, NULL, 'o' },
		{ "batch", required_argument, NULL, 'b' },
		{ "chunk", required_argument, NULL, 'c' },
		{ "receipts", no_argument, NULL, 'r' },
		{ "sign-threads", required_argument, NULL, 't' },
		{ "unsigned", no_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dir = NULL, *origin = NULL;
	uint64_t n = 0, batch = PT_BATCH_DEFAULT, chunk = 65536, last_ms = 0;
	unsigned threads = 2;
	int receipts = 0, unsigned_subs = 0, ch, rc;
	struct note_skey logkey, subkey;
	struct store_opts so = { 0, 0 };
	struct store *st;
	struct mt_frontier fr;
	struct timing tm;
	struct item *it;
	struct stat sb;
	uint8_t subm_id[32];
	char buf[600], vkey[PT_MAX_VKEY + 1], path[4096];
	struct pt_why swhy = { "" };
	double total;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'd': dir = optarg; break;
		case 'n': n = strtoull(optarg, NULL, 10); break;
		case 'o': origin = optarg; break;
		case 'b': batch = strtoull(optarg, NULL, 10); break;
		case 'c': chunk = strtoull(optarg, NULL, 10); break;
		case 'r': receipts = 1; break;
		case 'u': unsigned_subs = 1; break;
		case 't': threads = (unsigned)strtoul(optarg, NULL, 10); break;
		default:
			fprintf(stderr, "usage: seqbench --dir DIR --n N "
			    "--origin O [--batch B] [--chunk C] [--receipts] "
			    "[--sign-threads T]\n");
			return 2;
		}
	}
	if (dir == NULL || origin == NULL || n == 0 || batch == 0 ||
	    batch > PT_BATCH_MAX || chunk < batch || threads == 0)
		bench_die("bad arguments (see the comment at the top)");
	chunk -= chunk % batch;
	if (mkdir(dir, 0700) == -1)
		bench_die("%s: %s (must not exist)", dir, strerror(errno));

	/* The log key, as pubtraild would create it, and a submitter. */
	if ((rc = note_keygen(origin, NOTE_ALG_ED25519, &logkey)) != 0)
		bench_die("log key: %s", pt_strerror(rc));
	if (note_skey_format(&logkey, buf, sizeof(buf) - 1) != 0)
		bench_die("format");
	strcat(buf, "\n");
	write_file(dir, "log.key", buf, 0600);
	if (note_vkey_format(&logkey.vk, buf, sizeof(buf) - 1) != 0)
		bench_die("format");
	strcat(buf, "\n");
	write_file(dir, "log.vkey", buf, 0644);
	snprintf(path, sizeof(path), "%s/bench-submitter.key", dir);
	{
		char sp[4096];

		snprintf(sp, sizeof(sp), "%s/submitters", dir);
		if ((rc = bench_new_key("bench-office", path, sp,
		    &subkey)) != 0)
			bench_die("submitter key: %s", pt_strerror(rc));
	}
	if (note_vkey_format(&subkey.vk, vkey, sizeof(vkey)) != 0 ||
	    wire_submitter_id(vkey, strlen(vkey), subm_id) != 0)
		bench_die("submitter id");

	if ((rc = store_open(dir, &so, &st, &swhy)) != 0)
		bench_die("store_open: %s", swhy.text);
	if ((it = calloc(chunk, sizeof(*it))) == NULL)
		bench_die("out of memory");
	for (uint64_t i = 0; i < chunk; i++)
		wire_buf_init(&it[i].rec);
	mt_frontier_init(&fr);
	memset(&tm, 0, sizeof(tm));

	for (uint64_t done = 0; done < n; ) {
		uint64_t m = n - done < chunk ? n - done : chunk;

		sign_chunk(&subkey, origin, vkey, it, done, m, threads,
		    unsigned_subs);
		for (uint64_t k = 0; k < m; k += batch)
			run_batch(st, &fr, &logkey, origin, subm_id, it + k,
			    m - k < batch ? m - k : batch, receipts, &tm,
			    &last_ms);
		done += m;
		fprintf(stderr, "seqbench: %llu/%llu entries, %.0f entries/s "
		    "so far\n", (unsigned long long)done,
		    (unsigned long long)n, (double)done / (tm.append +
		    tm.root + tm.sign + tm.commit));
	}
	store_close(st);
	total = tm.append + tm.root + tm.sign + tm.commit;

	bench_fig("seq_append", (double)n / total, "entries/s");
	bench_fig("seq_phase_append", 1e6 * tm.append / (double)n,
	    "us/entry");
	bench_fig("seq_phase_root", 1e3 * tm.root / (double)tm.batches,
	    "ms/batch");
	bench_fig("seq_phase_sign", 1e3 * tm.sign / (double)tm.batches,
	    "ms/batch");
	bench_fig("seq_commit", 1e3 * tm.commit / (double)tm.batches,
	    "ms/batch");
	if (receipts)
		bench_fig("seq_receipts", (double)n / tm.receipts,
		    "receipts/s");
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (stat(path, &sb) != 0)
		bench_die("%s: %s", path, strerror(errno));
	bench_fig("storage_overhead", ((double)sb.st_size -
	    (double)tm.entry_bytes) / (double)n, "bytes/entry");
	bench_fig("entry_bytes", (double)tm.entry_bytes / (double)n,
	    "bytes/entry");
	for (uint64_t i = 0; i < chunk; i++)
		wire_buf_free(&it[i].rec);
	free(it);
	note_skey_wipe(&logkey);
	note_skey_wipe(&subkey);
	return 0;
}
