/*
 * test_seq.c: the sequencer (daemon/seq.c) alone, driven with a real
 * store (LMDB in a temporary directory), a real log key, real signed
 * submissions and its own event loop; no HTTP.  Each receipt is checked
 * with the proto verifiers (tproof_verify against the log key), each
 * stored root against the signed checkpoint.
 *
 * Covered: appends and receipts; batching (batch_max, a long window cut
 * short by full batches, window 0); the idempotency rule across batches
 * and inside one batch (same content: the existing index; other content:
 * 409); bad signatures; the queue cap; stopping with jobs queued; a full
 * store (every job of the batch 503, nothing written, the right edge
 * restored so that the next batch, after the map grows, verifies and
 * signs); integration time never going back.
 */
#include <check.h>
#include <dirent.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "ckpt.h"
#include "env.h"
#include "metrics.h"
#include "mt.h"
#include "note.h"
#include "pt.h"
#include "pub.h"
#include "seq.h"
#include "store.h"
#include "tproof.h"
#include "wire.h"

#define ORIGIN	"test.example/log"
#define MAXJOBS	512

/* ---- fixture: one directory per test under a base removed by the parent */

static char base[64];

static void
rm_tree(const char *dir)
{
	DIR *d;
	struct dirent *e;
	char p[512];

	if ((d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) == -1)
			rm_tree(p);
	}
	closedir(d);
	rmdir(dir);
}

static void
base_setup(void)
{
	strcpy(base, "/tmp/pt_seq_XXXXXX");
	if (mkdtemp(base) == NULL || evthread_use_pthreads() != 0) {
		perror("setup");
		exit(1);
	}
}

static void
base_teardown(void)
{
	rm_tree(base);
}

struct fx {
	char dir[128];
	struct store *st;
	struct note_skey logkey;
	struct note_skey office, other;
	struct pub *pub;
	atomic_int commits;		/* pub notifications */
	struct event_base *base;
	struct seq_opts o;
	struct metrics *metrics;
	struct seq *seq;
	struct seq_job *done[MAXJOBS];
	size_t ndone;
};

static void
on_commit(void *arg)
{
	struct fx *f = arg;

	atomic_fetch_add(&f->commits, 1);
}

static void
on_done(struct seq_job *j, void *arg)
{
	struct fx *f = arg;

	ck_assert_uint_lt(f->ndone, MAXJOBS);
	f->done[f->ndone++] = j;
}

/* A store in a new directory (map_mb MiB), keys, the published checkpoint
 * and an event loop; the sequencer is started by fx_start. */
static void
fx_open(struct fx *f, uint64_t map_mb)
{
	struct store_opts so = { map_mb << 20, 0 };
	struct pt_why why = { "" };

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "%s/XXXXXX", base);
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	ck_assert_msg(store_open(f->dir, &so, &f->st, &why) == 0, "%s",
	    why.text);
	ck_assert_int_eq(note_keygen(ORIGIN, NOTE_ALG_ED25519, &f->logkey), 0);
	ck_assert_int_eq(note_keygen("office", NOTE_ALG_ED25519, &f->office),
	    0);
	ck_assert_int_eq(note_keygen("other", NOTE_ALG_ED25519, &f->other),
	    0);
	ck_assert_int_eq(pub_new(0, on_commit, f, &f->pub), 0);
	ck_assert_ptr_nonnull(f->base = event_base_new());
	f->o.store = f->st;
	f->o.origin = ORIGIN;
	f->o.logkey = &f->logkey;
	f->o.pub = f->pub;
	ck_assert_int_eq(metrics_new(&f->metrics), 0);
	f->o.metrics = f->metrics;
	f->o.verify_threads = 2;
	f->o.batch_max = 64;
	f->o.window_ms = 2;
	f->o.queue_max = 1024;
}

static void
fx_start(struct fx *f)
{
	ck_assert_int_eq(seq_start(f->base, &f->o, on_done, f, &f->seq), 0);
}

static void
fx_close(struct fx *f)
{
	seq_stop(f->seq);
	for (size_t i = 0; i < f->ndone; i++)
		seq_job_free(f->done[i]);
	event_base_free(f->base);
	pub_free(f->pub);
	metrics_free(f->metrics);
	store_close(f->st);
	note_skey_wipe(&f->logkey);
	note_skey_wipe(&f->office);
	note_skey_wipe(&f->other);
}

