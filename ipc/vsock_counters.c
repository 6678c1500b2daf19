#include "vsock_counters.h"

const char *const vsock_counter_names[VSOCK_CTR_COUNT] = {
	[VSOCK_CTR_G2H_CONNS] = "g2h_connections",
	[VSOCK_CTR_H2G_CONNS] = "h2g_connections",
	[VSOCK_CTR_ACTIVE_CONNS] = "active_connections",
	[VSOCK_CTR_G2H_BYTES] = "g2h_bytes",
	[VSOCK_CTR_H2G_BYTES] = "h2g_bytes",
	[VSOCK_CTR_G2H_RESETS] = "g2h_resets",
	[VSOCK_CTR_H2G_RESETS] = "h2g_resets",
	[VSOCK_CTR_G2H_PACKETS] = "g2h_packets",
	[VSOCK_CTR_H2G_PACKETS] = "h2g_packets",
	[VSOCK_CTR_BAD_HEADER] = "bad_header",
	[VSOCK_CTR_BAD_CID] = "bad_cid",
	[VSOCK_CTR_BAD_LENGTH] = "bad_length",
	[VSOCK_CTR_BAD_OP] = "bad_op",
	[VSOCK_CTR_CREDIT_VIOLATION] = "credit_violations",
	[VSOCK_CTR_CONNECT_FAILED] = "connect_failed",
	[VSOCK_CTR_HANDSHAKE_FAILED] = "handshake_failed",
	[VSOCK_CTR_TIMEOUTS] = "timeouts",
	[VSOCK_CTR_CONN_LIMIT] = "connection_limit",
	[VSOCK_CTR_RX_DROPPED] = "rx_dropped",
	[VSOCK_CTR_BAD_RX_BUFFER] = "bad_rx_buffer",
};
