#include "blk_dev.h"

#include <errno.h>
#include <linux/virtio_ids.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blk_log.h"
#include "blk_slot.h"

/* Chains taken from one queue before the loop gets control back: a guest
 * that keeps its ring full must not starve the other queues or the
 * vhost-user socket. */
#define BLK_POP_BUDGET 256

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

/* Flushes, discards and write-zeroes may take milliseconds: work the guest
 * adds meanwhile must not wait for them (see blk_queue_fill). */
static bool blk_op_slow(enum blk_op op)
{
	return op == BLK_OP_FLUSH || op == BLK_OP_DISCARD || op == BLK_OP_WRITE_ZEROES;
}

/* Takes requests off queue qidx until it is empty, the slot pool is dry
 * or the batch budget is spent.
 *
 * Kicks are asked for only when the queue goes idle. While a read or
 * write is in flight its completion brings us back here anyway (the
 * completion side fills every queue that is not armed), so a guest adding
 * requests meanwhile needs no kick: each kick is a guest exit plus a
 * wake-up of this process, and at depth 32 that was most of the cost of a
 * request. Only slow operations in flight do not count: a read must not
 * wait behind a flush it does not depend on. */
static void blk_queue_fill(struct blk_ctx *c, unsigned int qidx)
{
	struct blk_dev *dev = c->dev;
	struct blk_queue *q = &dev->queues[qidx];
	struct virtq *vq = &c->be->vrings[qidx].vq;
	unsigned int budget = BLK_POP_BUDGET;

	q->throttled = false;
	/* Unconditional: a ring (re)started by the frontend begins with
	 * notifications enabled whatever armed says. */
	virtq_disable_notify(vq);
	q->armed = false;
	for (;;) {
		struct blk_slot *s;
		int r;

		if (!q->free) {
			/* A completion frees a slot and resumes us. */
			q->throttled = true;
			dev->stats.throttled++;
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
			if (q->inflight > q->slow_inflight)
				return;
			/* Idle: re-arm; work that raced in is taken now, with
			 * kicks suppressed again. */
			if (!virtq_enable_notify(vq)) {
				q->armed = true;
				return;
			}
			virtq_disable_notify(vq);
			continue;
		}
		s = q->free;
		q->free = s->next_free;
		if (++q->inflight > dev->stats.peak_inflight)
			dev->stats.peak_inflight = q->inflight;
		s->qidx = qidx;
		s->head = dev->chain->head;
		blk_req_parse(&s->req, dev->chain->iov, dev->chain->n_out, dev->chain->n_in,
			      &dev->lim);
		s->slow = blk_op_slow(s->req.op);
		if (s->slow)
			q->slow_inflight++;
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

/* Every queue not armed either has requests in flight, stalled on its
 * pool, or just completed its last request: look at its ring now, so that
 * what the guest added since is submitted in the same batch as the
 * completions' continuations and its interrupt covers both. */
static void blk_fill_unarmed(struct blk_ctx *c)
{
	for (unsigned int i = 0; i < c->dev->num_queues; i++) {
		struct blk_queue *q = &c->dev->queues[i];

		if (!q->armed && q->free && blk_vring_runnable(c->be, i))
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

	blk_uring_reap(&c.dev->uring, blk_slot_completion, &c);
	blk_fill_unarmed(&c);
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
		blk_uring_reap(&c.dev->uring, blk_slot_completion, &c);
	}
	for (unsigned int i = 0; i < c.dev->num_queues; i++) {
		if (qidx < 0 || (unsigned int)qidx == i) {
			c.dev->queues[i].throttled = false;
			/* Whoever restarts the ring fills it, which re-arms. */
			c.dev->queues[i].armed = false;
		} else if (!c.dev->queues[i].armed) {
			others_waiting = true;
		}
	}
	blk_submit(&c);
	blk_notify_all(&c);
	/* Completions of other queues reaped here may have freed slots they
	 * wait for, or left them idle but not re-armed: the guest would not
	 * kick for them, so the completion side must look at them. */
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
	q->slow_inflight = 0;
	q->throttled = false;
	q->armed = false;
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
	dev->metrics = p->metrics;
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
