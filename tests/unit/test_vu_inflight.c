/* The inflight tracking region (vu_inflight.[ch]): geometry, the checks a
 * region handed over by a peer must pass, the spec's reconnect steps, and
 * virtq_pop/virtq_push keeping it so that a "crash" at any point leaves a
 * region the next process recovers exactly. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_vu_util.h"
#include "vu_inflight.h"

Test(vu_inflight, queue_bytes_is_header_plus_entries_rounded_to_64)
{
	cr_assert_eq(vu_inflight_queue_bytes(1), 64);
	cr_assert_eq(vu_inflight_queue_bytes(4), 128);   /* 16 + 64 = 80 → 128 */
	cr_assert_eq(vu_inflight_queue_bytes(256), 16 * 256 + 64);
	cr_assert_eq(vu_inflight_queue_bytes(32768) % 64, 0);
}

Test(vu_inflight, geometry_checks)
{
	cr_assert_eq(vu_inflight_check_geometry(1, 256, 2), 0);
	cr_assert_eq(vu_inflight_check_geometry(0, 256, 2), -EINVAL);
	cr_assert_eq(vu_inflight_check_geometry(3, 256, 2), -EINVAL);
	cr_assert_eq(vu_inflight_check_geometry(1, 0, 2), -EINVAL);
	cr_assert_eq(vu_inflight_check_geometry(1, 100, 2), -EINVAL);
	cr_assert_eq(vu_inflight_check_geometry(1, 65535, 2), -EINVAL);
}

Test(vu_inflight, alloc_initialises_every_queue)
{
	struct vu_inflight_region r;

	cr_assert_eq(vu_inflight_alloc(&r, 2, 16, 2), 0);
	cr_assert_geq(r.fd, 0);
	cr_assert_eq(r.mmap_size, 2 * vu_inflight_queue_bytes(16));
	for (unsigned int i = 0; i < 2; i++) {
		struct vu_inflight_queue *q = vu_inflight_queue(&r, i);
		cr_assert_not_null(q);
		cr_assert_eq(q->version, 1);
		cr_assert_eq(q->desc_num, 16);
		cr_assert_eq(q->features, 0);
		cr_assert_eq(((uintptr_t)q - (uintptr_t)r.base) % 64, 0);
	}
	cr_assert_null(vu_inflight_queue(&r, 2));
	cr_assert_eq(vu_inflight_alloc(&r, 3, 16, 2), -EINVAL);
	vu_inflight_unmap(&r);
	cr_assert_eq(r.fd, -1);
}

static int region_fd(uint64_t size)
{
	int fd = memfd_create("t-inflight", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, (off_t)size), 0);
	return fd;
}

static struct vu_inflight_payload desc_for(uint16_t nq, uint16_t qs)
{
	return (struct vu_inflight_payload){ .mmap_size = nq * vu_inflight_queue_bytes(qs),
					     .num_queues = nq, .queue_size = qs };
}

Test(vu_inflight, map_accepts_a_zeroed_region_and_initialises_it)
{
	struct vu_inflight_payload p = desc_for(1, 16);
	struct vu_inflight_region r;
	int fd = region_fd(p.mmap_size);

	cr_assert_eq(vu_inflight_map(&r, fd, &p, 2, NULL, 0), 0);
	cr_assert_eq(vu_inflight_queue(&r, 0)->version, 1);
	cr_assert_eq(vu_inflight_queue(&r, 0)->desc_num, 16);
	vu_inflight_unmap(&r); /* closes fd */
}

