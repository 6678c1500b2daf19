/* Tap -> guest. A frame is read only once the guest has posted at least
 * one buffer, into a bounce buffer (the frame's size is known only after
 * the read), then copied into as many stashed guest chains as it needs
 * (mergeable buffers) or into one (without). When the guest has no
 * buffers the tap is not polled at all until it kicks; a frame already
 * read waits for buffers instead of being dropped. */
#include "net_engine_internal.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <linux/virtio_net.h>

/* Pops one chain into the stash: 1, 0 when the ring is empty or the
 * stash is full, -EIO on a malformed ring. Chains with a device-readable
 * part or no room for the header go straight back, counted (and added
 * to *pushed, so the guest hears of them). */
static int stash_one(struct net_engine *e, struct net_pair *q, struct virtq *vq, int *pushed)
{
	struct virtq_chain *c = e->scratch;

	for (;;) {
		if (q->n_stash == NET_STASH_CHAINS ||
		    q->stash_niov + VIRTQ_MAX_CHAIN_IOV > NET_STASH_IOV)
			return 0;
		int r = virtq_pop(vq, c);
		if (r <= 0)
			return r < 0 ? -EIO : 0;
		if (c->n_out || c->in_len < NET_HDR_LEN) {
			net_count(e, NET_CTR_RX_BAD_BUFFER, 1);
			virtq_push(vq, c->head, 0);
			(*pushed)++;
			continue;
		}
		struct net_stash *s = &q->stash[q->n_stash++];
		*s = (struct net_stash){ .head = c->head, .iov_first = q->stash_niov,
					 .n_iov = c->n_in, .len = c->in_len };
		memcpy(q->stash_iov + q->stash_niov, c->iov, c->n_in * sizeof(struct iovec));
		q->stash_niov += c->n_in;
		q->stash_bytes += c->in_len;
		return 1;
	}
}

/* Forgets the first k stashed chains (used). */
static void stash_consume(struct net_pair *q, unsigned int k)
{
	unsigned int first_iov = k < q->n_stash ? q->stash[k].iov_first : q->stash_niov;

	for (unsigned int i = 0; i < k; i++)
		q->stash_bytes -= q->stash[i].len;
	memmove(q->stash, q->stash + k, (q->n_stash - k) * sizeof(q->stash[0]));
	q->n_stash -= k;
	memmove(q->stash_iov, q->stash_iov + first_iov,
		(q->stash_niov - first_iov) * sizeof(struct iovec));
	q->stash_niov -= first_iov;
	for (unsigned int i = 0; i < q->n_stash; i++)
		q->stash[i].iov_first -= first_iov;
}

/* Delivers the frame in q->rx_frame: 1 when it is done with (delivered
 * or dropped), 0 when more guest buffers are needed, -EIO. *pushed gets
 * the chains returned. */
static int deliver(struct net_engine *e, struct net_pair *q, struct virtq *vq, int *pushed)
{
	bool mrg = net_has(e, VIRTIO_NET_F_MRG_RXBUF);
	size_t need = q->rx_len;
	int r;

	while (q->n_stash == 0 || (mrg && q->stash_bytes < need)) {
		r = stash_one(e, q, vq, pushed);
		if (r < 0)
			return r;
		if (r == 0) {
			if (q->n_stash == NET_STASH_CHAINS ||
			    q->stash_niov + VIRTQ_MAX_CHAIN_IOV > NET_STASH_IOV) {
				/* A guest of tiny buffers: this frame cannot
				 * fit in what we may hold. */
				net_count(e, NET_CTR_RX_DROPPED, 1);
				q->rx_len = 0;
				return 1;
			}
			return 0;
		}
	}
	if (!mrg && q->stash[0].len < need) {
		/* Without mergeable buffers a frame needs one chain; this
		 * one is too small, the next frame may fit. */
		net_count(e, NET_CTR_RX_DROPPED, 1);
		q->rx_len = 0;
		return 1;
	}
	/* How many chains the frame takes; the guest reads it in the header. */
	unsigned int k = 0;
	for (uint64_t room = 0; room < need; k++)
		room += q->stash[k].len;
	q->rx_frame[10] = (uint8_t)k;
	q->rx_frame[11] = (uint8_t)(k >> 8);
	size_t off = 0;
	for (unsigned int i = 0; i < k; i++) {
		const struct net_stash *s = &q->stash[i];
		size_t n = iov_copy_to(q->stash_iov + s->iov_first, s->n_iov, 0, q->rx_frame + off,
				       need - off);
		off += n;
		virtq_push(vq, s->head, (uint32_t)n);
	}
	stash_consume(q, k);
	*pushed += (int)k;
	net_count(e, NET_CTR_RX_PACKETS, 1);
	net_count(e, NET_CTR_RX_BYTES, need - NET_HDR_LEN);
	q->rx_len = 0;
	return 1;
}

/* Reads one frame: 1, 0 when the tap has none, -1 after an error that
 * polling again would only repeat. */
static int read_frame(struct net_engine *e, struct net_pair *q)
{
	for (;;) {
		ssize_t n = read(q->tap_fd, q->rx_frame, NET_HDR_LEN + NET_MAX_FRAME);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n < 0 || n == 0) {
			net_count(e, NET_CTR_RX_ERRORS, 1);
			return -1;
		}
		if ((size_t)n <= NET_HDR_LEN) {
			net_count(e, NET_CTR_RX_ERRORS, 1);
			continue;
		}
		q->rx_len = (size_t)n;
		return 1;
	}
}

int net_engine_rx(struct net_engine *e, unsigned int pair, struct virtq *vq)
{
	struct net_pair *q;
	int pushed = 0, frames = 0, r;

	if (pair >= e->cfg.pairs)
		return 0;
	q = &e->pair[pair];
	if (!q->attached) {
		/* Not among the pairs the guest enabled: the kernel sends this
		 * tap queue nothing (and a detached queue cannot be read). */
		q->rx_wait_buffers = true;
		net_engine_arm(e, pair);
		return 0;
	}
	q->rx_wait_buffers = false;
	while (frames < NET_BUDGET) {
		if (!q->rx_len) {
			/* A frame is read only when there is somewhere to put
			 * it: a guest buffer already stashed or on the ring. */
			if (!q->n_stash) {
				r = stash_one(e, q, vq, &pushed);
				if (r < 0)
					return -EIO;
				if (r == 0)
					goto no_buffers;
			}
			r = read_frame(e, q);
			if (r == 0)
				break;       /* tap drained: stay polled */
			if (r < 0) {
				/* Wait for a kick rather than spin on an error. */
				q->rx_wait_buffers = true;
				break;
			}
		}
		r = deliver(e, q, vq, &pushed);
		if (r < 0)
			return -EIO;
		if (r == 1) {
			frames++;
			continue;
		}
no_buffers:
		/* Buffers that came while we looked are taken now; else the
		 * guest's next rx kick resumes, and the tap rests till then. */
		if (virtq_enable_notify(vq))
			continue;
		net_count(e, NET_CTR_RX_NO_BUFFERS, 1);
		q->rx_wait_buffers = true;
		break;
	}
	net_engine_arm(e, pair);
	return pushed;
}
