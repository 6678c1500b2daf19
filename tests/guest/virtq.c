/* Split virtqueue, driver side (virtio 1.2, 2.7). Free descriptors are
 * kept in a list linked through their own next fields, so a direct chain
 * simply takes the first n of them. With INDIRECT_DESC a request of more
 * than one buffer takes one ring descriptor pointing at a per-head table.
 * With EVENT_IDX both directions use the event indices (2.7.10, 2.7.7.2);
 * otherwise the flags. The device's answers are checked before use: a
 * bad id or index marks the queue broken instead of corrupting it. */
#include "virtio.h"

#define VQ_SIZE_DEFAULT 256

static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
	/* 2.7.10: "new_idx - event - 1 < new_idx - old", the wrap-safe way of
	 * asking whether event lies in [old, new_idx). */
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old);
}

int vq_setup(struct virtq *q, const struct vdev *d, uint16_t index, uint16_t size,
	     const char **why)
{
	memset(q, 0, sizeof(*q));
	q->dev = d;
	q->index = index;
	vdev_write(d, VM_QUEUE_SEL, index);
	if (vdev_read(d, VM_QUEUE_READY)) {
		*why = "queue-already-ready";
		return -1;
	}
	uint32_t max = vdev_read(d, VM_QUEUE_NUM_MAX);
	if (max == 0) {
		*why = "queue-unavailable";
		return -1;
	}
	/* Split rings have power-of-2 sizes; take the largest that fits. */
	uint32_t want = size ? size : VQ_SIZE_DEFAULT, num = 1;
	while (num * 2 <= want && num * 2 <= max && num * 2 <= 32768)
		num *= 2;
	q->num = (uint16_t)num;

	q->desc = dma_alloc(16ULL * num, 4096);
	uint8_t *avail = dma_alloc(6ULL + 2ULL * num, 4096);
	uint8_t *used = dma_alloc(6ULL + 8ULL * num, 4096);
	q->token = dma_alloc(sizeof(void *) * num, 8);
	q->chain = dma_alloc(sizeof(uint16_t) * num, 8);
	q->event_idx = d->features & VFBIT(VF_EVENT_IDX);
	q->indirect = d->features & VFBIT(VF_INDIRECT_DESC);
	if (q->indirect)
		q->itables = dma_alloc(sizeof(struct vq_desc) * VQ_INDIRECT_MAX * num, 4096);
	if (!q->desc || !avail || !used || !q->token || !q->chain || (q->indirect && !q->itables)) {
		*why = "out-of-memory";
		return -1;
	}
	q->avail_flags = (volatile uint16_t *)avail;
	q->avail_idx = q->avail_flags + 1;
	q->avail_ring = q->avail_flags + 2;
	q->used_event = q->avail_ring + num;
	q->used_flags = (volatile uint16_t *)used;
	q->used_idx = q->used_flags + 1;
	q->used_ring = (volatile struct vq_used_elem *)(used + 4);
	q->avail_event = (volatile uint16_t *)(used + 4 + 8 * num);
	for (uint32_t i = 0; i < num; i++)
		q->desc[i].next = (uint16_t)(i + 1);
	q->num_free = (uint16_t)num;
	q->irq = true; /* zeroed rings ask for every interrupt */

	vdev_write(d, VM_QUEUE_NUM, num);
	vdev_write(d, VM_QUEUE_DESC_LOW, (uint32_t)(uint64_t)q->desc);
	vdev_write(d, VM_QUEUE_DESC_HIGH, (uint32_t)((uint64_t)q->desc >> 32));
	vdev_write(d, VM_QUEUE_DRIVER_LOW, (uint32_t)(uint64_t)avail);
	vdev_write(d, VM_QUEUE_DRIVER_HIGH, (uint32_t)((uint64_t)avail >> 32));
	vdev_write(d, VM_QUEUE_DEVICE_LOW, (uint32_t)(uint64_t)used);
	vdev_write(d, VM_QUEUE_DEVICE_HIGH, (uint32_t)((uint64_t)used >> 32));
	vdev_write(d, VM_QUEUE_READY, 1);
	if (vdev_read(d, VM_QUEUE_READY) != 1) {
		*why = "queue-ready-refused";
		return -1;
	}
	return 0;
}

bool vq_can_add(const struct virtq *q, unsigned n)
{
	unsigned need = q->indirect && n > 1 && n <= VQ_INDIRECT_MAX ? 1 : n;
	return !q->broken && n && q->num_free >= need;
}

