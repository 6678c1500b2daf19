/* The vhost-user frontend: against cellvm's own backend (a whole device
 * setup through the API), and against a scripted backend that answers
 * wrongly, late or not at all. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "test_vu_util.h"
#include "vu_frontend.h"
#include "vu_listen.h"

static int fds_before;

static void count_fds(void)
{
	fds_before = tvu_count_fds();
}

static void check_fds(void)
{
	cr_assert_eq(tvu_count_fds(), fds_before, "file descriptors leaked");
}

/* ---- against the real backend ---- */

static struct tvu_backend be;
static struct tvu_mem mem;
static struct vu_frontend fe;

static void real_setup(void)
{
	count_fds();
	tvu_mem_init(&mem);
	tvu_backend_start(&be, NULL);
	/* the frontend gets its own copy: the test helper closes sv[0] */
	vu_frontend_attach(&fe, dup(be.sv[0]), 2000);
}

static void real_teardown(void)
{
	vu_frontend_close(&fe);
	tvu_backend_stop(&be);
	tvu_mem_fini(&mem);
	check_fds();
}

static void fe_negotiate(void)
{
	uint64_t f, pf;

	cr_assert_eq(vu_frontend_get_features(&fe, &f), 0);
	cr_assert(f & (1ull << VHOST_USER_F_PROTOCOL_FEATURES));
	cr_assert(f & (1ull << VIRTIO_F_VERSION_1));
	cr_assert_eq(vu_frontend_get_protocol_features(&fe, &pf), 0);
	cr_assert(pf & (1ull << VHOST_USER_PROTOCOL_F_MQ));
	cr_assert(pf & (1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK));
	cr_assert(pf & (1ull << VHOST_USER_PROTOCOL_F_CONFIG));
	cr_assert(pf & (1ull << VHOST_USER_PROTOCOL_F_RESET_DEVICE));
	cr_assert_eq(vu_frontend_set_protocol_features(&fe, pf), 0);
	cr_assert_eq(vu_frontend_set_owner(&fe), 0);
	cr_assert_eq(vu_frontend_set_features(&fe, f), 0);
}

static void fe_mem_table(void)
{
	struct vu_frontend_region r = {
		.gpa = TVU_GPA, .size = TVU_MEM_SIZE, .user_addr = TVU_UVA,
		.mmap_offset = 0, .fd = mem.fd,
	};

	cr_assert_eq(vu_frontend_set_mem_table(&fe, &r, 1), 0);
}

Test(vu_frontend, full_setup_against_cellvm_backend, .init = real_setup, .fini = real_teardown)
{
	int kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int call = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	uint64_t n, one = 1;
	unsigned int base;

	fe_negotiate();
	cr_assert_eq(vu_frontend_get_queue_num(&fe, &n), 0);
	cr_assert_eq(n, 2);
	fe_mem_table();
	cr_assert_eq(vu_frontend_set_vring_num(&fe, 0, TVU_QSIZE), 0);
	cr_assert_eq(vu_frontend_set_vring_base(&fe, 0, 0), 0);
	cr_assert_eq(vu_frontend_set_vring_addr(&fe, 0, TVU_UVA + TVU_DESC_OFF,
						TVU_UVA + TVU_AVAIL_OFF, TVU_UVA + TVU_USED_OFF), 0);
	cr_assert_eq(vu_frontend_set_vring_call(&fe, 0, call), 0);
	cr_assert_eq(vu_frontend_set_vring_err(&fe, 0, -1), 0);
	cr_assert_eq(vu_frontend_set_vring_kick(&fe, 0, kick), 0);
	cr_assert_eq(vu_frontend_set_vring_enable(&fe, 0, true), 0);

	tvu_post_write_buf(&mem, 0, 40);
	cr_assert_eq(write(kick, &one, 8), 8);
	cr_assert(tvu_wait_readable(call, 2000), "no interrupt");
	cr_assert_eq(tvu_used_idx(&mem), 1);

	cr_assert_eq(vu_frontend_get_vring_base(&fe, 0, &base), 0);
	cr_assert_eq(base, 1);
	cr_assert_eq(vu_frontend_reset_device(&fe), 0);
	close(kick);
	close(call);
}

Test(vu_frontend, reply_ack_reports_rejections, .init = real_setup, .fini = real_teardown)
{
	fe_negotiate();
	/* not a power of 2: refused, and the session goes on */
	cr_assert_eq(vu_frontend_set_vring_num(&fe, 0, 3), -EIO);
	/* addresses before a memory table */
	cr_assert_eq(vu_frontend_set_vring_num(&fe, 0, TVU_QSIZE), 0);
	cr_assert_eq(vu_frontend_set_vring_addr(&fe, 0, TVU_UVA, TVU_UVA + 0x1000,
						TVU_UVA + 0x2000), -EIO);
	cr_assert_eq(vu_frontend_set_vring_enable(&fe, 5, true), -EIO);
	cr_assert_eq(vu_frontend_set_vring_kick(&fe, 0, -1), -EIO);
	cr_assert_not(fe.dead);
	uint64_t n;
	cr_assert_eq(vu_frontend_get_queue_num(&fe, &n), 0);
}

