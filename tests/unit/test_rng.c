/* cellvm-rng's device logic: rng_fill, and the whole device behind a real
 * vhost-user session (frontend API ↔ backend loop on a thread), driven
 * by a hand-written virtio driver in memfd guest RAM. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "device-procs/rng/rng.h"
#include "test_vu_util.h"
#include "vu_frontend.h"

Test(rng, fill_respects_segments_and_cap)
{
	uint8_t a[100], b[300];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };

	memset(a, 0, sizeof(a));
	memset(b, 0, sizeof(b));
	cr_assert_eq(rng_fill(iov, 2, 1000), 400);
	cr_assert_neq(memcmp(a, (uint8_t[100]){ 0 }, 100), 0);
	memset(b, 0, sizeof(b));
	/* capped in the middle of the second segment */
	cr_assert_eq(rng_fill(iov, 2, 150), 150);
	cr_assert_eq(b[50], 0);
	cr_assert_eq(b[299], 0);
	cr_assert_eq(rng_fill(iov, 0, 150), 0);
}

Test(rng, device_ops)
{
	cr_assert_eq(rng_device_ops.virtio_id, 4);
	cr_assert_eq(rng_device_ops.num_queues, 1);
	cr_assert(rng_device_ops.features & (1ull << VIRTIO_F_VERSION_1));
	cr_assert(rng_device_ops.features & (1ull << VIRTIO_RING_F_EVENT_IDX));
	cr_assert(rng_device_ops.features & (1ull << VIRTIO_RING_F_INDIRECT_DESC));
	cr_assert(rng_device_ops.features & (1ull << VHOST_USER_F_PROTOCOL_FEATURES));
	cr_assert_null(rng_device_ops.get_config);
}

/* ---- the device behind a vhost-user session ---- */

static struct {
	int sv[2];
	pthread_t thread;
	struct rng_dev *dev;
	int ret;
} srv;
static struct vu_frontend fe;
static struct tvu_mem mem;
static int kick, call, fds_before;

static void *rng_thread(void *p)
{
	(void)p;
	srv.ret = vu_backend_serve(srv.sv[1], -1, &rng_device_ops, srv.dev);
	return NULL;
}

static void setup(void)
{
	uint64_t f, pf;

	fds_before = tvu_count_fds();
	tvu_mem_init(&mem);
	srv.dev = calloc(1, sizeof(*srv.dev));
	cr_assert_not_null(srv.dev);
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, srv.sv), 0);
	cr_assert_eq(pthread_create(&srv.thread, NULL, rng_thread, NULL), 0);
	vu_frontend_attach(&fe, srv.sv[0], 2000);
	kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	struct vu_frontend_region r = {
		.gpa = TVU_GPA, .size = TVU_MEM_SIZE, .user_addr = TVU_UVA, .mmap_offset = 0,
		.fd = mem.fd,
	};
	cr_assert_eq(vu_frontend_set_owner(&fe), 0);
	cr_assert_eq(vu_frontend_get_features(&fe, &f), 0);
	cr_assert_eq(vu_frontend_get_protocol_features(&fe, &pf), 0);
	cr_assert_eq(vu_frontend_set_protocol_features(&fe, pf), 0);
	cr_assert_eq(vu_frontend_set_features(&fe, f), 0);
	cr_assert_eq(vu_frontend_set_mem_table(&fe, &r, 1), 0);
	cr_assert_eq(vu_frontend_set_vring_num(&fe, 0, TVU_QSIZE), 0);
	cr_assert_eq(vu_frontend_set_vring_base(&fe, 0, 0), 0);
	cr_assert_eq(vu_frontend_set_vring_addr(&fe, 0, TVU_UVA + TVU_DESC_OFF,
						TVU_UVA + TVU_AVAIL_OFF, TVU_UVA + TVU_USED_OFF), 0);
	cr_assert_eq(vu_frontend_set_vring_call(&fe, 0, call), 0);
	cr_assert_eq(vu_frontend_set_vring_kick(&fe, 0, kick), 0);
	cr_assert_eq(vu_frontend_set_vring_enable(&fe, 0, true), 0);
}

static void teardown(void)
{
	vu_frontend_close(&fe);
	pthread_join(srv.thread, NULL);
	cr_assert_eq(srv.ret, 0);
	close(srv.sv[1]);
	close(kick);
	close(call);
	free(srv.dev);
	tvu_mem_fini(&mem);
	cr_assert_eq(tvu_count_fds(), fds_before, "file descriptors leaked");
}

static void kick_and_wait(uint16_t want_used)
{
	uint64_t one = 1;

	cr_assert_eq(write(kick, &one, 8), 8);
	cr_assert(tvu_wait_readable(call, 2000), "no interrupt");
	cr_assert_eq(read(call, &one, 8), 8);
	cr_assert_eq(tvu_used_idx(&mem), want_used);
}

static struct virtq_desc *desc_table(void)
{
	return (struct virtq_desc *)(void *)(mem.p + TVU_DESC_OFF);
}

static struct virtq_used_elem used_elem(unsigned int i)
{
	struct virtq_used *u = (struct virtq_used *)(void *)(mem.p + TVU_USED_OFF);

