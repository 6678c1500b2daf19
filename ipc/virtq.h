/* Split virtqueue, device side (virtio 1.2, section 2.7). The rings live in
 * guest memory, which the guest can change at any moment: every index and
 * descriptor is read once, checked, and translated through guest_map.
 * A malformed ring puts the queue in the broken state (the device then
 * reports NEEDS_RESET) instead of crashing or touching memory it must not. */
#ifndef CELLVM_VIRTQ_H
#define CELLVM_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "guest_map.h"

struct vu_inflight_queue;

#define VIRTQ_MAX_SIZE      32768
#define VIRTQ_MAX_CHAIN_IOV 1024   /* segments in one request, direct + indirect */

/* Ring layout (virtio 1.2, 2.7). Little-endian on x86, which is all cellvm
 * runs on. Descriptors may sit unaligned in an indirect table: they are
 * always copied out with memcpy, never dereferenced in place. */
#define VIRTQ_DESC_F_NEXT      1
#define VIRTQ_DESC_F_WRITE     2
#define VIRTQ_DESC_F_INDIRECT  4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY     1

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];            /* num entries, then used_event */
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[]; /* num entries, then avail_event */
};

/* Bytes each part occupies for a queue of num entries (with the
 * EVENT_IDX trailers, which a device always assumes may be there). */
#define VIRTQ_DESC_BYTES(num)  (16ull * (num))
#define VIRTQ_AVAIL_BYTES(num) (6ull + 2ull * (num))
#define VIRTQ_USED_BYTES(num)  (6ull + 8ull * (num))

struct virtq {
	const struct guest_map *map;
	uint16_t num;               /* queue size, a power of 2 */
	bool event_idx;             /* VIRTIO_F_RING_EVENT_IDX negotiated */
	bool broken;                /* malformed ring seen: stop serving */
	uint16_t last_avail;        /* next avail index to take */
	uint16_t used_idx;          /* next used index to fill */
	uint16_t signalled_used;    /* used_idx when the guest was last notified */
	bool signalled_used_valid;
	struct virtq_desc *desc;    /* host pointers into guest RAM */
	struct virtq_avail *avail;
	struct virtq_used *used;
	/* Inflight tracking (vu_inflight.h), NULL when off: pop marks each
	 * head taken, push clears it. After a restart, pop first hands out
	 * the heads in resubmit[resubmit_pos..resubmit_n) again. */
	struct vu_inflight_queue *inflight;
	uint64_t inflight_counter;
	const uint16_t *resubmit;
	uint16_t resubmit_n, resubmit_pos;
};

/* One descriptor chain, gathered into host iovecs: readable (driver →
 * device) segments first, then writable ones, as the spec requires. */
struct virtq_chain {
	uint16_t head;              /* id to return in the used ring */
	unsigned int n_out;         /* device-readable segments: iov[0..n_out) */
	unsigned int n_in;          /* device-writable segments: iov[n_out..n_out+n_in) */
	uint64_t out_len, in_len;   /* bytes in each direction */
	bool resubmitted;           /* taken by a process that died before returning it */
	struct iovec iov[VIRTQ_MAX_CHAIN_IOV];
};

/* Addresses are guest-physical (desc/avail/used); -EFAULT if a ring does
 * not fit in guest memory, -EINVAL for a bad size or misalignment. */
int virtq_init(struct virtq *vq, const struct guest_map *map, uint16_t num,
	       uint64_t desc_gpa, uint64_t avail_gpa, uint64_t used_gpa, bool event_idx);

/* Same, with ring addresses given as frontend virtual addresses
 * (vhost-user SET_VRING_ADDR without VHOST_VRING_F_LOG semantics). */
int virtq_init_uva(struct virtq *vq, const struct guest_map *map, uint16_t num,
		   uint64_t desc_uva, uint64_t avail_uva, uint64_t used_uva, bool event_idx);

/* 1 and a chain when one was available, 0 when the ring is empty,
 * -EIO (and vq->broken) on a malformed chain: loop, too long, out of
 * range, bad indirect table, writable before readable... */
int virtq_pop(struct virtq *vq, struct virtq_chain *chain);

/* Gathers the chain starting at head (which the caller checked is below
 * vq->num) without touching the avail ring: how a resubmitted request is
 * read again. 0, or -EIO (and vq->broken) on a malformed chain. */
int virtq_read_chain(struct virtq *vq, uint16_t head, struct virtq_chain *chain);

/* Returns a used element (head, bytes written into the in segments). */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t written);

/* True when the driver wants an interrupt for what was pushed since the
 * last call (honours EVENT_IDX used_event or VIRTQ_AVAIL_F_NO_INTERRUPT);
 * false when nothing was pushed. Whoever sets used_idx by hand (resuming
 * a ring) sets signalled_used to the same value. */
bool virtq_should_notify(struct virtq *vq);

/* With EVENT_IDX: publish avail_event so the driver kicks for new work;
 * returns true if more work arrived meanwhile (caller polls again). */
bool virtq_enable_notify(struct virtq *vq);

/* Asks the driver not to kick: the device will look at the ring again on
 * its own (e.g. when a request in flight completes). A hint only: a kick
 * may still come. With EVENT_IDX there is nothing to write: avail_event
 * stays where virtq_enable_notify put it and, once the driver passed it,
 * no further kick is due (until the 16-bit index wraps, a harmless extra
 * kick). */
void virtq_disable_notify(struct virtq *vq);

#endif
