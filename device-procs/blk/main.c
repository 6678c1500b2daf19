/* cellvm-blk: a virtio-blk device as a vhost-user backend process. It
 * serves one raw image to one frontend (the cellvm core, or QEMU) and
 * ends when the frontend goes away or on SIGTERM/SIGINT. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "blk_dev.h"
#include "blk_image.h"
#include "blk_log.h"
#include "blk_opts.h"
#include "dev_metrics.h"
#include "sandbox.h"
#include "vu_backend.h"
#include "vu_listen.h"

#define EXIT_USAGE 2

static void stop_fd_report(int fd)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		blk_log("%s received, exiting", strsignal((int)si.ssi_signo));
}

/* The frontend connects to our socket (QEMU is a client), or the parent
 * hands us one end of a socketpair. */
static int connect_frontend(const struct blk_opts *o, int stop_fd)
{
	int r;

	if (o->socket_path) {
		blk_log("listening on %s", o->socket_path);
		r = vu_listen_accept(o->socket_path, stop_fd);
		if (r < 0 && r != -ECANCELED)
			blk_log("cannot serve on %s: %s", o->socket_path, strerror(-r));
		return r;
	}
	r = vu_check_socket_fd(o->sock_fd);
	if (r < 0) {
		blk_log("--fd %d is not a usable stream socket: %s", o->sock_fd, strerror(-r));
		return r;
	}
	return o->sock_fd;
}

/* RLIMIT_FSIZE: writes never reach past the image; the inflight region
 * (a memfd GET_INFLIGHT_FD sizes) must fit as well. */
static uint64_t blk_max_file_bytes(const struct blk_image *img, unsigned int queues)
{
	uint64_t image = img->read_only ? 0 : img->capacity * 512;
	uint64_t region = vu_inflight_max_bytes(queues);

	return image > region ? image : region;
}

int main(int argc, char **argv)
{
	struct blk_opts o;
	struct blk_image img = { .fd = -1 };
	struct blk_dev dev;
	struct blk_dev_params dp;
	struct sandbox_opts sb;
	bool dev_ready = false;
	int stop_fd = -1, sock = -1, rc = EXIT_FAILURE, r;

	if (sandbox_parse_args(&argc, argv, &sb, "cellvm-blk") < 0)
		return EXIT_USAGE;
	if (blk_opts_parse(&o, argc, argv, stderr) < 0) {
		fprintf(stderr, "cellvm-blk: try --help\n");
		return EXIT_USAGE;
	}
	if (o.print_caps) {
		blk_opts_print_caps(stdout);
		return EXIT_SUCCESS;
	}
	if (o.help) {
		blk_opts_usage(stdout);
		return EXIT_SUCCESS;
	}

	/* SIGTERM and friends arrive on a signalfd the vhost-user loop polls
	 * next to the socket, so a stop is handled between two messages. */
	stop_fd = vu_stop_signalfd();
	if (stop_fd < 0) {
		blk_log("signalfd: %s", strerror(-stop_fd));
		goto out;
	}

	r = o.image ? blk_image_open(&img, o.image, o.read_only)
		    : blk_image_adopt_fd(&img, o.image_fd, o.read_only);
	if (r < 0)
		goto out;
	dp = (struct blk_dev_params){
		.num_queues = o.queues,
		.queue_depth = o.queue_depth,
		.id = o.id,
		.metrics = dev_metrics_adopt(o.metrics_fd, "cellvm-blk"),
	};
	r = blk_dev_init(&dev, &img, &dp);
	if (r < 0) {
		blk_log("device setup failed: %s", strerror(-r));
		goto out;
	}
	dev_ready = true;

	sock = connect_frontend(&o, stop_fd);
	if (sock == -ECANCELED) {
		stop_fd_report(stop_fd);
		rc = EXIT_SUCCESS;
		goto out;
	}
	if (sock < 0)
		goto out;
	blk_log("serving %llu sectors%s, %u queue(s) of depth %u",
		(unsigned long long)img.capacity, img.read_only ? " read-only" : "", o.queues,
		o.queue_depth);
	/* Writes never reach past the image; io_uring's workers (at most 4
	 * per CPU for files) count as tasks. */
	if (sandbox_enter(&sb, POLICY_DEV_BLK,
			  &(struct sandbox_limits){
				  .keep_fds = (int[]){ sock, stop_fd, img.fd, dev.uring.event_fd,
						       dev.uring.ring.ring_fd },
				  .n_keep = 5,
				  .max_file_bytes = blk_max_file_bytes(&img, o.queues),
				  .max_tasks = 1 + 4 * (uint64_t)get_nprocs_conf() },
			  "cellvm-blk") < 0)
		goto out;
	r = vu_backend_serve_opts(sock, stop_fd, &dev.ops, &dev,
				  &(struct vu_backend_opts){ .verbose = o.verbose });
	stop_fd_report(stop_fd);
	blk_log("served %llu requests (%llu failed), up to %u in flight on a queue, "
		"%llu stalls on a full queue", (unsigned long long)dev.stats.requests,
		(unsigned long long)dev.stats.errors, dev.stats.peak_inflight,
		(unsigned long long)dev.stats.throttled);
	rc = r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;

out:
	if (sock >= 0)
		close(sock);
	if (dev_ready)
		blk_dev_fini(&dev);
	blk_image_close(&img);
	if (stop_fd >= 0)
		close(stop_fd);
	return rc;
}
