/* The cellvm-blk request engine end to end, minus the socket: a test
 * driver puts requests in a split ring in memfd-backed guest memory, the
 * device serves them from a temp image file through io_uring, and the
 * test checks the used ring, the guest buffers and the file itself. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/virtio_blk.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "device-procs/blk/blk_dev.h"
#include "test_blk_driver.h"

struct fixture {
	struct tdrv d;
	struct blk_image img;
	struct blk_dev dev;
	struct vu_backend *be;
	int call_fd;
	char path[64];
};

static struct fixture fx;

static void fx_vring(struct fixture *f, unsigned int q, uint64_t base, bool event_idx)
{
	struct vu_vring *vr = &f->be->vrings[q];

	vr->started = vr->enabled = vr->addr_set = true;
	vr->num = TDRV_QSIZE;
	cr_assert_eq(virtq_init(&vr->vq, &f->be->map, TDRV_QSIZE, base + TDRV_DESC_GPA,
				base + TDRV_AVAIL_GPA, base + TDRV_USED_GPA, event_idx), 0);
}

static void fx_setup(const char *dir, uint64_t image_bytes, bool read_only,
		     unsigned int queues, unsigned int depth, bool event_idx)
{
	struct blk_dev_params p = { .num_queues = queues, .queue_depth = depth, .id = "test-disk" };
	int fd;

	tdrv_init(&fx.d);
	snprintf(fx.path, sizeof(fx.path), "%s/test-blk-dev-XXXXXX", dir);
	fd = mkstemp(fx.path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, (off_t)image_bytes), 0);
	close(fd);
	cr_assert_eq(blk_image_open(&fx.img, fx.path, read_only), 0);
	cr_assert_eq(blk_dev_init(&fx.dev, &fx.img, &p), 0);

	fx.be = calloc(1, sizeof(*fx.be));
	cr_assert_not_null(fx.be);
	fx.be->ops = &fx.dev.ops;
	fx.be->dev = &fx.dev;
	fx.be->map = fx.d.map;
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++)
		fx.be->vrings[i].kick_fd = fx.be->vrings[i].call_fd = fx.be->vrings[i].err_fd = -1;
	fx_vring(&fx, 0, 0, event_idx);
	fx.call_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	fx.be->vrings[0].call_fd = fx.call_fd;
}

static void fx_teardown(void)
{
	blk_dev_fini(&fx.dev);
	blk_image_close(&fx.img);
	free(fx.be);
	close(fx.call_fd);
	tdrv_fini(&fx.d);
	unlink(fx.path);
}

/* Kicks queue q, then serves completions until the used ring reaches
 * target. */
static void fx_run_q(unsigned int q, struct tdrv *d, uint16_t target)
{
	fx.dev.ops.queue_ready(&fx.dev, fx.be, q);
	for (int i = 0; i < 10000 && tdrv_used_idx(d) != target; i++) {
		struct pollfd p = { .fd = fx.dev.ops.extra_fd(&fx.dev), .events = POLLIN };

		cr_assert_eq(poll(&p, 1, 5000), 1, "no completion within 5 s");
		fx.dev.ops.extra_ready(&fx.dev, fx.be);
	}
	cr_assert_eq(tdrv_used_idx(d), target);
}

static void fx_run(uint16_t target)
{
	fx_run_q(0, &fx.d, target);
}

/* How a request is cut into descriptors. Direct fragmented chains cost
 * many descriptors, so the bulk tests fragment inside indirect tables. */
enum layout { L_SPLIT, L_MERGED, L_FRAG_INDIRECT, L_INDIRECT, L_COUNT, L_FRAGMENTED };

struct treq {
	uint64_t data;     /* gpa of the data */
	uint64_t status;   /* gpa of the status byte */
	uint32_t len;
	uint16_t head;
};

static void pattern(uint8_t *p, uint64_t sector, uint32_t len, uint8_t seed)
{
	for (uint32_t i = 0; i < len; i++)
		p[i] = (uint8_t)(((sector << 9) + i) * 7u + seed + (i >> 9));
}

/* A header (type, sector), `len` data bytes and the status byte, laid out
 * the way `lay` says. */
