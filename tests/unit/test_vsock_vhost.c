/* cellvm-vsock behind the real vhost-user loop: the backend serves a
 * socketpair on a thread, the test is the frontend (ipc/vu_frontend) and
 * a guest driver with rx and tx rings in memfd memory. A stream opened
 * through the rings carries data both ways with kicks and interrupts
 * (host data arrives through the engine's fd in the backend's loop), and
 * stopping the tx ring - a driver reset - closes the host socket. */
#include "test_vsock_harness.h"

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "device-procs/vsock/vsock_dev.h"
#include "virtq.h"
#include "vu_frontend.h"

#define UVA 0x7f0000000000ull
#define MEM (4u << 20)
#define QSZ 64u

struct ring {
	uint64_t desc, avail, used;  /* gpa */
	uint16_t next_desc, used_seen;
	int kick, call;
};

static struct {
	struct fake f;               /* only its engine config and temp dir */
	struct vsock_dev dev;
	struct vu_frontend fe;
	pthread_t thread;
	int sock, stop_fd, memfd, ret;
	uint8_t *mem;
	uint64_t heap;
	struct ring r[2];            /* rx, tx */
	bool joined;
} v;

static void *serve(void *arg)
{
	(void)arg;
	v.ret = vu_backend_serve(v.sock, v.stop_fd, &vsock_device_ops, &v.dev);
	return NULL;
}

