/* vhost-user framing and the message table, over a socketpair. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "test_vu_util.h"
#include "vu_msg.h"

static int sv[2];
static int fds_before;

static void setup(void)
{
	fds_before = tvu_count_fds();
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void teardown(void)
{
	close(sv[0]);
	close(sv[1]);
	cr_assert_eq(tvu_count_fds(), fds_before, "file descriptors leaked");
}

/* Sends raw bytes with n fds attached, bypassing vu_msg_send's checks. */
static void raw_send(int s, const void *buf, size_t len, const int *fds, unsigned int n)
{
	char ctl[CMSG_SPACE(sizeof(int) * 16)];
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	if (n) {
		memset(ctl, 0, sizeof(ctl));
		mh.msg_control = ctl;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * n);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	}
	cr_assert_eq(sendmsg(s, &mh, 0), (ssize_t)len);
}

static void raw_hdr(int s, uint32_t req, uint32_t flags, uint32_t size, const int *fds, unsigned n)
{
	struct vu_msg_hdr h = { .request = req, .flags = flags, .size = size };

	raw_send(s, &h, sizeof(h), fds, n);
}

Test(vu_msg, table_knows_the_spec_ids)
{
	cr_assert_str_eq(vu_msg_name(VHOST_USER_GET_FEATURES), "GET_FEATURES");
	cr_assert_str_eq(vu_msg_name(VHOST_USER_RESET_DEVICE), "RESET_DEVICE");
	cr_assert_str_eq(vu_msg_name(VHOST_USER_GET_STATUS), "GET_STATUS");
	cr_assert_str_eq(vu_msg_name(0), "UNKNOWN");
	cr_assert_str_eq(vu_msg_name(1000), "UNKNOWN");
	cr_assert(vu_msg_info(VHOST_USER_GET_VRING_BASE)->has_reply);
	cr_assert_not(vu_msg_info(VHOST_USER_SET_VRING_BASE)->has_reply);
	cr_assert_eq(vu_msg_info(VHOST_USER_SET_MEM_TABLE)->fds, VU_FDS_REGIONS);
	cr_assert_eq(vu_msg_info(VHOST_USER_SET_VRING_CALL)->fds, VU_FDS_VRING);
	cr_assert_not(vu_msg_info(VHOST_USER_SET_LOG_BASE)->implemented);
	/* the largest payload is a full config access */
	cr_assert_eq(VU_MSG_MAX_PAYLOAD, 268);
	cr_assert_eq(sizeof(struct vu_vring_addr), 40);
	cr_assert_eq(sizeof(struct vu_mem_region), 32);
}

Test(vu_msg, roundtrip_with_fds, .init = setup, .fini = teardown)
{
	struct vu_msg m, r;
	int efd = eventfd(0, EFD_CLOEXEC);

	vu_msg_init(&m, VHOST_USER_SET_VRING_KICK, 0);
	m.hdr.size = 8;
	m.payload.u64 = 1;
	m.fds[0] = efd;
	m.nfds = 1;
	cr_assert_eq(vu_msg_send(sv[0], &m, 1000), 0);
	cr_assert_eq(vu_msg_recv(sv[1], &r, 1000), 0);
	cr_assert_eq(r.hdr.request, VHOST_USER_SET_VRING_KICK);
	cr_assert_eq(r.hdr.flags, VHOST_USER_VERSION);
	cr_assert_eq(r.payload.u64, 1);
	cr_assert_eq(r.nfds, 1);
	cr_assert_neq(r.fds[0], efd);
	cr_assert(fcntl(r.fds[0], F_GETFD) & FD_CLOEXEC, "received fds must be close-on-exec");
	cr_assert_eq(vu_msg_check_request(&r), 0);
	vu_msg_close_fds(&r);
	close(efd);
}

Test(vu_msg, peer_closed_before_header, .init = setup, .fini = teardown)
{
	struct vu_msg r;

	shutdown(sv[0], SHUT_WR);
	cr_assert_eq(vu_msg_recv(sv[1], &r, 1000), -ECONNRESET);
}

Test(vu_msg, peer_closed_mid_header_or_payload, .init = setup, .fini = teardown)
{
	struct vu_msg r;
	uint32_t half = VHOST_USER_GET_FEATURES;

	raw_send(sv[0], &half, sizeof(half), NULL, 0);
	shutdown(sv[0], SHUT_WR);
	cr_assert_eq(vu_msg_recv(sv[1], &r, 1000), -EIO);
}

Test(vu_msg, truncated_payload_closes_its_fds, .init = setup, .fini = teardown)
{
	struct vu_msg r;
	int efd = eventfd(0, EFD_CLOEXEC);

	raw_hdr(sv[0], VHOST_USER_SET_VRING_CALL, VHOST_USER_VERSION, 8, &efd, 1);
	shutdown(sv[0], SHUT_WR);
	cr_assert_eq(vu_msg_recv(sv[1], &r, 1000), -EIO);
	cr_assert_eq(r.nfds, 0);
	close(efd);
}

