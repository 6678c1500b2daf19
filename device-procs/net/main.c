/* cellvm-net: the virtio-net device program, a vhost-user backend moving
 * frames between the guest and a tap. Started by cellvm it gets the tap
 * queues as fds (the core opened them) and never opens anything; run by
 * hand (next to QEMU) it is given the same fds by whoever starts it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dev_metrics.h"
#include "net_dev.h"
#include "net_opts.h"
#include "policy/policy.h"
#include "sandbox.h"
#include "vu_inflight.h"
#include "vu_listen.h"

#define PROG "cellvm-net"

/* A tap queue is a character device (/dev/net/tun); the engine needs it
 * non-blocking whoever opened it. */
static int check_tap(int fd)
{
	struct stat st;
	int fl;

	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISCHR(st.st_mode))
		return -ENOTTY;
	if ((fl = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	struct vu_backend_opts vo = { 0 };
	struct sandbox_opts sb;
	struct net_opts o;
	struct net_dev *d = NULL;
	struct net_engine_cfg cfg = { 0 };
	int stop_fd = -1, sock = -1, r, status = 1;
	bool engine_owns_taps = false;

	if (sandbox_parse_args(&argc, argv, &sb, PROG) < 0)
		return 2;
	if (net_opts_parse(&o, argc, argv, stderr) < 0) {
		net_opts_usage(stderr);
		return 2;
	}
	if (o.print_caps) {
		printf("{\n  \"type\": \"net\"\n}\n");
		return 0;
	}
	if (o.help) {
		net_opts_usage(stdout);
		return 0;
	}
	vo.verbose = o.verbose;
	stop_fd = vu_stop_signalfd();
	if (stop_fd < 0) {
		fprintf(stderr, PROG ": signalfd: %s\n", strerror(-stop_fd));
		goto out;
	}
	for (unsigned int i = 0; i < o.pairs; i++) {
		if ((r = check_tap(o.tap_fds[i])) < 0) {
			fprintf(stderr, PROG ": --tap-fds: fd %d is not an open tap (%s)\n",
				o.tap_fds[i], strerror(-r));
			goto out;
		}
		cfg.tap_fds[i] = o.tap_fds[i];
	}
	cfg.pairs = o.pairs;
	memcpy(cfg.mac, o.mac, sizeof(cfg.mac));
	cfg.mtu = o.mtu;
	cfg.tap_ioctls = true;
	cfg.tap_offloads = net_engine_probe_offloads(o.tap_fds[0]);
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
	cfg.metrics = dev_metrics_adopt(o.metrics_fd, PROG);
	r = net_engine_init(&d->eng, &cfg);
	engine_owns_taps = true; /* even when it failed: it closed them */
	if (r < 0) {
		fprintf(stderr, PROG ": %s\n", strerror(-r));
		goto out;
	}
	net_dev_init_ops(d);
	int keep[NET_MAX_PAIRS + 4] = { sock, stop_fd, d->eng.epfd, d->eng.wake_fd };
	unsigned int nkeep = 4;
	for (unsigned int i = 0; i < o.pairs; i++)
		keep[nkeep++] = o.tap_fds[i];
	/* RLIMIT_FSIZE: no file is written, but the inflight region's memfd
	 * (GET_INFLIGHT_FD) is sized by ftruncate, which the limit governs. */
	struct sandbox_limits lim = { .keep_fds = keep, .n_keep = nkeep,
				      .max_file_bytes = vu_inflight_max_bytes(d->ops.num_queues) };
	if (sandbox_enter(&sb, POLICY_DEV_NET, &lim, PROG) < 0)
		goto out;
	fprintf(stderr,
		PROG ": mac %02x:%02x:%02x:%02x:%02x:%02x, mtu %u, %u queue pair%s, tap offloads "
		     "0x%x\n",
		o.mac[0], o.mac[1], o.mac[2], o.mac[3], o.mac[4], o.mac[5], o.mtu, o.pairs,
		o.pairs > 1 ? "s" : "", cfg.tap_offloads);
	r = vu_backend_serve_opts(sock, stop_fd, &d->ops, d, &vo);
	fprintf(stderr,
		PROG ": %llu frames (%llu bytes) to the tap, %llu (%llu bytes) to the guest, "
		     "%llu tx and %llu rx dropped\n",
		(unsigned long long)net_engine_counter(&d->eng, NET_CTR_TX_PACKETS),
		(unsigned long long)net_engine_counter(&d->eng, NET_CTR_TX_BYTES),
		(unsigned long long)net_engine_counter(&d->eng, NET_CTR_RX_PACKETS),
		(unsigned long long)net_engine_counter(&d->eng, NET_CTR_RX_BYTES),
		(unsigned long long)net_engine_counter(&d->eng, NET_CTR_TX_DROPPED),
		(unsigned long long)net_engine_counter(&d->eng, NET_CTR_RX_DROPPED));
	status = r < 0 ? 1 : 0;
out:
	if (d) {
		if (engine_owns_taps)
			net_engine_fini(&d->eng);
		free(d);
	}
	if (!engine_owns_taps)
		for (unsigned int i = 0; i < o.pairs; i++)
			close(o.tap_fds[i]);
	if (sock >= 0)
		close(sock);
	if (stop_fd >= 0)
		close(stop_fd);
	return status;
}
