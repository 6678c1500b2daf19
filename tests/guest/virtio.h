/* Ring-3 virtio driver of the probe: virtio-mmio version 2 transport
 * (virtio 1.2, 4.2), split virtqueues (2.7), and the helpers the blk, rng
 * and needsreset scenarios share. Ring 0 only routes each device's
 * interrupt and acknowledges it (virtio_irq.c); everything else, register
 * accesses included, runs here at native speed. */
#ifndef PROBE_VIRTIO_H
#define PROBE_VIRTIO_H

#include "user.h"

/* virtio-mmio registers (4.2.2). */
#define VM_MAGIC            0x000
#define VM_VERSION          0x004
#define VM_DEVICE_ID        0x008
#define VM_VENDOR_ID        0x00c
#define VM_DEVICE_FEATURES  0x010
#define VM_DEVICE_FEAT_SEL  0x014
#define VM_DRIVER_FEATURES  0x020
#define VM_DRIVER_FEAT_SEL  0x024
#define VM_QUEUE_SEL        0x030
#define VM_QUEUE_NUM_MAX    0x034
#define VM_QUEUE_NUM        0x038
#define VM_QUEUE_READY      0x044
#define VM_QUEUE_NOTIFY     0x050
#define VM_INTERRUPT_STATUS 0x060
#define VM_STATUS           0x070
#define VM_QUEUE_DESC_LOW   0x080
#define VM_QUEUE_DESC_HIGH  0x084
#define VM_QUEUE_DRIVER_LOW 0x090
#define VM_QUEUE_DRIVER_HIGH 0x094
#define VM_QUEUE_DEVICE_LOW 0x0a0
#define VM_QUEUE_DEVICE_HIGH 0x0a4
#define VM_CONFIG_GEN       0x0fc
#define VM_CONFIG           0x100
#define VM_MAGIC_VALUE      0x74726976 /* "virt" */

/* Device status bits (2.1). */
#define VS_ACKNOWLEDGE 0x01
#define VS_DRIVER      0x02
#define VS_DRIVER_OK   0x04
#define VS_FEATURES_OK 0x08
#define VS_NEEDS_RESET 0x40
#define VS_FAILED      0x80

#define VIRTIO_INT_VRING  0x1
#define VIRTIO_INT_CONFIG 0x2

/* Feature bits (6). */
#define VF_INDIRECT_DESC 28
#define VF_EVENT_IDX     29
#define VF_VERSION_1     32
#define VFBIT(n)         (1ULL << (n))

#define VIRTIO_ID_BLOCK 2
#define VIRTIO_ID_RNG   4

/* One virtio-mmio device from a virtio_mmio.device= word. */
struct vdev {
	unsigned index;      /* position on the command line; picks the vector */
	uint64_t base, size;
	unsigned irq;
	uint32_t version, device_id, vendor;
	uint64_t offered;    /* device features */
	uint64_t features;   /* negotiated */
};

/* virtio_mmio.c: discovery, status, features, config space. */
extern struct vdev vdevs[VIRTIO_MAX];
extern int vdev_count;
/* Parses the command line and routes interrupts, once; prints what it
 * found. Returns the number of usable (version 2, non-zero ID) devices. */
int virtio_discover(void);
/* The n-th usable device of a type, or NULL. */
struct vdev *vdev_find(uint32_t device_id, int n);
const char *vdev_type_name(uint32_t device_id);
uint32_t vdev_read(const struct vdev *d, unsigned off);
void vdev_write(const struct vdev *d, unsigned off, uint32_t v);
/* Reset, ACKNOWLEDGE, DRIVER, then accept `wanted & offered` (VERSION_1
 * always required) and FEATURES_OK. 0, or a reason string via *why. */
int vdev_negotiate(struct vdev *d, uint64_t wanted, const char **why);
int vdev_driver_ok(struct vdev *d, const char **why);
/* Writes 0 and waits for the device to read back 0 (4.2.3.1). */
bool vdev_reset(struct vdev *d);
/* A consistent snapshot of config bytes [off, off+len) (len 4 or 8)
 * through the generation counter (4.2.3.1.1 / 2.5.1). */
