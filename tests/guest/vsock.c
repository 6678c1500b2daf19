/* vsock: drives the first virtio-vsock device (5.10) with hostile
 * packets and checks every answer. Each packet that must be dropped
 * unanswered is followed by a marker (data for a connection that does
 * not exist) whose RST must be the very next packet: the device keeps
 * the tx order, so anything the dropped one had caused would come first.
 *
 * The host side (the integration test) runs an echo server at
 * UDS_PATH_<probe.vsock.port> (default 5000). Checked: the config cid;
 * a header split over three descriptors; RST for a wrong destination
 * cid (from that cid), a stream type the device does not offer, unknown
 * ops, payload lengths beyond the chain or 64 KiB, payload on a REQUEST,
 * data/SHUTDOWN/RESPONSE for no connection, a port nobody listens on, a
 * second REQUEST for a live connection, a fwd_cnt beyond what was sent;
 * silence for chains shorter than a header, device-writable tx chains,
 * a wrong source cid and RSTs; and, after all of it, a stream that still
 * echoes and closes with RST. */
#include "virtio.h"

#define VIRTIO_ID_VSOCK 19
#define HDR 44
#define NRX 32
#define RXLEN 4096
#define TIMEOUT_US 10000000
#define OP_REQUEST 1
#define OP_RESPONSE 2
#define OP_RST 3
#define OP_SHUTDOWN 4
#define OP_RW 5
#define OP_CREDIT_UPDATE 6
#define MARK_PORT 0x7777

struct vhdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
} PACKED;

_Static_assert(sizeof(struct vhdr) == HDR, "virtio_vsock_hdr is 44 bytes");

struct vs {
	struct vdev *v;
	struct virtq rx, tx, ev;
	struct vwaiter w;
	uint64_t cid;
	uint32_t port;
	uint8_t *rxbuf[NRX];
	uint8_t *txbuf;
	uint32_t rsts, dropped, checks;
};

static bool vs_fail(const char *why, uint64_t a, uint64_t b)
{
	uprintf("PROBE vsock fail reason=%s expected=%lu got=%lu\n", why, a, b);
	return false;
}

static bool rx_post(struct vs *s, int i)
{
	struct vq_buf b = { (uint64_t)s->rxbuf[i], RXLEN, true };
	return vq_add(&s->rx, &b, 1, s->rxbuf[i]);
}

/* Sends one tx chain made of parts of txbuf (lengths in cut[], 0-ended),
 * all device-readable unless `writable`; waits until the device used it. */
static bool tx_send(struct vs *s, const uint32_t *cut, bool writable)
{
	struct vq_buf b[4];
	unsigned n = 0;
	uint64_t off = 0;

	for (; cut[n] && n < 4; n++) {
		b[n] = (struct vq_buf){ (uint64_t)s->txbuf + off, cut[n], writable };
		off += cut[n];
	}
	if (!vq_add(&s->tx, b, n, s->txbuf))
		return vs_fail("tx-ring-full", 0, 0);
	vq_kick(&s->tx);
	uint64_t deadline = rdtsc() + us_tsc(TIMEOUT_US);
	uint32_t len;
	while (!vq_get(&s->tx, &len)) {
		if (s->tx.broken || (int64_t)(rdtsc() - deadline) > 0)
			return vs_fail(s->tx.broken ? s->tx.broken_why : "tx-timeout", 0, 0);
		vwait_once(&s->w);
	}
	return true;
}

static void hdr_set(struct vs *s, uint16_t op, uint32_t sport, uint32_t dport, uint32_t len)
{
	struct vhdr *h = (struct vhdr *)s->txbuf;
	*h = (struct vhdr){ .src_cid = s->cid, .dst_cid = 2, .src_port = sport, .dst_port = dport,
			    .len = len, .type = 1, .op = op, .buf_alloc = 65536 };
}

/* A packet of header + len payload bytes in one or two descriptors. */
static bool send(struct vs *s, uint32_t len)
{
	uint32_t cut[3] = { HDR, len, 0 };
	if (!len)
		cut[1] = 0;
	return tx_send(s, cut, false);
}

/* The next rx packet: copied out, its buffer reposted. */
static bool recv(struct vs *s, struct vhdr *h, uint8_t *data, uint32_t cap)
{
	uint64_t deadline = rdtsc() + us_tsc(TIMEOUT_US);
	uint32_t len;
	uint8_t *b;

	while (!(b = vq_get(&s->rx, &len))) {
		if (s->rx.broken || (int64_t)(rdtsc() - deadline) > 0)
			return vs_fail(s->rx.broken ? s->rx.broken_why : "rx-timeout", 0, 0);
		vwait_once(&s->w);
	}
	if (len < HDR || len > RXLEN)
		return vs_fail("rx-used-len", HDR, len);
	memcpy(h, b, HDR);
	if (h->len != len - HDR || h->len > cap)
		return vs_fail("rx-hdr-len", len - HDR, h->len);
	if (h->len)
		memcpy(data, b + HDR, h->len);
	for (int i = 0; i < NRX; i++)
		if (s->rxbuf[i] == b && !rx_post(s, i))
			return vs_fail("rx-repost", 0, 0);
	vq_kick(&s->rx);
	return true;
}

