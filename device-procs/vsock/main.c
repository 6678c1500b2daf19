/* cellvm-vsock: the virtio-vsock device program, a vhost-user backend
 * bridging guest AF_VSOCK streams to host UNIX sockets the way
 * Firecracker does (README.md). Started by cellvm it gets the listening
 * socket and the core's connect broker as fds and never opens anything;
 * run by hand (--uds-path, e.g. next to QEMU) it binds the path itself
 * and forks a small broker of its own, so the device part has the same
 * seccomp policy either way. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dev_metrics.h"
#include "policy/policy.h"
#include "sandbox.h"
#include "unix_listen.h"
#include "vsock_broker.h"
#include "vsock_dev.h"
#include "vsock_opts.h"
#include "vu_listen.h"

#define PROG "cellvm-vsock"
/* fds besides the connections: stdio, vhost-user socket, stop, epolls,
 * timer, wake, listening socket, broker, kick/call/err of 3 queues, 8
 * memory regions, and slack. */
#define VSOCK_BASE_FDS 64

/* A listening UNIX stream socket, or a SOCK_SEQPACKET for the broker. */
static int check_sock(int fd, int want_type, bool listening)
{
	int type = 0, acc = 0;
	socklen_t len = sizeof(type);

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return -errno;
	if (type != want_type)
		return -EPROTOTYPE;
	len = sizeof(acc);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &len) < 0)
		return -errno;
	return (acc != 0) == listening ? 0 : -EINVAL;
}

/* Run by hand: the connect broker is a child process (it may call
 * socket() and connect(), which the device may not). */
static int fork_broker(const char *uds_path, pid_t *pid)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	*pid = fork();
	if (*pid < 0) {
		int e = -errno;
		close(sv[0]);
		close(sv[1]);
		return e;
	}
	if (*pid == 0) {
		/* Nothing of the device's but the channel (fd 3) and stdio. */
		if (dup2(sv[1], 3) < 0 || close_range(4, ~0U, 0) < 0)
			_exit(1);
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (policy_drop_caps() < 0 || policy_apply(POLICY_VSOCK_BROKER) < 0)
			_exit(1);
		_exit(vsock_broker_run(3, -1, uds_path) < 0 ? 1 : 0);
	}
	close(sv[1]);
	return sv[0];
}

static int open_host_side(const struct vsock_opts *o, struct vsock_engine_cfg *cfg, pid_t *broker)
{
	char err[256];
	uint64_t ino;
	int r;

	if (!o->uds_path) {
		if ((r = check_sock(o->listen_fd, SOCK_STREAM, true)) < 0) {
			fprintf(stderr, PROG ": --listen-fd %d: not a listening stream socket (%s)\n",
				o->listen_fd, strerror(-r));
			return r;
		}
		if ((r = check_sock(o->connector_fd, SOCK_SEQPACKET, false)) < 0) {
			fprintf(stderr, PROG ": --connector-fd %d: not a seqpacket socket (%s)\n",
				o->connector_fd, strerror(-r));
			return r;
		}
		cfg->listen_fd = o->listen_fd;
		cfg->connector.broker_fd = o->connector_fd;
		return 0;
	}
	/* The socket file is left behind at exit (the device may not unlink
	 * anything); the next start replaces a stale one. */
	r = unix_listen_owner(o->uds_path, 64, &ino, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, PROG ": %s\n", err);
		return r;
	}
	cfg->listen_fd = r;
	r = fork_broker(o->uds_path, broker);
	if (r < 0) {
		fprintf(stderr, PROG ": cannot start the connect broker: %s\n", strerror(-r));
		return r;
	}
	cfg->connector.broker_fd = r;
	return 0;
}

