#include "blk_config.h"

#include <endian.h>
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <string.h>

#include "blk_req.h"
#include "vu_msg.h"

#define BIT(n) (1ull << (n))

uint64_t blk_config_features(const struct blk_config_params *p)
{
	uint64_t f = BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_RING_F_EVENT_IDX) |
		     BIT(VIRTIO_RING_F_INDIRECT_DESC) | BIT(VHOST_USER_F_PROTOCOL_FEATURES) |
		     BIT(VIRTIO_BLK_F_SEG_MAX) | BIT(VIRTIO_BLK_F_BLK_SIZE) |
		     BIT(VIRTIO_BLK_F_FLUSH);

	if (p->read_only)
		f |= BIT(VIRTIO_BLK_F_RO);
	else
		/* On a read-only disk these could only ever fail. */
		f |= BIT(VIRTIO_BLK_F_DISCARD) | BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	if (p->num_queues > 1)
		f |= BIT(VIRTIO_BLK_F_MQ);
	return f;
}

uint64_t blk_config_protocol_features(const struct blk_config_params *p)
{
	(void)p;
	/* CONFIG: QEMU's vhost-user-blk refuses a backend without it. MQ:
	 * GET_QUEUE_NUM tells the frontend how many queues we serve (also
	 * when it is one, so a frontend asking for more fails early).
	 * INFLIGHT_SHMFD: a restarted cellvm-blk submits again what its
	 * predecessor had taken and not finished (README.md, "Device
	 * restart"); every request kind may be done twice (writes rewrite
	 * the same bytes, FLUSH flushes again, DISCARD/WRITE_ZEROES zero the
	 * same range again). */
	return BIT(VHOST_USER_PROTOCOL_F_CONFIG) | BIT(VHOST_USER_PROTOCOL_F_MQ) |
	       BIT(VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD);
}

void blk_config_build(struct virtio_blk_config *cfg, const struct blk_config_params *p)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->capacity = htole64(p->capacity);
	cfg->seg_max = htole32(BLK_SEG_MAX);
	cfg->blk_size = htole32(BLK_SECTOR_SIZE);
	cfg->num_queues = htole16((uint16_t)p->num_queues);
	cfg->max_discard_sectors = htole32(BLK_DWZ_SECTORS_MAX);
	cfg->max_discard_seg = htole32(BLK_DWZ_SEG_MAX);
	/* Hole punching frees whole 4 KiB blocks on common filesystems;
	 * smaller discards only zero, so tell the guest the useful grain. */
	cfg->discard_sector_alignment = htole32(4096 / BLK_SECTOR_SIZE);
	cfg->max_write_zeroes_sectors = htole32(BLK_DWZ_SECTORS_MAX);
	cfg->max_write_zeroes_seg = htole32(BLK_DWZ_SEG_MAX);
	cfg->write_zeroes_may_unmap = 1;
}

int blk_config_read(const struct virtio_blk_config *cfg, uint32_t offset, uint8_t *buf,
		    uint32_t len)
{
	if (offset > VU_MAX_CONFIG_SIZE || len > VU_MAX_CONFIG_SIZE - offset)
		return -EINVAL;
	memset(buf, 0, len);
	if (offset < sizeof(*cfg)) {
		uint32_t n = (uint32_t)sizeof(*cfg) - offset;

		memcpy(buf, (const uint8_t *)cfg + offset, n < len ? n : len);
	}
	return 0;
}
