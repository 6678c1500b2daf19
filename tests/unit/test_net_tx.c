/* cellvm-net, guest -> tap: frames arrive whole with their header, and
 * every hostile chain (short of a header, empty, oversized, offloads not
 * negotiated or pointing outside the frame) goes back to the guest
 * unsent and counted. Backpressure holds the chain instead of dropping. */
#include "test_net_harness.h"

#include <signal.h>
#include <sys/epoll.h>

static struct tnet t;

static void fini(void)
{
	tn_fini(&t);
}

TestSuite(net_tx, .fini = fini, .timeout = 30);

static uint8_t frame[NET_HDR_LEN + NET_MAX_FRAME + 64];

Test(net_tx, a_frame_reaches_the_tap_with_its_header)
{
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 34,
				       .csum_offset = 16 };
	uint8_t data[100];
	uint32_t id, len;

	tn_init(&t, TN_ALL_FEATURES);
	tn_pattern(data, sizeof(data), 1);
	uint16_t head = tn_tx(&t, 0, &h, data, sizeof(data));
	cr_assert_eq(net_engine_tx(&t.e, 0, &t.ring[1].vq), 1);
	cr_assert(tn_used(&t, 1, &id, &len));
	cr_assert_eq(id, head);
	cr_assert_eq(len, 0, "tx buffers are only read");
	cr_assert_eq(tn_host_read(&t, 0, frame, sizeof(frame)), NET_HDR_LEN + 100);
	cr_assert_eq(memcmp(frame, &h, NET_HDR_LEN), 0, "the header goes to the tap as is");
	cr_assert_eq(memcmp(frame + NET_HDR_LEN, data, 100), 0);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_PACKETS), 1);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_BYTES), 100);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_DROPPED), 0);
}

Test(net_tx, a_tso_frame_of_64k_passes_when_negotiated)
{
	static uint8_t data[65000];
	struct virtio_net_hdr_v1 h = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
				       .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .hdr_len = 54,
				       .gso_size = 1448, .csum_start = 34, .csum_offset = 16 };

	tn_init(&t, TN_ALL_FEATURES);
	tn_pattern(data, sizeof(data), 2);
	tn_tx(&t, 0, &h, data, sizeof(data));
	cr_assert_eq(net_engine_tx(&t.e, 0, &t.ring[1].vq), 1);
	cr_assert_eq(tn_host_read(&t, 0, frame, sizeof(frame)), NET_HDR_LEN + (ssize_t)sizeof(data));
	cr_assert_eq(memcmp(frame + NET_HDR_LEN, data, sizeof(data)), 0);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_PACKETS), 1);
}

/* Each is returned, counted under its reason and as dropped, and nothing
 * reaches the tap. */
