/* net: drives the first virtio-net device (5.1) with hostile chains and
 * checks every answer. Features taken: MAC, MTU, STATUS, MRG_RXBUF,
 * CTRL_VQ (and the ring features), deliberately not CSUM or any TSO, so
 * the offload fields of a frame are hostile by definition. Queues: rx 0,
 * tx 1, ctrl 2.
 *
 * Every tx chain must come back (used) whatever it holds: shorter than
 * the 12-byte header (in one and in two descriptors, and device-writable
 * only), a header and no frame, a frame beyond MTU + 18, a checksum
 * request, TSO4 and UFO frames, unknown flags; then three good frames
 * (broadcast, ethertype 0x88b5) that go to the tap. The host test reads
 * the device's counters for the rest. The control queue answers
 * VIRTIO_NET_ERR to an rx-mode command, to PAIRS_SET without MQ and to a
 * one-byte command, and returns a command with no room for its answer
 * unwritten. Rx buffers with a readable part or no room for the header
 * come back unused. */
#include "virtio.h"

#define VIRTIO_ID_NET 1
#define HDR 12
#define NRX 16
#define RXLEN 2048
#define TIMEOUT_US 10000000
#define F_MAC 5
#define F_MTU 3
#define F_MRG_RXBUF 15
#define F_STATUS 16
#define F_CTRL_VQ 17

struct ns {
	struct vdev *v;
	struct virtq rx, tx, ctrl;
	struct vwaiter w;
	uint8_t mac[6];
	uint8_t *txbuf, *ctrlbuf, *rxbuf[NRX + 2];
	uint32_t checks;
};

static bool ns_fail(const char *why, uint64_t a, uint64_t b)
{
	uprintf("PROBE net fail reason=%s expected=%lu got=%lu\n", why, a, b);
	return false;
}

/* Waits until q gives back a used chain; its used length in *len. */
static void *wait_used(struct ns *s, struct virtq *q, uint32_t *len)
{
	uint64_t deadline = rdtsc() + us_tsc(TIMEOUT_US);
	void *t;

	while (!(t = vq_get(q, len))) {
		if (q->broken || (int64_t)(rdtsc() - deadline) > 0) {
			ns_fail(q->broken ? q->broken_why : "timeout", q->index, 0);
			return NULL;
		}
		vwait_once(&s->w);
	}
	return t;
}

/* One tx chain of txbuf cut in parts (0-ended), device-readable unless
 * `writable`; it must come back with length 0. */
static bool tx(struct ns *s, const char *what, const uint32_t *cut, bool writable)
{
	struct vq_buf b[4];
	unsigned n = 0;
	uint64_t off = 0;
	uint32_t len;

	for (; cut[n] && n < 4; n++) {
		b[n] = (struct vq_buf){ (uint64_t)s->txbuf + off, cut[n], writable };
		off += cut[n];
	}
	if (!vq_add(&s->tx, b, n, s->txbuf))
		return ns_fail("tx-ring-full", 0, 0);
	vq_kick(&s->tx);
	if (wait_used(s, &s->tx, &len) != s->txbuf)
		return ns_fail(what, 1, 0);
	if (len != 0)
		return ns_fail(what, 0, len);
	s->checks++;
	return true;
}

/* A header (flags, gso) and a frame of len bytes to everyone, from us. */
static bool frame(struct ns *s, const char *what, uint8_t flags, uint8_t gso, uint32_t len)
{
	uint8_t *h = s->txbuf;

	memset(h, 0, HDR);
	h[0] = flags;
	h[1] = gso;
	h[4] = 100; /* gso_size */
	h[8] = 16;  /* csum_offset */
	uint8_t *f = h + HDR;
	memset(f, 0xff, 6);
	memcpy(f + 6, s->mac, 6);
	f[12] = 0x88;
	f[13] = 0xb5;
	for (uint32_t i = 14; i < len; i++)
		f[i] = (uint8_t)i;
	uint32_t cut[3] = { HDR, len, 0 };
	return tx(s, what, len ? cut : (uint32_t[]){ HDR, 0 }, false);
}

/* A control command: out bytes, then `ack` writable bytes (0: none);
 * returns the answer byte, or -1 when the device wrote none. */
static int ctrl(struct ns *s, const uint8_t *cmd, uint32_t n, uint32_t ack)
{
	struct vq_buf b[2];
	unsigned k = 0;
	uint32_t len;

	memcpy(s->ctrlbuf, cmd, n);
	s->ctrlbuf[n] = 0xee;
	b[k++] = (struct vq_buf){ (uint64_t)s->ctrlbuf, n, false };
	if (ack)
		b[k++] = (struct vq_buf){ (uint64_t)s->ctrlbuf + n, ack, true };
	if (!vq_add(&s->ctrl, b, k, s->ctrlbuf))
		return -2;
	vq_kick(&s->ctrl);
	if (wait_used(s, &s->ctrl, &len) != s->ctrlbuf)
		return -2;
	return len == 1 ? s->ctrlbuf[n] : (len == 0 ? -1 : -3);
}

