#include "test_api_fake.h"

#include <stdio.h>
#include <string.h>

#define REPLY(...) snprintf(msg, len, __VA_ARGS__)

static enum api_rc fake_configure(void *ctx, const struct vm_config *cfg, char *msg, size_t len)
{
	struct fake_vmm *f = ctx;

	f->calls++;
	if (f->state != VMM_NOT_CONFIGURED && f->state != VMM_CONFIGURED) {
		REPLY("cannot configure: the VM is %s", vmm_state_name(f->state));
		return API_RC_WRONG_STATE;
	}
	f->config = *cfg;
	f->configured = true;
	f->state = VMM_CONFIGURED;
	REPLY("configured");
	return API_RC_OK;
}

static enum api_rc fake_start(void *ctx, char *msg, size_t len)
{
	struct fake_vmm *f = ctx;

	f->calls++;
	if (f->state != VMM_CONFIGURED) {
		REPLY("cannot start: the VM is %s", vmm_state_name(f->state));
		return API_RC_WRONG_STATE;
	}
	if (f->fail_start) {
		REPLY("start failed: cannot read kernel");
		return API_RC_FAILED;
	}
	f->state = VMM_RUNNING;
	REPLY("started");
	return API_RC_OK;
}

static enum api_rc fake_pause(void *ctx, char *msg, size_t len)
{
	struct fake_vmm *f = ctx;

	f->calls++;
	if (f->state != VMM_RUNNING && f->state != VMM_PAUSED) {
		REPLY("cannot pause: the VM is %s", vmm_state_name(f->state));
		return API_RC_WRONG_STATE;
	}
	f->state = VMM_PAUSED;
	REPLY("paused");
	return API_RC_OK;
}

static enum api_rc fake_resume(void *ctx, char *msg, size_t len)
{
	struct fake_vmm *f = ctx;

	f->calls++;
	if (f->state != VMM_RUNNING && f->state != VMM_PAUSED) {
		REPLY("cannot resume: the VM is %s", vmm_state_name(f->state));
		return API_RC_WRONG_STATE;
	}
	f->state = VMM_RUNNING;
	REPLY("resumed");
	return API_RC_OK;
}

static enum api_rc fake_shutdown(void *ctx, unsigned int timeout_ms, char *msg, size_t len)
{
	struct fake_vmm *f = ctx;

	f->calls++;
	if (f->state != VMM_RUNNING && f->state != VMM_PAUSED) {
		REPLY("cannot shut down: the VM is %s", vmm_state_name(f->state));
		return API_RC_WRONG_STATE;
	}
	f->last_shutdown_ms = timeout_ms;
	REPLY("shutting down");
	return API_RC_OK;
}

static enum api_rc fake_kill(void *ctx, char *msg, size_t len)
{
	struct fake_vmm *f = ctx;

	f->calls++;
	f->state = VMM_STOPPING;
	REPLY("stopping");
	return API_RC_OK;
}

static enum api_rc fake_info(void *ctx, struct vmm_info *out)
{
	struct fake_vmm *f = ctx;

	f->calls++;
	out->id = "fake";
	out->pid = 42;
	out->state = f->state;
	out->configured = f->configured;
	if (f->configured)
		out->config = f->config;
	if (f->state == VMM_RUNNING || f->state == VMM_PAUSED) {
		out->ndevs = 1;
		snprintf(out->devs[0].name, sizeof(out->devs[0].name), "blk0");
		out->devs[0].virtio_id = 2;
		out->devs[0].pid = 4242;
		out->devs[0].mmio_base = 0xd0000000;
		out->devs[0].irq = 5;
		out->devs[0].alive = true;
	}
	out->uptime_ms = 1234;
	return API_RC_OK;
}

static enum api_rc fake_metrics(void *ctx, struct metrics_snapshot *out)
{
	struct fake_vmm *f = ctx;

	f->calls++;
	out->state = (int)f->state;
	out->uptime_ms = 1234;
	out->core.pid = 42;
	out->core.rss_kib = 3000;
	out->nvcpus = 1;
	out->vcpus[0].exits[VCPU_EXIT_IO_OUT] = 17;
	out->vcpus[0].nkvm = 1;
	snprintf(out->vcpus[0].kvm[0].name, sizeof(out->vcpus[0].kvm[0].name), "exits");
	out->vcpus[0].kvm[0].value = 99;
	out->ndevs = 1;
	snprintf(out->devs[0].name, sizeof(out->devs[0].name), "blk0");
	out->devs[0].reported = true;
	out->devs[0].requests = 3;
	out->devs[0].read_bytes = 1536;
	out->devs[0].has_process = true;
	out->devs[0].proc.pid = 4242;
	out->api = f->counters;
	return API_RC_OK;
}

const struct api_backend_ops fake_vmm_ops = {
	.configure = fake_configure,
	.start = fake_start,
	.pause = fake_pause,
	.resume = fake_resume,
	.shutdown = fake_shutdown,
	.kill = fake_kill,
	.info = fake_info,
	.metrics = fake_metrics,
};

void fake_vmm_init(struct fake_vmm *f, struct api_backend *b)
{
	memset(f, 0, sizeof(*f));
	f->state = VMM_NOT_CONFIGURED;
	b->ops = &fake_vmm_ops;
	b->ctx = f;
	b->counters = &f->counters;
}
