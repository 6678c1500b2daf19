/* GET_INFLIGHT_FD / SET_INFLIGHT_FD between cellvm's frontend and backend:
 * a region got from one backend session and handed to a new one (a
 * restarted device) makes the new one serve the requests the old one took
 * and never finished, first and in order, then resume the ring; a region
 * that does not fit is refused and never followed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test_vu_util.h"
#include "vu_frontend.h"
#include "vu_inflight.h"

static struct vu_device_ops inflight_ops;
static struct tvu_backend be;
static struct tvu_mem mem;
static struct vu_frontend fe;
static int kick, call;

static void setup(void)
{
	inflight_ops = tvu_ops;
	inflight_ops.protocol_features = 1ull << VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD;
	tvu_mem_init(&mem);
	tvu_backend_start(&be, &inflight_ops);
	vu_frontend_attach(&fe, dup(be.sv[0]), 2000);
	kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

static void teardown(void)
{
	vu_frontend_close(&fe);
	tvu_backend_stop(&be);
	tvu_mem_fini(&mem);
	close(kick);
	close(call);
}

static void negotiate(uint64_t want_pf)
{
	uint64_t f, pf;

	cr_assert_eq(vu_frontend_set_owner(&fe), 0);
	cr_assert_eq(vu_frontend_get_features(&fe, &f), 0);
	cr_assert_eq(vu_frontend_get_protocol_features(&fe, &pf), 0);
	cr_assert(pf & (1ull << VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD));
	cr_assert_eq(vu_frontend_set_protocol_features(&fe, pf & want_pf), 0);
	cr_assert_eq(vu_frontend_set_features(&fe, (1ull << VIRTIO_F_VERSION_1) |
					      (1ull << VHOST_USER_F_PROTOCOL_FEATURES)), 0);
	struct vu_frontend_region r = { .gpa = TVU_GPA, .size = TVU_MEM_SIZE, .user_addr = TVU_UVA,
					.fd = mem.fd };
	cr_assert_eq(vu_frontend_set_mem_table(&fe, &r, 1), 0);
}

static int start_ring(void)
{
	int r;

	if ((r = vu_frontend_set_vring_num(&fe, 0, TVU_QSIZE)) < 0 ||
	    (r = vu_frontend_set_vring_base(&fe, 0, 0)) < 0 ||
	    (r = vu_frontend_set_vring_addr(&fe, 0, TVU_UVA + TVU_DESC_OFF, TVU_UVA + TVU_AVAIL_OFF,
					    TVU_UVA + TVU_USED_OFF)) < 0 ||
	    (r = vu_frontend_set_vring_call(&fe, 0, call)) < 0 ||
	    (r = vu_frontend_set_vring_kick(&fe, 0, kick)) < 0)
		return r;
	return vu_frontend_set_vring_enable(&fe, 0, true);
}

static const uint64_t ALL_PF = ~0ull;

Test(vu_inflight_vhost, get_gives_a_region_the_backend_keeps, .init = setup, .fini = teardown)
{
	struct vu_inflight_payload d;
	int fd;

	negotiate(ALL_PF);
	cr_assert_eq(vu_frontend_get_inflight_fd(&fe, 2, TVU_QSIZE, &d, &fd), 0);
	cr_assert_geq(fd, 0);
	cr_assert_eq(d.num_queues, 2);
	cr_assert_eq(d.queue_size, TVU_QSIZE);
	cr_assert_eq(d.mmap_size, 2 * vu_inflight_queue_bytes(TVU_QSIZE));
	struct vu_inflight_queue *q = mmap(NULL, d.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
					   fd, (off_t)d.mmap_offset);
	cr_assert_neq(q, MAP_FAILED);
	cr_assert_eq(q->version, 1);

	/* served requests leave nothing marked, used_idx follows the ring */
	tvu_post_write_buf(&mem, 0, 32);
	tvu_post_write_buf(&mem, 1, 32);
	cr_assert_eq(start_ring(), 0);
	cr_assert(tvu_wait_readable(call, 2000));
	for (int i = 0; i < 100 && tvu_used_idx(&mem) < 2; i++)
		usleep(10000);
	cr_assert_eq(tvu_used_idx(&mem), 2);
	cr_assert_eq(q->used_idx, 2);
	cr_assert_eq(q->desc[0].inflight, 0);
	cr_assert_eq(q->desc[1].inflight, 0);
	cr_assert_eq(q->desc[1].counter, 1);
	munmap(q, d.mmap_size);
	close(fd);
}

