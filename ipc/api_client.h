/* Client side of the control API: connect to a cellvm's socket, send a
 * Request, wait for the Reply with the same id. Blocking with a deadline;
 * used by cellctl and the tests. */
#ifndef CELLVM_API_CLIENT_H
#define CELLVM_API_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "api_frame.h"
#include "cellvm.pb-c.h"

struct api_client {
	int fd;
	uint64_t next_id;
	int timeout_ms;           /* per call; default 10 s */
	struct api_decoder dec;
};

/* -errno from connect (ENOENT: no socket there, ECONNREFUSED: nobody
 * listening). */
int api_client_connect(struct api_client *c, const char *path);
void api_client_close(struct api_client *c);

/* Fills in the protocol version when req->version is 0, sends the request
 * and returns the reply in *reply (free with cellvm__reply__free_unpacked).
 * Negative errno when no reply could be had: -ETIMEDOUT, -EPIPE (closed),
 * -EPROTO (the answer is not a reply to this request). */
int api_client_call(struct api_client *c, Cellvm__Request *req, Cellvm__Reply **reply);

/* Raw access for tests that send hostile bytes. */
int api_client_send(struct api_client *c, const void *buf, size_t len);
/* Reads the next reply frame, whatever its id. */
int api_client_recv(struct api_client *c, uint64_t *id, Cellvm__Reply **reply);

#endif
