/* Steps of bringing up a vhost-user device shared by the first start
 * (vu_device.c) and a restart (vu_device_restore.c). */
#ifndef CELLVM_VU_DEVICE_INTERNAL_H
#define CELLVM_VU_DEVICE_INTERNAL_H

#include "vu_device.h"

/* The largest ring a guest may set up (QueueNumMax), also the queue size
 * of the inflight region, which must hold any ring. */
#define VU_DEVICE_QUEUE_MAX 256

int vu_device_negotiate(struct vu_device *d, uint8_t *config, uint32_t *config_len);
int vu_device_send_mem_table(struct vu_device *d);
int vu_device_start_queue(struct vu_device *d, unsigned int i, const struct virtio_mmio_queue *q,
			  unsigned int base);
/* At activation: a region from the backend unless one is kept, then
 * handed to it. No-op without INFLIGHT_SHMFD. */
int vu_device_inflight_setup(struct vu_device *d);
void vu_device_inflight_forget(struct vu_device *d);

#endif
