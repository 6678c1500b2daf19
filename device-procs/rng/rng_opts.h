/* cellvm-rng's command line: the vhost-user "backend program conventions"
 * (--socket-path, --fd, --print-capabilities) plus --metrics-fd from the
 * core. */
#ifndef CELLVM_RNG_OPTS_H
#define CELLVM_RNG_OPTS_H

#include <stdbool.h>
#include <stdio.h>

struct rng_opts {
	const char *socket_path;  /* --socket-path / --socket */
	int sock_fd;              /* --fd, -1 when not given */
	int metrics_fd;           /* --metrics-fd, -1 when not given */
	bool verbose;             /* -v, --verbose: log every vhost-user message */
	bool print_caps;          /* --print-capabilities */
	bool help;                /* -h, --help */
};

/* Fills o from argv. 0 when the options are usable (or --help or
 * --print-capabilities was asked for), -EINVAL after writing the reason
 * to err. Re-entrant: it resets getopt's state itself. */
int rng_opts_parse(struct rng_opts *o, int argc, char *const argv[], FILE *err);

void rng_opts_usage(FILE *f);

#endif
