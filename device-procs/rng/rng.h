/* virtio-rng (virtio 1.2, 5.4) as a vhost-user backend: one request queue
 * whose device-writable buffers are filled from getrandom(). */
#ifndef CELLVM_RNG_H
#define CELLVM_RNG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "dev_metrics.h"
#include "vu_backend.h"
#include "virtq.h"

/* Most bytes one request gets: bounds the time a single guest request
 * can hold the loop and the entropy it draws. */
#define RNG_MAX_REQUEST_BYTES (64u * 1024u)

struct rng_dev {
	struct virtq_chain chain;   /* scratch for the chain being served */
	uint64_t requests;
	uint64_t bytes;
	struct dev_metrics *metrics; /* the core's counters page, or NULL */
};

extern const struct vu_device_ops rng_device_ops;

/* Fills up to max bytes of iov[0..n) with random data; returns the count
 * written or a negative errno. */
long rng_fill(const struct iovec *iov, unsigned int n, size_t max);

void rng_queue_ready(void *dev, struct vu_backend *be, unsigned int qidx);

#endif
