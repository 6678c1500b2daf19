/* The virtio-blk device behind the vhost-user loop: pops requests from
 * the guest's queues, runs them on io_uring with many in flight, and
 * returns them through the used ring as they complete. */
#ifndef CELLVM_BLK_DEV_H
#define CELLVM_BLK_DEV_H

#include <stdbool.h>

#include "blk_config.h"
#include "blk_image.h"
#include "blk_req.h"
#include "blk_uring.h"
#include "dev_metrics.h"
#include "vu_backend.h"

#define BLK_QUEUE_DEPTH_DEFAULT 128
#define BLK_QUEUE_DEPTH_MAX     1024

struct blk_slot;

/* Per virtqueue: a fixed pool of request slots. When it runs dry the
 * queue stops taking requests until a completion frees a slot, so the
 * guest (not our memory) absorbs the backlog. */
struct blk_queue {
	struct blk_slot *slots;
	struct blk_slot *free;
	unsigned int inflight;
	unsigned int slow_inflight; /* of inflight: flushes, discards, write-zeroes */
	bool throttled;   /* stopped early: resume from the completion side */
	bool notify;      /* used ring grew since the last notification */
	bool armed;       /* the guest was asked to kick for new work */
};

/* Counters for the exit log line and benchmarks. */
struct blk_stats {
	uint64_t requests;          /* returned to the guest */
	uint64_t errors;            /* returned with a status other than OK */
	uint64_t throttled;         /* times a queue stopped with its slots all busy */
	unsigned int peak_inflight; /* most requests in flight on one queue */
};

struct blk_dev_params {
	unsigned int num_queues;
	unsigned int queue_depth;  /* requests in flight per queue */
	const char *id;            /* GET_ID string, at most 20 bytes */
	struct dev_metrics *metrics; /* the core's counters page, or NULL */
};

struct blk_dev {
	const struct blk_image *img;
	char id[BLK_ID_BYTES + 1];
	struct blk_req_limits lim;
	struct virtio_blk_config cfg;
	struct vu_device_ops ops;   /* handed to vu_backend_serve */
	struct blk_uring uring;
	unsigned int num_queues;
	unsigned int depth;
	struct blk_queue queues[VU_MAX_QUEUES];
	struct virtq_chain *chain;  /* where virtq_pop gathers a request */
	bool no_zero_range;         /* the image refused FALLOC_FL_ZERO_RANGE */
	unsigned long complaints;   /* log lines about bad requests/errors so far */
	struct blk_stats stats;
	struct dev_metrics *metrics; /* NULL: nobody reads counters */
};

int blk_dev_init(struct blk_dev *dev, const struct blk_image *img,
		 const struct blk_dev_params *p);
void blk_dev_fini(struct blk_dev *dev);

/* Requests in flight on queue qidx, or on all queues when qidx < 0. */
unsigned int blk_dev_inflight(const struct blk_dev *dev, int qidx);

#endif
