/* cellvm-net's control queue, features and config space: VQ_PAIRS_SET is
 * served within the pairs there are, everything else is VIRTIO_NET_ERR,
 * garbage is counted and never crashes. */
#include "test_net_harness.h"

#include "device-procs/net/net_dev.h"

#include <sys/epoll.h>

static struct tnet t;

static void fini(void)
{
	tn_fini(&t);
}

TestSuite(net_ctrl, .fini = fini, .timeout = 30);

#define MQ_FEATURES (TN_ALL_FEATURES | (1ull << VIRTIO_NET_F_MQ))

/* Sends a command (out bytes, then ack_len writable bytes); returns the
 * ack byte, or -1 when the used length says none was written. */
static int ctrl(const void *cmd, uint32_t len, uint32_t ack_len)
{
	unsigned int q = net_engine_ctrl_queue(&t.e);
	uint64_t g = tn_alloc(&t, len + 8);
	uint32_t id, used_len;
	struct tseg s[2];
	unsigned int n = 0;

	if (len)
		memcpy(tn_hp(&t, g), cmd, len);
	memset(tn_hp(&t, g + len), 0xee, 8);
	if (len)
		s[n++] = (struct tseg){ g, len, false };
	if (ack_len)
		s[n++] = (struct tseg){ g + len, ack_len, true };
	tn_offer(&t, q, s, n);
	cr_assert_eq(net_engine_ctrl(&t.e, &t.ring[q].vq), 1);
	cr_assert(tn_used(&t, q, &id, &used_len));
	if (used_len == 0)
		return -1;
	cr_assert_eq(used_len, 1);
	return *(uint8_t *)tn_hp(&t, g + len);
}

Test(net_ctrl, pairs_set_within_the_pairs_there_are)
{
	tn_init_full(&t, 2, TN_OFFLOADS, MQ_FEATURES, 1500);
	cr_assert_eq(net_engine_ctrl_queue(&t.e), 4);
	cr_assert_eq(t.e.active_pairs, 1, "one pair until the guest asks");
	cr_assert_not(t.e.pair[1].attached);
	cr_assert_eq(ctrl((uint8_t[]){ VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0 }, 4, 1),
		     VIRTIO_NET_OK);
	cr_assert_eq(t.e.active_pairs, 2);
	cr_assert(t.e.pair[1].attached);
	cr_assert_eq(t.e.pair[1].armed & EPOLLIN, EPOLLIN,
		     "a pair coming back polls its tap: its buffers may be posted already");
	cr_assert_eq(ctrl((uint8_t[]){ VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 3, 0 }, 4, 1),
		     VIRTIO_NET_ERR);
	cr_assert_eq(ctrl((uint8_t[]){ VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 0, 0 }, 4, 1),
		     VIRTIO_NET_ERR);
	cr_assert_eq(ctrl((uint8_t[]){ VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 1, 0 }, 4, 1),
		     VIRTIO_NET_OK);
	cr_assert_eq(t.e.active_pairs, 1);
	cr_assert_not(t.e.pair[1].attached);
	cr_assert_eq(tn_ctr(&t, NET_CTR_CTRL_OK), 2);
	cr_assert_eq(tn_ctr(&t, NET_CTR_CTRL_ERRORS), 2);
}

