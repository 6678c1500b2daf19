/* Split virtqueue, device side. The driver owns the avail ring and the
 * descriptors and may rewrite them while we read, so each value is loaded
 * once into a local, checked, and only the local is used afterwards. */
#include <errno.h>
#include <string.h>

#include "virtq.h"
#include "vu_inflight.h"

typedef void *(*virtq_xlate_fn)(const struct guest_map *m, uint64_t addr, uint64_t len);

static int virtq_setup(struct virtq *vq, const struct guest_map *map, uint16_t num,
		       uint64_t desc, uint64_t avail, uint64_t used, bool event_idx,
		       virtq_xlate_fn xlate)
{
	void *d, *a, *u;

	/* num is a u16, so 32768 is the largest power of 2 it can hold. */
	if (num == 0 || (num & (num - 1)))
		return -EINVAL;
	/* Alignment the split ring requires (virtio 1.2, 2.7 table). */
	if ((desc & 15) || (avail & 1) || (used & 3))
		return -EINVAL;
	d = xlate(map, desc, VIRTQ_DESC_BYTES(num));
	a = xlate(map, avail, VIRTQ_AVAIL_BYTES(num));
	u = xlate(map, used, VIRTQ_USED_BYTES(num));
	if (!d || !a || !u)
		return -EFAULT;
	memset(vq, 0, sizeof(*vq));
	vq->map = map;
	vq->num = num;
	vq->event_idx = event_idx;
	vq->desc = d;
	vq->avail = a;
	vq->used = u;
	return 0;
}

int virtq_init(struct virtq *vq, const struct guest_map *map, uint16_t num,
	       uint64_t desc_gpa, uint64_t avail_gpa, uint64_t used_gpa, bool event_idx)
{
	return virtq_setup(vq, map, num, desc_gpa, avail_gpa, used_gpa, event_idx,
			   guest_map_translate);
}

int virtq_init_uva(struct virtq *vq, const struct guest_map *map, uint16_t num,
		   uint64_t desc_uva, uint64_t avail_uva, uint64_t used_uva, bool event_idx)
{
	return virtq_setup(vq, map, num, desc_uva, avail_uva, used_uva, event_idx,
			   guest_map_translate_uva);
}

static int virtq_fail(struct virtq *vq)
{
	vq->broken = true;
	return -EIO;
}

/* Adds one buffer to the chain. Readable buffers must all come before the
 * writable ones (virtio 1.2, 2.7.4.2). */
static int virtq_add_buf(struct virtq *vq, struct virtq_chain *c, const struct virtq_desc *d)
{
	unsigned int n = c->n_out + c->n_in;
	void *host;

	if (n >= VIRTQ_MAX_CHAIN_IOV)
		return -EIO;
	/* len 0 still has to point into RAM: translate with at least 1. */
	host = guest_map_translate(vq->map, d->addr, d->len ? d->len : 1);
	if (!host)
		return -EIO;
	c->iov[n].iov_base = host;
	c->iov[n].iov_len = d->len;
	if (d->flags & VIRTQ_DESC_F_WRITE) {
		c->n_in++;
		c->in_len += d->len;
	} else {
		if (c->n_in)
			return -EIO;
		c->n_out++;
		c->out_len += d->len;
	}
	return 0;
}

/* Walks the chain starting at head. A chain cannot visit more descriptors
 * than its table holds without repeating one, so the walk is bounded by
 * the table size: a driver-made loop ends as an error, not a hang. */
static int virtq_walk(struct virtq *vq, struct virtq_chain *c, uint16_t head)
{
	const uint8_t *table = (const uint8_t *)vq->desc;
	uint32_t table_len = vq->num;
	uint32_t idx = head, seen = 0;
	bool indirect = false;

	for (;;) {
		struct virtq_desc d;

		if (idx >= table_len || ++seen > table_len)
			return -EIO;
		memcpy(&d, table + (size_t)idx * sizeof(d), sizeof(d));

		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			/* One level only, and an indirect descriptor ends the
			 * direct chain (it may not also have NEXT). */
			if (indirect || (d.flags & VIRTQ_DESC_F_NEXT))
				return -EIO;
			if (d.len == 0 || d.len % sizeof(struct virtq_desc) ||
			    d.len / sizeof(struct virtq_desc) > 65536)
				return -EIO;
			table = guest_map_translate(vq->map, d.addr, d.len);
			if (!table)
				return -EIO;
			table_len = d.len / sizeof(struct virtq_desc);
			idx = 0;
			seen = 0;
			indirect = true;
			continue;
		}
		if (virtq_add_buf(vq, c, &d) < 0)
			return -EIO;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
}

