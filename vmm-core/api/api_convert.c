#include "api_convert.h"
#include "api_config.h"
#include "api_frame.h"

#include <stdlib.h>

const char *vmm_state_name(enum vmm_state s)
{
	switch (s) {
	case VMM_NOT_CONFIGURED: return "not configured";
	case VMM_CONFIGURED: return "configured";
	case VMM_STARTING: return "starting";
	case VMM_RUNNING: return "running";
	case VMM_PAUSED: return "paused";
	case VMM_STOPPING: return "stopping";
	default: return "unknown";
	}
}

Cellvm__Info *api_info_to_msg(const struct vmm_info *info)
{
	Cellvm__Info *m = api_msg_new(&cellvm__info__descriptor);

	if (!m)
		return NULL;
	m->id = api_strdup(info->id);
	m->vmm_version = api_strdup(CELLVM_VERSION);
	if (!m->id || !m->vmm_version)
		goto fail;
	m->pid = info->pid;
	m->state = (Cellvm__VmState)info->state;
	m->uptime_ms = info->uptime_ms;
	m->protocol_version = API_PROTOCOL_VERSION;
	if (info->configured && !(m->config = api_config_to_msg(&info->config)))
		goto fail;
	if (info->ndevs) {
		m->devices = calloc(info->ndevs, sizeof(*m->devices));
		if (!m->devices)
			goto fail;
	}
	for (unsigned int i = 0; i < info->ndevs; i++) {
		const struct vmm_device_info *d = &info->devs[i];
		Cellvm__DeviceInfo *dm = api_msg_new(&cellvm__device_info__descriptor);
		if (!dm)
			goto fail;
		m->devices[m->n_devices++] = dm;
		if (!(dm->name = api_strdup(d->name)))
			goto fail;
		dm->virtio_id = d->virtio_id;
		dm->pid = d->pid;
		dm->mmio_base = d->mmio_base;
		dm->irq = d->irq;
		dm->backend_alive = d->alive;
		dm->restarts = d->restarts;
		if (!(dm->last_exit_status = api_strdup(d->last_exit)))
			goto fail;
	}
	return m;
fail:
	cellvm__info__free_unpacked(m, NULL);
	return NULL;
}

static Cellvm__ProcessMetrics *process_msg(const struct proc_usage *u)
{
	Cellvm__ProcessMetrics *p = api_msg_new(&cellvm__process_metrics__descriptor);

	if (!p)
		return NULL;
	p->pid = u->pid;
	p->cpu_user_us = u->cpu_user_us;
	p->cpu_sys_us = u->cpu_sys_us;
	p->rss_kib = u->rss_kib;
	p->pss_kib = u->pss_kib;
	return p;
}

static Cellvm__VcpuMetrics *vcpu_msg(const struct vcpu_metrics *v)
{
	Cellvm__VcpuMetrics *m = api_msg_new(&cellvm__vcpu_metrics__descriptor);

	if (!m)
		return NULL;
	m->vcpu = v->id;
	m->io_in = v->exits[VCPU_EXIT_IO_IN];
	m->io_out = v->exits[VCPU_EXIT_IO_OUT];
	m->mmio_read = v->exits[VCPU_EXIT_MMIO_READ];
	m->mmio_write = v->exits[VCPU_EXIT_MMIO_WRITE];
	m->interrupted = v->exits[VCPU_EXIT_INTERRUPTED];
	m->hlt = v->exits[VCPU_EXIT_HLT];
	m->shutdown = v->exits[VCPU_EXIT_SHUTDOWN];
	m->system_event = v->exits[VCPU_EXIT_SYSTEM_EVENT];
	m->internal_error = v->exits[VCPU_EXIT_INTERNAL_ERROR];
	m->fail_entry = v->exits[VCPU_EXIT_FAIL_ENTRY];
	m->other = v->exits[VCPU_EXIT_OTHER];
	if (v->nkvm) {
		m->kvm = calloc(v->nkvm, sizeof(*m->kvm));
		if (!m->kvm)
			goto fail;
	}
	for (unsigned int i = 0; i < v->nkvm; i++) {
		Cellvm__KvmStat *st = api_msg_new(&cellvm__kvm_stat__descriptor);
		if (!st)
			goto fail;
		m->kvm[m->n_kvm++] = st;
		if (!(st->name = api_strdup(v->kvm[i].name)))
			goto fail;
		st->value = v->kvm[i].value;
	}
	return m;
fail:
	cellvm__vcpu_metrics__free_unpacked(m, NULL);
	return NULL;
}

static Cellvm__DeviceMetrics *device_msg(const struct device_metrics *d)
{
	Cellvm__DeviceMetrics *m = api_msg_new(&cellvm__device_metrics__descriptor);

	if (!m)
		return NULL;
	if (!(m->name = api_strdup(d->name)))
		goto fail;
	m->reported = d->reported;
	m->requests = d->requests;
	m->read_bytes = d->read_bytes;
	m->write_bytes = d->write_bytes;
	m->errors = d->errors;
	m->restarts = d->restarts;
	if (d->has_process && !(m->process = process_msg(&d->proc)))
		goto fail;
	if (d->ncounters && !(m->counters = calloc(d->ncounters, sizeof(*m->counters))))
		goto fail;
	for (unsigned int i = 0; i < d->ncounters; i++) {
		Cellvm__Counter *c = api_msg_new(&cellvm__counter__descriptor);
		if (!c)
			goto fail;
		m->counters[m->n_counters++] = c;
		if (!(c->name = api_strdup(d->counters[i].name)))
			goto fail;
		c->value = d->counters[i].value;
	}
	return m;
fail:
	cellvm__device_metrics__free_unpacked(m, NULL);
	return NULL;
}

Cellvm__Metrics *api_metrics_to_msg(const struct metrics_snapshot *s)
{
	Cellvm__Metrics *m = api_msg_new(&cellvm__metrics__descriptor);

	if (!m)
		return NULL;
	m->timestamp_ms = s->timestamp_ms;
	m->uptime_ms = s->uptime_ms;
	m->state = (Cellvm__VmState)s->state;
	if (!(m->core = process_msg(&s->core)))
		goto fail;
	if (!(m->api = api_msg_new(&cellvm__api_metrics__descriptor)))
		goto fail;
	m->api->connections = s->api.connections;
	m->api->requests = s->api.requests;
	m->api->errors = s->api.errors;
	if (s->nvcpus && !(m->vcpus = calloc(s->nvcpus, sizeof(*m->vcpus))))
		goto fail;
	for (unsigned int i = 0; i < s->nvcpus; i++) {
		if (!(m->vcpus[m->n_vcpus] = vcpu_msg(&s->vcpus[i])))
			goto fail;
		m->n_vcpus++;
	}
	if (s->ndevs && !(m->devices = calloc(s->ndevs, sizeof(*m->devices))))
		goto fail;
	for (unsigned int i = 0; i < s->ndevs; i++) {
		if (!(m->devices[m->n_devices] = device_msg(&s->devs[i])))
			goto fail;
		m->n_devices++;
	}
	return m;
fail:
	cellvm__metrics__free_unpacked(m, NULL);
	return NULL;
}
