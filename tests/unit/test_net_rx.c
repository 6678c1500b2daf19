/* cellvm-net, tap -> guest: frames land in guest buffers with
 * num_buffers set, spread over mergeable buffers when they must be; the
 * tap is not polled while the guest has no buffers, and a frame already
 * read waits for buffers rather than being lost; hostile buffers go back
 * counted. */
#include "test_net_harness.h"

#include <sys/epoll.h>

static struct tnet t;

static void fini(void)
{
	tn_fini(&t);
}

TestSuite(net_rx, .fini = fini, .timeout = 30);

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

Test(net_rx, a_frame_lands_in_one_buffer)
{
	uint8_t d[200];
	uint32_t id, len;

	tn_init(&t, TN_ALL_FEATURES);
	uint64_t g = tn_rxbuf(&t, 0, 2048);
	tn_pattern(d, sizeof(d), 7);
	tn_host_send(&t, 0, d, sizeof(d));
	net_engine_rx_kick(&t.e, 0);
	cr_assert_eq(net_engine_rx(&t.e, 0, &t.ring[0].vq), 1);
	cr_assert(tn_used(&t, 0, &id, &len));
	cr_assert_eq(len, NET_HDR_LEN + sizeof(d));
	uint8_t *b = tn_hp(&t, g);
	cr_assert_eq(rd16(b + 10), 1, "num_buffers");
	cr_assert_eq(memcmp(b + NET_HDR_LEN, d, sizeof(d)), 0);
	cr_assert_eq(tn_ctr(&t, NET_CTR_RX_PACKETS), 1);
	cr_assert_eq(tn_ctr(&t, NET_CTR_RX_BYTES), sizeof(d));
	/* the tap is drained and stays polled: the guest has buffers */
	cr_assert_eq(net_engine_rx(&t.e, 0, &t.ring[0].vq), 0);
}

Test(net_rx, a_64k_frame_spreads_over_mergeable_buffers)
{
	static uint8_t d[65000], back[65000];
	uint32_t id, len;
	uint64_t g[64];
	const unsigned int bufsz = 1536;

	tn_init(&t, TN_ALL_FEATURES);
	for (unsigned int i = 0; i < 64; i++)
		g[i] = tn_rxbuf(&t, 0, bufsz);
	tn_pattern(d, sizeof(d), 9);
	tn_host_send(&t, 0, d, sizeof(d));
	unsigned int need = (NET_HDR_LEN + sizeof(d) + bufsz - 1) / bufsz;
	cr_assert_eq(net_engine_rx(&t.e, 0, &t.ring[0].vq), (int)need);
	cr_assert_eq(rd16(tn_hp(&t, g[0]) + 10), need, "num_buffers in the first buffer's header");
	size_t off = 0;
	for (unsigned int i = 0; i < need; i++) {
		cr_assert(tn_used(&t, 0, &id, &len));
		uint8_t *b = tn_hp(&t, g[i]);
		size_t skip = i == 0 ? NET_HDR_LEN : 0;
		cr_assert_eq(len, i + 1 < need ? bufsz : (NET_HDR_LEN + sizeof(d)) - (size_t)bufsz * i);
		memcpy(back + off, b + skip, len - skip);
		off += len - skip;
	}
	cr_assert_eq(off, sizeof(d));
	cr_assert_eq(memcmp(back, d, sizeof(d)), 0);
	cr_assert_not(tn_used(&t, 0, &id, &len));
}

/* The guest posted nothing: no read, the tap leaves the epoll set, and
 * nothing spins. A kick with buffers brings the frame in. */
Test(net_rx, no_buffers_means_the_tap_is_not_polled)
{
	uint8_t d[100] = { 1, 2, 3 };
	uint32_t id, len;

	tn_init(&t, TN_ALL_FEATURES);
	tn_host_send(&t, 0, d, sizeof(d));
	net_engine_rx_kick(&t.e, 0);
	cr_assert(tn_engine_ready(&t, 0), "the tap is readable and polled");
	cr_assert_eq(net_engine_rx(&t.e, 0, &t.ring[0].vq), 0);
	cr_assert_eq(tn_ctr(&t, NET_CTR_RX_NO_BUFFERS), 1);
	cr_assert(t.e.pair[0].rx_wait_buffers);
	cr_assert_eq(t.e.pair[0].armed, 0);
	cr_assert_not(tn_engine_ready(&t, 50), "a readable tap no longer wakes the engine");
	cr_assert_eq(tn_ctr(&t, NET_CTR_RX_PACKETS), 0);

	uint64_t g = tn_rxbuf(&t, 0, 2048);
	net_engine_rx_kick(&t.e, 0);
	cr_assert_eq(net_engine_rx(&t.e, 0, &t.ring[0].vq), 1);
	cr_assert(tn_used(&t, 0, &id, &len));
	cr_assert_eq(len, NET_HDR_LEN + sizeof(d));
	cr_assert_eq(memcmp((uint8_t *)tn_hp(&t, g) + NET_HDR_LEN, d, sizeof(d)), 0);
	cr_assert_eq(tn_ctr(&t, NET_CTR_RX_DROPPED), 0);
}

/* Mergeable buffers run out in the middle of a frame: it waits, whole,
 * for the rest, and the chains already taken are not returned early. */
