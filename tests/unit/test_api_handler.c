/* The request handler against a fake VMM: every request type, and every
 * way a payload can be wrong, gets a reply with the request's id and a
 * status a client can act on. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "api/api_handler.h"
#include "api_frame.h"
#include "api_msg.h"
#include "test_api_fake.h"

static struct fake_vmm fake;
static struct api_backend backend;

static void setup(void)
{
	fake_vmm_init(&fake, &backend);
}

TestSuite(api_handler, .init = setup);

/* Handles a raw payload and decodes the reply (checking the frame). */
static Cellvm__Reply *handle_raw(const void *payload, size_t len, uint64_t id)
{
	size_t flen = 0;
	uint8_t *f = api_handle_frame(&backend, id, payload, len, &flen);
	struct api_frame_hdr h;

	cr_assert_not_null(f);
	cr_assert_geq(flen, API_FRAME_HDR_LEN);
	api_frame_hdr_decode(f, &h);
	cr_assert_eq(h.id, id, "the reply echoes the request id");
	cr_assert_eq(h.len, flen - API_FRAME_HDR_LEN);
	Cellvm__Reply *r = cellvm__reply__unpack(NULL, h.len, f + API_FRAME_HDR_LEN);
	free(f);
	cr_assert_not_null(r, "the reply is a valid Reply");
	cr_assert_eq(r->version, API_PROTOCOL_VERSION);
	return r;
}

static Cellvm__Reply *handle(Cellvm__Request *req)
{
	size_t len = cellvm__request__get_packed_size(req);
	uint8_t *buf = malloc(len + 1);
	cellvm__request__pack(req, buf);
	Cellvm__Reply *r = handle_raw(buf, len, 77);
	free(buf);
	return r;
}

static void expect(Cellvm__Reply *r, Cellvm__Status st, const char *needle)
{
	cr_assert_eq(r->status, st, "status %s, expected %s: %s", api_status_name(r->status),
		     api_status_name(st), r->message);
	if (needle)
		cr_assert(strstr(r->message, needle), "message '%s' lacks '%s'", r->message, needle);
	cellvm__reply__free_unpacked(r, NULL);
}

#define SIMPLE(field, TYPE, CASE)                                             \
	static Cellvm__Reply *send_##field(void)                              \
	{                                                                     \
		Cellvm__Request req = CELLVM__REQUEST__INIT;                  \
		TYPE body = CELLVM__##CASE##_REQUEST__INIT;                   \
		req.version = 1;                                              \
		req.body_case = CELLVM__REQUEST__BODY_##CASE;                 \
		req.field = &body;                                            \
		return handle(&req);                                          \
	}
SIMPLE(start, Cellvm__StartRequest, START)
SIMPLE(pause, Cellvm__PauseRequest, PAUSE)
SIMPLE(resume, Cellvm__ResumeRequest, RESUME)
SIMPLE(kill, Cellvm__KillRequest, KILL)
SIMPLE(info, Cellvm__InfoRequest, INFO)
SIMPLE(metrics, Cellvm__MetricsRequest, METRICS)

static Cellvm__Reply *send_configure(const char *kernel, uint32_t vcpus, uint64_t mem)
{
	Cellvm__Request req = CELLVM__REQUEST__INIT;
	Cellvm__Config cfg = CELLVM__CONFIG__INIT;
	Cellvm__MachineConfig mc = CELLVM__MACHINE_CONFIG__INIT;
	Cellvm__BootSource bs = CELLVM__BOOT_SOURCE__INIT;

	mc.vcpus = vcpus;
	mc.mem_mib = mem;
	bs.kernel = (char *)kernel;
	cfg.machine = &mc;
	cfg.boot_source = &bs;
	req.version = 1;
	req.body_case = CELLVM__REQUEST__BODY_CONFIGURE;
	req.configure = &cfg;
	return handle(&req);
}

Test(api_handler, lifecycle)
{
	expect(send_configure("/k", 2, 256), CELLVM__STATUS__STATUS_OK, NULL);
	cr_assert_eq(fake.config.cpus, 2);
	cr_assert_eq(fake.config.mem_mib, 256);
	cr_assert_str_eq(fake.config.kernel, "/k");
	expect(send_start(), CELLVM__STATUS__STATUS_OK, NULL);
	expect(send_pause(), CELLVM__STATUS__STATUS_OK, NULL);
	cr_assert_eq(fake.state, VMM_PAUSED);
	expect(send_resume(), CELLVM__STATUS__STATUS_OK, NULL);
	cr_assert_eq(fake.state, VMM_RUNNING);
	expect(send_kill(), CELLVM__STATUS__STATUS_OK, NULL);
	cr_assert_eq(fake.state, VMM_STOPPING);
}

