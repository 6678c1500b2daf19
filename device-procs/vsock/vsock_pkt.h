/* virtio-vsock packets (virtio 1.2, 5.10.6): the 44-byte header, read
 * from and written to guest buffers as byte views over iovec arrays, so
 * a header may be split over descriptors however the driver likes. The
 * guest can rewrite its buffers at any time: the header is copied out
 * once and only the copy is looked at. */
#ifndef CELLVM_VSOCK_PKT_H
#define CELLVM_VSOCK_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "iov_copy.h"

#define VSOCK_HDR_LEN      44
#define VSOCK_HOST_CID     2u          /* VMADDR_CID_HOST */
#define VSOCK_MAX_PAYLOAD  (64u << 10) /* largest payload a packet may carry (Linux's too) */
#define VSOCK_TYPE_STREAM  1u
#define VSOCK_SHUTDOWN_RCV  1u
#define VSOCK_SHUTDOWN_SEND 2u

enum vsock_op {
	VSOCK_OP_INVALID = 0,
	VSOCK_OP_REQUEST = 1,
	VSOCK_OP_RESPONSE = 2,
	VSOCK_OP_RST = 3,
	VSOCK_OP_SHUTDOWN = 4,
	VSOCK_OP_RW = 5,
	VSOCK_OP_CREDIT_UPDATE = 6,
	VSOCK_OP_CREDIT_REQUEST = 7,
};

/* The header in host order. */
struct vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;
	uint16_t type, op;
	uint32_t flags;
	uint32_t buf_alloc, fwd_cnt;
};

/* Little-endian wire form <-> struct. */
void vsock_hdr_decode(struct vsock_hdr *h, const uint8_t wire[VSOCK_HDR_LEN]);
void vsock_hdr_encode(uint8_t wire[VSOCK_HDR_LEN], const struct vsock_hdr *h);

/* What the device makes of a packet from the guest before looking at
 * connections. */
enum vsock_verdict {
	VSOCK_PKT_OK,
	VSOCK_PKT_SHORT,      /* no whole header: dropped */
	VSOCK_PKT_BAD_SRC,    /* not from the guest's cid: dropped, never answered */
	VSOCK_PKT_BAD_DST,    /* not for the host: RST */
	VSOCK_PKT_BAD_TYPE,   /* not a stream: RST */
	VSOCK_PKT_BAD_OP,     /* op unknown, or payload on an op without one: RST */
	VSOCK_PKT_BAD_LEN,    /* len beyond the chain or VSOCK_MAX_PAYLOAD: RST */
};

/* Checks a header copied from a chain of chain_len readable bytes. */
enum vsock_verdict vsock_pkt_check(const struct vsock_hdr *h, size_t chain_len, uint64_t guest_cid);

/* Total bytes of iov[0..n). */
size_t vsock_iov_len(const struct iovec *iov, unsigned int n);
/* Fills out[0..max) with the part [off, off+len) of iov; returns the
 * number of entries (0 when the range is empty or max is too small to
 * describe all of it, in which case it is cut at max entries and
 * *got says how many bytes that covers). */
unsigned int vsock_iov_slice(struct iovec *out, unsigned int max, const struct iovec *iov,
			     unsigned int n, size_t off, size_t len, size_t *got);

#endif