/* The next packet must be op from (src_cid, sport) to our dport. */
static bool expect(struct vs *s, const char *what, uint16_t op, uint64_t src_cid, uint32_t sport,
		   uint32_t dport, struct vhdr *out)
{
	struct vhdr h;
	static uint8_t data[RXLEN];

	if (!recv(s, &h, data, sizeof(data)))
		return vs_fail(what, op, 0);
	if (h.op != op || h.src_cid != src_cid || h.dst_cid != s->cid || h.src_port != sport ||
	    h.dst_port != dport || h.type != 1) {
		uprintf("PROBE vsock fail reason=%s want-op=%u got-op=%u ports=%u->%u cids=%lu->%lu\n",
			what, op, h.op, h.src_port, h.dst_port, h.src_cid, h.dst_cid);
		return false;
	}
	if (op == OP_RST)
		s->rsts++;
	s->checks++;
	if (out)
		*out = h;
	return true;
}

/* A hostile packet that must get an RST for (sport <- dport). */
static bool expect_rst(struct vs *s, const char *what, uint64_t from_cid, uint32_t host_port,
		       uint32_t guest_port)
{
	return expect(s, what, OP_RST, from_cid, host_port, guest_port, NULL);
}

/* What was just sent must have caused nothing: the marker's RST comes next. */
static bool expect_silence(struct vs *s, const char *what)
{
	hdr_set(s, OP_RW, MARK_PORT, MARK_PORT, 1);
	s->txbuf[HDR] = 'm';
	s->dropped++;
	return send(s, 1) && expect_rst(s, what, 2, MARK_PORT, MARK_PORT);
}

static bool open_stream(struct vs *s, uint32_t gport)
{
	hdr_set(s, OP_REQUEST, gport, s->port, 0);
	return send(s, 0) && expect(s, "response", OP_RESPONSE, 2, s->port, gport, NULL);
}

/* Sends msg on the stream and waits for the host's echo of it. */
static bool echo(struct vs *s, uint32_t gport, const char *msg)
{
	uint32_t n = (uint32_t)strlen(msg), got = 0;
	static uint8_t data[RXLEN];
	struct vhdr h;

	hdr_set(s, OP_RW, gport, s->port, n);
	memcpy(s->txbuf + HDR, msg, n);
	if (!send(s, n))
		return false;
	while (got < n) {
		if (!recv(s, &h, data, sizeof(data)))
			return false;
		if (h.op == OP_CREDIT_UPDATE)
			continue;
		if (h.op != OP_RW || h.dst_port != gport || got + h.len > n ||
		    memcmp(data, msg + got, h.len))
			return vs_fail("echo", OP_RW, h.op);
		got += h.len;
	}
	s->checks++;
	return true;
}

