/* The vhost-user backend against a scripted (and often hostile) frontend:
 * the test writes raw messages into a socketpair and reads the replies. A
 * rejected request gets a non-zero REPLY_ACK when need_reply is set, and
 * otherwise ends the session; nothing crashes and no fd leaks. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "test_vu_util.h"
#include "vu_backend_internal.h"
#include "vu_msg.h"

static struct tvu_backend be;
static struct tvu_mem mem;
static int fds_before;

static void setup(void)
{
	fds_before = tvu_count_fds();
	tvu_mem_init(&mem);
	tvu_backend_start(&be, NULL);
}

static void teardown(void)
{
	tvu_backend_stop(&be);
	tvu_mem_fini(&mem);
	cr_assert_eq(tvu_count_fds(), fds_before, "file descriptors leaked");
}

static int fe(void)
{
	return be.sv[0];
}

static void send_msg(struct vu_msg *m)
{
	cr_assert_eq(vu_msg_send(fe(), m, 1000), 0);
}

static struct vu_msg recv_reply(uint32_t request)
{
	struct vu_msg r;

	cr_assert_eq(vu_msg_recv(fe(), &r, 2000), 0, "no reply to %s", vu_msg_name(request));
	cr_assert_eq(vu_msg_check_reply(&r, request), 0);
	return r;
}

static uint64_t get_u64(uint32_t request)
{
	struct vu_msg m;

	vu_msg_init(&m, request, 0);
	send_msg(&m);
	return recv_reply(request).payload.u64;
}

/* Sends m with need_reply and returns the REPLY_ACK value. */
static uint64_t acked(struct vu_msg *m)
{
	uint32_t request = m->hdr.request;

	m->hdr.flags |= VHOST_USER_NEED_REPLY_MASK;
	send_msg(m);
	return recv_reply(request).payload.u64;
}

static void msg_u64(struct vu_msg *m, uint32_t request, uint64_t v)
{
	vu_msg_init(m, request, 0);
	m->hdr.size = 8;
	m->payload.u64 = v;
}

static void msg_state(struct vu_msg *m, uint32_t request, uint32_t idx, uint32_t num)
{
	vu_msg_init(m, request, 0);
	m->hdr.size = sizeof(struct vu_vring_state);
	m->payload.state.index = idx;
	m->payload.state.num = num;
}

static void msg_addr(struct vu_msg *m, uint32_t idx, uint64_t desc, uint64_t avail, uint64_t used)
{
	vu_msg_init(m, VHOST_USER_SET_VRING_ADDR, 0);
	m->hdr.size = sizeof(struct vu_vring_addr);
	memset(&m->payload.addr, 0, sizeof(m->payload.addr));
	m->payload.addr.index = idx;
	m->payload.addr.desc_uaddr = desc;
	m->payload.addr.avail_uaddr = avail;
	m->payload.addr.used_uaddr = used;
}

static void msg_mem(struct vu_msg *m, unsigned int n, const struct vu_mem_region *r, int fd)
{
	vu_msg_init(m, VHOST_USER_SET_MEM_TABLE, 0);
	memset(&m->payload.mem, 0, sizeof(m->payload.mem));
	m->payload.mem.nregions = n;
	for (unsigned int i = 0; i < n; i++) {
		m->payload.mem.regions[i] = r[i];
		m->fds[i] = fd;
	}
	m->nfds = n;
	m->hdr.size = 8 + 32 * n;
}

static const struct vu_mem_region whole = {
	.gpa = TVU_GPA, .size = TVU_MEM_SIZE, .user_addr = TVU_UVA, .mmap_offset = 0,
};

