/* blk: every writable virtio-blk disk is written end to end with
 * blk_pattern() (seed probe.blk.seed= plus the disk's number), flushed,
 * read back and verified, with probe.blk.qd= requests (default 16) in
 * flight; then the error paths: a read past the end and one straddling
 * it must come back IOERR, GET_ID returns the ID, and the device still
 * serves after that. Interrupt-driven (probe.blk.mode=poll: polled). One
 * line per disk.
 *
 * blkro: every read-only disk (VIRTIO_BLK_F_RO offered) refuses a write
 * with IOERR and still holds what it held before. */
#include "blkdev.h"

#define QD_DEFAULT    16
#define QD_MIN        8
#define CHUNK_DEFAULT (64 * 1024)
#define POISON        0xdbdbdbdbdbdbdbdbULL

struct pass_err {
	const char *why;
	uint64_t sector;   /* where it happened */
	uint64_t want, got;
};

static void fill(void *buf, uint64_t off, uint32_t len, uint64_t seed)
{
	uint64_t *p = buf;
	for (uint32_t i = 0; i < len / 8; i++)
		p[i] = blk_pattern(off + 8ULL * i, seed);
}

static void poison(void *buf, uint32_t len)
{
	volatile uint64_t *p = buf;
	for (uint32_t i = 0; i < len / 8; i++)
		p[i] = POISON;
}

/* Byte offset of the first word that differs from the pattern, or -1. */
static int64_t verify(const void *buf, uint64_t off, uint32_t len, uint64_t seed, uint64_t *want,
		      uint64_t *got)
{
	const volatile uint64_t *p = buf;
	for (uint32_t i = 0; i < len / 8; i++) {
		uint64_t w = blk_pattern(off + 8ULL * i, seed);
		if (p[i] != w) {
			*want = w;
			*got = p[i];
			return (int64_t)(off + 8ULL * i);
		}
	}
	return -1;
}

/* Checks what came back for one request; false with e filled in. */
static bool check_done(const struct blk_slot *s, struct pass_err *e)
{
	e->sector = s->sector;
	if (s->status != VIRTIO_BLK_S_OK) {
		e->why = s->status == BLK_STATUS_NONE ? "status-not-written" : "bad-status";
		e->got = s->status;
		return false;
	}
	/* The device reports what it wrote into our buffers (2.7.8): all of
	 * the data for a read, plus the status byte. */
	uint32_t want = (s->type == VIRTIO_BLK_T_IN ? s->len : 0) + 1;
	if (s->used_len != want) {
		e->why = "bad-used-len";
		e->want = want;
		e->got = s->used_len;
		return false;
	}
	return true;
}

/* Writes (fills) or reads (verifies) the whole disk in chunk-sized
 * requests, keeping every slot busy. */
static bool disk_pass(struct blkdev *b, bool write, uint8_t *bufs, uint32_t chunk, uint64_t seed,
		      struct pass_err *e)
{
	uint64_t next = 0;

	while (next < b->capacity || b->inflight) {
		struct blk_slot *s;
		bool queued = false;
		while (next < b->capacity && (s = blk_free_slot(b))) {
			uint64_t left = b->capacity - next;
			uint32_t n = left < chunk / BLK_SECTOR ? (uint32_t)left : chunk / BLK_SECTOR;
			uint8_t *buf = bufs + (uint64_t)s->idx * chunk;
			if (write)
				fill(buf, next * BLK_SECTOR, n * BLK_SECTOR, seed);
			else
				poison(buf, n * BLK_SECTOR);
			if (!blk_queue(b, s, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN, next, buf,
				       n * BLK_SECTOR, &e->why)) {
				e->sector = next;
				return false;
			}
			next += n;
			queued = true;
		}
		if (queued)
			blk_kick(b);
		s = blk_next(b, &e->why);
		if (!s) {
			e->sector = next;
			return false;
		}
		if (!check_done(s, e))
			return false;
		if (!write) {
			int64_t bad = verify(s->data, s->sector * BLK_SECTOR, s->len, seed, &e->want,
					     &e->got);
			if (bad >= 0) {
				e->why = "data-mismatch";
				e->sector = (uint64_t)bad / BLK_SECTOR;
				return false;
			}
		}
	}
	return true;
}

/* The ID as it may be printed: up to 20 bytes, NUL-terminated only when
 * shorter (5.2.6); quotes and backslashes escaped, the rest as '?'. */
static void id_string(const volatile uint8_t *id, char *out)
{
	size_t n = 0;
	for (int i = 0; i < BLK_ID_BYTES && id[i]; i++) {
		char c = (char)id[i];
		if (c == '"' || c == '\\')
			out[n++] = '\\';
		out[n++] = (id[i] >= 0x20 && id[i] < 0x7f) ? c : '?';
	}
	out[n] = '\0';
}

static bool blk_fail(int disk, const char *why, uint64_t sector, uint64_t want, uint64_t got)
{
	uprintf("PROBE blk fail reason=%s disk=%d sector=%lu expected=0x%lx got=0x%lx\n", why, disk,
		sector, want, got);
	return false;
}

