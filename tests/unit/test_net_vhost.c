/* cellvm-net behind the real vhost-user loop: the backend serves a
 * socketpair on a thread, the test is the frontend (ipc/vu_frontend) and
 * a guest driver with rx and tx rings in memfd memory, and a
 * SOCK_SEQPACKET pair stands in for the tap. Checked: what the device
 * offers (features, queue count, config space), a frame each way with
 * kicks and interrupts (tap frames arrive through the engine's fd in the
 * backend's loop), and a driver reset. */
#include <criterion/criterion.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <poll.h>
#include <pthread.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "device-procs/net/net_dev.h"
#include "virtq.h"
#include "vu_frontend.h"
#include "vu_msg.h"

#define UVA 0x7f0000000000ull
#define MEM (4u << 20)
#define QSZ 64u
#define NQ 3

struct ring {
	uint64_t desc, avail, used;  /* gpa */
	uint16_t next_desc, used_seen;
	int kick, call;
};

static struct {
	struct net_dev dev;
	struct vu_frontend fe;
	pthread_t thread;
	int sock, stop_fd, memfd, ret, host;
	uint8_t *mem;
	uint64_t heap;
	struct ring r[NQ];           /* rx, tx, ctrl */
	bool joined;
} v;

static void *serve(void *arg)
{
	(void)arg;
	v.ret = vu_backend_serve(v.sock, v.stop_fd, &v.dev.ops, &v.dev);
	return NULL;
}

static void setup(void)
{
	struct net_engine_cfg cfg = { .pairs = 1, .mac = { 2, 0, 0, 0, 0, 9 }, .mtu = 1400 };
	int sv[2], tap[2];

	memset(&v, 0, sizeof(v));
	cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, tap), 0);
	cfg.tap_fds[0] = tap[0];
	v.host = tap[1];
	cr_assert_eq(net_engine_init(&v.dev.eng, &cfg), 0);
	net_dev_init_ops(&v.dev);
	v.memfd = memfd_create("net-ram", MFD_CLOEXEC);
	cr_assert_eq(ftruncate(v.memfd, MEM), 0);
	v.mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED, v.memfd, 0);
	cr_assert_neq(v.mem, MAP_FAILED);
	v.heap = 0x20000;
	for (int i = 0; i < NQ; i++) {
		v.r[i].desc = 0x1000u + 0x4000u * (unsigned)i;
		v.r[i].avail = v.r[i].desc + 0x1000;
		v.r[i].used = v.r[i].desc + 0x2000;
		v.r[i].kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		v.r[i].call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	}
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	v.sock = sv[1];
	v.stop_fd = eventfd(0, EFD_CLOEXEC);
	vu_frontend_attach(&v.fe, sv[0], 3000);
	cr_assert_eq(pthread_create(&v.thread, NULL, serve, NULL), 0);
}

static void teardown(void)
{
	vu_frontend_close(&v.fe);
	if (!v.joined)
		pthread_join(v.thread, NULL);
	net_engine_fini(&v.dev.eng);
	close(v.host);
	close(v.sock);
	close(v.stop_fd);
	for (int i = 0; i < NQ; i++) {
		close(v.r[i].kick);
		close(v.r[i].call);
	}
	munmap(v.mem, MEM);
	close(v.memfd);
}

TestSuite(net_vhost, .init = setup, .fini = teardown, .timeout = 30);