Test(vu_frontend, config_space, .init = real_setup, .fini = real_teardown)
{
	uint8_t buf[8];

	memcpy(be.dev.config, "cellvm-config-16", 16);
	fe_negotiate();
	cr_assert_eq(vu_frontend_get_config(&fe, 7, buf, 6), 0);
	cr_assert_eq(memcmp(buf, "config", 6), 0);
	/* out of the device's range: the backend's empty reply */
	cr_assert_eq(vu_frontend_get_config(&fe, 12, buf, 8), -EIO);
	cr_assert_eq(vu_frontend_set_config(&fe, 0, buf, 4), -EIO);
	cr_assert_eq(vu_frontend_get_config(&fe, 0, buf, 0), -EINVAL);
	cr_assert_eq(vu_frontend_get_config(&fe, 0, buf, VU_MAX_CONFIG_SIZE + 1), -EINVAL);
}

Test(vu_frontend, argument_checks, .init = real_setup, .fini = real_teardown)
{
	struct vu_frontend_region r[VU_MAX_MEM_REGIONS + 1];

	memset(r, 0, sizeof(r));
	cr_assert_eq(vu_frontend_set_mem_table(&fe, r, 0), -EINVAL);
	cr_assert_eq(vu_frontend_set_mem_table(&fe, r, VU_MAX_MEM_REGIONS + 1), -EINVAL);
	r[0].fd = -1;
	cr_assert_eq(vu_frontend_set_mem_table(&fe, r, 1), -EBADF);
	cr_assert_eq(vu_frontend_set_vring_call(&fe, 256, -1), -EINVAL);
}

Test(vu_frontend, backend_gone_is_epipe, .init = real_setup, .fini = real_teardown)
{
	uint64_t f;

	cr_assert_eq(tvu_backend_stop(&be), 0);
	cr_assert_lt(vu_frontend_get_features(&fe, &f), 0);
	cr_assert(fe.dead);
	cr_assert_eq(vu_frontend_set_owner(&fe), -EPIPE);
}

/* ---- against a scripted backend on a thread ---- */

typedef void (*script_fn)(int sock);

struct fake {
	int sv[2];
	pthread_t thread;
	script_fn script;
};

static struct fake fk;

static void *fake_thread(void *p)
{
	struct fake *f = p;

	f->script(f->sv[1]);
	return NULL;
}

static void fake_start(script_fn script)
{
	count_fds();
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fk.sv), 0);
	fk.script = script;
	vu_frontend_attach(&fe, fk.sv[0], 200);
	cr_assert_eq(pthread_create(&fk.thread, NULL, fake_thread, &fk), 0);
}

static void fake_finish(void)
{
	vu_frontend_close(&fe);
	pthread_join(fk.thread, NULL);
	close(fk.sv[1]);
	check_fds();
}

/* Reads the request, then answers with whatever reply() builds. */
static void answer(int sock, void (*reply)(struct vu_msg *m))
{
	struct vu_msg m;

	if (vu_msg_recv(sock, &m, 2000) < 0)
		return;
	vu_msg_close_fds(&m);
	m.hdr.flags = VHOST_USER_VERSION | VHOST_USER_REPLY_MASK;
	reply(&m);
	vu_msg_send(sock, &m, 2000);
	/* wait for the frontend to hang up */
	vu_msg_recv(sock, &m, 2000);
	vu_msg_close_fds(&m);
}

static void r_wrong_request(struct vu_msg *m)
{
	m->hdr.request = VHOST_USER_GET_PROTOCOL_FEATURES;
	m->hdr.size = 8;
}

static void r_no_reply_flag(struct vu_msg *m)
{
	m->hdr.flags = VHOST_USER_VERSION;
	m->hdr.size = 8;
}

static void r_short(struct vu_msg *m)
{
	m->hdr.size = 4;
}

static int leaked_fd = -1;

static void r_with_fd(struct vu_msg *m)
{
	m->hdr.size = 8;
	m->fds[0] = leaked_fd;
	m->nfds = 1;
}

static void r_bad_version(struct vu_msg *m)
{
	m->hdr.flags = 3 | VHOST_USER_REPLY_MASK;
	m->hdr.size = 8;
}

static void s_wrong_request(int s) { answer(s, r_wrong_request); }
static void s_no_reply_flag(int s) { answer(s, r_no_reply_flag); }
static void s_short(int s) { answer(s, r_short); }
static void s_with_fd(int s) { answer(s, r_with_fd); }
static void s_bad_version(int s) { answer(s, r_bad_version); }

static void s_silent(int s)
{
	struct vu_msg m;

	/* takes the request, never answers, waits for the hangup */
	vu_msg_recv(s, &m, 2000);
	vu_msg_recv(s, &m, 2000);
}

static void s_hangup(int s)
{
	struct vu_msg m;

	vu_msg_recv(s, &m, 2000);
	shutdown(s, SHUT_RDWR);
}

