#include "vsock_pkt.h"

#include <string.h>

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* Offsets of struct virtio_vsock_hdr (packed). */
void vsock_hdr_decode(struct vsock_hdr *h, const uint8_t w[VSOCK_HDR_LEN])
{
	h->src_cid = get64(w);
	h->dst_cid = get64(w + 8);
	h->src_port = get32(w + 16);
	h->dst_port = get32(w + 20);
	h->len = get32(w + 24);
	h->type = get16(w + 28);
	h->op = get16(w + 30);
	h->flags = get32(w + 32);
	h->buf_alloc = get32(w + 36);
	h->fwd_cnt = get32(w + 40);
}

void vsock_hdr_encode(uint8_t w[VSOCK_HDR_LEN], const struct vsock_hdr *h)
{
	put64(w, h->src_cid);
	put64(w + 8, h->dst_cid);
	put32(w + 16, h->src_port);
	put32(w + 20, h->dst_port);
	put32(w + 24, h->len);
	put16(w + 28, h->type);
	put16(w + 30, h->op);
	put32(w + 32, h->flags);
	put32(w + 36, h->buf_alloc);
	put32(w + 40, h->fwd_cnt);
}

enum vsock_verdict vsock_pkt_check(const struct vsock_hdr *h, size_t chain_len, uint64_t guest_cid)
{
	if (chain_len < VSOCK_HDR_LEN)
		return VSOCK_PKT_SHORT;
	/* A packet that claims another sender could be a forged reset of
	 * somebody else's connection: it gets no answer at all. */
	if (h->src_cid != guest_cid)
		return VSOCK_PKT_BAD_SRC;
	if (h->dst_cid != VSOCK_HOST_CID)
		return VSOCK_PKT_BAD_DST;
	if (h->type != VSOCK_TYPE_STREAM)
		return VSOCK_PKT_BAD_TYPE;
	if (h->op < VSOCK_OP_REQUEST || h->op > VSOCK_OP_CREDIT_REQUEST)
		return VSOCK_PKT_BAD_OP;
	if (h->len > VSOCK_MAX_PAYLOAD || h->len > chain_len - VSOCK_HDR_LEN)
		return VSOCK_PKT_BAD_LEN;
	if (h->len && h->op != VSOCK_OP_RW)
		return VSOCK_PKT_BAD_OP;
	return VSOCK_PKT_OK;
}

size_t vsock_iov_len(const struct iovec *iov, unsigned int n)
{
	size_t total = 0;

	for (unsigned int i = 0; i < n; i++)
		total += iov[i].iov_len;
	return total;
}

unsigned int vsock_iov_slice(struct iovec *out, unsigned int max, const struct iovec *iov,
			     unsigned int n, size_t off, size_t len, size_t *got)
{
	unsigned int k = 0;
	size_t have = 0;

	for (unsigned int i = 0; i < n && have < len && k < max; i++) {
		size_t l = iov[i].iov_len;
		if (off >= l) {
			off -= l;
			continue;
		}
		size_t take = l - off;
		if (take > len - have)
			take = len - have;
		out[k].iov_base = (uint8_t *)iov[i].iov_base + off;
		out[k].iov_len = take;
		k++;
		have += take;
		off = 0;
	}
	if (got)
		*got = have;
	return k;
}

