/* virtio-net (virtio 1.2, 5.1) as a vhost-user backend: queues rx0, tx0,
 * rx1, tx1, ... and the control queue (at 2 * pairs with MQ negotiated,
 * else at 2); the config space is mac, status (link up), max pairs and
 * MTU. The rings go to the engine (net_engine.h). */
#ifndef CELLVM_NET_DEV_H
#define CELLVM_NET_DEV_H

#include "net_engine.h"
#include "vu_backend.h"

struct net_dev {
	struct net_engine eng;
	struct vu_device_ops ops;   /* queue count and features depend on the tap */
};

/* Fills d->ops for d->eng (initialised first). */
void net_dev_init_ops(struct net_dev *d);

/* The config space (struct virtio_net_config up to mtu), 12 bytes. */
void net_dev_config(const struct net_engine *e, uint8_t cfg[12]);

#endif
