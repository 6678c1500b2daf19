/* What cellvm-blk tells the driver about itself: the virtio and
 * vhost-user feature bits it offers and the virtio-blk config space
 * (virtio 1.2, 5.2.3 and 5.2.4). */
#ifndef CELLVM_BLK_CONFIG_H
#define CELLVM_BLK_CONFIG_H

#include <linux/virtio_blk.h>
#include <stdbool.h>
#include <stdint.h>

struct blk_config_params {
	uint64_t capacity;        /* 512-byte sectors */
	bool read_only;
	unsigned int num_queues;
};

uint64_t blk_config_features(const struct blk_config_params *p);
uint64_t blk_config_protocol_features(const struct blk_config_params *p);

/* Fills the config space, little-endian as virtio 1.x wants. */
void blk_config_build(struct virtio_blk_config *cfg, const struct blk_config_params *p);

/* GET_CONFIG: copies [offset, offset+len) of the config space into buf.
 * Bytes past our struct read as zero (the frontend may know a newer,
 * longer layout); -EINVAL beyond the vhost-user config size limit. */
int blk_config_read(const struct virtio_blk_config *cfg, uint32_t offset, uint8_t *buf,
		    uint32_t len);

#endif