/* The usual negotiation plus a memory table. */
static void negotiate(void)
{
	struct vu_msg m;

	cr_assert(get_u64(VHOST_USER_GET_FEATURES) & (1ull << VHOST_USER_F_PROTOCOL_FEATURES));
	uint64_t pf = get_u64(VHOST_USER_GET_PROTOCOL_FEATURES);
	cr_assert(pf & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK));
	msg_u64(&m, VHOST_USER_SET_PROTOCOL_FEATURES, pf);
	send_msg(&m);
	vu_msg_init(&m, VHOST_USER_SET_OWNER, 0);
	cr_assert_eq(acked(&m), 0);
	msg_u64(&m, VHOST_USER_SET_FEATURES, (1ull << VIRTIO_F_VERSION_1) |
		(1ull << VIRTIO_RING_F_EVENT_IDX) | (1ull << VHOST_USER_F_PROTOCOL_FEATURES));
	cr_assert_eq(acked(&m), 0);
	msg_mem(&m, 1, &whole, mem.fd);
	cr_assert_eq(acked(&m), 0);
}

/* Ring 0 set up and started with kick/call eventfds. */
static void start_ring(int kick, int call)
{
	struct vu_msg m;

	msg_state(&m, VHOST_USER_SET_VRING_NUM, 0, TVU_QSIZE);
	cr_assert_eq(acked(&m), 0);
	msg_state(&m, VHOST_USER_SET_VRING_BASE, 0, 0);
	cr_assert_eq(acked(&m), 0);
	msg_addr(&m, 0, TVU_UVA + TVU_DESC_OFF, TVU_UVA + TVU_AVAIL_OFF, TVU_UVA + TVU_USED_OFF);
	cr_assert_eq(acked(&m), 0);
	msg_u64(&m, VHOST_USER_SET_VRING_CALL, 0);
	m.fds[0] = call;
	m.nfds = 1;
	cr_assert_eq(acked(&m), 0);
	msg_u64(&m, VHOST_USER_SET_VRING_KICK, 0);
	m.fds[0] = kick;
	m.nfds = 1;
	cr_assert_eq(acked(&m), 0);
	msg_state(&m, VHOST_USER_SET_VRING_ENABLE, 0, 1);
	cr_assert_eq(acked(&m), 0);
}

/* The session is over: the backend returned an error, without replying. */
static void expect_disconnect(void)
{
	struct vu_msg r;

	cr_assert_lt(tvu_backend_join(&be), 0);
	/* the socket is the caller's to close: do what a device program does */
	close(be.sv[1]);
	be.sv[1] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	cr_assert_eq(vu_msg_recv(fe(), &r, 2000), -ECONNRESET, "backend replied before dropping");
}

/* The session survives a rejected request. */
static void expect_alive(void)
{
	cr_assert_neq(get_u64(VHOST_USER_GET_QUEUE_NUM), 0);
}

Test(vu_backend, happy_path_serves_a_ring, .init = setup, .fini = teardown)
{
	int kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t v;
	struct vu_msg m;

	negotiate();
	cr_assert_eq(get_u64(VHOST_USER_GET_QUEUE_NUM), 2);
	/* one request already waiting when the ring starts */
	tvu_post_write_buf(&mem, 0, 32);
	start_ring(kick, call);
	cr_assert(tvu_wait_readable(call, 2000), "no interrupt for the first request");
	cr_assert_eq(read(call, &v, 8), 8);
	cr_assert_eq(tvu_used_idx(&mem), 1);
	cr_assert_eq(mem.p[TVU_BUF_OFF], 0xab);

	/* a kicked request */
	tvu_post_write_buf(&mem, 1, 64);
	v = 1;
	cr_assert_eq(write(kick, &v, 8), 8);
	cr_assert(tvu_wait_readable(call, 2000), "no interrupt after a kick");
	cr_assert_eq(tvu_used_idx(&mem), 2);
	struct virtq_used *used = (void *)(mem.p + TVU_USED_OFF);
	cr_assert_eq(used->ring[1].id, 1);
	cr_assert_eq(used->ring[1].len, 64);

	/* GET_VRING_BASE stops the ring and reports where it stopped */
	msg_state(&m, VHOST_USER_GET_VRING_BASE, 0, 0);
	send_msg(&m);
	struct vu_msg r = recv_reply(VHOST_USER_GET_VRING_BASE);
	cr_assert_eq(r.payload.state.index, 0);
	cr_assert_eq(r.payload.state.num, 2);
	cr_assert_eq(be.dev.stop_calls, 1);

	/* closing the connection ends the session cleanly */
	shutdown(fe(), SHUT_WR);
	cr_assert_eq(tvu_backend_join(&be), 0);
	close(kick);
	close(call);
}