Test(vu_msg, stalled_payload_times_out, .init = setup, .fini = teardown)
{
	struct vu_msg r;

	raw_hdr(sv[0], VHOST_USER_SET_FEATURES, VHOST_USER_VERSION, 8, NULL, 0);
	cr_assert_eq(vu_msg_recv(sv[1], &r, 100), -ETIMEDOUT);
}

Test(vu_msg, oversized_payload_rejected, .init = setup, .fini = teardown)
{
	struct vu_msg r;

	raw_hdr(sv[0], VHOST_USER_SET_MEM_TABLE, VHOST_USER_VERSION, VU_MSG_MAX_PAYLOAD + 1, NULL, 0);
	cr_assert_eq(vu_msg_recv(sv[1], &r, 1000), -EMSGSIZE);
}

Test(vu_msg, bad_version_or_flags_rejected, .init = setup, .fini = teardown)
{
	struct vu_msg r;

	raw_hdr(sv[0], VHOST_USER_GET_FEATURES, 0x2, 0, NULL, 0);
	cr_assert_eq(vu_msg_recv(sv[1], &r, 1000), -EPROTO);
	raw_hdr(sv[0], VHOST_USER_GET_FEATURES, VHOST_USER_VERSION | 0x100, 0, NULL, 0);
	cr_assert_eq(vu_msg_recv(sv[1], &r, 1000), -EPROTO);
}

Test(vu_msg, too_many_fds_are_all_closed, .init = setup, .fini = teardown)
{
	struct vu_msg r;
	int fds[12];

	for (int i = 0; i < 12; i++)
		fds[i] = eventfd(0, EFD_CLOEXEC);
	int mid = tvu_count_fds();
	raw_hdr(sv[0], VHOST_USER_SET_OWNER, VHOST_USER_VERSION, 0, fds, 12);
	cr_assert_eq(vu_msg_recv(sv[1], &r, 1000), -EPROTO);
	cr_assert_eq(tvu_count_fds(), mid);
	for (int i = 0; i < 12; i++)
		close(fds[i]);
}

static struct vu_msg recv_ok(void)
{
	struct vu_msg r;

	cr_assert_eq(vu_msg_recv(sv[1], &r, 1000), 0);
	return r;
}

Test(vu_msg, check_request_sizes, .init = setup, .fini = teardown)
{
	struct vu_msg r;
	uint64_t v = 0;

	/* SET_FEATURES with 4 bytes instead of 8 */
	raw_hdr(sv[0], VHOST_USER_SET_FEATURES, VHOST_USER_VERSION, 4, NULL, 0);
	raw_send(sv[0], &v, 4, NULL, 0);
	r = recv_ok();
	cr_assert_eq(vu_msg_check_request(&r), -EBADMSG);
	/* GET_FEATURES takes no payload */
	raw_hdr(sv[0], VHOST_USER_GET_FEATURES, VHOST_USER_VERSION, 8, NULL, 0);
	raw_send(sv[0], &v, 8, NULL, 0);
	r = recv_ok();
	cr_assert_eq(vu_msg_check_request(&r), -EBADMSG);
	/* a reply where a request is expected */
	raw_hdr(sv[0], VHOST_USER_GET_FEATURES, VHOST_USER_VERSION | VHOST_USER_REPLY_MASK, 0, NULL, 0);
	r = recv_ok();
	cr_assert_eq(vu_msg_check_request(&r), -EBADMSG);
	/* unknown and unimplemented ids */
	raw_hdr(sv[0], 99, VHOST_USER_VERSION, 0, NULL, 0);
	r = recv_ok();
	cr_assert_eq(vu_msg_check_request(&r), -EOPNOTSUPP);
	raw_hdr(sv[0], VHOST_USER_SET_LOG_FD, VHOST_USER_VERSION, 0, NULL, 0);
	r = recv_ok();
	cr_assert_eq(vu_msg_check_request(&r), -EOPNOTSUPP);
}

Test(vu_msg, check_mem_table_size_follows_nregions, .init = setup, .fini = teardown)
{
	struct vu_msg m;

	memset(&m, 0, sizeof(m));
	vu_msg_init(&m, VHOST_USER_SET_MEM_TABLE, 0);
	m.payload.mem.nregions = 2;
	m.hdr.size = 8 + 2 * 32;
	m.nfds = 2;
	cr_assert_eq(vu_msg_check_request(&m), 0);
	m.hdr.size = 8 + 3 * 32;
	cr_assert_eq(vu_msg_check_request(&m), -EBADMSG);
	m.hdr.size = 4;
	cr_assert_eq(vu_msg_check_request(&m), -EBADMSG);
	m.hdr.size = 8 + 8 * 32;
	m.payload.mem.nregions = 9;
	cr_assert_eq(vu_msg_check_request(&m), -EBADMSG);
}