/* Error requests and GET_ID on an open disk; false after printing. */
static bool error_paths(struct blkdev *b, int disk, uint64_t seed, char *id)
{
	uint8_t *buf = dma_alloc(4096, 4096);
	const char *why = "out-of-memory";
	uint32_t used;
	int st;

	if (!buf)
		return blk_fail(disk, why, 0, 0, 0);
	/* Wholly past the end, then straddling it: neither may succeed. */
	st = blk_sync(b, VIRTIO_BLK_T_IN, b->capacity, buf, BLK_SECTOR, &used, &why);
	if (st != VIRTIO_BLK_S_IOERR)
		return blk_fail(disk, st < 0 ? why : "read-past-end-not-ioerr", b->capacity,
				VIRTIO_BLK_S_IOERR, (uint64_t)st);
	st = blk_sync(b, VIRTIO_BLK_T_IN, b->capacity - 1, buf, 2 * BLK_SECTOR, &used, &why);
	if (st != VIRTIO_BLK_S_IOERR)
		return blk_fail(disk, st < 0 ? why : "read-across-end-not-ioerr", b->capacity - 1,
				VIRTIO_BLK_S_IOERR, (uint64_t)st);

	/* GET_ID: 20 writable bytes. Poisoned, so a device that only claims
	 * to have written is caught by the NUL rule above. */
	for (int i = 0; i < BLK_ID_BYTES; i++)
		buf[i] = 0xff;
	st = blk_sync(b, VIRTIO_BLK_T_GET_ID, 0, buf, BLK_ID_BYTES, &used, &why);
	if (st != VIRTIO_BLK_S_OK)
		return blk_fail(disk, st < 0 ? why : "get-id-failed", 0, 0, (uint64_t)st);
	if (used < 2 || used > BLK_ID_BYTES + 1)
		return blk_fail(disk, "get-id-bad-used-len", 0, BLK_ID_BYTES + 1, used);
	id_string(buf, id);

	/* Still serving after the errors: the last sector, verified. */
	poison(buf, BLK_SECTOR);
	st = blk_sync(b, VIRTIO_BLK_T_IN, b->capacity - 1, buf, BLK_SECTOR, &used, &why);
	uint64_t want = 0, got = 0;
	if (st != VIRTIO_BLK_S_OK)
		return blk_fail(disk, st < 0 ? why : "read-after-errors-failed", b->capacity - 1, 0,
				(uint64_t)st);
	if (verify(buf, (b->capacity - 1) * BLK_SECTOR, BLK_SECTOR, seed, &want, &got) >= 0)
		return blk_fail(disk, "data-mismatch-after-errors", b->capacity - 1, want, got);
	return true;
}

static bool blk_one(struct vdev *v, int disk, bool *skipped)
{
	struct blkdev b;
	struct pass_err e = { 0 };
	const char *why;
	unsigned qd = (unsigned)cmdline_u64("probe.blk.qd=", QD_DEFAULT);
	uint32_t chunk = (uint32_t)cmdline_u64("probe.blk.chunk=", CHUNK_DEFAULT);
	uint64_t seed = cmdline_u64("probe.blk.seed=", 0) + (uint64_t)disk;
	uint64_t irq0 = virtio_irqs[v->index].count;
	char id[2 * BLK_ID_BYTES + 1];
	bool ok = false;
	size_t mlen = 0;
	const char *mode = cmdline_word("probe.blk.mode=", &mlen);
	bool irq = !(mode && mlen == 4 && !strncmp(mode, "poll", 4));

	*skipped = false;
	dma_reset();
	if (qd < QD_MIN)
		qd = QD_MIN;
	if (blk_open(&b, v, qd, irq, &why) < 0) {
		blk_close(&b);
		return blk_fail(disk, why, 0, 0, 0);
	}
	if (b.ro) {
		*skipped = true;
		uprintf("probe: blk: disk %d is read-only, left to blkro\n", disk);
		blk_close(&b);
		return true;
	}
	if (chunk > b.max_bytes)
		chunk = b.max_bytes;
	chunk &= ~(BLK_SECTOR - 1);
	uint8_t *bufs = chunk ? dma_alloc((uint64_t)chunk * b.nslots, 4096) : NULL;
	uint64_t t0 = rdtsc(), t1 = t0, t2 = t0;
	const char *flush = "not-offered";

	if (!b.capacity) {
		blk_fail(disk, "empty-disk", 0, 0, 0);
	} else if (!bufs) {
		blk_fail(disk, "out-of-memory", 0, chunk, b.nslots);
	} else if (!disk_pass(&b, true, bufs, chunk, seed, &e)) {
		blk_fail(disk, e.why, e.sector, e.want, e.got);
	} else {
		t1 = rdtsc();
		int st = 0;
		if (b.flush) {
			uint32_t used;
			st = blk_sync(&b, VIRTIO_BLK_T_FLUSH, 0, NULL, 0, &used, &why);
			flush = "ok";
		}
		if (st != VIRTIO_BLK_S_OK) {
			blk_fail(disk, st < 0 ? why : "flush-failed", 0, 0, (uint64_t)st);
		} else if (!disk_pass(&b, false, bufs, chunk, seed, &e)) {
			blk_fail(disk, e.why, e.sector, e.want, e.got);
		} else {
			t2 = rdtsc();
			ok = error_paths(&b, disk, seed, id);
		}
	}
	if (ok && b.max_inflight < QD_MIN && b.capacity >= (uint64_t)QD_MIN * chunk / BLK_SECTOR)
		ok = blk_fail(disk, "queue-depth-not-reached", 0, QD_MIN, b.max_inflight);
	if (ok)
		uprintf("PROBE blk ok sectors=%lu qd=%u disk=%d seed=%lu id=\"%s\" mode=%s chunk=%u flush=%s "
			"eod=ioerr features=0x%lx event_idx=%d indirect=%d irqs=%lu sleeps=%lu "
			"irq_wakeups=%lu kicks=%lu requests=%lu indirect_requests=%lu write_ms=%lu "
			"read_ms=%lu\n",
			b.capacity, b.max_inflight, disk, seed, id, irq ? "irq" : "poll", chunk, flush,
			v->features,
			b.q.event_idx, b.q.indirect, virtio_irqs[v->index].count - irq0, b.w.sleeps,
			b.w.wakeups_by_irq, b.q.kicks, b.q.added, b.q.indirect_used,
			tsc_us(t1 - t0) / 1000, tsc_us(t2 - t1) / 1000);
	blk_close(&b);
	dma_reset();
	return ok;
}

