/* cellvm-rng: the virtio-rng device program. It talks vhost-user to one
 * frontend (the cellvm core, or QEMU's vhost-user-rng-device) and follows
 * the vhost-user "Backend program conventions": --socket-path/--fd,
 * --print-capabilities, exit on SIGTERM. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rng.h"
#include "sandbox.h"
#include "vu_listen.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: cellvm-rng (--socket-path PATH | --fd N) [--verbose]\n"
		"       cellvm-rng --print-capabilities\n"
		"  --socket-path, --socket PATH  listen on PATH and serve one frontend\n"
		"  --fd N                        serve the connected socket N\n"
		"  --print-capabilities          print the backend's JSON capabilities\n"
		"  -v, --verbose                 log every vhost-user message\n");
}

/* The conventions say --print-capabilities wins over everything else,
 * even options this program does not know. */
static bool wants_capabilities(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--print-capabilities"))
			return true;
	return false;
}

static int parse_fd(const char *s)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < 0 || v > 1 << 20)
		return -1;
	return (int)v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "socket-path", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 's' },
		{ "fd", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct vu_backend_opts opts = { 0 };
	struct sandbox_opts sb;
	const char *path = NULL;
	struct rng_dev *rng = NULL;
	int fd = -1, stop_fd = -1, sock = -1, c, r, status = 1;

	if (sandbox_parse_args(&argc, argv, &sb, "cellvm-rng") < 0)
		return 2;
	if (wants_capabilities(argc, argv)) {
		printf("{\n  \"type\": \"rng\"\n}\n");
		return 0;
	}
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'f':
			fd = parse_fd(optarg);
			if (fd < 0) {
				fprintf(stderr, "cellvm-rng: bad --fd '%s'\n", optarg);
				return 2;
			}
			break;
		case 'v':
			opts.verbose = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc || (path == NULL) == (fd < 0)) {
		fprintf(stderr, "cellvm-rng: give exactly one of --socket-path and --fd\n");
		usage(stderr);
		return 2;
	}

	stop_fd = vu_stop_signalfd();
	if (stop_fd < 0) {
		fprintf(stderr, "cellvm-rng: signalfd: %s\n", strerror(-stop_fd));
		goto out;
	}
	if (path) {
		sock = vu_listen_accept(path, stop_fd);
		if (sock == -ECANCELED) {
			status = 0;
			goto out;
		}
		if (sock < 0) {
			fprintf(stderr, "cellvm-rng: %s: %s\n", path, strerror(-sock));
			goto out;
		}
	} else {
		r = vu_check_socket_fd(fd);
		if (r < 0) {
			fprintf(stderr, "cellvm-rng: --fd %d: %s\n", fd, strerror(-r));
			goto out;
		}
		sock = fd;
	}
	rng = calloc(1, sizeof(*rng));
	if (!rng) {
		fprintf(stderr, "cellvm-rng: out of memory\n");
		goto out;
	}
	/* Nothing but the socket and the stop fd from here on; no file is
	 * ever written. */
	if (sandbox_enter(&sb, POLICY_DEV_RNG,
			  &(struct sandbox_limits){ .keep_fds = (int[]){ sock, stop_fd }, .n_keep = 2 },
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
