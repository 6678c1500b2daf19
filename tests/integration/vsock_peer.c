#include "vsock_peer.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "tests/linux/vsock_pattern.h"
#include "vmrun.h"

#define BUF (64u << 10)

struct conn {
	int fd;
	uint8_t *buf;          /* echo: bytes read, not yet written back */
	size_t head, len;
	bool eof, done;
	uint64_t total, sum;
};

static void count(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

int vsock_listen_port(const char *uds, uint32_t port)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -errno;
	r = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", uds, port);
	if (r < 0 || (size_t)r >= sizeof(sa.sun_path)) {
		close(fd);
		return -ENAMETOOLONG;
	}
	unlink(sa.sun_path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int write_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;

	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0 && (errno == EINTR || errno == EAGAIN)) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };
			poll(&pf, 1, 1000);
			continue;
		}
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Reads and writes what it can on c; false when the connection is over. */
static bool serve_conn(struct vsock_peer *p, struct conn *c, short revents)
{
	if ((revents & POLLOUT) && c->len) {
		size_t first = BUF - c->head < c->len ? BUF - c->head : c->len;
		/* The guest side may be gone: an error, not SIGPIPE. */
		ssize_t w = send(c->fd, c->buf + c->head, first, MSG_NOSIGNAL);
		if (w < 0 && errno != EAGAIN) {
			count(&p->errors, 1);
			return false;
		}
		if (w > 0) {
			c->head = (c->head + (size_t)w) % BUF;
			c->len -= (size_t)w;
		}
	}
	if ((revents & (POLLIN | POLLHUP | POLLERR)) && !c->eof && c->len < BUF) {
		size_t tail = (c->head + c->len) % BUF;
		size_t room = BUF - c->len, first = BUF - tail < room ? BUF - tail : room;
		ssize_t n = read(c->fd, c->buf + tail, first);
		if (n < 0 && errno != EAGAIN) {
			count(&p->errors, 1);
			return false;
		}
		if (n == 0)
			c->eof = true;
		if (n > 0) {
			c->sum = vsock_sum(c->sum, c->buf + tail, (size_t)n);
			c->total += (uint64_t)n;
			count(&p->bytes_in, (uint64_t)n);
			if (p->mode == VSOCK_PEER_SINK)
				c->len = 0; /* discarded */
			else
				c->len += (size_t)n;
		}
	}
	if (c->eof && c->len == 0) {
		char line[80];
		int l = 0;
		if (p->mode == VSOCK_PEER_ECHO)
			l = snprintf(line, sizeof(line), "END len=%" PRIu64 " sum=%016" PRIx64 "\n",
				     c->total, c->sum);
		else if (p->mode == VSOCK_PEER_SINK)
			l = snprintf(line, sizeof(line), "%" PRIu64 "\n", c->total);
		if (l && write_all(c->fd, line, (size_t)l) < 0) {
			count(&p->errors, 1);
			return false;
		}
		count(&p->closed_ok, 1);
		return false;
	}
	return true;
}