Test(net_rx, a_frame_read_waits_for_enough_buffers)
{
	static uint8_t d[4000];
	uint32_t id, len;

	tn_init(&t, TN_ALL_FEATURES);
	uint64_t g0 = tn_rxbuf(&t, 0, 1536);
	tn_pattern(d, sizeof(d), 3);
	tn_host_send(&t, 0, d, sizeof(d));
	cr_assert_eq(net_engine_rx(&t.e, 0, &t.ring[0].vq), 0);
	cr_assert_not(tn_used(&t, 0, &id, &len), "no partial frame reaches the guest");
	cr_assert_eq(t.e.pair[0].rx_len, NET_HDR_LEN + sizeof(d));
	cr_assert(t.e.pair[0].rx_wait_buffers);
	tn_rxbuf(&t, 0, 1536);
	tn_rxbuf(&t, 0, 1536);
	net_engine_rx_kick(&t.e, 0);
	cr_assert_eq(net_engine_rx(&t.e, 0, &t.ring[0].vq), 3);
	cr_assert_eq(rd16((uint8_t *)tn_hp(&t, g0) + 10), 3);
	cr_assert_eq(tn_ctr(&t, NET_CTR_RX_PACKETS), 1);
	cr_assert_eq(tn_ctr(&t, NET_CTR_RX_DROPPED), 0);
}

Test(net_rx, hostile_buffers_go_back_counted)
{
	uint8_t d[1000] = { 0 };
	uint32_t id, len;
	const uint64_t no_mrg = TN_ALL_FEATURES & ~(1ull << VIRTIO_NET_F_MRG_RXBUF);

	tn_init(&t, no_mrg);
	/* a chain with a device-readable part, one shorter than the header */
	uint64_t g = tn_alloc(&t, 4096);
	tn_offer(&t, 0, (struct tseg[]){ { g, 100, false }, { g + 100, 2000, true } }, 2);
	tn_offer(&t, 0, &(struct tseg){ g + 2200, NET_HDR_LEN - 1, true }, 1);
	/* without mergeable buffers a frame needs one chain: this one is
	 * too small for it (dropped), the next frame fits */
	tn_offer(&t, 0, &(struct tseg){ g + 2300, 500, true }, 1);
	tn_host_send(&t, 0, d, sizeof(d));
	tn_host_send(&t, 0, d, 100);
	cr_assert_eq(net_engine_rx(&t.e, 0, &t.ring[0].vq), 3);
	cr_assert(tn_used(&t, 0, &id, &len));
	cr_assert_eq(len, 0);
	cr_assert(tn_used(&t, 0, &id, &len));
	cr_assert_eq(len, 0);
	cr_assert(tn_used(&t, 0, &id, &len));
	cr_assert_eq(len, NET_HDR_LEN + 100);
	cr_assert_eq(rd16((uint8_t *)tn_hp(&t, g + 2300) + 10), 1, "num_buffers is 1 without MRG_RXBUF");
	cr_assert_eq(tn_ctr(&t, NET_CTR_RX_BAD_BUFFER), 2);
	cr_assert_eq(tn_ctr(&t, NET_CTR_RX_DROPPED), 1);
	cr_assert_eq(tn_ctr(&t, NET_CTR_RX_PACKETS), 1);
}

Test(net_rx, runts_from_the_tap_are_counted)
{
	uint8_t runt[NET_HDR_LEN] = { 0 };
	uint32_t id, len;

	tn_init(&t, TN_ALL_FEATURES);
	tn_rxbuf(&t, 0, 2048);
	cr_assert_eq(write(t.host[0], runt, 5), 5);
	cr_assert_eq(write(t.host[0], runt, NET_HDR_LEN), NET_HDR_LEN, "a header, no frame");
	cr_assert_eq(net_engine_rx(&t.e, 0, &t.ring[0].vq), 0);
	cr_assert_eq(tn_ctr(&t, NET_CTR_RX_ERRORS), 2);
	cr_assert_not(tn_used(&t, 0, &id, &len), "the buffer is kept for a real frame");
	uint8_t d[64] = { 5 };
	tn_host_send(&t, 0, d, sizeof(d));
	cr_assert_eq(net_engine_rx(&t.e, 0, &t.ring[0].vq), 1);
}

/* A reset gives stashed buffers back unused and forgets a waiting frame. */
Test(net_rx, stop_returns_stashed_buffers)
{
	static uint8_t d[4000];
	uint32_t id, len;

	tn_init(&t, TN_ALL_FEATURES);
	tn_rxbuf(&t, 0, 1536);
	tn_host_send(&t, 0, d, sizeof(d));
	cr_assert_eq(net_engine_rx(&t.e, 0, &t.ring[0].vq), 0);
	net_engine_stop(&t.e, 0, &t.ring[0].vq, &t.ring[1].vq);
	cr_assert(tn_used(&t, 0, &id, &len));
	cr_assert_eq(len, 0);
	cr_assert_eq(tn_ctr(&t, NET_CTR_RX_DROPPED), 1);
	cr_assert_eq(t.e.pair[0].n_stash, 0);
	cr_assert_eq(t.e.pair[0].rx_len, 0);
}
