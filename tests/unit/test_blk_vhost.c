/* cellvm-blk behind the real vhost-user loop: the backend serves a
 * socketpair on a thread, the test is the frontend (ipc/vu_frontend) and
 * the guest driver at once. Checks negotiation, GET_CONFIG, I/O through
 * kick and call eventfds, and that GET_VRING_BASE drains the queue. */
#include <criterion/criterion.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "device-procs/blk/blk_dev.h"
#include "test_blk_driver.h"
#include "vu_frontend.h"

#define UVA_BASE 0x7f0000000000ull

struct vfx {
	struct tdrv d;
	struct blk_image img;
	struct blk_dev dev;
	struct vu_frontend fe;
	pthread_t thread;
	int backend_sock;
	int stop_fd;
	int kick_fd, call_fd;
	int serve_ret;
	bool joined;
	char path[64];
};

static struct vfx vx;

static void *serve_thread(void *arg)
{
	struct vfx *v = arg;

	v->serve_ret = vu_backend_serve(v->backend_sock, v->stop_fd, &v->dev.ops, &v->dev);
	return NULL;
}

static void vx_setup(void)
{
	struct blk_dev_params p = { .num_queues = 1, .queue_depth = 64, .id = "vhost-disk" };
	int sv[2], fd;

	tdrv_init(&vx.d);
	snprintf(vx.path, sizeof(vx.path), "/tmp/test-blk-vhost-XXXXXX");
	fd = mkstemp(vx.path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, 1 << 20), 0);
	close(fd);
	cr_assert_eq(blk_image_open(&vx.img, vx.path, false), 0);
	cr_assert_eq(blk_dev_init(&vx.dev, &vx.img, &p), 0);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	vx.backend_sock = sv[1];
	vx.stop_fd = eventfd(0, EFD_CLOEXEC);
	vx.kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vx.call_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vu_frontend_attach(&vx.fe, sv[0], 3000);
	cr_assert_eq(pthread_create(&vx.thread, NULL, serve_thread, &vx), 0);
}

static void vx_join(void)
{
	if (!vx.joined)
		pthread_join(vx.thread, NULL);
	vx.joined = true;
}

static void vx_teardown(void)
{
	vu_frontend_close(&vx.fe);
	vx_join();
	close(vx.backend_sock);
	close(vx.stop_fd);
	close(vx.kick_fd);
	close(vx.call_fd);
	blk_dev_fini(&vx.dev);
	blk_image_close(&vx.img);
	tdrv_fini(&vx.d);
	unlink(vx.path);
}

/* What QEMU's vhost-user-blk does at realize and at DRIVER_OK. */
static void vx_negotiate_and_start(void)
{
	const uint64_t want_pf = (1ull << VHOST_USER_PROTOCOL_F_CONFIG) |
				 (1ull << VHOST_USER_PROTOCOL_F_MQ) |
				 (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK);
	struct vu_frontend_region reg = {
		.gpa = 0, .size = TDRV_MEM_SIZE, .user_addr = UVA_BASE, .mmap_offset = 0,
		.fd = vx.d.memfd,
	};
	uint64_t f, pf, nq;

	cr_assert_eq(vu_frontend_get_features(&vx.fe, &f), 0);
	cr_assert(f & (1ull << VIRTIO_F_VERSION_1));
	cr_assert(f & (1ull << VHOST_USER_F_PROTOCOL_FEATURES));
	cr_assert(f & (1ull << VIRTIO_BLK_F_FLUSH));
	cr_assert_eq(vu_frontend_set_owner(&vx.fe), 0);
	cr_assert_eq(vu_frontend_get_protocol_features(&vx.fe, &pf), 0);
	cr_assert_eq(pf & want_pf, want_pf, "CONFIG, MQ and REPLY_ACK offered");
	cr_assert_eq(vu_frontend_set_protocol_features(&vx.fe, pf & want_pf), 0);
	cr_assert_eq(vu_frontend_get_queue_num(&vx.fe, &nq), 0);
	cr_assert_eq(nq, 1);

	struct virtio_blk_config cfg;
	cr_assert_eq(vu_frontend_get_config(&vx.fe, 0, &cfg, sizeof(cfg)), 0);
	cr_assert_eq(cfg.capacity, 2048);
	cr_assert_eq(cfg.blk_size, 512);
	cr_assert_eq(cfg.seg_max, BLK_SEG_MAX);

	cr_assert_eq(vu_frontend_set_features(&vx.fe, f & ((1ull << VIRTIO_F_VERSION_1) |
				(1ull << VIRTIO_RING_F_EVENT_IDX) |
				(1ull << VHOST_USER_F_PROTOCOL_FEATURES) |
				(1ull << VIRTIO_BLK_F_FLUSH) | (1ull << VIRTIO_BLK_F_SEG_MAX))), 0);
	cr_assert_eq(vu_frontend_set_mem_table(&vx.fe, &reg, 1), 0);
	cr_assert_eq(vu_frontend_set_vring_num(&vx.fe, 0, TDRV_QSIZE), 0);
	cr_assert_eq(vu_frontend_set_vring_base(&vx.fe, 0, 0), 0);
	cr_assert_eq(vu_frontend_set_vring_addr(&vx.fe, 0, UVA_BASE + TDRV_DESC_GPA,
						UVA_BASE + TDRV_AVAIL_GPA,
						UVA_BASE + TDRV_USED_GPA), 0);
	cr_assert_eq(vu_frontend_set_vring_call(&vx.fe, 0, vx.call_fd), 0);
	cr_assert_eq(vu_frontend_set_vring_kick(&vx.fe, 0, vx.kick_fd), 0);
	cr_assert_eq(vu_frontend_set_vring_enable(&vx.fe, 0, true), 0);
}