Test(net_tx, hostile_chains_are_dropped_and_counted)
{
	static uint8_t big[65600];
	uint8_t d[64] = { 0 };
	uint32_t id, len;
	const uint64_t no_tso = TN_ALL_FEATURES & ~((1ull << VIRTIO_NET_F_HOST_TSO4) |
						     (1ull << VIRTIO_NET_F_HOST_TSO6));

	tn_init(&t, no_tso & ~(1ull << VIRTIO_NET_F_CSUM));
	/* shorter than the header: 5 bytes, and 11 over two descriptors */
	uint64_t g = tn_alloc(&t, 16);
	tn_offer(&t, 1, &(struct tseg){ g, 5, false }, 1);
	tn_offer(&t, 1, (struct tseg[]){ { g, 6, false }, { g + 6, 5, false } }, 2);
	/* a header and no frame */
	tn_tx(&t, 0, &(struct virtio_net_hdr_v1){ 0 }, NULL, 0);
	/* a frame beyond the MTU without TSO */
	tn_tx(&t, 0, &(struct virtio_net_hdr_v1){ 0 }, big, 1500 + NET_ETH_OVERHEAD + 1);
	/* offloads not negotiated: checksum, TSO4, TSO6 */
	tn_tx(&t, 0, &(struct virtio_net_hdr_v1){ .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .csum_start = 0, .csum_offset = 4 }, d, 64);
	tn_tx(&t, 0, &(struct virtio_net_hdr_v1){ .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 100 }, d, 64);
	tn_tx(&t, 0, &(struct virtio_net_hdr_v1){ .gso_type = VIRTIO_NET_HDR_GSO_TCPV6, .gso_size = 100 }, d, 64);
	cr_assert_eq(net_engine_tx(&t.e, 0, &t.ring[1].vq), 7);
	for (int i = 0; i < 7; i++) {
		cr_assert(tn_used(&t, 1, &id, &len));
		cr_assert_eq(len, 0);
	}
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_BAD_HEADER), 2);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_BAD_LENGTH), 2);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_BAD_OFFLOAD), 3);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_DROPPED), 7);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_PACKETS), 0);
	cr_assert_eq(tn_host_read(&t, 0, frame, sizeof(frame)), -1, "nothing reached the tap");
	tn_fini(&t);

	/* With every offload negotiated, still: UFO and ECN were never
	 * offered, unknown flags, a checksum outside the frame, GSO without
	 * a segment size or checksum, an oversized TSO frame. */
	tn_init(&t, TN_ALL_FEATURES);
	const struct virtio_net_hdr_v1 bad[] = {
		{ .flags = 1, .gso_type = VIRTIO_NET_HDR_GSO_UDP, .gso_size = 100, .csum_offset = 6 },
		{ .flags = 1, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4 | VIRTIO_NET_HDR_GSO_ECN, .gso_size = 100, .csum_offset = 16 },
		{ .flags = VIRTIO_NET_HDR_F_DATA_VALID },
		{ .flags = 0x80 },
		{ .flags = 1, .csum_start = 60, .csum_offset = 3 },
		{ .flags = 1, .csum_start = 0xffff, .csum_offset = 0xffff },
		{ .flags = 1, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 0, .csum_offset = 16 },
		{ .gso_type = VIRTIO_NET_HDR_GSO_TCPV4, .gso_size = 100 },
		{ .flags = 1, .gso_type = VIRTIO_NET_HDR_GSO_TCPV6, .gso_size = 100, .hdr_len = 65, .csum_offset = 16 },
		{ .gso_type = 0x42 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		tn_tx(&t, 0, &bad[i], d, 64);
	tn_tx(&t, 0, &(struct virtio_net_hdr_v1){ 0 }, big, NET_MAX_FRAME + 1);
	unsigned int n = sizeof(bad) / sizeof(bad[0]) + 1;
	cr_assert_eq(net_engine_tx(&t.e, 0, &t.ring[1].vq), (int)n);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_BAD_OFFLOAD), n - 1);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_BAD_LENGTH), 1);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_DROPPED), n);
	cr_assert_eq(tn_host_read(&t, 0, frame, sizeof(frame)), -1);
	/* and the queue still works */
	tn_tx(&t, 0, &(struct virtio_net_hdr_v1){ 0 }, d, 60);
	cr_assert_eq(net_engine_tx(&t.e, 0, &t.ring[1].vq), 1);
	cr_assert_eq(tn_host_read(&t, 0, frame, sizeof(frame)), NET_HDR_LEN + 60);
}

Test(net_tx, a_malformed_ring_is_reported)
{
	struct virtq_desc *desc;

	tn_init(&t, TN_ALL_FEATURES);
	uint64_t g = tn_alloc(&t, 64);
	uint16_t head = tn_offer(&t, 1, (struct tseg[]){ { g, 32, false }, { g + 32, 32, false } }, 2);
	desc = tn_hp(&t, t.ring[1].base);
	desc[(head + 1) % TN_QN].flags = VIRTQ_DESC_F_NEXT;
	desc[(head + 1) % TN_QN].next = head; /* a loop */
	cr_assert_eq(net_engine_tx(&t.e, 0, &t.ring[1].vq), -EIO);
}

/* The tap (a socket here) is full: the chain is held, not dropped, the
 * tap is polled for room, and everything goes out, in order, once the
 * host reads. */