/* A canonical payment: id, amount, and a description of desc_len bytes. */
static void
payment(struct wire_buf *b, const char *id, uint64_t amount, size_t desc_len)
{
	char *desc = malloc(desc_len + 1);
	int rc = 0;

	ck_assert_ptr_nonnull(desc);
	memset(desc, 'd', desc_len);
	desc[desc_len] = '\0';
	rc |= wire_enc_map(b, 8);
	rc |= wire_enc_cstr(b, "amount_minor");
	rc |= wire_enc_uint(b, amount);
	rc |= wire_enc_cstr(b, "currency");
	rc |= wire_enc_cstr(b, "EUR");
	rc |= wire_enc_cstr(b, "date");
	rc |= wire_enc_cstr(b, "2026-03-01");
	rc |= wire_enc_cstr(b, "description");
	rc |= wire_enc_cstr(b, desc);
	rc |= wire_enc_cstr(b, "id");
	rc |= wire_enc_cstr(b, id);
	rc |= wire_enc_cstr(b, "payee");
	rc |= wire_enc_map(b, 4);
	rc |= wire_enc_cstr(b, "id");
	rc |= wire_enc_cstr(b, "0001");
	rc |= wire_enc_cstr(b, "kind");
	rc |= wire_enc_cstr(b, "organization");
	rc |= wire_enc_cstr(b, "name");
	rc |= wire_enc_cstr(b, "Acme Roads Ltd");
	rc |= wire_enc_cstr(b, "scheme");
	rc |= wire_enc_cstr(b, "GB-COH");
	rc |= wire_enc_cstr(b, "payer");
	rc |= wire_enc_map(b, 4);
	rc |= wire_enc_cstr(b, "id");
	rc |= wire_enc_cstr(b, "FIN-1");
	rc |= wire_enc_cstr(b, "kind");
	rc |= wire_enc_cstr(b, "organization");
	rc |= wire_enc_cstr(b, "name");
	rc |= wire_enc_cstr(b, "Test Finance Office");
	rc |= wire_enc_cstr(b, "scheme");
	rc |= wire_enc_cstr(b, "XI-TEST");
	rc |= wire_enc_cstr(b, "type");
	rc |= wire_enc_cstr(b, "payment");
	ck_assert_int_eq(rc, 0);
	free(desc);
}

/*
 * A job as POST /add makes it: the submission's bytes (signed by k for
 * origin, the signature's first byte flipped when forge), decoded in
 * place, with the submitter id of its key.
 */
static struct seq_job *
job_signed(const struct note_skey *k, const char *origin, const char *id,
    uint64_t amount, size_t desc_len, int forge)
{
	struct wire_buf rec, sb;
	struct wire_submission s;
	struct seq_job *j = calloc(1, sizeof(*j));
	char vkey[PT_MAX_VKEY + 1];

	ck_assert_ptr_nonnull(j);
	wire_buf_init(&rec);
	wire_buf_init(&sb);
	wire_buf_init(&j->reply);
	payment(&rec, id, amount, desc_len);
	ck_assert_int_eq(wire_submission_sign(k, origin, rec.data, rec.len,
	    &s, vkey, sizeof(vkey)), 0);
	if (forge)
		s.sig[0] ^= 1;
	ck_assert_int_eq(wire_submission_encode(&s, &sb), 0);
	ck_assert_ptr_nonnull(j->body = malloc(sb.len));
	memcpy(j->body, sb.data, sb.len);
	j->body_len = sb.len;
	ck_assert_int_eq(wire_submission_decode(j->body, j->body_len, &j->sub,
	    NULL), 0);
	ck_assert_int_eq(wire_submitter_id(j->sub.submitter_str,
	    j->sub.submitter_len, j->subm_id), 0);
	wire_buf_free(&rec);
	wire_buf_free(&sb);
	return j;
}

static struct seq_job *
job(struct fx *f, const char *id, uint64_t amount)
{
	return job_signed(&f->office, ORIGIN, id, amount, 40, 0);
}

static void
submit(struct fx *f, struct seq_job *j)
{
	ck_assert_int_eq(seq_submit(f->seq, j), 0);
}

static void
on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct fx *f = arg;

	(void)fd;
	(void)what;
	if (seq_queue_len(f->seq) == 0)
		event_base_loopbreak(f->base);
}

/* Run the loop until every submitted job was handed to on_done (the
 * Check time-out bounds a hang). */
