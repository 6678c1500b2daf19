#include "api_conn.h"
#include "api_handler.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Bounded per wake-up so one busy client cannot starve the others. */
#define API_CONN_READ_CHUNK 16384

int api_conn_open(struct api_conn *c, int fd)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	if ((ret = api_decoder_init(&c->dec, API_FRAME_MAX)) < 0)
		return ret;
	c->fd = fd;
	return 0;
}

void api_conn_close(struct api_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	api_decoder_free(&c->dec);
	free(c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

bool api_conn_wants_write(const struct api_conn *c)
{
	return c->out_off < c->out_len;
}

/* Appends a reply frame and frees it; false when the queue is full. */
static bool queue(struct api_conn *c, uint8_t *frame, size_t len)
{
	if (!frame)
		return false;
	size_t pending = c->out_len - c->out_off;
	if (pending + len > API_CONN_OUT_MAX) {
		free(frame);
		return false;
	}
	/* Compact before growing: the written prefix is dead. */
	if (c->out_off) {
		memmove(c->out, c->out + c->out_off, pending);
		c->out_len = pending;
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		size_t cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + len)
			cap *= 2;
		uint8_t *n = realloc(c->out, cap);
		if (!n) {
			free(frame);
			return false;
		}
		c->out = n;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, frame, len);
	c->out_len += len;
	free(frame);
	return true;
}

static bool queue_error(struct api_conn *c, const struct api_backend *b, uint64_t id,
			Cellvm__Status st, const char *msg)
{
	size_t len = 0;
	uint8_t *f = api_error_frame(b->counters, id, st, msg, &len);

	return queue(c, f, len);
}

bool api_conn_consume(struct api_conn *c, const struct api_backend *b, const uint8_t *data,
		      size_t len, long now_ms)
{
	char msg[128];

	while (len) {
		size_t used = 0;
		bool was_mid = api_decoder_mid_frame(&c->dec);
		enum api_dec_event ev = api_decoder_feed(&c->dec, data, len, &used);
		data += used;
		len -= used;
		if (ev == API_DEC_FRAME) {
			size_t flen = 0;
			uint8_t *f = api_handle_frame(b, c->dec.hdr.id, c->dec.buf, c->dec.hdr.len,
						      &flen);
			if (!queue(c, f, flen))
				return false;
		} else if (ev == API_DEC_TOO_LARGE) {
			snprintf(msg, sizeof(msg), "frame payload of %u bytes exceeds the limit of %u",
				 c->dec.hdr.len, API_FRAME_MAX);
			if (!queue_error(c, b, c->dec.hdr.id, CELLVM__STATUS__STATUS_FRAME_TOO_LARGE,
					 msg))
				return false;
		}
		/* The timeout clock runs from the first byte of each frame. */
		if (!api_decoder_mid_frame(&c->dec))
			c->frame_start_ms = 0;
		else if (!was_mid || ev != API_DEC_NONE)
			c->frame_start_ms = now_ms ? now_ms : 1;
	}
	return true;
}

static void truncated(struct api_conn *c, const struct api_backend *b, const char *why)
{
	char msg[160];
	const struct api_decoder *d = &c->dec;

	if (d->hdr_have)
		snprintf(msg, sizeof(msg), "truncated frame: %s after %zu of %u header bytes", why,
			 d->hdr_have, API_FRAME_HDR_LEN);
	else
		snprintf(msg, sizeof(msg), "truncated frame: %s after %zu of %u payload bytes", why,
			 d->skip ? (size_t)(d->hdr.len - d->skip) : d->have, d->hdr.len);
	/* The id is only known once the header is complete. */
	queue_error(c, b, d->hdr_have ? 0 : d->hdr.id, CELLVM__STATUS__STATUS_BAD_FRAME, msg);
	c->closing = true;
}

bool api_conn_on_readable(struct api_conn *c, const struct api_backend *b, long now_ms)
{
	uint8_t buf[API_CONN_READ_CHUNK];

	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0)
		return errno == EAGAIN || errno == EINTR;
	if (n == 0) {
		/* The client is done sending. Whatever it started and did not
		 * finish is answered before the connection goes. */
		if (api_decoder_mid_frame(&c->dec) && !c->dec.skip)
			truncated(c, b, "the connection was closed");
		c->closing = true;
		return api_conn_wants_write(c);
	}
	return api_conn_consume(c, b, buf, (size_t)n, now_ms);
}

bool api_conn_flush(struct api_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EAGAIN;
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	return !c->closing;
}

long api_conn_timeout_in(const struct api_conn *c, long now_ms)
{
	if (!c->frame_start_ms || c->closing)
		return -1;
	long left = c->frame_start_ms + API_CONN_FRAME_TIMEOUT_MS - now_ms;
	return left > 0 ? left : 0;
}

bool api_conn_check_timeout(struct api_conn *c, const struct api_backend *b, long now_ms)
{
	if (api_conn_timeout_in(c, now_ms) != 0)
		return true;
	truncated(c, b, "no more bytes came");
	return true;
}
