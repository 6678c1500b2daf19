/* One client connection of the API server: bytes in through the frame
 * decoder, replies queued and written without ever blocking the server
 * thread. A client that stops reading its replies is dropped once it has
 * API_CONN_OUT_MAX bytes waiting; one that starts a frame and never
 * finishes it gets an error reply after API_CONN_FRAME_TIMEOUT_MS. */
#ifndef CELLVM_API_CONN_H
#define CELLVM_API_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api_backend.h"
#include "api_frame.h"

#define API_CONN_OUT_MAX          (4u * API_FRAME_MAX)
#define API_CONN_FRAME_TIMEOUT_MS 10000

struct api_conn {
	int fd;                   /* -1: slot free */
	struct api_decoder dec;
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	long frame_start_ms;      /* when the unfinished frame began, 0 if none */
	bool closing;             /* close once the output is written */
};

int api_conn_open(struct api_conn *c, int fd);
void api_conn_close(struct api_conn *c);

/* Reads what the socket has (bounded), handles every complete frame and
 * queues the replies. Returns false when the connection should be closed
 * now (error, or the client's end is done and nothing is left to say). */
bool api_conn_on_readable(struct api_conn *c, const struct api_backend *b, long now_ms);
/* Writes queued output; false when the connection should be closed. */
bool api_conn_flush(struct api_conn *c);
bool api_conn_wants_write(const struct api_conn *c);
/* Ends a frame that has been incomplete too long. False: close now. */
bool api_conn_check_timeout(struct api_conn *c, const struct api_backend *b, long now_ms);
/* Milliseconds until this connection's frame times out, -1 for never. */
long api_conn_timeout_in(const struct api_conn *c, long now_ms);

/* Feeds bytes through the decoder and handler as if they came from the
 * socket (used by api_conn_on_readable, the unit tests and the fuzzer).
 * False when the output queue overflowed. */
bool api_conn_consume(struct api_conn *c, const struct api_backend *b, const uint8_t *data,
		      size_t len, long now_ms);

#endif
