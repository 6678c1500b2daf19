/* A fake guest for cellvm-vsock's engine: it builds the packets a driver
 * puts on the tx queue, hands the engine rx buffers and decodes what it
 * gets, and pumps the engine's host side. Host listeners and clients are
 * real UNIX sockets in a temporary directory. */
#ifndef TEST_VSOCK_HARNESS_H
#define TEST_VSOCK_HARNESS_H

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "device-procs/vsock/vsock_engine.h"
#include "unix_listen.h"
#include "vsock_broker.h"

#define GUEST_CID 3u
#define RXBUF (VSOCK_HDR_LEN + 4096)

struct fake {
	char dir[64], uds[96];
	struct vsock_engine e;
	int broker_chan;          /* the core's end when brokered, else -1 */
	uint64_t listen_ino;
};

struct pkt {
	struct vsock_hdr h;
	uint8_t data[4096];
};

static inline void fake_init_cfg(struct fake *f, struct vsock_engine_cfg *cfg, bool broker)
{
	char err[256];
	int sv[2];

	memset(f, 0, sizeof(*f));
	f->broker_chan = -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/vsock-test-XXXXXX");
	cr_assert_not_null(mkdtemp(f->dir));
	snprintf(f->uds, sizeof(f->uds), "%s/v.sock", f->dir);
	cfg->guest_cid = GUEST_CID;
	cfg->listen_fd = unix_listen_owner(f->uds, 16, &f->listen_ino, err, sizeof(err));
	cr_assert_geq(cfg->listen_fd, 0, "%s", err);
	if (broker) {
		cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
		cfg->connector.broker_fd = sv[0];
		f->broker_chan = sv[1];
	} else {
		cfg->connector.broker_fd = -1;
		cfg->connector.uds_path = f->uds;
	}
	cr_assert_eq(vsock_engine_init(&f->e, cfg), 0);
}

static inline void fake_init(struct fake *f, unsigned int max_conns, uint32_t buf_alloc)
{
	struct vsock_engine_cfg cfg = { .max_conns = max_conns, .buf_alloc = buf_alloc };
	fake_init_cfg(f, &cfg, false);
}

static inline void fake_fini(struct fake *f)
{
	char cmd[128];

	vsock_engine_fini(&f->e);
	if (f->broker_chan >= 0)
		close(f->broker_chan);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", f->dir);
}

static inline uint64_t ctr(struct fake *f, enum vsock_counter c)
{
	return vsock_engine_counter(&f->e, c);
}

/* Runs the engine's host side once, waiting up to ms for it to have work. */
static inline void pump(struct fake *f, int ms)
{
	struct pollfd p = { .fd = vsock_engine_fd(&f->e), .events = POLLIN };

	if (f->broker_chan >= 0)
		cr_assert_geq(vsock_broker_serve(f->broker_chan, f->uds), 0);
	if (poll(&p, 1, ms) > 0)
		vsock_engine_host_events(&f->e);
}

/* A host listener at UDS_PATH_<port>. */
static inline int host_listen(struct fake *f, uint32_t port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	cr_assert_geq(fd, 0);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", f->uds, port);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	cr_assert_eq(listen(fd, 64), 0);
	return fd;
}

/* A host client of UDS_PATH. */
static inline int host_connect(struct fake *f)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", f->uds);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0, "%s", strerror(errno));
	return fd;
}

static inline int accept_wait(int lfd, int ms)
{
	struct pollfd p = { .fd = lfd, .events = POLLIN };

	cr_assert_eq(poll(&p, 1, ms), 1, "no connection to the host listener");
	int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	cr_assert_geq(fd, 0);
	return fd;
}

/* Reads exactly len bytes from a host socket (bounded wait); returns
 * what came, short on EOF. */
static inline size_t host_read(int fd, void *buf, size_t len, int ms)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, ms) != 1)
			break;
		ssize_t n = read(fd, (uint8_t *)buf + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* True when the device closed the host socket within ms: EOF, or
 * ECONNRESET when it closed with bytes of ours still unread (AF_UNIX). */
static inline bool host_eof(int fd, int ms)
{
	char c;
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, ms) != 1)
		return false;
	ssize_t n = read(fd, &c, 1);
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

struct gpkt {
	uint16_t op;
	uint32_t src_port, dst_port, flags, buf_alloc, fwd_cnt;
	uint64_t src_cid, dst_cid;  /* 0: the right ones */
	uint16_t type;              /* 0: stream */
	const void *data;
	uint32_t len;
	int32_t hdr_len;            /* 0: the header's length field = len; else this value */
	size_t chain;               /* 0: header + len bytes; else the chain's length */
};

/* Puts one packet on the "tx queue": header split over two segments and
 * the payload in a third, as a hostile or odd driver might lay it out. */
