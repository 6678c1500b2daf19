/* The host end of the Linux net tests: a tap made for the test (ip
 * tuntap, an address, up) and a TCP server on it, each connection served
 * by its own thread: echo (everything back, then close after the
 * client's half-close, recording length and FNV-1a sum) or sink (read
 * and count until the client goes, checking every byte against the
 * stream `netcheck flood` sends: its 64 KiB pattern buffer, repeated). */
#ifndef CELLVM_TEST_NET_PEER_H
#define CELLVM_TEST_NET_PEER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_PEER_MAX_CONNS 256

enum net_peer_mode { NET_PEER_ECHO, NET_PEER_SINK };

struct net_peer_conn {
	uint64_t len, sum;
	bool done;
};

struct net_peer {
	int lfd;
	int stop_efd;
	enum net_peer_mode mode;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	unsigned int nconns;
	struct net_peer_conn conns[NET_PEER_MAX_CONNS];
	uint64_t bytes;   /* all connections */
	uint64_t sink_mismatched; /* sink: bytes unlike netcheck flood's stream */
	unsigned int errors;
};

/* Creates tap NAME (multi_queue when mq) with ADDR/24, up. 0, or -1 with
 * the reason in msg (not root, no /dev/net/tun, no ip). */
int net_tap_create(const char *name, const char *addr, bool mq, char *msg, size_t msglen);
void net_tap_delete(const char *name);

/* Serves addr:port until stopped. 0 or -errno. */
int net_peer_start(struct net_peer *p, const char *addr, int port, enum net_peer_mode mode);
void net_peer_stop(struct net_peer *p);

/* Finds a finished connection with this length and sum not yet claimed
 * by an earlier call, and claims it. */
bool net_peer_claim(struct net_peer *p, uint64_t len, uint64_t sum);
uint64_t net_peer_bytes(struct net_peer *p);
uint64_t net_peer_sink_mismatched(struct net_peer *p);
unsigned int net_peer_conns(struct net_peer *p);

#endif
