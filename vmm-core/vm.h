/* The virtual machine: KVM fds, guest memory, buses, legacy devices and
 * vCPU threads. Owned by main; every thread reaches it through a pointer. */
#ifndef CELLVM_VM_H
#define CELLVM_VM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/kvm.h>

#include "bus.h"
#include "guest_mem.h"
#include "kvm_stats.h"
#include "layout.h"
#include "vcpu_gate.h"
#include "vm_stop.h"
#include "devices/legacy.h"
#include "devices/serial.h"

struct vm;

/* Why a vCPU left KVM_RUN, for the per-vCPU exit metrics. */
enum vcpu_exit_kind {
	VCPU_EXIT_IO_IN, VCPU_EXIT_IO_OUT, VCPU_EXIT_MMIO_READ, VCPU_EXIT_MMIO_WRITE,
	VCPU_EXIT_INTERRUPTED, VCPU_EXIT_HLT, VCPU_EXIT_SHUTDOWN, VCPU_EXIT_SYSTEM_EVENT,
	VCPU_EXIT_INTERNAL_ERROR, VCPU_EXIT_FAIL_ENTRY, VCPU_EXIT_OTHER,
	VCPU_EXIT_KINDS
};

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
	/* Written only by the vCPU's own thread, read by anyone with relaxed
	 * atomics: counting costs a plain increment, not a locked one. */
	uint64_t exits[VCPU_EXIT_KINDS];
	struct kvm_stats stats;
};

struct vm {
	int kvm_fd;
	int vm_fd;
	size_t run_size;
	struct guest_mem mem;
	struct bus pio;
	struct bus mmio;
	struct vm_stop stop;
	struct vcpu_gate gate;
	bool gate_ready;
	unsigned int ncpus;
	struct vcpu vcpus[MAX_VCPUS];
	struct kvm_cpuid2 *cpuid;

	struct serial serial;
	int serial_irq_fd;
	int i8042_irq_fd;
	struct i8042 i8042;
	struct debug_exit debug_exit;
	struct boot_timer boot_timer;
};

/* Opens /dev/kvm, creates the VM with its in-kernel IOAPIC/PIC/PIT and its
 * RAM. Errors are logged and returned as negative errno. */
int vm_create(struct vm *vm, uint64_t mem_bytes, unsigned int ncpus);
void vm_destroy(struct vm *vm);

/* Adds the core's legacy devices to the buses. */
int vm_add_legacy_devices(struct vm *vm, int serial_out_fd, bool boot_timer,
			  const struct timespec *launch_wall, const struct timespec *launch_cpu);

/* Creates and configures every vCPU (CPUID, MSRs, FPU, LAPIC). */
int vm_create_vcpus(struct vm *vm);

/* Stops every started vCPU outside KVM_RUN and returns once all are
 * parked: 0, -ETIMEDOUT (then nothing stays paused) or -ECANCELED (the VM
 * is stopping). vm_resume lets them run again. Called by the API thread. */
int vm_pause(struct vm *vm, int timeout_ms);
void vm_resume(struct vm *vm);
/* The VM is stopping: release parked vCPUs for good and kick every vCPU
 * out of KVM_RUN so the threads can be joined. */
void vm_release_vcpus(struct vm *vm);

#endif