int main(int argc, char **argv)
{
	struct vu_backend_opts vo = { 0 };
	struct sandbox_opts sb;
	struct vsock_opts o;
	struct vsock_dev *d = NULL;
	struct vsock_engine_cfg cfg = { .listen_fd = -1, .connector = { .broker_fd = -1 } };
	pid_t broker = -1;
	int stop_fd = -1, sock = -1, r, status = 1;

	if (sandbox_parse_args(&argc, argv, &sb, PROG) < 0)
		return 2;
	if (vsock_opts_parse(&o, argc, argv, stderr) < 0) {
		vsock_opts_usage(stderr);
		return 2;
	}
	if (o.print_caps) {
		printf("{\n  \"type\": \"vsock\"\n}\n");
		return 0;
	}
	if (o.help) {
		vsock_opts_usage(stdout);
		return 0;
	}
	vo.verbose = o.verbose;
	stop_fd = vu_stop_signalfd();
	if (stop_fd < 0) {
		fprintf(stderr, PROG ": signalfd: %s\n", strerror(-stop_fd));
		goto out;
	}
	if (open_host_side(&o, &cfg, &broker) < 0)
		goto out;
	sock = vu_frontend_socket(o.socket_path, o.sock_fd, stop_fd, PROG);
	if (sock == -ECANCELED) {
		status = 0;
		goto out;
	}
	if (sock < 0)
		goto out;
	d = calloc(1, sizeof(*d));
	if (!d) {
		fprintf(stderr, PROG ": out of memory\n");
		goto out;
	}
	cfg.guest_cid = o.guest_cid;
	cfg.max_conns = o.max_conns ? o.max_conns : VSOCK_DEFAULT_MAX_CONNS;
	cfg.buf_alloc = o.buf_alloc;
	cfg.verbose = o.verbose;
	cfg.metrics = dev_metrics_adopt(o.metrics_fd, PROG);
	r = vsock_engine_init(&d->eng, &cfg);
	/* The engine owns the host-side fds now, even when it failed. */
	cfg.listen_fd = cfg.connector.broker_fd = -1;
	if (r < 0) {
		fprintf(stderr, PROG ": %s\n", strerror(-r));
		goto out;
	}
	int keep[] = { sock, stop_fd, d->eng.epfd, d->eng.timer_fd, d->eng.wake_fd,
		       d->eng.cfg.listen_fd, d->eng.cfg.connector.broker_fd };
	struct sandbox_limits lim = { .keep_fds = keep, .n_keep = 7,
				      .max_fds = cfg.max_conns + VSOCK_BASE_FDS };
	if (sandbox_enter(&sb, POLICY_DEV_VSOCK, &lim, PROG) < 0)
		goto out;
	fprintf(stderr, PROG ": guest cid %u, up to %u connections, %u-byte windows\n", o.guest_cid,
		d->eng.cfg.max_conns, d->eng.cfg.buf_alloc);
	r = vu_backend_serve_opts(sock, stop_fd, &vsock_device_ops, d, &vo);
	fprintf(stderr,
		PROG ": %llu guest and %llu host connections, %llu bytes to the host, %llu to "
		     "the guest, %llu resets sent, %llu received\n",
		(unsigned long long)vsock_engine_counter(&d->eng, VSOCK_CTR_G2H_CONNS),
		(unsigned long long)vsock_engine_counter(&d->eng, VSOCK_CTR_H2G_CONNS),
		(unsigned long long)vsock_engine_counter(&d->eng, VSOCK_CTR_G2H_BYTES),
		(unsigned long long)vsock_engine_counter(&d->eng, VSOCK_CTR_H2G_BYTES),
		(unsigned long long)vsock_engine_counter(&d->eng, VSOCK_CTR_H2G_RESETS),
		(unsigned long long)vsock_engine_counter(&d->eng, VSOCK_CTR_G2H_RESETS));
	status = r < 0 ? 1 : 0;
out:
	if (d) {
		vsock_engine_fini(&d->eng);
		free(d);
	}
	if (cfg.listen_fd >= 0)
		close(cfg.listen_fd);
	if (cfg.connector.broker_fd >= 0)
		close(cfg.connector.broker_fd);
	if (sock >= 0)
		close(sock);
	if (stop_fd >= 0)
		close(stop_fd);
	/* The broker ends once its channel is closed; not waited for (the
	 * device may not), it is reaped by whoever inherits it. */
	(void)broker;
	return status;
}