uint64_t vdev_config(const struct vdev *d, unsigned off, unsigned len);
/* Cmdline knob: probe.virtio.event_idx=0 / probe.virtio.indirect=0
 * keep a ring feature off even when offered. */
uint64_t virtio_ring_features_wanted(void);

/* Waiting for a device: spinning (poll mode) or sleeping until the next
 * virtio interrupt (irq mode), always bounded by the caller's deadline. */
struct vwaiter {
	bool irq;           /* false: poll */
	bool can_sleep;     /* the LAPIC timer works, so every hlt is bounded */
	uint64_t seen;      /* virtio_irq_total when last looked at */
	uint64_t spin_us;   /* spin this long on the counter before halting */
	uint64_t sleeps, wakeups_by_irq;
};
void vwait_begin(struct vwaiter *w, bool irq);
/* One round of waiting: returns at the latest at the next interrupt or
 * after a bounded sleep (irq), or after a pause (poll). */
void vwait_once(struct vwaiter *w);
void vwait_end(struct vwaiter *w);

/* virtq.c: split virtqueue, driver side. */
struct vq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};
#define VQ_DESC_F_NEXT     1
#define VQ_DESC_F_WRITE    2
#define VQ_DESC_F_INDIRECT 4
#define VQ_AVAIL_F_NO_INTERRUPT 1
#define VQ_USED_F_NO_NOTIFY     1
#define VQ_INDIRECT_MAX    32   /* entries per indirect table */

struct vq_buf {
	uint64_t addr;
	uint32_t len;
	bool write;          /* device-writable */
};

struct vq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq {
	const struct vdev *dev;
	uint16_t index, num;
	volatile struct vq_desc *desc;
	volatile uint16_t *avail_flags, *avail_idx, *avail_ring, *used_event;
	volatile uint16_t *used_flags, *used_idx, *avail_event;
	volatile struct vq_used_elem *used_ring;
	struct vq_desc *itables;   /* num tables of VQ_INDIRECT_MAX, or NULL */
	void **token;              /* per head: what the caller queued, NULL: free */
	uint16_t *chain;           /* per head: descriptors it took */
	uint16_t free_head, num_free;
	uint16_t shadow_avail;     /* next avail ring slot */
	uint16_t kicked_idx;       /* avail idx at the last notify decision */
	uint16_t last_used;
	bool event_idx, indirect, irq;
	bool broken;               /* the device returned something impossible */
	const char *broken_why;
	uint64_t kicks, added, indirect_used;
};

/* Allocates and zeroes the rings, programs and enables queue `index`.
 * size 0: the largest up to 256. */
int vq_setup(struct virtq *q, const struct vdev *d, uint16_t index, uint16_t size,
	     const char **why);
/* Queues one request; false when the ring is full. */
bool vq_add(struct virtq *q, const struct vq_buf *b, unsigned n, void *token);
/* Publishes what was added and notifies the device if it asked for it. */
void vq_kick(struct virtq *q);
/* Next completed request's token (and used length), or NULL. */
void *vq_get(struct virtq *q, uint32_t *len);
/* Interrupts for completions on (irq) or off (poll). Turning them on
 * returns true when completions slipped in meanwhile. */
bool vq_set_irq(struct virtq *q, bool on);
bool vq_can_add(const struct virtq *q, unsigned n);

/* dma.c: guest RAM for rings and buffers (identity-mapped, so virtual
 * == physical). Zeroed, never freed one by one; dma_reset() frees all. */
void *dma_alloc(uint64_t size, uint64_t align);
void dma_reset(void);
uint64_t dma_left(void);

static inline void vfence(void)
{
	/* A full barrier: the store-load orderings the ring protocol needs
	 * (publish an index, then read the other side's event index). A
	 * locked add, not mfence, so the same code is safe in ring 0 here. */
	__asm__ volatile("lock addl $0, (%%rsp)" ::: "memory", "cc");
}

static inline void cbarrier(void)
{
	__asm__ volatile("" ::: "memory");
}

#endif
