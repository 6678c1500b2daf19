#include "blk_slot.h"

#include <errno.h>
#include <linux/falloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "blk_iov.h"
#include "blk_log.h"

/* Resubmissions of an operation the kernel answered with EINTR/EAGAIN. */
#define BLK_RETRY_MAX 16
/* Lines about guest mistakes and I/O errors before going quiet. */
#define BLK_COMPLAINTS_MAX 20

void blk_complain(struct blk_dev *dev, const char *fmt, ...)
{
	char line[256];
	va_list ap;

	if (dev->complaints > BLK_COMPLAINTS_MAX)
		return;
	if (dev->complaints++ == BLK_COMPLAINTS_MAX) {
		blk_log("further request errors are not logged");
		return;
	}
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	blk_log("%s", line);
}

static const char *blk_status_name(uint8_t status)
{
	switch (status) {
	case VIRTIO_BLK_S_OK:
		return "OK";
	case VIRTIO_BLK_S_IOERR:
		return "IOERR";
	case VIRTIO_BLK_S_UNSUPP:
		return "UNSUPP";
	}
	return "?";
}

/* Counted before the push: whoever learns of the completion through the
 * guest reads counters that include it. Bytes count only for reads and
 * writes that succeeded; a failed one may have moved part of its data,
 * but the guest got none of it as an answer. */
static void blk_slot_count(struct dev_metrics *m, const struct blk_req *req, uint8_t status)
{
	dev_metrics_add(&m->requests, 1);
	if (status != VIRTIO_BLK_S_OK)
		dev_metrics_add(&m->errors, 1);
	else if (req->op == BLK_OP_READ)
		dev_metrics_add(&m->read_bytes, req->data_len);
	else if (req->op == BLK_OP_WRITE)
		dev_metrics_add(&m->write_bytes, req->data_len);
}

static void blk_slot_finish(struct blk_ctx *c, struct blk_slot *s, uint8_t status,
			    uint32_t written)
{
	struct blk_queue *q = &c->dev->queues[s->qidx];
	uint32_t len = blk_req_finish(&s->req, status, written);

	if (c->dev->metrics)
		blk_slot_count(c->dev->metrics, &s->req, status);
	virtq_push(&c->be->vrings[s->qidx].vq, s->head, len);
	c->dev->stats.requests++;
	if (status != VIRTIO_BLK_S_OK)
		c->dev->stats.errors++;
	q->notify = true;
	q->inflight--;
	if (s->slow)
		q->slow_inflight--;
	s->next_free = q->free;
	q->free = s;
}

/* Makes sure the range in progress is a non-empty one and picks how to do
 * it. False when no ranges are left. */
static bool blk_range_begin(struct blk_dev *dev, struct blk_slot *s)
{
	const struct blk_dwz_range *r;

	while (s->range < s->req.n_ranges && s->req.ranges[s->range].num_sectors == 0)
		s->range++;
	if (s->range == s->req.n_ranges)
		return false;
	r = &s->req.ranges[s->range];
	if (s->req.op == BLK_OP_DISCARD || r->unmap)
		s->step = BLK_STEP_PUNCH;
	else if (dev->no_zero_range)
		s->step = BLK_STEP_PUNCH_ALLOC;
	else
		s->step = BLK_STEP_ZERO_RANGE;
	return true;
}

/* Queues the slot's next operation. */
static int blk_slot_submit(struct blk_dev *dev, struct blk_slot *s)
{
	int fd = dev->img->fd;
	const struct blk_dwz_range *r;
	int mode;

	switch (s->req.op) {
	case BLK_OP_READ:
		return blk_uring_readv(&dev->uring, fd, s->cur, s->cur_n, s->pos, s);
	case BLK_OP_WRITE:
		return blk_uring_writev(&dev->uring, fd, s->cur, s->cur_n, s->pos, s);
	case BLK_OP_FLUSH:
		return blk_uring_fdatasync(&dev->uring, fd, s);
	case BLK_OP_DISCARD:
	case BLK_OP_WRITE_ZEROES:
		r = &s->req.ranges[s->range];
		switch (s->step) {
		case BLK_STEP_ZERO_RANGE:
			mode = FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
			break;
		case BLK_STEP_ALLOC:
			mode = FALLOC_FL_KEEP_SIZE;
			break;
		default:
			mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
			break;
		}
		return blk_uring_fallocate(&dev->uring, fd, mode,
					   r->sector << BLK_SECTOR_SHIFT,
					   (uint64_t)r->num_sectors << BLK_SECTOR_SHIFT, s);
	default:
		return -EINVAL;
	}
}

static void blk_slot_continue(struct blk_ctx *c, struct blk_slot *s)
{
	int r = blk_slot_submit(c->dev, s);

	if (r < 0) {
		blk_complain(c->dev, "queue %u: cannot queue I/O: %s", s->qidx, strerror(-r));
		blk_slot_finish(c, s, VIRTIO_BLK_S_IOERR, 0);
	}
}

