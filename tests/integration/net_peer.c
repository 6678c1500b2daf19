#include "net_peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/linux/vsock_pattern.h"

static int run(const char *cmd, char *msg, size_t msglen)
{
	int st = system(cmd);

	if (st != 0) {
		snprintf(msg, msglen, "'%s' failed (status %d)", cmd, st);
		return -1;
	}
	return 0;
}

int net_tap_create(const char *name, const char *addr, bool mq, char *msg, size_t msglen)
{
	char cmd[256];

	if (geteuid() != 0 || access("/dev/net/tun", R_OK | W_OK) != 0) {
		snprintf(msg, msglen, "needs root and /dev/net/tun (the nested host has both)");
		return -1;
	}
	net_tap_delete(name);
	snprintf(cmd, sizeof(cmd), "ip tuntap add dev %s mode tap%s", name, mq ? " multi_queue" : "");
	if (run(cmd, msg, msglen) < 0)
		return -1;
	snprintf(cmd, sizeof(cmd), "ip addr add %s/24 dev %s && ip link set %s up", addr, name, name);
	return run(cmd, msg, msglen);
}

void net_tap_delete(const char *name)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "ip link del %s 2>/dev/null", name);
	if (system(cmd) != 0) {
		/* It was not there. */
	}
}

struct conn_arg {
	struct net_peer *p;
	int fd;
	unsigned int idx;
};

static void *serve_conn(void *arg)
{
	struct conn_arg a = *(struct conn_arg *)arg;
	struct net_peer_conn c = { .sum = VSOCK_SUM_INIT };
	static __thread uint8_t buf[64 << 10], flood[64 << 10];
	bool bad = false;

	free(arg);
	vsock_pattern_fill(flood, sizeof(flood), 1, 0);
	for (;;) {
		struct pollfd pf[2] = { { .fd = a.fd, .events = POLLIN },
					{ .fd = a.p->stop_efd, .events = POLLIN } };
		if (poll(pf, 2, 120000) <= 0 || pf[1].revents) {
			bad = true;
			break;
		}
		ssize_t n = recv(a.fd, buf, sizeof(buf), 0);
		if (n == 0)
			break;
		if (n < 0) {
			/* A sink's client may vanish with its device. */
			bad = a.p->mode == NET_PEER_ECHO;
			break;
		}
		uint64_t mismatched = 0;
		if (a.p->mode == NET_PEER_SINK)
			for (ssize_t i = 0; i < n; i++)
				mismatched += buf[i] != flood[(c.len + (uint64_t)i) % sizeof(flood)];
		c.len += (uint64_t)n;
		c.sum = vsock_sum(c.sum, buf, (size_t)n);
		pthread_mutex_lock(&a.p->lock);
		a.p->bytes += (uint64_t)n;
		a.p->sink_mismatched += mismatched;
		pthread_mutex_unlock(&a.p->lock);
		if (a.p->mode == NET_PEER_ECHO) {
			for (ssize_t off = 0; off < n;) {
				ssize_t w = send(a.fd, buf + off, (size_t)(n - off), MSG_NOSIGNAL);
				if (w <= 0) {
					bad = true;
					break;
				}
				off += w;
			}
		}
		if (bad)
			break;
	}
	close(a.fd);
	pthread_mutex_lock(&a.p->lock);
	c.done = !bad;
	a.p->conns[a.idx] = c;
	if (bad)
		a.p->errors++;
	pthread_mutex_unlock(&a.p->lock);
	return NULL;
}

static void *serve(void *arg)
{
	struct net_peer *p = arg;

	for (;;) {
		struct pollfd pf[2] = { { .fd = p->lfd, .events = POLLIN },
					{ .fd = p->stop_efd, .events = POLLIN } };
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		if (pf[1].revents)
			break;
		if (!(pf[0].revents & POLLIN))
			continue;
		int fd = accept4(p->lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		struct conn_arg *a = malloc(sizeof(*a));
		pthread_mutex_lock(&p->lock);
		unsigned int idx = p->nconns < NET_PEER_MAX_CONNS ? p->nconns++ : NET_PEER_MAX_CONNS;
		pthread_mutex_unlock(&p->lock);
		pthread_t t;
		if (!a || idx == NET_PEER_MAX_CONNS) {
			free(a);
			close(fd);
			continue;
		}
		*a = (struct conn_arg){ p, fd, idx };
		if (pthread_create(&t, NULL, serve_conn, a) != 0) {
			free(a);
			close(fd);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

int net_peer_start(struct net_peer *p, const char *addr, int port, enum net_peer_mode mode)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int one = 1;

	memset(p, 0, sizeof(*p));
	p->mode = mode;
	pthread_mutex_init(&p->lock, NULL);
	inet_pton(AF_INET, addr, &sa.sin_addr);
	p->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	p->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (p->lfd < 0 || p->stop_efd < 0)
		return -errno;
	setsockopt(p->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(p->lfd, 64) < 0)
		return -errno;
	if (pthread_create(&p->thread, NULL, serve, p) != 0)
		return -EAGAIN;
	p->running = true;
	return 0;
}

void net_peer_stop(struct net_peer *p)
{
	uint64_t one = 1;

	if (p->running) {
		if (write(p->stop_efd, &one, sizeof(one)) < 0) {
			/* The thread still ends with its listening socket. */
		}
		pthread_join(p->thread, NULL);
		/* Connection threads see the same eventfd and end. */
		usleep(200000);
	}
	p->running = false;
	if (p->lfd > 0)
		close(p->lfd);
	if (p->stop_efd > 0)
		close(p->stop_efd);
	p->lfd = p->stop_efd = -1;
}

bool net_peer_claim(struct net_peer *p, uint64_t len, uint64_t sum)
{
	bool found = false;

	pthread_mutex_lock(&p->lock);
	for (unsigned int i = 0; i < p->nconns && !found; i++) {
		struct net_peer_conn *c = &p->conns[i];
		if (c->done && c->len == len && c->sum == sum) {
			c->done = false;
			found = true;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return found;
}

uint64_t net_peer_bytes(struct net_peer *p)
{
	pthread_mutex_lock(&p->lock);
	uint64_t b = p->bytes;
	pthread_mutex_unlock(&p->lock);
	return b;
}

uint64_t net_peer_sink_mismatched(struct net_peer *p)
{
	pthread_mutex_lock(&p->lock);
	uint64_t b = p->sink_mismatched;
	pthread_mutex_unlock(&p->lock);
	return b;
}

unsigned int net_peer_conns(struct net_peer *p)
{
	pthread_mutex_lock(&p->lock);
	unsigned int n = p->nconns;
	pthread_mutex_unlock(&p->lock);
	return n;
}