static void
run_until_idle(struct fx *f)
{
	struct timeval ms = { 0, 1000 };
	struct event *t = event_new(f->base, -1, EV_PERSIST, on_tick, f);

	ck_assert_ptr_nonnull(t);
	ck_assert_int_eq(event_add(t, &ms), 0);
	event_base_dispatch(f->base);
	event_free(t);
}

/* The finished job whose record id is id (the n-th such, from 0). */
static struct seq_job *
done_of(struct fx *f, const char *id, int n)
{
	for (size_t i = 0; i < f->ndone; i++) {
		struct seq_job *j = f->done[i];

		if (j->sub.info.id_len == strlen(id) &&
		    memcmp(j->sub.info.id, id, j->sub.info.id_len) == 0 &&
		    n-- == 0)
			return j;
	}
	ck_abort_msg("no finished job for %s", id);
	return NULL;
}

/* The finished job of key k whose record id is id. */
static struct seq_job *
done_by(struct fx *f, const struct note_skey *k, const char *id, int n)
{
	char vkey[PT_MAX_VKEY + 1];

	ck_assert_int_eq(note_vkey_format(&k->vk, vkey, sizeof(vkey)), 0);
	for (size_t i = 0; i < f->ndone; i++) {
		struct seq_job *j = f->done[i];

		if (j->sub.info.id_len == strlen(id) &&
		    memcmp(j->sub.info.id, id, j->sub.info.id_len) == 0 &&
		    j->sub.submitter_len == strlen(vkey) &&
		    memcmp(j->sub.submitter_str, vkey, strlen(vkey)) == 0 &&
		    n-- == 0)
			return j;
	}
	ck_abort_msg("no finished job for %s", id);
	return NULL;
}

/* j's receipt: its entry is j's submission (at *time_ms), and the proof
 * verifies against a checkpoint the log key signed. */
static void
check_receipt(struct fx *f, const struct seq_job *j, uint64_t *time_ms)
{
	struct wire_receipt r;
	struct wire_entry e;
	struct tproof *tp = malloc(sizeof(*tp));
	struct ckpt *c = malloc(sizeof(*c));
	struct mt_hash leaf;

	ck_assert_ptr_nonnull(tp);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(j->rc, 0);
	ck_assert_int_eq(wire_receipt_decode(j->reply.data, j->reply.len, &r,
	    NULL), 0);
	ck_assert_uint_eq(r.index, j->index);
	ck_assert_int_eq(wire_entry_decode(r.entry, r.entry_len, &e, NULL), 0);
	ck_assert_uint_eq(e.sub.record_len, j->sub.record_len);
	ck_assert_int_eq(memcmp(e.sub.record, j->sub.record,
	    j->sub.record_len), 0);
	ck_assert_int_eq(tproof_parse(r.proof, r.proof_len, tp), 0);
	ck_assert_uint_eq(tp->index, j->index);
	ck_assert_int_eq(mt_leaf_hash(r.entry, r.entry_len, &leaf), 0);
	ck_assert_int_eq(tproof_verify(tp, &leaf, &f->logkey.vk, c), 0);
	ck_assert_uint_gt(c->size, j->index);
	if (time_ms != NULL)
		*time_ms = e.time_ms;
	free(tp);
	free(c);
}

/* The store's tree is what its latest checkpoint signed, and that is the
 * published one, of size want. */
static void
check_tree(struct fx *f, uint64_t want)
{
	struct store_txn *t;
	struct mt_reader r;
	struct mt_hash root;
	struct ckpt *c = malloc(sizeof(*c));
	char *note = malloc(PT_NOTE_MAX + 1);
	size_t len;
	uint64_t size;

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_nonnull(note);
	ck_assert_uint_eq(store_size(f->st), want);
	pub_latest(f->pub, note, PT_NOTE_MAX + 1, &len, &size);
	ck_assert_uint_eq(size, want);
	ck_assert_int_eq(ckpt_open(note, len, &f->logkey.vk, c), 0);
	ck_assert_uint_eq(c->size, want);
	ck_assert_int_eq(store_read_begin(f->st, &t), 0);
	store_txn_reader(t, &r);
	ck_assert_int_eq(mt_root(&r, want, &root), 0);
	store_read_end(t);
	ck_assert_int_eq(memcmp(root.b, c->root.b, 32), 0);
	free(c);
	free(note);
}