Test(api_handler, requests_in_the_wrong_state)
{
	expect(send_pause(), CELLVM__STATUS__STATUS_WRONG_STATE, "not configured");
	expect(send_resume(), CELLVM__STATUS__STATUS_WRONG_STATE, NULL);
	expect(send_start(), CELLVM__STATUS__STATUS_WRONG_STATE, NULL);
	expect(send_configure("/k", 1, 64), CELLVM__STATUS__STATUS_OK, NULL);
	expect(send_start(), CELLVM__STATUS__STATUS_OK, NULL);
	expect(send_configure("/k2", 1, 64), CELLVM__STATUS__STATUS_WRONG_STATE, "running");
	cr_assert_str_eq(fake.config.kernel, "/k", "a refused configure changes nothing");
	expect(send_start(), CELLVM__STATUS__STATUS_WRONG_STATE, NULL);
}

Test(api_handler, failed_start_is_failed_not_wrong_state)
{
	fake.fail_start = true;
	expect(send_configure("/k", 1, 64), CELLVM__STATUS__STATUS_OK, NULL);
	expect(send_start(), CELLVM__STATUS__STATUS_FAILED, "cannot read kernel");
}

Test(api_handler, invalid_configuration_never_reaches_the_vmm)
{
	expect(send_configure("/k", 33, 64), CELLVM__STATUS__STATUS_INVALID_ARGUMENT, "vcpus");
	expect(send_configure("/k", 1, 8), CELLVM__STATUS__STATUS_INVALID_ARGUMENT, "mem_mib");
	expect(send_configure("", 1, 64), CELLVM__STATUS__STATUS_INVALID_ARGUMENT, "kernel");
	expect(send_configure("/a\nb", 1, 64), CELLVM__STATUS__STATUS_INVALID_ARGUMENT, "control");
	cr_assert_eq(fake.calls, 0);
	cr_assert_eq(fake.state, VMM_NOT_CONFIGURED);
}

Test(api_handler, defaults_fill_zero_values)
{
	expect(send_configure("/k", 0, 0), CELLVM__STATUS__STATUS_OK, NULL);
	cr_assert_eq(fake.config.cpus, 1);
	cr_assert_eq(fake.config.mem_mib, VM_DEFAULT_MEM_MIB);
}

Test(api_handler, shutdown_timeouts)
{
	Cellvm__Request req = CELLVM__REQUEST__INIT;
	Cellvm__ShutdownRequest sd = CELLVM__SHUTDOWN_REQUEST__INIT;

	req.version = 1;
	req.body_case = CELLVM__REQUEST__BODY_SHUTDOWN;
	req.shutdown = &sd;
	expect(handle(&req), CELLVM__STATUS__STATUS_WRONG_STATE, "not configured");
	fake.state = VMM_RUNNING;
	expect(handle(&req), CELLVM__STATUS__STATUS_OK, NULL);
	cr_assert_eq(fake.last_shutdown_ms, API_SHUTDOWN_DEFAULT_MS);
	sd.timeout_ms = 250;
	expect(handle(&req), CELLVM__STATUS__STATUS_OK, NULL);
	cr_assert_eq(fake.last_shutdown_ms, 250);
	sd.timeout_ms = API_SHUTDOWN_MAX_MS + 1;
	expect(handle(&req), CELLVM__STATUS__STATUS_INVALID_ARGUMENT, "timeout_ms");
}

Test(api_handler, info_carries_state_config_and_device_pids)
{
	expect(send_configure("/k", 2, 64), CELLVM__STATUS__STATUS_OK, NULL);
	expect(send_start(), CELLVM__STATUS__STATUS_OK, NULL);
	Cellvm__Reply *r = send_info();
	cr_assert_eq(r->status, CELLVM__STATUS__STATUS_OK);
	cr_assert_eq(r->body_case, CELLVM__REPLY__BODY_INFO);
	cr_assert_eq(r->info->state, CELLVM__VM_STATE__STATE_RUNNING);
	cr_assert_str_eq(r->info->id, "fake");
	cr_assert_eq(r->info->protocol_version, API_PROTOCOL_VERSION);
	cr_assert_not_null(r->info->config);
	cr_assert_str_eq(r->info->config->boot_source->kernel, "/k");
	cr_assert_eq(r->info->config->machine->vcpus, 2);
	cr_assert_eq(r->info->n_devices, 1);
	cr_assert_eq(r->info->devices[0]->pid, 4242);
	cr_assert_str_eq(r->info->devices[0]->name, "blk0");
	cellvm__reply__free_unpacked(r, NULL);
}

