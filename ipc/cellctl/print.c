#include "cellctl.h"
#include "api_json.h"
#include "api_msg.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>

static const char *virtio_name(uint32_t id)
{
	switch (id) {
	case 2: return "virtio-blk";
	case 4: return "virtio-rng";
	default: return "virtio-?";
	}
}

int cellctl_print_json(FILE *f, const ProtobufCMessage *m)
{
	struct json_object *j = api_json_from_msg(m);

	if (!j)
		return -1;
	fprintf(f, "%s\n",
		json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
	return 0;
}

static void print_config(FILE *f, const Cellvm__Config *c)
{
	if (c->machine)
		fprintf(f, "machine:   %u vCPU%s, %" PRIu64 " MiB\n", c->machine->vcpus,
			c->machine->vcpus == 1 ? "" : "s", c->machine->mem_mib);
	if (c->boot_source) {
		fprintf(f, "kernel:    %s\n", c->boot_source->kernel);
		if (c->boot_source->initrd[0])
			fprintf(f, "initrd:    %s\n", c->boot_source->initrd);
		fprintf(f, "cmdline:   %s\n", c->boot_source->cmdline[0] ? c->boot_source->cmdline :
									"(default)");
	}
	for (size_t i = 0; i < c->n_drives; i++)
		fprintf(f, "drive:     %s%s%s%s\n", c->drives[i]->path,
			c->drives[i]->read_only ? " (read-only)" : "",
			c->drives[i]->id[0] ? " id=" : "", c->drives[i]->id);
	if (c->rng)
		fprintf(f, "rng:       yes\n");
	for (size_t i = 0; i < c->n_vhost_user; i++)
		fprintf(f, "vhost-user: %s at %s\n", c->vhost_user[i]->type,
			c->vhost_user[i]->socket);
}

void cellctl_print_info(FILE *f, const Cellvm__Info *info)
{
	fprintf(f, "state:     %s\n", api_state_name(info->state));
	fprintf(f, "id:        %s\n", info->id);
	fprintf(f, "pid:       %d\n", info->pid);
	fprintf(f, "uptime:    %" PRIu64 ".%03" PRIu64 " s\n", info->uptime_ms / 1000,
		info->uptime_ms % 1000);
	fprintf(f, "version:   cellvm %s, API v%u\n", info->vmm_version, info->protocol_version);
	if (info->config)
		print_config(f, info->config);
	else
		fprintf(f, "config:    none yet\n");
	for (size_t i = 0; i < info->n_devices; i++) {
		const Cellvm__DeviceInfo *d = info->devices[i];
		fprintf(f, "device:    %-6s %-10s at 0x%" PRIx64 " irq %u, ", d->name,
			virtio_name(d->virtio_id), d->mmio_base, d->irq);
		if (d->pid)
			fprintf(f, "pid %d, ", d->pid);
		else
			fprintf(f, "external backend, ");
		fprintf(f, "%s", d->backend_alive ? "alive" : "backend gone");
		if (d->restarts)
			fprintf(f, ", restarted %u time%s", d->restarts, d->restarts == 1 ? "" : "s");
		if (d->last_exit_status && d->last_exit_status[0])
			fprintf(f, ", last ended by %s", d->last_exit_status);
		fprintf(f, "\n");
	}
}

static void print_process(FILE *f, const Cellvm__ProcessMetrics *p)
{
	fprintf(f, "pid %d, cpu %" PRIu64 ".%03" PRIu64 " ms user + %" PRIu64 ".%03" PRIu64
		   " ms sys, rss %" PRIu64 " KiB, pss %" PRIu64 " KiB",
		p->pid, p->cpu_user_us / 1000, p->cpu_user_us % 1000, p->cpu_sys_us / 1000,
		p->cpu_sys_us % 1000, p->rss_kib, p->pss_kib);
}

/* KVM counters worth a glance; the rest are in --json. */
static bool kvm_stat_shown(const char *name)
{
	static const char *const shown[] = { "exits", "io_exits", "mmio_exits", "halt_exits",
					     "irq_exits", "signal_exits", "irq_injections" };
	for (size_t i = 0; i < sizeof(shown) / sizeof(shown[0]); i++)
		if (strcmp(name, shown[i]) == 0)
			return true;
	return false;
}

void cellctl_print_metrics(FILE *f, const Cellvm__Metrics *m)
{
	fprintf(f, "state:     %s, uptime %" PRIu64 ".%03" PRIu64 " s\n", api_state_name(m->state),
		m->uptime_ms / 1000, m->uptime_ms % 1000);
	if (m->core) {
		fprintf(f, "core:      ");
		print_process(f, m->core);
		fprintf(f, "\n");
	}
	for (size_t i = 0; i < m->n_vcpus; i++) {
		const Cellvm__VcpuMetrics *v = m->vcpus[i];
		fprintf(f, "vcpu %-4u  exits: io_in %" PRIu64 ", io_out %" PRIu64 ", mmio_read %" PRIu64
			   ", mmio_write %" PRIu64 ", interrupted %" PRIu64 ", hlt %" PRIu64
			   ", other %" PRIu64 "\n",
			v->vcpu, v->io_in, v->io_out, v->mmio_read, v->mmio_write, v->interrupted,
			v->hlt, v->other + v->shutdown + v->system_event + v->internal_error +
					v->fail_entry);
		bool first = true;
		for (size_t k = 0; k < v->n_kvm; k++) {
			if (!kvm_stat_shown(v->kvm[k]->name))
				continue;
			fprintf(f, "%s%s %" PRIu64, first ? "           kvm: " : ", ", v->kvm[k]->name,
				v->kvm[k]->value);
			first = false;
		}
		if (!first)
			fprintf(f, "\n");
	}
	for (size_t i = 0; i < m->n_devices; i++) {
		const Cellvm__DeviceMetrics *d = m->devices[i];
		fprintf(f, "device %-4s ", d->name);
		if (d->reported)
			fprintf(f, "requests %" PRIu64 ", read %" PRIu64 " B, written %" PRIu64
				   " B, errors %" PRIu64 "\n",
				d->requests, d->read_bytes, d->write_bytes, d->errors);
		else
			fprintf(f, "keeps no counters\n");
		for (size_t k = 0; k < d->n_counters; k++)
			fprintf(f, "%s%s %" PRIu64, k == 0 ? "           " : (k % 4 ? ", " : ",\n           "),
				d->counters[k]->name, d->counters[k]->value);
		if (d->n_counters)
			fprintf(f, "\n");
		if (d->process) {
			fprintf(f, "           ");
			print_process(f, d->process);
			fprintf(f, "\n");
		}
	}
	if (m->api)
		fprintf(f, "api:       %" PRIu64 " connections, %" PRIu64 " requests, %" PRIu64
			   " errors\n",
			m->api->connections, m->api->requests, m->api->errors);
}
