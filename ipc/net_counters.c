#include "net_counters.h"

const char *const net_counter_names[NET_CTR_COUNT] = {
	[NET_CTR_TX_PACKETS] = "tx_packets",
	[NET_CTR_TX_BYTES] = "tx_bytes",
	[NET_CTR_TX_DROPPED] = "tx_dropped",
	[NET_CTR_TX_ERRORS] = "tx_errors",
	[NET_CTR_TX_BAD_HEADER] = "tx_bad_header",
	[NET_CTR_TX_BAD_LENGTH] = "tx_bad_length",
	[NET_CTR_TX_BAD_OFFLOAD] = "tx_bad_offload",
	[NET_CTR_TX_BACKPRESSURE] = "tx_backpressure",
	[NET_CTR_RX_PACKETS] = "rx_packets",
	[NET_CTR_RX_BYTES] = "rx_bytes",
	[NET_CTR_RX_DROPPED] = "rx_dropped",
	[NET_CTR_RX_ERRORS] = "rx_errors",
	[NET_CTR_RX_BAD_BUFFER] = "rx_bad_buffer",
	[NET_CTR_RX_NO_BUFFERS] = "rx_no_buffers",
	[NET_CTR_CTRL_OK] = "ctrl_ok",
	[NET_CTR_CTRL_ERRORS] = "ctrl_errors",
	[NET_CTR_TX_RESTART_LOST] = "tx_restart_lost",
};
