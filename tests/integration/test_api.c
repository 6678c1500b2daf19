/* The control API end to end: cellvm serving --api-sock with the probe
 * guest behind it. A VM is configured, started, paused (the guest's
 * progress lines stop), resumed (they go on), measured (the exits counted
 * match the serial bytes the guest wrote) and shut down; every hostile
 * input gets an error reply while the VM runs on; cellctl's output and
 * errors; the config file. Needs CELLVM, CELLVM_BIN_DIR and PROBE, as
 * `make test` sets them; skipped without them. */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "api_client.h"
#include "api_json.h"
#include "api_msg.h"
#include "test_env.h"
#include "vmrun.h"

#define EXIT_API_STOPPED 5
#define PROGRESS "PROBE progress n="

static struct vmrun vm;
static char tmpdir[256];
static char sock[300];

static void setup(void)
{
	vmrun_init(&vm);
	tmpdir[0] = '\0';
}

static void teardown(void)
{
	vmrun_free(&vm);
	test_rmtree(tmpdir);
	tmpdir[0] = '\0';
}

TestSuite(api, .init = setup, .fini = teardown, .timeout = 120);

static struct env need_env(void)
{
	struct env e = test_env_need();
	int r = test_mkdtemp(tmpdir, sizeof(tmpdir));
	cr_assert_eq(r, 0, "mkdtemp: %s", strerror(-r));
	snprintf(sock, sizeof(sock), "%s/api.sock", tmpdir);
	return e;
}

static const char *dump(void)
{
	static char buf[16384];
	const char *out = vm.out ? vm.out : "", *err = vm.err ? vm.err : "";
	size_t ol = strlen(out), el = strlen(err);
	snprintf(buf, sizeof(buf), "\n--- guest serial ---\n%s\n--- cellvm stderr ---\n%s",
		 out + (ol > 6000 ? ol - 6000 : 0), err + (el > 6000 ? el - 6000 : 0));
	return buf;
}

/* Reads the VM's output for ms milliseconds. */
static void pump(int ms)
{
	vmrun_wait_for(&vm, "\x01never\x01", ms);
}

static void start_cellvm(const struct env *e, const char *const *extra)
{
	char *argv[32];
	int n = 0;

	argv[n++] = (char *)e->cellvm;
	for (; extra && *extra; extra++)
		argv[n++] = (char *)*extra;
	argv[n] = NULL;
	int r = vmrun_start(&vm, argv);
	cr_assert_eq(r, 0, "starting cellvm: %s", strerror(-r));
}

/* Connects once the socket accepts (cellvm creates it at startup). */
static void connect_api(struct api_client *c)
{
	for (int i = 0; i < 500; i++) {
		if (api_client_connect(c, sock) == 0) {
			c->timeout_ms = 20000;
			return;
		}
		pump(10);
	}
	cr_assert_fail("the API socket %s never accepted%s", sock, dump());
}

/* ---- requests ---- */

struct req {
	Cellvm__Request r;
	Cellvm__StartRequest start;
	Cellvm__PauseRequest pause;
	Cellvm__ResumeRequest resume;
	Cellvm__ShutdownRequest shutdown;
	Cellvm__KillRequest kill;
	Cellvm__InfoRequest info;
	Cellvm__MetricsRequest metrics;
};

enum op { OP_START, OP_PAUSE, OP_RESUME, OP_SHUTDOWN, OP_KILL, OP_INFO, OP_METRICS };

static Cellvm__Reply *call_op(struct api_client *c, enum op op, unsigned int arg)
{
	struct req q = {
		.r = CELLVM__REQUEST__INIT, .start = CELLVM__START_REQUEST__INIT,
		.pause = CELLVM__PAUSE_REQUEST__INIT, .resume = CELLVM__RESUME_REQUEST__INIT,
		.shutdown = CELLVM__SHUTDOWN_REQUEST__INIT, .kill = CELLVM__KILL_REQUEST__INIT,
		.info = CELLVM__INFO_REQUEST__INIT, .metrics = CELLVM__METRICS_REQUEST__INIT,
	};
	Cellvm__Reply *reply = NULL;

	switch (op) {
	case OP_START: q.r.body_case = CELLVM__REQUEST__BODY_START; q.r.start = &q.start; break;
	case OP_PAUSE: q.r.body_case = CELLVM__REQUEST__BODY_PAUSE; q.r.pause = &q.pause; break;
	case OP_RESUME: q.r.body_case = CELLVM__REQUEST__BODY_RESUME; q.r.resume = &q.resume; break;
	case OP_SHUTDOWN:
		q.shutdown.timeout_ms = arg;
		q.r.body_case = CELLVM__REQUEST__BODY_SHUTDOWN;
		q.r.shutdown = &q.shutdown;
		break;
	case OP_KILL: q.r.body_case = CELLVM__REQUEST__BODY_KILL; q.r.kill = &q.kill; break;
	case OP_INFO: q.r.body_case = CELLVM__REQUEST__BODY_INFO; q.r.info = &q.info; break;
	case OP_METRICS:
		q.r.body_case = CELLVM__REQUEST__BODY_METRICS;
		q.r.metrics = &q.metrics;
		break;
	}
	int r = api_client_call(c, &q.r, &reply);
	cr_assert_eq(r, 0, "API call %d failed: %s%s", op, strerror(-r), dump());
	return reply;
}