/* Has the store a checkpoint signed at exactly size? */
static int
signed_at(struct fx *f, uint64_t size)
{
	struct store_txn *t;
	const char *note;
	size_t len;
	int rc;

	ck_assert_int_eq(store_read_begin(f->st, &t), 0);
	rc = store_checkpoint_at(t, size, &note, &len);
	store_read_end(t);
	return rc == 0;
}

/* The rendered metrics hold line (a whole line). */
static void
check_metric(struct fx *f, const char *line)
{
	struct evbuffer *o = evbuffer_new();
	char *text, want[256];

	ck_assert_ptr_nonnull(o);
	metrics_render(f->metrics, o, 0, 0, 0, 0);
	evbuffer_add(o, "", 1);
	text = (char *)evbuffer_pullup(o, -1);
	snprintf(want, sizeof(want), "\n%s\n", line);
	ck_assert_msg(strstr(text, want) != NULL, "no line \"%s\"", line);
	evbuffer_free(o);
}

/* ---- tests ---- */

START_TEST(appends_with_receipts)
{
	struct fx f;
	char id[32];
	uint64_t prev_time = 0;

	fx_open(&f, 64);
	fx_start(&f);
	for (int i = 0; i < 100; i++) {
		snprintf(id, sizeof(id), "P-%d", i);
		submit(&f, job(&f, id, 100 + (uint64_t)i));
	}
	run_until_idle(&f);
	ck_assert_uint_eq(f.ndone, 100);
	for (size_t i = 0; i < f.ndone; i++) {
		struct seq_job *j = f.done[i];
		uint64_t tm;

		ck_assert_msg(j->rc == 0, "%s", j->why.text);
		ck_assert_int_eq(j->existing, 0);
		ck_assert_uint_lt(j->index, 100);
		check_receipt(&f, j, &tm);
		ck_assert_uint_ge(tm, prev_time);	/* done in index order */
		prev_time = tm;
		if (i > 0)
			ck_assert_uint_eq(j->index, f.done[i - 1]->index + 1);
	}
	check_tree(&f, 100);
	ck_assert_int_gt(atomic_load(&f.commits), 0);
	fx_close(&f);
}
END_TEST

/* A long window is cut short by full batches: 30 jobs, batch_max 10, are
 * three commits (three signed checkpoints, at 10, 20 and 30). */
START_TEST(full_batches_close_the_window)
{
	struct fx f;
	char id[32];

	fx_open(&f, 64);
	f.o.batch_max = 10;
	f.o.window_ms = 1000;
	fx_start(&f);
	for (int i = 0; i < 30; i++) {
		snprintf(id, sizeof(id), "B-%d", i);
		submit(&f, job(&f, id, 1));
	}
	run_until_idle(&f);
	ck_assert_uint_eq(f.ndone, 30);
	for (size_t i = 0; i < f.ndone; i++)
		ck_assert_msg(f.done[i]->rc == 0, "%s", f.done[i]->why.text);
	ck_assert_int_eq(atomic_load(&f.commits), 3);
	check_metric(&f, "pubtrail_batch_entries_count{} 3");
	check_metric(&f, "pubtrail_batch_entries_sum{} 30.000000");
	ck_assert(signed_at(&f, 10) && signed_at(&f, 20) && signed_at(&f, 30));
	ck_assert(!signed_at(&f, 5) && !signed_at(&f, 15));
	check_tree(&f, 30);
	fx_close(&f);
}
END_TEST

/* batch_max 1: a commit, an fsync and a checkpoint per entry. */
START_TEST(batch_of_one)
{
	struct fx f;
	char id[32];

	fx_open(&f, 64);
	f.o.batch_max = 1;
	f.o.window_ms = 0;
	fx_start(&f);
	for (int i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "O-%d", i);
		submit(&f, job(&f, id, 1));
	}
	run_until_idle(&f);
	ck_assert_uint_eq(f.ndone, 5);
	ck_assert_int_eq(atomic_load(&f.commits), 5);
	for (uint64_t s = 1; s <= 5; s++)
		ck_assert(signed_at(&f, s));
	check_tree(&f, 5);
	fx_close(&f);
}
END_TEST

/* The same submitter and id: the same record is answered with the
 * existing index (a receipt, nothing appended); another record is 409. */
