/* virtio-blk request parsing (virtio 1.2, 5.2.6). Turns one descriptor
 * chain into a checked, host-endian description of the work, or into an
 * immediate status. It reads guest memory once (header and segment list
 * are copied) and does no I/O, so every rule about what a guest may ask
 * for lives here and is testable on crafted iovecs. */
#ifndef CELLVM_BLK_REQ_H
#define CELLVM_BLK_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define BLK_SECTOR_SHIFT 9
#define BLK_SECTOR_SIZE  (1u << BLK_SECTOR_SHIFT)
#define BLK_ID_BYTES     20   /* VIRTIO_BLK_ID_BYTES */
#define BLK_HDR_BYTES    16   /* struct virtio_blk_outhdr */
#define BLK_DWZ_BYTES    16   /* struct virtio_blk_discard_write_zeroes */

/* Data segments one request may carry; advertised as seg_max. A chain
 * also needs room for the header and the status, and the sum stays well
 * under IOV_MAX so a request is always one readv/writev. */
#define BLK_SEG_MAX      254
/* Bytes one read or write may move. Linux sends at most a few MiB; the cap
 * keeps used lengths and io_uring results (both 32-bit) exact. */
#define BLK_DATA_MAX     (1u << 30)
/* Ranges one discard or write-zeroes request may carry. */
#define BLK_DWZ_SEG_MAX  32
/* Sectors one range may cover (2 GiB): bounds how long a single
 * fallocate can keep the queue's slot busy. */
#define BLK_DWZ_SECTORS_MAX (1u << 22)

enum blk_op {
	BLK_OP_DONE,          /* answered by the parser: status in req->status */
	BLK_OP_READ,
	BLK_OP_WRITE,
	BLK_OP_FLUSH,
	BLK_OP_GET_ID,
	BLK_OP_DISCARD,
	BLK_OP_WRITE_ZEROES,
};

struct blk_dwz_range {
	uint64_t sector;
	uint32_t num_sectors;
	bool unmap;
};

struct blk_req_limits {
	uint64_t capacity;    /* in 512-byte sectors */
	bool read_only;
};

struct blk_req {
	enum blk_op op;
	bool has_hdr;         /* the chain held a whole 16-byte header */
	uint32_t type;        /* VIRTIO_BLK_T_* as the guest sent it, for logs */
	uint64_t sector;
	uint8_t status;       /* VIRTIO_BLK_S_*: the answer for BLK_OP_DONE */
	uint8_t *status_ptr;  /* last device-writable byte; NULL: nowhere to answer */
	uint64_t data_len;    /* bytes in iov[] */
	unsigned int n_iov;
	struct iovec iov[BLK_SEG_MAX];     /* READ, WRITE, GET_ID */
	unsigned int n_ranges;
	struct blk_dwz_range ranges[BLK_DWZ_SEG_MAX]; /* DISCARD, WRITE_ZEROES */
};

/* Parses the chain iov[0..n_out) (device-readable) followed by
 * iov[n_out..n_out+n_in) (device-writable). Malformed requests come back
 * as BLK_OP_DONE with VIRTIO_BLK_S_IOERR or _UNSUPP; nothing is written
 * to guest memory. */
void blk_req_parse(struct blk_req *req, const struct iovec *iov, unsigned int n_out,
		   unsigned int n_in, const struct blk_req_limits *lim);

/* Writes the NUL-padded device ID into a GET_ID request's buffer;
 * returns the bytes written. */
uint32_t blk_req_fill_id(const struct blk_req *req, const char *id);

/* Stores the status byte; returns the used length to report: the data
 * bytes the device wrote (reads and GET_ID) plus the status byte, or 0
 * when the chain had no writable byte at all. */
uint32_t blk_req_finish(struct blk_req *req, uint8_t status, uint32_t data_written);

#endif