static void *peer_thread(void *arg)
{
	struct vsock_peer *p = arg;
	struct conn conns[VSOCK_PEER_MAX_CONNS];
	unsigned int n = 0;

	for (;;) {
		struct pollfd pf[2 + VSOCK_PEER_MAX_CONNS] = {
			{ .fd = p->stop_efd, .events = POLLIN },
			{ .fd = n < VSOCK_PEER_MAX_CONNS ? p->lfd : -1, .events = POLLIN },
		};
		for (unsigned int i = 0; i < n; i++)
			pf[2 + i] = (struct pollfd){ .fd = conns[i].fd,
						     .events = (short)((conns[i].len ? POLLOUT : 0) |
								       (!conns[i].eof && conns[i].len < BUF ? POLLIN : 0)) };
		if (poll(pf, 2 + n, -1) < 0)
			continue;
		if (pf[0].revents)
			break;
		for (unsigned int i = n; i-- > 0;) {
			if (!pf[2 + i].revents)
				continue;
			if (!serve_conn(p, &conns[i], pf[2 + i].revents)) {
				close(conns[i].fd);
				free(conns[i].buf);
				conns[i] = conns[--n];
			}
		}
		if (pf[1].revents & POLLIN) {
			int fd = accept4(p->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd >= 0) {
				conns[n] = (struct conn){ .fd = fd, .buf = malloc(BUF), .sum = VSOCK_SUM_INIT };
				n++;
				count(&p->conns, 1);
			}
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		close(conns[i].fd);
		free(conns[i].buf);
	}
	return NULL;
}

int vsock_peer_start(struct vsock_peer *p, const char *uds, uint32_t port, enum vsock_peer_mode mode)
{
	memset(p, 0, sizeof(*p));
	p->mode = mode;
	p->stop_efd = -1;
	p->lfd = vsock_listen_port(uds, port);
	if (p->lfd < 0)
		return p->lfd;
	p->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (p->stop_efd < 0 || pthread_create(&p->thread, NULL, peer_thread, p) != 0) {
		vsock_peer_stop(p);
		return -EAGAIN;
	}
	p->running = true;
	return 0;
}

void vsock_peer_stop(struct vsock_peer *p)
{
	uint64_t one = 1;

	if (p->running) {
		if (write(p->stop_efd, &one, sizeof(one)) < 0)
			perror("vsock_peer_stop");
		pthread_join(p->thread, NULL);
		p->running = false;
	}
	if (p->lfd >= 0)
		close(p->lfd);
	if (p->stop_efd >= 0)
		close(p->stop_efd);
	p->lfd = p->stop_efd = -1;
}

int vsock_dial(const char *uds, uint32_t port, uint32_t *local, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char line[32];
	size_t len = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), r;

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", uds);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	r = snprintf(line, sizeof(line), "CONNECT %u\n", port);
	if (write(fd, line, (size_t)r) != r)
		goto fail;
	while (len < sizeof(line) - 1) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		if (poll(&pf, 1, timeout_ms) != 1) {
			errno = ETIMEDOUT;
			goto fail;
		}
		ssize_t n = read(fd, line + len, 1);
		if (n <= 0) {
			errno = n == 0 ? ECONNRESET : errno;
			goto fail;
		}
		if (line[len++] == '\n')
			break;
	}
	line[len] = '\0';
	unsigned int got;
	if (sscanf(line, "OK %u\n", &got) != 1) {
		errno = EPROTO;
		goto fail;
	}
	*local = got;
	return fd;
fail:
	r = -errno;
	close(fd);
	return r;
}

bool vsock_metrics_counter(const char *metrics_path, const char *dev, const char *name, uint64_t *v)
{
	size_t len = 0;
	char *text = (char *)test_read_file(metrics_path, &len);
	bool found = false;

	if (!text)
		return false;
	/* The last complete line. */
	char *end = len && text[len - 1] == '\n' ? text + len - 1 : text + len;
	*end = '\0';
	char *last = strrchr(text, '\n');
	last = last ? last + 1 : text;
	struct json_object *j = json_tokener_parse(last), *m, *devs;
	/* A metrics file line is the Metrics message; cellctl --json wraps
	 * it in a Reply's "metrics". */
	if (j && !json_object_object_get_ex(j, "metrics", &m))
		m = j;
	if (j && json_object_object_get_ex(m, "devices", &devs)) {
		for (size_t i = 0; i < json_object_array_length(devs) && !found; i++) {
			struct json_object *d = json_object_array_get_idx(devs, i), *dn, *cs;
			if (!json_object_object_get_ex(d, "name", &dn) ||
			    strcmp(json_object_get_string(dn), dev) != 0 ||
			    !json_object_object_get_ex(d, "counters", &cs))
				continue;
			for (size_t k = 0; k < json_object_array_length(cs); k++) {
				struct json_object *c = json_object_array_get_idx(cs, k), *cn, *cv;
				if (json_object_object_get_ex(c, "name", &cn) &&
				    strcmp(json_object_get_string(cn), name) == 0) {
					/* Absent means 0 (proto3 JSON omits zero values). */
					*v = json_object_object_get_ex(c, "value", &cv) ?
						     json_object_get_uint64(cv) : 0;
					found = true;
					break;
				}
			}
		}
	}
	json_object_put(j);
	free(text);
	return found;
}
