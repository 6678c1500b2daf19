/* virtio-rng request handling. There is no config space and nothing is
 * ever in flight: each chain is filled and returned before the next pop. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_ring.h>

#include "rng.h"
#include "vu_msg.h"

long rng_fill(const struct iovec *iov, unsigned int n, size_t max)
{
	size_t total = 0;

	for (unsigned int i = 0; i < n && total < max; i++) {
		uint8_t *p = iov[i].iov_base;
		size_t want = iov[i].iov_len;

		if (want > max - total)
			want = max - total;
		while (want) {
			ssize_t got = getrandom(p, want, 0);
			if (got < 0) {
				if (errno == EINTR)
					continue;
				return total ? (long)total : -errno;
			}
			p += got;
			want -= (size_t)got;
			total += (size_t)got;
		}
	}
	return (long)total;
}

void rng_queue_ready(void *dev, struct vu_backend *be, unsigned int qidx)
{
	struct rng_dev *rng = dev;
	struct virtq *vq = &be->vrings[qidx].vq;
	int r;

	do {
		while ((r = virtq_pop(vq, &rng->chain)) == 1) {
			struct virtq_chain *c = &rng->chain;
			/* Readable segments carry nothing for this device:
			 * only the writable part is filled. */
			long n = rng_fill(c->iov + c->n_out, c->n_in, RNG_MAX_REQUEST_BYTES);
			bool failed = n < 0;
			if (failed) {
				fprintf(stderr, "cellvm-rng: getrandom: %s\n", strerror((int)-n));
				n = 0;
			}
			/* Before the push: whoever learns of the answer through
			 * the guest reads counters that include it. */
			if (rng->metrics) {
				dev_metrics_add(&rng->metrics->requests, 1);
				if (failed)
					dev_metrics_add(&rng->metrics->errors, 1);
				else
					dev_metrics_add(&rng->metrics->read_bytes, (uint64_t)n);
			}
			virtq_push(vq, c->head, (uint32_t)n);
			rng->requests++;
			rng->bytes += (uint64_t)n;
		}
		if (r < 0) {
			vu_backend_set_broken(be, qidx);
			break;
		}
		/* Work that arrived while notifications were off would
		 * otherwise wait for a kick that never comes. */
	} while (virtq_enable_notify(vq));
	vu_queue_notify(be, qidx);
}

const struct vu_device_ops rng_device_ops = {
	.name = "rng",
	.virtio_id = VIRTIO_ID_RNG,
	.features = (1ull << VIRTIO_F_VERSION_1) |
		    (1ull << VHOST_USER_F_PROTOCOL_FEATURES) |
		    (1ull << VIRTIO_RING_F_EVENT_IDX) |
		    (1ull << VIRTIO_RING_F_INDIRECT_DESC),
	.num_queues = 1,
	/* A restarted cellvm-rng answers what its predecessor had taken
	 * and not answered, and never answers one twice. */
	.protocol_features = 1ull << VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD,
	.queue_ready = rng_queue_ready,
};