static void start(uint64_t features)
{
	struct vu_frontend_region reg = { .gpa = 0, .size = MEM, .user_addr = UVA, .fd = v.memfd };
	uint64_t f, pf, nq;
	uint8_t cfg[16];

	cr_assert_eq(vu_frontend_get_features(&v.fe, &f), 0);
	cr_assert_eq(f & features, features, "offered 0x%llx", (unsigned long long)f);
	cr_assert_not(f & (1ull << VIRTIO_NET_F_MQ), "one pair: no MQ");
	cr_assert_not(f & (1ull << VIRTIO_NET_F_GUEST_CSUM), "this tap took no offloads");
	cr_assert_eq(vu_frontend_set_owner(&v.fe), 0);
	cr_assert_eq(vu_frontend_get_protocol_features(&v.fe, &pf), 0);
	cr_assert(pf & (1ull << VHOST_USER_PROTOCOL_F_CONFIG));
	cr_assert_eq(vu_frontend_set_protocol_features(&v.fe, pf), 0);
	cr_assert_eq(vu_frontend_get_queue_num(&v.fe, &nq), 0);
	cr_assert_eq(nq, 3, "rx, tx, ctrl");
	cr_assert_eq(vu_frontend_get_config(&v.fe, 0, cfg, sizeof(cfg)), 0);
	cr_assert_eq(memcmp(cfg, (uint8_t[]){ 2, 0, 0, 0, 0, 9, 1, 0, 1, 0, 0x78, 0x05, 0, 0, 0, 0 },
			    16), 0, "mac, link up, 1 pair, mtu 1400, zeros after");
	cr_assert_eq(vu_frontend_set_features(&v.fe, features |
					      (1ull << VHOST_USER_F_PROTOCOL_FEATURES)), 0);
	cr_assert_eq(vu_frontend_set_mem_table(&v.fe, &reg, 1), 0);
	for (unsigned int q = 0; q < NQ; q++) {
		cr_assert_eq(vu_frontend_set_vring_num(&v.fe, q, QSZ), 0);
		cr_assert_eq(vu_frontend_set_vring_base(&v.fe, q, 0), 0);
		cr_assert_eq(vu_frontend_set_vring_addr(&v.fe, q, UVA + v.r[q].desc, UVA + v.r[q].avail,
							UVA + v.r[q].used), 0);
		cr_assert_eq(vu_frontend_set_vring_call(&v.fe, q, v.r[q].call), 0);
		cr_assert_eq(vu_frontend_set_vring_kick(&v.fe, q, v.r[q].kick), 0);
		cr_assert_eq(vu_frontend_set_vring_enable(&v.fe, q, true), 0);
	}
}

static uint64_t alloc(uint32_t len)
{
	uint64_t g = v.heap;
	v.heap = (v.heap + len + 63) & ~63ull;
	cr_assert_leq(v.heap, MEM);
	return g;
}

/* A chain of n buffers made available on ring q; returns its head. */
static uint16_t add(unsigned int q, const uint64_t *gpa, const uint32_t *len, const bool *wr,
		    unsigned int n)
{
	struct ring *r = &v.r[q];
	struct virtq_desc *d = (struct virtq_desc *)(void *)(v.mem + r->desc);
	struct virtq_avail *a = (struct virtq_avail *)(void *)(v.mem + r->avail);
	uint16_t head = r->next_desc % QSZ;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % QSZ);
		d[idx] = (struct virtq_desc){ .addr = gpa[i], .len = len[i],
					      .flags = (uint16_t)((wr[i] ? VIRTQ_DESC_F_WRITE : 0) |
								  (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
					      .next = (uint16_t)((idx + 1) % QSZ) };
	}
	r->next_desc = (uint16_t)(r->next_desc + n);
	a->ring[a->idx % QSZ] = head;
	__atomic_store_n(&a->idx, (uint16_t)(a->idx + 1), __ATOMIC_RELEASE);
	return head;
}

static void kick(unsigned int q)
{
	uint64_t one = 1;
	cr_assert_eq(write(v.r[q].kick, &one, 8), 8);
}

/* Waits for the next used entry of ring q (by interrupt). */
static struct virtq_used_elem next_used(unsigned int q)
{
	struct ring *r = &v.r[q];
	struct virtq_used *u = (struct virtq_used *)(void *)(v.mem + r->used);

	while (__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE) == r->used_seen) {
		struct pollfd p = { .fd = r->call, .events = POLLIN };
		uint64_t n;
		cr_assert_eq(poll(&p, 1, 5000), 1, "no interrupt on queue %u", q);
		cr_assert_eq(read(r->call, &n, 8), 8);
	}
	return u->ring[r->used_seen++ % QSZ];
}