void blk_slot_start(struct blk_ctx *c, struct blk_slot *s)
{
	struct blk_req *req = &s->req;

	s->retries = 0;
	switch (req->op) {
	case BLK_OP_DONE:
		if (!req->status_ptr || !req->has_hdr)
			blk_complain(c->dev, "queue %u: malformed request (no %s)", s->qidx,
				     req->status_ptr ? "16-byte header" : "status byte");
		else if (req->status != VIRTIO_BLK_S_OK)
			blk_complain(c->dev, "queue %u: request type %u sector %llu refused: %s",
				     s->qidx, req->type, (unsigned long long)req->sector,
				     blk_status_name(req->status));
		blk_slot_finish(c, s, req->status, 0);
		return;
	case BLK_OP_GET_ID:
		blk_slot_finish(c, s, VIRTIO_BLK_S_OK, blk_req_fill_id(req, c->dev->id));
		return;
	case BLK_OP_READ:
	case BLK_OP_WRITE:
		s->cur = req->iov;
		s->cur_n = req->n_iov;
		s->pos = req->sector << BLK_SECTOR_SHIFT;
		break;
	case BLK_OP_FLUSH:
		break;
	case BLK_OP_DISCARD:
	case BLK_OP_WRITE_ZEROES:
		s->range = 0;
		if (!blk_range_begin(c->dev, s)) {
			blk_slot_finish(c, s, VIRTIO_BLK_S_OK, 0);
			return;
		}
		break;
	}
	blk_slot_continue(c, s);
}

/* A read or write completed res bytes: finish, or go on with the rest. A
 * short transfer is never reported as success. */
static void blk_rw_done(struct blk_ctx *c, struct blk_slot *s, int res)
{
	const char *what = s->req.op == BLK_OP_READ ? "read" : "write";

	if (res <= 0) {
		blk_complain(c->dev, "%s of %llu bytes at offset %llu failed: %s", what,
			     (unsigned long long)blk_iov_size(s->cur, s->cur_n),
			     (unsigned long long)s->pos,
			     res < 0 ? strerror(-res) : "end of image");
		blk_slot_finish(c, s, VIRTIO_BLK_S_IOERR, 0);
		return;
	}
	if (blk_iov_advance(&s->cur, &s->cur_n, (uint64_t)res) != 0) {
		blk_complain(c->dev, "%s at offset %llu moved more bytes than asked", what,
			     (unsigned long long)s->pos);
		blk_slot_finish(c, s, VIRTIO_BLK_S_IOERR, 0);
		return;
	}
	s->pos += (uint64_t)res;
	if (s->cur_n > 0) {
		s->retries = 0;
		blk_slot_continue(c, s);
		return;
	}
	blk_slot_finish(c, s, VIRTIO_BLK_S_OK,
			s->req.op == BLK_OP_READ ? (uint32_t)s->req.data_len : 0);
}

static void blk_range_done(struct blk_ctx *c, struct blk_slot *s, int res)
{
	const struct blk_dwz_range *r = &s->req.ranges[s->range];

	switch (s->step) {
	case BLK_STEP_ZERO_RANGE:
		if (res == -EOPNOTSUPP) {
			/* e.g. tmpfs: punch a hole, then allocate it again,
			 * which reads back as zeroes just the same. */
			c->dev->no_zero_range = true;
			s->step = BLK_STEP_PUNCH_ALLOC;
			blk_slot_continue(c, s);
			return;
		}
		break;
	case BLK_STEP_PUNCH:
		if (res != -EOPNOTSUPP)
			break;
		/* Discard is only a hint: a filesystem without holes loses nothing. */
		if (s->req.op == BLK_OP_DISCARD) {
			res = 0;
			break;
		}
		/* Write-zeroes with unmap may keep the blocks: zero them in place
		 * (e.g. a block device that cannot unmap). */
		if (!c->dev->no_zero_range) {
			s->step = BLK_STEP_ZERO_RANGE;
			blk_slot_continue(c, s);
			return;
		}
		break;
	case BLK_STEP_PUNCH_ALLOC:
		if (res >= 0) {
			s->step = BLK_STEP_ALLOC;
			blk_slot_continue(c, s);
			return;
		}
		break;
	case BLK_STEP_ALLOC:
		/* The range already reads as zeroes; allocating it was a courtesy. */
		if (res == -EOPNOTSUPP)
			res = 0;
		break;
	}
	if (res < 0) {
		blk_complain(c->dev, "%s of sectors %llu+%u failed: %s",
			     s->req.op == BLK_OP_DISCARD ? "discard" : "write-zeroes",
			     (unsigned long long)r->sector, r->num_sectors, strerror(-res));
		blk_slot_finish(c, s, VIRTIO_BLK_S_IOERR, 0);
		return;
	}
	s->range++;
	if (!blk_range_begin(c->dev, s)) {
		blk_slot_finish(c, s, VIRTIO_BLK_S_OK, 0);
		return;
	}
	s->retries = 0;
	blk_slot_continue(c, s);
}

void blk_slot_completion(void *ctx, void *data, int res)
{
	struct blk_ctx *c = ctx;
	struct blk_slot *s = data;

	if ((res == -EINTR || res == -EAGAIN) && s->retries++ < BLK_RETRY_MAX) {
		blk_slot_continue(c, s);
		return;
	}
	switch (s->req.op) {
	case BLK_OP_READ:
	case BLK_OP_WRITE:
		blk_rw_done(c, s, res);
		break;
	case BLK_OP_FLUSH:
		if (res < 0)
			blk_complain(c->dev, "flush failed: %s", strerror(-res));
		blk_slot_finish(c, s, res < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK, 0);
		break;
	case BLK_OP_DISCARD:
	case BLK_OP_WRITE_ZEROES:
		blk_range_done(c, s, res);
		break;
	default:
		blk_slot_finish(c, s, VIRTIO_BLK_S_IOERR, 0);
		break;
	}
}
