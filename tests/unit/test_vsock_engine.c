/* cellvm-vsock's connection engine against a fake guest and real host
 * sockets: both ways of opening a stream, data both ways, credit-based
 * flow control, half-close and close, hostile packets, limits and
 * timeouts. Every packet the guest gets is checked field by field. */
#include "test_vsock_harness.h"

#include <sys/ioctl.h>

static struct fake f;

static void fini(void)
{
	fake_fini(&f);
}

TestSuite(vsock_engine, .fini = fini, .timeout = 60);

Test(vsock_engine, guest_connects_to_a_host_listener_and_data_flows_both_ways)
{
	struct pkt p;
	char buf[64];

	fake_init(&f, 8, 0);
	int lfd = host_listen(&f, 5000);
	int h = g2h_open(&f, lfd, 1000, 5000, 65536);
	cr_assert_eq(ctr(&f, VSOCK_CTR_G2H_CONNS), 1);
	cr_assert_eq(ctr(&f, VSOCK_CTR_ACTIVE_CONNS), 1);

	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RW, .src_port = 1000, .dst_port = 5000,
				      .data = "hello", .len = 5 });
	cr_assert_eq(host_read(h, buf, 5, 2000), 5);
	cr_assert_eq(memcmp(buf, "hello", 5), 0);
	cr_assert_eq(ctr(&f, VSOCK_CTR_G2H_BYTES), 5);

	cr_assert_eq(write(h, "world!", 6), 6);
	expect_pkt(&f, &p, VSOCK_OP_RW, 5000, 1000);
	cr_assert_eq(p.h.len, 6);
	cr_assert_eq(memcmp(p.data, "world!", 6), 0);
	cr_assert_eq(p.h.fwd_cnt, 5, "our fwd_cnt counts what reached the host");
	cr_assert_eq(ctr(&f, VSOCK_CTR_H2G_BYTES), 6);
	expect_nothing(&f, 50);

	/* The guest closes: the host reads EOF, the guest gets its RST. */
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_SHUTDOWN, .src_port = 1000, .dst_port = 5000,
				      .flags = VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND, .fwd_cnt = 6 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 5000, 1000);
	cr_assert(host_eof(h, 2000));
	cr_assert_eq(ctr(&f, VSOCK_CTR_ACTIVE_CONNS), 0);
	cr_assert_eq(f.e.t.used, 0);
	close(h);
	close(lfd);
}

Test(vsock_engine, no_host_listener_means_rst)
{
	struct pkt p;

	fake_init(&f, 8, 0);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_REQUEST, .src_port = 7, .dst_port = 9999 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 9999, 7);
	cr_assert_eq(ctr(&f, VSOCK_CTR_CONNECT_FAILED), 1);
	cr_assert_eq(f.e.t.used, 0);
}

Test(vsock_engine, connects_through_the_broker_when_sandboxed)
{
	struct vsock_engine_cfg cfg = { .max_conns = 4 };
	struct pkt p;
	char buf[8];

	fake_init_cfg(&f, &cfg, true);
	int lfd = host_listen(&f, 42);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_REQUEST, .src_port = 1, .dst_port = 42 });
	/* Nothing until the core answered (pump serves the broker). */
	cr_assert_not(vsock_engine_rx_pending(&f.e));
	expect_pkt(&f, &p, VSOCK_OP_RESPONSE, 42, 1);
	int h = accept_wait(lfd, 2000);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RW, .src_port = 1, .dst_port = 42,
				      .data = "abc", .len = 3 });
	cr_assert_eq(host_read(h, buf, 3, 2000), 3);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_REQUEST, .src_port = 2, .dst_port = 43 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 43, 2);
	cr_assert_eq(ctr(&f, VSOCK_CTR_CONNECT_FAILED), 1);
	close(h);
	close(lfd);
}