static void setup(void)
{
	struct vsock_engine_cfg cfg = { .max_conns = 8 };
	int sv[2];

	memset(&v, 0, sizeof(v));
	/* The harness builds the engine (listener, temp dir); the device
	 * takes it over. */
	fake_init_cfg(&v.f, &cfg, false);
	v.dev.eng = v.f.e;
	v.memfd = memfd_create("vsock-ram", MFD_CLOEXEC);
	cr_assert_eq(ftruncate(v.memfd, MEM), 0);
	v.mem = mmap(NULL, MEM, PROT_READ | PROT_WRITE, MAP_SHARED, v.memfd, 0);
	cr_assert_neq(v.mem, MAP_FAILED);
	v.heap = 0x10000;
	for (int i = 0; i < 2; i++) {
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

static void join(void)
{
	if (!v.joined)
		pthread_join(v.thread, NULL);
	v.joined = true;
}

static void teardown(void)
{
	vu_frontend_close(&v.fe);
	join();
	/* The engine is the device's now: finish it, then the rest of the
	 * harness (fake_fini would finish it a second time). */
	vsock_engine_fini(&v.dev.eng);
	memset(&v.f.e, 0, sizeof(v.f.e));
	v.f.e.epfd = v.f.e.timer_fd = v.f.e.wake_fd = -1;
	v.f.e.cfg.listen_fd = v.f.e.cfg.connector.broker_fd = -1;
	fake_fini(&v.f);
	close(v.sock);
	close(v.stop_fd);
	for (int i = 0; i < 2; i++) {
		close(v.r[i].kick);
		close(v.r[i].call);
	}
	munmap(v.mem, MEM);
	close(v.memfd);
}

TestSuite(vsock_vhost, .init = setup, .fini = teardown, .timeout = 30);

static void start(void)
{
	struct vu_frontend_region reg = { .gpa = 0, .size = MEM, .user_addr = UVA, .fd = v.memfd };
	uint64_t f, pf, nq;
	uint8_t cfg[8];

	cr_assert_eq(vu_frontend_get_features(&v.fe, &f), 0);
	cr_assert(f & (1ull << VIRTIO_F_VERSION_1));
	cr_assert_eq(vu_frontend_set_owner(&v.fe), 0);
	cr_assert_eq(vu_frontend_get_protocol_features(&v.fe, &pf), 0);
	cr_assert(pf & (1ull << VHOST_USER_PROTOCOL_F_CONFIG), "QEMU's vhost-user-vsock needs CONFIG");
	cr_assert_eq(vu_frontend_set_protocol_features(&v.fe, pf), 0);
	cr_assert_eq(vu_frontend_get_queue_num(&v.fe, &nq), 0);
	cr_assert_eq(nq, 3, "rx, tx, event");
	cr_assert_eq(vu_frontend_get_config(&v.fe, 0, cfg, sizeof(cfg)), 0);
	cr_assert_eq(cfg[0], GUEST_CID);
	cr_assert_eq(cfg[1] | cfg[4] | cfg[7], 0);
	cr_assert_eq(vu_frontend_set_features(&v.fe, (1ull << VIRTIO_F_VERSION_1) |
					      (1ull << VHOST_USER_F_PROTOCOL_FEATURES)), 0);
	cr_assert_eq(vu_frontend_set_mem_table(&v.fe, &reg, 1), 0);
	for (unsigned int q = 0; q < 2; q++) {
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

/* One buffer (a single descriptor) made available on ring q. */
static void add(unsigned int q, uint64_t gpa, uint32_t len, bool writable)
{
	struct ring *r = &v.r[q];
	struct virtq_desc *d = (struct virtq_desc *)(void *)(v.mem + r->desc);
	struct virtq_avail *a = (struct virtq_avail *)(void *)(v.mem + r->avail);
	uint16_t head = r->next_desc++ % QSZ;

	d[head] = (struct virtq_desc){ .addr = gpa, .len = len,
				       .flags = writable ? VIRTQ_DESC_F_WRITE : 0 };
	a->ring[a->idx % QSZ] = head;
	__atomic_store_n(&a->idx, (uint16_t)(a->idx + 1), __ATOMIC_RELEASE);
}

static void kick(unsigned int q)
{
	uint64_t one = 1;
	cr_assert_eq(write(v.r[q].kick, &one, 8), 8);
}

/* Waits for the next used entry of ring q (by interrupt); its id and len. */
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

static void tx(const struct gpkt *g)
{
	uint64_t b = alloc(VSOCK_HDR_LEN + g->len);
	struct vsock_hdr h = { .src_cid = GUEST_CID, .dst_cid = 2, .src_port = g->src_port,
			       .dst_port = g->dst_port, .len = g->len, .type = 1, .op = g->op,
			       .flags = g->flags, .buf_alloc = 65536 };

	vsock_hdr_encode(v.mem + b, &h);
	if (g->len)
		memcpy(v.mem + b + VSOCK_HDR_LEN, g->data, g->len);
	add(VSOCK_QUEUE_TX, b, VSOCK_HDR_LEN + g->len, false);
	kick(VSOCK_QUEUE_TX);
	cr_assert_eq(next_used(VSOCK_QUEUE_TX).len, 0, "tx buffers are only read");
}

static uint64_t rx_bufs[16];

static void rx_post(void)
{
	for (int i = 0; i < 16; i++) {
		rx_bufs[i] = alloc(VSOCK_HDR_LEN + 4096);
		add(VSOCK_QUEUE_RX, rx_bufs[i], VSOCK_HDR_LEN + 4096, true);
	}
	kick(VSOCK_QUEUE_RX);
}

static void rx(struct vsock_hdr *h, const uint8_t **data)
{
	struct virtq_used_elem e = next_used(VSOCK_QUEUE_RX);

	cr_assert_lt(e.id, 16);
	cr_assert_geq(e.len, VSOCK_HDR_LEN);
	vsock_hdr_decode(h, v.mem + rx_bufs[e.id]);
	cr_assert_eq(e.len, VSOCK_HDR_LEN + h->len);
	*data = v.mem + rx_bufs[e.id] + VSOCK_HDR_LEN;
}

Test(vsock_vhost, a_stream_through_the_rings_and_a_reset)
{
	struct vsock_hdr h;
	const uint8_t *data;
	char buf[16];

	start();
	rx_post();
	int lfd = host_listen(&v.f, 1234);
	tx(&(struct gpkt){ .op = VSOCK_OP_REQUEST, .src_port = 77, .dst_port = 1234 });
	rx(&h, &data);
	cr_assert_eq(h.op, VSOCK_OP_RESPONSE);
	cr_assert_eq(h.dst_port, 77);
	int hs = accept_wait(lfd, 2000);
	tx(&(struct gpkt){ .op = VSOCK_OP_RW, .src_port = 77, .dst_port = 1234, .data = "ping", .len = 4 });
	cr_assert_eq(host_read(hs, buf, 4, 2000), 4);
	cr_assert_eq(memcmp(buf, "ping", 4), 0);
	/* Host data comes by the engine's fd in the backend's own loop. */
	cr_assert_eq(write(hs, "pong", 4), 4);
	rx(&h, &data);
	cr_assert_eq(h.op, VSOCK_OP_RW);
	cr_assert_eq(h.len, 4);
	cr_assert_eq(memcmp(data, "pong", 4), 0);

	/* A driver reset stops the rings: the host socket closes. */
	unsigned int base;
	cr_assert_eq(vu_frontend_get_vring_base(&v.fe, VSOCK_QUEUE_TX, &base), 0);
	cr_assert_eq(base, 2);
	cr_assert(host_eof(hs, 2000));
	cr_assert_eq(v.dev.eng.t.used, 0);
	close(hs);
	close(lfd);
}
