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
#include "layout.h"
#include "vm_stop.h"
#include "devices/legacy.h"
#include "devices/serial.h"

struct vm;

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool thread_started;
};

struct vm {
	int kvm_fd;
	int vm_fd;
	size_t run_size;
	struct guest_mem mem;
	struct bus pio;
	struct bus mmio;
	struct vm_stop stop;
	unsigned int ncpus;
	struct vcpu vcpus[MAX_VCPUS];
	struct kvm_cpuid2 *cpuid;

	struct serial serial;
	int serial_irq_fd;
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

#endif
