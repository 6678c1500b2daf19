/* Framing of the control API (ipc/proto/cellvm.proto): a 12-byte header,
 * u32 payload length and u64 request id, both little-endian, then the
 * protobuf payload. The decoder is a push parser fed whatever bytes the
 * socket gave, so it never blocks, never trusts the length before checking
 * it, and can be driven byte by byte by tests and the fuzzer. Shared by
 * the core's server and the clients (cellctl, tests). */
#ifndef CELLVM_API_FRAME_H
#define CELLVM_API_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define API_PROTOCOL_VERSION 1u
#define API_FRAME_HDR_LEN    12u
/* Larger than the largest valid Config (64 KiB command line and sixteen
 * 4 KiB paths) with room to spare, small enough to buffer per connection. */
#define API_FRAME_MAX        (256u * 1024u)

struct api_frame_hdr {
	uint32_t len;   /* payload bytes after the header */
	uint64_t id;    /* chosen by the client, echoed in the reply */
};

void api_frame_hdr_encode(uint8_t out[API_FRAME_HDR_LEN], uint32_t len, uint64_t id);
void api_frame_hdr_decode(const uint8_t in[API_FRAME_HDR_LEN], struct api_frame_hdr *h);

/* Header + payload in one malloc'd buffer (the unit a writer sends whole).
 * Returns NULL when out of memory or len exceeds API_FRAME_MAX. */
uint8_t *api_frame_build(uint64_t id, const uint8_t *payload, size_t len, size_t *frame_len);

enum api_dec_event {
	API_DEC_NONE,      /* everything fed was consumed, no frame complete yet */
	API_DEC_FRAME,     /* a frame is complete: payload in d->buf[0..d->hdr.len) */
	API_DEC_TOO_LARGE, /* a header announced more than max; its payload is skipped */
};

struct api_decoder {
	size_t max;                       /* payload limit */
	uint8_t hdr_buf[API_FRAME_HDR_LEN];
	size_t hdr_have;
	struct api_frame_hdr hdr;         /* the frame being read or just completed */
	uint8_t *buf;                     /* max bytes, allocated once */
	size_t have;                      /* payload bytes received so far */
	uint64_t skip;                    /* payload bytes of a refused frame still to drop */
	bool in_payload;
};

/* max 0 means API_FRAME_MAX. -ENOMEM on failure. */
int api_decoder_init(struct api_decoder *d, size_t max);
void api_decoder_free(struct api_decoder *d);

/* Consumes bytes from data until a frame completes, a header is refused
 * or data runs out; *used says how many. Call again with the rest after an
 * event. The payload of API_DEC_FRAME stays valid until the next call. */
enum api_dec_event api_decoder_feed(struct api_decoder *d, const uint8_t *data, size_t len,
				    size_t *used);

/* True when a frame has started but not finished (for truncation reports). */
bool api_decoder_mid_frame(const struct api_decoder *d);

#endif
