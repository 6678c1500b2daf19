/* virtio-mmio transport, version 2 (virtio 1.2, section 4.2.2): the
 * register window of one device. The core keeps only transport state
 * here; the device itself lives in another process and is driven through
 * the ops (a vhost-user frontend). Queue notifications never reach this
 * code in the data path: QueueNotify is an ioeventfd per queue, and the
 * backend's call fds are irqfds. */
#ifndef CELLVM_VIRTIO_MMIO_H
#define CELLVM_VIRTIO_MMIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus.h"

#define VIRTIO_MMIO_MAX_QUEUES 16
#define VIRTIO_MMIO_CONFIG_MAX 256

#define VIRTIO_MMIO_MAGIC        0x74726976 /* "virt" */
#define VIRTIO_MMIO_VENDOR       0x4c4c4543 /* "CELL" */
#define VIRTIO_MMIO_INT_VRING    0x1
#define VIRTIO_MMIO_INT_CONFIG   0x2

#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER      0x02
#define VIRTIO_STATUS_DRIVER_OK   0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED      0x80

#define VIRTIO_F_VERSION_1        32

/* Register offsets (section 4.2.2). */
enum {
	VMMIO_MAGIC = 0x000, VMMIO_VERSION = 0x004, VMMIO_DEVICE_ID = 0x008,
	VMMIO_VENDOR_ID = 0x00c, VMMIO_DEVICE_FEATURES = 0x010, VMMIO_DEVICE_FEATURES_SEL = 0x014,
	VMMIO_DRIVER_FEATURES = 0x020, VMMIO_DRIVER_FEATURES_SEL = 0x024,
	VMMIO_QUEUE_SEL = 0x030, VMMIO_QUEUE_NUM_MAX = 0x034, VMMIO_QUEUE_NUM = 0x038,
	VMMIO_QUEUE_READY = 0x044, VMMIO_QUEUE_NOTIFY = 0x050,
	VMMIO_INTERRUPT_STATUS = 0x060, VMMIO_INTERRUPT_ACK = 0x064, VMMIO_STATUS = 0x070,
	VMMIO_QUEUE_DESC_LOW = 0x080, VMMIO_QUEUE_DESC_HIGH = 0x084,
	VMMIO_QUEUE_DRIVER_LOW = 0x090, VMMIO_QUEUE_DRIVER_HIGH = 0x094,
	VMMIO_QUEUE_DEVICE_LOW = 0x0a0, VMMIO_QUEUE_DEVICE_HIGH = 0x0a4,
	VMMIO_SHM_SEL = 0x0ac, VMMIO_SHM_LEN_LOW = 0x0b0, VMMIO_SHM_LEN_HIGH = 0x0b4,
	VMMIO_SHM_BASE_LOW = 0x0b8, VMMIO_SHM_BASE_HIGH = 0x0bc,
	VMMIO_QUEUE_RESET = 0x0c0,
	VMMIO_CONFIG_GENERATION = 0x0fc, VMMIO_CONFIG = 0x100,
};

struct virtio_mmio_queue {
	uint16_t num_max;
	uint16_t num;
	bool ready;
	uint64_t desc, driver, device; /* guest-physical ring addresses */
};

struct virtio_mmio;

struct virtio_mmio_ops {
	/* DRIVER_OK was written: start the device with the negotiated
	 * features and the ready queues. Non-zero return: the transport sets
	 * NEEDS_RESET and raises a config interrupt. */
	int (*activate)(void *dev, struct virtio_mmio *t);
	/* The driver wrote 0 to Status: stop the device's queues. */
	void (*reset)(void *dev, struct virtio_mmio *t);
	/* The driver wrote to config space (already copied into t->config). */
	void (*config_write)(void *dev, struct virtio_mmio *t, uint32_t offset, uint32_t len);
};

struct virtio_mmio {
	pthread_mutex_t lock;
	uint32_t device_id;
	uint64_t device_features;
	uint64_t driver_features;
	uint32_t device_features_sel, driver_features_sel, queue_sel;
	uint32_t status;
	uint32_t int_status;      /* only the config bit is tracked here, see below */
	uint32_t config_generation;
	unsigned int num_queues;
	struct virtio_mmio_queue queues[VIRTIO_MMIO_MAX_QUEUES];
	uint8_t config[VIRTIO_MMIO_CONFIG_MAX];
	uint32_t config_len;
	int irq_fd;               /* irqfd of this device's IRQ, for config changes */
	const struct virtio_mmio_ops *ops;
	void *dev;
};

extern const struct bus_ops virtio_mmio_bus_ops;

void virtio_mmio_init(struct virtio_mmio *t, uint32_t device_id, uint64_t device_features,
		      unsigned int num_queues, uint16_t queue_num_max, const uint8_t *config,
		      uint32_t config_len, int irq_fd, const struct virtio_mmio_ops *ops, void *dev);
void virtio_mmio_destroy(struct virtio_mmio *t);

/* The device can no longer work (its process died, it reported a broken
 * ring): set NEEDS_RESET and tell the driver with a config interrupt. */
void virtio_mmio_set_needs_reset(struct virtio_mmio *t);

#endif
