/* Packets for the guest (the rx queue): one per buffer, resets first,
 * then the connections that owe something, in turn, so that one busy
 * stream cannot starve the others. Host data goes from the socket
 * straight into the guest's buffer, never more than its credit. */
#include "vsock_engine_internal.h"

#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

bool vsock_engine_rx_pending(struct vsock_engine *e)
{
	struct vsock_conn *c;

	/* A connection can lose what it queued for (the guest shrank its
	 * window): drop such entries here, or a guest buffer would be popped
	 * and returned empty for nothing. */
	while ((c = vsock_conn_rxq_first(&e->t)) && !vsock_conn_wants_rx(c))
		vsock_conn_rxq_remove(&e->t, c);
	return e->rst_len || c;
}

static void vsock_hdr_for(const struct vsock_engine *e, const struct vsock_conn *c,
			  struct vsock_hdr *h, uint16_t op)
{
	*h = (struct vsock_hdr){
		.src_cid = VSOCK_HOST_CID, .dst_cid = e->cfg.guest_cid,
		.src_port = c->host_port, .dst_port = c->guest_port,
		.type = VSOCK_TYPE_STREAM, .op = op,
		.buf_alloc = e->cfg.buf_alloc, .fwd_cnt = c->fwd_cnt,
	};
}

static size_t vsock_put_hdr(struct vsock_engine *e, const struct iovec *iov, unsigned int n,
			    const struct vsock_hdr *h)
{
	uint8_t wire[VSOCK_HDR_LEN];

	vsock_hdr_encode(wire, h);
	iov_copy_to(iov, n, 0, wire, VSOCK_HDR_LEN);
	vsock_count(e, VSOCK_CTR_H2G_PACKETS, 1);
	if (h->op == VSOCK_OP_RST)
		vsock_count(e, VSOCK_CTR_H2G_RESETS, 1);
	return VSOCK_HDR_LEN + h->len;
}

/* Reads host data into the buffer behind the header. Returns the
 * packet's length; the connection may be gone afterwards (*freed). */
static size_t vsock_rx_data(struct vsock_engine *e, struct vsock_conn *c, const struct iovec *iov,
			    unsigned int n, size_t cap, bool *freed)
{
	struct iovec slice[VSOCK_MAX_SLICE];
	struct vsock_hdr h;
	size_t want = cap - VSOCK_HDR_LEN, got;
	uint32_t credit = vsock_conn_credit(c);

	if (want > credit)
		want = credit;
	if (want > VSOCK_MAX_PAYLOAD)
		want = VSOCK_MAX_PAYLOAD;
	unsigned int k = vsock_iov_slice(slice, VSOCK_MAX_SLICE, iov, n, VSOCK_HDR_LEN, want, &got);
	ssize_t r = readv(c->fd, slice, (int)k);
	if (r > 0) {
		vsock_hdr_for(e, c, &h, VSOCK_OP_RW);
		h.len = (uint32_t)r;
		c->tx_cnt += (uint32_t)r;
		vsock_count(e, VSOCK_CTR_H2G_BYTES, (uint64_t)r);
		if (e->cfg.metrics)
			dev_metrics_add(&e->cfg.metrics->read_bytes, (uint64_t)r);
		/* Less than asked: the socket is drained for now. */
		if ((size_t)r < got)
			c->host_readable = false;
		return vsock_put_hdr(e, iov, n, &h);
	}
	c->host_readable = false;
	if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
		/* Nothing after all: the buffer is used anyway, for our credit. */
		vsock_hdr_for(e, c, &h, VSOCK_OP_CREDIT_UPDATE);
		return vsock_put_hdr(e, iov, n, &h);
	}
	if (r == 0) {
		c->host_eof = true;
		/* Both directions done once the guest's data is out too: the
		 * close is this RST; otherwise the guest learns its stream ended
		 * and may still send. */
		if (!(c->guest_no_send && c->buf_len == 0)) {
			vsock_hdr_for(e, c, &h, VSOCK_OP_SHUTDOWN);
			h.flags = VSOCK_SHUTDOWN_SEND;
			return vsock_put_hdr(e, iov, n, &h);
		}
	}
	/* EOF after the guest's half-close, or a socket error: RST, here. */
	vsock_hdr_for(e, c, &h, VSOCK_OP_RST);
	size_t len = vsock_put_hdr(e, iov, n, &h);
	vsock_conn_release(e, c);
	*freed = true;
	return len;
}

/* One packet for c; 0 when it had nothing after all. */
static size_t vsock_rx_conn(struct vsock_engine *e, struct vsock_conn *c, const struct iovec *iov,
			    unsigned int n, size_t cap, bool *freed)
{
	struct vsock_hdr h;
	size_t len;

	if (c->owe & VSOCK_OWE_REQUEST) {
		vsock_hdr_for(e, c, &h, VSOCK_OP_REQUEST);
		c->owe &= ~VSOCK_OWE_REQUEST;
		vsock_set_deadline(e, c, e->cfg.request_ms);
		len = vsock_put_hdr(e, iov, n, &h);
	} else if (c->owe & VSOCK_OWE_RESPONSE) {
		vsock_hdr_for(e, c, &h, VSOCK_OP_RESPONSE);
		c->owe &= ~VSOCK_OWE_RESPONSE;
		len = vsock_put_hdr(e, iov, n, &h);
	} else if (vsock_conn_data_ready(c)) {
		len = vsock_rx_data(e, c, iov, n, cap, freed);
		if (*freed)
			return len;
	} else if (c->owe & VSOCK_OWE_CREDIT) {
		vsock_hdr_for(e, c, &h, VSOCK_OP_CREDIT_UPDATE);
		len = vsock_put_hdr(e, iov, n, &h);
	} else {
		return 0;
	}
	/* Every packet carries our fwd_cnt: the update is done. */
	c->owe &= ~VSOCK_OWE_CREDIT;
	c->fwd_told = c->fwd_cnt;
	vsock_conn_update_interest(e, c);
	return len;
}

size_t vsock_engine_rx_fill(struct vsock_engine *e, const struct iovec *iov, unsigned int n)
{
	size_t cap = vsock_iov_len(iov, n);

	if (!vsock_engine_rx_pending(e))
		return 0;
	if (cap < VSOCK_HDR_LEN) {
		vsock_protocol_error(e, VSOCK_CTR_BAD_RX_BUFFER, "rx buffer shorter than a header", NULL);
		return 0;
	}
	if (e->rst_len) {
		const struct vsock_rst *r = &e->rsts[e->rst_head];
		struct vsock_hdr h = { .src_cid = r->src_cid, .dst_cid = e->cfg.guest_cid,
				       .src_port = r->src_port, .dst_port = r->dst_port,
				       .type = VSOCK_TYPE_STREAM, .op = VSOCK_OP_RST };
		e->rst_head = (e->rst_head + 1) % e->rst_cap;
		e->rst_len--;
		return vsock_put_hdr(e, iov, n, &h);
	}
	struct vsock_conn *c;
	while ((c = vsock_conn_rxq_first(&e->t))) {
		bool freed = false;
		vsock_conn_rxq_remove(&e->t, c);
		size_t len = vsock_rx_conn(e, c, iov, n, cap, &freed);
		if (!freed)
			vsock_conn_kick_rx(e, c); /* to the back of the queue if it has more */
		if (len)
			return len;
	}
	return 0;
}