START_TEST(idempotent_across_batches)
{
	struct fx f;
	struct seq_job *j;
	struct store_txn *t;
	uint64_t idx;

	fx_open(&f, 64);
	fx_start(&f);
	submit(&f, job(&f, "A", 5));
	submit(&f, job(&f, "B", 6));
	run_until_idle(&f);
	check_tree(&f, 2);
	submit(&f, job(&f, "A", 5));
	submit(&f, job(&f, "B", 7));
	submit(&f, job(&f, "C", 8));
	run_until_idle(&f);
	ck_assert_uint_eq(f.ndone, 5);
	j = done_of(&f, "A", 1);
	ck_assert_msg(j->rc == 0, "%s", j->why.text);
	ck_assert_int_eq(j->existing, 1);
	ck_assert_uint_eq(j->index, done_of(&f, "A", 0)->index);
	check_receipt(&f, j, NULL);
	j = done_of(&f, "B", 1);
	ck_assert_int_eq(j->rc, PT_ECONFLICT);
	ck_assert_ptr_nonnull(strstr(j->why.text, "different content"));
	ck_assert_uint_eq(j->reply.len, 0);
	j = done_of(&f, "C", 0);
	ck_assert_int_eq(j->rc, 0);
	ck_assert_uint_eq(j->index, 2);
	check_tree(&f, 3);
	/* The rule itself, as POST /add asks it. */
	ck_assert_int_eq(store_read_begin(f.st, &t), 0);
	j = done_of(&f, "A", 1);
	ck_assert_int_eq(seq_idempotent(t, j->subm_id, &j->sub, &idx), 0);
	ck_assert_uint_eq(idx, j->index);
	j = done_of(&f, "B", 1);
	ck_assert_int_eq(seq_idempotent(t, j->subm_id, &j->sub, &idx),
	    PT_ECONFLICT);
	ck_assert_uint_eq(idx, done_of(&f, "B", 0)->index);
	{
		struct seq_job *n = job(&f, "never", 1);

		ck_assert_int_eq(seq_idempotent(t, n->subm_id, &n->sub, &idx),
		    PT_ENOTFOUND);
		seq_job_free(n);
	}
	store_read_end(t);
	fx_close(&f);
}
END_TEST

/* Inside one batch: the first of two equal submissions is appended, the
 * second answered with its index; of two different ones under one id the
 * second is 409.  Ids are per submitter. */
START_TEST(idempotent_inside_a_batch)
{
	struct fx f;
	struct seq_job *a0, *a1, *b0, *b1, *c;

	fx_open(&f, 64);
	f.o.batch_max = 5;
	f.o.window_ms = 1000;
	fx_start(&f);
	submit(&f, job(&f, "A", 1));
	submit(&f, job(&f, "A", 1));
	submit(&f, job(&f, "B", 1));
	submit(&f, job(&f, "B", 2));
	submit(&f, job_signed(&f.other, ORIGIN, "A", 9, 40, 0));
	run_until_idle(&f);
	ck_assert_uint_eq(f.ndone, 5);
	ck_assert_int_eq(atomic_load(&f.commits), 1);
	a0 = done_by(&f, &f.office, "A", 0);
	a1 = done_by(&f, &f.office, "A", 1);
	b0 = done_by(&f, &f.office, "B", 0);
	b1 = done_by(&f, &f.office, "B", 1);
	c = done_by(&f, &f.other, "A", 0);
	ck_assert(a0->rc == 0 && a1->rc == 0 && b0->rc == 0 && c->rc == 0);
	ck_assert_int_eq(a0->existing + a1->existing, 1);
	ck_assert_uint_eq(a0->index, a1->index);
	check_receipt(&f, a0, NULL);
	check_receipt(&f, a1, NULL);
	ck_assert_int_eq(b0->existing, 0);
	ck_assert_int_eq(b1->rc, PT_ECONFLICT);
	ck_assert_int_eq(c->existing, 0);
	ck_assert_uint_ne(c->index, a0->index);
	check_tree(&f, 3);
	fx_close(&f);
}
END_TEST

/* A signature that is not the submitter's, or made for another log, is
 * 403 (PT_ESIG) and appends nothing. */