static struct treq add_req(struct tdrv *d, uint32_t type, uint64_t sector, uint32_t len,
			   enum layout lay)
{
	bool in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	struct tdrv_seg s[64];
	unsigned int n = 0;
	struct treq t = { .len = len };
	/* header, data and status in one block, so a layout can cut it anywhere */
	uint64_t base = tdrv_alloc(d, 16 + len + 1);
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };

	memcpy(tdrv_ptr(d, base), &h, sizeof(h));
	t.data = base + 16;
	t.status = base + 16 + len;
	*(uint8_t *)tdrv_ptr(d, t.status) = 0xee;

	switch (lay) {
	case L_SPLIT:
	case L_INDIRECT:
		s[n++] = (struct tdrv_seg){ base, 16, 0 };
		if (len)
			s[n++] = (struct tdrv_seg){ t.data, len, in };
		s[n++] = (struct tdrv_seg){ t.status, 1, 1 };
		break;
	case L_MERGED:
		if (in) {
			s[n++] = (struct tdrv_seg){ base, 16, 0 };
			s[n++] = (struct tdrv_seg){ t.data, len + 1, 1 };
		} else {
			s[n++] = (struct tdrv_seg){ base, 16 + len, 0 };
			s[n++] = (struct tdrv_seg){ t.status, 1, 1 };
		}
		break;
	case L_FRAGMENTED:
	case L_FRAG_INDIRECT:
		s[n++] = (struct tdrv_seg){ base, 3, 0 };
		s[n++] = (struct tdrv_seg){ base + 3, 13, 0 };
		for (uint32_t off = 0; off < len; off += 512)
			s[n++] = (struct tdrv_seg){ t.data + off, len - off < 512 ? len - off : 512, in };
		s[n++] = (struct tdrv_seg){ t.status, 1, 1 };
		break;
	default:
		break;
	}
	cr_assert_leq(n, 64);
	t.head = lay == L_INDIRECT || lay == L_FRAG_INDIRECT ? tdrv_add_indirect(d, s, n)
							      : tdrv_add(d, s, n);
	return t;
}

static uint8_t status_of(struct tdrv *d, const struct treq *t)
{
	return *(uint8_t *)tdrv_ptr(d, t->status);
}

/* The used element for head, searched among everything returned so far. */
static uint32_t used_len_of(struct tdrv *d, uint16_t head)
{
	for (uint16_t i = 0; i != tdrv_used_idx(d); i++) {
		struct virtq_used_elem *e = &d->used->ring[i % TDRV_QSIZE];

		if (e->id == head)
			return e->len;
	}
	cr_assert_fail("head %u was never returned", head);
	return 0;
}

