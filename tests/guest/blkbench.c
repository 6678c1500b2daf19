/* blkbench: I/O speed of the first writable virtio-blk disk, timed with
 * the TSC: 4 KiB random reads and writes at queue depth 1 and 32 (IOPS),
 * then 1 MiB sequential reads and writes at depth probe.bench.seqqd=
 * (default 4; MB/s, 10^6 bytes). Each phase runs probe.bench.ms= (default
 * 1000) milliseconds; completions after that are drained, not counted.
 * Completions are polled (probe.bench.mode=irq: interrupts instead). The
 * disk's content is overwritten. */
#include "blkdev.h"

#define MS_DEFAULT     1000
#define SEQ_QD_DEFAULT 4
#define QD_MAX         32
#define SMALL          4096u
#define LARGE          (1024u * 1024)

struct phase {
	const char *key;
	uint32_t type;
	bool random, large;
	unsigned qd;
};

struct bench {
	struct blkdev b;
	uint8_t *small, *large;   /* QD_MAX x SMALL, seq_qd x LARGE */
	uint32_t large_bs;
	uint64_t ms;
	uint64_t rnd;
};

static uint64_t next_rand(struct bench *x)
{
	/* xorshift64: plenty for picking offsets. */
	x->rnd ^= x->rnd << 13;
	x->rnd ^= x->rnd >> 7;
	x->rnd ^= x->rnd << 17;
	return x->rnd;
}

/* Runs one phase; its result (IOPS or MB/s) in *result, or false with
 * *why. */
static bool run_phase(struct bench *x, const struct phase *p, uint64_t *result, const char **why)
{
	struct blkdev *b = &x->b;
	uint32_t bs = p->large ? x->large_bs : SMALL;
	uint64_t span = b->capacity - bs / BLK_SECTOR; /* last start sector + 1 */
	uint64_t pos = 0, counted = 0;
	uint64_t t0 = rdtsc(), end = t0 + us_tsc(x->ms * 1000);
	bool running = true;

	while (running || b->inflight) {
		struct blk_slot *s;
		bool queued = false;
		while (running && b->inflight < p->qd && (s = blk_free_slot(b))) {
			uint64_t sector;
			if (p->random) {
				sector = next_rand(x) % (span / 8 + 1) * 8;
			} else {
				if (pos > span)
					pos = 0;
				sector = pos;
				pos += bs / BLK_SECTOR;
			}
			uint8_t *buf = p->large ? x->large + (uint64_t)s->idx * LARGE
						: x->small + (uint64_t)s->idx * SMALL;
			if (!blk_queue(b, s, p->type, sector, buf, bs, why))
				return false;
			queued = true;
		}
		if (queued)
			blk_kick(b);
		s = blk_next(b, why);
		if (!s)
			return false;
		if (s->status != VIRTIO_BLK_S_OK) {
			*why = "io-error";
			return false;
		}
		if ((int64_t)(rdtsc() - end) < 0)
			counted++;
		else
			running = false;
	}
	uint64_t us = tsc_us(end - t0);
	*result = p->large ? counted * bs / (us ? us : 1) : counted * 1000000 / (us ? us : 1);
	return true;
}

bool scenario_blkbench(void)
{
	static struct bench x;
	static const struct phase phases[] = {
		{ "rr_qd1_iops", VIRTIO_BLK_T_IN, true, false, 1 },
		{ "rr_qd32_iops", VIRTIO_BLK_T_IN, true, false, 32 },
		{ "rw_qd1_iops", VIRTIO_BLK_T_OUT, true, false, 1 },
		{ "rw_qd32_iops", VIRTIO_BLK_T_OUT, true, false, 32 },
		{ "seq_read_mbs", VIRTIO_BLK_T_IN, false, true, 0 },
		{ "seq_write_mbs", VIRTIO_BLK_T_OUT, false, true, 0 },
	};
	enum { NPHASES = sizeof(phases) / sizeof(phases[0]) };
	uint64_t res[NPHASES];
	const char *why = "no-writable-disk";
	size_t mlen = 0;
	const char *mode = cmdline_word("probe.bench.mode=", &mlen);
	bool irq = mode && mlen == 3 && !strncmp(mode, "irq", 3);
	unsigned seq_qd = (unsigned)cmdline_u64("probe.bench.seqqd=", SEQ_QD_DEFAULT);
	struct vdev *v;
	bool ok = false;

	if (seq_qd < 1 || seq_qd > QD_MAX)
		seq_qd = SEQ_QD_DEFAULT;
	x.ms = cmdline_u64("probe.bench.ms=", MS_DEFAULT);
	x.rnd = 0x2545f4914f6cdd1dULL ^ rdtsc();
	if (!x.ms)
		x.ms = MS_DEFAULT;
	for (int disk = 0; (v = vdev_find(VIRTIO_ID_BLOCK, disk)); disk++) {
		dma_reset();
		if (blk_open(&x.b, v, QD_MAX, irq, &why) < 0) {
			blk_close(&x.b);
			v = NULL;
			break;
		}
		if (!x.b.ro)
			break;
		blk_close(&x.b);
	}
	if (!v) {
		uprintf("PROBE blkbench fail reason=%s\n", why);
		dma_reset();
		return false;
	}
	uint64_t irq0 = virtio_irqs[v->index].count;
	x.large_bs = x.b.max_bytes < LARGE ? x.b.max_bytes : LARGE;
	x.small = dma_alloc((uint64_t)QD_MAX * SMALL, 4096);
	x.large = dma_alloc((uint64_t)seq_qd * LARGE, 4096);
	if (x.b.nslots < QD_MAX) {
		uprintf("PROBE blkbench fail reason=queue-too-small slots=%u\n", x.b.nslots);
	} else if (!x.small || !x.large) {
		uprintf("PROBE blkbench fail reason=out-of-memory\n");
	} else if (x.b.capacity < LARGE / BLK_SECTOR) {
		uprintf("PROBE blkbench fail reason=disk-below-1MiB sectors=%lu\n", x.b.capacity);
	} else {
		ok = true;
		for (int i = 0; i < NPHASES && ok; i++) {
			struct phase p = phases[i];
			if (!p.qd)
				p.qd = seq_qd;
			if (!run_phase(&x, &p, &res[i], &why)) {
				uprintf("PROBE blkbench fail reason=%s phase=%s\n", why, p.key);
				ok = false;
			}
		}
	}
	if (ok)
		uprintf("PROBE blkbench ok %s=%lu %s=%lu %s=%lu %s=%lu %s=%lu %s=%lu ms=%lu mode=%s "
			"seq_qd=%u seq_bs=%u sectors=%lu irqs=%lu kicks=%lu requests=%lu\n",
			phases[0].key, res[0], phases[1].key, res[1], phases[2].key, res[2],
			phases[3].key, res[3], phases[4].key, res[4], phases[5].key, res[5], x.ms,
			irq ? "irq" : "poll", seq_qd, x.large_bs, x.b.capacity,
			virtio_irqs[v->index].count - irq0, x.b.q.kicks, x.b.q.added);
	blk_close(&x.b);
	dma_reset();
	return ok;
}
