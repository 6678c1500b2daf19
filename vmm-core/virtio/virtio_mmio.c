#include "virtio_mmio.h"
#include "log.h"

#include <string.h>
#include <unistd.h>

void virtio_mmio_init(struct virtio_mmio *t, uint32_t device_id, uint64_t device_features,
		      unsigned int num_queues, uint16_t queue_num_max, const uint8_t *config,
		      uint32_t config_len, int irq_fd, const struct virtio_mmio_ops *ops, void *dev)
{
	memset(t, 0, sizeof(*t));
	pthread_mutex_init(&t->lock, NULL);
	t->device_id = device_id;
	t->device_features = device_features | (1ULL << VIRTIO_F_VERSION_1);
	t->num_queues = num_queues > VIRTIO_MMIO_MAX_QUEUES ? VIRTIO_MMIO_MAX_QUEUES : num_queues;
	for (unsigned int i = 0; i < t->num_queues; i++)
		t->queues[i].num_max = queue_num_max;
	t->config_len = config_len > VIRTIO_MMIO_CONFIG_MAX ? VIRTIO_MMIO_CONFIG_MAX : config_len;
	if (config && t->config_len)
		memcpy(t->config, config, t->config_len);
	t->irq_fd = irq_fd;
	t->ops = ops;
	t->dev = dev;
}

void virtio_mmio_destroy(struct virtio_mmio *t)
{
	pthread_mutex_destroy(&t->lock);
}

static void virtio_mmio_raise(struct virtio_mmio *t)
{
	uint64_t one = 1;

	if (t->irq_fd >= 0 && write(t->irq_fd, &one, sizeof(one)) < 0) {
		/* EAGAIN: an interrupt is already pending. */
	}
}

/* Called with the lock held. */
static void virtio_mmio_needs_reset_locked(struct virtio_mmio *t)
{
	t->status |= VIRTIO_STATUS_NEEDS_RESET;
	t->int_status |= VIRTIO_MMIO_INT_CONFIG;
	t->config_generation++;
	virtio_mmio_raise(t);
}

void virtio_mmio_set_needs_reset(struct virtio_mmio *t)
{
	pthread_mutex_lock(&t->lock);
	virtio_mmio_needs_reset_locked(t);
	pthread_mutex_unlock(&t->lock);
}

static void virtio_mmio_reset_locked(struct virtio_mmio *t)
{
	if (t->status & VIRTIO_STATUS_DRIVER_OK)
		t->ops->reset(t->dev, t);
	t->status = 0;
	t->int_status = 0;
	t->driver_features = 0;
	t->device_features_sel = t->driver_features_sel = t->queue_sel = 0;
	for (unsigned int i = 0; i < t->num_queues; i++) {
		struct virtio_mmio_queue *q = &t->queues[i];
		q->num = 0;
		q->ready = false;
		q->desc = q->driver = q->device = 0;
	}
}

static bool virtio_mmio_queue_valid(const struct virtio_mmio_queue *q)
{
	/* Split rings: power-of-2 size and the alignments of section 2.7. */
	return q->num && q->num <= q->num_max && !(q->num & (q->num - 1)) &&
	       !(q->desc & 15) && !(q->driver & 1) && !(q->device & 3);
}

