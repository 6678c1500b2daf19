/* cellvm-net's command line: the vhost-user "backend program conventions"
 * (--socket-path, --fd, --print-capabilities) plus what the core passes:
 * the tap fds it opened (one per queue pair), the MAC, the MTU and the
 * counters page. */
#ifndef CELLVM_NET_OPTS_H
#define CELLVM_NET_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define NET_MAX_PAIRS 7   /* 2 * 7 + 1 queues: what virtio-mmio here carries */

struct net_opts {
	const char *socket_path;  /* --socket-path / --socket */
	int sock_fd;              /* --fd, -1 when not given */
	int tap_fds[NET_MAX_PAIRS]; /* --tap-fds A[,B...]: one per queue pair */
	unsigned int pairs;
	uint8_t mac[6];           /* --mac, required */
	uint16_t mtu;             /* --mtu, default 1500 */
	int metrics_fd;           /* --metrics-fd, -1 when not given */
	bool verbose;
	bool print_caps;
	bool help;
};

/* 0 when usable (or --help / --print-capabilities), -EINVAL after writing
 * the reason to err. Re-entrant (resets getopt). */
int net_opts_parse(struct net_opts *o, int argc, char *const argv[], FILE *err);
void net_opts_usage(FILE *f);

#endif
