/* virtio-blk requests (virtio 1.2, 5.2) on top of the probe's virtqueue
 * driver, shared by the blk, blkro, blkbench and needsreset scenarios. */
#ifndef PROBE_BLKDEV_H
#define PROBE_BLKDEV_H

#include "blk_pattern.h"
#include "virtio.h"

#define VIRTIO_BLK_F_SIZE_MAX 1
#define VIRTIO_BLK_F_SEG_MAX  2
#define VIRTIO_BLK_F_RO       5
#define VIRTIO_BLK_F_BLK_SIZE 6
#define VIRTIO_BLK_F_FLUSH    9

#define VIRTIO_BLK_T_IN     0
#define VIRTIO_BLK_T_OUT    1
#define VIRTIO_BLK_T_FLUSH  4
#define VIRTIO_BLK_T_GET_ID 8

#define VIRTIO_BLK_S_OK     0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define BLK_SECTOR   512
#define BLK_ID_BYTES 20
/* Status byte before the device answers: none of the defined values. */
#define BLK_STATUS_NONE 0xff
/* How long one request may take before the scenario gives up. */
#define BLK_TIMEOUT_US 10000000

struct blk_hdr {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
};

struct blk_slot {
	struct blk_hdr hdr;        /* device-readable */
	volatile uint8_t status;   /* device-writable */
	unsigned idx;              /* 0..nslots-1: lets callers pair buffers */
	bool busy;
	uint32_t type;             /* our copies: the header is the device's to read */
	uint64_t sector;
	void *data;
	uint32_t len;
	uint32_t used_len;         /* from the used ring */
	uint64_t t_submit;         /* TSC */
};

struct blkdev {
	struct vdev *v;
	struct virtq q;
	uint64_t capacity;         /* 512-byte sectors */
	uint32_t size_max, seg_max, blk_size;
	uint32_t max_bytes;        /* largest request the limits allow */
	bool ro, flush;
	struct blk_slot *slots;
	unsigned nslots, inflight, max_inflight;
	uint64_t completed;
	struct vwaiter w;
};

/* Negotiates (RO/FLUSH/SIZE_MAX/SEG_MAX/BLK_SIZE plus the ring features
 * the cmdline allows), reads the config, sets up queue 0 with nslots
 * request slots and starts the device in irq or poll mode. */
int blk_open(struct blkdev *b, struct vdev *v, unsigned nslots, bool irq, const char **why);
/* Resets the device: afterwards it touches none of our memory. */
void blk_close(struct blkdev *b);
struct blk_slot *blk_free_slot(struct blkdev *b);
/* Queues type/sector with len bytes at data (NULL for FLUSH); the caller
 * kicks (blk_kick) after a batch. */
bool blk_queue(struct blkdev *b, struct blk_slot *s, uint32_t type, uint64_t sector, void *data,
	       uint32_t len, const char **why);
void blk_kick(struct blkdev *b);
/* The next completed slot, waiting up to BLK_TIMEOUT_US; NULL with *why. */
struct blk_slot *blk_next(struct blkdev *b, const char **why);
/* One request, start to finish: its status byte, or -1 with *why. */
int blk_sync(struct blkdev *b, uint32_t type, uint64_t sector, void *data, uint32_t len,
	     uint32_t *used_len, const char **why);

#endif
