#include "vsock_srv.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/vm_sockets.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static void *srv_thread(void *arg)
{
	struct vsock_srv *s = arg;
	static uint8_t buf[256 << 10];
	int conn[2] = { -1, -1 };
	uint64_t got = 0;

	for (;;) {
		struct pollfd p[5] = {
			{ .fd = s->stop_efd, .events = POLLIN },
			{ .fd = conn[0] < 0 ? s->lfd[0] : -1, .events = POLLIN },
			{ .fd = conn[1] < 0 ? s->lfd[1] : -1, .events = POLLIN },
			{ .fd = conn[0], .events = POLLIN },
			{ .fd = conn[1], .events = POLLIN },
		};
		if (poll(p, 5, -1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			break;
		for (int i = 0; i < 2; i++) {
			if (!(p[1 + i].revents & POLLIN))
				continue;
			conn[i] = accept4(s->lfd[i], NULL, NULL, SOCK_CLOEXEC);
			/* TCP (linux-net): no Nagle delay in the ping-pong. Fails,
			 * harmlessly, on UNIX and vsock sockets. */
			int one = 1;
			if (conn[i] >= 0)
				setsockopt(conn[i], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		if (p[3].revents) {
			ssize_t n = read(conn[0], buf, sizeof(buf));
			if (n > 0) {
				got += (uint64_t)n;
			} else {
				char line[32];
				int l = snprintf(line, sizeof(line), "%" PRIu64 "\n", got);
				if (n == 0 && send(conn[0], line, (size_t)l, MSG_NOSIGNAL) == l)
					__atomic_fetch_add(&s->streams, 1, __ATOMIC_RELAXED);
				close(conn[0]);
				conn[0] = -1;
				got = 0;
			}
		}
		if (p[4].revents) {
			ssize_t n = read(conn[1], buf, 4096);
			if (n <= 0 || send(conn[1], buf, (size_t)n, MSG_NOSIGNAL) != n) {
				close(conn[1]);
				conn[1] = -1;
			}
		}
	}
	for (int i = 0; i < 2; i++)
		if (conn[i] >= 0)
			close(conn[i]);
	return NULL;
}

static int srv_run(struct vsock_srv *s)
{
	s->stop_efd = eventfd(0, EFD_CLOEXEC);
	if (s->stop_efd < 0)
		return -errno;
	if (pthread_create(&s->thread, NULL, srv_thread, s) != 0)
		return -EAGAIN;
	s->running = true;
	return 0;
}

int vsock_srv_start_unix(struct vsock_srv *s, const char *base, uint32_t port)
{
	memset(s, 0, sizeof(*s));
	s->lfd[0] = s->lfd[1] = s->stop_efd = -1;
	for (int i = 0; i < 2; i++) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		int r = snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%u", base, port + (uint32_t)i);
		if (r < 0 || (size_t)r >= sizeof(sa.sun_path))
			return -ENAMETOOLONG;
		s->lfd[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s->lfd[i] < 0 || bind(s->lfd[i], (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(s->lfd[i], 4) < 0) {
			r = -errno;
			vsock_srv_stop(s);
			return r;
		}
	}
	return srv_run(s);
}

int vsock_srv_start_vsock(struct vsock_srv *s, uint32_t port)
{
	memset(s, 0, sizeof(*s));
	s->lfd[0] = s->lfd[1] = s->stop_efd = -1;
	for (int i = 0; i < 2; i++) {
		struct sockaddr_vm sa = { .svm_family = AF_VSOCK, .svm_cid = VMADDR_CID_ANY,
					  .svm_port = port + (uint32_t)i };
		s->lfd[i] = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s->lfd[i] < 0 || bind(s->lfd[i], (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(s->lfd[i], 4) < 0) {
			int r = -errno;
			vsock_srv_stop(s);
			return r;
		}
	}
	return srv_run(s);
}

int vsock_srv_start_tcp(struct vsock_srv *s, const char *addr, uint32_t port)
{
	memset(s, 0, sizeof(*s));
	s->lfd[0] = s->lfd[1] = s->stop_efd = -1;
	for (int i = 0; i < 2; i++) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_port = htons((uint16_t)(port + (uint32_t)i)) };
		int one = 1;
		if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
			vsock_srv_stop(s);
			return -EINVAL;
		}
		s->lfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s->lfd[i] >= 0)
			setsockopt(s->lfd[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (s->lfd[i] < 0 || bind(s->lfd[i], (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    listen(s->lfd[i], 4) < 0) {
			int r = -errno;
			vsock_srv_stop(s);
			return r;
		}
	}
	return srv_run(s);
}

void vsock_srv_stop(struct vsock_srv *s)
{
	uint64_t one = 1;

	if (s->running) {
		if (write(s->stop_efd, &one, sizeof(one)) < 0)
			perror("bench: vsock server");
		pthread_join(s->thread, NULL);
		s->running = false;
	}
	for (int i = 0; i < 2; i++)
		if (s->lfd[i] >= 0)
			close(s->lfd[i]);
	if (s->stop_efd >= 0)
		close(s->stop_efd);
	s->lfd[0] = s->lfd[1] = s->stop_efd = -1;
}

bool vsock_vhost_available(char *why, size_t len)
{
	int fd = open("/dev/vhost-vsock", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		snprintf(why, len, "/dev/vhost-vsock: %s (the host needs the vhost_vsock module)",
			 strerror(errno));
		return false;
	}
	close(fd);
	return true;
}