Test(net_tx, backpressure_holds_frames_and_loses_none)
{
	uint8_t d[1000];
	int small = 4096;
	uint32_t id, len;
	unsigned int sent = 0, got = 0, returned = 0;

	tn_init(&t, TN_ALL_FEATURES);
	cr_assert_eq(setsockopt(t.e.pair[0].tap_fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof(small)), 0);
	for (unsigned int i = 0; i < 100; i++) {
		d[0] = (uint8_t)i;
		tn_tx(&t, 0, &(struct virtio_net_hdr_v1){ 0 }, d, sizeof(d));
	}
	int r = net_engine_tx(&t.e, 0, &t.ring[1].vq);
	cr_assert_gt(r, 0);
	cr_assert_lt(r, 64, "the socket buffer takes only a few");
	returned += (unsigned int)r;
	cr_assert(t.e.pair[0].tx_held);
	cr_assert_geq(tn_ctr(&t, NET_CTR_TX_BACKPRESSURE), 1);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_DROPPED), 0);
	cr_assert_eq(t.e.pair[0].armed & EPOLLOUT, EPOLLOUT, "waiting for room on the tap");
	for (int round = 0; round < 1000 && returned < 100; round++) {
		while (tn_host_read(&t, 0, frame, sizeof(frame)) == NET_HDR_LEN + 1000) {
			cr_assert_eq(frame[NET_HDR_LEN], (uint8_t)got, "frames in order");
			got++;
		}
		uint32_t rx, tx;
		if (!tn_engine_ready(&t, 100))
			continue;
		net_engine_events(&t.e, &rx, &tx);
		if (tx & 1) {
			r = net_engine_tx(&t.e, 0, &t.ring[1].vq);
			cr_assert_geq(r, 0);
			returned += (unsigned int)r;
		}
	}
	while (tn_host_read(&t, 0, frame, sizeof(frame)) == NET_HDR_LEN + 1000)
		got++;
	cr_assert_eq(returned, 100);
	cr_assert_eq(got, 100);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_PACKETS), 100);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_DROPPED), 0);
	cr_assert_not(t.e.pair[0].tx_held);
	while (tn_used(&t, 1, &id, &len))
		sent++;
	cr_assert_eq(sent, 100);
}

/* More than a budget's worth: the engine stops, wakes itself, and the
 * rest goes on the next round. */
Test(net_tx, a_long_queue_is_served_in_budgets)
{
	uint8_t d[60] = { 0 };
	uint32_t rx, tx;

	tn_init(&t, TN_ALL_FEATURES);
	for (unsigned int i = 0; i < NET_BUDGET + 10; i++)
		tn_tx(&t, 0, &(struct virtio_net_hdr_v1){ 0 }, d, sizeof(d));
	cr_assert_eq(net_engine_tx(&t.e, 0, &t.ring[1].vq), NET_BUDGET);
	cr_assert(tn_engine_ready(&t, 0), "woken to come back");
	net_engine_events(&t.e, &rx, &tx);
	cr_assert_eq(tx, 1);
	cr_assert_eq(net_engine_tx(&t.e, 0, &t.ring[1].vq), 10);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_PACKETS), NET_BUDGET + 10);
}

/* The tap refuses a frame (here: its peer is gone, EPIPE): dropped,
 * counted as a tap error, the chain returned, the queue goes on. */
Test(net_tx, a_frame_the_tap_refuses_is_dropped_and_counted)
{
	uint8_t d[64] = { 0 };
	uint32_t id, len;

	signal(SIGPIPE, SIG_IGN); /* as cellvm-net (vu_stop_signalfd) */
	tn_init(&t, TN_ALL_FEATURES);
	close(t.host[0]);
	t.host[0] = -1;
	tn_tx(&t, 0, &(struct virtio_net_hdr_v1){ 0 }, d, sizeof(d));
	tn_tx(&t, 0, &(struct virtio_net_hdr_v1){ 0 }, d, sizeof(d));
	cr_assert_eq(net_engine_tx(&t.e, 0, &t.ring[1].vq), 2);
	cr_assert(tn_used(&t, 1, &id, &len));
	cr_assert(tn_used(&t, 1, &id, &len));
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_ERRORS), 2);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_DROPPED), 2);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_PACKETS), 0);
	cr_assert_not(t.e.pair[0].tx_held, "an error is not backpressure");
}
