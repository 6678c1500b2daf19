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
#include "vu_inflight.h"

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
	bool addr_set;    /* SET_VRING_ADDR accepted: vq points into the map */
	uint16_t base;    /* SET_VRING_BASE, applied when the ring is set up */
	/* Frontend virtual addresses of the rings, kept so a new memory
	 * table can re-translate them. */
	uint64_t desc_uva, avail_uva, used_uva;
};

struct vu_device_ops {
	const char *name;          /* "blk", "rng": for logs */
	uint16_t virtio_id;        /* VIRTIO_ID_BLOCK... */
	uint64_t features;         /* device + transport feature bits offered */
	/* Extra VHOST_USER_PROTOCOL_F_* to offer, limited to what the backend
	 * implements; MQ, REPLY_ACK and RESET_DEVICE are always offered.
	 * INFLIGHT_SHMFD suits a device whose requests can be done again
	 * after a crash (blk, rng): virtq_pop/virtq_push keep the region. */
	uint64_t protocol_features;
	unsigned int num_queues;
	/* Config space; may be NULL when the device has none. Offering
	 * VHOST_USER_PROTOCOL_F_CONFIG is automatic when get_config is set.
	 * Return 0 or a negative errno (e.g. range outside the config). */
	int (*get_config)(void *dev, uint32_t offset, uint8_t *buf, uint32_t len);
	/* Optional: guest writes to config (SET_CONFIG); flags is
	 * VU_CONFIG_F_WRITABLE or VU_CONFIG_F_MIGRATION. NULL: rejected. */
	int (*set_config)(void *dev, uint32_t offset, const uint8_t *buf, uint32_t len, uint32_t flags);
	/* Called with a queue whose kick fired (or that just started); the
	 * device pops chains, pushes results and calls vu_queue_notify. */
	void (*queue_ready)(void *dev, struct vu_backend *be, unsigned int qidx);
	/* Queue stops (GET_VRING_BASE) or the device resets: finish or cancel
	 * in-flight requests for qidx (all queues when qidx is -1). Also
	 * called with -1 before a new memory table replaces the old mapping
	 * and when the session ends, whenever a ring was running. Optional. */
	void (*queue_stop)(void *dev, struct vu_backend *be, int qidx);
	/* Optional extra fd (e.g. io_uring completion eventfd) the loop polls,
	 * asked for once when serving starts; -1 for none, and the callback
	 * run when it is readable. */
	int (*extra_fd)(void *dev);
	void (*extra_ready)(void *dev, struct vu_backend *be);
};

struct vu_backend_opts {
	int verbose;                /* 1: log every message received */
	int msg_timeout_ms;         /* payload/reply deadline; 0: default 5 s */
};

struct vu_backend {
	int sock;                   /* connection to the frontend */
	int epoll_fd;
	const struct vu_device_ops *ops;
	void *dev;
	struct vu_backend_opts opts;
	uint64_t acked_features;
	uint64_t acked_protocol_features;
	struct guest_map map;
	struct vu_vring vrings[VU_MAX_QUEUES];
	bool owner_set;
	bool needs_reset;
	/* queue_ready ran since the device last drained everything: requests
	 * may be in flight even on a ring no longer marked started. */
	bool may_have_inflight;
	/* GET/SET_INFLIGHT_FD (vu_backend_inflight.c): the tracking region,
	 * the heads each ring submits again after a restart, and an fd a
	 * reply carries (-1: none). */
	struct vu_inflight_region inflight;
	uint16_t *resubmit[VU_MAX_QUEUES];
	int reply_fd;
};

/* Serves the connection until the frontend disconnects or stop_fd (e.g. a
 * signalfd for SIGTERM) becomes readable; stop_fd may be -1. Returns 0 on
 * a clean end (peer closed, stop_fd) or a negative errno after logging
 * why (protocol violation, I/O error). sock and stop_fd stay open: they
 * belong to the caller. ops->features gets VHOST_USER_F_PROTOCOL_FEATURES
 * added; ops->num_queues must be 1..VU_MAX_QUEUES.
 * The spec allows pipes as kick/call fds: a call pipe whose reader is gone
 * would raise SIGPIPE, so programs ignore it (vu_stop_signalfd does). */
int vu_backend_serve(int sock, int stop_fd, const struct vu_device_ops *ops, void *dev);
/* Same with options; opts may be NULL. */
int vu_backend_serve_opts(int sock, int stop_fd, const struct vu_device_ops *ops, void *dev,
			  const struct vu_backend_opts *opts);

/* Signals the queue's call fd if the driver wants an interrupt. */
void vu_queue_notify(struct vu_backend *be, unsigned int qidx);

/* Marks the device broken (e.g. a malformed chain): queues stop and the
 * error fd is signalled so the frontend can report NEEDS_RESET. */
void vu_backend_set_broken(struct vu_backend *be, unsigned int qidx);

#endif
