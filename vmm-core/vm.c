#include "vm.h"
#include "cpuid.h"
#include "log.h"
#include "vcpu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Three pages Intel VMX needs for its real-mode TSS and identity map, put
 * just below the BIOS area at the top of the 32-bit space, out of RAM. */
#define KVM_TSS_ADDR          0xfffbd000UL
#define KVM_IDENTITY_MAP_ADDR 0xfffbc000ULL

static int kvm_check_caps(int kvm_fd)
{
	static const struct { int cap; const char *name; } required[] = {
		{ KVM_CAP_IRQCHIP, "IRQCHIP" },
		{ KVM_CAP_PIT2, "PIT2" },
		{ KVM_CAP_IRQFD, "IRQFD" },
		{ KVM_CAP_IOEVENTFD, "IOEVENTFD" },
		{ KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT" },
		{ KVM_CAP_USER_MEMORY, "USER_MEMORY" },
		{ KVM_CAP_SET_TSS_ADDR, "SET_TSS_ADDR" },
	};

	for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
		if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, required[i].cap) <= 0) {
			log_error("KVM lacks the required capability KVM_CAP_%s", required[i].name);
			return -ENOTSUP;
		}
	}
	return 0;
}

static int vm_map_memory(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->mem.nr_regions; i++) {
		const struct guest_region *r = &vm->mem.regions[i];
		struct kvm_userspace_memory_region region = {
			.slot = i,
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)r->host,
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
			return -errno;
	}
	return 0;
}

int vm_create(struct vm *vm, uint64_t mem_bytes, unsigned int ncpus)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int ret;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = vm->vm_fd = vm->serial_irq_fd = vm->i8042_irq_fd = -1;
	vm->mem.fd = -1;
	vm->stop.efd = -1;
	vm->ncpus = ncpus;
	for (unsigned int i = 0; i < MAX_VCPUS; i++)
		vm->vcpus[i].fd = -1;

	if ((ret = vm_stop_init(&vm->stop)) < 0)
		goto fail;
	if ((ret = vcpu_gate_init(&vm->gate)) < 0)
		goto fail;
	vm->gate_ready = true;
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		ret = -errno;
		log_error("cannot open /dev/kvm: %s", strerror(errno));
		goto fail;
	}
	if (ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		log_error("unsupported KVM API version");
		ret = -ENOTSUP;
		goto fail;
	}
	if ((ret = kvm_check_caps(vm->kvm_fd)) < 0)
		goto fail;
	int max_vcpus = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (max_vcpus > 0 && ncpus > (unsigned int)max_vcpus) {
		log_error("%u vCPUs requested, KVM allows %d", ncpus, max_vcpus);
		ret = -EINVAL;
		goto fail;
	}
	int run_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size <= 0) {
		ret = -errno;
		goto fail;
	}
	vm->run_size = (size_t)run_size;

	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		ret = -errno;
		log_error("KVM_CREATE_VM: %s", strerror(errno));
		goto fail;
	}
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &(uint64_t){ KVM_IDENTITY_MAP_ADDR }) < 0) {
		ret = -errno;
		log_error("KVM_SET_TSS_ADDR/IDENTITY_MAP_ADDR: %s", strerror(errno));
		goto fail;
	}
	/* RAM is registered before the irqchip is created: measured here,
	 * KVM_SET_USER_MEMORY_REGION took 5-11 ms of wall time (waiting in
	 * the kernel, not CPU) after KVM_CREATE_IRQCHIP and 0.2 ms before. */
	if ((ret = guest_mem_create(&vm->mem, mem_bytes)) < 0) {
		log_error("cannot create %llu MiB of guest memory: %s",
			  (unsigned long long)(mem_bytes >> 20), strerror(-ret));
		goto fail;
	}
	if ((ret = vm_map_memory(vm)) < 0) {
		log_error("KVM_SET_USER_MEMORY_REGION: %s", strerror(-ret));
		goto fail;
	}
	/* The in-kernel IOAPIC, PIC, LAPICs and PIT keep interrupt delivery and
	 * timers out of userspace, and irqfd/ioeventfd need them. */
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		ret = -errno;
		log_error("KVM_CREATE_IRQCHIP: %s", strerror(errno));
		goto fail;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		ret = -errno;
		log_error("KVM_CREATE_PIT2: %s", strerror(errno));
		goto fail;
	}
	vm->cpuid = cpuid_get_supported(vm->kvm_fd);
	if (!vm->cpuid) {
		ret = -errno;
		log_error("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
		goto fail;
	}
	return 0;
fail:
	vm_destroy(vm);
	return ret;
}

