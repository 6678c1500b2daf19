/* A snapshot of the VM's metrics in plain C: per-vCPU exit counts (the
 * vCPU loop's and KVM's own), per-device counters from the device
 * processes' shared pages, and CPU time and memory of every process.
 * Collected on demand by the API thread and on a timer by the main
 * thread; api/api_convert.c turns it into the protobuf Metrics message. */
#ifndef CELLVM_METRICS_H
#define CELLVM_METRICS_H

#include <stdbool.h>
#include <stdint.h>

#include "dev_metrics.h"
#include "kvm_stats.h"
#include "proc_stats.h"
#include "vm.h"
#include "vm_config.h"

#define METRICS_MAX_KVM_STATS 64

struct vcpu_metrics {
	unsigned int id;
	uint64_t exits[VCPU_EXIT_KINDS];
	unsigned int nkvm;
	struct kvm_stat_value kvm[METRICS_MAX_KVM_STATS];
};

struct device_counter {
	const char *name;       /* static: from the device kind's table */
	uint64_t value;
};

struct device_metrics {
	char name[32];
	bool reported;          /* the device process keeps counters */
	uint64_t requests, read_bytes, write_bytes, errors;
	unsigned int ncounters; /* counters of the device's own kind */
	struct device_counter counters[DEV_METRICS_EXTRA];
	bool has_process;       /* false for an external vhost-user backend */
	unsigned int restarts;  /* the core respawned the device process */
	struct proc_usage proc;
};

struct api_counters {
	unsigned long connections;  /* updated with relaxed atomics */
	unsigned long requests;
	unsigned long errors;
};

struct metrics_snapshot {
	uint64_t timestamp_ms;
	uint64_t uptime_ms;
	int state;              /* enum vmm_state */
	struct proc_usage core;
	unsigned int nvcpus;
	struct vcpu_metrics vcpus[MAX_VCPUS];
	unsigned int ndevs;
	struct device_metrics devs[VM_MAX_DEVICES];
	struct api_counters api;
};

struct virtio_devices;

/* Fills the VM part (vCPUs, devices). The VM must stay alive meanwhile. */
void metrics_collect_vm(struct metrics_snapshot *s, struct vm *vm,
			const struct virtio_devices *vd);
/* Fills the process part: core usage, time stamps, API counters. */
void metrics_collect_process(struct metrics_snapshot *s, const struct timespec *launch_wall,
			     const struct api_counters *api);

#endif