Test(vu_backend, stop_fd_ends_session_cleanly, .init = setup, .fini = teardown)
{
	negotiate();
	cr_assert_eq(tvu_backend_stop(&be), 0);
}

Test(vu_backend, mem_table_can_be_replaced_while_running, .init = setup, .fini = teardown)
{
	int kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct vu_msg m;
	uint64_t v = 1;

	negotiate();
	start_ring(kick, call);
	/* same RAM, now described as two regions */
	struct vu_mem_region two[2] = {
		{ .gpa = TVU_GPA, .size = 0x8000, .user_addr = TVU_UVA, .mmap_offset = 0 },
		{ .gpa = TVU_GPA + 0x8000, .size = TVU_MEM_SIZE - 0x8000,
		  .user_addr = TVU_UVA + 0x8000, .mmap_offset = 0x8000 },
	};
	msg_mem(&m, 2, two, mem.fd);
	cr_assert_eq(acked(&m), 0);
	cr_assert_eq(be.dev.stop_calls, 1, "in-flight work must be finished before unmapping");
	tvu_post_write_buf(&mem, 0, 16);
	cr_assert_eq(write(kick, &v, 8), 8);
	cr_assert(tvu_wait_readable(call, 2000));
	cr_assert_eq(tvu_used_idx(&mem), 1);
	/* a table that no longer covers the rings stops the ring */
	struct vu_mem_region elsewhere = whole;
	elsewhere.user_addr = TVU_UVA + (1ull << 32);
	msg_mem(&m, 1, &elsewhere, mem.fd);
	cr_assert_eq(acked(&m), 0);
	tvu_post_write_buf(&mem, 1, 16);
	cr_assert_eq(write(kick, &v, 8), 8);
	expect_alive();
	cr_assert_eq(tvu_used_idx(&mem), 1);
	close(kick);
	close(call);
}

Test(vu_backend, malformed_ring_marks_broken_and_signals_err, .init = setup, .fini = teardown)
{
	int kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int err = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct vu_msg m;
	uint64_t v = 1;

	negotiate();
	msg_u64(&m, VHOST_USER_SET_VRING_ERR, 0);
	m.fds[0] = err;
	m.nfds = 1;
	cr_assert_eq(acked(&m), 0);
	start_ring(kick, call);
	struct virtq_avail *avail = (void *)(mem.p + TVU_AVAIL_OFF);
	avail->ring[0] = TVU_QSIZE + 3;   /* head out of range */
	avail->idx = 1;
	cr_assert_eq(write(kick, &v, 8), 8);
	cr_assert(tvu_wait_readable(err, 2000), "error fd not signalled");
	expect_alive();
	close(kick);
	close(call);
	close(err);
}

Test(vu_backend, get_config, .init = setup, .fini = teardown)
{
	struct vu_msg m;

	memcpy(be.dev.config, "0123456789abcdef", 16);
	negotiate();
	vu_msg_init(&m, VHOST_USER_GET_CONFIG, 0);
	memset(&m.payload.config, 0, sizeof(m.payload.config));
	m.payload.config.offset = 4;
	m.payload.config.size = 6;
	m.hdr.size = 12 + 6;
	send_msg(&m);
	struct vu_msg r = recv_reply(VHOST_USER_GET_CONFIG);
	cr_assert_eq(r.hdr.size, 18);
	cr_assert_eq(memcmp(r.payload.config.data, "456789", 6), 0);
	/* out of range: the empty payload that means failure */
	m.payload.config.offset = 12;
	send_msg(&m);
	r = recv_reply(VHOST_USER_GET_CONFIG);
	cr_assert_eq(r.hdr.size, 0);
	/* no set_config in this device */
	m.hdr.request = VHOST_USER_SET_CONFIG;
	m.payload.config.offset = 0;
	cr_assert_neq(acked(&m), 0);
	expect_alive();
}

