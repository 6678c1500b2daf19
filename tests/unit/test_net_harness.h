/* A fake guest for cellvm-net's engine: rings in ordinary memory behind a
 * guest_map (queues rx0, tx0, ..., ctrl), a driver that chains buffers
 * and reads the used rings, and a SOCK_SEQPACKET socketpair per queue
 * pair in place of the tap (one frame per read or write, like a tap).
 * The test holds the "host" end of each. */
#ifndef TEST_NET_HARNESS_H
#define TEST_NET_HARNESS_H

#include <criterion/criterion.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "device-procs/net/net_engine.h"

#define TN_GPA   0x100000ull
#define TN_MEM   (8u << 20)
#define TN_QN    256u
#define TN_RINGS 16
#define TN_DATA  (TN_RINGS * 0x4000u)

struct tring {
	struct virtq vq;
	uint64_t base;
	uint16_t next_desc, avail_idx, used_seen;
};

struct tseg {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

struct tnet {
	uint8_t *mem;
	struct guest_map map;
	uint64_t brk;
	struct net_engine e;
	struct tring ring[TN_RINGS];
	int host[NET_MAX_PAIRS];    /* the test's end of each "tap" */
	unsigned int pairs;
};

static inline void *tn_hp(struct tnet *t, uint64_t gpa)
{
	return t->mem + (gpa - TN_GPA);
}

static inline uint64_t tn_alloc(struct tnet *t, uint32_t len)
{
	uint64_t g = t->brk;

	t->brk += (len + 63u) & ~63u;
	cr_assert_leq(t->brk, TN_GPA + TN_MEM, "test memory exhausted");
	return g;
}

static inline void tn_ring_init(struct tnet *t, unsigned int q, bool event_idx)
{
	struct tring *r = &t->ring[q];

	memset(r, 0, sizeof(*r));
	r->base = TN_GPA + q * 0x4000u;
	cr_assert_eq(virtq_init(&r->vq, &t->map, TN_QN, r->base, r->base + 0x1000, r->base + 0x2000,
				event_idx), 0);
}

static inline void tn_init_full(struct tnet *t, unsigned int pairs, uint32_t offloads,
				uint64_t features, uint16_t mtu)
{
	struct net_engine_cfg cfg = { .pairs = pairs, .mac = { 2, 0, 0, 0, 0, 1 }, .mtu = mtu,
				      .tap_offloads = offloads };

	memset(t, 0, sizeof(*t));
	t->mem = aligned_alloc(4096, TN_MEM);
	cr_assert_not_null(t->mem);
	memset(t->mem, 0, TN_MEM);
	t->map.nr = 1;
	t->map.r[0] = (struct guest_map_region){ .gpa = TN_GPA, .size = TN_MEM,
						 .user_addr = TN_GPA, .host = t->mem };
	t->brk = TN_GPA + TN_DATA;
	t->pairs = pairs;
	for (unsigned int p = 0; p < pairs; p++) {
		int sv[2];
		cr_assert_eq(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv), 0);
		cfg.tap_fds[p] = sv[0];
		t->host[p] = sv[1];
	}
	cr_assert_eq(net_engine_init(&t->e, &cfg), 0);
	net_engine_set_features(&t->e, features);
	for (unsigned int q = 0; q < 2 * pairs + 1; q++)
		tn_ring_init(t, q, false);
}

/* Features a Linux guest takes when everything is offered. */
#define TN_ALL_FEATURES                                                                       \
	((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_MTU) | \
	 (1ull << VIRTIO_NET_F_CSUM) | (1ull << VIRTIO_NET_F_HOST_TSO4) |                         \
	 (1ull << VIRTIO_NET_F_HOST_TSO6) | (1ull << VIRTIO_NET_F_GUEST_CSUM) |                   \
	 (1ull << VIRTIO_NET_F_GUEST_TSO4) | (1ull << VIRTIO_NET_F_GUEST_TSO6) |                  \
	 (1ull << VIRTIO_NET_F_MRG_RXBUF) | (1ull << VIRTIO_NET_F_CTRL_VQ) |                      \
	 (1ull << VIRTIO_NET_F_STATUS))
#define TN_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)

static inline void tn_init(struct tnet *t, uint64_t features)
{
	tn_init_full(t, 1, TN_OFFLOADS, features, 1500);
}

