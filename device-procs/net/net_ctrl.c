/* The control queue: VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET is the one command
 * served (the only class whose feature is offered); anything else, or a
 * command that does not parse, gets VIRTIO_NET_ERR and is counted. A
 * chain with no byte to write the answer in goes back empty. */
#include "net_engine_internal.h"

#include <errno.h>

#include <linux/virtio_net.h>

static uint8_t ctrl_command(struct net_engine *e, const struct virtq_chain *c)
{
	uint8_t cmd[4];
	size_t n = iov_copy_from(cmd, c->iov, c->n_out, 0, sizeof(cmd));

	if (n < 2 || cmd[0] != VIRTIO_NET_CTRL_MQ || cmd[1] != VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET ||
	    !net_has(e, VIRTIO_NET_F_MQ))
		return VIRTIO_NET_ERR;
	/* class, command, then le16 virtqueue_pairs and nothing more. */
	if (n != 4 || c->out_len != 4)
		return VIRTIO_NET_ERR;
	unsigned int pairs = (unsigned int)(cmd[2] | cmd[3] << 8);
	if (pairs < 1 || pairs > e->cfg.pairs)
		return VIRTIO_NET_ERR;
	net_engine_set_pairs(e, pairs);
	return VIRTIO_NET_OK;
}

int net_engine_ctrl(struct net_engine *e, struct virtq *vq)
{
	struct virtq_chain *c = e->scratch;
	int done = 0, r;

	do {
		while ((r = virtq_pop(vq, c)) == 1) {
			uint8_t ack = ctrl_command(e, c);
			uint32_t written = 0;
			if (c->in_len >= 1)
				written = (uint32_t)iov_copy_to(c->iov + c->n_out, c->n_in, 0, &ack, 1);
			net_count(e, ack == VIRTIO_NET_OK && written ? NET_CTR_CTRL_OK : NET_CTR_CTRL_ERRORS,
				  1);
			virtq_push(vq, c->head, written);
			done++;
		}
		if (r < 0)
			return -EIO;
	} while (virtq_enable_notify(vq));
	return done;
}