static void virtio_mmio_write_status(struct virtio_mmio *t, uint32_t v)
{
	uint32_t old = t->status;

	if (v == 0) {
		virtio_mmio_reset_locked(t);
		return;
	}
	/* The driver may only add bits (section 3.1.1); NEEDS_RESET is ours. */
	v = (v & ~VIRTIO_STATUS_NEEDS_RESET) | (old & VIRTIO_STATUS_NEEDS_RESET);
	if ((v & old) != old)
		return;
	if ((v & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
		/* Refuse features the device did not offer, and drivers that do
		 * not speak virtio 1 (a version 2 transport needs it). */
		if ((t->driver_features & ~t->device_features) ||
		    !(t->driver_features & (1ULL << VIRTIO_F_VERSION_1)))
			v &= ~VIRTIO_STATUS_FEATURES_OK;
	}
	if ((v & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK)) {
		if (!(v & VIRTIO_STATUS_FEATURES_OK)) {
			v &= ~VIRTIO_STATUS_DRIVER_OK;
		} else {
			t->status = v;
			if (t->ops->activate(t->dev, t) < 0) {
				log_warn("virtio-mmio device %u failed to start", t->device_id);
				virtio_mmio_needs_reset_locked(t);
			}
			return;
		}
	}
	t->status = v;
}

static uint32_t virtio_mmio_read_reg(struct virtio_mmio *t, uint64_t off)
{
	struct virtio_mmio_queue *q = t->queue_sel < t->num_queues ? &t->queues[t->queue_sel] : NULL;

	switch (off) {
	case VMMIO_MAGIC: return VIRTIO_MMIO_MAGIC;
	case VMMIO_VERSION: return 2;
	case VMMIO_DEVICE_ID: return t->device_id;
	case VMMIO_VENDOR_ID: return VIRTIO_MMIO_VENDOR;
	case VMMIO_DEVICE_FEATURES:
		if (t->device_features_sel > 1)
			return 0;
		return (uint32_t)(t->device_features >> (32 * t->device_features_sel));
	case VMMIO_QUEUE_NUM_MAX: return q ? q->num_max : 0;
	case VMMIO_QUEUE_READY: return q ? q->ready : 0;
	case VMMIO_INTERRUPT_STATUS:
		/* Completions go from the device process straight to the guest
		 * through an irqfd, so the core cannot know when a used buffer is
		 * pending. While the device runs, the vring bit reads as set: a
		 * driver (Linux's vm_interrupt) then scans its used rings, which
		 * is cheap and harmless when nothing is new. */
		return t->int_status |
		       ((t->status & VIRTIO_STATUS_DRIVER_OK) ? VIRTIO_MMIO_INT_VRING : 0);
	case VMMIO_STATUS: return t->status;
	case VMMIO_QUEUE_DESC_LOW: return q ? (uint32_t)q->desc : 0;
	case VMMIO_QUEUE_DESC_HIGH: return q ? (uint32_t)(q->desc >> 32) : 0;
	case VMMIO_QUEUE_DRIVER_LOW: return q ? (uint32_t)q->driver : 0;
	case VMMIO_QUEUE_DRIVER_HIGH: return q ? (uint32_t)(q->driver >> 32) : 0;
	case VMMIO_QUEUE_DEVICE_LOW: return q ? (uint32_t)q->device : 0;
	case VMMIO_QUEUE_DEVICE_HIGH: return q ? (uint32_t)(q->device >> 32) : 0;
	case VMMIO_SHM_LEN_LOW:
	case VMMIO_SHM_LEN_HIGH:
		return 0xffffffff; /* no shared memory regions */
	case VMMIO_CONFIG_GENERATION: return t->config_generation;
	default: return 0;
	}
}

static void set_lo(uint64_t *v, uint32_t lo) { *v = (*v & ~0xffffffffULL) | lo; }
static void set_hi(uint64_t *v, uint32_t hi) { *v = (*v & 0xffffffffULL) | ((uint64_t)hi << 32); }

static void virtio_mmio_write_reg(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	struct virtio_mmio_queue *q = t->queue_sel < t->num_queues ? &t->queues[t->queue_sel] : NULL;
	/* Queue layout may change only while the queue is not ready and the
	 * device not running (section 4.2.3.2). */
	bool q_writable = q && !q->ready && !(t->status & VIRTIO_STATUS_DRIVER_OK);
	bool feat_writable = !(t->status & (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK));

	switch (off) {
	case VMMIO_DEVICE_FEATURES_SEL: t->device_features_sel = v; break;
	case VMMIO_DRIVER_FEATURES_SEL: t->driver_features_sel = v; break;
	case VMMIO_DRIVER_FEATURES:
		if (!feat_writable || t->driver_features_sel > 1)
			break;
		if (t->driver_features_sel == 0)
			set_lo(&t->driver_features, v);
		else
			set_hi(&t->driver_features, v);
		break;
	case VMMIO_QUEUE_SEL: t->queue_sel = v; break;
	case VMMIO_QUEUE_NUM:
		if (q_writable)
			q->num = v > 0xffff ? 0 : (uint16_t)v;
		break;
	case VMMIO_QUEUE_READY:
		if (!q || (t->status & VIRTIO_STATUS_DRIVER_OK))
			break;
		if (v == 0)
			q->ready = false;
		else if (virtio_mmio_queue_valid(q))
			q->ready = true;
		break;
	case VMMIO_QUEUE_DESC_LOW: if (q_writable) set_lo(&q->desc, v); break;
	case VMMIO_QUEUE_DESC_HIGH: if (q_writable) set_hi(&q->desc, v); break;
	case VMMIO_QUEUE_DRIVER_LOW: if (q_writable) set_lo(&q->driver, v); break;
	case VMMIO_QUEUE_DRIVER_HIGH: if (q_writable) set_hi(&q->driver, v); break;
	case VMMIO_QUEUE_DEVICE_LOW: if (q_writable) set_lo(&q->device, v); break;
	case VMMIO_QUEUE_DEVICE_HIGH: if (q_writable) set_hi(&q->device, v); break;
	case VMMIO_INTERRUPT_ACK: t->int_status &= ~v; break;
	case VMMIO_STATUS: virtio_mmio_write_status(t, v); break;
	case VMMIO_QUEUE_NOTIFY:
		/* Valid notifies are ioeventfds and never get here; an index that
		 * matched no ioeventfd names no queue. */
		break;
	default: break;
	}
}

static void virtio_mmio_read(void *opaque, uint64_t off, uint8_t *data, unsigned int len)
{
	struct virtio_mmio *t = opaque;

	memset(data, 0, len);
	pthread_mutex_lock(&t->lock);
	if (off >= VMMIO_CONFIG) {
		uint64_t c = off - VMMIO_CONFIG;
		if (c < t->config_len && len <= t->config_len - c)
			memcpy(data, t->config + c, len);
	} else if (len == 4 && !(off & 3)) {
		uint32_t v = virtio_mmio_read_reg(t, off);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&t->lock);
}

static void virtio_mmio_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int len)
{
	struct virtio_mmio *t = opaque;

	pthread_mutex_lock(&t->lock);
	if (off >= VMMIO_CONFIG) {
		uint64_t c = off - VMMIO_CONFIG;
		if (c < t->config_len && len <= t->config_len - c) {
			memcpy(t->config + c, data, len);
			if (t->ops->config_write)
				t->ops->config_write(t->dev, t, (uint32_t)c, len);
		}
	} else if (len == 4 && !(off & 3)) {
		uint32_t v;
		memcpy(&v, data, 4);
		virtio_mmio_write_reg(t, off, v);
	}
	pthread_mutex_unlock(&t->lock);
}

const struct bus_ops virtio_mmio_bus_ops = {
	.read = virtio_mmio_read,
	.write = virtio_mmio_write,
};