Test(api_handler, metrics_body)
{
	Cellvm__Reply *r = send_metrics();
	cr_assert_eq(r->status, CELLVM__STATUS__STATUS_OK);
	cr_assert_eq(r->body_case, CELLVM__REPLY__BODY_METRICS);
	cr_assert_eq(r->metrics->n_vcpus, 1);
	cr_assert_eq(r->metrics->vcpus[0]->io_out, 17);
	cr_assert_eq(r->metrics->vcpus[0]->n_kvm, 1);
	cr_assert_str_eq(r->metrics->vcpus[0]->kvm[0]->name, "exits");
	cr_assert_eq(r->metrics->n_devices, 1);
	cr_assert(r->metrics->devices[0]->reported);
	cr_assert_eq(r->metrics->devices[0]->requests, 3);
	cr_assert_eq(r->metrics->devices[0]->process->pid, 4242);
	cr_assert_eq(r->metrics->core->rss_kib, 3000);
	cellvm__reply__free_unpacked(r, NULL);
}

Test(api_handler, unsupported_versions)
{
	Cellvm__Request req = CELLVM__REQUEST__INIT;
	Cellvm__InfoRequest info = CELLVM__INFO_REQUEST__INIT;

	req.body_case = CELLVM__REQUEST__BODY_INFO;
	req.info = &info;
	req.version = 0;
	expect(handle(&req), CELLVM__STATUS__STATUS_UNSUPPORTED_VERSION, "version 0");
	req.version = 2;
	expect(handle(&req), CELLVM__STATUS__STATUS_UNSUPPORTED_VERSION, "speaks version 1");
	cr_assert_eq(fake.calls, 0, "nothing runs for a version the server does not speak");
}

Test(api_handler, garbage_payloads)
{
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0x02 };
	/* Field 16 (configure) as a length-delimited field running past the end. */
	static const uint8_t truncated[] = { 0x08, 0x01, 0x82, 0x01, 0x40, 0x0a };
	/* Field 1 (version) with the wrong wire type (length-delimited). */
	static const uint8_t wrong_type[] = { 0x0a, 0x01, 0x00 };

	expect(handle_raw(garbage, sizeof(garbage), 1), CELLVM__STATUS__STATUS_BAD_FRAME, NULL);
	expect(handle_raw(truncated, sizeof(truncated), 2), CELLVM__STATUS__STATUS_BAD_FRAME, NULL);
	expect(handle_raw(wrong_type, sizeof(wrong_type), 3), CELLVM__STATUS__STATUS_BAD_FRAME, NULL);
	cr_assert_eq(fake.calls, 0);
}

Test(api_handler, unknown_and_missing_request_types)
{
	/* version 1, then field 99 (varint 5): a request from a newer client. */
	static const uint8_t unknown[] = { 0x08, 0x01, 0x98, 0x06, 0x05 };
	static const uint8_t empty_body[] = { 0x08, 0x01 };

	expect(handle_raw(unknown, sizeof(unknown), 4), CELLVM__STATUS__STATUS_UNKNOWN_REQUEST,
	       "field 99");
	expect(handle_raw(empty_body, sizeof(empty_body), 5),
	       CELLVM__STATUS__STATUS_UNKNOWN_REQUEST, "no operation");
	expect(handle_raw("", 0, 6), CELLVM__STATUS__STATUS_UNSUPPORTED_VERSION, NULL);
}

Test(api_handler, counters)
{
	expect(send_pause(), CELLVM__STATUS__STATUS_WRONG_STATE, NULL);
	expect(send_info(), CELLVM__STATUS__STATUS_OK, NULL);
	cr_assert_eq(fake.counters.requests, 2);
	cr_assert_eq(fake.counters.errors, 1);
}

Test(api_handler, error_frame)
{
	size_t len = 0;
	uint8_t *f = api_error_frame(NULL, 12, CELLVM__STATUS__STATUS_BUSY, "too many", &len);
	struct api_frame_hdr h;

	cr_assert_not_null(f);
	api_frame_hdr_decode(f, &h);
	cr_assert_eq(h.id, 12);
	Cellvm__Reply *r = cellvm__reply__unpack(NULL, h.len, f + API_FRAME_HDR_LEN);
	free(f);
	cr_assert_not_null(r);
	expect(r, CELLVM__STATUS__STATUS_BUSY, "too many");
}
