#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "virtio/virtio_mmio.h"

struct fake_dev {
	int activations, resets, config_writes;
	int fail_activate;
	uint16_t seen_num;
	uint64_t seen_features;
};

static int fake_activate(void *dev, struct virtio_mmio *t)
{
	struct fake_dev *d = dev;
	d->activations++;
	d->seen_num = t->queues[0].num;
	d->seen_features = t->driver_features;
	return d->fail_activate ? -EIO : 0;
}

static void fake_reset(void *dev, struct virtio_mmio *t)
{
	(void)t;
	((struct fake_dev *)dev)->resets++;
}

static void fake_config_write(void *dev, struct virtio_mmio *t, uint32_t off, uint32_t len)
{
	(void)t; (void)off; (void)len;
	((struct fake_dev *)dev)->config_writes++;
}

static const struct virtio_mmio_ops fake_ops = {
	.activate = fake_activate, .reset = fake_reset, .config_write = fake_config_write,
};

static uint32_t rd(struct virtio_mmio *t, uint64_t off)
{
	uint32_t v;
	virtio_mmio_bus_ops.read(t, off, (uint8_t *)&v, 4);
	return v;
}

static void wr(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	virtio_mmio_bus_ops.write(t, off, (uint8_t *)&v, 4);
}

static void setup(struct virtio_mmio *t, struct fake_dev *d, int irq_fd)
{
	static const uint8_t cfg[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	memset(d, 0, sizeof(*d));
	virtio_mmio_init(t, 2, (1ULL << 9) | (1ULL << 28), 1, 256, cfg, sizeof(cfg), irq_fd,
			 &fake_ops, d);
}

/* The driver sequence of section 3.1.1 for one queue. */
static void bring_up(struct virtio_mmio *t)
{
	wr(t, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(t, VMMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(t, VMMIO_DRIVER_FEATURES_SEL, 0);
	wr(t, VMMIO_DRIVER_FEATURES, 1u << 9);
	wr(t, VMMIO_DRIVER_FEATURES_SEL, 1);
	wr(t, VMMIO_DRIVER_FEATURES, 1); /* VERSION_1 */
	wr(t, VMMIO_STATUS, 0x0b);
	cr_assert_eq(rd(t, VMMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, VIRTIO_STATUS_FEATURES_OK);
	wr(t, VMMIO_QUEUE_SEL, 0);
	wr(t, VMMIO_QUEUE_NUM, 128);
	wr(t, VMMIO_QUEUE_DESC_LOW, 0x10000);
	wr(t, VMMIO_QUEUE_DRIVER_LOW, 0x11000);
	wr(t, VMMIO_QUEUE_DEVICE_LOW, 0x12000);
	wr(t, VMMIO_QUEUE_READY, 1);
	cr_assert_eq(rd(t, VMMIO_QUEUE_READY), 1);
	wr(t, VMMIO_STATUS, 0x0f);
}

Test(virtio_mmio, identification_registers)
{
	struct virtio_mmio t;
	struct fake_dev d;

	setup(&t, &d, -1);
	cr_assert_eq(rd(&t, VMMIO_MAGIC), 0x74726976);
	cr_assert_eq(rd(&t, VMMIO_VERSION), 2);
	cr_assert_eq(rd(&t, VMMIO_DEVICE_ID), 2);
	wr(&t, VMMIO_DEVICE_FEATURES_SEL, 1);
	cr_assert_eq(rd(&t, VMMIO_DEVICE_FEATURES), 1, "VERSION_1 offered");
	wr(&t, VMMIO_DEVICE_FEATURES_SEL, 7);
	cr_assert_eq(rd(&t, VMMIO_DEVICE_FEATURES), 0);
	cr_assert_eq(rd(&t, VMMIO_QUEUE_NUM_MAX), 256);
	wr(&t, VMMIO_QUEUE_SEL, 5);
	cr_assert_eq(rd(&t, VMMIO_QUEUE_NUM_MAX), 0, "queues past the last do not exist");
	virtio_mmio_destroy(&t);
}

Test(virtio_mmio, driver_ok_activates_with_negotiated_state)
{
	struct virtio_mmio t;
	struct fake_dev d;

	setup(&t, &d, -1);
	bring_up(&t);
	cr_assert_eq(d.activations, 1);
	cr_assert_eq(d.seen_num, 128);
	cr_assert_eq(d.seen_features, (1ULL << 32) | (1ULL << 9));
	cr_assert_eq(rd(&t, VMMIO_INTERRUPT_STATUS) & 1, 1, "vring bit reads set while running");
	/* the queue layout is frozen while running */
	wr(&t, VMMIO_QUEUE_NUM, 64);
	wr(&t, VMMIO_QUEUE_READY, 0);
	cr_assert_eq(rd(&t, VMMIO_QUEUE_READY), 1);
	wr(&t, VMMIO_STATUS, 0);
	cr_assert_eq(d.resets, 1);
	cr_assert_eq(rd(&t, VMMIO_STATUS), 0);
	cr_assert_eq(rd(&t, VMMIO_QUEUE_READY), 0);
	cr_assert_eq(rd(&t, VMMIO_INTERRUPT_STATUS), 0);
	virtio_mmio_destroy(&t);
}

Test(virtio_mmio, refuses_unoffered_features_and_legacy_drivers)
{
	struct virtio_mmio t;
	struct fake_dev d;

	setup(&t, &d, -1);
	wr(&t, VMMIO_STATUS, 3);
	wr(&t, VMMIO_DRIVER_FEATURES_SEL, 0);
	wr(&t, VMMIO_DRIVER_FEATURES, 1u << 9);
	wr(&t, VMMIO_STATUS, 0x0b);
	cr_assert_eq(rd(&t, VMMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, 0, "no VERSION_1");
	wr(&t, VMMIO_DRIVER_FEATURES_SEL, 1);
	wr(&t, VMMIO_DRIVER_FEATURES, 1 | 2); /* bit 33 was not offered */
	wr(&t, VMMIO_STATUS, 0x0b);
	cr_assert_eq(rd(&t, VMMIO_STATUS) & VIRTIO_STATUS_FEATURES_OK, 0);
	wr(&t, VMMIO_STATUS, 0x0f);
	cr_assert_eq(d.activations, 0, "DRIVER_OK without FEATURES_OK starts nothing");
	virtio_mmio_destroy(&t);
}

Test(virtio_mmio, rejects_bad_queue_layouts)
{
	struct virtio_mmio t;
	struct fake_dev d;
	static const struct { uint32_t num, desc, drv, dev; } bad[] = {
		{ 0, 0x1000, 0x2000, 0x3000 },   /* empty */
		{ 100, 0x1000, 0x2000, 0x3000 }, /* not a power of 2 */
		{ 512, 0x1000, 0x2000, 0x3000 }, /* above the maximum */
		{ 128, 0x1008, 0x2000, 0x3000 }, /* descriptors misaligned */
		{ 128, 0x1000, 0x2001, 0x3000 }, /* avail misaligned */
		{ 128, 0x1000, 0x2000, 0x3002 }, /* used misaligned */
	};

	setup(&t, &d, -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		wr(&t, VMMIO_QUEUE_NUM, bad[i].num);
		wr(&t, VMMIO_QUEUE_DESC_LOW, bad[i].desc);
		wr(&t, VMMIO_QUEUE_DRIVER_LOW, bad[i].drv);
		wr(&t, VMMIO_QUEUE_DEVICE_LOW, bad[i].dev);
		wr(&t, VMMIO_QUEUE_READY, 1);
		cr_assert_eq(rd(&t, VMMIO_QUEUE_READY), 0, "layout %zu accepted", i);
	}
	virtio_mmio_destroy(&t);
}

Test(virtio_mmio, failed_activation_and_backend_death_need_reset)
{
	struct virtio_mmio t;
	struct fake_dev d;
	int irq = eventfd(0, EFD_NONBLOCK);
	uint64_t n = 0;

	setup(&t, &d, irq);
	d.fail_activate = 1;
	bring_up(&t);
	cr_assert(rd(&t, VMMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert(rd(&t, VMMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG);
	cr_assert_eq(read(irq, &n, sizeof(n)), sizeof(n));
	cr_assert_eq(n, 1);
	wr(&t, VMMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	cr_assert_eq(rd(&t, VMMIO_INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG, 0);
	/* reset then a clean bring-up works again */
	wr(&t, VMMIO_STATUS, 0);
	d.fail_activate = 0;
	bring_up(&t);
	cr_assert_eq(rd(&t, VMMIO_STATUS), 0x0f);
	uint32_t gen = rd(&t, VMMIO_CONFIG_GENERATION);
	virtio_mmio_set_needs_reset(&t);
	cr_assert(rd(&t, VMMIO_STATUS) & VIRTIO_STATUS_NEEDS_RESET);
	cr_assert_neq(rd(&t, VMMIO_CONFIG_GENERATION), gen);
	virtio_mmio_destroy(&t);
	close(irq);
}

Test(virtio_mmio, config_space_bounds)
{
	struct virtio_mmio t;
	struct fake_dev d;
	uint8_t b[8];

	setup(&t, &d, -1);
	virtio_mmio_bus_ops.read(&t, VMMIO_CONFIG + 2, b, 2);
	cr_assert_eq(b[0], 3);
	cr_assert_eq(b[1], 4);
	virtio_mmio_bus_ops.read(&t, VMMIO_CONFIG + 6, b, 4);
	cr_assert_eq(b[0] | b[1] | b[2] | b[3], 0, "reads past config end give zeros");
	virtio_mmio_bus_ops.write(&t, VMMIO_CONFIG + 7, (uint8_t[]){ 9, 9 }, 2);
	cr_assert_eq(d.config_writes, 0, "write crossing the end is dropped");
	virtio_mmio_bus_ops.write(&t, VMMIO_CONFIG + 0xf00, (uint8_t[]){ 9 }, 1);
	virtio_mmio_bus_ops.write(&t, VMMIO_CONFIG, (uint8_t[]){ 42 }, 1);
	cr_assert_eq(d.config_writes, 1);
	virtio_mmio_bus_ops.read(&t, VMMIO_CONFIG, b, 1);
	cr_assert_eq(b[0], 42);
	/* registers need 32-bit accesses: a byte read gives nothing */
	virtio_mmio_bus_ops.read(&t, VMMIO_MAGIC, b, 1);
	cr_assert_eq(b[0], 0);
	virtio_mmio_destroy(&t);
}
