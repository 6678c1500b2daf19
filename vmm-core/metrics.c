#include "metrics.h"
#include "virtio/devices.h"
#include "net_counters.h"
#include "vsock_counters.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Names of a device type's extra counters (dev_metrics.h), if it has any. */
static const char *const *device_counter_names(uint32_t virtio_id, unsigned int *n)
{
	switch (virtio_id) {
	case VIRTIO_ID_VSOCK:
		*n = VSOCK_CTR_COUNT;
		return vsock_counter_names;
	case VIRTIO_ID_NET:
		*n = NET_CTR_COUNT;
		return net_counter_names;
	default:
		*n = 0;
		return NULL;
	}
}

void metrics_collect_vm(struct metrics_snapshot *s, struct vm *vm,
			const struct virtio_devices *vd)
{
	s->nvcpus = vm->ncpus;
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		struct vcpu_metrics *m = &s->vcpus[i];
		struct vcpu *v = &vm->vcpus[i];
		m->id = i;
		for (unsigned int k = 0; k < VCPU_EXIT_KINDS; k++)
			m->exits[k] = __atomic_load_n(&v->exits[k], __ATOMIC_RELAXED);
		int n = kvm_stats_read(&v->stats, m->kvm, METRICS_MAX_KVM_STATS);
		m->nkvm = n > 0 ? (unsigned int)n : 0;
	}
	s->ndevs = vd ? vd->n : 0;
	for (unsigned int i = 0; i < s->ndevs; i++) {
		const struct vu_device *d = &vd->dev[i];
		const struct dev_metrics *page = vd->metrics[i];
		struct device_metrics *m = &s->devs[i];
		memset(m, 0, sizeof(*m));
		snprintf(m->name, sizeof(m->name), "%s", d->name);
		m->restarts = atomic_load(&d->restarts);
		if (page && __atomic_load_n(&page->attached, __ATOMIC_ACQUIRE)) {
			m->reported = true;
			m->requests = dev_metrics_get(&page->requests);
			m->read_bytes = dev_metrics_get(&page->read_bytes);
			m->write_bytes = dev_metrics_get(&page->write_bytes);
			m->errors = dev_metrics_get(&page->errors);
			unsigned int n;
			const char *const *names = device_counter_names(d->virtio_id, &n);
			for (unsigned int k = 0; k < n && k < DEV_METRICS_EXTRA; k++)
				m->counters[m->ncounters++] = (struct device_counter){
					names[k], dev_metrics_get(&page->extra[k]) };
		}
		/* The main thread clears the pid when it reaps the process. */
		pid_t pid = __atomic_load_n(&d->proc.pid, __ATOMIC_RELAXED);
		if (pid > 0 && proc_usage_read(pid, &m->proc) == 0)
			m->has_process = true;
	}
}

void metrics_collect_process(struct metrics_snapshot *s, const struct timespec *launch_wall,
			     const struct api_counters *api)
{
	struct timespec now, wall;

	clock_gettime(CLOCK_MONOTONIC, &now);
	clock_gettime(CLOCK_REALTIME, &wall);
	s->timestamp_ms = (uint64_t)wall.tv_sec * 1000 + (uint64_t)wall.tv_nsec / 1000000;
	s->uptime_ms = (uint64_t)((now.tv_sec - launch_wall->tv_sec) * 1000 +
				  (now.tv_nsec - launch_wall->tv_nsec) / 1000000);
	proc_usage_read(0, &s->core);
	if (api) {
		s->api.connections = __atomic_load_n(&api->connections, __ATOMIC_RELAXED);
		s->api.requests = __atomic_load_n(&api->requests, __ATOMIC_RELAXED);
		s->api.errors = __atomic_load_n(&api->errors, __ATOMIC_RELAXED);
	}
}
