/* A virtio device of the guest whose implementation is a vhost-user
 * backend in another process. The core owns its virtio-mmio window, its
 * ioeventfds (QueueNotify, one per queue) and its irqfd; at DRIVER_OK it
 * hands the backend the memfd, the rings and those eventfds, and from then
 * on is out of the data path. */
#ifndef CELLVM_VU_DEVICE_H
#define CELLVM_VU_DEVICE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dev_log.h"
#include "dev_spawn.h"
#include "guest_mem.h"
#include "virtio_mmio.h"
#include "vu_frontend.h"
#include "vu_inflight.h"

#define VIRTIO_ID_NET   1
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_RNG   4
#define VIRTIO_ID_VSOCK 19

struct vu_device {
	char name[32];               /* "blk0", "rng0": for logs */
	uint32_t virtio_id;
	uint64_t mmio_base;
	unsigned int irq;
	int vm_fd;
	const struct guest_mem *mem;
	struct vu_frontend fe;
	struct dev_proc proc;        /* pid -1 for a backend someone else started */
	struct dev_log log;          /* relays the process's output (fd -1 without one) */
	struct virtio_mmio transport;
	uint64_t backend_features;
	uint64_t protocol_features;  /* negotiated */
	unsigned int num_queues;
	int irq_fd;                  /* irqfd: used as every queue's call fd */
	int kick_fds[VIRTIO_MMIO_MAX_QUEUES];
	bool queue_started[VIRTIO_MMIO_MAX_QUEUES];
	atomic_bool dead;            /* backend gone: set by the main thread, read by vCPUs */
	bool transport_ready;
	bool guest_told;             /* NEEDS_RESET raised (main thread) */
	/* Restart (vu_device_restore.c). Under the transport lock: */
	bool activated;              /* DRIVER_OK reached the backend, no reset since */
	uint64_t acked_features;     /* what SET_FEATURES sent */
	int inflight_fd;             /* INFLIGHT_SHMFD region kept across restarts, -1: none */
	struct vu_inflight_payload inflight;
	/* Read by the API thread: */
	atomic_uint restarts;
	atomic_int last_exit_status; /* wait status of the last process end, -1: none */
};

/* Takes ownership of sock (and of proc when non-NULL, its log_fd going to
 * the relay), negotiates with the backend, wires the eventfds into KVM.
 * Returns 0 or negative errno. */
int vu_device_init(struct vu_device *d, const char *name, uint32_t virtio_id, int vm_fd,
		   const struct guest_mem *mem, uint64_t mmio_base, unsigned int irq, int sock,
		   const struct dev_proc *proc);
void vu_device_destroy(struct vu_device *d);

/* The backend went away (hang-up or process exit): tell the guest. */
void vu_device_backend_died(struct vu_device *d, const char *why);

/* Marks the backend gone without telling the guest: a restart follows. */
void vu_device_backend_gone(struct vu_device *d);

/* Brings a restarted backend (sock, proc: as for vu_device_init) to where
 * the old one was: same features and protocol features, memory table,
 * inflight region, rings with the same kick and call eventfds, enabled.
 * On failure the new process is stopped and the device stays gone.
 * Takes the transport lock. 0 or a negative errno. */
int vu_device_restore(struct vu_device *d, int sock, const struct dev_proc *proc);

#endif
