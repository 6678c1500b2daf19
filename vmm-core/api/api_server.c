#include "api_server.h"
#include "api_handler.h"
#include "log.h"
#include "thread_kind.h"
#include "unix_listen.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

void api_server_init(struct api_server *s)
{
	memset(s, 0, sizeof(*s));
	s->listen_fd = s->stop_efd = -1;
	for (unsigned int i = 0; i < API_MAX_CONNS; i++)
		s->conns[i].fd = -1;
}

int api_server_open(struct api_server *s, const char *path, char *err, size_t errlen)
{
	uint64_t ino;
	int ret;

	api_server_init(s);
	snprintf(s->path, sizeof(s->path), "%s", path);
	ret = unix_listen_owner(path, API_MAX_CONNS, &ino, err, errlen);
	if (ret < 0)
		return ret;
	s->listen_fd = ret;
	s->ino = (ino_t)ino;
	s->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_efd < 0) {
		ret = -errno;
		snprintf(err, errlen, "eventfd: %s", strerror(errno));
		api_server_close(s);
		return ret;
	}
	return 0;
}

int api_server_start(struct api_server *s, const struct api_backend *b)
{
	s->backend = *b;
	int ret = pthread_create(&s->thread, NULL, api_server_thread, s);
	if (ret)
		return -ret;
	s->running = true;
	return 0;
}

static void accept_all(struct api_server *s)
{
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0)
			return; /* EAGAIN, or a client that went away already */
		struct api_conn *c = NULL;
		for (unsigned int i = 0; i < API_MAX_CONNS && !c; i++)
			if (s->conns[i].fd < 0)
				c = &s->conns[i];
		if (c && api_conn_open(c, fd) == 0) {
			if (s->backend.counters)
				__atomic_fetch_add(&s->backend.counters->connections, 1,
						   __ATOMIC_RELAXED);
			continue;
		}
		/* Full: say so, best effort, and hang up. */
		size_t len = 0;
		uint8_t *f = api_error_frame(s->backend.counters, 0, CELLVM__STATUS__STATUS_BUSY,
					     "too many API connections", &len);
		if (f && send(fd, f, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
			/* Nothing more to do for a client we cannot serve. */
		}
		free(f);
		close(fd);
	}
}

void *api_server_thread(void *arg)
{
	struct api_server *s = arg;
	struct pollfd pfd[2 + API_MAX_CONNS];
	struct api_conn *who[API_MAX_CONNS];

	if (thread_kind_enter(THREAD_CORE_API, 0) < 0) {
		log_error("api: cannot set up the API thread");
		return NULL;
	}
	for (;;) {
		long now = now_ms(), timeout = -1;
		nfds_t n = 2;

		pfd[0] = (struct pollfd){ .fd = s->stop_efd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
		for (unsigned int i = 0; i < API_MAX_CONNS; i++) {
			struct api_conn *c = &s->conns[i];
			if (c->fd < 0)
				continue;
			short ev = (c->closing ? 0 : POLLIN) | (api_conn_wants_write(c) ? POLLOUT : 0);
			who[n - 2] = c;
			pfd[n++] = (struct pollfd){ .fd = c->fd, .events = ev };
			long t = api_conn_timeout_in(c, now);
			if (t >= 0 && (timeout < 0 || t < timeout))
				timeout = t;
		}
		if (poll(pfd, n, (int)timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_error("api: poll: %s", strerror(errno));
			break;
		}
		if (pfd[0].revents)
			break;
		now = now_ms();
		for (nfds_t i = 2; i < n; i++) {
			struct api_conn *c = who[i - 2];
			bool keep = true;
			if (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))
				keep = api_conn_on_readable(c, &s->backend, now);
			if (keep)
				keep = api_conn_check_timeout(c, &s->backend, now);
			/* Answer at once: most clients wait for each reply. */
			if (keep && (api_conn_wants_write(c) || c->closing))
				keep = api_conn_flush(c);
			if (!keep)
				api_conn_close(c);
		}
		if (pfd[1].revents & POLLIN)
			accept_all(s);
	}
	/* A reply queued just before the stop (kill's own) still goes out. */
	for (unsigned int i = 0; i < API_MAX_CONNS; i++) {
		if (s->conns[i].fd >= 0) {
			api_conn_flush(&s->conns[i]);
			api_conn_close(&s->conns[i]);
		}
	}
	return NULL;
}

void api_server_close(struct api_server *s)
{
	uint64_t one = 1;

	if (s->running) {
		if (write(s->stop_efd, &one, sizeof(one)) < 0)
			log_warn("api: cannot wake the API thread: %s", strerror(errno));
		pthread_join(s->thread, NULL);
		s->running = false;
	}
	for (unsigned int i = 0; i < API_MAX_CONNS; i++)
		if (s->conns[i].fd >= 0)
			api_conn_close(&s->conns[i]);
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->stop_efd >= 0)
		close(s->stop_efd);
	unix_listen_remove(s->path, s->ino);
	s->ino = 0;
	s->listen_fd = s->stop_efd = -1;
}