static inline void tn_fini(struct tnet *t)
{
	net_engine_fini(&t->e);
	for (unsigned int p = 0; p < t->pairs; p++)
		if (t->host[p] >= 0)
			close(t->host[p]);
	free(t->mem);
	t->mem = NULL;
}

/* Chains the segments and makes the chain available; returns its head. */
static inline uint16_t tn_offer(struct tnet *t, unsigned int q, const struct tseg *s, unsigned int n)
{
	struct tring *r = &t->ring[q];
	struct virtq_desc *desc = tn_hp(t, r->base);
	struct virtq_avail *avail = tn_hp(t, r->base + 0x1000);
	uint16_t head = r->next_desc;

	for (unsigned int i = 0; i < n; i++) {
		uint16_t idx = (uint16_t)((head + i) % TN_QN);
		desc[idx] = (struct virtq_desc){
			.addr = s[i].gpa, .len = s[i].len,
			.flags = (uint16_t)((s[i].write ? VIRTQ_DESC_F_WRITE : 0) |
					    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0)),
			.next = (uint16_t)((idx + 1) % TN_QN),
		};
	}
	r->next_desc = (uint16_t)((head + n) % TN_QN);
	avail->ring[r->avail_idx % TN_QN] = head;
	__atomic_store_n(&avail->idx, (uint16_t)(r->avail_idx + 1), __ATOMIC_RELEASE);
	r->avail_idx++;
	return head;
}

/* The next used element of queue q, if any. */
static inline bool tn_used(struct tnet *t, unsigned int q, uint32_t *id, uint32_t *len)
{
	struct tring *r = &t->ring[q];
	struct virtq_used *used = tn_hp(t, r->base + 0x2000);

	if (__atomic_load_n(&used->idx, __ATOMIC_ACQUIRE) == r->used_seen)
		return false;
	struct virtq_used_elem el = used->ring[r->used_seen % TN_QN];
	r->used_seen++;
	*id = el.id;
	*len = el.len;
	return true;
}

/* One guest tx frame: a 12-byte header in its own descriptor, then the
 * payload; returns the head. */
static inline uint16_t tn_tx(struct tnet *t, unsigned int pair, const struct virtio_net_hdr_v1 *h,
			     const void *data, uint32_t len)
{
	uint64_t hg = tn_alloc(t, sizeof(*h)), dg = tn_alloc(t, len ? len : 1);
	struct tseg s[2] = { { hg, sizeof(*h), false }, { dg, len, false } };

	memcpy(tn_hp(t, hg), h, sizeof(*h));
	if (len)
		memcpy(tn_hp(t, dg), data, len);
	return tn_offer(t, 2 * pair + 1, s, len ? 2 : 1);
}

/* A guest rx buffer of len bytes; returns its gpa. */
static inline uint64_t tn_rxbuf(struct tnet *t, unsigned int pair, uint32_t len)
{
	uint64_t g = tn_alloc(t, len);
	struct tseg s = { g, len, true };

	tn_offer(t, 2 * pair, &s, 1);
	return g;
}

/* What the host end of the tap got: the frame's length with header, or -1. */
static inline ssize_t tn_host_read(struct tnet *t, unsigned int pair, void *buf, size_t cap)
{
	ssize_t n = read(t->host[pair], buf, cap);
	return n < 0 ? -1 : n;
}

/* The host sends a frame to the guest: header (all zero but flags/gso
 * from h) and payload. */
static inline void tn_host_send(struct tnet *t, unsigned int pair, const void *data, size_t len)
{
	static uint8_t buf[NET_HDR_LEN + NET_MAX_FRAME];

	cr_assert_leq(len, NET_MAX_FRAME);
	memset(buf, 0, NET_HDR_LEN);
	memcpy(buf + NET_HDR_LEN, data, len);
	cr_assert_eq(write(t->host[pair], buf, NET_HDR_LEN + len), (ssize_t)(NET_HDR_LEN + len),
		     "%s", strerror(errno));
}

static inline void tn_pattern(uint8_t *p, size_t n, uint32_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 2654435761u) >> 13 ^ seed);
}

static inline uint64_t tn_ctr(struct tnet *t, enum net_counter c)
{
	return net_engine_counter(&t->e, c);
}

/* Whether the engine's epoll set has something within ms. */
static inline bool tn_engine_ready(struct tnet *t, int ms)
{
	struct pollfd p = { .fd = net_engine_fd(&t->e), .events = POLLIN };
	return poll(&p, 1, ms) == 1;
}

#endif