bool vq_add(struct virtq *q, const struct vq_buf *b, unsigned n, void *token)
{
	if (!token || !vq_can_add(q, n))
		return false;
	uint16_t head = q->free_head;

	if (q->indirect && n > 1 && n <= VQ_INDIRECT_MAX) {
		struct vq_desc *t = q->itables + (size_t)head * VQ_INDIRECT_MAX;
		for (unsigned i = 0; i < n; i++) {
			t[i].addr = b[i].addr;
			t[i].len = b[i].len;
			t[i].flags = (uint16_t)((b[i].write ? VQ_DESC_F_WRITE : 0) |
						(i + 1 < n ? VQ_DESC_F_NEXT : 0));
			t[i].next = (uint16_t)(i + 1);
		}
		volatile struct vq_desc *d = &q->desc[head];
		q->free_head = d->next;
		d->addr = (uint64_t)t;
		d->len = (uint32_t)(n * sizeof(*t));
		d->flags = VQ_DESC_F_INDIRECT;
		q->chain[head] = 1;
		q->num_free--;
		q->indirect_used++;
	} else {
		uint16_t idx = head;
		for (unsigned i = 0; i < n; i++) {
			volatile struct vq_desc *d = &q->desc[idx];
			d->addr = b[i].addr;
			d->len = b[i].len;
			d->flags = (uint16_t)((b[i].write ? VQ_DESC_F_WRITE : 0) |
					      (i + 1 < n ? VQ_DESC_F_NEXT : 0));
			idx = d->next; /* the free list is the chain's order */
		}
		q->free_head = idx;
		q->chain[head] = (uint16_t)n;
		q->num_free = (uint16_t)(q->num_free - n);
	}
	q->token[head] = token;
	q->avail_ring[q->shadow_avail & (q->num - 1)] = head;
	q->shadow_avail++;
	/* x86 keeps stores in order; the compiler must too: descriptors and
	 * the ring entry before the index that publishes them. */
	cbarrier();
	*q->avail_idx = q->shadow_avail;
	q->added++;
	return true;
}

void vq_kick(struct virtq *q)
{
	uint16_t old = q->kicked_idx, new_idx = q->shadow_avail;
	bool need;

	if (old == new_idx || q->broken)
		return;
	q->kicked_idx = new_idx;
	/* The index store must be visible before we read whether the device
	 * wants a notification, or both sides could wait for each other. */
	vfence();
	if (q->event_idx)
		need = need_event(*q->avail_event, new_idx, old);
	else
		need = !(*q->used_flags & VQ_USED_F_NO_NOTIFY);
	if (need) {
		vdev_write(q->dev, VM_QUEUE_NOTIFY, q->index);
		q->kicks++;
	}
}

static void *vq_broken(struct virtq *q, const char *why)
{
	q->broken = true;
	q->broken_why = why;
	return NULL;
}

void *vq_get(struct virtq *q, uint32_t *len)
{
	if (q->broken)
		return NULL;
	uint16_t used = *q->used_idx;
	if (used == q->last_used)
		return NULL;
	if ((uint16_t)(used - q->last_used) > q->num)
		return vq_broken(q, "used-index-jumped");
	/* Loads are not reordered on x86; the element is read after idx. */
	cbarrier();
	volatile struct vq_used_elem *e = &q->used_ring[q->last_used & (q->num - 1)];
	uint32_t id = e->id, n = e->len;
	if (id >= q->num || !q->token[id])
		return vq_broken(q, "bad-used-id");
	void *token = q->token[id];
	q->token[id] = NULL;

	/* Back on the free list, in chain order. */
	uint16_t last = (uint16_t)id;
	for (uint16_t i = 1; i < q->chain[id]; i++)
		last = q->desc[last].next;
	q->desc[last].next = q->free_head;
	q->free_head = (uint16_t)id;
	q->num_free = (uint16_t)(q->num_free + q->chain[id]);
	q->last_used++;

	if (q->event_idx) {
		if (q->irq) {
			/* Interrupt at the next completion; published before the
			 * caller looks at used idx again (see vq_set_irq). */
			*q->used_event = q->last_used;
			vfence();
		} else {
			/* Half the index space away: never inside the window the
			 * device checks, so polling gets no interrupts. */
			*q->used_event = (uint16_t)(q->last_used + 0x8000);
		}
	}
	*len = n;
	return token;
}

bool vq_set_irq(struct virtq *q, bool on)
{
	q->irq = on;
	if (q->event_idx)
		*q->used_event = on ? q->last_used : (uint16_t)(q->last_used + 0x8000);
	else
		*q->avail_flags = on ? 0 : VQ_AVAIL_F_NO_INTERRUPT;
	if (!on)
		return false;
	vfence();
	return *q->used_idx != q->last_used;
}
