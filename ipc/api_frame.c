#include "api_frame.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void api_frame_hdr_encode(uint8_t out[API_FRAME_HDR_LEN], uint32_t len, uint64_t id)
{
	for (unsigned int i = 0; i < 4; i++)
		out[i] = (uint8_t)(len >> (8 * i));
	for (unsigned int i = 0; i < 8; i++)
		out[4 + i] = (uint8_t)(id >> (8 * i));
}

void api_frame_hdr_decode(const uint8_t in[API_FRAME_HDR_LEN], struct api_frame_hdr *h)
{
	h->len = 0;
	h->id = 0;
	for (unsigned int i = 0; i < 4; i++)
		h->len |= (uint32_t)in[i] << (8 * i);
	for (unsigned int i = 0; i < 8; i++)
		h->id |= (uint64_t)in[4 + i] << (8 * i);
}

uint8_t *api_frame_build(uint64_t id, const uint8_t *payload, size_t len, size_t *frame_len)
{
	uint8_t *f;

	if (len > API_FRAME_MAX)
		return NULL;
	f = malloc(API_FRAME_HDR_LEN + len);
	if (!f)
		return NULL;
	api_frame_hdr_encode(f, (uint32_t)len, id);
	if (len)
		memcpy(f + API_FRAME_HDR_LEN, payload, len);
	*frame_len = API_FRAME_HDR_LEN + len;
	return f;
}

int api_decoder_init(struct api_decoder *d, size_t max)
{
	memset(d, 0, sizeof(*d));
	d->max = max ? max : API_FRAME_MAX;
	/* One byte more than max so a zero max never becomes malloc(0). */
	d->buf = malloc(d->max + 1);
	return d->buf ? 0 : -ENOMEM;
}

void api_decoder_free(struct api_decoder *d)
{
	free(d->buf);
	d->buf = NULL;
}

bool api_decoder_mid_frame(const struct api_decoder *d)
{
	return d->hdr_have > 0 || d->in_payload || d->skip > 0;
}

enum api_dec_event api_decoder_feed(struct api_decoder *d, const uint8_t *data, size_t len,
				    size_t *used)
{
	size_t off = 0;
	enum api_dec_event ev = API_DEC_NONE;

	while (off < len && ev == API_DEC_NONE) {
		if (d->skip) {
			size_t n = len - off < d->skip ? len - off : (size_t)d->skip;
			d->skip -= n;
			off += n;
		} else if (!d->in_payload) {
			size_t n = API_FRAME_HDR_LEN - d->hdr_have;
			if (n > len - off)
				n = len - off;
			memcpy(d->hdr_buf + d->hdr_have, data + off, n);
			d->hdr_have += n;
			off += n;
			if (d->hdr_have < API_FRAME_HDR_LEN)
				break;
			d->hdr_have = 0;
			api_frame_hdr_decode(d->hdr_buf, &d->hdr);
			d->have = 0;
			if (d->hdr.len > d->max) {
				/* The length is still trusted enough to skip: the
				 * stream stays in step and the next frame is read. */
				d->skip = d->hdr.len;
				ev = API_DEC_TOO_LARGE;
			} else if (d->hdr.len == 0) {
				ev = API_DEC_FRAME;
			} else {
				d->in_payload = true;
			}
		} else {
			size_t n = d->hdr.len - d->have;
			if (n > len - off)
				n = len - off;
			memcpy(d->buf + d->have, data + off, n);
			d->have += n;
			off += n;
			if (d->have == d->hdr.len) {
				d->in_payload = false;
				ev = API_DEC_FRAME;
			}
		}
	}
	*used = off;
	return ev;
}