bool scenario_blk(void)
{
	int tested = 0, failed = 0;
	struct vdev *v;

	for (int disk = 0; (v = vdev_find(VIRTIO_ID_BLOCK, disk)); disk++) {
		bool skipped;
		if (!blk_one(v, disk, &skipped))
			failed++;
		else if (!skipped)
			tested++;
	}
	if (!tested && !failed)
		uprintf("PROBE blk fail reason=no-writable-disk\n");
	return tested && !failed;
}

static bool blkro_fail(int disk, const char *why, uint64_t a, uint64_t b)
{
	uprintf("PROBE blkro fail reason=%s disk=%d expected=0x%lx got=0x%lx\n", why, disk, a, b);
	return false;
}

static bool blkro_one(struct blkdev *b, int disk)
{
	uint8_t *before = dma_alloc(BLK_SECTOR, 4096), *buf = dma_alloc(BLK_SECTOR, 4096);
	const char *why = "out-of-memory";
	uint32_t used;
	int st;

	if (!before || !buf)
		return blkro_fail(disk, why, 0, 0);
	if (!b->capacity)
		return blkro_fail(disk, "empty-disk", 0, 0);
	st = blk_sync(b, VIRTIO_BLK_T_IN, 0, before, BLK_SECTOR, &used, &why);
	if (st != VIRTIO_BLK_S_OK || used != BLK_SECTOR + 1)
		return blkro_fail(disk, st < 0 ? why : "read-failed", 0, (uint64_t)st);

	fill(buf, 0, BLK_SECTOR, 0);
	st = blk_sync(b, VIRTIO_BLK_T_OUT, 0, buf, BLK_SECTOR, &used, &why);
	if (st < 0)
		return blkro_fail(disk, why, VIRTIO_BLK_S_IOERR, 0);
	/* 5.2.6: a device offering RO answers every write with IOERR. */
	if (st != VIRTIO_BLK_S_IOERR)
		return blkro_fail(disk, "write-not-refused", VIRTIO_BLK_S_IOERR, (uint64_t)st);

	poison(buf, BLK_SECTOR);
	st = blk_sync(b, VIRTIO_BLK_T_IN, 0, buf, BLK_SECTOR, &used, &why);
	if (st != VIRTIO_BLK_S_OK)
		return blkro_fail(disk, st < 0 ? why : "reread-failed", 0, (uint64_t)st);
	if (memcmp(before, buf, BLK_SECTOR))
		return blkro_fail(disk, "content-changed", 0, 0);
	uprintf("PROBE blkro ok sectors=%lu disk=%d write_status=%d features=0x%lx\n", b->capacity,
		disk, VIRTIO_BLK_S_IOERR, b->v->features);
	return true;
}

bool scenario_blkro(void)
{
	int tested = 0, failed = 0;
	struct vdev *v;

	for (int disk = 0; (v = vdev_find(VIRTIO_ID_BLOCK, disk)); disk++) {
		struct blkdev b;
		const char *why;
		dma_reset();
		if (blk_open(&b, v, 1, true, &why) < 0) {
			failed++;
			blkro_fail(disk, why, 0, 0);
		} else if (b.ro) {
			tested++;
			if (!blkro_one(&b, disk))
				failed++;
		}
		blk_close(&b);
	}
	dma_reset();
	if (!tested && !failed)
		uprintf("PROBE blkro fail reason=no-read-only-disk\n");
	return tested && !failed;
}