#define FEATURES                                                                              \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_MTU) | \
	 (1ull << VIRTIO_NET_F_STATUS) | (1ull << VIRTIO_NET_F_MRG_RXBUF) |                       \
	 (1ull << VIRTIO_NET_F_CTRL_VQ) | (1ull << VIRTIO_RING_F_EVENT_IDX))

Test(net_vhost, frames_both_ways_through_kicks_and_interrupts_then_a_reset)
{
	uint8_t frame[12 + 100], got[256];

	start(FEATURES);

	/* Guest -> tap: header and frame in two descriptors. */
	memset(frame, 0, 12);
	for (int i = 12; i < (int)sizeof(frame); i++)
		frame[i] = (uint8_t)i;
	uint64_t b = alloc(sizeof(frame));
	memcpy(v.mem + b, frame, sizeof(frame));
	uint16_t head = add(1, (uint64_t[]){ b, b + 12 }, (uint32_t[]){ 12, 100 },
			    (bool[]){ false, false }, 2);
	kick(1);
	struct virtq_used_elem e = next_used(1);
	cr_assert_eq(e.id, head);
	cr_assert_eq(e.len, 0);
	struct pollfd p = { .fd = v.host, .events = POLLIN };
	cr_assert_eq(poll(&p, 1, 2000), 1);
	cr_assert_eq(read(v.host, got, sizeof(got)), (ssize_t)sizeof(frame));
	cr_assert_eq(memcmp(got, frame, sizeof(frame)), 0);

	/* Tap -> guest: a buffer posted and kicked first, the frame comes
	 * later by the engine's fd. */
	uint64_t rb = alloc(2048);
	uint16_t rhead = add(0, &rb, (uint32_t[]){ 2048 }, (bool[]){ true }, 1);
	kick(0);
	usleep(50000);
	frame[12] = 0xab;
	cr_assert_eq(write(v.host, frame, sizeof(frame)), (ssize_t)sizeof(frame));
	e = next_used(0);
	cr_assert_eq(e.id, rhead);
	cr_assert_eq(e.len, sizeof(frame));
	cr_assert_eq(v.mem[rb + 10], 1, "num_buffers");
	cr_assert_eq(memcmp(v.mem + rb + 12, frame + 12, 100), 0);

	/* The control queue (index 2 without MQ) answers. */
	uint64_t cb = alloc(8);
	memcpy(v.mem + cb, (uint8_t[]){ VIRTIO_NET_CTRL_MQ, 0, 1, 0 }, 4);
	add(2, (uint64_t[]){ cb, cb + 4 }, (uint32_t[]){ 4, 1 }, (bool[]){ false, true }, 2);
	kick(2);
	e = next_used(2);
	cr_assert_eq(e.len, 1);
	cr_assert_eq(v.mem[cb + 4], VIRTIO_NET_ERR, "no MQ negotiated");

	cr_assert_eq(net_engine_counter(&v.dev.eng, NET_CTR_TX_PACKETS), 1);
	cr_assert_eq(net_engine_counter(&v.dev.eng, NET_CTR_RX_PACKETS), 1);
	cr_assert_eq(net_engine_counter(&v.dev.eng, NET_CTR_CTRL_ERRORS), 1);

	/* A driver reset (rx0 stopped): one pair again, no offloads, the tap
	 * left alone until the ring runs again. */
	unsigned int base;
	cr_assert_eq(vu_frontend_get_vring_base(&v.fe, 0, &base), 0);
	cr_assert_eq(base, 1);
	cr_assert_eq(vu_frontend_get_vring_base(&v.fe, 1, &base), 0);
	cr_assert_eq(base, 1);
	cr_assert_eq(write(v.host, frame, sizeof(frame)), (ssize_t)sizeof(frame));
	usleep(100000);
	cr_assert_eq(net_engine_counter(&v.dev.eng, NET_CTR_RX_PACKETS), 1,
		     "no frame is read for a stopped ring");
	cr_assert_not(v.dev.eng.features_applied && v.dev.eng.features);
}