int vm_create_vcpus(struct vm *vm)
{
	int ret;

	for (unsigned int i = 0; i < vm->ncpus; i++) {
		if ((ret = vcpu_create(vm, &vm->vcpus[i], i)) < 0) {
			log_error("KVM_CREATE_VCPU %u: %s", i, strerror(-ret));
			return ret;
		}
		if ((ret = vcpu_configure(&vm->vcpus[i], vm->cpuid, vm->ncpus)) < 0)
			return ret;
	}
	return 0;
}

static int vm_irqfd(struct vm *vm, unsigned int gsi)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct kvm_irqfd irqfd = { .gsi = gsi };

	if (efd < 0)
		return -errno;
	irqfd.fd = (uint32_t)efd;
	if (ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0) {
		int ret = -errno;
		close(efd);
		return ret;
	}
	return efd;
}

int vm_add_legacy_devices(struct vm *vm, int serial_out_fd, bool boot_timer,
			  const struct timespec *launch_wall, const struct timespec *launch_cpu)
{
	int ret;

	vm->serial_irq_fd = vm_irqfd(vm, IRQ_SERIAL_COM1);
	if (vm->serial_irq_fd < 0) {
		ret = vm->serial_irq_fd;
		vm->serial_irq_fd = -1;
		log_error("irqfd for the serial port: %s", strerror(-ret));
		return ret;
	}
	serial_init(&vm->serial, serial_out_fd, vm->serial_irq_fd);
	vm->i8042_irq_fd = vm_irqfd(vm, IRQ_I8042_KBD);
	if (vm->i8042_irq_fd < 0) {
		ret = vm->i8042_irq_fd;
		vm->i8042_irq_fd = -1;
		log_error("irqfd for the i8042: %s", strerror(-ret));
		return ret;
	}
	i8042_init(&vm->i8042, &vm->stop, vm->i8042_irq_fd);
	vm->debug_exit.stop = &vm->stop;
	vm->boot_timer.launch_wall = *launch_wall;
	vm->boot_timer.launch_cpu = *launch_cpu;

	if ((ret = bus_register(&vm->pio, PORT_COM1, 8, &serial_bus_ops, &vm->serial, "com1")) < 0 ||
	    (ret = bus_register(&vm->pio, PORT_I8042_DATA, 5, &i8042_bus_ops, &vm->i8042, "i8042")) < 0 ||
	    (ret = bus_register(&vm->pio, PORT_DEBUG_EXIT, 4, &debug_exit_bus_ops, &vm->debug_exit,
				"debug-exit")) < 0)
		goto fail;
	if (boot_timer &&
	    (ret = bus_register(&vm->mmio, LAYOUT_BOOT_TIMER_ADDR, LAYOUT_BOOT_TIMER_SIZE,
				&boot_timer_bus_ops, &vm->boot_timer, "boot-timer")) < 0)
		goto fail;
	return 0;
fail:
	log_error("registering legacy devices: %s", strerror(-ret));
	return ret;
}

void vm_destroy(struct vm *vm)
{
	for (unsigned int i = 0; i < MAX_VCPUS; i++) {
		if (vm->vcpus[i].fd >= 0)
			vcpu_destroy(&vm->vcpus[i]);
	}
	if (vm->serial_irq_fd >= 0) {
		serial_destroy(&vm->serial);
		close(vm->serial_irq_fd);
	}
	if (vm->i8042_irq_fd >= 0) {
		i8042_destroy(&vm->i8042);
		close(vm->i8042_irq_fd);
	}
	free(vm->cpuid);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	guest_mem_destroy(&vm->mem);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	vm_stop_destroy(&vm->stop);
	if (vm->gate_ready)
		vcpu_gate_destroy(&vm->gate);
	vm->gate_ready = false;
	vm->kvm_fd = vm->vm_fd = vm->serial_irq_fd = vm->i8042_irq_fd = -1;
	vm->cpuid = NULL;
}

int vm_pause(struct vm *vm, int timeout_ms)
{
	int ret;

	vcpu_gate_request(&vm->gate);
	for (unsigned int i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
	ret = vcpu_gate_wait_parked(&vm->gate, timeout_ms);
	if (ret == -ETIMEDOUT)
		vcpu_gate_resume(&vm->gate);
	return ret;
}

void vm_resume(struct vm *vm)
{
	vcpu_gate_resume(&vm->gate);
}

void vm_release_vcpus(struct vm *vm)
{
	vcpu_gate_close(&vm->gate);
	for (unsigned int i = 0; i < vm->ncpus; i++)
		vcpu_kick(&vm->vcpus[i]);
}