Test(vu_backend, reset_device_returns_to_initial_state, .init = setup, .fini = teardown)
{
	int kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct vu_msg m;

	negotiate();
	start_ring(kick, call);
	vu_msg_init(&m, VHOST_USER_RESET_DEVICE, 0);
	cr_assert_eq(acked(&m), 0);
	/* the memory table is gone: ring addresses are refused again */
	msg_state(&m, VHOST_USER_SET_VRING_NUM, 0, TVU_QSIZE);
	cr_assert_eq(acked(&m), 0);
	msg_addr(&m, 0, TVU_UVA + TVU_DESC_OFF, TVU_UVA + TVU_AVAIL_OFF, TVU_UVA + TVU_USED_OFF);
	cr_assert_neq(acked(&m), 0);
	close(kick);
	close(call);
}

/* ---- rejections: each with need_reply (error ack, session goes on) and
 * without (session dropped) ---- */

typedef void (*build_fn)(struct vu_msg *m);

static void rejected_both_ways(build_fn build, bool with_mem)
{
	struct vu_msg m;

	negotiate();
	if (!with_mem) {
		/* RESET_DEVICE drops the memory table negotiate() set */
		vu_msg_init(&m, VHOST_USER_RESET_DEVICE, 0);
		cr_assert_eq(acked(&m), 0);
	}
	build(&m);
	cr_assert_neq(acked(&m), 0, "%s accepted", vu_msg_name(m.hdr.request));
	expect_alive();
	build(&m);
	send_msg(&m);
	expect_disconnect();
}

static void b_set_features_short(struct vu_msg *m)
{
	msg_u64(m, VHOST_USER_SET_FEATURES, 0);
	m->hdr.size = 4;
}

static void b_set_owner_with_fd(struct vu_msg *m)
{
	vu_msg_init(m, VHOST_USER_SET_OWNER, 0);
	m->fds[0] = mem.fd;
	m->nfds = 1;
}

static void b_call_two_fds(struct vu_msg *m)
{
	msg_u64(m, VHOST_USER_SET_VRING_CALL, 0);
	m->fds[0] = mem.fd;
	m->fds[1] = mem.fd;
	m->nfds = 2;
}

static void b_kick_no_fd(struct vu_msg *m)
{
	msg_u64(m, VHOST_USER_SET_VRING_KICK, 0);
}

static void b_kick_nofd_flag(struct vu_msg *m)
{
	msg_u64(m, VHOST_USER_SET_VRING_KICK, VHOST_USER_VRING_NOFD_MASK);
}

static void b_call_junk_bits(struct vu_msg *m)
{
	msg_u64(m, VHOST_USER_SET_VRING_CALL, VHOST_USER_VRING_NOFD_MASK | (1ull << 40));
}

static void b_call_bad_index(struct vu_msg *m)
{
	msg_u64(m, VHOST_USER_SET_VRING_CALL, 5 | VHOST_USER_VRING_NOFD_MASK);
}

static void b_unknown(struct vu_msg *m)
{
	vu_msg_init(m, 99, 0);
}

static void b_zero_request(struct vu_msg *m)
{
	vu_msg_init(m, 0, 0);
}

static void b_unimplemented(struct vu_msg *m)
{
	msg_u64(m, VHOST_USER_SET_LOG_BASE, 0);
}

static void b_features_not_offered(struct vu_msg *m)
{
	msg_u64(m, VHOST_USER_SET_FEATURES, 1ull << 63);
}

static void b_protocol_features_not_offered(struct vu_msg *m)
{
	msg_u64(m, VHOST_USER_SET_PROTOCOL_FEATURES, 1ull << 1);
}

static void b_mem_zero_regions(struct vu_msg *m)
{
	msg_mem(m, 0, NULL, -1);
}

static void b_mem_overlap_gpa(struct vu_msg *m)
{
	struct vu_mem_region r[2] = {
		{ .gpa = 0, .size = 0x10000, .user_addr = TVU_UVA, .mmap_offset = 0 },
		{ .gpa = 0x8000, .size = 0x10000, .user_addr = TVU_UVA + 0x100000, .mmap_offset = 0 },
	};
	msg_mem(m, 2, r, mem.fd);
}

