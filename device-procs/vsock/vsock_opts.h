/* cellvm-vsock's command line: the vhost-user "backend program
 * conventions" (--socket-path, --fd, --print-capabilities) plus the
 * device's own options. */
#ifndef CELLVM_VSOCK_OPTS_H
#define CELLVM_VSOCK_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define VSOCK_MIN_CID 3u
#define VSOCK_MAX_CID 0xfffffffeu  /* 0xffffffff is VMADDR_CID_ANY */
#define VSOCK_MAX_CONNS_LIMIT 4096u

struct vsock_opts {
	const char *socket_path;  /* --socket-path / --socket: vhost-user */
	int sock_fd;              /* --fd */
	uint32_t guest_cid;       /* --guest-cid / --cid */
	const char *uds_path;     /* --uds-path / --uds: standalone host side */
	int listen_fd;            /* --listen-fd: listening socket at the uds path (from cellvm) */
	int connector_fd;         /* --connector-fd: the core's connect broker (from cellvm) */
	int metrics_fd;           /* --metrics-fd */
	unsigned int max_conns;   /* --max-conns, 0: default */
	uint32_t buf_alloc;       /* --buf-alloc, 0: default */
	bool verbose;
	bool print_caps;
	bool help;
};

/* Fills o from argv. 0 when usable (or --help / --print-capabilities),
 * -EINVAL after writing the reason to err. Re-entrant. */
int vsock_opts_parse(struct vsock_opts *o, int argc, char *const argv[], FILE *err);
void vsock_opts_usage(FILE *f);

#endif
