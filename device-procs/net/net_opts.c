#include "net_opts.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define PROG "cellvm-net"
/* Above any fd number a process of ours could hold. */
#define NET_FD_MAX (1 << 20)

void net_opts_usage(FILE *f)
{
	fprintf(f,
		"usage: " PROG " (--socket-path PATH | --fd N) --tap-fds A[,B...] --mac MAC\n"
		"                  [--mtu N] [--metrics-fd N] [--verbose]\n"
		"       " PROG " --print-capabilities\n"
		"  --socket-path, --socket PATH  listen on PATH and serve one frontend\n"
		"  --fd N                        serve the connected socket N\n"
		"  --tap-fds A[,B...]            open tap queues (IFF_TAP|IFF_NO_PI|IFF_VNET_HDR,\n"
		"                                12-byte header), one per queue pair, 1 to %d\n"
		"  --mac MAC                     the guest's address, e.g. 02:00:00:00:00:01\n"
		"  --mtu N                       the MTU the guest is told (68..65535, default 1500)\n"
		"  --metrics-fd N                keep counters in the page open as fd N\n"
		"  --print-capabilities          print the backend's JSON capabilities\n"
		"  -v, --verbose                 log every vhost-user message\n",
		NET_MAX_PAIRS);
}

static int parse_num(const char *name, const char *s, long min, long max, FILE *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end != '\0' || v < min || v > max) {
		fprintf(err, PROG ": %s wants a number from %ld to %ld, not '%s'\n", name, min, max,
			s);
		return -EINVAL;
	}
	return (int)v;
}

static int parse_tap_fds(struct net_opts *o, const char *s, FILE *err)
{
	char buf[128], *save = NULL;

	if (strlen(s) >= sizeof(buf))
		goto bad;
	strcpy(buf, s);
	o->pairs = 0;
	for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (o->pairs == NET_MAX_PAIRS)
			goto bad;
		int fd = parse_num("--tap-fds", t, 3, NET_FD_MAX, err);
		if (fd < 0)
			return -EINVAL;
		for (unsigned int i = 0; i < o->pairs; i++)
			if (o->tap_fds[i] == fd)
				goto bad;
		o->tap_fds[o->pairs++] = fd;
	}
	if (o->pairs)
		return 0;
bad:
	fprintf(err, PROG ": --tap-fds wants 1 to %d distinct fd numbers (3 or more), not '%s'\n",
		NET_MAX_PAIRS, s);
	return -EINVAL;
}

static int parse_mac(struct net_opts *o, const char *s, FILE *err)
{
	unsigned int b[6];
	char tail;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		goto bad;
	for (int i = 0; i < 6; i++)
		o->mac[i] = (uint8_t)b[i];
	if (!(o->mac[0] & 1) && (o->mac[0] | o->mac[1] | o->mac[2] | o->mac[3] | o->mac[4] | o->mac[5]))
		return 0;
bad:
	fprintf(err, PROG ": --mac wants a non-zero unicast address like 02:00:00:00:00:01, not '%s'\n",
		s);
	return -EINVAL;
}

int net_opts_parse(struct net_opts *o, int argc, char *const argv[], FILE *err)
{
	static const struct option longopts[] = {
		{ "socket-path", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 's' },
		{ "fd", required_argument, NULL, 'f' },
		{ "tap-fds", required_argument, NULL, 't' },
		{ "mac", required_argument, NULL, 'a' },
		{ "mtu", required_argument, NULL, 'u' },
		{ "metrics-fd", required_argument, NULL, 'm' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "print-capabilities", no_argument, NULL, 'c' },
		{ NULL, 0, NULL, 0 },
	};
	bool have_mac = false;
	int c, v;

	memset(o, 0, sizeof(*o));
	o->sock_fd = -1;
	o->metrics_fd = -1;
	o->mtu = 1500;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--print-capabilities") == 0) {
			o->print_caps = true;
			return 0;
		}
	}
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o->socket_path = optarg;
			break;
		case 'f':
			if ((o->sock_fd = parse_num("--fd", optarg, 0, NET_FD_MAX, err)) < 0)
				return -EINVAL;
			break;
		case 't':
			if (parse_tap_fds(o, optarg, err) < 0)
				return -EINVAL;
			break;
		case 'a':
			if (parse_mac(o, optarg, err) < 0)
				return -EINVAL;
			have_mac = true;
			break;
		case 'u':
			if ((v = parse_num("--mtu", optarg, 68, 65535, err)) < 0)
				return -EINVAL;
			o->mtu = (uint16_t)v;
			break;
		case 'm':
			if ((o->metrics_fd = parse_num("--metrics-fd", optarg, 3, NET_FD_MAX, err)) < 0)
				return -EINVAL;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			o->help = true;
			return 0;
		case ':':
			fprintf(err, PROG ": %s needs a value\n", argv[optind - 1]);
			return -EINVAL;
		default:
			if (optopt)
				fprintf(err, PROG ": unknown option -%c\n", optopt);
			else
				fprintf(err, PROG ": unknown option %s\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(err, PROG ": unexpected argument %s\n", argv[optind]);
		return -EINVAL;
	}
	if ((o->socket_path == NULL) == (o->sock_fd < 0)) {
		fprintf(err, PROG ": give exactly one of --socket-path and --fd\n");
		return -EINVAL;
	}
	if (!o->pairs || !have_mac) {
		fprintf(err, PROG ": --tap-fds and --mac are required\n");
		return -EINVAL;
	}
	for (unsigned int i = 0; i < o->pairs; i++) {
		if (o->tap_fds[i] == o->sock_fd || o->tap_fds[i] == o->metrics_fd) {
			fprintf(err, PROG ": tap fd %d is also the socket or the metrics fd\n",
				o->tap_fds[i]);
			return -EINVAL;
		}
	}
	if (o->metrics_fd >= 0 && o->metrics_fd == o->sock_fd) {
		fprintf(err, PROG ": --metrics-fd %d is already the socket fd\n", o->metrics_fd);
		return -EINVAL;
	}
	return 0;
}
