/* A vhost-user backend (device side), shared by every cellvm device
 * program: it answers the frontend's messages, maps guest memory from the
 * memfd it is sent, tracks the vrings and their kick/call fds, waits on
 * kicks with epoll and hands ready queues to the device. */
#ifndef CELLVM_VU_BACKEND_H
#define CELLVM_VU_BACKEND_H

#include <stdbool.h>
#include <stdint.h>

#include "guest_map.h"
#include "virtq.h"

#define VU_MAX_QUEUES 16

struct vu_backend;

struct vu_vring {
	struct virtq vq;
	int kick_fd;      /* -1 when none: polling mode is not supported */
	int call_fd;      /* -1: no interrupt */
	int err_fd;
	uint16_t num;
	bool started;     /* has kick fd and addresses, and the backend runs it */
	bool enabled;     /* SET_VRING_ENABLE */
};

struct vu_device_ops {
	const char *name;          /* "blk", "rng": for logs */
	uint16_t virtio_id;        /* VIRTIO_ID_BLOCK... */
	uint64_t features;         /* device + transport feature bits offered */
	uint64_t protocol_features;/* extra VHOST_USER_PROTOCOL_F_* offered (CONFIG...) */
	unsigned int num_queues;
	/* Config space; may be NULL when the device has none. */
	int (*get_config)(void *dev, uint32_t offset, uint8_t *buf, uint32_t len);
	/* Called with a queue whose kick fired (or that just started); the
	 * device pops chains, pushes results and calls vu_queue_notify. */
	void (*queue_ready)(void *dev, struct vu_backend *be, unsigned int qidx);
	/* Queue stops (GET_VRING_BASE) or the device resets: finish or cancel
	 * in-flight requests for qidx (all queues when qidx is -1). */
	void (*queue_stop)(void *dev, struct vu_backend *be, int qidx);
	/* Optional extra fd (e.g. io_uring completion eventfd) the loop polls;
	 * -1 for none, and the callback run when it is readable. */
	int (*extra_fd)(void *dev);
	void (*extra_ready)(void *dev, struct vu_backend *be);
};

struct vu_backend {
	int sock;                   /* connection to the frontend */
	int epoll_fd;
	const struct vu_device_ops *ops;
	void *dev;
	uint64_t acked_features;
	uint64_t acked_protocol_features;
	struct guest_map map;
	struct vu_vring vrings[VU_MAX_QUEUES];
	bool owner_set;
	bool needs_reset;
};

/* Serves the connection until the frontend disconnects or stop_fd (e.g. a
 * signalfd for SIGTERM) becomes readable. Returns 0 on a clean end or a
 * negative errno after logging why. */
int vu_backend_serve(int sock, int stop_fd, const struct vu_device_ops *ops, void *dev);

/* Signals the queue's call fd if the driver wants an interrupt. */
void vu_queue_notify(struct vu_backend *be, unsigned int qidx);

/* Marks the device broken (e.g. a malformed chain): queues stop and the
 * error fd is signalled so the frontend can report NEEDS_RESET. */
void vu_backend_set_broken(struct vu_backend *be, unsigned int qidx);

#endif
