/* rng: asks the first virtio-rng device (5.4) for bytes in several sizes,
 * first all at once (one kick for eight requests), then one at a time;
 * every answer must carry at least one byte and no more than asked, and
 * what arrives must be neither constant nor a repeat of another answer.
 * Interrupt-driven. */
#include "virtio.h"

#define ROUNDS      2
#define NREQ        8
#define TIMEOUT_US  10000000

static const uint32_t sizes[NREQ] = { 1, 16, 64, 256, 512, 1024, 4096, 8192 };

struct rng_req {
	uint8_t *buf;
	uint32_t size, got;
	bool done;
};

static bool rng_fail(const char *why, uint64_t a, uint64_t b)
{
	uprintf("PROBE rng fail reason=%s expected=%lu got=%lu\n", why, a, b);
	return false;
}

/* Waits for one completion; NULL with *why. */
static struct rng_req *rng_next(struct virtq *q, struct vwaiter *w, const struct vdev *v,
				const char **why)
{
	uint64_t deadline = rdtsc() + us_tsc(TIMEOUT_US);
	for (;;) {
		uint32_t len;
		struct rng_req *r = vq_get(q, &len);
		if (r) {
			r->got = len;
			r->done = true;
			return r;
		}
		if (q->broken) {
			*why = q->broken_why;
			return NULL;
		}
		if ((int64_t)(rdtsc() - deadline) > 0) {
			*why = vdev_read(v, VM_STATUS) & VS_NEEDS_RESET ? "needs-reset" : "timeout";
			return NULL;
		}
		vwait_once(w);
	}
}

static void fill_marker(uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		p[i] = 0xa5;
}

/* Not all one value (a 1-byte answer cannot be judged). */
static bool varied(const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++)
		if (p[i] != p[0])
			return true;
	return n < 2;
}

static bool rng_run(struct vdev *v, uint64_t *bytes, uint64_t *requests, struct virtq *q,
		    struct vwaiter *w)
{
	static struct rng_req reqs[ROUNDS][NREQ];
	const char *why;

	for (int round = 0; round < ROUNDS; round++) {
		for (int i = 0; i < NREQ; i++) {
			struct rng_req *r = &reqs[round][i];
			r->size = sizes[i];
			r->buf = dma_alloc(r->size, 64);
			r->done = false;
			if (!r->buf)
				return rng_fail("out-of-memory", r->size, 0);
			fill_marker(r->buf, r->size);
		}
		/* Round 0: all queued before one kick; round 1: one by one. */
		for (int i = 0; i < NREQ; i++) {
			struct rng_req *r = &reqs[round][i];
			struct vq_buf b = { (uint64_t)r->buf, r->size, true };
			if (!vq_add(q, &b, 1, r))
				return rng_fail(q->broken ? q->broken_why : "ring-full", 0, 0);
			if (round == 1) {
				vq_kick(q);
				if (rng_next(q, w, v, &why) != r)
					return rng_fail(why, i, 0);
			}
		}
		if (round == 0) {
			vq_kick(q);
			for (int i = 0; i < NREQ; i++)
				if (!rng_next(q, w, v, &why))
					return rng_fail(why, NREQ, (uint64_t)i);
		}
		for (int i = 0; i < NREQ; i++) {
			struct rng_req *r = &reqs[round][i];
			if (!r->done)
				return rng_fail("request-lost", 1, 0);
			if (r->got == 0 || r->got > r->size)
				return rng_fail("bad-used-len", r->size, r->got);
			if (!varied(r->buf, r->got))
				return rng_fail("constant-bytes", 0, r->got);
			*bytes += r->got;
			(*requests)++;
		}
	}
	/* The biggest answers of the two rounds must differ. */
	struct rng_req *a = &reqs[0][NREQ - 1], *b = &reqs[1][NREQ - 1];
	uint32_t n = a->got < b->got ? a->got : b->got;
	if (n >= 16 && !memcmp(a->buf, b->buf, n))
		return rng_fail("repeated-bytes", 0, n);
	return true;
}

bool scenario_rng(void)
{
	struct vdev *v = vdev_find(VIRTIO_ID_RNG, 0);
	struct virtq q;
	struct vwaiter w = { 0 };
	const char *why;
	uint64_t bytes = 0, requests = 0;
	bool ok = false;

	if (!v)
		return rng_fail("no-device", 1, 0);
	dma_reset();
	uint64_t irq0 = virtio_irqs[v->index].count;
	if (vdev_negotiate(v, virtio_ring_features_wanted(), &why) < 0 ||
	    vq_setup(&q, v, 0, (uint16_t)cmdline_u64("probe.virtio.qsize=", 0), &why) < 0 ||
	    vdev_driver_ok(v, &why) < 0) {
		rng_fail(why, 0, 0);
	} else {
		vwait_begin(&w, true);
		ok = rng_run(v, &bytes, &requests, &q, &w);
		vwait_end(&w);
	}
	if (ok)
		uprintf("PROBE rng ok bytes=%lu requests=%lu features=0x%lx event_idx=%d irqs=%lu "
			"sleeps=%lu irq_wakeups=%lu kicks=%lu\n",
			bytes, requests, v->features, q.event_idx, virtio_irqs[v->index].count - irq0,
			w.sleeps, w.wakeups_by_irq, q.kicks);
	if (!vdev_reset(v))
		uprintf("probe: virtio %u: reset did not complete\n", v->index);
	dma_reset();
	return ok;
}
