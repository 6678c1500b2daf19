/* cellvm-blk's command line. Besides cellvm's own spelling it accepts
 * the vhost-user "backend program conventions" (qemu
 * docs/interop/vhost-user.rst): --socket-path, --fd, --print-capabilities,
 * and for block devices --blk-file and --read-only. */
#ifndef CELLVM_BLK_OPTS_H
#define CELLVM_BLK_OPTS_H

#include <stdbool.h>
#include <stdio.h>

struct blk_opts {
	const char *image;        /* --image / --blk-file */
	int image_fd;             /* --image-fd, -1 when not given */
	bool read_only;           /* --ro / --read-only */
	const char *id;           /* --id, NULL for the default */
	const char *socket_path;  /* --socket / --socket-path */
	int sock_fd;              /* --fd, -1 when not given */
	int metrics_fd;           /* --metrics-fd, -1 when not given */
	unsigned int queues;      /* --queues */
	unsigned int queue_depth; /* --queue-depth */
	bool verbose;             /* --verbose: log every vhost-user message */
	bool print_caps;          /* --print-capabilities */
	bool help;                /* --help */
};

/* Fills o from argv. 0 when the options are usable (or --help or
 * --print-capabilities was asked for), -EINVAL after writing the reason
 * to err. Re-entrant: it resets getopt's state itself. */
int blk_opts_parse(struct blk_opts *o, int argc, char *const argv[], FILE *err);

void blk_opts_usage(FILE *f);

/* The JSON document --print-capabilities prints (vhost-user.json's
 * VHostUserBackendCapabilities for type "block"). */
void blk_opts_print_caps(FILE *f);

#endif