	return u->ring[i % TVU_QSIZE];
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

Test(rng, serves_random_bytes, .init = setup, .fini = teardown)
{
	tvu_post_write_buf(&mem, 0, 64);
	kick_and_wait(1);
	cr_assert_eq(used_elem(0).id, 0);
	cr_assert_eq(used_elem(0).len, 64);
	cr_assert_not(all_zero(mem.p + TVU_BUF_OFF, 64));
	/* and nothing past the buffer */
	cr_assert(all_zero(mem.p + TVU_BUF_OFF + 64, 192));
	cr_assert_eq(srv.dev->requests, 1);
}

Test(rng, indirect_chain_with_readable_part, .init = setup, .fini = teardown)
{
	struct virtq_avail *avail = (struct virtq_avail *)(void *)(mem.p + TVU_AVAIL_OFF);
	uint64_t itab = 0x8000, buf = 0x9000;
	struct virtq_desc *t = (struct virtq_desc *)(void *)(mem.p + itab);

	memset(mem.p + buf, 0, 0x300);
	/* a readable segment (ignored), then two writable ones */
	t[0] = (struct virtq_desc){ TVU_GPA + buf, 16, VIRTQ_DESC_F_NEXT, 1 };
	t[1] = (struct virtq_desc){ TVU_GPA + buf + 0x100, 32, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2 };
	t[2] = (struct virtq_desc){ TVU_GPA + buf + 0x200, 8, VIRTQ_DESC_F_WRITE, 0 };
	desc_table()[5] = (struct virtq_desc){ TVU_GPA + itab, 48, VIRTQ_DESC_F_INDIRECT, 0 };
	avail->ring[0] = 5;
	avail->ring[TVU_QSIZE] = 0;
	__atomic_store_n(&avail->idx, 1, __ATOMIC_RELEASE);
	kick_and_wait(1);
	cr_assert_eq(used_elem(0).id, 5);
	cr_assert_eq(used_elem(0).len, 40);
	cr_assert(all_zero(mem.p + buf, 16), "readable segment written");
	cr_assert_not(all_zero(mem.p + buf + 0x100, 32));
	cr_assert_not(all_zero(mem.p + buf + 0x200, 8));
}

Test(rng, large_buffer_is_capped, .init = setup, .fini = teardown)
{
	struct virtq_avail *avail = (struct virtq_avail *)(void *)(mem.p + TVU_AVAIL_OFF);

	desc_table()[0] = (struct virtq_desc){ TVU_GPA + 0x10000, 0x20000, VIRTQ_DESC_F_WRITE, 0 };
	avail->ring[0] = 0;
	__atomic_store_n(&avail->idx, 1, __ATOMIC_RELEASE);
	kick_and_wait(1);
	cr_assert_eq(used_elem(0).len, RNG_MAX_REQUEST_BYTES);
}

Test(rng, many_requests_and_wrap, .init = setup, .fini = teardown)
{
	/* three times around the 16-entry ring */
	for (unsigned int i = 0; i < 3 * TVU_QSIZE; i++) {
		tvu_post_write_buf(&mem, (uint16_t)(i % TVU_QSIZE), 4);
		kick_and_wait((uint16_t)(i + 1));
		cr_assert_eq(used_elem(i).id, i % TVU_QSIZE);
	}
	cr_assert_eq(srv.dev->bytes, 3 * TVU_QSIZE * 4);
}

/* The core's counters page: each request and the bytes it delivered,
 * counted before the answer is in the used ring. */
Test(rng, counts_into_the_metrics_page, .init = setup, .fini = teardown)
{
	const struct dev_metrics *page = NULL;

	/* Set before the first kick, which orders it for the device thread. */
	srv.dev->metrics = dev_metrics_adopt(dev_metrics_create(&page), "test");
	cr_assert_not_null(srv.dev->metrics);
	tvu_post_write_buf(&mem, 0, 64);
	kick_and_wait(1);
	cr_assert_eq(dev_metrics_get(&page->requests), 1);
	cr_assert_eq(dev_metrics_get(&page->read_bytes), 64);
	tvu_post_write_buf(&mem, 1, 200);
	kick_and_wait(2);
	cr_assert_eq(dev_metrics_get(&page->requests), 2);
	cr_assert_eq(dev_metrics_get(&page->read_bytes), 264);
	cr_assert_eq(dev_metrics_get(&page->write_bytes), 0);
	cr_assert_eq(dev_metrics_get(&page->errors), 0);
	munmap(srv.dev->metrics, DEV_METRICS_SIZE);
	dev_metrics_unmap(page);
}

Test(rng, malformed_ring_stops_the_queue, .init = setup, .fini = teardown)
{
	struct virtq_avail *avail = (struct virtq_avail *)(void *)(mem.p + TVU_AVAIL_OFF);
	uint64_t one = 1;
	unsigned int base;

	desc_table()[0] = (struct virtq_desc){ TVU_GPA + 0x4000, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0 };
	avail->ring[0] = 0;
	__atomic_store_n(&avail->idx, 1, __ATOMIC_RELEASE);
	cr_assert_eq(write(kick, &one, 8), 8);
	/* the session survives; the loop was detected, nothing was used */
	cr_assert_eq(vu_frontend_get_vring_base(&fe, 0, &base), 0);
	cr_assert_eq(base, 0);
	cr_assert_eq(tvu_used_idx(&mem), 0);
}
