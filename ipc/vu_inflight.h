/* Inflight I/O tracking for split virtqueues (vhost-user spec, "Inflight
 * I/O tracking", VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD). The backend keeps,
 * in a shared memory region the frontend holds on to across a restart,
 * which descriptor heads it has taken from the avail ring and not yet
 * returned. A new backend process finds them there and submits them again.
 *
 * Layout, per queue, back to back (each queue region 64-byte aligned, the
 * stride libvhost-user uses too):
 *   u64 features (0), u16 version (1; 0 = never initialised), u16 desc_num,
 *   u16 last_batch_head, u16 used_idx, then desc_num entries of
 *   { u8 inflight, u8 padding[5], u16 next, u64 counter }.
 * The region comes from the other side of a socket and, after a crash,
 * from a process that may have died half-way: every field is checked
 * before it is used as an index. */
#ifndef CELLVM_VU_INFLIGHT_H
#define CELLVM_VU_INFLIGHT_H

#include <stddef.h>
#include <stdint.h>

#define VU_INFLIGHT_VERSION 1
#define VU_INFLIGHT_ALIGN   64u
/* The wire payload of GET/SET_INFLIGHT_FD: the spec's table lists 20
 * bytes of fields, but QEMU, libvhost-user and DPDK all send and demand
 * sizeof their unpacked struct, 24 (4 bytes of tail padding); so do we. */
#define VU_INFLIGHT_PAYLOAD_SIZE 24u

struct vu_inflight_payload {
	uint64_t mmap_size;
	uint64_t mmap_offset;
	uint16_t num_queues;
	uint16_t queue_size;
	uint32_t padding;
};

struct vu_inflight_desc {
	uint8_t inflight;
	uint8_t padding[5];
	uint16_t next;
	uint64_t counter;
};

struct vu_inflight_queue {
	uint64_t features;
	uint16_t version;
	uint16_t desc_num;
	uint16_t last_batch_head;
	uint16_t used_idx;
	struct vu_inflight_desc desc[];
};

/* One mapped region: num_queues regions of queue_size entries. */
struct vu_inflight_region {
	int fd;                /* -1 when none */
	void *base;            /* the mapping (of mmap_size bytes at mmap_offset) */
	uint64_t mmap_size;
	uint64_t mmap_offset;
	uint16_t num_queues;
	uint16_t queue_size;
};

/* Bytes one queue's part takes: header and entries, rounded up to 64. */
uint64_t vu_inflight_queue_bytes(uint16_t queue_size);

/* The largest region GET_INFLIGHT_FD may create for num_queues rings: a
 * device program's RLIMIT_FSIZE must allow it (ftruncate of the memfd is
 * subject to it). */
uint64_t vu_inflight_max_bytes(unsigned int num_queues);

/* Checks num_queues (1..max_queues) and queue_size (a power of 2 up to
 * 32768). 0 or -EINVAL. */
int vu_inflight_check_geometry(uint16_t num_queues, uint16_t queue_size, unsigned int max_queues);

/* GET_INFLIGHT_FD on the backend: a fresh zeroed memfd region of the given
 * geometry, mapped, every queue initialised (version 1, desc_num). */
int vu_inflight_alloc(struct vu_inflight_region *r, uint16_t num_queues, uint16_t queue_size,
		      unsigned int max_queues);

/* SET_INFLIGHT_FD on the backend: checks the description against the fd
 * (a regular file or memfd large enough, page-aligned offset, size exactly
 * what the geometry needs) and every queue header (features 0, version 0
 * or 1, desc_num equal to queue_size), then maps it. Takes fd on success.
 * -EINVAL / -EBADMSG with a reason in why (may be NULL). */
int vu_inflight_map(struct vu_inflight_region *r, int fd, const struct vu_inflight_payload *p,
		    unsigned int max_queues, char *why, size_t whylen);

void vu_inflight_unmap(struct vu_inflight_region *r);

/* The region of queue qidx, or NULL when none is mapped or qidx is past
 * num_queues. */
struct vu_inflight_queue *vu_inflight_queue(const struct vu_inflight_region *r, unsigned int qidx);

/* What a restarted backend learns from a queue's region. */
struct vu_inflight_resume {
	uint16_t n;          /* heads to submit again, in heads[0..n), oldest first */
	uint16_t last_avail; /* where to resume the avail ring: used idx + n */
	uint64_t counter;    /* next counter value to hand out */
};

/* Reconnect (spec order): if the region's used_idx lags the used ring's
 * idx, the entries of the last batch (from last_batch_head) were
 * completed: they are cleared; then every head still marked is listed by
 * counter. ring_num is the vring size the driver set: a head at or past it,
 * a batch longer than the ring, a broken batch list or an inflight byte
 * other than 0/1 is refused (-EBADMSG) and the region left as it was as
 * far as the caller is concerned. heads must hold ring_num entries. */
int vu_inflight_recover(struct vu_inflight_queue *q, uint16_t queue_size, uint16_t ring_num,
			uint16_t used_ring_idx, uint16_t *heads, struct vu_inflight_resume *out);

/* Spec steps when a head is taken from the avail ring (counter, then the
 * flag), and around returning one to the used ring: before (link it as
 * the last batch) and after the used idx is published (clear the flag,
 * record used_idx). */
void vu_inflight_mark(struct vu_inflight_queue *q, uint16_t head, uint64_t counter);
void vu_inflight_pre_push(struct vu_inflight_queue *q, uint16_t head);
void vu_inflight_post_push(struct vu_inflight_queue *q, uint16_t head, uint16_t used_idx);

#endif
