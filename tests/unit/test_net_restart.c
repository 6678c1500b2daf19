/* cellvm-net after a restart: the chains its dead predecessor had taken
 * come back first (virtq_pop's resubmit list, filled from the inflight
 * region). A tx chain among them may already have reached the tap, so it
 * is completed unsent and counted (a frame lost, never sent twice); an rx
 * chain is an empty buffer again and is filled as any other. */
#include "test_net_harness.h"

static struct tnet t;

static void fini(void)
{
	tn_fini(&t);
}

TestSuite(net_restart, .fini = fini, .timeout = 30);

/* What a restarted backend's ring looks like: the first n chains the
 * driver offered were taken (last_avail past them) and are to be handed
 * out again. */
static void as_if_taken_by_a_dead_process(struct tring *r, const uint16_t *heads, uint16_t n)
{
	r->vq.resubmit = heads;
	r->vq.resubmit_n = n;
	r->vq.resubmit_pos = 0;
	r->vq.last_avail = n;
}

Test(net_restart, tx_chains_of_the_dead_process_complete_unsent_and_the_rest_go_out)
{
	static uint8_t frame[NET_HDR_LEN + 256];
	uint8_t d[3][64];
	uint16_t heads[3];
	uint32_t id, len;

	tn_init(&t, TN_ALL_FEATURES);
	for (unsigned int i = 0; i < 3; i++) {
		tn_pattern(d[i], sizeof(d[i]), 20 + i);
		heads[i] = tn_tx(&t, 0, &(struct virtio_net_hdr_v1){ 0 }, d[i], sizeof(d[i]));
	}
	as_if_taken_by_a_dead_process(&t.ring[1], heads, 2);
	cr_assert_eq(net_engine_tx(&t.e, 0, &t.ring[1].vq), 3);
	for (unsigned int i = 0; i < 3; i++) {
		cr_assert(tn_used(&t, 1, &id, &len), "chain %u not returned", i);
		cr_assert_eq(id, heads[i], "returned in order");
		cr_assert_eq(len, 0);
	}
	cr_assert_not(tn_used(&t, 1, &id, &len), "each chain returned once");
	cr_assert_eq(tn_host_read(&t, 0, frame, sizeof(frame)), NET_HDR_LEN + 64);
	cr_assert_eq(memcmp(frame + NET_HDR_LEN, d[2], 64), 0, "only the untaken frame is sent");
	cr_assert_eq(tn_host_read(&t, 0, frame, sizeof(frame)), -1, "nothing else reaches the tap");
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_RESTART_LOST), 2);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_DROPPED), 2);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_PACKETS), 1);
}

Test(net_restart, rx_buffers_of_the_dead_process_are_filled_again)
{
	uint8_t d[2][100];
	uint16_t heads[1];
	uint32_t id, len;

	tn_init(&t, TN_ALL_FEATURES);
	uint64_t g0 = tn_rxbuf(&t, 0, 2048);
	uint64_t g1 = tn_rxbuf(&t, 0, 2048);
	/* What the dead process may have left in it: half a frame. */
	memset(tn_hp(&t, g0), 0xee, 2048);
	heads[0] = 0;
	as_if_taken_by_a_dead_process(&t.ring[0], heads, 1);
	for (unsigned int i = 0; i < 2; i++) {
		tn_pattern(d[i], sizeof(d[i]), 30 + i);
		tn_host_send(&t, 0, d[i], sizeof(d[i]));
	}
	net_engine_rx_kick(&t.e, 0);
	cr_assert_eq(net_engine_rx(&t.e, 0, &t.ring[0].vq), 2);
	uint64_t g[2] = { g0, g1 };
	for (unsigned int i = 0; i < 2; i++) {
		cr_assert(tn_used(&t, 0, &id, &len));
		cr_assert_eq(id, i, "the resubmitted buffer is used first");
		cr_assert_eq(len, NET_HDR_LEN + sizeof(d[i]));
		cr_assert_eq(memcmp((uint8_t *)tn_hp(&t, g[i]) + NET_HDR_LEN, d[i], sizeof(d[i])), 0);
	}
	cr_assert_eq(tn_ctr(&t, NET_CTR_RX_PACKETS), 2);
	cr_assert_eq(tn_ctr(&t, NET_CTR_TX_RESTART_LOST), 0);
}
