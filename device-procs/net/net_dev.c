#include "net_dev.h"

#include <string.h>

#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "vu_msg.h"

static bool ring_usable(const struct vu_backend *be, unsigned int q)
{
	const struct vu_vring *vr = &be->vrings[q];

	return q < be->ops->num_queues && vr->started && vr->enabled && vr->addr_set &&
	       !vr->vq.broken;
}

static void run_rx(struct net_dev *d, struct vu_backend *be, unsigned int pair)
{
	unsigned int q = 2 * pair;

	if (!ring_usable(be, q)) {
		net_engine_rx_park(&d->eng, pair);
		return;
	}
	int r = net_engine_rx(&d->eng, pair, &be->vrings[q].vq);
	if (r < 0)
		vu_backend_set_broken(be, q);
	else if (r > 0)
		vu_queue_notify(be, q);
}

static void run_tx(struct net_dev *d, struct vu_backend *be, unsigned int pair)
{
	unsigned int q = 2 * pair + 1;

	if (!ring_usable(be, q))
		return;
	int r = net_engine_tx(&d->eng, pair, &be->vrings[q].vq);
	if (r < 0)
		vu_backend_set_broken(be, q);
	else if (r > 0)
		vu_queue_notify(be, q);
}

static void net_queue_ready(void *dev, struct vu_backend *be, unsigned int qidx)
{
	struct net_dev *d = dev;
	unsigned int ctrl;

	/* The vhost-user loop has no feature hook: features are settled
	 * before any ring runs, so the first kick after SET_FEATURES applies
	 * them (the tap's offloads follow). */
	net_engine_set_features(&d->eng, be->acked_features);
	ctrl = net_engine_ctrl_queue(&d->eng);
	if (qidx == ctrl) {
		if (!ring_usable(be, qidx))
			return;
		int r = net_engine_ctrl(&d->eng, &be->vrings[qidx].vq);
		if (r < 0)
			vu_backend_set_broken(be, qidx);
		else if (r > 0)
			vu_queue_notify(be, qidx);
		return;
	}
	if (qidx / 2 >= d->eng.cfg.pairs)
		return;
	if (qidx % 2 == 0) {
		net_engine_rx_kick(&d->eng, qidx / 2);
		run_rx(d, be, qidx / 2);
	} else {
		run_tx(d, be, qidx / 2);
	}
}

static void net_queue_stop(void *dev, struct vu_backend *be, int qidx)
{
	struct net_dev *d = dev;

	if (qidx < 0) {
		for (unsigned int p = 0; p < d->eng.cfg.pairs; p++) {
			struct virtq *rx = ring_usable(be, 2 * p) ? &be->vrings[2 * p].vq : NULL;
			struct virtq *tx = ring_usable(be, 2 * p + 1) ? &be->vrings[2 * p + 1].vq : NULL;
			net_engine_stop(&d->eng, (int)p, rx, tx);
		}
		return;
	}
	if ((unsigned int)qidx / 2 < d->eng.cfg.pairs && (unsigned int)qidx != net_engine_ctrl_queue(&d->eng))
		net_engine_stop(&d->eng, qidx / 2, NULL, NULL);
	/* Stopping rx0 means the driver resets: back to one pair, no offloads. */
	if (qidx == 0)
		net_engine_reset(&d->eng);
}

void net_dev_config(const struct net_engine *e, uint8_t cfg[12])
{
	memcpy(cfg, e->cfg.mac, 6);
	cfg[6] = VIRTIO_NET_S_LINK_UP;
	cfg[7] = 0;
	cfg[8] = (uint8_t)e->cfg.pairs;
	cfg[9] = 0;
	cfg[10] = (uint8_t)e->cfg.mtu;
	cfg[11] = (uint8_t)(e->cfg.mtu >> 8);
}

static int net_get_config(void *dev, uint32_t offset, uint8_t *buf, uint32_t len)
{
	struct net_dev *d = dev;
	uint8_t cfg[12];

	net_dev_config(&d->eng, cfg);
	/* Past the struct reads as zero, like every cellvm device. */
	memset(buf, 0, len);
	if (offset < sizeof(cfg))
		memcpy(buf, cfg + offset, len < sizeof(cfg) - offset ? len : sizeof(cfg) - offset);
	return 0;
}

static int net_extra_fd(void *dev)
{
	return net_engine_fd(&((struct net_dev *)dev)->eng);
}

static void net_extra_ready(void *dev, struct vu_backend *be)
{
	struct net_dev *d = dev;
	uint32_t rx, tx;

	net_engine_events(&d->eng, &rx, &tx);
	for (unsigned int p = 0; p < d->eng.cfg.pairs; p++) {
		if (tx & (1u << p))
			run_tx(d, be, p);
		if (rx & (1u << p))
			run_rx(d, be, p);
	}
}

void net_dev_init_ops(struct net_dev *d)
{
	d->ops = (struct vu_device_ops){
		.name = "net",
		.virtio_id = VIRTIO_ID_NET,
		.features = net_engine_device_features(&d->eng) |
			    (1ull << VHOST_USER_F_PROTOCOL_FEATURES),
		.num_queues = 2 * d->eng.cfg.pairs + 1,
		/* A restarted cellvm-net finds the chains its predecessor had
		 * taken: rx ones are filled again, tx ones completed unsent
		 * (net_engine_tx), so no frame goes out twice. */
		.protocol_features = 1ull << VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD,
		.get_config = net_get_config,
		.queue_ready = net_queue_ready,
		.queue_stop = net_queue_stop,
		.extra_fd = net_extra_fd,
		.extra_ready = net_extra_ready,
	};
}
