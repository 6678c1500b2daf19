/* The control API server: a UNIX stream socket served by one thread of
 * kind "core-api", a poll loop over the listening socket and up to
 * API_MAX_CONNS clients. Requests are handled one at a time in arrival
 * order, so the backend sees no concurrency from the API itself. */
#ifndef CELLVM_API_SERVER_H
#define CELLVM_API_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

#include "api_backend.h"
#include "api_conn.h"

#define API_MAX_CONNS 16

struct api_server {
	int listen_fd;
	int stop_efd;
	char path[108];
	ino_t ino;                /* of the socket we bound, to unlink only ours */
	pthread_t thread;
	bool running;
	struct api_backend backend;
	struct api_conn conns[API_MAX_CONNS];
};

/* An idle server that api_server_close accepts. */
void api_server_init(struct api_server *s);

/* Binds and listens (the socket accepts from here on; the thread may
 * start later). A stale socket file nobody listens on is replaced; a live
 * one, or a path that is not a socket, is an error. The socket is created
 * mode 0600. Writes a reason to err; returns 0 or -errno. Call before any
 * other thread exists: it changes the umask around bind. */
int api_server_open(struct api_server *s, const char *path, char *err, size_t errlen);
int api_server_start(struct api_server *s, const struct api_backend *b);
/* Stops the thread (replies already queued are flushed best-effort),
 * closes every connection and removes the socket file. Idempotent. */
void api_server_close(struct api_server *s);

/* The loop itself, for tests that run a server on their own thread:
 * returns when stop_efd becomes readable. */
void *api_server_thread(void *arg);

#endif
