#include "rng_opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

/* Above any fd number a process of ours could hold. */
#define RNG_FD_MAX (1 << 20)

void rng_opts_usage(FILE *f)
{
	fprintf(f,
		"usage: cellvm-rng (--socket-path PATH | --fd N) [--metrics-fd N] [--verbose]\n"
		"       cellvm-rng --print-capabilities\n"
		"  --socket-path, --socket PATH  listen on PATH and serve one frontend\n"
		"  --fd N                        serve the connected socket N\n"
		"  --metrics-fd N                count requests and bytes in the counters page\n"
		"                                (ipc/dev_metrics.h) open as fd N\n"
		"  --print-capabilities          print the backend's JSON capabilities\n"
		"  -v, --verbose                 log every vhost-user message\n");
}

/* A whole decimal number in [min, RNG_FD_MAX], nothing else. */
static int parse_fd(const char *name, const char *s, long min, FILE *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end != '\0' || v < min || v > RNG_FD_MAX) {
		fprintf(err, "cellvm-rng: %s wants a number from %ld to %d, not '%s'\n", name, min,
			RNG_FD_MAX, s);
		return -EINVAL;
	}
	return (int)v;
}

int rng_opts_parse(struct rng_opts *o, int argc, char *const argv[], FILE *err)
{
	static const struct option longopts[] = {
		{ "socket-path", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 's' },
		{ "fd", required_argument, NULL, 'f' },
		{ "metrics-fd", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "print-capabilities", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	memset(o, 0, sizeof(*o));
	o->sock_fd = -1;
	o->metrics_fd = -1;

	/* The conventions say --print-capabilities wins over everything
	 * else, even options this program does not know. */
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--print-capabilities") == 0) {
			o->print_caps = true;
			return 0;
		}
	}

	optind = 0;   /* glibc: full re-initialisation, so tests can parse again */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket_path = optarg;
			break;
		case 'f':
			if ((o->sock_fd = parse_fd("--fd", optarg, 0, err)) < 0)
				return -EINVAL;
			break;
		case 'm':
			/* 0-2 are stdio, which closing after the mapping would lose. */
			if ((o->metrics_fd = parse_fd("--metrics-fd", optarg, 3, err)) < 0)
				return -EINVAL;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			o->help = true;
			return 0;
		case ':':
			fprintf(err, "cellvm-rng: %s needs a value\n", argv[optind - 1]);
			return -EINVAL;
		default:
			/* A short option may sit inside a cluster such as -vx. */
			if (optopt)
				fprintf(err, "cellvm-rng: unknown option -%c\n", optopt);
			else
				fprintf(err, "cellvm-rng: unknown option %s\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(err, "cellvm-rng: unexpected argument %s\n", argv[optind]);
		return -EINVAL;
	}
	if ((o->socket_path == NULL) == (o->sock_fd < 0)) {
		fprintf(err, "cellvm-rng: give exactly one of --socket-path and --fd\n");
		return -EINVAL;
	}
	/* The page's fd is closed once mapped: it must not be the socket. */
	if (o->metrics_fd >= 0 && o->metrics_fd == o->sock_fd) {
		fprintf(err, "cellvm-rng: --metrics-fd %d is already the socket fd\n",
			o->metrics_fd);
		return -EINVAL;
	}
	return 0;
}