Test(vsock_engine, host_client_connects_to_a_guest_port)
{
	struct pkt p;
	char buf[64];

	fake_init(&f, 8, 0);
	int c = host_connect(&f);
	/* The command and the first data in one write: the data must wait,
	 * not be eaten by the handshake. */
	cr_assert_eq(write(c, "CONNECT 52\nearly", 16), 16);
	expect_pkt(&f, &p, VSOCK_OP_REQUEST, 1u << 30, 52);
	cr_assert_eq(p.h.src_cid, 2);
	cr_assert_eq(p.h.buf_alloc, VSOCK_DEFAULT_BUF_ALLOC);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RESPONSE, .src_port = 52, .dst_port = 1u << 30,
				      .buf_alloc = 65536 });
	cr_assert_eq(host_read(c, buf, 14, 2000), 14);
	cr_assert_eq(memcmp(buf, "OK 1073741824\n", 14), 0);
	cr_assert_eq(ctr(&f, VSOCK_CTR_H2G_CONNS), 1);
	expect_pkt(&f, &p, VSOCK_OP_RW, 1u << 30, 52);
	cr_assert_eq(p.h.len, 5);
	cr_assert_eq(memcmp(p.data, "early", 5), 0);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RW, .src_port = 52, .dst_port = 1u << 30,
				      .data = "reply", .len = 5 });
	cr_assert_eq(host_read(c, buf, 5, 2000), 5);
	cr_assert_eq(memcmp(buf, "reply", 5), 0);

	/* A second client gets the next port. */
	int c2 = host_connect(&f);
	cr_assert_eq(write(c2, "CONNECT 52\r\n", 12), 12);
	expect_pkt(&f, &p, VSOCK_OP_REQUEST, (1u << 30) + 1, 52);
	/* The guest refuses it: the client is closed. */
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RST, .src_port = 52, .dst_port = (1u << 30) + 1 });
	cr_assert(host_eof(c2, 2000));
	cr_assert_eq(ctr(&f, VSOCK_CTR_G2H_RESETS), 1);
	close(c);
	close(c2);
}

Test(vsock_engine, bad_or_slow_handshakes_are_closed)
{
	struct vsock_engine_cfg cfg = { .max_conns = 8, .handshake_ms = 300 };

	fake_init_cfg(&f, &cfg, false);
	int a = host_connect(&f), b = host_connect(&f), c = host_connect(&f), d = host_connect(&f);
	cr_assert_eq(write(a, "HELLO 52\n", 9), 9);
	cr_assert_eq(write(b, "CONNECT 99999999999\n", 20), 20);
	cr_assert_eq(write(c, "CONNECT 1", 9), 9); /* never finished */
	char longline[40];
	memset(longline, '1', sizeof(longline));
	memcpy(longline, "CONNECT ", 8);
	cr_assert_eq(write(d, longline, sizeof(longline)), (ssize_t)sizeof(longline));
	for (int i = 0; i < 60 && ctr(&f, VSOCK_CTR_HANDSHAKE_FAILED) < 4; i++)
		pump(&f, 20);
	cr_assert(host_eof(a, 1000));
	cr_assert(host_eof(b, 1000));
	cr_assert(host_eof(c, 1000), "a client that never finishes its line times out");
	cr_assert(host_eof(d, 1000));
	cr_assert_eq(ctr(&f, VSOCK_CTR_HANDSHAKE_FAILED), 4);
	cr_assert_eq(f.e.t.used, 0);
	expect_nothing(&f, 50);
	close(a);
	close(b);
	close(c);
	close(d);
}

Test(vsock_engine, a_guest_that_never_answers_a_request_is_reset)
{
	struct vsock_engine_cfg cfg = { .max_conns = 8, .request_ms = 200 };
	struct pkt p;

	fake_init_cfg(&f, &cfg, false);
	int c = host_connect(&f);
	cr_assert_eq(write(c, "CONNECT 7\n", 10), 10);
	expect_pkt(&f, &p, VSOCK_OP_REQUEST, 1u << 30, 7);
	expect_pkt(&f, &p, VSOCK_OP_RST, 1u << 30, 7);
	cr_assert(host_eof(c, 1000));
	cr_assert_eq(ctr(&f, VSOCK_CTR_TIMEOUTS), 1);
	close(c);
}

