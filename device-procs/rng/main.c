/* cellvm-rng: the virtio-rng device program. It talks vhost-user to one
 * frontend (the cellvm core, or QEMU's vhost-user-rng-device) and follows
 * the vhost-user "Backend program conventions": --socket-path/--fd,
 * --print-capabilities, exit on SIGTERM. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dev_metrics.h"
#include "rng.h"
#include "rng_opts.h"
#include "sandbox.h"
#include "vu_listen.h"

int main(int argc, char **argv)
{
	struct vu_backend_opts opts = { 0 };
	struct sandbox_opts sb;
	struct rng_opts o;
	struct rng_dev *rng = NULL;
	int stop_fd = -1, sock = -1, r, status = 1;

	if (sandbox_parse_args(&argc, argv, &sb, "cellvm-rng") < 0)
		return 2;
	if (rng_opts_parse(&o, argc, argv, stderr) < 0) {
		rng_opts_usage(stderr);
		return 2;
	}
	if (o.print_caps) {
		printf("{\n  \"type\": \"rng\"\n}\n");
		return 0;
	}
	if (o.help) {
		rng_opts_usage(stdout);
		return 0;
	}
	opts.verbose = o.verbose;

	stop_fd = vu_stop_signalfd();
	if (stop_fd < 0) {
		fprintf(stderr, "cellvm-rng: signalfd: %s\n", strerror(-stop_fd));
		goto out;
	}
	sock = vu_frontend_socket(o.socket_path, o.sock_fd, stop_fd, "cellvm-rng");
	if (sock == -ECANCELED) {
		status = 0;
		goto out;
	}
	if (sock < 0)
		goto out;
	rng = calloc(1, sizeof(*rng));
	if (!rng) {
		fprintf(stderr, "cellvm-rng: out of memory\n");
		goto out;
	}
	rng->metrics = dev_metrics_adopt(o.metrics_fd, "cellvm-rng");
	/* Nothing but the socket and the stop fd from here on (the counters
	 * page stays mapped without its fd); no file is ever written. */
	if (sandbox_enter(&sb, POLICY_DEV_RNG,
			  &(struct sandbox_limits){ .keep_fds = (int[]){ sock, stop_fd }, .n_keep = 2,
						    /* the inflight region's memfd */
						    .max_file_bytes = vu_inflight_max_bytes(1) },
			  "cellvm-rng") < 0)
		goto out;
	r = vu_backend_serve_opts(sock, stop_fd, &rng_device_ops, rng, &opts);
	if (opts.verbose)
		fprintf(stderr, "cellvm-rng: served %llu bytes in %llu requests\n",
			(unsigned long long)rng->bytes, (unsigned long long)rng->requests);
	status = r < 0 ? 1 : 0;
out:
	free(rng);
	if (sock >= 0)
		close(sock);
	if (stop_fd >= 0)
		close(stop_fd);
	return status;
}
