/* cellvm-vsock's counters, kept in the extra slots of its counters page
 * (dev_metrics.h). The device adds to them; the core names them in the
 * metrics (DeviceMetrics.counters) by this table. */
#ifndef CELLVM_VSOCK_COUNTERS_H
#define CELLVM_VSOCK_COUNTERS_H

enum vsock_counter {
	VSOCK_CTR_G2H_CONNS,       /* guest-initiated connections established */
	VSOCK_CTR_H2G_CONNS,       /* host-initiated connections established */
	VSOCK_CTR_ACTIVE_CONNS,    /* connections open now (a gauge) */
	VSOCK_CTR_G2H_BYTES,       /* stream bytes guest -> host, written to host sockets */
	VSOCK_CTR_H2G_BYTES,       /* stream bytes host -> guest, put in the guest's buffers */
	VSOCK_CTR_G2H_RESETS,      /* RST packets the guest sent */
	VSOCK_CTR_H2G_RESETS,      /* RST packets the device sent the guest */
	VSOCK_CTR_G2H_PACKETS,     /* packets taken from the tx queue */
	VSOCK_CTR_H2G_PACKETS,     /* packets put in the rx queue */
	VSOCK_CTR_BAD_HEADER,      /* tx chains too short for a header: dropped */
	VSOCK_CTR_BAD_CID,         /* wrong source or destination cid */
	VSOCK_CTR_BAD_LENGTH,      /* payload longer than the chain or than 64 KiB */
	VSOCK_CTR_BAD_OP,          /* unknown op or type, or an op the connection's state forbids */
	VSOCK_CTR_CREDIT_VIOLATION,/* data beyond our buffer, or a fwd_cnt beyond what we sent */
	VSOCK_CTR_CONNECT_FAILED,  /* no host listener at UDS_PATH_<port> (or it refused) */
	VSOCK_CTR_HANDSHAKE_FAILED,/* host clients without a valid "CONNECT <port>\n" in time */
	VSOCK_CTR_TIMEOUTS,        /* guest answered no REQUEST in time, or never finished a close */
	VSOCK_CTR_CONN_LIMIT,      /* connections refused: the table was full */
	VSOCK_CTR_RX_DROPPED,      /* control packets for the guest dropped (queue full) */
	VSOCK_CTR_BAD_RX_BUFFER,   /* guest rx buffers too small for a header */
	VSOCK_CTR_COUNT,
};

extern const char *const vsock_counter_names[VSOCK_CTR_COUNT];

#endif
