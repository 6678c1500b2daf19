/* virtio-blk driver core: negotiation, config space, request slots and
 * their completion. A request is the three-part chain of 5.2.6: a 16-byte
 * header the device reads, the data (split at size_max), and a status
 * byte the device writes. */
#include "blkdev.h"

#define SEGS_MAX (VQ_INDIRECT_MAX - 2)
/* Nothing here needs larger requests than the benchmark's 1 MiB. */
#define REQ_BYTES_MAX (4u * 1024 * 1024)

static int blk_limits(struct blkdev *b, const char **why)
{
	const struct vdev *v = b->v;
	uint32_t segs = SEGS_MAX;

	b->capacity = vdev_config(v, 0, 8);
	/* Sector numbers times 512 must not overflow, and no probe VM gets
	 * a disk near 2^40 sectors (512 TiB): a wrong value, not a disk. */
	if (b->capacity >= 1ULL << 40) {
		*why = "absurd-capacity";
		return -1;
	}
	b->ro = v->features & VFBIT(VIRTIO_BLK_F_RO);
	b->flush = v->features & VFBIT(VIRTIO_BLK_F_FLUSH);
	b->blk_size = BLK_SECTOR;
	if (v->features & VFBIT(VIRTIO_BLK_F_SIZE_MAX)) {
		b->size_max = (uint32_t)vdev_config(v, 8, 4);
		/* QEMU's vhost-user-blk export offers SIZE_MAX with a size_max
		 * of 0, a limit nothing could meet: read it as "no limit", as
		 * Linux ends up doing. Anything else below a sector is wrong. */
		if (b->size_max == 0)
			uprintf("probe: virtio %u: SIZE_MAX offered with size_max 0, ignoring it\n",
				v->index);
		else if (b->size_max < BLK_SECTOR) {
			*why = "size_max-below-512";
			return -1;
		}
	}
	if (v->features & VFBIT(VIRTIO_BLK_F_SEG_MAX)) {
		b->seg_max = (uint32_t)vdev_config(v, 12, 4);
		if (b->seg_max == 0) {
			*why = "seg_max-zero";
			return -1;
		}
		if (b->seg_max < segs)
			segs = b->seg_max;
	}
	if (v->features & VFBIT(VIRTIO_BLK_F_BLK_SIZE)) {
		b->blk_size = (uint32_t)vdev_config(v, 20, 4);
		if (b->blk_size < BLK_SECTOR || (b->blk_size & (b->blk_size - 1))) {
			*why = "bad-blk_size";
			return -1;
		}
	}
	uint64_t max = b->size_max ? (uint64_t)b->size_max * segs : REQ_BYTES_MAX;
	if (max > REQ_BYTES_MAX)
		max = REQ_BYTES_MAX;
	b->max_bytes = (uint32_t)max & ~(BLK_SECTOR - 1);
	return 0;
}

int blk_open(struct blkdev *b, struct vdev *v, unsigned nslots, bool irq, const char **why)
{
	uint64_t wanted = virtio_ring_features_wanted() | VFBIT(VIRTIO_BLK_F_RO) |
			  VFBIT(VIRTIO_BLK_F_FLUSH) | VFBIT(VIRTIO_BLK_F_SIZE_MAX) |
			  VFBIT(VIRTIO_BLK_F_SEG_MAX) | VFBIT(VIRTIO_BLK_F_BLK_SIZE);

	memset(b, 0, sizeof(*b));
	b->v = v;
	if (vdev_negotiate(v, wanted, why) < 0 || blk_limits(b, why) < 0)
		return -1;
	if (vq_setup(&b->q, v, 0, (uint16_t)cmdline_u64("probe.virtio.qsize=", 0), why) < 0)
		return -1;
	/* A direct chain takes at least three descriptors. */
	unsigned fit = b->q.indirect ? b->q.num : b->q.num / 3u;
	b->nslots = nslots < fit ? nslots : fit;
	if (!b->nslots) {
		*why = "queue-too-small";
		return -1;
	}
	b->slots = dma_alloc(sizeof(*b->slots) * b->nslots, 64);
	if (!b->slots) {
		*why = "out-of-memory";
		return -1;
	}
	for (unsigned i = 0; i < b->nslots; i++)
		b->slots[i].idx = i;
	vq_set_irq(&b->q, irq);
	if (vdev_driver_ok(v, why) < 0)
		return -1;
	vwait_begin(&b->w, irq);
	return 0;
}

