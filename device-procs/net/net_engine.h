/* cellvm-net's engine: frames between the guest's virtqueues and the tap
 * queues the core opened, one tap fd per rx/tx queue pair. It works on
 * plain struct virtq rings (the device glue in net_dev.c picks them out
 * of the vhost-user backend), so the unit tests drive it with rings in
 * ordinary memory and a socketpair in place of the tap.
 *
 * The virtio-net header (struct virtio_net_hdr_v1, 12 bytes) is also the
 * tap's vnet header (TUNSETVNETHDRSZ 12), so a frame crosses with its
 * header as it is, after the checks in net_tx.c. The engine's epoll set
 * (net_engine_fd) holds the tap fds and a wake eventfd: a tap is polled
 * for reading only while its rx queue has buffers, and for writing only
 * while a tx frame waits for room. */
#ifndef CELLVM_NET_ENGINE_H
#define CELLVM_NET_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "dev_metrics.h"
#include "net_counters.h"
#include "net_opts.h"
#include "virtq.h"

#define NET_HDR_LEN   12
/* The largest frame either way: a 64 KiB GSO packet behind an Ethernet
 * header with a VLAN tag. */
#define NET_MAX_FRAME (65535 + 14 + 4)
#define NET_ETH_OVERHEAD 18
/* Frames (rx) or chains (tx) handled per queue before the others get a turn. */
#define NET_BUDGET 64
/* Popped rx chains not yet used, per queue: what one GSO frame in small
 * mergeable buffers needs, with room. */
#define NET_STASH_CHAINS 256
#define NET_STASH_IOV    (4 * VIRTQ_MAX_CHAIN_IOV)

struct net_engine_cfg {
	int tap_fds[NET_MAX_PAIRS];    /* the engine owns them */
	unsigned int pairs;
	uint8_t mac[6];
	uint16_t mtu;
	uint32_t tap_offloads;         /* TUN_F_* the tap accepted (net_engine_probe_offloads) */
	bool tap_ioctls;               /* TUNSETOFFLOAD/TUNSETQUEUE on the fds; false in tests */
	struct dev_metrics *metrics;   /* NULL: counters kept locally */
};

struct net_stash {
	uint16_t head;
	unsigned int iov_first, n_iov;
	uint64_t len;
};

struct net_pair {
	int tap_fd;
	uint32_t armed;                /* epoll events registered now */
	bool attached;                 /* tap queue attached (TUNSETQUEUE) */
	/* tx: a chain the tap refused with EAGAIN waits here, popped but not
	 * returned, until the tap is writable again. */
	bool tx_held;
	bool tx_more;                  /* stopped at the budget: resume from the loop */
	struct virtq_chain *tx_chain;
	/* rx: the tap is not polled while the guest has no buffers here. */
	bool rx_wait_buffers;
	uint8_t *rx_frame;             /* header + frame read from the tap, not yet delivered */
	size_t rx_len;
	struct net_stash stash[NET_STASH_CHAINS];
	unsigned int n_stash, stash_niov;
	uint64_t stash_bytes;
	struct iovec *stash_iov;
};

struct net_engine {
	struct net_engine_cfg cfg;
	int epfd, wake_fd;
	uint64_t features;             /* negotiated, as last applied */
	bool features_applied;
	unsigned int active_pairs;     /* VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET; 1 until then */
	struct net_pair pair[NET_MAX_PAIRS];
	struct virtq_chain *scratch;
	uint64_t *ctr;
	uint64_t local_ctr[NET_CTR_COUNT];
};

/* Takes ownership of cfg->tap_fds (closed by fini, even on failure).
 * 0 or -errno. */
int net_engine_init(struct net_engine *e, const struct net_engine_cfg *cfg);
void net_engine_fini(struct net_engine *e);

/* Which of TUN_F_CSUM | TSO4 | TSO6 the tap takes, tried on fd (then
 * switched off again until a guest asks). */
uint32_t net_engine_probe_offloads(int fd);

/* Device feature bits to offer (virtio-net and ring bits). */
uint64_t net_engine_device_features(const struct net_engine *e);
/* The guest's features: the tap's offloads follow them. Cheap when
 * unchanged. */
void net_engine_set_features(struct net_engine *e, uint64_t features);
/* Queue index of the control queue under the negotiated features. */
unsigned int net_engine_ctrl_queue(const struct net_engine *e);

/* Each returns how many chains went back to the guest (the caller
 * notifies), or -EIO when the ring is malformed (the caller marks the
 * device broken). */
int net_engine_tx(struct net_engine *e, unsigned int pair, struct virtq *vq);
int net_engine_rx(struct net_engine *e, unsigned int pair, struct virtq *vq);
int net_engine_ctrl(struct net_engine *e, struct virtq *vq);

/* The guest kicked rx (or its ring just started): poll the tap again. */
void net_engine_rx_kick(struct net_engine *e, unsigned int pair);
/* The rx ring is not usable (not started): stop polling its tap. */
void net_engine_rx_park(struct net_engine *e, unsigned int pair);

/* The epoll set to wait on; after it was readable, net_engine_events
 * reports which pairs have work: bit p of *rx (tap readable), bit p of
 * *tx (tap writable again or tx stopped at its budget). */
int net_engine_fd(const struct net_engine *e);
void net_engine_events(struct net_engine *e, uint32_t *rx, uint32_t *tx);

/* Queue pair (or all, -1) stops or the device resets: chains held or
 * stashed go back unused (length 0) while vq (may be NULL) is still
 * valid, a frame read but not delivered is dropped. */
void net_engine_stop(struct net_engine *e, int pair, struct virtq *rxq, struct virtq *txq);
/* The driver was reset: one active pair, offloads off until negotiated. */
void net_engine_reset(struct net_engine *e);

uint64_t net_engine_counter(const struct net_engine *e, enum net_counter c);

#endif