static void b_mem_overlap_uva(struct vu_msg *m)
{
	struct vu_mem_region r[2] = {
		{ .gpa = 0, .size = 0x10000, .user_addr = TVU_UVA, .mmap_offset = 0 },
		{ .gpa = 0x100000, .size = 0x10000, .user_addr = TVU_UVA + 0xf000, .mmap_offset = 0 },
	};
	msg_mem(m, 2, r, mem.fd);
}

static void b_mem_size_zero(struct vu_msg *m)
{
	struct vu_mem_region r = whole;
	r.size = 0;
	msg_mem(m, 1, &r, mem.fd);
}

static void b_mem_overflow(struct vu_msg *m)
{
	struct vu_mem_region r = whole;
	r.gpa = UINT64_MAX - 0xfff;
	msg_mem(m, 1, &r, mem.fd);
}

static void b_mem_beyond_file(struct vu_msg *m)
{
	struct vu_mem_region r = whole;
	r.mmap_offset = 0x1000;   /* offset + size passes the end of the memfd */
	msg_mem(m, 1, &r, mem.fd);
}

static void b_mem_not_a_file(struct vu_msg *m)
{
	msg_mem(m, 1, &whole, be.stop_fd);   /* an eventfd cannot be mapped */
}

static int ro_fd = -1;

static void b_mem_mmap_fails(struct vu_msg *m)
{
	char path[64];

	/* the same memfd opened read-only: MAP_SHARED|PROT_WRITE is refused */
	if (ro_fd >= 0)
		close(ro_fd);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mem.fd);
	ro_fd = open(path, O_RDONLY | O_CLOEXEC);
	cr_assert_geq(ro_fd, 0);
	msg_mem(m, 1, &whole, ro_fd);
}

static void b_mem_nine_regions(struct vu_msg *m)
{
	msg_mem(m, 8, (struct vu_mem_region[8]){ whole }, mem.fd);
	m->payload.mem.nregions = 9;
}

static void b_num_not_pow2(struct vu_msg *m)
{
	msg_state(m, VHOST_USER_SET_VRING_NUM, 0, 24);
}

static void b_num_too_big(struct vu_msg *m)
{
	msg_state(m, VHOST_USER_SET_VRING_NUM, 0, 65536);
}

static void b_num_zero(struct vu_msg *m)
{
	msg_state(m, VHOST_USER_SET_VRING_NUM, 0, 0);
}

static void b_num_bad_index(struct vu_msg *m)
{
	msg_state(m, VHOST_USER_SET_VRING_NUM, 2, 16);
}

static void b_base_too_big(struct vu_msg *m)
{
	msg_state(m, VHOST_USER_SET_VRING_BASE, 0, 0x10000);
}

static void b_enable_bad_value(struct vu_msg *m)
{
	msg_state(m, VHOST_USER_SET_VRING_ENABLE, 0, 2);
}

static void b_enable_bad_index(struct vu_msg *m)
{
	msg_state(m, VHOST_USER_SET_VRING_ENABLE, 7, 1);
}

/* SET_VRING_NUM is accepted first so only the address is wrong. */
static void set_num_first(void)
{
	struct vu_msg n;

	msg_state(&n, VHOST_USER_SET_VRING_NUM, 0, TVU_QSIZE);
	cr_assert_eq(acked(&n), 0);
}

static void b_addr_outside(struct vu_msg *m)
{
	set_num_first();
	msg_addr(m, 0, TVU_UVA + TVU_MEM_SIZE, TVU_UVA + TVU_AVAIL_OFF, TVU_UVA + TVU_USED_OFF);
}

static void b_addr_straddles_end(struct vu_msg *m)
{
	set_num_first();
	msg_addr(m, 0, TVU_UVA, TVU_UVA + TVU_AVAIL_OFF, TVU_UVA + TVU_MEM_SIZE - 8);
}