Test(net_ctrl, garbage_gets_an_error_and_is_counted)
{
	tn_init_full(&t, 2, TN_OFFLOADS, MQ_FEATURES, 1500);
	/* other classes: rx mode, mac, vlan, announce, offloads */
	for (uint8_t cls = 0; cls < 6; cls++) {
		if (cls == VIRTIO_NET_CTRL_MQ)
			continue;
		cr_assert_eq(ctrl((uint8_t[]){ cls, 0, 1, 0 }, 4, 1), VIRTIO_NET_ERR, "class %u", cls);
	}
	/* MQ commands other than PAIRS_SET (RSS, hash config) */
	cr_assert_eq(ctrl((uint8_t[]){ VIRTIO_NET_CTRL_MQ, 1, 1, 0 }, 4, 1), VIRTIO_NET_ERR);
	/* too short, too long, no command at all */
	cr_assert_eq(ctrl((uint8_t[]){ VIRTIO_NET_CTRL_MQ, 0, 1 }, 3, 1), VIRTIO_NET_ERR);
	cr_assert_eq(ctrl((uint8_t[]){ VIRTIO_NET_CTRL_MQ, 0, 1, 0, 0 }, 5, 1), VIRTIO_NET_ERR);
	cr_assert_eq(ctrl((uint8_t[]){ 0xff }, 1, 1), VIRTIO_NET_ERR);
	cr_assert_eq(ctrl(NULL, 0, 1), VIRTIO_NET_ERR);
	/* nowhere to answer: returned with nothing written */
	cr_assert_eq(ctrl((uint8_t[]){ VIRTIO_NET_CTRL_MQ, 0, 1, 0 }, 4, 0), -1);
	cr_assert_eq(tn_ctr(&t, NET_CTR_CTRL_OK), 0);
	cr_assert_eq(tn_ctr(&t, NET_CTR_CTRL_ERRORS), 11);
	cr_assert_eq(t.e.active_pairs, 1);
}

Test(net_ctrl, without_mq_the_control_queue_is_the_third_and_refuses_pairs)
{
	tn_init_full(&t, 2, TN_OFFLOADS, TN_ALL_FEATURES, 1500);
	cr_assert_eq(net_engine_ctrl_queue(&t.e), 2);
	cr_assert_eq(ctrl((uint8_t[]){ VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, 2, 0 }, 4, 1),
		     VIRTIO_NET_ERR);
	cr_assert_eq(t.e.active_pairs, 1);
}

Test(net_ctrl, features_follow_the_tap_and_the_pairs)
{
	tn_init_full(&t, 1, 0, 0, 1500);
	uint64_t f = net_engine_device_features(&t.e);
	cr_assert(f & (1ull << VIRTIO_NET_F_CSUM), "the tap takes any frame we write");
	cr_assert(f & (1ull << VIRTIO_NET_F_HOST_TSO4));
	cr_assert_not(f & (1ull << VIRTIO_NET_F_GUEST_CSUM), "the tap offered no offloads");
	cr_assert_not(f & (1ull << VIRTIO_NET_F_GUEST_TSO4));
	cr_assert_not(f & (1ull << VIRTIO_NET_F_MQ), "one pair");
	cr_assert(f & (1ull << VIRTIO_NET_F_CTRL_VQ));
	cr_assert(f & (1ull << VIRTIO_NET_F_MRG_RXBUF));
	cr_assert(f & (1ull << VIRTIO_F_VERSION_1));
	cr_assert_not(f & (1ull << VIRTIO_NET_F_GUEST_UFO));
	cr_assert_not(f & (1ull << VIRTIO_NET_F_HOST_UFO));
	tn_fini(&t);

	tn_init_full(&t, 3, TUN_F_CSUM | TUN_F_TSO4, 0, 9000);
	f = net_engine_device_features(&t.e);
	cr_assert(f & (1ull << VIRTIO_NET_F_GUEST_CSUM));
	cr_assert(f & (1ull << VIRTIO_NET_F_GUEST_TSO4));
	cr_assert_not(f & (1ull << VIRTIO_NET_F_GUEST_TSO6));
	cr_assert(f & (1ull << VIRTIO_NET_F_MQ));

	uint8_t cfg[12];
	net_dev_config(&t.e, cfg);
	cr_assert_eq(memcmp(cfg, (uint8_t[]){ 2, 0, 0, 0, 0, 1 }, 6), 0, "mac");
	cr_assert_eq(cfg[6] | cfg[7] << 8, VIRTIO_NET_S_LINK_UP);
	cr_assert_eq(cfg[8] | cfg[9] << 8, 3, "max_virtqueue_pairs");
	cr_assert_eq(cfg[10] | cfg[11] << 8, 9000, "mtu");
}