/* ---- hostile packets ---- */

Test(vsock_engine, hostile_packets_are_reset_or_dropped_and_counted)
{
	struct pkt p;
	uint8_t big[VSOCK_MAX_PAYLOAD + 1];

	fake_init(&f, 8, 0);
	memset(big, 'x', sizeof(big));
	int lfd = host_listen(&f, 80);

	/* Shorter than a header: dropped, nothing to answer. */
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_REQUEST, .src_port = 1, .dst_port = 80, .chain = 43 });
	cr_assert_eq(ctr(&f, VSOCK_CTR_BAD_HEADER), 1);
	guest_send(&f, &(struct gpkt){ .chain = 1 });
	cr_assert_eq(ctr(&f, VSOCK_CTR_BAD_HEADER), 2);
	/* Another source cid: dropped, never answered. */
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_REQUEST, .src_cid = 4, .src_port = 1, .dst_port = 80 });
	cr_assert_eq(ctr(&f, VSOCK_CTR_BAD_CID), 1);
	expect_nothing(&f, 30);
	/* Not for the host: RST from the cid it asked for. */
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_REQUEST, .dst_cid = 5, .src_port = 1, .dst_port = 80 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 80, 1);
	cr_assert_eq(p.h.src_cid, 5);
	cr_assert_eq(ctr(&f, VSOCK_CTR_BAD_CID), 2);
	/* Seqpacket, unknown ops, payload on a REQUEST. */
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_REQUEST, .type = 2, .src_port = 2, .dst_port = 80 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 80, 2);
	guest_send(&f, &(struct gpkt){ .op = 0, .src_port = 3, .dst_port = 80 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 80, 3);
	guest_send(&f, &(struct gpkt){ .op = 0x7777, .src_port = 4, .dst_port = 80 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 80, 4);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_REQUEST, .src_port = 5, .dst_port = 80, .data = "x", .len = 1 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 80, 5);
	cr_assert_eq(ctr(&f, VSOCK_CTR_BAD_OP), 4);
	/* Lengths beyond the chain or 64 KiB. */
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RW, .src_port = 6, .dst_port = 80, .data = "abc", .len = 3, .hdr_len = 4 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 80, 6);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RW, .src_port = 7, .dst_port = 80, .data = big, .len = sizeof(big) });
	expect_pkt(&f, &p, VSOCK_OP_RST, 80, 7);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RW, .src_port = 8, .dst_port = 80, .hdr_len = -1 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 80, 8);
	cr_assert_eq(ctr(&f, VSOCK_CTR_BAD_LENGTH), 3);
	/* Ops on connections that do not exist. */
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RW, .src_port = 9, .dst_port = 80, .data = "d", .len = 1 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 80, 9);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RESPONSE, .src_port = 10, .dst_port = 80 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 80, 10);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_SHUTDOWN, .src_port = 11, .dst_port = 80, .flags = 3 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 80, 11);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_CREDIT_REQUEST, .src_port = 12, .dst_port = 80 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 80, 12);
	/* An RST is never answered. */
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RST, .src_port = 13, .dst_port = 80 });
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RST, .type = 9, .src_port = 13, .dst_port = 80 });
	expect_nothing(&f, 30);
	/* None of it opened a host connection, and the device still works. */
	struct pollfd pl = { .fd = lfd, .events = POLLIN };
	cr_assert_eq(poll(&pl, 1, 0), 0);
	int h = g2h_open(&f, lfd, 100, 80, 65536);
	close(h);
	close(lfd);
}