static void b_addr_unaligned(struct vu_msg *m)
{
	set_num_first();
	msg_addr(m, 0, TVU_UVA + 8, TVU_UVA + TVU_AVAIL_OFF, TVU_UVA + TVU_USED_OFF);
}

static void b_addr_log_flag(struct vu_msg *m)
{
	set_num_first();
	msg_addr(m, 0, TVU_UVA, TVU_UVA + TVU_AVAIL_OFF, TVU_UVA + TVU_USED_OFF);
	m->payload.addr.flags = 1u << VHOST_VRING_F_LOG;
}

static void b_addr_bad_index(struct vu_msg *m)
{
	msg_addr(m, 2, TVU_UVA, TVU_UVA + TVU_AVAIL_OFF, TVU_UVA + TVU_USED_OFF);
}

static void b_addr_before_num(struct vu_msg *m)
{
	msg_addr(m, 1, TVU_UVA, TVU_UVA + TVU_AVAIL_OFF, TVU_UVA + TVU_USED_OFF);
}

static void b_addr_before_mem(struct vu_msg *m)
{
	set_num_first();
	msg_addr(m, 0, TVU_UVA, TVU_UVA + TVU_AVAIL_OFF, TVU_UVA + TVU_USED_OFF);
}

static void b_kick_before_addr(struct vu_msg *m)
{
	msg_u64(m, VHOST_USER_SET_VRING_KICK, 0);
	m->fds[0] = be.stop_fd;
	m->nfds = 1;
}