static void expect_bad_reply(script_fn script, int want)
{
	uint64_t f;

	fake_start(script);
	cr_assert_eq(vu_frontend_get_features(&fe, &f), want);
	cr_assert(fe.dead, "frontend must stop after a bad reply");
	cr_assert_eq(vu_frontend_get_features(&fe, &f), -EPIPE);
	fake_finish();
}

Test(vu_frontend, reply_for_another_request)
{
	expect_bad_reply(s_wrong_request, -EBADMSG);
}

Test(vu_frontend, reply_without_reply_flag)
{
	expect_bad_reply(s_no_reply_flag, -EBADMSG);
}

Test(vu_frontend, reply_of_wrong_size)
{
	expect_bad_reply(s_short, -EBADMSG);
}

Test(vu_frontend, reply_with_bad_version)
{
	expect_bad_reply(s_bad_version, -EPROTO);
}

Test(vu_frontend, reply_carrying_an_fd)
{
	leaked_fd = eventfd(0, EFD_CLOEXEC);
	expect_bad_reply(s_with_fd, -EBADMSG);
	close(leaked_fd);
}

Test(vu_frontend, silent_backend_times_out)
{
	expect_bad_reply(s_silent, -ETIMEDOUT);
}

Test(vu_frontend, backend_hangs_up)
{
	expect_bad_reply(s_hangup, -EPIPE);
}

static void r_ack_fail(struct vu_msg *m)
{
	m->hdr.size = 8;
	m->payload.u64 = 1;
}

static bool spf_need_reply;

static void s_ack_fail(int s)
{
	struct vu_msg m;

	/* SET_PROTOCOL_FEATURES carries no need_reply: nothing to answer */
	if (vu_msg_recv(s, &m, 2000) == 0)
		spf_need_reply = m.hdr.flags & VHOST_USER_NEED_REPLY_MASK;
	answer(s, r_ack_fail);
}

Test(vu_frontend, reply_ack_failure_is_eio)
{
	fake_start(s_ack_fail);
	cr_assert_eq(vu_frontend_set_protocol_features(&fe, 1ull << VHOST_USER_PROTOCOL_F_REPLY_ACK), 0);
	cr_assert_eq(vu_frontend_set_owner(&fe), -EIO);
	cr_assert_not(fe.dead, "a refused request leaves the session usable");
	fake_finish();
	cr_assert_not(spf_need_reply);
}

/* ---- connecting over a socket path, as a device program listens ---- */

static void *accept_and_serve(void *p)
{
	const char *path = p;
	struct tvu_dev dev;
	struct vu_backend_opts opts = { .msg_timeout_ms = 500 };
	int s;

	memset(&dev, 0, sizeof(dev));
	s = vu_listen_accept(path, -1);
	if (s >= 0) {
		vu_backend_serve_opts(s, -1, &tvu_ops, &dev, &opts);
		close(s);
	}
	return NULL;
}

Test(vu_frontend, connect_to_listening_backend)
{
	char dir[] = "/tmp/cellvm-vu-XXXXXX";
	char path[64];
	pthread_t t;
	uint64_t f;
	struct stat st;

	count_fds();
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/be.sock", dir);
	cr_assert_eq(pthread_create(&t, NULL, accept_and_serve, path), 0);
	int r = -1;
	for (int i = 0; i < 200 && r < 0; i++) {
		r = vu_frontend_connect(&fe, path, 2000);
		if (r < 0)
			usleep(5000);
	}
	cr_assert_eq(r, 0);
	cr_assert_eq(vu_frontend_get_features(&fe, &f), 0);
	/* one frontend only: the path is gone once somebody connected */
	cr_assert_neq(stat(path, &st), 0);
	vu_frontend_close(&fe);
	pthread_join(t, NULL);
	rmdir(dir);
	check_fds();
}

Test(vu_listen, refuses_to_replace_a_regular_file)
{
	char path[] = "/tmp/cellvm-vu-file-XXXXXX";
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(vu_listen_accept(path, -1), -EEXIST);
	close(fd);
	unlink(path);
}

Test(vu_listen, stop_fd_cancels_the_wait)
{
	char dir[] = "/tmp/cellvm-vu-XXXXXX";
	char path[64];
	int stop = eventfd(1, EFD_CLOEXEC);
	struct stat st;

	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/be.sock", dir);
	cr_assert_eq(vu_listen_accept(path, stop), -ECANCELED);
	cr_assert_neq(stat(path, &st), 0, "socket file left behind");
	close(stop);
	rmdir(dir);
}

Test(vu_listen, check_socket_fd)
{
	int sv[2], pipefd[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	cr_assert_eq(vu_check_socket_fd(sv[0]), 0);
	cr_assert(fcntl(sv[0], F_GETFD) & FD_CLOEXEC);
	cr_assert_eq(pipe(pipefd), 0);
	cr_assert_eq(vu_check_socket_fd(pipefd[0]), -ENOTSOCK);
	close(sv[0]);
	close(sv[1]);
	close(pipefd[0]);
	close(pipefd[1]);
	/* a number just closed, not one that may belong to Criterion */
	cr_assert_eq(vu_check_socket_fd(sv[0]), -EBADF);
}
