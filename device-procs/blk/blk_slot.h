/* One request slot of cellvm-blk: the life of a request from the moment
 * it is popped until its status is in the used ring, through as many
 * io_uring operations as it takes (continuations after short transfers,
 * one fallocate per discard / write-zeroes range, fallbacks). Each slot
 * has at most one operation in flight, so the ring cannot overflow and
 * draining a queue means waiting for its slots. */
#ifndef CELLVM_BLK_SLOT_H
#define CELLVM_BLK_SLOT_H

#include <stdint.h>
#include <sys/uio.h>

#include "blk_dev.h"
#include "blk_req.h"
#include "vu_backend.h"

/* How one DISCARD / WRITE_ZEROES range is being carried out. */
enum blk_range_step {
	BLK_STEP_ZERO_RANGE,   /* FALLOC_FL_ZERO_RANGE */
	BLK_STEP_PUNCH,        /* PUNCH_HOLE, then done */
	BLK_STEP_PUNCH_ALLOC,  /* PUNCH_HOLE, then allocate again (no ZERO_RANGE here) */
	BLK_STEP_ALLOC,        /* the allocation after PUNCH_ALLOC */
};

struct blk_slot {
	struct blk_req req;
	unsigned int qidx;
	uint16_t head;
	unsigned int retries;
	/* READ/WRITE: what is left after short transfers. */
	struct iovec *cur;
	unsigned int cur_n;
	uint64_t pos;
	/* DISCARD/WRITE_ZEROES: the range in progress and its step. */
	unsigned int range;
	enum blk_range_step step;
	bool slow;      /* counted in its queue's slow_inflight */
	struct blk_slot *next_free;
};

struct blk_ctx {
	struct blk_dev *dev;
	struct vu_backend *be;
};

/* Runs a freshly parsed request: answers it at once or queues its first
 * operation. */
void blk_slot_start(struct blk_ctx *c, struct blk_slot *s);

/* blk_uring_done_fn for the slots' operations (ctx is a struct blk_ctx). */
void blk_slot_completion(void *ctx, void *data, int res);

/* Logs a line about a bad request or an I/O error, up to a limit: a
 * guest must not be able to flood the host's logs. */
void blk_complain(struct blk_dev *dev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
