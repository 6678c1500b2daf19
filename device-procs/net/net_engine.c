/* The engine's setup, its epoll set, features and offloads, queue pairs
 * and resets. Frames move in net_tx.c and net_rx.c, control commands in
 * net_ctrl.c. */
#include "net_engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <net/if.h>

#define WAKE_TAG UINT64_MAX

uint64_t net_engine_counter(const struct net_engine *e, enum net_counter c)
{
	return dev_metrics_get(&e->ctr[c]);
}

uint32_t net_engine_probe_offloads(int fd)
{
	static const uint32_t tries[] = { TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6,
					  TUN_F_CSUM | TUN_F_TSO4, TUN_F_CSUM };
	uint32_t ok = 0;

	for (unsigned int i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tries[i]) == 0) {
			ok = tries[i];
			break;
		}
	}
	/* Nothing the guest has not asked for reaches it. */
	ioctl(fd, TUNSETOFFLOAD, 0ul);
	return ok;
}

uint64_t net_engine_device_features(const struct net_engine *e)
{
	uint64_t f = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_EVENT_IDX) |
		     (1ull << VIRTIO_RING_F_INDIRECT_DESC) | (1ull << VIRTIO_NET_F_MAC) |
		     (1ull << VIRTIO_NET_F_MTU) | (1ull << VIRTIO_NET_F_STATUS) |
		     (1ull << VIRTIO_NET_F_CSUM) | (1ull << VIRTIO_NET_F_HOST_TSO4) |
		     (1ull << VIRTIO_NET_F_HOST_TSO6) | (1ull << VIRTIO_NET_F_MRG_RXBUF) |
		     (1ull << VIRTIO_NET_F_CTRL_VQ);
	uint32_t t = e->cfg.tap_offloads;

	/* The tap writes any GSO frame we hand it (HOST_*), but gives us
	 * partial checksums and GSO frames only for the offloads it took. */
	if (t & TUN_F_CSUM) {
		f |= 1ull << VIRTIO_NET_F_GUEST_CSUM;
		if (t & TUN_F_TSO4)
			f |= 1ull << VIRTIO_NET_F_GUEST_TSO4;
		if (t & TUN_F_TSO6)
			f |= 1ull << VIRTIO_NET_F_GUEST_TSO6;
	}
	if (e->cfg.pairs > 1)
		f |= 1ull << VIRTIO_NET_F_MQ;
	return f;
}

unsigned int net_engine_ctrl_queue(const struct net_engine *e)
{
	return net_has(e, VIRTIO_NET_F_MQ) ? 2 * e->cfg.pairs : 2;
}

/* Only the first `active` tap queues get frames from the kernel: a queue
 * the guest does not serve would hold its flows' frames forever. */
static void net_engine_attach_queues(struct net_engine *e)
{
	for (unsigned int p = 0; p < e->cfg.pairs; p++) {
		bool want = p < e->active_pairs;
		struct net_pair *q = &e->pair[p];
		if (q->attached != want && e->cfg.tap_ioctls && e->cfg.pairs > 1) {
			struct ifreq ifr = { .ifr_flags = want ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE };
			/* EINVAL: the queue is in that state already, as a
			 * restarted cellvm-net finds the fds its predecessor
			 * detached (the state belongs to the open file). */
			if (ioctl(q->tap_fd, TUNSETQUEUE, &ifr) < 0 && errno != EINVAL)
				continue;
		}
		/* A pair coming back may have buffers posted (and kicked) while
		 * it was detached: its tap is polled at once, and the rx pass
		 * parks it again if the ring is empty. */
		if (want && !q->attached)
			q->rx_wait_buffers = false;
		q->attached = want;
		net_engine_arm(e, p);
	}
}

void net_engine_set_features(struct net_engine *e, uint64_t features)
{
	uint32_t t = 0;

	if (e->features_applied && e->features == features)
		return;
	e->features = features;
	e->features_applied = true;
	if (net_has(e, VIRTIO_NET_F_GUEST_CSUM)) {
		t |= TUN_F_CSUM;
		if (net_has(e, VIRTIO_NET_F_GUEST_TSO4))
			t |= TUN_F_TSO4;
		if (net_has(e, VIRTIO_NET_F_GUEST_TSO6))
			t |= TUN_F_TSO6;
	}
	t &= e->cfg.tap_offloads;
	if (e->cfg.tap_ioctls)
		ioctl(e->pair[0].tap_fd, TUNSETOFFLOAD, (unsigned long)t);
}

void net_engine_arm(struct net_engine *e, unsigned int p)
{
	struct net_pair *q = &e->pair[p];
	uint32_t want = 0;

	if (q->attached) {
		if (!q->rx_wait_buffers)
			want |= EPOLLIN;
		if (q->tx_held)
			want |= EPOLLOUT;
	}
	if (want == q->armed)
		return;
	struct epoll_event ev = { .events = want, .data.u64 = p };
	/* A registered fd with no events stays quiet: MOD, never DEL/ADD. */
	epoll_ctl(e->epfd, EPOLL_CTL_MOD, q->tap_fd, &ev);
	q->armed = want;
}

void net_engine_wake(struct net_engine *e)
{
	uint64_t one = 1;

	if (write(e->wake_fd, &one, sizeof(one)) < 0) {
		/* The counter is already non-zero: the loop comes back anyway. */
	}
}

int net_engine_fd(const struct net_engine *e)
{
	return e->epfd;
}