Test(vsock_engine, protocol_errors_on_a_live_connection_reset_it)
{
	struct pkt p;

	fake_init(&f, 8, 0);
	int lfd = host_listen(&f, 81);
	int h = g2h_open(&f, lfd, 1, 81, 65536);
	/* A second REQUEST for the same ports kills the first. */
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_REQUEST, .src_port = 1, .dst_port = 81 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 81, 1);
	cr_assert(host_eof(h, 1000));
	close(h);
	h = g2h_open(&f, lfd, 2, 81, 65536);
	/* A fwd_cnt for bytes never sent. */
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_CREDIT_UPDATE, .src_port = 2, .dst_port = 81, .fwd_cnt = 100 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 81, 2);
	cr_assert(host_eof(h, 1000));
	cr_assert_eq(ctr(&f, VSOCK_CTR_CREDIT_VIOLATION), 1);
	close(h);
	h = g2h_open(&f, lfd, 3, 81, 65536);
	/* A RESPONSE on a guest-initiated connection. */
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RESPONSE, .src_port = 3, .dst_port = 81 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 81, 3);
	cr_assert(host_eof(h, 1000));
	close(h);
	cr_assert_eq(f.e.t.used, 0);
	close(lfd);
}

/* ---- flow control ---- */

Test(vsock_engine, guest_data_beyond_the_window_is_a_credit_violation)
{
	struct pkt p;
	static uint8_t chunk[4096];
	int sndbuf = 4096;

	fake_init(&f, 8, 16384);
	int lfd = host_listen(&f, 90);
	int h = g2h_open(&f, lfd, 1, 90, 65536);
	/* The host reads nothing: once its socket is full the device
	 * buffers, at most the 16 KiB it advertised. */
	struct vsock_conn *c = vsock_conn_find(&f.e.t, 1, 90);
	cr_assert_not_null(c);
	setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	bool reset = false;
	uint64_t sent = 0;
	for (int i = 0; i < 4096 && !reset; i++) {
		guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RW, .src_port = 1, .dst_port = 90,
					      .data = chunk, .len = sizeof(chunk) });
		sent += sizeof(chunk);
		c = vsock_conn_find(&f.e.t, 1, 90);
		if (!c)
			reset = true;
		else
			cr_assert_leq(c->buf_len, 16384u, "buffered beyond the window");
	}
	cr_assert(reset, "never refused after %llu bytes", (unsigned long long)sent);
	cr_assert_eq(ctr(&f, VSOCK_CTR_CREDIT_VIOLATION), 1);
	for (;;) {
		cr_assert(guest_recv(&f, &p, 2000));
		if (p.h.op == VSOCK_OP_RST)
			break;
		cr_assert_eq(p.h.op, VSOCK_OP_CREDIT_UPDATE);
	}
	close(h);
	close(lfd);
}

Test(vsock_engine, host_data_never_exceeds_the_guest_credit)
{
	struct pkt p;
	static uint8_t data[100000], got[100000];

	fake_init(&f, 8, 0);
	fill_pattern(data, sizeof(data), 7, 0);
	int lfd = host_listen(&f, 91);
	int h = g2h_open(&f, lfd, 1, 91, 8192);
	cr_assert_eq(write(h, data, sizeof(data)), (ssize_t)sizeof(data));
	size_t have = 0;
	uint32_t fwd = 0;
	while (have < sizeof(data)) {
		/* Exactly one window, then silence until the guest frees it. */
		size_t window = 0;
		while (window < 8192 && have < sizeof(data)) {
			expect_pkt(&f, &p, VSOCK_OP_RW, 91, 1);
			cr_assert_leq(window + p.h.len, 8192);
			memcpy(got + have, p.data, p.h.len);
			have += p.h.len;
			window += p.h.len;
		}
		if (have < sizeof(data))
			expect_nothing(&f, 30);
		fwd += (uint32_t)window;
		guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_CREDIT_UPDATE, .src_port = 1, .dst_port = 91,
					      .buf_alloc = 8192, .fwd_cnt = fwd });
	}
	cr_assert_eq(memcmp(got, data, sizeof(data)), 0);
	cr_assert_eq(ctr(&f, VSOCK_CTR_H2G_BYTES), sizeof(data));
	close(h);
	close(lfd);
}