#define REJECT(name, builder, mem_set) \
	Test(vu_backend, rejects_##name, .init = setup, .fini = teardown) \
	{ \
		rejected_both_ways(builder, mem_set); \
	}

REJECT(wrong_payload_size, b_set_features_short, true)
REJECT(fd_on_message_without_fds, b_set_owner_with_fd, true)
REJECT(too_many_fds, b_call_two_fds, true)
REJECT(too_few_fds, b_kick_no_fd, true)
REJECT(polling_mode_kick, b_kick_nofd_flag, true)
REJECT(junk_bits_in_vring_u64, b_call_junk_bits, true)
REJECT(vring_fd_index_out_of_range, b_call_bad_index, true)
REJECT(unknown_request, b_unknown, true)
REJECT(request_zero, b_zero_request, true)
REJECT(unimplemented_request, b_unimplemented, true)
REJECT(features_not_offered, b_features_not_offered, true)
REJECT(protocol_features_not_offered, b_protocol_features_not_offered, true)
REJECT(mem_table_zero_regions, b_mem_zero_regions, true)
REJECT(mem_table_overlapping_gpa, b_mem_overlap_gpa, true)
REJECT(mem_table_overlapping_uva, b_mem_overlap_uva, true)
REJECT(mem_table_region_size_zero, b_mem_size_zero, true)
REJECT(mem_table_region_overflow, b_mem_overflow, true)
REJECT(mem_table_region_beyond_file, b_mem_beyond_file, true)
REJECT(mem_table_fd_not_a_file, b_mem_not_a_file, true)
REJECT(mem_table_nregions_over_max, b_mem_nine_regions, true)
REJECT(vring_num_not_power_of_2, b_num_not_pow2, true)
REJECT(vring_num_too_big, b_num_too_big, true)
REJECT(vring_num_zero, b_num_zero, true)
REJECT(vring_num_index_out_of_range, b_num_bad_index, true)
REJECT(vring_base_too_big, b_base_too_big, true)
REJECT(vring_enable_bad_value, b_enable_bad_value, true)
REJECT(vring_enable_index_out_of_range, b_enable_bad_index, true)
REJECT(vring_addr_outside_table, b_addr_outside, true)
REJECT(vring_addr_straddling_table_end, b_addr_straddles_end, true)
REJECT(vring_addr_unaligned, b_addr_unaligned, true)
REJECT(vring_addr_log_flag, b_addr_log_flag, true)
REJECT(vring_addr_index_out_of_range, b_addr_bad_index, true)
REJECT(vring_addr_before_vring_num, b_addr_before_num, true)
REJECT(vring_addr_before_mem_table, b_addr_before_mem, false)
REJECT(vring_kick_before_addr, b_kick_before_addr, true)

Test(vu_backend, rejects_mem_table_mmap_failure, .init = setup, .fini = teardown)
{
	rejected_both_ways(b_mem_mmap_fails, true);
	close(ro_fd);
	ro_fd = -1;
}

Test(vu_backend, get_vring_base_bad_index_drops_session, .init = setup, .fini = teardown)
{
	struct vu_msg m;

	negotiate();
	msg_state(&m, VHOST_USER_GET_VRING_BASE, 9, 0);
	send_msg(&m);
	expect_disconnect();
}

Test(vu_backend, unimplemented_request_with_reply_drops_session, .init = setup, .fini = teardown)
{
	struct vu_msg m;

	negotiate();
	vu_msg_init(&m, VHOST_USER_GET_MAX_MEM_SLOTS, VHOST_USER_NEED_REPLY_MASK);
	send_msg(&m);
	expect_disconnect();
}

Test(vu_backend, oversized_message_drops_session, .init = setup, .fini = teardown)
{
	struct vu_msg_hdr h = { .request = VHOST_USER_SET_MEM_TABLE, .flags = VHOST_USER_VERSION,
				.size = 4096 };

	cr_assert_eq(write(fe(), &h, sizeof(h)), (ssize_t)sizeof(h));
	expect_disconnect();
}

Test(vu_backend, bad_version_drops_session, .init = setup, .fini = teardown)
{
	struct vu_msg_hdr h = { .request = VHOST_USER_GET_FEATURES, .flags = 2, .size = 0 };

	cr_assert_eq(write(fe(), &h, sizeof(h)), (ssize_t)sizeof(h));
	expect_disconnect();
}

Test(vu_backend, stalled_message_drops_session, .init = setup, .fini = teardown)
{
	struct vu_msg_hdr h = { .request = VHOST_USER_SET_FEATURES, .flags = VHOST_USER_VERSION,
				.size = 8 };

	cr_assert_eq(write(fe(), &h, sizeof(h)), (ssize_t)sizeof(h));
	/* the payload never comes: the backend gives up after its timeout */
	cr_assert_lt(tvu_backend_join(&be), 0);
}

Test(vu_backend, kick_fd_that_hangs_up_is_dropped, .init = setup, .fini = teardown)
{
	int p[2];
	int call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	cr_assert_eq(pipe2(p, O_CLOEXEC), 0);
	negotiate();
	start_ring(p[0], call);
	/* the writer goes away: the read end is readable forever (EOF) */
	close(p[1]);
	usleep(50000);
	expect_alive();
	/* the ring stopped the usual way: the device drained it, since its
	 * requests would otherwise outlive the next unmap */
	cr_assert_eq(be.dev.stop_calls, 1);
	close(p[0]);
	close(call);
}

Test(vu_backend, rings_start_enabled_without_protocol_features, .init = setup, .fini = teardown)
{
	int kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct vu_msg m;

	/* a frontend that knows nothing of protocol features (no REPLY_ACK:
	 * GET_QUEUE_NUM round trips keep the steps in order) */
	msg_u64(&m, VHOST_USER_SET_FEATURES, 1ull << VIRTIO_F_VERSION_1);
	send_msg(&m);
	msg_mem(&m, 1, &whole, mem.fd);
	send_msg(&m);
	msg_state(&m, VHOST_USER_SET_VRING_NUM, 0, TVU_QSIZE);
	send_msg(&m);
	msg_addr(&m, 0, TVU_UVA + TVU_DESC_OFF, TVU_UVA + TVU_AVAIL_OFF, TVU_UVA + TVU_USED_OFF);
	send_msg(&m);
	msg_u64(&m, VHOST_USER_SET_VRING_CALL, 0);
	m.fds[0] = call;
	m.nfds = 1;
	send_msg(&m);
	tvu_post_write_buf(&mem, 0, 8);
	msg_u64(&m, VHOST_USER_SET_VRING_KICK, 0);
	m.fds[0] = kick;
	m.nfds = 1;
	send_msg(&m);
	cr_assert(tvu_wait_readable(call, 2000), "ring did not start enabled");
	cr_assert_eq(tvu_used_idx(&mem), 1);
	close(kick);
	close(call);
}

Test(vu_backend, serve_rejects_bad_ops)
{
	struct vu_device_ops ops = tvu_ops;
	int sv[2];

	/* a socket of our own: fd 0 is not ours to hand out */
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ops.num_queues = 0;
	cr_assert_eq(vu_backend_serve(sv[1], -1, &ops, NULL), -EINVAL);
	ops.num_queues = VU_MAX_QUEUES + 1;
	cr_assert_eq(vu_backend_serve(sv[1], -1, &ops, NULL), -EINVAL);
	ops.num_queues = 1;
	ops.queue_ready = NULL;
	cr_assert_eq(vu_backend_serve(sv[1], -1, &ops, NULL), -EINVAL);
	close(sv[0]);
	close(sv[1]);
}

/* ---- the memory table mapping itself ---- */

static void nop_ready(void *d, struct vu_backend *b, unsigned int q)
{
	(void)d;
	(void)b;
	(void)q;
}

static const struct vu_device_ops nop_ops = { .name = "nop", .num_queues = 1, .queue_ready = nop_ready };

Test(vu_backend_mem, unaligned_mmap_offset_and_replacement)
{
	struct vu_backend b;
	struct tvu_mem m;
	int before = tvu_count_fds();

	tvu_mem_init(&m);
	memset(&b, 0, sizeof(b));
	b.ops = &nop_ops;
	b.epoll_fd = -1;
	/* as vu_backend_serve leaves them: no ring fd is 0 (stdin) */
	for (unsigned int i = 0; i < VU_MAX_QUEUES; i++)
		b.vrings[i].kick_fd = b.vrings[i].call_fd = b.vrings[i].err_fd = -1;
	/* region 1 starts 0x123 bytes into a page of the file */
	struct vu_mem_table t = { .nregions = 2 };
	t.regions[0] = (struct vu_mem_region){ .gpa = 0, .size = 0x1000, .user_addr = 0x10000,
					       .mmap_offset = 0 };
	t.regions[1] = (struct vu_mem_region){ .gpa = 0x100000, .size = 0x2000, .user_addr = 0x20000,
					       .mmap_offset = 0x3123 };
	int fds[2] = { m.fd, m.fd };
	m.p[0x3123] = 0x5a;
	m.p[0x3123 + 0x1fff] = 0xa5;
	cr_assert_eq(vu_backend_set_mem_table(&b, &t, fds, 2), 0);
	cr_assert_eq(b.map.nr, 2);
	uint8_t *p = guest_map_translate(&b.map, 0x100000, 0x2000);
	cr_assert_not_null(p);
	cr_assert_eq(p[0], 0x5a);
	cr_assert_eq(p[0x1fff], 0xa5);
	cr_assert_eq(guest_map_translate_uva(&b.map, 0x20000, 1), p);
	cr_assert_null(guest_map_translate(&b.map, 0x100000, 0x2001));
	cr_assert_null(guest_map_translate(&b.map, 0x1000, 1));
	/* the mapping is shared: our writes reach the frontend's memory */
	p[1] = 0x77;
	cr_assert_eq(m.p[0x3124], 0x77);

	/* a bad replacement leaves the current table in place */
	t.regions[1].gpa = 0x800;
	cr_assert_eq(vu_backend_set_mem_table(&b, &t, fds, 2), -EINVAL);
	cr_assert_eq(guest_map_translate(&b.map, 0x100000, 1), p);
	/* a good one replaces it */
	t.nregions = 1;
	cr_assert_eq(vu_backend_set_mem_table(&b, &t, fds, 1), 0);
	cr_assert_eq(b.map.nr, 1);
	cr_assert_null(guest_map_translate(&b.map, 0x100000, 1));
	vu_backend_unmap(&b.map);
	cr_assert_eq(b.map.nr, 0);
	tvu_mem_fini(&m);
	cr_assert_eq(tvu_count_fds(), before);
}