static uint64_t call_count(void)
{
	uint64_t v = 0;

	if (read(fx.call_fd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

#define NREQ 64
#define RLEN 8192u

Test(blk_dev, write_flush_read_back, .fini = fx_teardown)
{
	static struct treq w[NREQ], r[NREQ];
	static uint8_t expect[NREQ * RLEN], file[NREQ * RLEN];
	struct treq fl;
	uint16_t used = 0;

	fx_setup("/tmp", 1 << 20, false, 1, 128, false);
	for (unsigned int i = 0; i < NREQ; i++) {
		w[i] = add_req(&fx.d, VIRTIO_BLK_T_OUT, i * (RLEN / 512), RLEN, i % L_COUNT);
		pattern(tdrv_ptr(&fx.d, w[i].data), i * (RLEN / 512), RLEN, 1);
		memcpy(expect + i * RLEN, tdrv_ptr(&fx.d, w[i].data), RLEN);
	}
	/* All of them go to the kernel before any completes: real queue depth. */
	fx.dev.ops.queue_ready(&fx.dev, fx.be, 0);
	cr_assert_eq(blk_dev_inflight(&fx.dev, 0), NREQ);
	used += NREQ;
	fx_run(used);
	for (unsigned int i = 0; i < NREQ; i++) {
		cr_assert_eq(status_of(&fx.d, &w[i]), VIRTIO_BLK_S_OK, "write %u", i);
		cr_assert_eq(used_len_of(&fx.d, w[i].head), 1, "a write only writes its status");
	}
	cr_assert_gt(call_count(), 0, "the guest was interrupted");

	fl = add_req(&fx.d, VIRTIO_BLK_T_FLUSH, 0, 0, L_SPLIT);
	fx_run(++used);
	cr_assert_eq(status_of(&fx.d, &fl), VIRTIO_BLK_S_OK);

	for (unsigned int i = 0; i < NREQ; i++)
		r[i] = add_req(&fx.d, VIRTIO_BLK_T_IN, i * (RLEN / 512), RLEN, (i + 1) % L_COUNT);
	used += NREQ;
	fx_run(used);
	for (unsigned int i = 0; i < NREQ; i++) {
		cr_assert_eq(status_of(&fx.d, &r[i]), VIRTIO_BLK_S_OK, "read %u", i);
		cr_assert_eq(used_len_of(&fx.d, r[i].head), RLEN + 1);
		cr_assert_eq(memcmp(tdrv_ptr(&fx.d, r[i].data), expect + i * RLEN, RLEN), 0,
			     "read %u returns what was written", i);
	}
	cr_assert_eq(pread(fx.img.fd, file, sizeof(file), 0), (ssize_t)sizeof(file));
	cr_assert_eq(memcmp(file, expect, sizeof(file)), 0, "the image file holds the data");
	cr_assert_eq(blk_dev_inflight(&fx.dev, -1), 0);
}

Test(blk_dev, throttles_when_the_pool_is_dry, .fini = fx_teardown)
{
	static struct treq w[200];

	fx_setup("/tmp", 1 << 20, false, 1, 4, false);
	for (unsigned int i = 0; i < 200; i++) {
		w[i] = add_req(&fx.d, VIRTIO_BLK_T_OUT, i, 512, L_INDIRECT);
		pattern(tdrv_ptr(&fx.d, w[i].data), i, 512, 2);
	}
	fx.dev.ops.queue_ready(&fx.dev, fx.be, 0);
	cr_assert_eq(blk_dev_inflight(&fx.dev, 0), 4);
	cr_assert_eq(fx.be->vrings[0].vq.last_avail, 4, "the rest stays in the ring");
	fx_run(200);
	for (unsigned int i = 0; i < 200; i++)
		cr_assert_eq(status_of(&fx.d, &w[i]), VIRTIO_BLK_S_OK);
}

Test(blk_dev, queue_stop_drains_in_flight_requests, .fini = fx_teardown)
{
	static struct treq w[32];

	fx_setup("/tmp", 1 << 20, false, 1, 128, false);
	for (unsigned int i = 0; i < 32; i++)
		w[i] = add_req(&fx.d, VIRTIO_BLK_T_OUT, i * 8, 4096, L_SPLIT);
	fx.dev.ops.queue_ready(&fx.dev, fx.be, 0);
	cr_assert_eq(blk_dev_inflight(&fx.dev, 0), 32);
	fx.dev.ops.queue_stop(&fx.dev, fx.be, 0);
	cr_assert_eq(blk_dev_inflight(&fx.dev, 0), 0);
	cr_assert_eq(tdrv_used_idx(&fx.d), 32, "every popped request is in the used ring");
	cr_assert_eq(fx.be->vrings[0].vq.last_avail, 32);
	for (unsigned int i = 0; i < 32; i++)
		cr_assert_eq(status_of(&fx.d, &w[i]), VIRTIO_BLK_S_OK);
}

Test(blk_dev, bad_requests_get_statuses, .fini = fx_teardown)
{
	struct treq past, unaligned, unknown, id, ok;
	struct tdrv_seg nostatus[2];
	uint16_t nostatus_head;
	uint64_t hdr;

	fx_setup("/tmp", 1 << 20, false, 1, 128, false);
	past = add_req(&fx.d, VIRTIO_BLK_T_IN, 2047, 1024, L_SPLIT);
	unaligned = add_req(&fx.d, VIRTIO_BLK_T_OUT, 0, 100, L_SPLIT);
	unknown = add_req(&fx.d, 42, 0, 512, L_SPLIT);
	id = add_req(&fx.d, VIRTIO_BLK_T_GET_ID, 0, 20, L_FRAGMENTED);
	hdr = tdrv_alloc(&fx.d, 16 + 512);
	*(struct virtio_blk_outhdr *)tdrv_ptr(&fx.d, hdr) =
		(struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_OUT };
	nostatus[0] = (struct tdrv_seg){ hdr, 16, 0 };
	nostatus[1] = (struct tdrv_seg){ hdr + 16, 512, 0 };
	nostatus_head = tdrv_add(&fx.d, nostatus, 2);
	ok = add_req(&fx.d, VIRTIO_BLK_T_IN, 2047, 512, L_MERGED);
	fx_run(6);

	cr_assert_eq(status_of(&fx.d, &past), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(used_len_of(&fx.d, past.head), 1, "no data was written");
	cr_assert_eq(status_of(&fx.d, &unaligned), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(status_of(&fx.d, &unknown), VIRTIO_BLK_S_UNSUPP);
	cr_assert_eq(status_of(&fx.d, &id), VIRTIO_BLK_S_OK);
	cr_assert_eq(memcmp(tdrv_ptr(&fx.d, id.data), "test-disk\0\0\0\0\0\0\0\0\0\0\0", 20), 0);
	cr_assert_eq(used_len_of(&fx.d, id.head), 21);
	cr_assert_eq(used_len_of(&fx.d, nostatus_head), 0, "returned, with nothing written");
	cr_assert_eq(status_of(&fx.d, &ok), VIRTIO_BLK_S_OK, "the queue goes on after errors");
	cr_assert_not(fx.be->vrings[0].vq.broken);
}

/* The core's counters page: every request answered, those answered with
 * an error, and the data bytes of reads and writes that succeeded. */
Test(blk_dev, counts_into_the_metrics_page, .fini = fx_teardown)
{
	const struct dev_metrics *page = NULL;
	struct treq past, unknown;

	fx_setup("/tmp", 1 << 20, false, 1, 128, false);
	fx.dev.metrics = dev_metrics_adopt(dev_metrics_create(&page), "test");
	cr_assert_not_null(fx.dev.metrics);
	for (unsigned int i = 0; i < 8; i++)
		add_req(&fx.d, VIRTIO_BLK_T_OUT, i * 8, 4096, i % L_COUNT);
	fx_run(8);
	cr_assert_eq(dev_metrics_get(&page->requests), 8);
	cr_assert_eq(dev_metrics_get(&page->write_bytes), 8 * 4096);
	add_req(&fx.d, VIRTIO_BLK_T_FLUSH, 0, 0, L_SPLIT);
	for (unsigned int i = 0; i < 4; i++)
		add_req(&fx.d, VIRTIO_BLK_T_IN, i * 16, 8192, L_FRAG_INDIRECT);
	add_req(&fx.d, VIRTIO_BLK_T_GET_ID, 0, 20, L_SPLIT);
	past = add_req(&fx.d, VIRTIO_BLK_T_IN, 2047, 1024, L_SPLIT);
	unknown = add_req(&fx.d, 42, 0, 512, L_SPLIT);
	fx_run(16);
	cr_assert_eq(status_of(&fx.d, &past), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(status_of(&fx.d, &unknown), VIRTIO_BLK_S_UNSUPP);

	cr_assert_eq(dev_metrics_get(&page->requests), 16, "flush, GET_ID and failures count");
	cr_assert_eq(dev_metrics_get(&page->errors), 2);
	cr_assert_eq(dev_metrics_get(&page->read_bytes), 4 * 8192, "not GET_ID, not the failure");
	cr_assert_eq(dev_metrics_get(&page->write_bytes), 8 * 4096);
	cr_assert_eq(dev_metrics_get(&page->requests), fx.dev.stats.requests);
	munmap(fx.dev.metrics, DEV_METRICS_SIZE);
	dev_metrics_unmap(page);
}

Test(blk_dev, read_only_device_refuses_writes, .fini = fx_teardown)
{
	struct treq w;
	uint8_t back[512], zero[512] = { 0 };

	fx_setup("/tmp", 1 << 20, true, 1, 128, false);
	cr_assert(fx.dev.ops.features & (1ull << VIRTIO_BLK_F_RO));
	w = add_req(&fx.d, VIRTIO_BLK_T_OUT, 0, 512, L_SPLIT);
	memset(tdrv_ptr(&fx.d, w.data), 0x5a, 512);
	fx_run(1);
	cr_assert_eq(status_of(&fx.d, &w), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(pread(fx.img.fd, back, 512, 0), 512);
	cr_assert_eq(memcmp(back, zero, 512), 0, "nothing reached the image");
}

/* An image that shrinks under us: the kernel returns short reads, which
 * must end as IOERR, never as OK with stale guest memory. */
Test(blk_dev, short_reads_are_not_success, .fini = fx_teardown)
{
	struct treq straddle, beyond, before;

	fx_setup("/tmp", 1 << 20, false, 1, 128, false);
	cr_assert_eq(truncate(fx.path, 4096), 0);
	before = add_req(&fx.d, VIRTIO_BLK_T_IN, 0, 4096, L_SPLIT);
	straddle = add_req(&fx.d, VIRTIO_BLK_T_IN, 4, 8192, L_FRAGMENTED);
	beyond = add_req(&fx.d, VIRTIO_BLK_T_IN, 100, 512, L_SPLIT);
	fx_run(3);
	cr_assert_eq(status_of(&fx.d, &before), VIRTIO_BLK_S_OK);
	cr_assert_eq(status_of(&fx.d, &straddle), VIRTIO_BLK_S_IOERR);
	cr_assert_eq(used_len_of(&fx.d, straddle.head), 1);
	cr_assert_eq(status_of(&fx.d, &beyond), VIRTIO_BLK_S_IOERR);
}

static void put_range(struct tdrv *d, uint64_t gpa, uint64_t sector, uint32_t num,
		      uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes r = {
		.sector = sector, .num_sectors = num, .flags = flags,
	};

	memcpy(tdrv_ptr(d, gpa), &r, sizeof(r));
}

/* WRITE_ZEROES / DISCARD carry ranges as an OUT payload. */
static struct treq add_ranges(struct tdrv *d, uint32_t type, const uint64_t (*r)[3],
			      unsigned int n)
{
	struct treq t = add_req(d, type, 0, n * 16, L_SPLIT);

	for (unsigned int i = 0; i < n; i++)
		put_range(d, t.data + i * 16, r[i][0], (uint32_t)r[i][1], (uint32_t)r[i][2]);
	return t;
}

static void zeroes_case(const char *dir)
{
	static uint8_t buf[64 * 512], zero[8 * 512];
	static const uint64_t wz[][3] = { { 8, 8, 0 }, { 24, 0, 0 }, { 40, 8, 0 } };
	static const uint64_t wz_unmap[][3] = { { 16, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP } };
	static const uint64_t discard[][3] = { { 48, 8, 0 } };
	struct treq t1, t2, t3;

	fx_setup(dir, 1 << 20, false, 1, 128, false);
	pattern(buf, 0, sizeof(buf), 3);
	cr_assert_eq(pwrite(fx.img.fd, buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	t1 = add_ranges(&fx.d, VIRTIO_BLK_T_WRITE_ZEROES, wz, 3);
	t2 = add_ranges(&fx.d, VIRTIO_BLK_T_WRITE_ZEROES, wz_unmap, 1);
	t3 = add_ranges(&fx.d, VIRTIO_BLK_T_DISCARD, discard, 1);
	fx_run(3);
	cr_assert_eq(status_of(&fx.d, &t1), VIRTIO_BLK_S_OK);
	cr_assert_eq(status_of(&fx.d, &t2), VIRTIO_BLK_S_OK);
	cr_assert_eq(status_of(&fx.d, &t3), VIRTIO_BLK_S_OK);

	static uint8_t now[64 * 512];
	cr_assert_eq(pread(fx.img.fd, now, sizeof(now), 0), (ssize_t)sizeof(now));
	for (unsigned int s = 0; s < 48; s += 8) {
		bool zeroed = s == 8 || s == 16 || s == 40;

		if (zeroed)
			cr_assert_eq(memcmp(now + s * 512, zero, sizeof(zero)), 0, "sector %u", s);
		else
			cr_assert_eq(memcmp(now + s * 512, buf + s * 512, 8 * 512), 0,
				     "sector %u untouched", s);
	}
	cr_assert_eq(memcmp(now + 56 * 512, buf + 56 * 512, 8 * 512), 0, "after the discard");
}

Test(blk_dev, write_zeroes_and_discard, .fini = fx_teardown)
{
	zeroes_case("/tmp");
}

/* tmpfs has no FALLOC_FL_ZERO_RANGE: the punch-and-allocate path. */
Test(blk_dev, write_zeroes_without_zero_range, .fini = fx_teardown)
{
	zeroes_case("/dev/shm");
	cr_assert(fx.dev.no_zero_range);
}

Test(blk_dev, malformed_ring_breaks_only_the_queue, .fini = fx_teardown)
{
	fx_setup("/tmp", 1 << 20, false, 1, 128, false);
	/* avail idx claims more entries than the ring holds */
	fx.d.avail->idx = TDRV_QSIZE + 5;
	fx.dev.ops.queue_ready(&fx.dev, fx.be, 0);
	cr_assert(fx.be->vrings[0].vq.broken);
	cr_assert(fx.be->needs_reset);
	cr_assert_eq(blk_dev_inflight(&fx.dev, -1), 0);
}

Test(blk_dev, event_idx_and_two_queues, .fini = fx_teardown)
{
	struct tdrv d1;
	struct treq a, b, ra, rb;

	fx_setup("/tmp", 1 << 20, false, 2, 16, true);
	cr_assert(fx.dev.ops.features & (1ull << VIRTIO_BLK_F_MQ));
	/* queue 1's rings live in a second test driver's memory, mapped as a
	 * second region */
	tdrv_init(&d1);
	fx.be->map.r[1] = d1.map.r[0];
	fx.be->map.r[1].gpa = TDRV_MEM_SIZE;
	fx.be->map.nr = 2;
	fx_vring(&fx, 1, TDRV_MEM_SIZE, true);

	a = add_req(&fx.d, VIRTIO_BLK_T_OUT, 0, 512, L_SPLIT);
	memset(tdrv_ptr(&fx.d, a.data), 0xaa, 512);
	b = add_req(&d1, VIRTIO_BLK_T_OUT, 1, 512, L_SPLIT);
	/* d1 hands out gpas of its own memory: shift them into region 1 */
	for (unsigned int i = 0; i < 3; i++)
		d1.desc[(b.head + i) % TDRV_QSIZE].addr += TDRV_MEM_SIZE;
	memset(tdrv_ptr(&d1, b.data), 0xbb, 512);
	fx_run_q(0, &fx.d, 1);
	fx_run_q(1, &d1, 1);
	cr_assert_eq(status_of(&fx.d, &a), VIRTIO_BLK_S_OK);
	cr_assert_eq(status_of(&d1, &b), VIRTIO_BLK_S_OK);

	ra = add_req(&fx.d, VIRTIO_BLK_T_IN, 1, 512, L_SPLIT);
	rb = add_req(&fx.d, VIRTIO_BLK_T_IN, 0, 512, L_SPLIT);
	fx_run_q(0, &fx.d, 3);
	cr_assert_eq(*(uint8_t *)tdrv_ptr(&fx.d, ra.data), 0xbb);
	cr_assert_eq(*(uint8_t *)tdrv_ptr(&fx.d, rb.data), 0xaa);
	/* with EVENT_IDX the device publishes where it wants the next kick */
	cr_assert_eq(*(uint16_t *)(void *)&fx.d.used->ring[TDRV_QSIZE], 3);
	tdrv_fini(&d1);
}

static uint16_t fx_avail_event(void)
{
	return *(uint16_t *)(void *)&fx.d.used->ring[TDRV_QSIZE];
}

/* Serves completions only, no kick, until the used ring reaches target. */
static void fx_complete(uint16_t target)
{
	for (int i = 0; i < 10000 && tdrv_used_idx(&fx.d) != target; i++) {
		struct pollfd p = { .fd = fx.dev.ops.extra_fd(&fx.dev), .events = POLLIN };

		cr_assert_eq(poll(&p, 1, 5000), 1, "no completion within 5 s");
		fx.dev.ops.extra_ready(&fx.dev, fx.be);
	}
	cr_assert_eq(tdrv_used_idx(&fx.d), target);
}

/* While reads are in flight the guest is asked not to kick: requests it
 * adds meanwhile are taken on the completion side. Once idle, kicks are
 * asked for again. */
static void check_kicks_suppressed_while_busy(bool event_idx)
{
	struct treq r[6];

	fx_setup("/tmp", 1 << 20, false, 1, 128, event_idx);
	for (unsigned int i = 0; i < 4; i++)
		r[i] = add_req(&fx.d, VIRTIO_BLK_T_IN, i, 512, L_SPLIT);
	fx.dev.ops.queue_ready(&fx.dev, fx.be, 0);
	cr_assert_eq(blk_dev_inflight(&fx.dev, 0), 4);
	if (event_idx)
		cr_assert_eq(fx_avail_event(), 0);
	else
		cr_assert_eq(fx.d.used->flags, VIRTQ_USED_F_NO_NOTIFY);

	/* no kick for these: the device must still serve them */
	r[4] = add_req(&fx.d, VIRTIO_BLK_T_IN, 4, 512, L_SPLIT);
	r[5] = add_req(&fx.d, VIRTIO_BLK_T_IN, 5, 512, L_SPLIT);
	fx_complete(6);
	for (unsigned int i = 0; i < 6; i++)
		cr_assert_eq(status_of(&fx.d, &r[i]), VIRTIO_BLK_S_OK);
	cr_assert_eq(blk_dev_inflight(&fx.dev, 0), 0);
	if (event_idx)
		cr_assert_eq(fx_avail_event(), 6);
	else
		cr_assert_eq(fx.d.used->flags, 0);
}

Test(blk_dev, kicks_suppressed_while_busy, .fini = fx_teardown)
{
	check_kicks_suppressed_while_busy(false);
}

Test(blk_dev, kicks_suppressed_while_busy_event_idx, .fini = fx_teardown)
{
	check_kicks_suppressed_while_busy(true);
}

/* A flush may take long: a read the guest adds meanwhile gets its kick
 * answered at once instead of waiting for the flush. */
Test(blk_dev, flush_in_flight_keeps_kicks_armed, .fini = fx_teardown)
{
	fx_setup("/tmp", 1 << 20, false, 1, 128, false);
	add_req(&fx.d, VIRTIO_BLK_T_FLUSH, 0, 0, L_SPLIT);
	fx.dev.ops.queue_ready(&fx.dev, fx.be, 0);
	cr_assert_eq(blk_dev_inflight(&fx.dev, 0), 1);
	cr_assert_eq(fx.d.used->flags, 0);
	fx_complete(1);
	cr_assert_eq(fx.d.used->flags, 0);
}

/* queue_stop on one queue reaps every queue's completions: another queue
 * left idle by them must still be re-armed, or the guest, which was told
 * not to kick, would wait for ever. */
Test(blk_dev, stop_of_one_queue_rearms_the_other, .fini = fx_teardown)
{
	struct tdrv d1;
	struct treq b;

	fx_setup("/tmp", 1 << 20, false, 2, 16, true);
	tdrv_init(&d1);
	fx.be->map.r[1] = d1.map.r[0];
	fx.be->map.r[1].gpa = TDRV_MEM_SIZE;
	fx.be->map.nr = 2;
	fx_vring(&fx, 1, TDRV_MEM_SIZE, true);

	b = add_req(&d1, VIRTIO_BLK_T_IN, 1, 512, L_SPLIT);
	for (unsigned int i = 0; i < 3; i++)
		d1.desc[(b.head + i) % TDRV_QSIZE].addr += TDRV_MEM_SIZE;
	fx.dev.ops.queue_ready(&fx.dev, fx.be, 1);
	cr_assert_eq(blk_dev_inflight(&fx.dev, 1), 1);
	/* give queue 1's read time to complete (not reaped: no extra_ready),
	 * then have queue_stop(0) wait for a read of queue 0, reaping both */
	usleep(100 * 1000);
	add_req(&fx.d, VIRTIO_BLK_T_IN, 0, 512, L_SPLIT);
	fx.dev.ops.queue_ready(&fx.dev, fx.be, 0);
	fx.dev.ops.queue_stop(&fx.dev, fx.be, 0);
	cr_assert_eq(tdrv_used_idx(&fx.d), 1);
	cr_assert_eq(blk_dev_inflight(&fx.dev, 1), 0);
	cr_assert_eq(tdrv_used_idx(&d1), 1);
	cr_assert_eq(*(uint16_t *)(void *)&d1.used->ring[TDRV_QSIZE], 0);
	/* the poke queue_stop left brings the loop back to queue 1 */
	struct pollfd p = { .fd = fx.dev.ops.extra_fd(&fx.dev), .events = POLLIN };
	cr_assert_eq(poll(&p, 1, 5000), 1);
	fx.dev.ops.extra_ready(&fx.dev, fx.be);
	cr_assert_eq(*(uint16_t *)(void *)&d1.used->ring[TDRV_QSIZE], 1);
	tdrv_fini(&d1);
}