static uint64_t add_rw(uint32_t type, uint64_t sector, uint32_t len, uint8_t fill)
{
	uint64_t base = tdrv_alloc(&vx.d, 16 + len + 1);
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };
	bool in = type == VIRTIO_BLK_T_IN;
	struct tdrv_seg s[3] = {
		{ base, 16, 0 }, { base + 16, len, in }, { base + 16 + len, 1, 1 },
	};

	memcpy(tdrv_ptr(&vx.d, base), &h, sizeof(h));
	memset(tdrv_ptr(&vx.d, base + 16), fill, len);
	*(uint8_t *)tdrv_ptr(&vx.d, base + 16 + len) = 0xee;
	tdrv_add_indirect(&vx.d, s, 3);
	return base;
}

static void kick(void)
{
	uint64_t one = 1;

	/* The driver asks for an interrupt at the next used entry (EVENT_IDX). */
	vx.d.avail->ring[TDRV_QSIZE] = tdrv_used_idx(&vx.d);
	cr_assert_eq(write(vx.kick_fd, &one, sizeof(one)), (ssize_t)sizeof(one));
}

static void wait_used(uint16_t target)
{
	while (tdrv_used_idx(&vx.d) != target) {
		struct pollfd p = { .fd = vx.call_fd, .events = POLLIN };
		uint64_t v;

		cr_assert_eq(poll(&p, 1, 5000), 1, "no interrupt within 5 s");
		cr_assert_eq(read(vx.call_fd, &v, sizeof(v)), (ssize_t)sizeof(v));
		/* Re-arm for the next entry, as a driver would before it rechecks. */
		vx.d.avail->ring[TDRV_QSIZE] = tdrv_used_idx(&vx.d);
	}
}

Test(blk_vhost, negotiate_write_read_and_drain, .init = vx_setup, .fini = vx_teardown)
{
	uint64_t w[16], r[16], late[32];
	unsigned int base;

	vx_negotiate_and_start();
	for (unsigned int i = 0; i < 16; i++)
		w[i] = add_rw(VIRTIO_BLK_T_OUT, i * 8, 4096, (uint8_t)(0x10 + i));
	kick();
	wait_used(16);
	for (unsigned int i = 0; i < 16; i++)
		cr_assert_eq(*(uint8_t *)tdrv_ptr(&vx.d, w[i] + 16 + 4096), VIRTIO_BLK_S_OK);

	for (unsigned int i = 0; i < 16; i++)
		r[i] = add_rw(VIRTIO_BLK_T_IN, i * 8, 4096, 0);
	kick();
	wait_used(32);
	for (unsigned int i = 0; i < 16; i++) {
		uint8_t *p = tdrv_ptr(&vx.d, r[i] + 16);

		cr_assert_eq(p[4096], VIRTIO_BLK_S_OK);
		cr_assert_eq(p[0], 0x10 + i);
		cr_assert_eq(p[4095], 0x10 + i);
	}

	/* Stop the ring right after a kick: whatever the backend popped must
	 * be in the used ring when GET_VRING_BASE answers. */
	for (unsigned int i = 0; i < 32; i++)
		late[i] = add_rw(VIRTIO_BLK_T_OUT, 512 + i * 8, 4096, 0x77);
	kick();
	cr_assert_eq(vu_frontend_get_vring_base(&vx.fe, 0, &base), 0);
	cr_assert_eq(tdrv_used_idx(&vx.d), (uint16_t)base,
		     "used idx %u == last_avail %u after GET_VRING_BASE", tdrv_used_idx(&vx.d), base);
	cr_assert_geq(base, 32);
	cr_assert_eq(blk_dev_inflight(&vx.dev, -1), 0);
	for (unsigned int i = 0; i + 32 < base; i++)
		cr_assert_eq(*(uint8_t *)tdrv_ptr(&vx.d, late[i] + 16 + 4096), VIRTIO_BLK_S_OK);

	/* Disconnecting ends the session cleanly. */
	vu_frontend_close(&vx.fe);
	vx_join();
	cr_assert_eq(vx.serve_ret, 0);
}

Test(blk_vhost, stop_fd_ends_the_session, .init = vx_setup, .fini = vx_teardown)
{
	uint64_t one = 1;

	vx_negotiate_and_start();
	cr_assert_eq(write(vx.stop_fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	vx_join();
	cr_assert_eq(vx.serve_ret, 0);
}
