/* Guest -> tap. Each chain is one frame behind its virtio-net header; it
 * is checked (length, offload fields against what was negotiated) and
 * written to the tap as is, header included. A frame the tap has no room
 * for (EAGAIN) is not dropped: its chain stays popped and held until the
 * tap is writable, and the queue waits behind it. */
#include "net_engine_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/virtio_net.h>

enum tx_verdict { TX_SENT, TX_DROPPED, TX_AGAIN };

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/* The header's offload fields must only ask for what the guest and we
 * agreed on, and must point inside the frame. */
static bool tx_hdr_ok(const struct net_engine *e, const uint8_t *h, size_t len)
{
	uint8_t flags = h[0], gso = h[1];
	uint16_t hdr_len = le16(h + 2), gso_size = le16(h + 4);
	uint16_t csum_start = le16(h + 6), csum_offset = le16(h + 8);

	if (flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return false;
	if (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		if (!net_has(e, VIRTIO_NET_F_CSUM) ||
		    (size_t)csum_start + csum_offset + 2 > len)
			return false;
	}
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return true;
	case VIRTIO_NET_HDR_GSO_TCPV4:
		if (!net_has(e, VIRTIO_NET_F_HOST_TSO4))
			return false;
		break;
	case VIRTIO_NET_HDR_GSO_TCPV6:
		if (!net_has(e, VIRTIO_NET_F_HOST_TSO6))
			return false;
		break;
	default:
		/* UFO and ECN were never offered. */
		return false;
	}
	/* A segmented frame needs its checksum filled in per segment. */
	return gso_size != 0 && (flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) && hdr_len <= len;
}

static size_t tx_max_frame(const struct net_engine *e)
{
	if (net_has(e, VIRTIO_NET_F_HOST_TSO4) || net_has(e, VIRTIO_NET_F_HOST_TSO6))
		return NET_MAX_FRAME;
	return (size_t)e->cfg.mtu + NET_ETH_OVERHEAD;
}

static enum tx_verdict tx_frame(struct net_engine *e, struct net_pair *q,
				const struct virtq_chain *c)
{
	uint8_t h[NET_HDR_LEN];
	size_t len;

	if (c->out_len < NET_HDR_LEN) {
		net_count(e, NET_CTR_TX_BAD_HEADER, 1);
		return TX_DROPPED;
	}
	len = c->out_len - NET_HDR_LEN;
	if (len == 0 || len > tx_max_frame(e)) {
		net_count(e, NET_CTR_TX_BAD_LENGTH, 1);
		return TX_DROPPED;
	}
	iov_copy_from(h, c->iov, c->n_out, 0, sizeof(h));
	if (!tx_hdr_ok(e, h, len)) {
		net_count(e, NET_CTR_TX_BAD_OFFLOAD, 1);
		return TX_DROPPED;
	}
	for (;;) {
		ssize_t n = writev(q->tap_fd, c->iov, (int)c->n_out);
		if (n >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			net_count(e, NET_CTR_TX_BACKPRESSURE, 1);
			return TX_AGAIN;
		}
		/* The tap refused it: offload fields it will not take, a
		 * frame it cannot parse, or the interface is gone. */
		net_count(e, NET_CTR_TX_ERRORS, 1);
		return TX_DROPPED;
	}
	net_count(e, NET_CTR_TX_PACKETS, 1);
	net_count(e, NET_CTR_TX_BYTES, len);
	return TX_SENT;
}

int net_engine_tx(struct net_engine *e, unsigned int pair, struct virtq *vq)
{
	struct net_pair *q;
	int done = 0, r;

	if (pair >= e->cfg.pairs)
		return 0;
	q = &e->pair[pair];
	q->tx_more = false;
	for (;;) {
		if (!q->tx_held) {
			r = virtq_pop(vq, q->tx_chain);
			if (r < 0)
				return -EIO;
			if (r == 0) {
				/* Empty: ask for a kick, unless more came meanwhile. */
				if (virtq_enable_notify(vq))
					continue;
				break;
			}
		}
		enum tx_verdict v = TX_DROPPED;
		if (q->tx_chain->resubmitted) {
			/* Its process died between taking it and returning it:
			 * the frame may already be on the tap. Lost is what a
			 * wire may do; sent twice is not. */
			net_count(e, NET_CTR_TX_RESTART_LOST, 1);
		} else {
			v = tx_frame(e, q, q->tx_chain);
		}
		if (v == TX_AGAIN) {
			/* No kick needed while we wait for the tap: the held
			 * chain is retried when it is writable. */
			virtq_disable_notify(vq);
			q->tx_held = true;
			break;
		}
		q->tx_held = false;
		if (v == TX_DROPPED)
			net_count(e, NET_CTR_TX_DROPPED, 1);
		virtq_push(vq, q->tx_chain->head, 0);
		if (++done == NET_BUDGET) {
			q->tx_more = true;
			net_engine_wake(e);
			break;
		}
	}
	net_engine_arm(e, pair);
	return done;
}
