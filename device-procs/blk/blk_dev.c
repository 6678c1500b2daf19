#include "blk_dev.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/virtio_ids.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blk_iov.h"
#include "blk_log.h"

/* Chains taken from one queue before the loop gets control back: a guest
 * that keeps its ring full must not starve the other queues or the
 * vhost-user socket. */
#define BLK_POP_BUDGET 256
/* Resubmissions of an operation the kernel answered with EINTR/EAGAIN. */
#define BLK_RETRY_MAX 16
/* Lines about guest mistakes and I/O errors before going quiet: a
 * guest must not be able to flood the host's logs. */
#define BLK_COMPLAINTS_MAX 20

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
	struct blk_slot *next_free;
};

struct blk_ctx {
	struct blk_dev *dev;
	struct vu_backend *be;
};

static void blk_complain(struct blk_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void blk_complain(struct blk_dev *dev, const char *fmt, ...)
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

unsigned int blk_dev_inflight(const struct blk_dev *dev, int qidx)
{
	unsigned int n = 0;

	if (qidx >= 0)
		return (unsigned int)qidx < dev->num_queues ? dev->queues[qidx].inflight : 0;
	for (unsigned int i = 0; i < dev->num_queues; i++)
		n += dev->queues[i].inflight;
	return n;
}

/* Same conditions under which the backend itself hands us the queue. */
static bool blk_vring_runnable(const struct vu_backend *be, unsigned int qidx)
{
	const struct vu_vring *vr = &be->vrings[qidx];

	return vr->started && vr->enabled && vr->addr_set && !vr->vq.broken;
}

static void blk_slot_finish(struct blk_ctx *c, struct blk_slot *s, uint8_t status,
			    uint32_t written)
{
	struct blk_queue *q = &c->dev->queues[s->qidx];
	uint32_t len = blk_req_finish(&s->req, status, written);

	virtq_push(&c->be->vrings[s->qidx].vq, s->head, len);
	q->notify = true;
	q->inflight--;
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

static void blk_slot_start(struct blk_ctx *c, struct blk_slot *s)
{
	struct blk_req *req = &s->req;

	s->retries = 0;
	switch (req->op) {
	case BLK_OP_DONE:
		if (!req->status_ptr || req->type == UINT32_MAX)
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
		/* Discard is only a hint: a filesystem without holes loses nothing. */
		if (res == -EOPNOTSUPP && s->req.op == BLK_OP_DISCARD)
			res = 0;
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

static void blk_on_completion(void *ctx, void *data, int res)
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

/* Takes requests off queue qidx until it is empty, the slot pool is dry
 * or the batch budget is spent. */
static void blk_queue_fill(struct blk_ctx *c, unsigned int qidx)
{
	struct blk_dev *dev = c->dev;
	struct blk_queue *q = &dev->queues[qidx];
	struct virtq *vq = &c->be->vrings[qidx].vq;
	unsigned int budget = BLK_POP_BUDGET;

	q->throttled = false;
	for (;;) {
		struct blk_slot *s;
		int r;

		if (!q->free) {
			/* A completion frees a slot and resumes us. */
			q->throttled = true;
			return;
		}
		if (budget-- == 0) {
			q->throttled = true;
			blk_uring_poke(&dev->uring);
			return;
		}
		r = virtq_pop(vq, dev->chain);
		if (r < 0) {
			vu_backend_set_broken(c->be, qidx);
			return;
		}
		if (r == 0) {
			/* Re-arm notifications; work that raced in is taken now. */
			if (virtq_enable_notify(vq))
				continue;
			return;
		}
		s = q->free;
		q->free = s->next_free;
		q->inflight++;
		s->qidx = qidx;
		s->head = dev->chain->head;
		blk_req_parse(&s->req, dev->chain->iov, dev->chain->n_out, dev->chain->n_in,
			      &dev->lim);
		blk_slot_start(c, s);
	}
}

/* Interrupts go out once per batch, not once per request. */
static void blk_notify_all(struct blk_ctx *c)
{
	for (unsigned int i = 0; i < c->dev->num_queues; i++) {
		if (!c->dev->queues[i].notify)
			continue;
		c->dev->queues[i].notify = false;
		vu_queue_notify(c->be, i);
	}
}

static void blk_submit(struct blk_ctx *c)
{
	int r = blk_uring_submit(&c->dev->uring);

	if (r == 0)
		return;
	if (r == -EAGAIN || r == -EBUSY || r == -ENOMEM) {
		/* Transient: the queued entries stay; try again from the loop. */
		blk_uring_poke(&c->dev->uring);
		return;
	}
	/* The ring is unusable and requests are stuck in it: nothing short
	 * of a restart helps, and exiting lets the frontend see it. */
	blk_log("io_uring submission failed: %s; exiting", strerror(-r));
	_exit(EXIT_FAILURE);
}

static void blk_resume_throttled(struct blk_ctx *c)
{
	for (unsigned int i = 0; i < c->dev->num_queues; i++) {
		struct blk_queue *q = &c->dev->queues[i];

		if (q->throttled && q->free && blk_vring_runnable(c->be, i))
			blk_queue_fill(c, i);
	}
}

static void blk_queue_ready(void *opaque, struct vu_backend *be, unsigned int qidx)
{
	struct blk_ctx c = { .dev = opaque, .be = be };

	if (qidx >= c.dev->num_queues)
		return;
	blk_queue_fill(&c, qidx);
	blk_submit(&c);
	blk_notify_all(&c);
}

static void blk_extra_ready(void *opaque, struct vu_backend *be)
{
	struct blk_ctx c = { .dev = opaque, .be = be };

	blk_uring_reap(&c.dev->uring, blk_on_completion, &c);
	blk_resume_throttled(&c);
	blk_submit(&c);
	blk_notify_all(&c);
}

/* GET_VRING_BASE, a reset or a new memory table: every request popped
 * from the queue(s) must be in the used ring before we return, so the
 * ring index the frontend reads back is consistent and no I/O still
 * targets memory that may be unmapped next. */
static void blk_queue_stop(void *opaque, struct vu_backend *be, int qidx)
{
	struct blk_ctx c = { .dev = opaque, .be = be };
	bool others_waiting = false;

	while (blk_dev_inflight(c.dev, qidx) > 0) {
		int r = blk_uring_wait(&c.dev->uring);

		if (r < 0) {
			blk_log("waiting for in-flight I/O failed: %s; exiting", strerror(-r));
			_exit(EXIT_FAILURE);
		}
		blk_uring_reap(&c.dev->uring, blk_on_completion, &c);
	}
	for (unsigned int i = 0; i < c.dev->num_queues; i++) {
		if (qidx < 0 || (unsigned int)qidx == i)
			c.dev->queues[i].throttled = false;
		else if (c.dev->queues[i].throttled)
			others_waiting = true;
	}
	blk_submit(&c);
	blk_notify_all(&c);
	/* Completions reaped here may have freed slots other queues wait for. */
	if (others_waiting)
		blk_uring_poke(&c.dev->uring);
}

static int blk_get_config(void *opaque, uint32_t offset, uint8_t *buf, uint32_t len)
{
	struct blk_dev *dev = opaque;

	return blk_config_read(&dev->cfg, offset, buf, len);
}

static int blk_extra_fd(void *opaque)
{
	struct blk_dev *dev = opaque;

	return dev->uring.event_fd;
}

static int blk_queue_alloc(struct blk_queue *q, unsigned int depth)
{
	q->slots = calloc(depth, sizeof(*q->slots));
	if (!q->slots)
		return -ENOMEM;
	q->free = NULL;
	for (unsigned int i = depth; i-- > 0;) {
		q->slots[i].next_free = q->free;
		q->free = &q->slots[i];
	}
	q->inflight = 0;
	q->throttled = false;
	q->notify = false;
	return 0;
}

int blk_dev_init(struct blk_dev *dev, const struct blk_image *img,
		 const struct blk_dev_params *p)
{
	struct blk_config_params cp = {
		.capacity = img->capacity,
		.read_only = img->read_only,
		.num_queues = p->num_queues,
	};
	int r;

	memset(dev, 0, sizeof(*dev));
	dev->uring.event_fd = -1;
	if (p->num_queues == 0 || p->num_queues > VU_MAX_QUEUES || p->queue_depth == 0 ||
	    p->queue_depth > BLK_QUEUE_DEPTH_MAX || (p->id && strlen(p->id) > BLK_ID_BYTES))
		return -EINVAL;
	dev->img = img;
	if (p->id)
		memcpy(dev->id, p->id, strlen(p->id));
	dev->lim.capacity = img->capacity;
	dev->lim.read_only = img->read_only;
	dev->num_queues = p->num_queues;
	dev->depth = p->queue_depth;
	blk_config_build(&dev->cfg, &cp);
	dev->ops = (struct vu_device_ops){
		.name = "blk",
		.virtio_id = VIRTIO_ID_BLOCK,
		.features = blk_config_features(&cp),
		.protocol_features = blk_config_protocol_features(&cp),
		.num_queues = p->num_queues,
		.get_config = blk_get_config,
		.queue_ready = blk_queue_ready,
		.queue_stop = blk_queue_stop,
		.extra_fd = blk_extra_fd,
		.extra_ready = blk_extra_ready,
	};

	dev->chain = malloc(sizeof(*dev->chain));
	if (!dev->chain) {
		r = -ENOMEM;
		goto err;
	}
	for (unsigned int i = 0; i < dev->num_queues; i++) {
		r = blk_queue_alloc(&dev->queues[i], dev->depth);
		if (r < 0)
			goto err;
	}
	/* Each slot has at most one operation in flight, so this many
	 * entries never overflow either ring. */
	r = blk_uring_init(&dev->uring, dev->num_queues * dev->depth);
	if (r < 0)
		goto err;
	return 0;

err:
	blk_dev_fini(dev);
	return r;
}

void blk_dev_fini(struct blk_dev *dev)
{
	blk_uring_fini(&dev->uring);
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++) {
		free(dev->queues[i].slots);
		dev->queues[i].slots = NULL;
		dev->queues[i].free = NULL;
	}
	free(dev->chain);
	dev->chain = NULL;
}
