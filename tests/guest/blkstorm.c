/* blkstorm: the first writable virtio-blk disk written over and over at
 * queue depth 32 while the host kills its device process (README.md,
 * "Device restart"). Pass p writes the whole disk in 4 KiB requests with
 * blk_pattern seed probe.storm.seed= + p; passes go on until
 * probe.storm.ms= (default 8000) have gone by (at least one). Then the
 * disk is read back and checked against the last pass's seed. A device
 * restart must be invisible: every request completes with OK, the device
 * never shows NEEDS_RESET and raises no configuration interrupt.
 * Says "PROBE blkstorm writing" when the first requests are in flight,
 * and "PROBE blkstorm ok ... seed=S" with the seed the image must hold,
 * and the longest a request took (max_stall_us: the guest-visible stall
 * of a restart). probe.storm.qd= (1..32, default 32) is the depth. */
#include "blkdev.h"

#define QD       32
#define CHUNK    4096u
#define MS_DEFAULT 8000

static void fill(uint64_t *buf, uint64_t off, uint64_t seed)
{
	for (unsigned i = 0; i < CHUNK / 8; i++)
		buf[i] = blk_pattern(off + i * 8ull, seed);
}

static bool status_ok(struct blk_slot *s, const char **why)
{
	if (s->status != VIRTIO_BLK_S_OK) {
		*why = "io-error";
		return false;
	}
	return true;
}

struct storm {
	unsigned qd;
	uint64_t requests, bad, max_stall_tsc;
};

/* One pass over the disk: writes (seed) or reads and checks. */
static bool pass(struct blkdev *b, uint8_t *bufs, bool write, uint64_t seed, struct storm *st,
		 const char **why)
{
	uint64_t chunks = b->capacity * BLK_SECTOR / CHUNK, next = 0;

	while (next < chunks || b->inflight) {
		struct blk_slot *s;
		bool queued = false;
		while (next < chunks && b->inflight < st->qd && (s = blk_free_slot(b))) {
			uint8_t *buf = bufs + (uint64_t)s->idx * CHUNK;
			if (write)
				fill((uint64_t *)(void *)buf, next * CHUNK, seed);
			if (!blk_queue(b, s, write ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
				       next * (CHUNK / BLK_SECTOR), buf, CHUNK, why))
				return false;
			next++;
			queued = true;
		}
		if (queued)
			blk_kick(b);
		s = blk_next(b, why);
		if (!s || !status_ok(s, why))
			return false;
		st->requests++;
		uint64_t took = rdtsc() - s->t_submit;
		if (took > st->max_stall_tsc)
			st->max_stall_tsc = took;
		if (!write) {
			const uint64_t *w = s->data;
			uint64_t off = s->sector * BLK_SECTOR;
			for (unsigned i = 0; i < CHUNK / 8; i++)
				if (w[i] != blk_pattern(off + i * 8ull, seed))
					st->bad++;
		}
	}
	return true;
}

bool scenario_blkstorm(void)
{
	static struct blkdev b;
	const char *why = "no-writable-disk";
	uint64_t seed = cmdline_u64("probe.storm.seed=", 7);
	uint64_t ms = cmdline_u64("probe.storm.ms=", MS_DEFAULT);
	uint64_t passes = 0;
	struct storm st = { .qd = (unsigned)cmdline_u64("probe.storm.qd=", QD) };
	struct vdev *v;

	for (int disk = 0; (v = vdev_find(VIRTIO_ID_BLOCK, disk)); disk++) {
		dma_reset();
		if (blk_open(&b, v, QD, false, &why) < 0) {
			blk_close(&b);
			v = NULL;
			break;
		}
		if (!b.ro)
			break;
		blk_close(&b);
	}
	if (st.qd < 1 || st.qd > QD)
		st.qd = QD;
	if (!v) {
		uprintf("PROBE blkstorm fail reason=%s\n", why);
		dma_reset();
		return false;
	}
	uint8_t *bufs = dma_alloc((uint64_t)QD * CHUNK, 4096);
	uint64_t config0 = virtio_irqs[v->index].config;
	bool ok = bufs && b.nslots >= QD && b.capacity * BLK_SECTOR >= CHUNK;
	if (!ok)
		why = "setup";
	uprintf("PROBE blkstorm writing sectors=%lu\n", b.capacity);
	uint64_t end = rdtsc() + us_tsc(ms * 1000);
	while (ok && (passes == 0 || (int64_t)(rdtsc() - end) < 0)) {
		ok = pass(&b, bufs, true, seed + passes, &st, &why);
		if (ok)
			passes++;
	}
	uprintf("PROBE blkstorm verifying passes=%lu\n", passes);
	if (ok)
		ok = pass(&b, bufs, false, seed + passes - 1, &st, &why);
	uint32_t status = vdev_read(v, VM_STATUS);
	uint64_t config_irqs = virtio_irqs[v->index].config - config0;
	if (ok && (st.bad || (status & VS_NEEDS_RESET) || config_irqs)) {
		ok = false;
		why = st.bad ? "data-mismatch" : "device-reset";
	}
	if (ok)
		uprintf("PROBE blkstorm ok passes=%lu requests=%lu seed=%lu sectors=%lu status=0x%x "
			"config_irqs=%lu qd=%u max_stall_us=%lu\n", passes, st.requests,
			seed + passes - 1, b.capacity, status, config_irqs, st.qd,
			tsc_us(st.max_stall_tsc));
	else
		uprintf("PROBE blkstorm fail reason=%s passes=%lu bad_words=%lu status=0x%x "
			"config_irqs=%lu\n", why, passes, st.bad, status, config_irqs);
	blk_close(&b);
	dma_reset();
	return ok;
}
