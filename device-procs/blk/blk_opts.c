#include "blk_opts.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "blk_dev.h"
#include "blk_req.h"

enum {
	OPT_IMAGE = 0x100,
	OPT_IMAGE_FD,
	OPT_RO,
	OPT_ID,
	OPT_SOCKET,
	OPT_FD,
	OPT_METRICS_FD,
	OPT_QUEUES,
	OPT_QUEUE_DEPTH,
	OPT_VERBOSE,
	OPT_PRINT_CAPS,
	OPT_HELP,
};

static const struct option blk_long_opts[] = {
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "blk-file", required_argument, NULL, OPT_IMAGE },
	{ "image-fd", required_argument, NULL, OPT_IMAGE_FD },
	{ "ro", no_argument, NULL, OPT_RO },
	{ "read-only", no_argument, NULL, OPT_RO },
	{ "id", required_argument, NULL, OPT_ID },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "socket-path", required_argument, NULL, OPT_SOCKET },
	{ "fd", required_argument, NULL, OPT_FD },
	{ "metrics-fd", required_argument, NULL, OPT_METRICS_FD },
	{ "queues", required_argument, NULL, OPT_QUEUES },
	{ "queue-depth", required_argument, NULL, OPT_QUEUE_DEPTH },
	{ "verbose", no_argument, NULL, OPT_VERBOSE },
	{ "print-capabilities", no_argument, NULL, OPT_PRINT_CAPS },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

void blk_opts_usage(FILE *f)
{
	fprintf(f,
		"usage: cellvm-blk (--image PATH | --image-fd N) (--socket PATH | --fd N)\n"
		"                  [--ro] [--id NAME] [--queues N] [--queue-depth N]\n"
		"                  [--metrics-fd N] [--verbose]\n"
		"       cellvm-blk --print-capabilities\n"
		"\n"
		"virtio-blk vhost-user backend serving a raw image (size a multiple of 512).\n"
		"  --image PATH, --blk-file PATH  image file or block device\n"
		"  --image-fd N                   image already open as fd N\n"
		"  --ro, --read-only              serve the image read-only\n"
		"  --id NAME                      device ID (GET_ID), up to %u ASCII bytes\n"
		"  --socket PATH, --socket-path PATH\n"
		"                                 listen on PATH and serve one frontend\n"
		"  --fd N                         serve the connected socket fd N\n"
		"  --queues N                     virtqueues, 1..%u (default 1)\n"
		"  --queue-depth N                requests in flight per queue, 1..%u (default %u)\n"
		"  --metrics-fd N                 count requests and bytes in the counters page\n"
		"                                 (ipc/dev_metrics.h) open as fd N\n"
		"  --verbose                      log every vhost-user message\n"
		"  --print-capabilities           print the backend capabilities (JSON) and exit\n",
		BLK_ID_BYTES, VU_MAX_QUEUES, BLK_QUEUE_DEPTH_MAX, BLK_QUEUE_DEPTH_DEFAULT);
}

void blk_opts_print_caps(FILE *f)
{
	fputs("{\n"
	      "  \"type\": \"block\",\n"
	      "  \"features\": [\n"
	      "    \"read-only\",\n"
	      "    \"blk-file\"\n"
	      "  ]\n"
	      "}\n",
	      f);
}

/* A whole decimal number in [min, max], nothing else. */
static int parse_uint(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static bool id_ok(const char *id)
{
	if (strlen(id) > BLK_ID_BYTES)
		return false;
	for (const char *p = id; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

static int opt_number(const char *name, const char *arg, long min, long max, long *out,
		      FILE *err)
{
	if (parse_uint(arg, min, max, out) == 0)
		return 0;
	fprintf(err, "cellvm-blk: %s wants a number from %ld to %ld, not '%s'\n", name, min, max,
		arg);
	return -EINVAL;
}

static int blk_opts_check(const struct blk_opts *o, FILE *err)
{
	if (!o->image == (o->image_fd < 0)) {
		fprintf(err, "cellvm-blk: give exactly one of --image and --image-fd\n");
		return -EINVAL;
	}
	if (!o->socket_path == (o->sock_fd < 0)) {
		fprintf(err, "cellvm-blk: give exactly one of --socket and --fd\n");
		return -EINVAL;
	}
	/* The page's fd is closed once mapped: it must not be one we serve. */
	if (o->metrics_fd >= 0 && (o->metrics_fd == o->sock_fd || o->metrics_fd == o->image_fd)) {
		fprintf(err, "cellvm-blk: --metrics-fd %d is already the %s fd\n", o->metrics_fd,
			o->metrics_fd == o->sock_fd ? "socket" : "image");
		return -EINVAL;
	}
	return 0;
}

int blk_opts_parse(struct blk_opts *o, int argc, char *const argv[], FILE *err)
{
	long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->image_fd = -1;
	o->sock_fd = -1;
	o->metrics_fd = -1;
	o->queues = 1;
	o->queue_depth = BLK_QUEUE_DEPTH_DEFAULT;

	/* The conventions say everything else is ignored then, even junk. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--print-capabilities") == 0) {
			o->print_caps = true;
			return 0;
		}
	}

	optind = 0;   /* glibc: full re-initialisation, so tests can parse again */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:", blk_long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_IMAGE:
			o->image = optarg;
			break;
		case OPT_IMAGE_FD:
			if (opt_number("--image-fd", optarg, 0, INT_MAX, &v, err) < 0)
				return -EINVAL;
			o->image_fd = (int)v;
			break;
		case OPT_RO:
			o->read_only = true;
			break;
		case OPT_ID:
			if (!id_ok(optarg)) {
				fprintf(err, "cellvm-blk: --id must be at most %u printable ASCII "
					"bytes\n", BLK_ID_BYTES);
				return -EINVAL;
			}
			o->id = optarg;
			break;
		case OPT_SOCKET:
			o->socket_path = optarg;
			break;
		case OPT_FD:
			if (opt_number("--fd", optarg, 0, INT_MAX, &v, err) < 0)
				return -EINVAL;
			o->sock_fd = (int)v;
			break;
		case OPT_METRICS_FD:
			/* 0-2 are stdio, which closing after the mapping would lose. */
			if (opt_number("--metrics-fd", optarg, 3, INT_MAX, &v, err) < 0)
				return -EINVAL;
			o->metrics_fd = (int)v;
			break;
		case OPT_QUEUES:
			if (opt_number("--queues", optarg, 1, VU_MAX_QUEUES, &v, err) < 0)
				return -EINVAL;
			o->queues = (unsigned int)v;
			break;
		case OPT_QUEUE_DEPTH:
			if (opt_number("--queue-depth", optarg, 1, BLK_QUEUE_DEPTH_MAX, &v, err) < 0)
				return -EINVAL;
			o->queue_depth = (unsigned int)v;
			break;
		case OPT_VERBOSE:
			o->verbose = true;
			break;
		case OPT_PRINT_CAPS:
			o->print_caps = true;
			return 0;
		case OPT_HELP:
			o->help = true;
			return 0;
		case ':':
			fprintf(err, "cellvm-blk: %s needs a value\n", argv[optind - 1]);
			return -EINVAL;
		default:
			fprintf(err, "cellvm-blk: unknown option %s\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(err, "cellvm-blk: unexpected argument %s\n", argv[optind]);
		return -EINVAL;
	}
	return blk_opts_check(o, err);
}
