#include "api_server.h"
#include "api_handler.h"
#include "log.h"
#include "thread_kind.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000;
}

/* A socket file left by a process that died is replaced; one somebody
 * still accepts on is not ours to take. */
static int claim_path(const char *path, const struct sockaddr_un *sa, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "'%s' exists and is not a socket", path);
		return -EEXIST;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int r = connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	int e = errno;
	close(fd);
	if (r == 0) {
		snprintf(err, errlen, "another process is serving '%s'", path);
		return -EADDRINUSE;
	}
	if (e != ECONNREFUSED) {
		snprintf(err, errlen, "cannot check '%s': %s", path, strerror(e));
		return -e;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
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
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int ret;

	api_server_init(s);
	if (strlen(path) >= sizeof(sa.sun_path)) {
		snprintf(err, errlen, "socket path '%s' is too long", path);
		return -ENAMETOOLONG;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	snprintf(s->path, sizeof(s->path), "%s", path);
	err[0] = '\0';
	if ((ret = claim_path(path, &sa, err, errlen)) < 0)
		goto fail;
	s->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->stop_efd < 0 || s->listen_fd < 0) {
		ret = -errno;
		goto fail;
	}
	/* Only our user may talk to the VMM. */
	old = umask(0077);
	ret = bind(s->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ? -errno : 0;
	umask(old);
	if (ret < 0)
		goto fail;
	if (lstat(path, &st) == 0)
		s->ino = st.st_ino;
	if (listen(s->listen_fd, API_MAX_CONNS) < 0) {
		ret = -errno;
		goto fail;
	}
	return 0;
fail:
	if (!err[0])
		snprintf(err, errlen, "cannot listen on '%s': %s", path, strerror(-ret));
	if (s->ino)
		unlink(path);
	s->ino = 0;
	api_server_close(s);
	return ret;
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
	struct stat st;

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
	/* Only the socket we created: a successor may have bound the path. */
	if (s->ino && lstat(s->path, &st) == 0 && st.st_ino == s->ino)
		unlink(s->path);
	s->ino = 0;
	s->listen_fd = s->stop_efd = -1;
}