static bool vs_hostile(struct vs *s)
{
	struct vhdr *h = (struct vhdr *)s->txbuf;

	/* A header in three pieces opens a stream. */
	hdr_set(s, OP_REQUEST, 100, s->port, 0);
	if (!tx_send(s, (const uint32_t[]){ 1, 20, 23, 0 }, false) ||
	    !expect(s, "split-header", OP_RESPONSE, 2, s->port, 100, NULL) || !echo(s, 100, "split"))
		return false;

	/* Dropped without a word. */
	hdr_set(s, OP_REQUEST, 101, s->port, 0);
	if (!tx_send(s, (const uint32_t[]){ 43, 0 }, false) || !expect_silence(s, "short-header"))
		return false;
	if (!tx_send(s, (const uint32_t[]){ HDR, 0 }, true) || !expect_silence(s, "writable-tx"))
		return false;
	hdr_set(s, OP_REQUEST, 102, s->port, 0);
	h->src_cid = s->cid + 1;
	if (!send(s, 0) || !expect_silence(s, "wrong-src-cid"))
		return false;
	hdr_set(s, OP_RST, 103, s->port, 0);
	if (!send(s, 0) || !expect_silence(s, "rst-unanswered"))
		return false;

	/* Answered with RST. */
	hdr_set(s, OP_REQUEST, 104, s->port, 0);
	h->dst_cid = 77;
	if (!send(s, 0) || !expect_rst(s, "wrong-dst-cid", 77, s->port, 104))
		return false;
	hdr_set(s, OP_REQUEST, 105, s->port, 0);
	h->type = 2;
	if (!send(s, 0) || !expect_rst(s, "seqpacket", 2, s->port, 105))
		return false;
	hdr_set(s, 0x55, 106, s->port, 0);
	if (!send(s, 0) || !expect_rst(s, "unknown-op", 2, s->port, 106))
		return false;
	hdr_set(s, OP_RW, 100, s->port, 200);
	if (!send(s, 10) || !expect_rst(s, "len-beyond-chain", 2, s->port, 100))
		return false;
	if (!open_stream(s, 100))
		return false;
	hdr_set(s, OP_RW, 107, s->port, 0x10001);
	if (!send(s, 100) || !expect_rst(s, "len-over-64k", 2, s->port, 107))
		return false;
	hdr_set(s, OP_REQUEST, 108, s->port, 4);
	if (!send(s, 4) || !expect_rst(s, "payload-on-request", 2, s->port, 108))
		return false;
	hdr_set(s, OP_SHUTDOWN, 109, s->port, 0);
	h->flags = 3;
	if (!send(s, 0) || !expect_rst(s, "shutdown-no-conn", 2, s->port, 109))
		return false;
	hdr_set(s, OP_RESPONSE, 110, s->port, 0);
	if (!send(s, 0) || !expect_rst(s, "response-no-conn", 2, s->port, 110))
		return false;
	hdr_set(s, OP_REQUEST, 111, s->port + 1, 0);
	if (!send(s, 0) || !expect_rst(s, "no-listener", 2, s->port + 1, 111))
		return false;
	/* Protocol errors on live streams reset them. */
	hdr_set(s, OP_REQUEST, 100, s->port, 0);
	if (!send(s, 0) || !expect_rst(s, "second-request", 2, s->port, 100))
		return false;
	if (!open_stream(s, 112))
		return false;
	hdr_set(s, OP_CREDIT_UPDATE, 112, s->port, 0);
	h->fwd_cnt = 1000000;
	if (!send(s, 0) || !expect_rst(s, "fwd-cnt-beyond-sent", 2, s->port, 112))
		return false;

	/* After all that, a stream works and closes cleanly. */
	if (!open_stream(s, 113) || !echo(s, 113, "still here") || !echo(s, 113, "and again"))
		return false;
	hdr_set(s, OP_SHUTDOWN, 113, s->port, 0);
	h->flags = 3;
	h->fwd_cnt = 19; /* the echoed bytes */
	return send(s, 0) && expect_rst(s, "close", 2, s->port, 113);
}

bool scenario_vsock(void)
{
	static struct vs s;
	const char *why;
	bool ok = false;

	memset(&s, 0, sizeof(s));
	s.v = vdev_find(VIRTIO_ID_VSOCK, 0);
	if (!s.v)
		return vs_fail("no-device", 1, 0);
	s.port = (uint32_t)cmdline_u64("probe.vsock.port=", 5000);
	dma_reset();
	if (vdev_negotiate(s.v, virtio_ring_features_wanted(), &why) < 0 ||
	    vq_setup(&s.rx, s.v, 0, 64, &why) < 0 || vq_setup(&s.tx, s.v, 1, 64, &why) < 0 ||
	    vq_setup(&s.ev, s.v, 2, 8, &why) < 0 || vdev_driver_ok(s.v, &why) < 0) {
		vs_fail(why, 0, 0);
		goto out;
	}
	s.cid = vdev_config(s.v, 0, 8);
	if (s.cid != cmdline_u64("probe.vsock.cid=", 3)) {
		vs_fail("config-cid", cmdline_u64("probe.vsock.cid=", 3), s.cid);
		goto out;
	}
	s.txbuf = dma_alloc(HDR + 0x10100, 64);
	for (int i = 0; i < NRX; i++) {
		s.rxbuf[i] = dma_alloc(RXLEN, 64);
		if (!s.rxbuf[i] || !rx_post(&s, i)) {
			vs_fail("rx-setup", NRX, (uint64_t)i);
			goto out;
		}
	}
	vq_kick(&s.rx);
	vwait_begin(&s.w, true);
	ok = vs_hostile(&s);
	vwait_end(&s.w);
	if (ok)
		uprintf("PROBE vsock ok cid=%lu checks=%u rsts=%u silent=%u irqs=%lu\n", s.cid, s.checks,
			s.rsts, s.dropped, virtio_irqs[s.v->index].count);
out:
	if (!vdev_reset(s.v))
		uprintf("probe: virtio %u: reset did not complete\n", s.v->index);
	dma_reset();
	return ok;
}