void blk_close(struct blkdev *b)
{
	vwait_end(&b->w);
	if (!vdev_reset(b->v))
		uprintf("probe: virtio %u: reset did not complete\n", b->v->index);
}

struct blk_slot *blk_free_slot(struct blkdev *b)
{
	for (unsigned i = 0; i < b->nslots; i++)
		if (!b->slots[i].busy)
			return &b->slots[i];
	return NULL;
}

bool blk_queue(struct blkdev *b, struct blk_slot *s, uint32_t type, uint64_t sector, void *data,
	       uint32_t len, const char **why)
{
	struct vq_buf bufs[VQ_INDIRECT_MAX];
	unsigned n = 0;
	bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;

	if (s->busy || len > b->max_bytes) {
		*why = s->busy ? "slot-busy" : "request-too-large";
		return false;
	}
	s->hdr.type = type;
	s->hdr.reserved = 0;
	s->hdr.sector = sector;
	s->status = BLK_STATUS_NONE;
	bufs[n++] = (struct vq_buf){ (uint64_t)&s->hdr, sizeof(s->hdr), false };
	for (uint32_t off = 0; off < len;) {
		uint32_t seg = len - off;
		if (b->size_max && seg > b->size_max)
			seg = b->size_max;
		bufs[n++] = (struct vq_buf){ (uint64_t)data + off, seg, in };
		off += seg;
	}
	bufs[n++] = (struct vq_buf){ (uint64_t)&s->status, 1, true };
	s->type = type;
	s->sector = sector;
	s->data = data;
	s->len = len;
	s->used_len = 0;
	s->t_submit = rdtsc();
	if (!vq_add(&b->q, bufs, n, s)) {
		*why = b->q.broken ? b->q.broken_why : "ring-full";
		return false;
	}
	s->busy = true;
	if (++b->inflight > b->max_inflight)
		b->max_inflight = b->inflight;
	return true;
}

void blk_kick(struct blkdev *b)
{
	vq_kick(&b->q);
}

struct blk_slot *blk_next(struct blkdev *b, const char **why)
{
	uint64_t deadline = rdtsc() + us_tsc(BLK_TIMEOUT_US);

	for (;;) {
		uint32_t len;
		struct blk_slot *s = vq_get(&b->q, &len);
		if (s) {
			s->busy = false;
			s->used_len = len;
			b->inflight--;
			b->completed++;
			return s;
		}
		if (b->q.broken) {
			*why = b->q.broken_why;
			return NULL;
		}
		if (!b->inflight) {
			*why = "nothing-in-flight";
			return NULL;
		}
		if ((int64_t)(rdtsc() - deadline) > 0) {
			*why = vdev_read(b->v, VM_STATUS) & VS_NEEDS_RESET ? "needs-reset" : "timeout";
			return NULL;
		}
		vwait_once(&b->w);
	}
}

int blk_sync(struct blkdev *b, uint32_t type, uint64_t sector, void *data, uint32_t len,
	     uint32_t *used_len, const char **why)
{
	struct blk_slot *s = blk_free_slot(b);

	if (!s || b->inflight) {
		*why = "requests-in-flight";
		return -1;
	}
	if (!blk_queue(b, s, type, sector, data, len, why))
		return -1;
	blk_kick(b);
	struct blk_slot *done = blk_next(b, why);
	if (!done)
		return -1;
	if (done != s) {
		*why = "wrong-request-completed";
		return -1;
	}
	if (used_len)
		*used_len = done->used_len;
	return done->status;
}
