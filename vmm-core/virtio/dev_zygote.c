#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dev_zygote.h"
#include "log.h"

#define ZY_TIMEOUT_MS 10000

struct zy_req {
	char program[32];
	uint32_t nargs;
	uint32_t nfds;
	char args[DEV_SPAWN_MAX_ARGS][DEV_RESPAWN_ARG_MAX];
};

struct zy_rep {
	int32_t ret;
	int32_t pid;
};

void dev_zygote_init(struct dev_zygote *z)
{
	z->pid = -1;
	z->sock = -1;
}

static int zy_send(int sock, const void *buf, size_t len, const int *fds, unsigned int nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * DEV_SPAWN_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (nfds > DEV_SPAWN_MAX_FDS)
		return -EINVAL;
	if (nfds) {
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	return sendmsg(sock, &mh, MSG_NOSIGNAL) == (ssize_t)len ? 0 : -EIO;
}

/* Exactly len bytes and up to DEV_SPAWN_MAX_FDS fds (a device's: the tap
 * queues of a cellvm-net with 7 pairs and its counters page are 8);
 * anything else is dropped. */
static int zy_recv(int sock, void *buf, size_t len, int *fds, unsigned int *nfds)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * DEV_SPAWN_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf,
			     .msg_controllen = sizeof(ctl.buf) };
	ssize_t n;

	*nfds = 0;
	do {
		n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	} while (n < 0 && errno == EINTR);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < k; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*nfds < DEV_SPAWN_MAX_FDS)
				fds[(*nfds)++] = fd;
			else
				close(fd);
		}
	}
	if (n == 0)
		return -ECONNRESET;
	if (n != (ssize_t)len || (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return n < 0 ? -errno : -EBADMSG;
	return 0;
}

static void zy_close_all(int *fds, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++)
		close(fds[i]);
}

/* The spawner's loop: one request, one spawn, one reply. */
static void zy_serve(int sock)
{
	for (;;) {
		struct zy_req req;
		const char *args[DEV_SPAWN_MAX_ARGS + 1];
		int fds[DEV_SPAWN_MAX_FDS];
		unsigned int nfds;
		struct dev_proc p;
		struct zy_rep rep = { 0 };

		int r = zy_recv(sock, &req, sizeof(req), fds, &nfds);
		if (r == -ECONNRESET)
			return;
		if (r < 0 || req.nargs > DEV_SPAWN_MAX_ARGS || req.nfds != nfds) {
			zy_close_all(fds, nfds);
			rep.ret = -EBADMSG;
			zy_send(sock, &rep, sizeof(rep), NULL, 0);
			continue;
		}
		req.program[sizeof(req.program) - 1] = '\0';
		for (uint32_t i = 0; i < req.nargs; i++) {
			req.args[i][DEV_RESPAWN_ARG_MAX - 1] = '\0';
			args[i] = req.args[i];
		}
		args[req.nargs] = NULL;
		rep.ret = dev_spawn_for_parent(&p, req.program, args, fds, nfds);
		zy_close_all(fds, nfds);
		if (rep.ret == 0) {
			int out[3] = { p.sock, p.pidfd, p.log_fd };
			rep.pid = p.pid;
			zy_send(sock, &rep, sizeof(rep), out, 3);
			zy_close_all(out, 3);
		} else {
			zy_send(sock, &rep, sizeof(rep), NULL, 0);
		}
	}
}

int dev_zygote_start(struct dev_zygote *z)
{
	int sv[2];
	pid_t core = getpid();

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int err = -errno;
		close(sv[0]);
		close(sv[1]);
		return err;
	}
	if (pid == 0) {
		/* Nothing of the core's but stdio and the channel; gone with
		 * the core. _exit: no atexit handlers (or leak checks) of the
		 * core's state run here. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != core)
			_exit(0);
		if (dup2(sv[1], 3) < 0)
			_exit(1);
		syscall(SYS_close_range, 4, ~0u, 0);
		zy_serve(3);
		_exit(0);
	}
	close(sv[1]);
	z->pid = pid;
	z->sock = sv[0];
	return 0;
}

int dev_zygote_spawn(struct dev_zygote *z, const struct dev_respawn *k, struct dev_proc *p)
{
	struct zy_req req;
	struct zy_rep rep;
	struct pollfd pfd = { .fd = z->sock, .events = POLLIN };
	int fds[DEV_SPAWN_MAX_FDS];
	unsigned int nfds;
	int r;

	*p = (struct dev_proc){ .pid = -1, .pidfd = -1, .sock = -1, .log_fd = -1 };
	if (z->sock < 0 || !k->kept)
		return -ENOTSUP;
	memset(&req, 0, sizeof(req));
	snprintf(req.program, sizeof(req.program), "%s", k->program);
	req.nargs = k->nargs;
	req.nfds = k->nfds;
	memcpy(req.args, k->args, sizeof(req.args));
	if ((r = zy_send(z->sock, &req, sizeof(req), k->fds, k->nfds)) < 0)
		return r;
	if (poll(&pfd, 1, ZY_TIMEOUT_MS) != 1)
		return -ETIMEDOUT;
	if ((r = zy_recv(z->sock, &rep, sizeof(rep), fds, &nfds)) < 0) {
		zy_close_all(fds, nfds);
		return r;
	}
	if (rep.ret < 0 || nfds != 3 || rep.pid <= 0) {
		zy_close_all(fds, nfds);
		return rep.ret < 0 ? rep.ret : -EBADMSG;
	}
	snprintf(p->program, sizeof(p->program), "%s", k->program);
	p->pid = rep.pid;
	p->sock = fds[0];
	p->pidfd = fds[1];
	p->log_fd = fds[2];
	return 0;
}

void dev_zygote_stop(struct dev_zygote *z)
{
	if (z->sock >= 0)
		close(z->sock);
	if (z->pid > 0)
		waitpid(z->pid, NULL, 0);
	dev_zygote_init(z);
}
