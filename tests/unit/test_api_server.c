/* The API server over a real UNIX socket, with a fake VMM behind it: the
 * hostile inputs of the issue, each answered with an error reply while the
 * connection stays usable where the framing allows. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "api/api_server.h"
#include "api_client.h"
#include "api_msg.h"
#include "test_api_fake.h"

static struct fake_vmm fake;
static struct api_server server;
static char sock_path[64];

static void setup(void)
{
	struct api_backend b;
	char err[256];

	snprintf(sock_path, sizeof(sock_path), "/tmp/cellvm-api-test-%d.sock", (int)getpid());
	unlink(sock_path);
	fake_vmm_init(&fake, &b);
	cr_assert_eq(api_server_open(&server, sock_path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(api_server_start(&server, &b), 0);
}

static void teardown(void)
{
	api_server_close(&server);
}

TestSuite(api_server, .init = setup, .fini = teardown, .timeout = 30);

static void connect_client(struct api_client *c)
{
	cr_assert_eq(api_client_connect(c, sock_path), 0, "connect: %s", strerror(errno));
	c->timeout_ms = 5000;
}

static Cellvm__Reply *call_info(struct api_client *c)
{
	Cellvm__Request req = CELLVM__REQUEST__INIT;
	Cellvm__InfoRequest info = CELLVM__INFO_REQUEST__INIT;
	Cellvm__Reply *r = NULL;

	req.body_case = CELLVM__REQUEST__BODY_INFO;
	req.info = &info;
	cr_assert_eq(api_client_call(c, &req, &r), 0);
	return r;
}

static void expect_usable(struct api_client *c)
{
	Cellvm__Reply *r = call_info(c);
	cr_assert_eq(r->status, CELLVM__STATUS__STATUS_OK, "%s", r->message);
	cellvm__reply__free_unpacked(r, NULL);
}

static Cellvm__Status recv_status(struct api_client *c, uint64_t *id, char *msg, size_t len)
{
	Cellvm__Reply *r = NULL;
	int ret = api_client_recv(c, id, &r);

	cr_assert_eq(ret, 0, "no reply: %s", strerror(-ret));
	Cellvm__Status st = r->status;
	snprintf(msg, len, "%s", r->message);
	cellvm__reply__free_unpacked(r, NULL);
	return st;
}

Test(api_server, socket_is_private)
{
	struct stat st;

	cr_assert_eq(stat(sock_path, &st), 0);
	cr_assert(S_ISSOCK(st.st_mode));
	cr_assert_eq(st.st_mode & 077, 0, "mode %o", st.st_mode & 0777);
}

Test(api_server, request_and_reply)
{
	struct api_client c;

	connect_client(&c);
	Cellvm__Reply *r = call_info(&c);
	cr_assert_eq(r->body_case, CELLVM__REPLY__BODY_INFO);
	cr_assert_str_eq(r->info->id, "fake");
	cellvm__reply__free_unpacked(r, NULL);
	api_client_close(&c);
}

Test(api_server, garbage_bytes_get_an_error_and_the_connection_stays)
{
	struct api_client c;
	uint8_t frame[12 + 6];
	uint64_t id;
	char msg[256];

	connect_client(&c);
	api_frame_hdr_encode(frame, 6, 31);
	memcpy(frame + 12, "\xff\xff\xff\xff\xff\xff", 6);
	cr_assert_eq(api_client_send(&c, frame, sizeof(frame)), 0);
	cr_assert_eq(recv_status(&c, &id, msg, sizeof(msg)), CELLVM__STATUS__STATUS_BAD_FRAME, "%s",
		     msg);
	cr_assert_eq(id, 31);
	expect_usable(&c);
	api_client_close(&c);
}

Test(api_server, oversized_frame_is_refused_and_skipped)
{
	struct api_client c;
	uint8_t hdr[12];
	uint64_t id;
	char msg[256];
	size_t big = API_FRAME_MAX + 1000;
	uint8_t *junk = calloc(1, big);

	connect_client(&c);
	api_frame_hdr_encode(hdr, (uint32_t)big, 5);
	cr_assert_eq(api_client_send(&c, hdr, sizeof(hdr)), 0);
	cr_assert_eq(recv_status(&c, &id, msg, sizeof(msg)), CELLVM__STATUS__STATUS_FRAME_TOO_LARGE);
	cr_assert_eq(id, 5);
	cr_assert(strstr(msg, "exceeds the limit"), "%s", msg);
	/* The announced payload follows and is dropped; then business as usual. */
	cr_assert_eq(api_client_send(&c, junk, big), 0);
	free(junk);
	expect_usable(&c);
	api_client_close(&c);
}

Test(api_server, truncated_frame_at_eof_gets_a_reply)
{
	struct api_client c;
	uint8_t frame[12 + 4];
	uint64_t id;
	char msg[256];

	connect_client(&c);
	api_frame_hdr_encode(frame, 100, 9);
	memset(frame + 12, 0, 4);
	cr_assert_eq(api_client_send(&c, frame, sizeof(frame)), 0);
	shutdown(c.fd, SHUT_WR);
	cr_assert_eq(recv_status(&c, &id, msg, sizeof(msg)), CELLVM__STATUS__STATUS_BAD_FRAME);
	cr_assert_eq(id, 9);
	cr_assert(strstr(msg, "truncated frame") && strstr(msg, "4 of 100"), "%s", msg);
	Cellvm__Reply *r = NULL;
	cr_assert_eq(api_client_recv(&c, &id, &r), -EPIPE, "then the server hangs up");
	api_client_close(&c);
}