static bool net_hostile(struct ns *s)
{
	uint32_t len;

	if (!tx(s, "tx-5-bytes", (uint32_t[]){ 5, 0 }, false) ||
	    !tx(s, "tx-11-bytes-in-two", (uint32_t[]){ 6, 5, 0 }, false) ||
	    !tx(s, "tx-writable-only", (uint32_t[]){ 64, 0 }, true) ||
	    !frame(s, "tx-no-frame", 0, 0, 0) ||
	    !frame(s, "tx-beyond-mtu", 0, 0, 1500 + 18 + 1) ||
	    !frame(s, "tx-csum-not-negotiated", 1, 0, 64) ||
	    !frame(s, "tx-tso4-not-negotiated", 1, 1, 64) ||
	    !frame(s, "tx-ufo", 1, 3, 64) ||
	    !frame(s, "tx-unknown-flags", 0x80, 0, 64))
		return false;
	for (int i = 0; i < 3; i++)
		if (!frame(s, "tx-good", 0, 0, 60 + (uint32_t)i))
			return false;

	static const struct { const char *what; uint8_t cmd[4]; uint32_t n, ack; int want; } c[] = {
		{ "ctrl-rx-promisc", { 0, 0, 1 }, 3, 1, 1 },
		{ "ctrl-mq-without-mq", { 4, 0, 1, 0 }, 4, 1, 1 },
		{ "ctrl-one-byte", { 4 }, 1, 1, 1 },
		{ "ctrl-no-ack", { 4, 0, 1, 0 }, 4, 0, -1 },
		{ "ctrl-unknown-class", { 0x7f, 0x7f }, 2, 1, 1 },
	};
	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		int r = ctrl(s, c[i].cmd, c[i].n, c[i].ack);
		if (r != c[i].want)
			return ns_fail(c[i].what, (uint64_t)(int64_t)c[i].want, (uint64_t)(int64_t)r);
		s->checks++;
	}

	/* Two bad rx buffers first, then good ones: the bad come back with
	 * nothing written; the host's own frames (IPv6 chatter on the tap)
	 * may fill good ones meanwhile, each with a header and a frame. */
	struct vq_buf bad1[2] = { { (uint64_t)s->rxbuf[NRX], 64, false },
				  { (uint64_t)s->rxbuf[NRX] + 64, 1024, true } };
	struct vq_buf bad2 = { (uint64_t)s->rxbuf[NRX + 1], HDR - 1, true };
	if (!vq_add(&s->rx, bad1, 2, s->rxbuf[NRX]) || !vq_add(&s->rx, &bad2, 1, s->rxbuf[NRX + 1]))
		return ns_fail("rx-setup", 0, 0);
	for (int i = 0; i < NRX; i++) {
		struct vq_buf b = { (uint64_t)s->rxbuf[i], RXLEN, true };
		if (!vq_add(&s->rx, &b, 1, s->rxbuf[i]))
			return ns_fail("rx-setup", NRX, (uint64_t)i);
	}
	vq_kick(&s->rx);
	unsigned bad_back = 0, frames = 0;
	while (bad_back < 2) {
		uint8_t *b = wait_used(s, &s->rx, &len);
		if (!b)
			return false;
		if (b == s->rxbuf[NRX] || b == s->rxbuf[NRX + 1]) {
			if (len != 0)
				return ns_fail("rx-bad-buffer-written", 0, len);
			bad_back++;
			continue;
		}
		if (len < HDR + 14 || len > RXLEN || (b[10] | b[11] << 8) != 1)
			return ns_fail("rx-frame", HDR + 14, len);
		frames++;
	}
	s->checks += 2;
	uprintf("PROBE net rx frames-meanwhile=%u\n", frames);
	return true;
}

bool scenario_net(void)
{
	static struct ns s;
	const char *why;
	bool ok = false;

	memset(&s, 0, sizeof(s));
	s.v = vdev_find(VIRTIO_ID_NET, 0);
	if (!s.v)
		return ns_fail("no-device", 1, 0);
	dma_reset();
	uint64_t want = virtio_ring_features_wanted() | VFBIT(F_MAC) | VFBIT(F_MTU) |
			VFBIT(F_MRG_RXBUF) | VFBIT(F_STATUS) | VFBIT(F_CTRL_VQ);
	if (vdev_negotiate(s.v, want, &why) < 0 || vq_setup(&s.rx, s.v, 0, 64, &why) < 0 ||
	    vq_setup(&s.tx, s.v, 1, 64, &why) < 0 || vq_setup(&s.ctrl, s.v, 2, 16, &why) < 0 ||
	    vdev_driver_ok(s.v, &why) < 0) {
		ns_fail(why, 0, 0);
		goto out;
	}
	if ((s.v->features & want) != want) {
		ns_fail("features", want, s.v->features);
		goto out;
	}
	uint64_t lo = vdev_config(s.v, 0, 8), hi = vdev_config(s.v, 8, 4);
	for (int i = 0; i < 6; i++)
		s.mac[i] = (uint8_t)(lo >> (8 * i));
	unsigned status = (unsigned)(lo >> 48) & 0xffff, pairs = (unsigned)hi & 0xffff,
		 mtu = (unsigned)(hi >> 16) & 0xffff;
	s.txbuf = dma_alloc(HDR + 2048, 64);
	s.ctrlbuf = dma_alloc(64, 64);
	for (int i = 0; i < NRX + 2; i++)
		s.rxbuf[i] = dma_alloc(RXLEN, 64);
	if (!s.txbuf || !s.ctrlbuf || !s.rxbuf[NRX + 1]) {
		ns_fail("dma", 0, 0);
		goto out;
	}
	vwait_begin(&s.w, true);
	ok = net_hostile(&s);
	vwait_end(&s.w);
	if (ok)
		uprintf("PROBE net ok mac=%02x:%02x:%02x:%02x:%02x:%02x status=%u pairs=%u mtu=%u "
			"checks=%u irqs=%lu\n",
			s.mac[0], s.mac[1], s.mac[2], s.mac[3], s.mac[4], s.mac[5], status, pairs, mtu,
			s.checks, virtio_irqs[s.v->index].count);
out:
	if (!vdev_reset(s.v))
		uprintf("probe: virtio %u: reset did not complete\n", s.v->index);
	dma_reset();
	return ok;
}
