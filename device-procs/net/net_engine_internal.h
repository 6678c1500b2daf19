/* What the engine's files share: counters, epoll arming, iovec copies. */
#ifndef CELLVM_NET_ENGINE_INTERNAL_H
#define CELLVM_NET_ENGINE_INTERNAL_H

#include "net_engine.h"

static inline void net_count(struct net_engine *e, enum net_counter c, uint64_t n)
{
	dev_metrics_add(&e->ctr[c], n);
}

static inline bool net_has(const struct net_engine *e, unsigned int bit)
{
	return (e->features >> bit) & 1;
}

/* Registers with epoll what pair p needs now. */
void net_engine_arm(struct net_engine *e, unsigned int p);
/* VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET: n pairs (1..cfg.pairs) get frames. */
void net_engine_set_pairs(struct net_engine *e, unsigned int n);
/* Makes the engine's fd readable so the loop comes back. */
void net_engine_wake(struct net_engine *e);

/* Copies up to len bytes starting at offset off of the iovecs into dst;
 * returns how many. */
size_t net_iov_read(const struct iovec *iov, unsigned int n, size_t off, void *dst, size_t len);
/* Copies src into the iovecs starting at offset off; returns how many fit. */
size_t net_iov_write(const struct iovec *iov, unsigned int n, size_t off, const void *src,
		     size_t len);

#endif
