/* Shared by the vhost-user tests: a backend served on a thread over a
 * socketpair, a fake device that echoes chains back, guest RAM in a memfd
 * with a split ring at its start, and an fd-leak counter. */
#ifndef TEST_VU_UTIL_H
#define TEST_VU_UTIL_H

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "virtq.h"
#include "vu_backend.h"
#include "vu_msg.h"

#define TVU_UNUSED __attribute__((unused))

#define TVU_MEM_SIZE   (1u << 20)
#define TVU_UVA        0x7f1200000000ull  /* what the fake frontend calls its mapping */
#define TVU_GPA        0x100000ull
#define TVU_QSIZE      16u
#define TVU_DESC_OFF   0x0000u
#define TVU_AVAIL_OFF  0x1000u
#define TVU_USED_OFF   0x2000u
#define TVU_BUF_OFF    0x4000u

/* Open descriptors of this process: tests compare before and after. */
static TVU_UNUSED int tvu_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	cr_assert_not_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

struct tvu_dev {
	struct virtq_chain chain;
	int ready_calls;
	int stop_calls;
	int served;
	uint8_t config[16];
};

static TVU_UNUSED void tvu_queue_ready(void *d, struct vu_backend *be, unsigned int qidx)
{
	struct tvu_dev *dev = d;
	struct virtq *vq = &be->vrings[qidx].vq;
	int r;

	dev->ready_calls++;
	do {
		while ((r = virtq_pop(vq, &dev->chain)) == 1) {
			/* Writes 0xab into every writable byte. */
			for (unsigned int i = 0; i < dev->chain.n_in; i++) {
				struct iovec *v = &dev->chain.iov[dev->chain.n_out + i];
				memset(v->iov_base, 0xab, v->iov_len);
			}
			virtq_push(vq, dev->chain.head, (uint32_t)dev->chain.in_len);
			dev->served++;
		}
		if (r < 0) {
			vu_backend_set_broken(be, qidx);
			break;
		}
	} while (virtq_enable_notify(vq));
	vu_queue_notify(be, qidx);
}

static TVU_UNUSED void tvu_queue_stop(void *d, struct vu_backend *be, int qidx)
{
	struct tvu_dev *dev = d;

	(void)be;
	(void)qidx;
	dev->stop_calls++;
}

static TVU_UNUSED int tvu_get_config(void *d, uint32_t offset, uint8_t *buf, uint32_t len)
{
	struct tvu_dev *dev = d;

	if (offset > sizeof(dev->config) || len > sizeof(dev->config) - offset)
		return -EINVAL;
	memcpy(buf, dev->config + offset, len);
	return 0;
}

static TVU_UNUSED const struct vu_device_ops tvu_ops = {
	.name = "test",
	.virtio_id = 4,
	.features = (1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_RING_F_EVENT_IDX) |
		    (1ull << VIRTIO_RING_F_INDIRECT_DESC),
	.num_queues = 2,
	.get_config = tvu_get_config,
	.queue_ready = tvu_queue_ready,
	.queue_stop = tvu_queue_stop,
};

/* A backend on a thread; the test talks to it through sv[0]. */
struct tvu_backend {
	int sv[2];
	int stop_fd;
	pthread_t thread;
	const struct vu_device_ops *ops;
	struct tvu_dev dev;
	int ret;
	bool joined;
};

static TVU_UNUSED void *tvu_backend_thread(void *p)
{
	struct tvu_backend *t = p;
	struct vu_backend_opts opts = { .verbose = 0, .msg_timeout_ms = 300 };

	t->ret = vu_backend_serve_opts(t->sv[1], t->stop_fd, t->ops, &t->dev, &opts);
	return NULL;
}

static TVU_UNUSED void tvu_backend_start(struct tvu_backend *t, const struct vu_device_ops *ops)
{
	memset(t, 0, sizeof(*t));
	t->ops = ops ? ops : &tvu_ops;
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, t->sv), 0);
	t->stop_fd = eventfd(0, EFD_CLOEXEC);
	cr_assert_geq(t->stop_fd, 0);
	cr_assert_eq(pthread_create(&t->thread, NULL, tvu_backend_thread, t), 0);
}

/* Waits (at most 5 s) for the backend to end on its own. */
static TVU_UNUSED int tvu_backend_join(struct tvu_backend *t)
{
	if (!t->joined) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 5;
		cr_assert_eq(pthread_timedjoin_np(t->thread, NULL, &ts), 0,
			     "backend still serving");
		t->joined = true;
	}
	return t->ret;
}

/* Stops it via the stop fd and releases everything. */
static TVU_UNUSED int tvu_backend_stop(struct tvu_backend *t)
{
	uint64_t one = 1;

	if (t->stop_fd < 0)
		return t->ret;
	if (!t->joined)
		cr_assert_eq(write(t->stop_fd, &one, sizeof(one)), (ssize_t)sizeof(one));
	tvu_backend_join(t);
	close(t->sv[0]);
	close(t->sv[1]);
	close(t->stop_fd);
	t->sv[0] = t->sv[1] = t->stop_fd = -1;
	return t->ret;
}

/* Guest RAM for the tests: a memfd, mapped here as the "frontend". */
struct tvu_mem {
	int fd;
	uint8_t *p;
};

static TVU_UNUSED void tvu_mem_init(struct tvu_mem *m)
{
	m->fd = memfd_create("tvu-ram", MFD_CLOEXEC);
	cr_assert_geq(m->fd, 0);
	cr_assert_eq(ftruncate(m->fd, TVU_MEM_SIZE), 0);
	m->p = mmap(NULL, TVU_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, m->fd, 0);
	cr_assert_neq(m->p, MAP_FAILED);
}

static TVU_UNUSED void tvu_mem_fini(struct tvu_mem *m)
{
	munmap(m->p, TVU_MEM_SIZE);
	close(m->fd);
}

/* Makes one chain of a single writable buffer available at slot idx. */
static TVU_UNUSED void tvu_post_write_buf(struct tvu_mem *m, uint16_t desc_idx, uint32_t len)
{
	struct virtq_desc *desc = (struct virtq_desc *)(void *)(m->p + TVU_DESC_OFF);
	struct virtq_avail *avail = (struct virtq_avail *)(void *)(m->p + TVU_AVAIL_OFF);
	uint16_t idx = avail->idx;

	desc[desc_idx] = (struct virtq_desc){
		.addr = TVU_GPA + TVU_BUF_OFF + desc_idx * 256u, .len = len,
		.flags = VIRTQ_DESC_F_WRITE, .next = 0,
	};
	struct virtq_used *used = (struct virtq_used *)(void *)(m->p + TVU_USED_OFF);

	avail->ring[idx % TVU_QSIZE] = desc_idx;
	/* EVENT_IDX used_event: interrupt me once this buffer is used. */
	avail->ring[TVU_QSIZE] = __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE);
	__atomic_store_n(&avail->idx, (uint16_t)(idx + 1), __ATOMIC_RELEASE);
}

static TVU_UNUSED uint16_t tvu_used_idx(struct tvu_mem *m)
{
	struct virtq_used *used = (struct virtq_used *)(void *)(m->p + TVU_USED_OFF);

	return __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE);
}

/* True when fd became readable within ms (an eventfd was signalled). */
static TVU_UNUSED bool tvu_wait_readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, ms) == 1 && (p.revents & POLLIN);
}

#endif