Test(vu_inflight_vhost, not_negotiated_or_bad_geometry_is_refused, .init = setup, .fini = teardown)
{
	struct vu_inflight_payload d;
	int fd;

	negotiate(~(1ull << VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD));
	/* GET has a reply of its own: refusing it ends the session */
	cr_assert_lt(vu_frontend_get_inflight_fd(&fe, 1, TVU_QSIZE, &d, &fd), 0);
	cr_assert_eq(fd, -1);
}

Test(vu_inflight_vhost, bad_geometry_ends_the_session, .init = setup, .fini = teardown)
{
	struct vu_inflight_payload d;
	int fd;

	negotiate(ALL_PF);
	cr_assert_lt(vu_frontend_get_inflight_fd(&fe, 9, TVU_QSIZE, &d, &fd), 0);
	cr_assert_eq(fd, -1);
}

/* What a restarted backend gets: a region where heads 3 and 1 were taken
 * (in that order) and not finished, the used ring at 1 (head 0 done). */
static int crashed_region(struct vu_inflight_payload *d)
{
	struct vu_inflight_region r;

	cr_assert_eq(vu_inflight_alloc(&r, 2, TVU_QSIZE, 2), 0);
	struct vu_inflight_queue *q = vu_inflight_queue(&r, 0);
	vu_inflight_mark(q, 0, 0);
	vu_inflight_mark(q, 3, 1);
	vu_inflight_mark(q, 1, 2);
	vu_inflight_pre_push(q, 0);
	vu_inflight_post_push(q, 0, 1);
	*d = (struct vu_inflight_payload){ .mmap_size = r.mmap_size, .num_queues = 2,
					   .queue_size = TVU_QSIZE };
	int fd = dup(r.fd);
	vu_inflight_unmap(&r);
	return fd;
}

Test(vu_inflight_vhost, set_replays_inflight_requests_in_order_then_resumes, .init = setup,
     .fini = teardown)
{
	struct virtq_used *used = (void *)(mem.p + TVU_USED_OFF);
	struct vu_inflight_payload d;
	int fd = crashed_region(&d);

	/* the guest's ring as the old backend left it: 4 requests posted,
	 * head 0 completed */
	for (uint16_t i = 0; i < 4; i++)
		tvu_post_write_buf(&mem, i == 2 ? 3 : (i == 3 ? 2 : i), 32);
	used->ring[0] = (struct virtq_used_elem){ .id = 0, .len = 32 };
	used->idx = 1;
	negotiate(ALL_PF);
	cr_assert_eq(vu_frontend_set_inflight_fd(&fe, &d, fd), 0);
	cr_assert_eq(start_ring(), 0);
	for (int i = 0; i < 200 && tvu_used_idx(&mem) < 4; i++)
		usleep(10000);
	/* 3 and 1 replayed (by counter), then avail slot 3 (head 2), once each */
	cr_assert_eq(tvu_used_idx(&mem), 4);
	cr_assert_eq(used->ring[1].id, 3);
	cr_assert_eq(used->ring[2].id, 1);
	cr_assert_eq(used->ring[3].id, 2);
	cr_assert_eq(be.dev.served, 3);
	close(fd);
}

Test(vu_inflight_vhost, hostile_regions_are_refused, .init = setup, .fini = teardown)
{
	struct vu_inflight_payload d;
	int fd = crashed_region(&d);

	negotiate(ALL_PF);
	/* claims more than the fd holds */
	struct vu_inflight_payload big = d;
	big.queue_size = 1024;
	big.mmap_size = 2 * vu_inflight_queue_bytes(1024);
	cr_assert_eq(vu_frontend_set_inflight_fd(&fe, &big, fd), -EIO);
	/* misaligned offset */
	struct vu_inflight_payload mis = d;
	mis.mmap_offset = 64;
	cr_assert_eq(vu_frontend_set_inflight_fd(&fe, &mis, fd), -EIO);

	/* a head past the ring: accepted as a region, refused when the ring
	 * starts, and nothing is served from it */
	struct vu_inflight_queue *q = mmap(NULL, d.mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED,
					   fd, 0);
	cr_assert_neq(q, MAP_FAILED);
	q->desc[TVU_QSIZE - 1].inflight = 1;
	cr_assert_eq(vu_frontend_set_inflight_fd(&fe, &d, fd), 0);
	cr_assert_eq(vu_frontend_set_vring_num(&fe, 0, TVU_QSIZE / 2), 0);
	cr_assert_eq(vu_frontend_set_vring_addr(&fe, 0, TVU_UVA + TVU_DESC_OFF,
						TVU_UVA + TVU_AVAIL_OFF, TVU_UVA + TVU_USED_OFF), 0);
	cr_assert_eq(vu_frontend_set_vring_kick(&fe, 0, kick), -EIO);
	cr_assert_eq(be.dev.served, 0);
	munmap(q, d.mmap_size);
	close(fd);
}

