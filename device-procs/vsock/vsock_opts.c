#include "vsock_opts.h"
#include "vsock_broker.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define VSOCK_FD_MAX (1 << 20)
#define VSOCK_BUF_MIN (4u << 10)
#define VSOCK_BUF_MAX (16u << 20)

void vsock_opts_usage(FILE *f)
{
	fprintf(f,
		"usage: cellvm-vsock --guest-cid N (--socket-path PATH | --fd N)\n"
		"                    (--uds-path PATH | --listen-fd N --connector-fd N)\n"
		"                    [--metrics-fd N] [--max-conns N] [--buf-alloc BYTES] [--verbose]\n"
		"       cellvm-vsock --print-capabilities\n"
		"  --guest-cid, --cid N          the guest's context id (3..4294967294)\n"
		"  --socket-path, --socket PATH  vhost-user: listen on PATH and serve one frontend\n"
		"  --fd N                        vhost-user: serve the connected socket N\n"
		"  --uds-path, --uds PATH        host side: listen on PATH for \"CONNECT <port>\" clients;\n"
		"                                guest connections go to PATH_<port>\n"
		"  --listen-fd N                 host side from cellvm: the listening socket at the path\n"
		"  --connector-fd N              host side from cellvm: the core's connect broker\n"
		"  --metrics-fd N                counters page (ipc/dev_metrics.h)\n"
		"  --max-conns N                 connections at once (default 256, at most %u)\n"
		"  --buf-alloc BYTES             receive window per connection (default 262144)\n"
		"  -v, --verbose                 log vhost-user messages and refused connections\n",
		VSOCK_MAX_CONNS_LIMIT);
}

static int parse_num(const char *name, const char *s, uint64_t min, uint64_t max, uint64_t *out,
		     FILE *err)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s < '0' || *s > '9' || errno || *end || v < min || v > max) {
		fprintf(err, "cellvm-vsock: %s wants a number from %llu to %llu, not '%s'\n", name,
			(unsigned long long)min, (unsigned long long)max, s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_fd(const char *name, const char *s, int *fd, FILE *err)
{
	uint64_t v;

	/* 0-2 are stdio. */
	if (parse_num(name, s, 3, VSOCK_FD_MAX, &v, err) < 0)
		return -EINVAL;
	*fd = (int)v;
	return 0;
}

static int vsock_opts_check(const struct vsock_opts *o, FILE *err)
{
	if ((o->socket_path == NULL) == (o->sock_fd < 0)) {
		fprintf(err, "cellvm-vsock: give exactly one of --socket-path and --fd\n");
		return -EINVAL;
	}
	if (!o->guest_cid) {
		fprintf(err, "cellvm-vsock: --guest-cid is required\n");
		return -EINVAL;
	}
	bool from_cellvm = o->listen_fd >= 0 || o->connector_fd >= 0;
	if (o->uds_path ? from_cellvm : !(o->listen_fd >= 0 && o->connector_fd >= 0)) {
		fprintf(err, "cellvm-vsock: give either --uds-path or both --listen-fd and "
			     "--connector-fd\n");
		return -EINVAL;
	}
	if (o->uds_path && (!o->uds_path[0] || strlen(o->uds_path) > VSOCK_UDS_PATH_MAX)) {
		fprintf(err, "cellvm-vsock: --uds-path takes 1 to %d bytes\n", VSOCK_UDS_PATH_MAX);
		return -EINVAL;
	}
	int fds[] = { o->sock_fd, o->listen_fd, o->connector_fd, o->metrics_fd };
	for (unsigned int i = 0; i < 4; i++)
		for (unsigned int j = i + 1; j < 4; j++)
			if (fds[i] >= 0 && fds[i] == fds[j]) {
				fprintf(err, "cellvm-vsock: fd %d is given twice\n", fds[i]);
				return -EINVAL;
			}
	return 0;
}

int vsock_opts_parse(struct vsock_opts *o, int argc, char *const argv[], FILE *err)
{
	static const struct option longopts[] = {
		{ "socket-path", required_argument, NULL, 's' },
		{ "socket", required_argument, NULL, 's' },
		{ "fd", required_argument, NULL, 'f' },
		{ "guest-cid", required_argument, NULL, 'c' },
		{ "cid", required_argument, NULL, 'c' },
		{ "uds-path", required_argument, NULL, 'u' },
		{ "uds", required_argument, NULL, 'u' },
		{ "listen-fd", required_argument, NULL, 'l' },
		{ "connector-fd", required_argument, NULL, 'k' },
		{ "metrics-fd", required_argument, NULL, 'm' },
		{ "max-conns", required_argument, NULL, 'n' },
		{ "buf-alloc", required_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "print-capabilities", no_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c;

	memset(o, 0, sizeof(*o));
	o->sock_fd = o->listen_fd = o->connector_fd = o->metrics_fd = -1;
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
			/* fd 0 is what some frontends hand over; only the others
			 * are kept clear of stdio. */
			if (parse_num("--fd", optarg, 0, VSOCK_FD_MAX, &v, err) < 0)
				return -EINVAL;
			o->sock_fd = (int)v;
			break;
		case 'c':
			if (parse_num("--guest-cid", optarg, VSOCK_MIN_CID, VSOCK_MAX_CID, &v, err) < 0)
				return -EINVAL;
			o->guest_cid = (uint32_t)v;
			break;
		case 'u':
			o->uds_path = optarg;
			break;
		case 'l':
			if (parse_fd("--listen-fd", optarg, &o->listen_fd, err) < 0)
				return -EINVAL;
			break;
		case 'k':
			if (parse_fd("--connector-fd", optarg, &o->connector_fd, err) < 0)
				return -EINVAL;
			break;
		case 'm':
			if (parse_fd("--metrics-fd", optarg, &o->metrics_fd, err) < 0)
				return -EINVAL;
			break;
		case 'n':
			if (parse_num("--max-conns", optarg, 1, VSOCK_MAX_CONNS_LIMIT, &v, err) < 0)
				return -EINVAL;
			o->max_conns = (unsigned int)v;
			break;
		case 'b':
			if (parse_num("--buf-alloc", optarg, VSOCK_BUF_MIN, VSOCK_BUF_MAX, &v, err) < 0)
				return -EINVAL;
			o->buf_alloc = (uint32_t)v;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			o->help = true;
			return 0;
		case ':':
			fprintf(err, "cellvm-vsock: %s needs a value\n", argv[optind - 1]);
			return -EINVAL;
		default:
			if (optopt)
				fprintf(err, "cellvm-vsock: unknown option -%c\n", optopt);
			else
				fprintf(err, "cellvm-vsock: unknown option %s\n", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(err, "cellvm-vsock: unexpected argument %s\n", argv[optind]);
		return -EINVAL;
	}
	return vsock_opts_check(o, err);
}