Test(api_server, truncated_header_at_eof_gets_a_reply)
{
	struct api_client c;
	uint64_t id = 99;
	char msg[256];

	connect_client(&c);
	cr_assert_eq(api_client_send(&c, "\x05\x00\x00", 3), 0);
	shutdown(c.fd, SHUT_WR);
	cr_assert_eq(recv_status(&c, &id, msg, sizeof(msg)), CELLVM__STATUS__STATUS_BAD_FRAME);
	cr_assert_eq(id, 0, "no id was received");
	cr_assert(strstr(msg, "3 of 12 header bytes"), "%s", msg);
	api_client_close(&c);
}

Test(api_server, unknown_type_and_wrong_version_keep_the_connection)
{
	struct api_client c;
	/* version 1, then field 99: a request type this server does not know. */
	uint8_t frame[12 + 5] = { 0 };
	uint64_t id;
	char msg[256];

	connect_client(&c);
	api_frame_hdr_encode(frame, 5, 41);
	memcpy(frame + 12, "\x08\x01\x98\x06\x05", 5);
	cr_assert_eq(api_client_send(&c, frame, sizeof(frame)), 0);
	cr_assert_eq(recv_status(&c, &id, msg, sizeof(msg)), CELLVM__STATUS__STATUS_UNKNOWN_REQUEST);
	api_frame_hdr_encode(frame, 2, 42);
	memcpy(frame + 12, "\x08\x07", 2); /* version 7, nothing else */
	cr_assert_eq(api_client_send(&c, frame, 14), 0);
	cr_assert_eq(recv_status(&c, &id, msg, sizeof(msg)),
		     CELLVM__STATUS__STATUS_UNSUPPORTED_VERSION);
	cr_assert_eq(id, 42);
	expect_usable(&c);
	api_client_close(&c);
}

Test(api_server, pipelined_requests_are_answered_in_order)
{
	struct api_client c;
	uint8_t buf[3 * 14];
	uint64_t id;
	char msg[256];

	connect_client(&c);
	for (int i = 0; i < 3; i++) {
		api_frame_hdr_encode(buf + 14 * i, 2, 100 + (uint64_t)i);
		memcpy(buf + 14 * i + 12, "\x08\x07", 2);
	}
	cr_assert_eq(api_client_send(&c, buf, sizeof(buf)), 0);
	for (int i = 0; i < 3; i++) {
		recv_status(&c, &id, msg, sizeof(msg));
		cr_assert_eq(id, 100 + (uint64_t)i);
	}
	api_client_close(&c);
}

Test(api_server, too_many_connections_are_told_so)
{
	struct api_client c[API_MAX_CONNS + 1];
	uint64_t id;
	char msg[256];

	for (int i = 0; i < API_MAX_CONNS; i++) {
		connect_client(&c[i]);
		expect_usable(&c[i]); /* accepted and served */
	}
	connect_client(&c[API_MAX_CONNS]);
	cr_assert_eq(recv_status(&c[API_MAX_CONNS], &id, msg, sizeof(msg)),
		     CELLVM__STATUS__STATUS_BUSY);
	api_client_close(&c[API_MAX_CONNS]);
	api_client_close(&c[0]);
	/* A freed slot is usable again. */
	for (int tries = 0; tries < 50; tries++) {
		struct api_client again;
		connect_client(&again);
		Cellvm__Reply *r = NULL;
		Cellvm__Request req = CELLVM__REQUEST__INIT;
		Cellvm__InfoRequest info = CELLVM__INFO_REQUEST__INIT;
		req.body_case = CELLVM__REQUEST__BODY_INFO;
		req.info = &info;
		int ret = api_client_call(&again, &req, &r);
		bool ok = ret == 0 && r->status == CELLVM__STATUS__STATUS_OK;
		if (r)
			cellvm__reply__free_unpacked(r, NULL);
		api_client_close(&again);
		if (ok)
			break;
		cr_assert_lt(tries, 49, "the slot was never freed");
		usleep(20000);
	}
	for (int i = 1; i < API_MAX_CONNS; i++)
		api_client_close(&c[i]);
}

Test(api_server, second_server_on_a_live_socket_is_refused)
{
	struct api_server other;
	char err[256];

	cr_assert_eq(api_server_open(&other, sock_path, err, sizeof(err)), -EADDRINUSE);
	cr_assert(strstr(err, "another process"), "%s", err);
	struct stat st;
	cr_assert_eq(stat(sock_path, &st), 0, "the live socket is left alone");
}

Test(api_server, stale_socket_is_replaced_and_files_are_not)
{
	struct api_server other;
	char path[64], err[256];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	snprintf(path, sizeof(path), "/tmp/cellvm-api-stale-%d.sock", (int)getpid());
	unlink(path);
	/* A socket file nobody listens on, as a crashed cellvm leaves. */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	strcpy(sa.sun_path, path);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	close(fd);
	cr_assert_eq(api_server_open(&other, path, err, sizeof(err)), 0, "%s", err);
	api_server_close(&other);
	cr_assert_neq(access(path, F_OK), 0, "close removes the socket");

	FILE *f = fopen(path, "w");
	fclose(f);
	cr_assert_eq(api_server_open(&other, path, err, sizeof(err)), -EEXIST);
	cr_assert(strstr(err, "not a socket"), "%s", err);
	unlink(path);
}
