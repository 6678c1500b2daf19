/* rngstorm: keeps NREQ requests in flight on the first virtio-rng device
 * for probe.storm.ms= (default 6000) while the host kills its device
 * process (README.md, "Device restart"), then waits for every request.
 * Each request must be answered exactly once: a used element for a buffer
 * not in flight breaks the ring ("bad-used-id"), one never answered times
 * out; the device must never show NEEDS_RESET or raise a config change.
 * Says "PROBE rngstorm running" once requests are in flight. */
#include "virtio.h"

#define NREQ       8
#define SIZE       64
#define MS_DEFAULT 6000
#define TIMEOUT_US 20000000

struct rs_req {
	uint8_t *buf;
	bool busy;
};

static bool rs_submit(struct virtq *q, struct rs_req *r)
{
	struct vq_buf b = { (uint64_t)r->buf, SIZE, true };

	if (!vq_add(q, &b, 1, r))
		return false;
	r->busy = true;
	return true;
}

bool scenario_rngstorm(void)
{
	static struct rs_req reqs[NREQ];
	struct vdev *v = vdev_find(VIRTIO_ID_RNG, 0);
	struct virtq q;
	const char *why = "no-device";
	uint64_t ms = cmdline_u64("probe.storm.ms=", MS_DEFAULT);
	uint64_t submitted = 0, answered = 0, bad_len = 0;
	bool ok = false;

	dma_reset();
	if (!v || vdev_negotiate(v, virtio_ring_features_wanted(), &why) < 0 ||
	    vq_setup(&q, v, 0, 0, &why) < 0 || vdev_driver_ok(v, &why) < 0) {
		uprintf("PROBE rngstorm fail reason=%s\n", why);
		dma_reset();
		return false;
	}
	uint64_t config0 = virtio_irqs[v->index].config;
	for (int i = 0; i < NREQ; i++) {
		reqs[i].buf = dma_alloc(SIZE, 64);
		if (!reqs[i].buf || !rs_submit(&q, &reqs[i]))
			goto out;
		submitted++;
	}
	vq_kick(&q);
	uprintf("PROBE rngstorm running\n");
	uint64_t end = rdtsc() + us_tsc(ms * 1000);
	uint64_t deadline = rdtsc() + us_tsc(TIMEOUT_US);
	why = "timeout";
	while (answered < submitted) {
		uint32_t len;
		struct rs_req *r = vq_get(&q, &len);
		if (q.broken) {
			why = q.broken_why;
			goto out;
		}
		if (!r) {
			if ((int64_t)(rdtsc() - deadline) > 0)
				goto out;
			continue;
		}
		if (!r->busy) {
			why = "answered-twice";
			goto out;
		}
		r->busy = false;
		answered++;
		if (len == 0 || len > SIZE)
			bad_len++;
		deadline = rdtsc() + us_tsc(TIMEOUT_US);
		if ((int64_t)(rdtsc() - end) < 0 && rs_submit(&q, r)) {
			submitted++;
			vq_kick(&q);
		}
	}
	uint32_t status = vdev_read(v, VM_STATUS);
	uint64_t config_irqs = virtio_irqs[v->index].config - config0;
	ok = !bad_len && !(status & VS_NEEDS_RESET) && !config_irqs;
	why = bad_len ? "bad-used-len" : "device-reset";
	if (ok)
		uprintf("PROBE rngstorm ok requests=%lu answered=%lu status=0x%x config_irqs=%lu\n",
			submitted, answered, status, config_irqs);
out:
	if (!ok)
		uprintf("PROBE rngstorm fail reason=%s requests=%lu answered=%lu\n", why, submitted,
			answered);
	if (!vdev_reset(v))
		uprintf("probe: virtio %u: reset did not complete\n", v->index);
	dma_reset();
	return ok;
}