void net_engine_events(struct net_engine *e, uint32_t *rx, uint32_t *tx)
{
	struct epoll_event ev[NET_MAX_PAIRS + 1];
	uint64_t v;
	int n = epoll_wait(e->epfd, ev, NET_MAX_PAIRS + 1, 0);

	*rx = *tx = 0;
	for (int i = 0; i < n; i++) {
		if (ev[i].data.u64 == WAKE_TAG) {
			if (read(e->wake_fd, &v, sizeof(v)) < 0) {
				/* Nothing pending after all. */
			}
			for (unsigned int p = 0; p < e->cfg.pairs; p++)
				if (e->pair[p].tx_more)
					*tx |= 1u << p;
			continue;
		}
		unsigned int p = (unsigned int)ev[i].data.u64;
		if (p >= e->cfg.pairs)
			continue;
		/* Errors and hang-ups are seen by the read or write that follows. */
		if (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))
			*rx |= 1u << p;
		if (ev[i].events & EPOLLOUT)
			*tx |= 1u << p;
	}
}

void net_engine_rx_kick(struct net_engine *e, unsigned int pair)
{
	if (pair >= e->cfg.pairs)
		return;
	e->pair[pair].rx_wait_buffers = false;
	net_engine_arm(e, pair);
}

void net_engine_rx_park(struct net_engine *e, unsigned int pair)
{
	if (pair >= e->cfg.pairs)
		return;
	e->pair[pair].rx_wait_buffers = true;
	net_engine_arm(e, pair);
}

static void stop_pair(struct net_engine *e, unsigned int p, struct virtq *rxq, struct virtq *txq)
{
	struct net_pair *q = &e->pair[p];

	if (q->tx_held) {
		if (txq)
			virtq_push(txq, q->tx_chain->head, 0);
		net_count(e, NET_CTR_TX_DROPPED, 1);
	}
	q->tx_held = q->tx_more = false;
	for (unsigned int i = 0; rxq && i < q->n_stash; i++)
		virtq_push(rxq, q->stash[i].head, 0);
	q->n_stash = q->stash_niov = 0;
	q->stash_bytes = 0;
	if (q->rx_len)
		net_count(e, NET_CTR_RX_DROPPED, 1);
	q->rx_len = 0;
	q->rx_wait_buffers = true;
	net_engine_arm(e, p);
}

void net_engine_stop(struct net_engine *e, int pair, struct virtq *rxq, struct virtq *txq)
{
	if (pair >= 0 && (unsigned int)pair < e->cfg.pairs) {
		stop_pair(e, (unsigned int)pair, rxq, txq);
		return;
	}
	for (unsigned int p = 0; p < e->cfg.pairs; p++)
		stop_pair(e, p, NULL, NULL);
}

void net_engine_reset(struct net_engine *e)
{
	net_engine_stop(e, -1, NULL, NULL);
	e->active_pairs = 1;
	e->features_applied = false;
	net_engine_set_features(e, 0);
	e->features_applied = false;
	net_engine_attach_queues(e);
}

void net_engine_set_pairs(struct net_engine *e, unsigned int n)
{
	e->active_pairs = n;
	net_engine_attach_queues(e);
}

int net_engine_init(struct net_engine *e, const struct net_engine_cfg *cfg)
{
	int ret;

	memset(e, 0, sizeof(*e));
	e->cfg = *cfg;
	e->epfd = e->wake_fd = -1;
	e->active_pairs = 1;
	e->ctr = cfg->metrics ? cfg->metrics->extra : e->local_ctr;
	for (unsigned int p = 0; p < NET_MAX_PAIRS; p++)
		e->pair[p].tap_fd = p < cfg->pairs ? cfg->tap_fds[p] : -1;
	if (cfg->pairs == 0 || cfg->pairs > NET_MAX_PAIRS) {
		e->cfg.pairs = 0;
		ret = -EINVAL;
		goto fail;
	}
	e->scratch = malloc(sizeof(*e->scratch));
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	e->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!e->scratch || e->epfd < 0 || e->wake_fd < 0) {
		ret = -ENOMEM;
		goto fail;
	}
	struct epoll_event wev = { .events = EPOLLIN, .data.u64 = WAKE_TAG };
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->wake_fd, &wev) < 0) {
		ret = -errno;
		goto fail;
	}
	for (unsigned int p = 0; p < cfg->pairs; p++) {
		struct net_pair *q = &e->pair[p];
		q->tx_chain = malloc(sizeof(*q->tx_chain));
		q->rx_frame = malloc(NET_HDR_LEN + NET_MAX_FRAME);
		q->stash_iov = calloc(NET_STASH_IOV, sizeof(*q->stash_iov));
		if (!q->tx_chain || !q->rx_frame || !q->stash_iov) {
			ret = -ENOMEM;
			goto fail;
		}
		/* Every tap queue is attached when opened. */
		q->attached = true;
		q->rx_wait_buffers = true;
		struct epoll_event ev = { .events = 0, .data.u64 = p };
		if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, q->tap_fd, &ev) < 0) {
			ret = -errno;
			goto fail;
		}
	}
	net_engine_attach_queues(e);
	return 0;
fail:
	net_engine_fini(e);
	return ret;
}

void net_engine_fini(struct net_engine *e)
{
	for (unsigned int p = 0; p < NET_MAX_PAIRS; p++) {
		struct net_pair *q = &e->pair[p];
		if (q->tap_fd >= 0)
			close(q->tap_fd);
		q->tap_fd = -1;
		free(q->tx_chain);
		free(q->rx_frame);
		free(q->stash_iov);
		q->tx_chain = NULL;
		q->rx_frame = NULL;
		q->stash_iov = NULL;
	}
	free(e->scratch);
	e->scratch = NULL;
	if (e->epfd >= 0)
		close(e->epfd);
	if (e->wake_fd >= 0)
		close(e->wake_fd);
	e->epfd = e->wake_fd = -1;
}