Test(vsock_engine, a_host_that_never_reads_throttles_only_its_own_stream)
{
	struct pkt p;
	static uint8_t chunk[4096], buf[4096];
	int sndbuf = 4096;

	fake_init(&f, 8, 16384);
	int lfd = host_listen(&f, 92);
	int slow = g2h_open(&f, lfd, 1, 92, 65536);
	int fast = g2h_open(&f, lfd, 2, 92, 65536);
	setsockopt(vsock_conn_find(&f.e.t, 1, 92)->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	/* A well-behaved guest: it sends while its credit lasts. */
	uint32_t sent = 0, peer_fwd = 0;
	for (int round = 0; round < 200; round++) {
		uint32_t credit = 16384 - (sent - peer_fwd);
		if (credit < sizeof(chunk)) {
			while (guest_recv(&f, &p, 20))
				if (p.h.dst_port == 1)
					peer_fwd = p.h.fwd_cnt;
			if (16384 - (sent - peer_fwd) < sizeof(chunk))
				break; /* blocked: the host reads nothing */
			continue;
		}
		guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RW, .src_port = 1, .dst_port = 92,
					      .data = chunk, .len = sizeof(chunk) });
		sent += sizeof(chunk);
	}
	struct vsock_conn *c = vsock_conn_find(&f.e.t, 1, 92);
	cr_assert_not_null(c, "the slow stream must not be reset");
	cr_assert_gt(c->buf_len, 0);
	cr_assert_leq(c->buf_len, 16384u);
	cr_assert_eq(ctr(&f, VSOCK_CTR_CREDIT_VIOLATION), 0);
	/* The other stream is unaffected. */
	for (int i = 0; i < 64; i++) {
		guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RW, .src_port = 2, .dst_port = 92,
					      .data = chunk, .len = sizeof(chunk) });
		cr_assert_eq(host_read(fast, buf, sizeof(buf), 2000), sizeof(buf));
		while (guest_recv(&f, &p, 0)) {
		}
	}
	/* Once the slow host reads, every byte arrives and the guest gets
	 * its credit back. */
	uint64_t total = 0;
	for (;;) {
		ssize_t n = host_read(slow, buf, sizeof(buf), 300);
		if (n <= 0)
			break;
		total += (uint64_t)n;
		pump(&f, 0);
	}
	cr_assert_eq(total, sent, "all %u bytes reach the host, got %llu", sent, (unsigned long long)total);
	bool credited = false;
	while (guest_recv(&f, &p, 100))
		if (p.h.dst_port == 1 && p.h.op == VSOCK_OP_CREDIT_UPDATE && p.h.fwd_cnt == sent)
			credited = true;
	cr_assert(credited, "no credit update for what was drained");
	close(slow);
	close(fast);
	close(lfd);
}

/* ---- half-close ---- */

Test(vsock_engine, guest_half_close_then_host_reply_then_host_close)
{
	struct pkt p;
	char buf[16];

	fake_init(&f, 8, 0);
	int lfd = host_listen(&f, 93);
	int h = g2h_open(&f, lfd, 1, 93, 65536);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RW, .src_port = 1, .dst_port = 93, .data = "ask", .len = 3 });
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_SHUTDOWN, .src_port = 1, .dst_port = 93, .flags = VSOCK_SHUTDOWN_SEND });
	cr_assert_eq(host_read(h, buf, 3, 2000), 3);
	cr_assert(host_eof(h, 2000), "the guest's half-close reaches the host as EOF");
	/* The other direction still works. */
	cr_assert_eq(write(h, "answer", 6), 6);
	expect_pkt(&f, &p, VSOCK_OP_RW, 93, 1);
	cr_assert_eq(p.h.len, 6);
	/* Data after its own SHUTDOWN SEND is a protocol error... */
	close(h);
	/* ...but here the host closes: both sides are done, the guest gets RST. */
	expect_pkt(&f, &p, VSOCK_OP_RST, 93, 1);
	cr_assert_eq(f.e.t.used, 0);
	close(lfd);
}

