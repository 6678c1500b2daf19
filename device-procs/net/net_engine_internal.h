/* What the engine's files share: counters, epoll arming, iovec copies. */
#ifndef CELLVM_NET_ENGINE_INTERNAL_H
#define CELLVM_NET_ENGINE_INTERNAL_H

#include "iov_copy.h"
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


#endif