static inline void guest_send(struct fake *f, const struct gpkt *g)
{
	static uint8_t buf[VSOCK_HDR_LEN + (128u << 10)];
	struct vsock_hdr h = {
		.src_cid = g->src_cid ? g->src_cid : GUEST_CID, .dst_cid = g->dst_cid ? g->dst_cid : 2,
		.src_port = g->src_port, .dst_port = g->dst_port,
		.len = g->hdr_len ? (uint32_t)g->hdr_len : g->len,
		.type = g->type ? g->type : VSOCK_TYPE_STREAM, .op = g->op, .flags = g->flags,
		.buf_alloc = g->buf_alloc ? g->buf_alloc : 65536, .fwd_cnt = g->fwd_cnt,
	};
	size_t chain = g->chain ? g->chain : VSOCK_HDR_LEN + g->len;

	cr_assert_leq(chain, sizeof(buf));
	vsock_hdr_encode(buf, &h);
	if (g->len)
		memcpy(buf + VSOCK_HDR_LEN, g->data, g->len);
	struct iovec iov[3] = { { buf, chain < 10 ? chain : 10 } };
	unsigned int n = 1;
	if (chain > 10) {
		iov[1] = (struct iovec){ buf + 10, (chain < VSOCK_HDR_LEN ? chain : VSOCK_HDR_LEN) - 10 };
		n = 2;
	}
	if (chain > VSOCK_HDR_LEN)
		iov[n++] = (struct iovec){ buf + VSOCK_HDR_LEN, chain - VSOCK_HDR_LEN };
	vsock_engine_guest_pkt(&f->e, iov, n);
}

/* One rx buffer: true with the packet when the engine had one within ms. */
static inline bool guest_recv_cap(struct fake *f, struct pkt *p, size_t cap, int ms)
{
	static uint8_t buf[RXBUF];
	struct timespec t0, t;

	cr_assert_leq(cap, sizeof(buf));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (vsock_engine_rx_pending(&f->e)) {
			/* Two segments: the header alone, then the payload space. */
			struct iovec iov[2] = { { buf, VSOCK_HDR_LEN }, { buf + VSOCK_HDR_LEN, cap - VSOCK_HDR_LEN } };
			size_t n = vsock_engine_rx_fill(&f->e, iov, 2);
			if (n) {
				cr_assert_geq(n, VSOCK_HDR_LEN);
				vsock_hdr_decode(&p->h, buf);
				cr_assert_eq(n, VSOCK_HDR_LEN + p->h.len, "used length is header + len");
				memcpy(p->data, buf + VSOCK_HDR_LEN, p->h.len);
				return true;
			}
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
		long el = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (el >= ms)
			return false;
		pump(f, 10);
	}
}

static inline bool guest_recv(struct fake *f, struct pkt *p, int ms)
{
	return guest_recv_cap(f, p, RXBUF, ms);
}

/* The next packet must be op on (host port, guest port). */
static inline void expect_pkt(struct fake *f, struct pkt *p, uint16_t op, uint32_t host_port,
			      uint32_t guest_port)
{
	cr_assert(guest_recv(f, p, 2000), "no packet for the guest (wanted op %u)", op);
	cr_assert_eq(p->h.op, op, "op %u, wanted %u (ports %u -> %u)", p->h.op, op, p->h.src_port,
		     p->h.dst_port);
	cr_assert_eq(p->h.src_port, host_port);
	cr_assert_eq(p->h.dst_port, guest_port);
	cr_assert_eq(p->h.dst_cid, GUEST_CID);
	cr_assert_eq(p->h.type, VSOCK_TYPE_STREAM);
}

static inline void expect_nothing(struct fake *f, int ms)
{
	struct pkt p;
	cr_assert_not(guest_recv(f, &p, ms), "unexpected op %u %u -> %u", p.h.op, p.h.src_port,
		      p.h.dst_port);
}

/* A guest-initiated connection to host port `port` from guest port gp,
 * accepted by the test's listener: returns the host end. */
static inline int g2h_open(struct fake *f, int lfd, uint32_t gp, uint32_t port, uint32_t buf_alloc)
{
	struct pkt p;

	guest_send(f, &(struct gpkt){ .op = VSOCK_OP_REQUEST, .src_port = gp, .dst_port = port,
				     .buf_alloc = buf_alloc });
	expect_pkt(f, &p, VSOCK_OP_RESPONSE, port, gp);
	cr_assert_eq(p.h.buf_alloc, f->e.cfg.buf_alloc);
	return accept_wait(lfd, 2000);
}

static inline void fill_pattern(uint8_t *p, size_t n, uint32_t seed, uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((off + i) * 2654435761u >> 13 ^ seed);
}

#endif