int virtq_read_chain(struct virtq *vq, uint16_t head, struct virtq_chain *chain)
{
	if (vq->broken)
		return -EIO;
	if (head >= vq->num)
		return virtq_fail(vq);
	chain->head = head;
	chain->n_out = chain->n_in = 0;
	chain->out_len = chain->in_len = 0;
	if (virtq_walk(vq, chain, head) < 0)
		return virtq_fail(vq);
	return 0;
}

int virtq_pop(struct virtq *vq, struct virtq_chain *chain)
{
	uint16_t avail_idx, pending, head;

	if (vq->broken)
		return -EIO;
	if (vq->resubmit_pos < vq->resubmit_n) {
		/* Already marked inflight by the process that took it. */
		head = vq->resubmit[vq->resubmit_pos++];
		if (virtq_read_chain(vq, head, chain) < 0)
			return -EIO;
		chain->resubmitted = true;
		return 1;
	}
	/* Acquire: the ring entries and descriptors the driver wrote before
	 * bumping idx must be visible to the reads below. */
	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	pending = (uint16_t)(avail_idx - vq->last_avail);
	if (pending == 0)
		return 0;
	if (pending > vq->num)
		return virtq_fail(vq);
	head = __atomic_load_n(&vq->avail->ring[vq->last_avail & (vq->num - 1)], __ATOMIC_RELAXED);
	if (head >= vq->num)
		return virtq_fail(vq);
	chain->head = head;
	chain->n_out = chain->n_in = 0;
	chain->out_len = chain->in_len = 0;
	chain->resubmitted = false;
	if (virtq_walk(vq, chain, head) < 0)
		return virtq_fail(vq);
	/* Marked before last_avail moves on: a crash between the two leaves
	 * the head either marked (resubmitted) or not (taken again from the
	 * avail ring, since the restarted device resumes at used + marked). */
	if (vq->inflight)
		vu_inflight_mark(vq->inflight, head, vq->inflight_counter++);
	vq->last_avail++;
	return 1;
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t written)
{
	struct virtq_used_elem *e;

	if (vq->broken)
		return;
	if (vq->inflight)
		vu_inflight_pre_push(vq->inflight, head);
	e = &vq->used->ring[vq->used_idx & (vq->num - 1)];
	__atomic_store_n(&e->id, head, __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, written, __ATOMIC_RELAXED);
	vq->used_idx++;
	/* Release: the element (and the data written into the buffers) is
	 * visible before the driver can see the new idx. */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
	if (vq->inflight)
		vu_inflight_post_push(vq->inflight, head, vq->used_idx);
}

static uint16_t *virtq_used_event(struct virtq *vq)
{
	return &vq->avail->ring[vq->num];
}

static uint16_t *virtq_avail_event(struct virtq *vq)
{
	return (uint16_t *)(void *)&vq->used->ring[vq->num];
}

bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, new = vq->used_idx;
	bool valid = vq->signalled_used_valid;

	/* Nothing used since the last decision (signalled_used starts equal
	 * to used_idx): no interrupt is due. */
	if (vq->broken || old == new)
		return false;
	/* Our used idx store must be ordered before the flag/used_event
	 * load, or we could miss the driver asking for an interrupt (a
	 * store-load ordering only a full fence gives). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->signalled_used = new;
	vq->signalled_used_valid = true;
	if (!vq->event_idx)
		return !(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	/* The first time, old is not a notification point the driver saw. */
	if (!valid)
		return true;
	/* virtio 1.2, 2.7.10: notify when used_event lies in (old, new]. */
	uint16_t event = __atomic_load_n(virtq_used_event(vq), __ATOMIC_RELAXED);
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

bool virtq_enable_notify(struct virtq *vq)
{
	if (vq->broken)
		return false;
	if (vq->event_idx)
		__atomic_store_n(virtq_avail_event(vq), vq->last_avail, __ATOMIC_RELAXED);
	else
		__atomic_store_n(&vq->used->flags, 0, __ATOMIC_RELAXED);
	/* Publish avail_event before re-reading avail idx: otherwise the
	 * driver may have added work without kicking (it saw the old
	 * avail_event) and we would sleep on it. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) != vq->last_avail;
}

void virtq_disable_notify(struct virtq *vq)
{
	if (vq->broken || vq->event_idx)
		return;
	/* No fence: a kick that still comes because the driver saw the old
	 * flags costs a wake-up, never a lost request. */
	__atomic_store_n(&vq->used->flags, VIRTQ_USED_F_NO_NOTIFY, __ATOMIC_RELAXED);
}
