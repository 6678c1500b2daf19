/* One request frame in, one reply frame out. Decodes the Request, checks
 * the protocol version, dispatches to the backend and packs the Reply with
 * the request's id. Every input, however broken, gets a reply with a
 * status and a message; nothing here trusts the payload. */
#ifndef CELLVM_API_HANDLER_H
#define CELLVM_API_HANDLER_H

#include <stddef.h>
#include <stdint.h>

#include "api_backend.h"
#include "cellvm.pb-c.h"

/* A malloc'd reply frame, or NULL when out of memory. */
uint8_t *api_handle_frame(const struct api_backend *b, uint64_t id, const uint8_t *payload,
			  size_t len, size_t *frame_len);

/* A reply frame with only a status and message, for what the framing
 * layer refuses itself (oversized or truncated frames, too many
 * connections). Counted as an error when counters is non-NULL. */
uint8_t *api_error_frame(struct api_counters *counters, uint64_t id, Cellvm__Status status,
			 const char *msg, size_t *frame_len);

#endif