/* A region smaller than the ring (QEMU's queue-size below the ring the
 * guest chose): the ring is served untracked, the region never touched. */
Test(vu_inflight_vhost, a_ring_larger_than_the_region_runs_untracked, .init = setup,
     .fini = teardown)
{
	struct vu_inflight_region r;

	cr_assert_eq(vu_inflight_alloc(&r, 2, TVU_QSIZE / 2, 2), 0);
	struct vu_inflight_payload d = { .mmap_size = r.mmap_size, .num_queues = 2,
					 .queue_size = TVU_QSIZE / 2 };
	struct vu_inflight_queue *q = vu_inflight_queue(&r, 0);
	vu_inflight_mark(q, 1, 0); /* would be replayed if it were followed */
	negotiate(ALL_PF);
	cr_assert_eq(vu_frontend_set_inflight_fd(&fe, &d, r.fd), 0);
	tvu_post_write_buf(&mem, 0, 32);
	cr_assert_eq(start_ring(), 0);
	for (int i = 0; i < 100 && tvu_used_idx(&mem) < 1; i++)
		usleep(10000);
	cr_assert_eq(tvu_used_idx(&mem), 1);
	cr_assert_eq(be.dev.served, 1, "the region's head was followed");
	cr_assert_eq(q->desc[0].inflight, 0);
	cr_assert_eq(q->desc[0].counter, 0);
	cr_assert_eq(q->used_idx, 0, "an untracked ring wrote into the region");
	vu_inflight_unmap(&r);
}

Test(vu_inflight_vhost, reply_with_a_bogus_region_is_refused_by_the_frontend)
{
	/* A fake backend answering GET_INFLIGHT_FD with a pipe instead of a
	 * shared memory file. */
	int sv[2], p[2], fd = 0;
	struct vu_inflight_payload d;
	struct vu_frontend f;
	struct vu_msg m;

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	vu_frontend_attach(&f, sv[0], 2000);
	vu_msg_init(&m, VHOST_USER_GET_INFLIGHT_FD, VHOST_USER_REPLY_MASK);
	m.hdr.size = VU_INFLIGHT_PAYLOAD_SIZE;
	m.payload.inflight = (struct vu_inflight_payload){ .mmap_size = 4096, .num_queues = 1,
							   .queue_size = 16 };
	m.fds[0] = p[0];
	m.nfds = 1;
	cr_assert_eq(vu_msg_send(sv[1], &m, 1000), 0);
	cr_assert_eq(vu_frontend_get_inflight_fd(&f, 1, 16, &d, &fd), -EBADMSG);
	cr_assert_eq(fd, -1);
	vu_frontend_close(&f);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
}

/* The description is 24 bytes on the wire (what QEMU, libvhost-user and
 * DPDK send); the 20 bytes of its fields alone are a malformed message. */
Test(vu_inflight_vhost, a_short_description_is_malformed, .init = setup, .fini = teardown)
{
	struct vu_msg m;

	negotiate(ALL_PF);
	vu_msg_init(&m, VHOST_USER_SET_INFLIGHT_FD, VHOST_USER_NEED_REPLY_MASK);
	m.hdr.size = 20;
	int fd = memfd_create("t", MFD_CLOEXEC);
	m.fds[0] = fd;
	m.nfds = 1;
	cr_assert_eq(vu_msg_send(be.sv[0], &m, 1000), 0);
	struct vu_msg r;
	cr_assert_eq(vu_msg_recv(be.sv[0], &r, 2000), 0);
	cr_assert_neq(r.payload.u64, 0, "a 20-byte SET_INFLIGHT_FD was accepted");
	close(fd);
	cr_assert_eq(vu_msg_check_request(&(struct vu_msg){
			     .hdr = { VHOST_USER_GET_INFLIGHT_FD, VHOST_USER_VERSION, 24 } }), 0);
}