static void expect_status(Cellvm__Reply *r, Cellvm__Status want, const char *needle)
{
	/* Copied out and freed first: a failed assertion leaves at once. */
	Cellvm__Status st = r->status;
	char msg[512];

	snprintf(msg, sizeof(msg), "%s", r->message);
	cellvm__reply__free_unpacked(r, NULL);
	cr_assert_eq(st, want, "status %s (%s), expected %s%s", api_status_name(st), msg,
		     api_status_name(want), dump());
	if (needle)
		cr_assert(strstr(msg, needle), "message '%s' lacks '%s'", msg, needle);
}

static void op_expect(struct api_client *c, enum op op, Cellvm__Status want, const char *needle)
{
	expect_status(call_op(c, op, 0), want, needle);
}

static Cellvm__VmState state_of(struct api_client *c)
{
	Cellvm__Reply *r = call_op(c, OP_INFO, 0);
	cr_assert_eq(r->body_case, CELLVM__REPLY__BODY_INFO);
	Cellvm__VmState s = r->info->state;
	cellvm__reply__free_unpacked(r, NULL);
	return s;
}

/* Configure from JSON text, the way the config file and cellctl do it. */
static Cellvm__Reply *configure_json(struct api_client *c, const char *json)
{
	Cellvm__Request req = CELLVM__REQUEST__INIT;
	struct json_object *j = NULL;
	ProtobufCMessage *cfg = NULL;
	Cellvm__Reply *reply = NULL;
	char err[256];

	cr_assert_eq(api_json_parse(json, strlen(json), &j, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(api_json_to_msg(j, &cellvm__config__descriptor, &cfg, err, sizeof(err)), 0,
		     "%s", err);
	json_object_put(j);
	req.body_case = CELLVM__REQUEST__BODY_CONFIGURE;
	req.configure = (Cellvm__Config *)cfg;
	int r = api_client_call(c, &req, &reply);
	protobuf_c_message_free_unpacked(cfg, NULL);
	cr_assert_eq(r, 0, "configure: %s%s", strerror(-r), dump());
	return reply;
}

static void probe_config(char *buf, size_t len, const struct env *e, const char *cmdline,
			 const char *devices)
{
	snprintf(buf, len,
		 "{\"machine\":{\"vcpus\":1,\"mem_mib\":64},"
		 "\"boot_source\":{\"kernel\":\"%s\",\"cmdline\":\"%s\"}%s}",
		 e->probe, cmdline, devices ? devices : "");
}

static unsigned int progress_lines(void)
{
	return test_count(vm.out, PROGRESS);
}

static void wait_progress_beyond(unsigned int n, int timeout_ms)
{
	for (int waited = 0; progress_lines() <= n; waited += 50) {
		cr_assert_lt(waited, timeout_ms, "the guest made no progress beyond %u lines%s", n,
			     dump());
		pump(50);
	}
}

/* ---- the tests ---- */

Test(api, lifecycle_pause_resume_metrics_shutdown)
{
	struct env e = need_env();
	char cfg[1024], metrics_path[400];
	struct api_client c;

	snprintf(metrics_path, sizeof(metrics_path), "%s/metrics.jsonl", tmpdir);
	start_cellvm(&e, (const char *[]){ "--api-sock", sock, "--id", "api-test", "--metrics-file",
					   metrics_path, "--metrics-interval", "200", NULL });
	connect_api(&c);

	/* Before any configuration. */
	cr_assert_eq(state_of(&c), CELLVM__VM_STATE__STATE_NOT_CONFIGURED);
	op_expect(&c, OP_PAUSE, CELLVM__STATUS__STATUS_WRONG_STATE, "not configured");
	op_expect(&c, OP_START, CELLVM__STATUS__STATUS_WRONG_STATE, "configure it first");
	op_expect(&c, OP_SHUTDOWN, CELLVM__STATUS__STATUS_WRONG_STATE, NULL);

	/* A bad configuration changes nothing; a good one replaces it. */
	expect_status(configure_json(&c, "{\"machine\":{\"vcpus\":64},"
				     "\"boot_source\":{\"kernel\":\"k\"}}"),
		      CELLVM__STATUS__STATUS_INVALID_ARGUMENT, "vcpus");
	cr_assert_eq(state_of(&c), CELLVM__VM_STATE__STATE_NOT_CONFIGURED);
	probe_config(cfg, sizeof(cfg), &e, "probe=hello", NULL);
	expect_status(configure_json(&c, cfg), CELLVM__STATUS__STATUS_OK, NULL);
	probe_config(cfg, sizeof(cfg), &e, "probe=progress probe.progress.ms=60000",
		     ",\"rng\":{}");
	expect_status(configure_json(&c, cfg), CELLVM__STATUS__STATUS_OK, "1 device");

	Cellvm__Reply *r = call_op(&c, OP_INFO, 0);
	cr_assert_eq(r->info->state, CELLVM__VM_STATE__STATE_CONFIGURED);
	cr_assert_str_eq(r->info->id, "api-test");
	cr_assert_str_eq(r->info->config->boot_source->cmdline,
			 "probe=progress probe.progress.ms=60000");
	cr_assert_not_null(r->info->config->rng);
	cr_assert_eq(r->info->n_devices, 0, "no device process before start");
	cellvm__reply__free_unpacked(r, NULL);

	op_expect(&c, OP_START, CELLVM__STATUS__STATUS_OK, "started");
	op_expect(&c, OP_START, CELLVM__STATUS__STATUS_WRONG_STATE, "running");
	expect_status(configure_json(&c, cfg), CELLVM__STATUS__STATUS_WRONG_STATE, "before start");

	/* The device process is a live child of cellvm. */
	r = call_op(&c, OP_INFO, 0);
	cr_assert_eq(r->info->state, CELLVM__VM_STATE__STATE_RUNNING);
	cr_assert_eq(r->info->n_devices, 1);
	cr_assert_str_eq(r->info->devices[0]->name, "rng0");
	cr_assert_gt(r->info->devices[0]->pid, 0);
	cr_assert_eq(test_child_named(vm.pid, "cellvm-rng"), r->info->devices[0]->pid);
	cr_assert(r->info->devices[0]->backend_alive);
	cellvm__reply__free_unpacked(r, NULL);

	/* Pause: once the reply is in, the guest prints nothing more. */
	cr_assert(vmrun_wait_for(&vm, PROGRESS "3 ", 20000), "no progress%s", dump());
	op_expect(&c, OP_PAUSE, CELLVM__STATUS__STATUS_OK, "paused");
	pump(200); /* whatever was already in the pipe */
	unsigned int paused_at = progress_lines();
	pump(800);
	cr_assert_eq(progress_lines(), paused_at, "the guest ran while paused%s", dump());
	cr_assert_eq(state_of(&c), CELLVM__VM_STATE__STATE_PAUSED);
	op_expect(&c, OP_PAUSE, CELLVM__STATUS__STATUS_OK, "already paused");

	/* Exits counted in the vCPU loop match the guest's serial output:
	 * every byte it printed was one OUT to the UART's data register. */
	r = call_op(&c, OP_METRICS, 0);
	cr_assert_eq(r->status, CELLVM__STATUS__STATUS_OK);
	Cellvm__Metrics *m = r->metrics;
	cr_assert_eq(m->state, CELLVM__VM_STATE__STATE_PAUSED);
	cr_assert_eq(m->n_vcpus, 1);
	cr_assert_geq(m->vcpus[0]->io_out, vm.out_len, "%" PRIu64 " OUT exits for %zu bytes%s",
		      m->vcpus[0]->io_out, vm.out_len, dump());
	cr_assert_eq(m->n_devices, 1);
	cr_assert_not_null(m->devices[0]->process, "the device process is measured");
	cr_assert_gt(m->devices[0]->process->rss_kib, 0);
	cr_assert_not_null(m->core);
	cr_assert_gt(m->core->rss_kib, 0);
	cr_assert_gt(m->core->cpu_user_us + m->core->cpu_sys_us, 0);
	cr_assert_geq(m->api->requests, 10);
	cellvm__reply__free_unpacked(r, NULL);

	/* Resume: progress goes on. */
	op_expect(&c, OP_RESUME, CELLVM__STATUS__STATUS_OK, "resumed");
	wait_progress_beyond(paused_at + 2, 20000);
	op_expect(&c, OP_RESUME, CELLVM__STATUS__STATUS_OK, "already running");

	/* Graceful shutdown: the probe does not handle Ctrl-Alt-Del, so the
	 * VM is stopped when the timeout passes. */
	r = call_op(&c, OP_SHUTDOWN, 300);
	expect_status(r, CELLVM__STATUS__STATUS_OK, "Ctrl-Alt-Del");
	int code = vmrun_wait_exit(&vm, 10000);
	cr_assert_eq(code, EXIT_API_STOPPED, "exit %d%s", code, dump());
	cr_assert(strstr(vm.err, "did not shut down in time"), "%s", dump());
	cr_assert(strstr(vm.err, "cellvm[api-test] INFO"), "log lines carry the id%s", dump());
	cr_assert_neq(access(sock, F_OK), 0, "the socket file is removed at exit");
	api_client_close(&c);

	/* The metrics file: JSON lines, the last one written as the VM stopped. */
	size_t len = 0;
	char *text = (char *)test_read_file(metrics_path, &len);
	cr_assert_not_null(text);
	unsigned int lines = 0;
	char *last = NULL;
	for (char *p = text, *nl; (nl = memchr(p, '\n', len - (size_t)(p - text))); p = nl + 1) {
		struct json_object *j = NULL;
		char err[256];
		cr_assert_eq(api_json_parse(p, (size_t)(nl - p), &j, err, sizeof(err)), 0,
			     "line %u: %s", lines, err);
		json_object_put(j);
		last = p;
		lines++;
	}
	cr_assert_geq(lines, 3, "a line every 200 ms for several seconds, got %u", lines);
	cr_assert(strstr(last, "\"state\":\"STATE_STOPPING\""), "last line: %.300s", last);
	cr_assert(strstr(last, "\"io_out\":"), "%.300s", last);
	free(text);
}

Test(api, hostile_input_leaves_the_vm_running)
{
	struct env e = need_env();
	char cfg[1024], msg[256];
	struct api_client c, raw;
	uint64_t id;
	Cellvm__Reply *r;

	start_cellvm(&e, (const char *[]){ "--api-sock", sock, NULL });
	connect_api(&c);
	probe_config(cfg, sizeof(cfg), &e, "probe=progress probe.progress.ms=60000", NULL);
	expect_status(configure_json(&c, cfg), CELLVM__STATUS__STATUS_OK, NULL);
	op_expect(&c, OP_START, CELLVM__STATUS__STATUS_OK, NULL);
	cr_assert(vmrun_wait_for(&vm, PROGRESS "2 ", 20000), "no progress%s", dump());
	connect_api(&raw);

	/* Garbage payload in a well-formed frame. */
	uint8_t frame[12 + 8];
	api_frame_hdr_encode(frame, 8, 1);
	memcpy(frame + 12, "\xde\xad\xbe\xef\xff\xff\xff\xff", 8);
	cr_assert_eq(api_client_send(&raw, frame, sizeof(frame)), 0);
	cr_assert_eq(api_client_recv(&raw, &id, &r), 0);
	cr_assert_eq(id, 1);
	expect_status(r, CELLVM__STATUS__STATUS_BAD_FRAME, NULL);

	/* Unknown request type (field 99) and an unsupported version. */
	api_frame_hdr_encode(frame, 5, 2);
	memcpy(frame + 12, "\x08\x01\x98\x06\x05", 5);
	cr_assert_eq(api_client_send(&raw, frame, 17), 0);
	cr_assert_eq(api_client_recv(&raw, &id, &r), 0);
	expect_status(r, CELLVM__STATUS__STATUS_UNKNOWN_REQUEST, "unknown request type");
	api_frame_hdr_encode(frame, 2, 3);
	memcpy(frame + 12, "\x08\x09", 2);
	cr_assert_eq(api_client_send(&raw, frame, 14), 0);
	cr_assert_eq(api_client_recv(&raw, &id, &r), 0);
	expect_status(r, CELLVM__STATUS__STATUS_UNSUPPORTED_VERSION, "version 9");

	/* Oversized: refused at the header, the payload skipped. */
	size_t big = 300 * 1024;
	uint8_t *junk = calloc(1, big);
	api_frame_hdr_encode(frame, (uint32_t)big, 4);
	cr_assert_eq(api_client_send(&raw, frame, 12), 0);
	cr_assert_eq(api_client_recv(&raw, &id, &r), 0);
	expect_status(r, CELLVM__STATUS__STATUS_FRAME_TOO_LARGE, NULL);
	cr_assert_eq(api_client_send(&raw, junk, big), 0);
	free(junk);

	/* Requests in the wrong state, on the same connection. */
	op_expect(&raw, OP_START, CELLVM__STATUS__STATUS_WRONG_STATE, NULL);
	expect_status(configure_json(&raw, cfg), CELLVM__STATUS__STATUS_WRONG_STATE, NULL);
	op_expect(&raw, OP_INFO, CELLVM__STATUS__STATUS_OK, NULL);
	api_client_close(&raw);

	/* Truncated: a frame cut short, then the client hangs up. */
	connect_api(&raw);
	api_frame_hdr_encode(frame, 50, 5);
	cr_assert_eq(api_client_send(&raw, frame, 16), 0);
	shutdown(raw.fd, SHUT_WR);
	cr_assert_eq(api_client_recv(&raw, &id, &r), 0);
	snprintf(msg, sizeof(msg), "%s", r->message);
	expect_status(r, CELLVM__STATUS__STATUS_BAD_FRAME, "truncated");
	api_client_close(&raw);

	/* A client that vanishes mid-frame. */
	connect_api(&raw);
	cr_assert_eq(api_client_send(&raw, frame, 7), 0);
	api_client_close(&raw);

	/* The VM never noticed. */
	unsigned int before = progress_lines();
	wait_progress_beyond(before + 1, 20000);
	cr_assert_eq(state_of(&c), CELLVM__VM_STATE__STATE_RUNNING);
	op_expect(&c, OP_KILL, CELLVM__STATUS__STATUS_OK, NULL);
	int code = vmrun_wait_exit(&vm, 10000);
	cr_assert_eq(code, EXIT_API_STOPPED, "exit %d%s", code, dump());
	api_client_close(&c);
}

/* The number after " key=" in the guest's first line starting with prefix. */
static uint64_t probe_value(const char *prefix, const char *key)
{
	char line[1024];
	uint64_t v = 0;

	cr_assert(probe_line(vm.out ? vm.out : "", prefix, line, sizeof(line)), "no '%s' line%s",
		  prefix, dump());
	cr_assert(probe_key_u64(line, key, &v), "no %s= in '%s'", key, line);
	return v;
}

/* Device counters come from the device processes' shared pages. The
 * probe's blk scenario writes the whole disk, flushes, reads it all back,
 * then sends two reads past the end (IOERR), a GET_ID and one more read
 * of the last sector; rng asks for bytes; the progress scenario keeps the
 * VM up for the query. Both devices count before they answer, so once the
 * guest has printed its results the counters hold every request. */
Test(api, disk_metrics_follow_the_guests_io)
{
	const uint64_t disk_bytes = 8 * 1024 * 1024;
	struct env e = need_env();
	char img[400], cfg[2048], devices[600];
	struct api_client c;

	snprintf(img, sizeof(img), "%s/disk.img", tmpdir);
	cr_assert_eq(test_make_image(img, disk_bytes), 0);
	snprintf(devices, sizeof(devices),
		 ",\"drives\":[{\"path\":\"%s\",\"id\":\"d0\"}],\"rng\":{}", img);
	probe_config(cfg, sizeof(cfg), &e,
		     "probe=blk,rng,progress probe.blk.seed=7 probe.progress.ms=60000", devices);
	start_cellvm(&e, (const char *[]){ "--api-sock", sock, NULL });
	connect_api(&c);
	expect_status(configure_json(&c, cfg), CELLVM__STATUS__STATUS_OK, NULL);
	op_expect(&c, OP_START, CELLVM__STATUS__STATUS_OK, NULL);
	cr_assert(vmrun_wait_for(&vm, "PROBE rng ok ", 60000), "no rng result%s", dump());
	/* The rest of the line may still be on its way. */
	for (int waited = 0; !strchr(strstr(vm.out, "PROBE rng ok "), '\n'); waited += 10) {
		cr_assert_lt(waited, 10000, "the rng line never ended%s", dump());
		pump(10);
	}
	cr_assert_eq(probe_value("PROBE blk ok ", "sectors") * 512, disk_bytes, "%s", dump());
	uint64_t blk_requests = probe_value("PROBE blk ok ", "requests");
	uint64_t rng_requests = probe_value("PROBE rng ok ", "requests");
	uint64_t rng_bytes = probe_value("PROBE rng ok ", "bytes");

	Cellvm__Reply *r = call_op(&c, OP_METRICS, 0);
	cr_assert_eq(r->metrics->n_devices, 2);
	const Cellvm__DeviceMetrics *d = r->metrics->devices[0];
	cr_assert_str_eq(d->name, "blk0");
	cr_assert_not_null(d->process, "the device process is measured");
	cr_assert_gt(d->process->pid, 0);
	cr_assert_gt(d->process->rss_kib, 0);
	cr_assert(d->reported, "cellvm-blk keeps counters");
	cr_assert_eq(d->requests, blk_requests, "the guest sent %" PRIu64 ", blk0 counted %" PRIu64,
		     blk_requests, d->requests);
	cr_assert_eq(d->write_bytes, disk_bytes, "every byte written once: %" PRIu64,
		     d->write_bytes);
	cr_assert_geq(d->read_bytes, disk_bytes, "every byte read back: %" PRIu64, d->read_bytes);
	cr_assert_eq(d->errors, 2, "the two reads past the end: %" PRIu64, d->errors);

	d = r->metrics->devices[1];
	cr_assert_str_eq(d->name, "rng0");
	cr_assert(d->reported, "cellvm-rng keeps counters");
	cr_assert_eq(d->requests, rng_requests, "%" PRIu64 " vs %" PRIu64, d->requests,
		     rng_requests);
	cr_assert_eq(d->read_bytes, rng_bytes, "%" PRIu64 " vs %" PRIu64, d->read_bytes, rng_bytes);
	cr_assert_eq(d->write_bytes, 0);
	cr_assert_eq(d->errors, 0);
	cellvm__reply__free_unpacked(r, NULL);
	op_expect(&c, OP_KILL, CELLVM__STATUS__STATUS_OK, NULL);
	cr_assert_eq(vmrun_wait_exit(&vm, 10000), EXIT_API_STOPPED, "%s", dump());
	api_client_close(&c);
}

Test(api, failed_start_is_reported_and_can_be_retried)
{
	struct env e = need_env();
	char cfg[1024];
	struct api_client c;

	start_cellvm(&e, (const char *[]){ "--api-sock", sock, NULL });
	connect_api(&c);
	expect_status(configure_json(&c, "{\"boot_source\":{\"kernel\":\"/nonexistent/kernel\"}}"),
		      CELLVM__STATUS__STATUS_OK, NULL);
	op_expect(&c, OP_START, CELLVM__STATUS__STATUS_FAILED, "cannot read kernel");
	cr_assert_eq(state_of(&c), CELLVM__VM_STATE__STATE_CONFIGURED);
	probe_config(cfg, sizeof(cfg), &e, "probe=hello", NULL);
	expect_status(configure_json(&c, cfg), CELLVM__STATUS__STATUS_OK, NULL);
	op_expect(&c, OP_START, CELLVM__STATUS__STATUS_OK, NULL);
	/* The guest ends the VM itself: a clean exit. */
	int code = vmrun_wait_exit(&vm, 20000);
	cr_assert_eq(code, 0, "exit %d%s", code, dump());
	cr_assert(strstr(vm.out, "PROBE hello ok"), "%s", dump());
	api_client_close(&c);
}

Test(api, kill_before_start_exits)
{
	struct env e = need_env();
	struct api_client c;

	start_cellvm(&e, (const char *[]){ "--api-sock", sock, NULL });
	connect_api(&c);
	op_expect(&c, OP_KILL, CELLVM__STATUS__STATUS_OK, NULL);
	int code = vmrun_wait_exit(&vm, 10000);
	cr_assert_eq(code, EXIT_API_STOPPED, "exit %d%s", code, dump());
	cr_assert_neq(access(sock, F_OK), 0, "the socket file is removed");
	api_client_close(&c);
}

Test(api, run_serves_the_api_for_a_running_vm)
{
	struct env e = need_env();
	struct api_client c;

	start_cellvm(&e, (const char *[]){ "run", "--kernel", e.probe, "--mem", "64", "--cmdline",
					   "probe=progress probe.progress.ms=60000", "--api-sock",
					   sock, NULL });
	connect_api(&c);
	for (int i = 0; i < 100 && state_of(&c) != CELLVM__VM_STATE__STATE_RUNNING; i++)
		pump(50);
	Cellvm__Reply *r = call_op(&c, OP_INFO, 0);
	cr_assert_eq(r->info->state, CELLVM__VM_STATE__STATE_RUNNING, "%s", dump());
	cr_assert_str_eq(r->info->config->boot_source->kernel, e.probe);
	cr_assert_eq(r->info->config->machine->mem_mib, 64);
	cellvm__reply__free_unpacked(r, NULL);
	expect_status(configure_json(&c, "{\"boot_source\":{\"kernel\":\"k\"}}"),
		      CELLVM__STATUS__STATUS_WRONG_STATE, NULL);
	op_expect(&c, OP_PAUSE, CELLVM__STATUS__STATUS_OK, NULL);
	/* Shutdown of a paused VM resumes it first so the guest can react. */
	expect_status(call_op(&c, OP_SHUTDOWN, 200), CELLVM__STATUS__STATUS_OK, NULL);
	int code = vmrun_wait_exit(&vm, 10000);
	cr_assert_eq(code, EXIT_API_STOPPED, "exit %d%s", code, dump());
	api_client_close(&c);
}

Test(api, config_file_boots_without_an_api)
{
	struct env e = need_env();
	char cfg[1024], path[400];

	snprintf(path, sizeof(path), "%s/vm.json", tmpdir);
	probe_config(cfg, sizeof(cfg), &e, "probe=hello from-config-file", NULL);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(cfg, f);
	fclose(f);
	start_cellvm(&e, (const char *[]){ "--config-file", path, NULL });
	int code = vmrun_wait_exit(&vm, 20000);
	cr_assert_eq(code, 0, "exit %d%s", code, dump());
	cr_assert(strstr(vm.out, "PROBE hello ok cmdline=\"probe=hello from-config-file\""), "%s",
		  dump());
}

Test(api, bad_config_file_is_a_usage_error)
{
	struct env e = need_env();
	char path[400];

	snprintf(path, sizeof(path), "%s/bad.json", tmpdir);
	FILE *f = fopen(path, "w");
	fputs("{\n  \"machine\": { \"vcpus\": 2 },\n  \"boot_source\": { \"kernel\": 7 }\n}\n", f);
	fclose(f);
	start_cellvm(&e, (const char *[]){ "--config-file", path, NULL });
	int code = vmrun_wait_exit(&vm, 10000);
	cr_assert_eq(code, 2, "exit %d%s", code, dump());
	cr_assert(strstr(vm.err, "boot_source.kernel: expected a string"), "%s", dump());
}

Test(api, log_file_gets_the_logs)
{
	struct env e = need_env();
	char path[400];

	snprintf(path, sizeof(path), "%s/cellvm.log", tmpdir);
	start_cellvm(&e, (const char *[]){ "run", "--kernel", e.probe, "--mem", "64", "--cmdline",
					   "probe=hello", "--id", "logged", "--log-file", path,
					   NULL });
	int code = vmrun_wait_exit(&vm, 20000);
	cr_assert_eq(code, 0, "exit %d%s", code, dump());
	size_t len;
	char *log = (char *)test_read_file(path, &len);
	cr_assert_not_null(log);
	cr_assert(strstr(log, "cellvm[logged] INFO: VM started"), "%s", log);
	cr_assert(strstr(log, "debug-exit"), "%s", log);
	cr_assert_null(strstr(vm.err ? vm.err : "", "INFO"), "nothing on stderr%s", dump());
	free(log);
}

/* The core relays device processes' output into its own log, so with
 * --log-file their lines land in the file too, not on a stderr nobody
 * reads (a daemonized jail has /dev/null there), stamped like the core's.
 * The file starts out bigger than the 1 MiB image: a device appending to
 * it itself would get EFBIG from its sandbox's RLIMIT_FSIZE. */
Test(api, device_lines_go_to_the_log_file)
{
	static const char old[] = "2026-01-01T00:00:00.000000Z cellvm[old] INFO: an earlier run\n";
	struct env e = need_env();
	char path[400], img[400], disk[420];
	size_t prefill = 0;

	snprintf(path, sizeof(path), "%s/cellvm.log", tmpdir);
	snprintf(img, sizeof(img), "%s/disk.img", tmpdir);
	cr_assert_eq(test_make_image(img, 1024 * 1024), 0);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	for (; prefill <= 1024 * 1024; prefill += sizeof(old) - 1)
		cr_assert_geq(fputs(old, f), 0);
	cr_assert_eq(fclose(f), 0);
	snprintf(disk, sizeof(disk), "path=%s", img);
	start_cellvm(&e, (const char *[]){ "run", "--kernel", e.probe, "--mem", "64", "--cmdline",
					   "probe=blk", "--disk", disk, "--id", "devlog",
					   "--log-file", path, NULL });
	int code = vmrun_wait_exit(&vm, 30000);
	cr_assert_eq(code, 0, "exit %d%s", code, dump());
	cr_assert(strstr(vm.out, "PROBE blk ok "), "%s", dump());
	size_t len;
	char *log = (char *)test_read_file(path, &len);
	cr_assert_not_null(log);
	cr_assert_gt(len, prefill, "nothing was appended");
	const char *run = log + prefill; /* this run's lines */
	cr_assert(strstr(run, "cellvm[devlog] INFO: blk0: cellvm-blk: serving 2048 sectors"), "%s",
		  run);
	cr_assert(strstr(run, "cellvm[devlog] INFO: VM started"), "%s", run);
	/* Written inside the device's sandbox, where a file past the image's
	 * size takes no appends from it: the guest's read past the end, then
	 * the summary at exit, which the core collects as it stops the device. */
	cr_assert(strstr(run, "cellvm[devlog] INFO: blk0: cellvm-blk: queue 0: request type 0 "
			      "sector 2048 refused"), "%s", run);
	cr_assert(strstr(run, "cellvm[devlog] INFO: blk0: cellvm-blk: served "), "%s", run);
	/* Every device line came through the core: its timestamp
	 * ("2026-11-26T22:04:00.381973Z", 27 bytes), VM id, level and the
	 * device's name come first. */
	static const char prefix[] = " cellvm[devlog] INFO: blk0: ";
	for (const char *p = run; (p = strstr(p, "cellvm-blk:")); p++) {
		const char *bol = p;
		while (bol > run && bol[-1] != '\n')
			bol--;
		cr_assert(p - bol == 27 + (ptrdiff_t)strlen(prefix) &&
				  strncmp(bol + 27, prefix, strlen(prefix)) == 0,
			  "a device line without the core's prefix: %.*s", (int)(p - bol) + 12, bol);
	}
	cr_assert_null(strstr(vm.err ? vm.err : "", "cellvm-blk:"), "the device's lines went to "
		       "stderr%s", dump());
	free(log);
}

/* ---- cellctl ---- */

struct cmd_result {
	int code;
	char out[16384];
	char err[4096];
};

static void run_cellctl(const struct env *e, struct cmd_result *res, const char *const *args)
{
	char tool[PATH_MAX], *argv[16];
	int n = 0, po[2], pe[2];

	snprintf(tool, sizeof(tool), "%s/cellctl", e->bin_dir);
	cr_assert_eq(access(tool, X_OK), 0, "%s: %s", tool, strerror(errno));
	argv[n++] = tool;
	for (; *args; args++)
		argv[n++] = (char *)*args;
	argv[n] = NULL;
	cr_assert_eq(pipe(po), 0);
	cr_assert_eq(pipe(pe), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(po[1], 1);
		dup2(pe[1], 2);
		execv(tool, argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	size_t ol = 0, el = 0;
	ssize_t k;
	while ((k = read(po[0], res->out + ol, sizeof(res->out) - 1 - ol)) > 0)
		ol += (size_t)k;
	while ((k = read(pe[0], res->err + el, sizeof(res->err) - 1 - el)) > 0)
		el += (size_t)k;
	res->out[ol] = res->err[el] = '\0';
	close(po[0]);
	close(pe[0]);
	int ws;
	waitpid(pid, &ws, 0);
	res->code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

Test(api, cellctl_commands_and_errors)
{
	struct env e = need_env();
	static struct cmd_result res;
	char cfg[1024], cfg_path[400];
	struct api_client c;

	/* No cellvm at all. */
	run_cellctl(&e, &res, (const char *[]){ "--sock", sock, "status", NULL });
	cr_assert_eq(res.code, 3, "%s", res.err);
	cr_assert(strstr(res.err, "no socket there"), "%s", res.err);
	run_cellctl(&e, &res, (const char *[]){ "--sock", sock, "frobnicate", NULL });
	cr_assert_eq(res.code, 2);

	start_cellvm(&e, (const char *[]){ "--api-sock", sock, "--id", "ctl", NULL });
	connect_api(&c);
	api_client_close(&c);
	run_cellctl(&e, &res, (const char *[]){ "--sock", sock, "pause", NULL });
	cr_assert_eq(res.code, 1, "%s", res.err);
	cr_assert(strstr(res.err, "pause: wrong state"), "%s", res.err);

	snprintf(cfg_path, sizeof(cfg_path), "%s/vm.json", tmpdir);
	probe_config(cfg, sizeof(cfg), &e, "probe=progress probe.progress.ms=60000", NULL);
	FILE *f = fopen(cfg_path, "w");
	fputs(cfg, f);
	fclose(f);
	run_cellctl(&e, &res, (const char *[]){ "--sock", sock, "configure", cfg_path, NULL });
	cr_assert_eq(res.code, 0, "%s", res.err);
	run_cellctl(&e, &res, (const char *[]){ "--sock", sock, "config", NULL });
	cr_assert_eq(res.code, 0, "%s", res.err);
	cr_assert(strstr(res.out, "\"boot_source\""), "%s", res.out);
	cr_assert(strstr(res.out, "probe.progress.ms=60000"), "%s", res.out);
	run_cellctl(&e, &res, (const char *[]){ "--sock", sock, "start", NULL });
	cr_assert_eq(res.code, 0, "%s", res.err);
	cr_assert(strstr(res.out, "started"), "%s", res.out);

	run_cellctl(&e, &res, (const char *[]){ "--sock", sock, "status", NULL });
	cr_assert_eq(res.code, 0, "%s", res.err);
	cr_assert(strstr(res.out, "state:     running"), "%s", res.out);
	cr_assert(strstr(res.out, "id:        ctl"), "%s", res.out);
	run_cellctl(&e, &res, (const char *[]){ "--sock", sock, "--json", "status", NULL });
	cr_assert_eq(res.code, 0, "%s", res.err);
	cr_assert(strstr(res.out, "\"state\":\"STATE_RUNNING\""), "%s", res.out);
	run_cellctl(&e, &res, (const char *[]){ "--sock", sock, "metrics", NULL });
	cr_assert_eq(res.code, 0, "%s", res.err);
	cr_assert(strstr(res.out, "vcpu 0") && strstr(res.out, "io_out"), "%s", res.out);
	run_cellctl(&e, &res, (const char *[]){ "--sock", sock, "--json", "metrics", NULL });
	cr_assert_eq(res.code, 0, "%s", res.err);
	cr_assert(strstr(res.out, "\"io_out\":"), "%s", res.out);
	run_cellctl(&e, &res, (const char *[]){ "--sock", sock, "configure", cfg_path, NULL });
	cr_assert_eq(res.code, 1);
	cr_assert(strstr(res.err, "wrong state"), "%s", res.err);
	run_cellctl(&e, &res, (const char *[]){ "--sock", sock, "pause", NULL });
	cr_assert_eq(res.code, 0, "%s", res.err);
	run_cellctl(&e, &res, (const char *[]){ "--sock", sock, "resume", NULL });
	cr_assert_eq(res.code, 0, "%s", res.err);
	run_cellctl(&e, &res, (const char *[]){ "--sock", sock, "kill", NULL });
	cr_assert_eq(res.code, 0, "%s", res.err);
	int code = vmrun_wait_exit(&vm, 10000);
	cr_assert_eq(code, EXIT_API_STOPPED, "exit %d%s", code, dump());
	run_cellctl(&e, &res, (const char *[]){ "--sock", sock, "status", NULL });
	cr_assert_eq(res.code, 3, "%s", res.err);
}
