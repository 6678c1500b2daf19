/* cellvm-net's counters, kept in the extra slots of its counters page
 * (dev_metrics.h). The device adds to them; the core names them in the
 * metrics (DeviceMetrics.counters) by this table. tx is guest -> tap,
 * rx is tap -> guest. */
#ifndef CELLVM_NET_COUNTERS_H
#define CELLVM_NET_COUNTERS_H

enum net_counter {
	NET_CTR_TX_PACKETS,      /* frames written to the tap */
	NET_CTR_TX_BYTES,        /* their bytes, without the virtio-net header */
	NET_CTR_TX_DROPPED,      /* frames the guest sent that were not passed on (any reason below) */
	NET_CTR_TX_ERRORS,       /* the tap refused a frame (write error other than EAGAIN) */
	NET_CTR_TX_BAD_HEADER,   /* chains shorter than the virtio-net header */
	NET_CTR_TX_BAD_LENGTH,   /* zero-length or oversized frames */
	NET_CTR_TX_BAD_OFFLOAD,  /* gso type, flags or checksum offsets not negotiated or out of the frame */
	NET_CTR_TX_BACKPRESSURE, /* times the tap said EAGAIN: the chain waits, nothing dropped */
	NET_CTR_RX_PACKETS,      /* frames put in the guest's buffers */
	NET_CTR_RX_BYTES,        /* their bytes, without the virtio-net header */
	NET_CTR_RX_DROPPED,      /* frames read from the tap the guest's buffers could not take */
	NET_CTR_RX_ERRORS,       /* tap read errors, frames shorter than the header */
	NET_CTR_RX_BAD_BUFFER,   /* guest rx chains with no room for the header, or readable parts */
	NET_CTR_RX_NO_BUFFERS,   /* times the tap stopped being read: the guest had no buffers */
	NET_CTR_CTRL_OK,         /* control commands accepted (VIRTIO_NET_CTRL_MQ) */
	NET_CTR_CTRL_ERRORS,     /* control commands refused or malformed */
	NET_CTR_TX_RESTART_LOST, /* chains a dead cellvm-net had taken, completed unsent by its successor */
	NET_CTR_COUNT,
};

extern const char *const net_counter_names[NET_CTR_COUNT];

#endif
