/* needsreset: starts every virtio-blk and virtio-rng device, keeps a
 * request in flight on each, says "PROBE needsreset waiting", and waits
 * (probe.needsreset.ms=, default 30000) until one of them sets
 * DEVICE_NEEDS_RESET (2.1.1) -- the host makes that happen by killing a
 * device process. The device must also have raised a configuration
 * change interrupt (4.2.2: InterruptStatus bit 1); the other devices must
 * go on serving; and a reset must bring the broken one back to status 0. */
#include "blkdev.h"

#define WAIT_MS_DEFAULT 30000
#define POLL_STATUS_US  5000
#define AFTER_US        2000000 /* for the interrupt, and the others' answers */
#define RNG_BYTES       64
/* Devices are kept busy, not flooded: the wait can last many seconds. */
#define RESUBMIT_US     1000

struct nr_dev {
	struct vdev *v;
	struct virtq q;
	bool blk;
	struct blk_hdr *hdr;
	uint8_t *data;
	volatile uint8_t *status;
	bool busy;
	uint64_t completed, config0;
	uint64_t next_submit; /* TSC */
};

static bool nr_fail(const char *why, int dev, uint64_t a, uint64_t b)
{
	uprintf("PROBE needsreset fail reason=%s dev=%d expected=0x%lx got=0x%lx\n", why, dev, a, b);
	return false;
}

static bool nr_open(struct nr_dev *d, const char **why)
{
	uint64_t want = virtio_ring_features_wanted();

	d->hdr = dma_alloc(sizeof(*d->hdr), 16);
	d->data = dma_alloc(4096, 4096);
	d->status = dma_alloc(1, 8);
	if (!d->hdr || !d->data || !d->status) {
		*why = "out-of-memory";
		return false;
	}
	d->config0 = virtio_irqs[d->v->index].config;
	return vdev_negotiate(d->v, want, why) == 0 && vq_setup(&d->q, d->v, 0, 0, why) == 0 &&
	       vdev_driver_ok(d->v, why) == 0;
}

/* A 4 KiB read of sector 0, or RNG_BYTES random bytes. */
static void nr_submit(struct nr_dev *d)
{
	struct vq_buf b[3];
	unsigned n = 0;

	if (d->blk) {
		*d->hdr = (struct blk_hdr){ VIRTIO_BLK_T_IN, 0, 0 };
		*d->status = BLK_STATUS_NONE;
		b[n++] = (struct vq_buf){ (uint64_t)d->hdr, sizeof(*d->hdr), false };
		b[n++] = (struct vq_buf){ (uint64_t)d->data, 4096, true };
		b[n++] = (struct vq_buf){ (uint64_t)d->status, 1, true };
	} else {
		b[n++] = (struct vq_buf){ (uint64_t)d->data, RNG_BYTES, true };
	}
	if (vq_add(&d->q, b, n, d)) {
		d->busy = true;
		vq_kick(&d->q);
	}
}

/* Collects completions and keeps one request in flight. */
static void nr_service(struct nr_dev *d)
{
	uint32_t len;
	while (vq_get(&d->q, &len)) {
		d->busy = false;
		d->completed++;
		d->next_submit = rdtsc() + us_tsc(RESUBMIT_US);
	}
	if (!d->busy && !d->q.broken && (int64_t)(rdtsc() - d->next_submit) >= 0)
		nr_submit(d);
}

bool scenario_needsreset(void)
{
	static struct nr_dev devs[VIRTIO_MAX];
	int n = 0, dead = -1;
	const char *why;
	struct vwaiter w = { 0 };
	bool ok = false;

	dma_reset();
	virtio_discover();
	for (int i = 0; i < vdev_count; i++) {
		struct vdev *v = &vdevs[i];
		if (v->version != 2 || (v->device_id != VIRTIO_ID_BLOCK && v->device_id != VIRTIO_ID_RNG))
			continue;
		struct nr_dev *d = &devs[n];
		memset(d, 0, sizeof(*d));
		d->v = v;
		d->blk = v->device_id == VIRTIO_ID_BLOCK;
		n++; /* reset at the end even if it fails to start */
		if (!nr_open(d, &why)) {
			nr_fail(why, (int)v->index, 0, 0);
			goto out;
		}
	}
	if (!n) {
		nr_fail("no-device", -1, 1, 0);
		goto out;
	}

	vwait_begin(&w, true);
	for (int i = 0; i < n; i++)
		nr_submit(&devs[i]);
	uprintf("PROBE needsreset waiting devices=%d\n", n);
	uint64_t t0 = rdtsc(), next_poll = t0;
	uint64_t deadline = t0 + us_tsc(cmdline_u64("probe.needsreset.ms=", WAIT_MS_DEFAULT) * 1000);
	uint32_t status = 0;
	while (dead < 0 && (int64_t)(rdtsc() - deadline) < 0) {
		bool poll = (int64_t)(rdtsc() - next_poll) >= 0;
		for (int i = 0; i < n && dead < 0; i++) {
			struct nr_dev *d = &devs[i];
			nr_service(d);
			/* Read Status after a config interrupt, else now and then. */
			if (poll || virtio_irqs[d->v->index].config != d->config0) {
				status = vdev_read(d->v, VM_STATUS);
				if (status & VS_NEEDS_RESET)
					dead = i;
			}
		}
		if (poll)
			next_poll = rdtsc() + us_tsc(POLL_STATUS_US);
		if (dead < 0)
			vwait_once(&w);
	}
	if (dead < 0) {
		nr_fail("timeout", -1, VS_NEEDS_RESET, 0);
		goto out;
	}
	uint64_t ms = tsc_us(rdtsc() - t0) / 1000;
	struct nr_dev *x = &devs[dead];

	/* The interrupt that announced it, and an answer from every other
	 * device, within AFTER_US. */
	uint64_t others0[VIRTIO_MAX];
	for (int i = 0; i < n; i++)
		others0[i] = devs[i].completed;
	uint64_t end = rdtsc() + us_tsc(AFTER_US);
	bool all;
	do {
		all = virtio_irqs[x->v->index].config != x->config0;
		for (int i = 0; i < n; i++) {
			if (i == dead)
				continue;
			nr_service(&devs[i]);
			all = all && devs[i].completed > others0[i];
		}
		if (!all)
			vwait_once(&w);
	} while (!all && (int64_t)(rdtsc() - end) < 0);
	uint64_t config_irqs = virtio_irqs[x->v->index].config - x->config0;
	if (!config_irqs) {
		nr_fail("no-config-interrupt", (int)x->v->index, 1, 0);
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (i != dead && devs[i].completed == others0[i]) {
			nr_fail("other-device-stopped", (int)devs[i].v->index, 1, 0);
			goto out;
		}
	}
	if (!vdev_reset(x->v)) {
		nr_fail("reset-failed", (int)x->v->index, 0, vdev_read(x->v, VM_STATUS));
		goto out;
	}
	uint64_t requests = 0;
	for (int i = 0; i < n; i++)
		requests += devs[i].completed;
	uprintf("PROBE needsreset ok dev=%u type=%s status=0x%x config_irqs=%lu devices=%d "
		"requests=%lu ms=%lu\n",
		x->v->index, vdev_type_name(x->v->device_id), status, config_irqs, n, requests, ms);
	ok = true;
out:
	vwait_end(&w);
	for (int i = 0; i < n; i++)
		vdev_reset(devs[i].v);
	dma_reset();
	return ok;
}
