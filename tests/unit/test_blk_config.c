/* cellvm-blk's feature bits and config space. */
#include <criterion/criterion.h>
#include <errno.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <stddef.h>

#include "device-procs/blk/blk_config.h"
#include "device-procs/blk/blk_req.h"
#include "vu_msg.h"

#define HAS(f, bit) (((f) >> (bit)) & 1)

Test(blk_config, features_read_write)
{
	struct blk_config_params p = { .capacity = 2048, .read_only = false, .num_queues = 1 };
	uint64_t f = blk_config_features(&p);

	cr_assert(HAS(f, VIRTIO_F_VERSION_1));
	cr_assert(HAS(f, VIRTIO_RING_F_EVENT_IDX));
	cr_assert(HAS(f, VIRTIO_RING_F_INDIRECT_DESC));
	cr_assert(HAS(f, VHOST_USER_F_PROTOCOL_FEATURES));
	cr_assert(HAS(f, VIRTIO_BLK_F_SEG_MAX));
	cr_assert(HAS(f, VIRTIO_BLK_F_BLK_SIZE));
	cr_assert(HAS(f, VIRTIO_BLK_F_FLUSH));
	cr_assert(HAS(f, VIRTIO_BLK_F_DISCARD));
	cr_assert(HAS(f, VIRTIO_BLK_F_WRITE_ZEROES));
	cr_assert_not(HAS(f, VIRTIO_BLK_F_RO));
	cr_assert_not(HAS(f, VIRTIO_BLK_F_MQ));
	cr_assert(HAS(blk_config_protocol_features(&p), VHOST_USER_PROTOCOL_F_CONFIG));
	cr_assert(HAS(blk_config_protocol_features(&p), VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD));
}

Test(blk_config, features_read_only_multiqueue)
{
	struct blk_config_params p = { .capacity = 2048, .read_only = true, .num_queues = 4 };
	uint64_t f = blk_config_features(&p);

	cr_assert(HAS(f, VIRTIO_BLK_F_RO));
	cr_assert(HAS(f, VIRTIO_BLK_F_MQ));
	cr_assert_not(HAS(f, VIRTIO_BLK_F_DISCARD));
	cr_assert_not(HAS(f, VIRTIO_BLK_F_WRITE_ZEROES));
}

Test(blk_config, layout)
{
	struct blk_config_params p = { .capacity = 0x123456789ull, .num_queues = 3 };
	struct virtio_blk_config cfg;
	uint8_t raw[VU_MAX_CONFIG_SIZE];

	blk_config_build(&cfg, &p);
	cr_assert_eq(blk_config_read(&cfg, 0, raw, sizeof(raw)), 0);
	/* Offsets from virtio 1.2, 5.2.4, read as the driver does. */
	cr_assert_eq(*(uint64_t *)(void *)raw, 0x123456789ull);
	cr_assert_eq(*(uint32_t *)(void *)(raw + 12), BLK_SEG_MAX);
	cr_assert_eq(*(uint32_t *)(void *)(raw + 20), 512);
	cr_assert_eq(*(uint16_t *)(void *)(raw + 34), 3);
	cr_assert_eq(*(uint32_t *)(void *)(raw + 36), BLK_DWZ_SECTORS_MAX);
	cr_assert_eq(*(uint32_t *)(void *)(raw + 40), BLK_DWZ_SEG_MAX);
	cr_assert_eq(*(uint32_t *)(void *)(raw + 44), 8);
	cr_assert_eq(*(uint32_t *)(void *)(raw + 48), BLK_DWZ_SECTORS_MAX);
	cr_assert_eq(*(uint32_t *)(void *)(raw + 52), BLK_DWZ_SEG_MAX);
	cr_assert_eq(raw[56], 1);
	for (size_t i = sizeof(cfg); i < sizeof(raw); i++)
		cr_assert_eq(raw[i], 0, "byte %zu past our layout reads as zero", i);
}

Test(blk_config, partial_and_bad_reads)
{
	struct blk_config_params p = { .capacity = 0x1122334455667788ull, .num_queues = 1 };
	struct virtio_blk_config cfg;
	uint8_t b[8];

	blk_config_build(&cfg, &p);
	cr_assert_eq(blk_config_read(&cfg, 4, b, 4), 0);
	cr_assert_eq(*(uint32_t *)(void *)b, 0x11223344u);
	cr_assert_eq(blk_config_read(&cfg, VU_MAX_CONFIG_SIZE - 4, b, 4), 0);
	cr_assert_eq(blk_config_read(&cfg, VU_MAX_CONFIG_SIZE - 4, b, 8), -EINVAL);
	cr_assert_eq(blk_config_read(&cfg, UINT32_MAX, b, 8), -EINVAL);
	cr_assert_eq(blk_config_read(&cfg, 4, b, UINT32_MAX), -EINVAL);
}
