/* virtio-vsock (virtio 1.2, 5.10) as a vhost-user backend: queue 0 rx,
 * 1 tx, 2 event; config space is the guest's cid. The rings are served
 * here, the connections by the engine. */
#ifndef CELLVM_VSOCK_DEV_H
#define CELLVM_VSOCK_DEV_H

#include <stdbool.h>
#include <stdint.h>

#include "virtq.h"
#include "vsock_engine.h"
#include "vu_backend.h"

#define VSOCK_QUEUE_RX    0
#define VSOCK_QUEUE_TX    1
#define VSOCK_QUEUE_EVENT 2
/* Packets handled per queue before the other side gets its turn. */
#define VSOCK_BUDGET 256

struct vsock_dev {
	struct vsock_engine eng;
	struct virtq_chain chain;   /* scratch for the chain being served */
	bool tx_more;               /* tx stopped at its budget: resume from the loop */
};

extern const struct vu_device_ops vsock_device_ops;

#endif