Test(vsock_engine, host_half_close_reaches_the_guest_as_shutdown_send)
{
	struct pkt p;
	char buf[16];

	fake_init(&f, 8, 0);
	int c = host_connect(&f);
	cr_assert_eq(write(c, "CONNECT 60\n", 11), 11);
	expect_pkt(&f, &p, VSOCK_OP_REQUEST, 1u << 30, 60);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RESPONSE, .src_port = 60, .dst_port = 1u << 30 });
	cr_assert_eq(host_read(c, buf, 14, 2000), 14);
	cr_assert_eq(write(c, "data", 4), 4);
	shutdown(c, SHUT_WR);
	expect_pkt(&f, &p, VSOCK_OP_RW, 1u << 30, 60);
	cr_assert_eq(p.h.len, 4);
	expect_pkt(&f, &p, VSOCK_OP_SHUTDOWN, 1u << 30, 60);
	cr_assert_eq(p.h.flags, VSOCK_SHUTDOWN_SEND);
	/* The guest answers after the host's EOF, then closes. */
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RW, .src_port = 60, .dst_port = 1u << 30, .data = "sum", .len = 3 });
	cr_assert_eq(host_read(c, buf, 3, 2000), 3);
	cr_assert_eq(memcmp(buf, "sum", 3), 0);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_SHUTDOWN, .src_port = 60, .dst_port = 1u << 30, .flags = 3 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 1u << 30, 60);
	cr_assert(host_eof(c, 1000));
	close(c);
}

Test(vsock_engine, guest_close_flushes_buffered_data_before_the_rst)
{
	struct pkt p;
	static uint8_t data[64 << 10], got[64 << 10];
	int sndbuf = 4096;

	fake_init(&f, 8, 65536);
	fill_pattern(data, sizeof(data), 3, 0);
	int lfd = host_listen(&f, 94);
	int h = g2h_open(&f, lfd, 1, 94, 65536);
	setsockopt(vsock_conn_find(&f.e.t, 1, 94)->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	for (size_t off = 0; off < sizeof(data); off += 16384)
		guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RW, .src_port = 1, .dst_port = 94,
					      .data = data + off, .len = 16384 });
	cr_assert_gt(vsock_conn_find(&f.e.t, 1, 94)->buf_len, 0, "some must wait in the buffer");
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_SHUTDOWN, .src_port = 1, .dst_port = 94, .flags = 3 });
	/* No RST while data still waits. */
	while (guest_recv(&f, &p, 0))
		cr_assert_neq(p.h.op, VSOCK_OP_RST);
	size_t have = 0;
	while (have < sizeof(got)) {
		ssize_t n = read(h, got + have, sizeof(got) - have);
		cr_assert_gt(n, 0);
		have += (size_t)n;
		pump(&f, 0);
	}
	cr_assert_eq(memcmp(got, data, sizeof(data)), 0);
	cr_assert(host_eof(h, 2000));
	bool rst = false;
	while (!rst && guest_recv(&f, &p, 1000))
		rst = p.h.op == VSOCK_OP_RST;
	cr_assert(rst);
	close(h);
	close(lfd);
}

/* ---- many connections, limits ---- */