Test(vu_msg, check_fd_counts, .init = setup, .fini = teardown)
{
	struct vu_msg m;

	memset(&m, 0, sizeof(m));
	vu_msg_init(&m, VHOST_USER_SET_VRING_KICK, 0);
	m.hdr.size = 8;
	m.payload.u64 = 0;
	m.nfds = 0;   /* too few: no NOFD flag, no fd */
	cr_assert_eq(vu_msg_check_request(&m), -EBADMSG);
	m.nfds = 2;   /* too many */
	cr_assert_eq(vu_msg_check_request(&m), -EBADMSG);
	m.payload.u64 = VHOST_USER_VRING_NOFD_MASK;
	m.nfds = 1;   /* NOFD yet an fd */
	cr_assert_eq(vu_msg_check_request(&m), -EBADMSG);
	m.nfds = 0;
	cr_assert_eq(vu_msg_check_request(&m), 0);
	vu_msg_init(&m, VHOST_USER_SET_OWNER, 0);
	m.nfds = 1;   /* fd on a message that takes none */
	cr_assert_eq(vu_msg_check_request(&m), -EBADMSG);
	vu_msg_init(&m, VHOST_USER_SET_MEM_TABLE, 0);
	m.payload.mem.nregions = 2;
	m.hdr.size = 8 + 2 * 32;
	m.nfds = 1;   /* one fd for two regions */
	cr_assert_eq(vu_msg_check_request(&m), -EBADMSG);
}

Test(vu_msg, check_config_size, .init = setup, .fini = teardown)
{
	struct vu_msg m;

	memset(&m, 0, sizeof(m));
	vu_msg_init(&m, VHOST_USER_GET_CONFIG, 0);
	m.payload.config.size = 8;
	m.hdr.size = 12 + 8;
	cr_assert_eq(vu_msg_check_request(&m), 0);
	m.hdr.size = 12 + 9;
	cr_assert_eq(vu_msg_check_request(&m), -EBADMSG);
	m.payload.config.size = VU_MAX_CONFIG_SIZE + 1;
	m.hdr.size = VU_MSG_MAX_PAYLOAD;
	cr_assert_eq(vu_msg_check_request(&m), -EBADMSG);
}

Test(vu_msg, check_reply, .init = setup, .fini = teardown)
{
	struct vu_msg m;

	memset(&m, 0, sizeof(m));
	vu_msg_init(&m, VHOST_USER_GET_FEATURES, VHOST_USER_REPLY_MASK);
	m.hdr.size = 8;
	cr_assert_eq(vu_msg_check_reply(&m, VHOST_USER_GET_FEATURES), 0);
	cr_assert_eq(vu_msg_check_reply(&m, VHOST_USER_GET_PROTOCOL_FEATURES), -EBADMSG);
	m.hdr.flags = VHOST_USER_VERSION;
	cr_assert_eq(vu_msg_check_reply(&m, VHOST_USER_GET_FEATURES), -EBADMSG);
	m.hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
	m.hdr.size = 4;
	cr_assert_eq(vu_msg_check_reply(&m, VHOST_USER_GET_FEATURES), -EBADMSG);
	/* REPLY_ACK for a request without a reply of its own is a u64 */
	vu_msg_init(&m, VHOST_USER_SET_MEM_TABLE, VHOST_USER_REPLY_MASK);
	m.hdr.size = 8;
	cr_assert_eq(vu_msg_check_reply(&m, VHOST_USER_SET_MEM_TABLE), 0);
	m.nfds = 1;
	cr_assert_eq(vu_msg_check_reply(&m, VHOST_USER_SET_MEM_TABLE), -EBADMSG);
	/* GET_CONFIG fails with an empty payload */
	vu_msg_init(&m, VHOST_USER_GET_CONFIG, VHOST_USER_REPLY_MASK);
	cr_assert_eq(vu_msg_check_reply(&m, VHOST_USER_GET_CONFIG), 0);
}

Test(vu_msg, send_refuses_bad_messages, .init = setup, .fini = teardown)
{
	struct vu_msg m;

	vu_msg_init(&m, VHOST_USER_SET_FEATURES, 0);
	m.hdr.size = VU_MSG_MAX_PAYLOAD + 1;
	cr_assert_eq(vu_msg_send(sv[0], &m, 100), -EINVAL);
	m.hdr.size = 0;
	m.nfds = VU_MSG_MAX_FDS + 1;
	cr_assert_eq(vu_msg_send(sv[0], &m, 100), -EINVAL);
}

Test(vu_msg, send_to_closed_peer_is_epipe_not_sigpipe, .init = setup, .fini = teardown)
{
	struct vu_msg m;

	close(sv[1]);
	sv[1] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	vu_msg_init(&m, VHOST_USER_SET_OWNER, 0);
	cr_assert_eq(vu_msg_send(sv[0], &m, 100), -EPIPE);
}