Test(vu_inflight, map_refuses_hostile_descriptions)
{
	struct vu_inflight_payload p = desc_for(1, 16);
	struct vu_inflight_region r;
	char why[80];
	int fd = region_fd(p.mmap_size), pipefd[2];

	/* fd smaller than the region */
	struct vu_inflight_payload big = desc_for(1, 32);
	cr_assert_eq(vu_inflight_map(&r, fd, &big, 2, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "region fd is too small");
	/* size that does not match the geometry */
	struct vu_inflight_payload odd = p;
	odd.mmap_size -= 8;
	cr_assert_eq(vu_inflight_map(&r, fd, &odd, 2, why, sizeof(why)), -EINVAL);
	/* misaligned offset */
	struct vu_inflight_payload mis = p;
	mis.mmap_offset = 8;
	cr_assert_eq(vu_inflight_map(&r, fd, &mis, 2, why, sizeof(why)), -EINVAL);
	cr_assert_str_eq(why, "region offset not page-aligned");
	/* offset past the end */
	mis.mmap_offset = 1ull << 40;
	cr_assert_eq(vu_inflight_map(&r, fd, &mis, 2, why, sizeof(why)), -EINVAL);
	/* more queues than the device has, bad queue size */
	struct vu_inflight_payload many = desc_for(3, 16);
	cr_assert_eq(vu_inflight_map(&r, fd, &many, 2, why, sizeof(why)), -EINVAL);
	struct vu_inflight_payload npow = p;
	npow.queue_size = 12;
	cr_assert_eq(vu_inflight_map(&r, fd, &npow, 2, why, sizeof(why)), -EINVAL);
	/* not a regular file */
	cr_assert_eq(pipe2(pipefd, O_CLOEXEC), 0);
	cr_assert_eq(vu_inflight_map(&r, pipefd[0], &p, 2, why, sizeof(why)), -EINVAL);
	close(pipefd[0]);
	close(pipefd[1]);

	/* headers written by someone else: wrong desc_num, version, features */
	struct vu_inflight_queue *q = mmap(NULL, p.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	cr_assert_neq(q, MAP_FAILED);
	q->version = 1;
	q->desc_num = 8;
	cr_assert_eq(vu_inflight_map(&r, fd, &p, 2, why, sizeof(why)), -EBADMSG);
	cr_assert_str_eq(why, "queue region's desc_num differs from the queue size");
	q->desc_num = 16;
	q->version = 2;
	cr_assert_eq(vu_inflight_map(&r, fd, &p, 2, why, sizeof(why)), -EBADMSG);
	q->version = 1;
	q->features = 1;
	cr_assert_eq(vu_inflight_map(&r, fd, &p, 2, why, sizeof(why)), -EBADMSG);
	q->features = 0;
	cr_assert_eq(vu_inflight_map(&r, fd, &p, 2, why, sizeof(why)), 0);
	munmap(q, p.mmap_size);
	vu_inflight_unmap(&r);
}

struct qbuf {
	struct vu_inflight_region r;
	struct vu_inflight_queue *q;
	uint16_t heads[16];
};

static void qbuf_init(struct qbuf *b)
{
	cr_assert_eq(vu_inflight_alloc(&b->r, 1, 16, 1), 0);
	b->q = vu_inflight_queue(&b->r, 0);
}

Test(vu_inflight, recover_lists_marked_heads_by_counter)
{
	struct vu_inflight_resume res;
	struct qbuf b;

	qbuf_init(&b);
	vu_inflight_mark(b.q, 7, 12);
	vu_inflight_mark(b.q, 2, 10);
	vu_inflight_mark(b.q, 5, 11);
	b.q->used_idx = 40;
	cr_assert_eq(vu_inflight_recover(b.q, 16, 16, 40, b.heads, &res), 0);
	cr_assert_eq(res.n, 3);
	cr_assert_eq(b.heads[0], 2);
	cr_assert_eq(b.heads[1], 5);
	cr_assert_eq(b.heads[2], 7);
	cr_assert_eq(res.last_avail, 43);
	cr_assert_eq(res.counter, 13);
	vu_inflight_unmap(&b.r);
}

/* Killed after the used idx went out but before the flag was cleared:
 * the last batch is recognised and not done twice. */
Test(vu_inflight, recover_clears_the_last_batch_when_used_idx_moved)
{
	struct vu_inflight_resume res;
	struct qbuf b;

	qbuf_init(&b);
	vu_inflight_mark(b.q, 3, 1);
	vu_inflight_mark(b.q, 4, 2);
	b.q->used_idx = 9;
	vu_inflight_pre_push(b.q, 3);
	/* used ring idx went 9 → 10, then the process died */
	cr_assert_eq(vu_inflight_recover(b.q, 16, 16, 10, b.heads, &res), 0);
	cr_assert_eq(res.n, 1);
	cr_assert_eq(b.heads[0], 4);
	cr_assert_eq(res.last_avail, 11);
	cr_assert_eq(b.q->used_idx, 10);
	cr_assert_eq(b.q->desc[3].inflight, 0);
	vu_inflight_unmap(&b.r);
}

Test(vu_inflight, recover_wraps_the_16_bit_indices)
{
	struct vu_inflight_resume res;
	struct qbuf b;

	qbuf_init(&b);
	vu_inflight_mark(b.q, 0, 5);
	b.q->used_idx = 65535;
	cr_assert_eq(vu_inflight_recover(b.q, 16, 16, 65535, b.heads, &res), 0);
	cr_assert_eq(res.n, 1);
	cr_assert_eq(res.last_avail, 0);
	vu_inflight_unmap(&b.r);
}

Test(vu_inflight, recover_refuses_hostile_regions)
{
	struct vu_inflight_resume res;
	struct qbuf b;

	qbuf_init(&b);
	/* a head marked past the ring the driver set up (8 entries) */
	vu_inflight_mark(b.q, 12, 1);
	cr_assert_eq(vu_inflight_recover(b.q, 16, 8, 0, b.heads, &res), -EBADMSG);
	b.q->desc[12].inflight = 0;
	/* an inflight byte that is neither 0 nor 1 */
	b.q->desc[1].inflight = 7;
	cr_assert_eq(vu_inflight_recover(b.q, 16, 16, 0, b.heads, &res), -EBADMSG);
	b.q->desc[1].inflight = 0;
	/* a batch longer than the ring */
	cr_assert_eq(vu_inflight_recover(b.q, 16, 16, 100, b.heads, &res), -EBADMSG);
	/* a batch list that leaves the ring */
	b.q->last_batch_head = 1;
	b.q->desc[1].next = 500;
	cr_assert_eq(vu_inflight_recover(b.q, 16, 16, 2, b.heads, &res), -EBADMSG);
	/* a ring larger than the region, a desc_num changed under us */
	cr_assert_eq(vu_inflight_recover(b.q, 16, 32, 0, b.heads, &res), -EBADMSG);
	b.q->desc_num = 4;
	cr_assert_eq(vu_inflight_recover(b.q, 16, 16, 0, b.heads, &res), -EBADMSG);
	vu_inflight_unmap(&b.r);
}

/* virtq_pop/virtq_push with tracking on, over the test ring of
 * test_vu_util.h mapped as guest memory. */
struct vring_fixture {
	struct tvu_mem mem;
	struct guest_map map;
	struct virtq vq;
	struct virtq_chain chain;
	struct qbuf b;
};

static void vring_setup(struct vring_fixture *f)
{
	tvu_mem_init(&f->mem);
	f->map = (struct guest_map){ .nr = 1 };
	f->map.r[0] = (struct guest_map_region){ .gpa = TVU_GPA, .size = TVU_MEM_SIZE,
						 .user_addr = TVU_UVA, .host = f->mem.p };
	cr_assert_eq(virtq_init(&f->vq, &f->map, TVU_QSIZE, TVU_GPA + TVU_DESC_OFF,
				TVU_GPA + TVU_AVAIL_OFF, TVU_GPA + TVU_USED_OFF, false), 0);
	qbuf_init(&f->b);
	f->vq.inflight = f->b.q;
}

static void vring_teardown(struct vring_fixture *f)
{
	vu_inflight_unmap(&f->b.r);
	tvu_mem_fini(&f->mem);
}

Test(vu_inflight, pop_marks_push_clears_and_a_crash_replays_exactly_the_rest)
{
	static struct vring_fixture f;
	struct vu_inflight_resume res;

	vring_setup(&f);
	for (uint16_t i = 0; i < 4; i++)
		tvu_post_write_buf(&f.mem, i, 16);
	for (int i = 0; i < 4; i++)
		cr_assert_eq(virtq_pop(&f.vq, &f.chain), 1);
	for (uint16_t i = 0; i < 4; i++)
		cr_assert_eq(f.b.q->desc[i].inflight, 1);
	/* completes out of order: 2 then 0 */
	virtq_push(&f.vq, 2, 16);
	virtq_push(&f.vq, 0, 16);
	cr_assert_eq(f.b.q->desc[2].inflight, 0);
	cr_assert_eq(f.b.q->desc[0].inflight, 0);
	cr_assert_eq(f.b.q->used_idx, 2);

	/* "crash": a new process sees the region and the guest's used ring */
	struct virtq vq2;
	cr_assert_eq(virtq_init(&vq2, &f.map, TVU_QSIZE, TVU_GPA + TVU_DESC_OFF,
				TVU_GPA + TVU_AVAIL_OFF, TVU_GPA + TVU_USED_OFF, false), 0);
	cr_assert_eq(vu_inflight_recover(f.b.q, 16, TVU_QSIZE, tvu_used_idx(&f.mem), f.b.heads,
					 &res), 0);
	cr_assert_eq(res.n, 2);
	cr_assert_eq(f.b.heads[0], 1);
	cr_assert_eq(f.b.heads[1], 3);
	cr_assert_eq(res.last_avail, 4);
	vq2.inflight = f.b.q;
	vq2.inflight_counter = res.counter;
	vq2.resubmit = f.b.heads;
	vq2.resubmit_n = res.n;
	vq2.last_avail = res.last_avail;
	vq2.used_idx = tvu_used_idx(&f.mem);
	/* a new request after the restart comes after the replayed ones */
	tvu_post_write_buf(&f.mem, 5, 16);
	cr_assert_eq(virtq_pop(&vq2, &f.chain), 1);
	cr_assert_eq(f.chain.head, 1);
	cr_assert_eq(virtq_pop(&vq2, &f.chain), 1);
	cr_assert_eq(f.chain.head, 3);
	cr_assert_eq(virtq_pop(&vq2, &f.chain), 1);
	cr_assert_eq(f.chain.head, 5);
	cr_assert_eq(virtq_pop(&vq2, &f.chain), 0);
	cr_assert_eq(f.b.q->desc[5].counter, res.counter);
	vring_teardown(&f);
}

/* Killed between taking a head and marking it: the head is not marked,
 * and resuming at used + marked takes it from the avail ring again. */
Test(vu_inflight, a_head_taken_but_not_marked_is_taken_again)
{
	static struct vring_fixture f;
	struct vu_inflight_resume res;

	vring_setup(&f);
	tvu_post_write_buf(&f.mem, 0, 16);
	tvu_post_write_buf(&f.mem, 1, 16);
	cr_assert_eq(virtq_pop(&f.vq, &f.chain), 1);
	/* the second pop "happened" but its mark never reached the region */
	cr_assert_eq(vu_inflight_recover(f.b.q, 16, TVU_QSIZE, tvu_used_idx(&f.mem), f.b.heads,
					 &res), 0);
	cr_assert_eq(res.n, 1);
	cr_assert_eq(f.b.heads[0], 0);
	cr_assert_eq(res.last_avail, 1, "head 1 must be read from the avail ring again");
	vring_teardown(&f);
}

/* Device programs run with RLIMIT_FSIZE set (0 for one that writes no
 * file): the largest region must still be creatable under the limit they
 * add for it, or GET_INFLIGHT_FD would die of SIGXFSZ. */
Test(vu_inflight, largest_region_fits_the_file_size_limit_devices_set)
{
	pid_t pid = fork();

	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct rlimit rl = { vu_inflight_max_bytes(2), vu_inflight_max_bytes(2) };
		struct vu_inflight_region r;
		if (setrlimit(RLIMIT_FSIZE, &rl) < 0 || vu_inflight_alloc(&r, 2, 32768, 2) < 0)
			_exit(1);
		_exit(0);
	}
	int status = 0;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", status);
}
