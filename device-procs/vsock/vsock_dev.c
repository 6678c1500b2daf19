/* The rings of the vsock device. The tx queue is always drained at once:
 * every packet is handled (written to its host socket, buffered within
 * its credit, or refused) before its buffer goes back, so the guest can
 * never be stuck behind a slow host reader. The rx queue is filled while
 * the engine has packets and the guest has buffers; when it has none,
 * the engine keeps what it owes (bounded: a few flags per connection)
 * and the next rx kick resumes. The event queue's buffers are kept: this
 * device has no event to report (no migration). */
#include "vsock_dev.h"

#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "vu_msg.h"

#define VIRTIO_VSOCK_F_STREAM 0

static bool vsock_ring_usable(const struct vu_backend *be, unsigned int q)
{
	const struct vu_vring *vr = &be->vrings[q];

	return vr->started && vr->enabled && vr->addr_set && !vr->vq.broken;
}

static void vsock_flush_rx(struct vsock_dev *d, struct vu_backend *be)
{
	struct virtq *vq = &be->vrings[VSOCK_QUEUE_RX].vq;
	unsigned int pushed = 0;
	int r;

	if (!vsock_ring_usable(be, VSOCK_QUEUE_RX))
		return;
	while (vsock_engine_rx_pending(&d->eng)) {
		if (pushed == VSOCK_BUDGET) {
			vsock_engine_wake(&d->eng);
			break;
		}
		r = virtq_pop(vq, &d->chain);
		if (r == 0) {
			/* Out of buffers: the guest kicks when it adds some. */
			if (virtq_enable_notify(vq))
				continue;
			break;
		}
		if (r < 0) {
			vu_backend_set_broken(be, VSOCK_QUEUE_RX);
			break;
		}
		size_t n = vsock_engine_rx_fill(&d->eng, d->chain.iov + d->chain.n_out, d->chain.n_in);
		virtq_push(vq, d->chain.head, (uint32_t)n);
		pushed++;
	}
	if (pushed)
		vu_queue_notify(be, VSOCK_QUEUE_RX);
}

static void vsock_drain_tx(struct vsock_dev *d, struct vu_backend *be)
{
	struct virtq *vq = &be->vrings[VSOCK_QUEUE_TX].vq;
	unsigned int done = 0;
	int r;

	d->tx_more = false;
	if (!vsock_ring_usable(be, VSOCK_QUEUE_TX))
		return;
	do {
		while ((r = virtq_pop(vq, &d->chain)) == 1) {
			vsock_engine_guest_pkt(&d->eng, d->chain.iov, d->chain.n_out);
			virtq_push(vq, d->chain.head, 0);
			if (++done == VSOCK_BUDGET) {
				d->tx_more = true;
				vsock_engine_wake(&d->eng);
				goto out;
			}
		}
		if (r < 0) {
			vu_backend_set_broken(be, VSOCK_QUEUE_TX);
			break;
		}
	} while (virtq_enable_notify(vq));
out:
	if (done)
		vu_queue_notify(be, VSOCK_QUEUE_TX);
}

static void vsock_queue_ready(void *dev, struct vu_backend *be, unsigned int qidx)
{
	struct vsock_dev *d = dev;

	if (qidx == VSOCK_QUEUE_TX)
		vsock_drain_tx(d, be);
	/* Packets the tx queue produced (answers, credit) and whatever
	 * waited for buffers go out now. */
	if (qidx == VSOCK_QUEUE_TX || qidx == VSOCK_QUEUE_RX)
		vsock_flush_rx(d, be);
}

static void vsock_queue_stop(void *dev, struct vu_backend *be, int qidx)
{
	struct vsock_dev *d = dev;

	(void)be;
	/* Stopping rx or tx means the driver is being reset (GET_VRING_BASE
	 * at a device reset): its sockets are gone, so are ours. -1 also
	 * comes before a new memory table, which keeps the connections:
	 * nothing here holds guest memory between calls. */
	if (qidx == VSOCK_QUEUE_RX || qidx == VSOCK_QUEUE_TX)
		vsock_engine_reset(&d->eng);
}

static int vsock_get_config(void *dev, uint32_t offset, uint8_t *buf, uint32_t len)
{
	struct vsock_dev *d = dev;
	uint8_t cfg[8];
	uint64_t cid = d->eng.cfg.guest_cid;

	for (int i = 0; i < 8; i++)
		cfg[i] = (uint8_t)(cid >> (8 * i));
	/* Past the struct reads as zero, like every cellvm device. */
	memset(buf, 0, len);
	if (offset < sizeof(cfg))
		memcpy(buf, cfg + offset, len < sizeof(cfg) - offset ? len : sizeof(cfg) - offset);
	return 0;
}

static int vsock_extra_fd(void *dev)
{
	return vsock_engine_fd(&((struct vsock_dev *)dev)->eng);
}

static void vsock_extra_ready(void *dev, struct vu_backend *be)
{
	struct vsock_dev *d = dev;

	vsock_engine_host_events(&d->eng);
	if (d->tx_more)
		vsock_drain_tx(d, be);
	vsock_flush_rx(d, be);
}

const struct vu_device_ops vsock_device_ops = {
	.name = "vsock",
	.virtio_id = VIRTIO_ID_VSOCK,
	.features = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_EVENT_IDX) |
		    (1ull << VIRTIO_RING_F_INDIRECT_DESC) | (1ull << VIRTIO_VSOCK_F_STREAM) |
		    (1ull << VHOST_USER_F_PROTOCOL_FEATURES),
	.num_queues = 3,
	.get_config = vsock_get_config,
	.queue_ready = vsock_queue_ready,
	.queue_stop = vsock_queue_stop,
	.extra_fd = vsock_extra_fd,
	.extra_ready = vsock_extra_ready,
};