START_TEST(bad_signatures)
{
	struct fx f;

	fx_open(&f, 64);
	fx_start(&f);
	submit(&f, job_signed(&f.office, ORIGIN, "F", 1, 40, 1));
	submit(&f, job_signed(&f.office, "other.example/log", "G", 1, 40, 0));
	submit(&f, job(&f, "H", 1));
	run_until_idle(&f);
	ck_assert_uint_eq(f.ndone, 3);
	ck_assert_int_eq(done_of(&f, "F", 0)->rc, PT_ESIG);
	ck_assert_ptr_nonnull(strstr(done_of(&f, "F", 0)->why.text,
	    "does not verify"));
	ck_assert_int_eq(done_of(&f, "G", 0)->rc, PT_ESIG);
	ck_assert_int_eq(done_of(&f, "H", 0)->rc, 0);
	ck_assert_uint_eq(done_of(&f, "H", 0)->index, 0);
	check_tree(&f, 1);
	check_metric(&f,
	    "pubtrail_rejections_total{reason=\"bad_signature\"} 2");
	check_metric(&f, "pubtrail_entries_total{type=\"payment\"} 1");
	fx_close(&f);
}
END_TEST

/* queue_max jobs in flight (until their completion reaches the loop):
 * one more is refused and stays the caller's. */
START_TEST(queue_cap)
{
	struct fx f;
	struct seq_job *extra;

	fx_open(&f, 64);
	f.o.queue_max = 3;
	fx_start(&f);
	submit(&f, job(&f, "Q1", 1));
	submit(&f, job(&f, "Q2", 1));
	submit(&f, job(&f, "Q3", 1));
	ck_assert_uint_eq(seq_queue_len(f.seq), 3);
	extra = job(&f, "Q4", 1);
	ck_assert_int_eq(seq_submit(f.seq, extra), PT_EBUSY);
	run_until_idle(&f);
	ck_assert_uint_eq(f.ndone, 3);
	ck_assert_int_eq(seq_submit(f.seq, extra), 0);
	run_until_idle(&f);
	ck_assert_uint_eq(f.ndone, 4);
	ck_assert_int_eq(done_of(&f, "Q4", 0)->rc, 0);
	check_tree(&f, 4);
	fx_close(&f);
}
END_TEST

/* Under load the window stretches (batch_window_max_ms): 60 submissions
 * handed over at once (seq_submit_many) take ~2 ms of verification on two
 * threads, longer than the 1 ms window; the batch waits for the ones still
 * being verified and commits them all at once. */
START_TEST(window_stretches_under_load)
{
	struct fx f;
	struct seq_job *js[60];
	char id[32];

	fx_open(&f, 64);
	f.o.window_ms = 1;
	f.o.window_max_ms = 5000;
	fx_start(&f);
	for (int i = 0; i < 60; i++) {
		snprintf(id, sizeof(id), "W-%d", i);
		js[i] = job(&f, id, 1);
	}
	ck_assert_uint_eq(seq_submit_many(f.seq, js, 60), 60);
	run_until_idle(&f);
	ck_assert_uint_eq(f.ndone, 60);
	for (size_t i = 0; i < f.ndone; i++)
		ck_assert_msg(f.done[i]->rc == 0, "%s", f.done[i]->why.text);
	ck_assert_int_eq(atomic_load(&f.commits), 1);
	check_metric(&f, "pubtrail_batch_entries_count{} 1");
	check_tree(&f, 60);
	fx_close(&f);
}
END_TEST

/* seq_submit_many queues a prefix up to queue_max; the rest stay the
 * caller's, and can be queued once there is room. */
START_TEST(submit_many_up_to_the_cap)
{
	struct fx f;
	struct seq_job *js[5];
	char id[32];

	fx_open(&f, 64);
	f.o.queue_max = 3;
	fx_start(&f);
	for (int i = 0; i < 5; i++) {
		snprintf(id, sizeof(id), "M-%d", i);
		js[i] = job(&f, id, 1);
	}
	ck_assert_uint_eq(seq_submit_many(f.seq, js, 5), 3);
	run_until_idle(&f);
	ck_assert_uint_eq(f.ndone, 3);
	ck_assert_uint_eq(seq_submit_many(f.seq, js + 3, 2), 2);
	run_until_idle(&f);
	ck_assert_uint_eq(f.ndone, 5);
	ck_assert_int_eq(done_of(&f, "M-4", 0)->rc, 0);
	check_tree(&f, 5);
	fx_close(&f);
}
END_TEST

/* Stopping with jobs queued inside a long window: every one is committed
 * and handed back (by seq_stop itself), none lost, none twice. */