Test(vsock_engine, sixteen_streams_interleaved_keep_their_bytes_apart)
{
	enum { N = 16, LEN = 20000 };
	static uint8_t data[N][LEN], got[N][LEN];
	size_t off[N] = { 0 }, have[N] = { 0 };
	int h[N];
	struct pkt p;

	fake_init(&f, N, 0);
	int lfd = host_listen(&f, 95);
	for (int i = 0; i < N; i++) {
		fill_pattern(data[i], LEN, (uint32_t)i, 0);
		h[i] = g2h_open(&f, lfd, 2000 + (uint32_t)i, 95, 1u << 20);
	}
	for (bool more = true; more;) {
		more = false;
		for (int i = 0; i < N; i++) {
			uint32_t n = LEN - off[i] < 997 ? (uint32_t)(LEN - off[i]) : 997;
			if (!n)
				continue;
			guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RW, .src_port = 2000 + (uint32_t)i,
						      .dst_port = 95, .data = data[i] + off[i], .len = n });
			off[i] += n;
			more = true;
		}
	}
	for (int i = 0; i < N; i++) {
		cr_assert_eq(host_read(h[i], got[i], LEN, 2000), LEN);
		cr_assert_eq(memcmp(got[i], data[i], LEN), 0, "stream %d", i);
		/* Echo back, reversed order of streams. */
		cr_assert_eq(write(h[N - 1 - i], data[N - 1 - i], 3000), 3000);
	}
	size_t total = 0;
	while (total < N * 3000u) {
		cr_assert(guest_recv(&f, &p, 2000));
		cr_assert_eq(p.h.op, VSOCK_OP_RW);
		int i = (int)p.h.dst_port - 2000;
		cr_assert(i >= 0 && i < N);
		cr_assert_eq(memcmp(p.data, data[i] + have[i], p.h.len), 0);
		have[i] += p.h.len;
		total += p.h.len;
	}
	cr_assert_eq(ctr(&f, VSOCK_CTR_ACTIVE_CONNS), N);
	for (int i = 0; i < N; i++)
		close(h[i]);
	close(lfd);
}

Test(vsock_engine, the_connection_limit_refuses_with_rst_and_frees_slots)
{
	struct pkt p;

	fake_init(&f, 2, 0);
	int lfd = host_listen(&f, 96);
	int a = g2h_open(&f, lfd, 1, 96, 65536);
	int b = g2h_open(&f, lfd, 2, 96, 65536);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_REQUEST, .src_port = 3, .dst_port = 96 });
	expect_pkt(&f, &p, VSOCK_OP_RST, 96, 3);
	/* A host client is turned away too. */
	int c = host_connect(&f);
	cr_assert(host_eof(c, 2000) || (pump(&f, 50), host_eof(c, 2000)));
	cr_assert_eq(ctr(&f, VSOCK_CTR_CONN_LIMIT), 2);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_RST, .src_port = 1, .dst_port = 96 });
	cr_assert(host_eof(a, 1000));
	int d = g2h_open(&f, lfd, 4, 96, 65536);
	close(a);
	close(b);
	close(c);
	close(d);
	close(lfd);
}

Test(vsock_engine, rx_buffers_too_small_are_counted_and_a_reset_drops_everything)
{
	struct pkt p;

	fake_init(&f, 4, 0);
	int lfd = host_listen(&f, 97);
	guest_send(&f, &(struct gpkt){ .op = VSOCK_OP_REQUEST, .src_port = 1, .dst_port = 97 });
	cr_assert_not(guest_recv_cap(&f, &p, 43, 50));
	cr_assert_geq(ctr(&f, VSOCK_CTR_BAD_RX_BUFFER), 1);
	expect_pkt(&f, &p, VSOCK_OP_RESPONSE, 97, 1);
	int h = accept_wait(lfd, 1000);
	vsock_engine_reset(&f.e);
	cr_assert(host_eof(h, 1000));
	cr_assert_eq(f.e.t.used, 0);
	cr_assert_eq(ctr(&f, VSOCK_CTR_ACTIVE_CONNS), 0);
	expect_nothing(&f, 30);
	close(h);
	close(lfd);
}