START_TEST(stop_finishes_the_queue)
{
	struct fx f;
	char id[32];

	fx_open(&f, 64);
	f.o.batch_max = 1000;
	f.o.window_ms = 1000;
	fx_start(&f);
	for (int i = 0; i < 20; i++) {
		snprintf(id, sizeof(id), "S-%d", i);
		submit(&f, job(&f, id, 1));
	}
	seq_stop(f.seq);
	f.seq = NULL;
	ck_assert_uint_eq(f.ndone, 20);
	for (size_t i = 0; i < f.ndone; i++) {
		ck_assert_msg(f.done[i]->rc == 0, "%s", f.done[i]->why.text);
		check_receipt(&f, f.done[i], NULL);
	}
	check_tree(&f, 20);
	fx_close(&f);
}
END_TEST

/*
 * A map too small for the next batch: each of its jobs is answered 503
 * (PT_EFULL), nothing of it is written, the store and the published
 * checkpoint stay as they were.  After the map grows, the same sequencer
 * appends again: the root it reads back must equal its in-memory one (else
 * it would stop the process), so its right edge went back correctly.
 */
START_TEST(storage_full_then_resume)
{
	struct fx f;
	char id[32];
	uint64_t size = 0;
	int full = 0;
	char line[128];

	fx_open(&f, 1);
	f.o.batch_max = 8;
	f.o.window_ms = 0;
	fx_start(&f);
	for (int round = 0; round < 100 && !full; round++) {
		size_t first = f.ndone;

		for (int i = 0; i < 8; i++) {
			snprintf(id, sizeof(id), "F-%d-%d", round, i);
			submit(&f, job_signed(&f.office, ORIGIN, id, 1, 4000,
			    0));
		}
		run_until_idle(&f);
		for (size_t i = first; i < f.ndone; i++) {
			struct seq_job *j = f.done[i];

			if (j->rc == PT_EFULL) {
				full++;
				ck_assert_ptr_nonnull(strstr(j->why.text,
				    "full"));
			} else {
				ck_assert_msg(j->rc == 0, "%s", j->why.text);
				size++;
			}
		}
	}
	ck_assert_msg(full, "the 1 MiB map never filled");
	snprintf(line, sizeof(line), "pubtrail_rejections_total{reason=\""
	    "storage_full\"} %d", full);
	check_metric(&f, line);
	ck_assert_uint_gt(size, 0);
	check_tree(&f, size);
	/* Room again (the sequencer is idle: no transaction is active). */
	ck_assert_int_eq(store_grow(f.st, 16 << 20), 0);
	for (int i = 0; i < 8; i++) {
		snprintf(id, sizeof(id), "R-%d", i);
		submit(&f, job(&f, id, 1));
	}
	run_until_idle(&f);
	for (int i = 0; i < 8; i++) {
		struct seq_job *j;

		snprintf(id, sizeof(id), "R-%d", i);
		j = done_of(&f, id, 0);
		ck_assert_msg(j->rc == 0, "%s", j->why.text);
		check_receipt(&f, j, NULL);
	}
	check_tree(&f, size + 8);
	fx_close(&f);
}
END_TEST

/* The integration time never goes back: with the last one in the future,
 * new entries carry it. */
START_TEST(time_never_backwards)
{
	struct fx f;
	uint64_t future = env_now_ms() + 3600 * 1000, tm;

	fx_open(&f, 64);
	f.o.last_time_ms = future;
	fx_start(&f);
	submit(&f, job(&f, "T", 1));
	run_until_idle(&f);
	check_receipt(&f, done_of(&f, "T", 0), &tm);
	ck_assert_uint_eq(tm, future);
	fx_close(&f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("seq");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int nf;

	tcase_add_unchecked_fixture(tc, base_setup, base_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, appends_with_receipts);
	tcase_add_test(tc, full_batches_close_the_window);
	tcase_add_test(tc, batch_of_one);
	tcase_add_test(tc, idempotent_across_batches);
	tcase_add_test(tc, idempotent_inside_a_batch);
	tcase_add_test(tc, bad_signatures);
	tcase_add_test(tc, queue_cap);
	tcase_add_test(tc, window_stretches_under_load);
	tcase_add_test(tc, submit_many_up_to_the_cap);
	tcase_add_test(tc, stop_finishes_the_queue);
	tcase_add_test(tc, storage_full_then_resume);
	tcase_add_test(tc, time_never_backwards);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
