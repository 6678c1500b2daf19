#include "vcpu.h"
#include "cpuid.h"
#include "exit_codes.h"
#include "log.h"
#include "thread_kind.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MSR_IA32_TSC            0x10
#define MSR_IA32_SYSENTER_CS    0x174
#define MSR_IA32_SYSENTER_ESP   0x175
#define MSR_IA32_SYSENTER_EIP   0x176
#define MSR_IA32_MISC_ENABLE    0x1a0
#define MSR_STAR                0xc0000081
#define MSR_LSTAR               0xc0000082
#define MSR_CSTAR               0xc0000083
#define MSR_SYSCALL_MASK        0xc0000084
#define MSR_KERNEL_GS_BASE      0xc0000102
#define MISC_ENABLE_FAST_STRING 1ULL

#define APIC_LVT_LINT0          0x350
#define APIC_LVT_LINT1          0x360
#define APIC_MODE_NMI           0x4
#define APIC_MODE_EXTINT        0x7

int vcpu_create(struct vm *vm, struct vcpu *v, unsigned int id)
{
	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0) {
		v->fd = -1;
		return -errno;
	}
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED) {
		int ret = -errno;
		v->run = NULL;
		close(v->fd);
		v->fd = -1;
		return ret;
	}
	/* Kernel counters are a bonus for the metrics: without them (an old
	 * kernel) the VM runs the same. */
	if (kvm_stats_open(&v->stats, v->fd) < 0)
		log_debug("vcpu %u: KVM binary stats unavailable", id);
	return 0;
}

void vcpu_destroy(struct vcpu *v)
{
	kvm_stats_close(&v->stats);
	if (v->run)
		munmap(v->run, v->vm->run_size);
	if (v->fd >= 0)
		close(v->fd);
	v->run = NULL;
	v->fd = -1;
}

static int vcpu_set_cpuid(struct vcpu *v, const struct kvm_cpuid2 *supported, unsigned int ncpus)
{
	size_t sz = sizeof(*supported) + supported->nent * sizeof(supported->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	int ret = 0;

	if (!c)
		return -ENOMEM;
	memcpy(c, supported, sz);
	cpuid_patch_for_vcpu(c, v->id, ncpus);
	if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0)
		ret = -errno;
	free(c);
	return ret;
}

static int vcpu_set_boot_msrs(struct vcpu *v)
{
	static const struct { uint32_t index; uint64_t data; } boot_msrs[] = {
		{ MSR_IA32_SYSENTER_CS, 0 }, { MSR_IA32_SYSENTER_ESP, 0 },
		{ MSR_IA32_SYSENTER_EIP, 0 }, { MSR_STAR, 0 }, { MSR_CSTAR, 0 },
		{ MSR_KERNEL_GS_BASE, 0 }, { MSR_SYSCALL_MASK, 0 }, { MSR_LSTAR, 0 },
		{ MSR_IA32_TSC, 0 }, { MSR_IA32_MISC_ENABLE, MISC_ENABLE_FAST_STRING },
	};
	const unsigned int n = sizeof(boot_msrs) / sizeof(boot_msrs[0]);
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e[sizeof(boot_msrs) / sizeof(boot_msrs[0])];
	} m;

	memset(&m, 0, sizeof(m));
	m.hdr.nmsrs = n;
	for (unsigned int i = 0; i < n; i++) {
		m.e[i].index = boot_msrs[i].index;
		m.e[i].data = boot_msrs[i].data;
	}
	int done = ioctl(v->fd, KVM_SET_MSRS, &m);
	if (done < 0)
		return -errno;
	if ((unsigned int)done != n) {
		log_error("vcpu %u: KVM accepted only %d of %u boot MSRs (first refused 0x%x)",
			  v->id, done, n, m.e[done].index);
		return -EINVAL;
	}
	return 0;
}

static int vcpu_set_fpu(struct vcpu *v)
{
	struct kvm_fpu fpu;

	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;   /* x87 default after FNINIT */
	fpu.mxcsr = 0x1f80; /* SSE default: all exceptions masked */
	return ioctl(v->fd, KVM_SET_FPU, &fpu) < 0 ? -errno : 0;
}

static void lapic_set_lvt_mode(struct kvm_lapic_state *l, unsigned int reg, uint32_t mode)
{
	uint32_t val;

	memcpy(&val, &l->regs[reg], sizeof(val));
	val = (val & ~0x700u) | (mode << 8);
	memcpy(&l->regs[reg], &val, sizeof(val));
}

/* A PC wires the PIC to LINT0 (ExtINT) and NMI to LINT1; guests that still
 * use the 8259 or send NMIs expect the LAPIC to be set up this way. */
static int vcpu_set_lapic(struct vcpu *v)
{
	struct kvm_lapic_state l;

	if (ioctl(v->fd, KVM_GET_LAPIC, &l) < 0)
		return -errno;
	lapic_set_lvt_mode(&l, APIC_LVT_LINT0, APIC_MODE_EXTINT);
	lapic_set_lvt_mode(&l, APIC_LVT_LINT1, APIC_MODE_NMI);
	return ioctl(v->fd, KVM_SET_LAPIC, &l) < 0 ? -errno : 0;
}

int vcpu_configure(struct vcpu *v, const struct kvm_cpuid2 *supported, unsigned int ncpus)
{
	int ret;

	if ((ret = vcpu_set_cpuid(v, supported, ncpus)) < 0) {
		log_error("vcpu %u: KVM_SET_CPUID2: %s", v->id, strerror(-ret));
		return ret;
	}
	if ((ret = vcpu_set_boot_msrs(v)) < 0) {
		log_error("vcpu %u: KVM_SET_MSRS: %s", v->id, strerror(-ret));
		return ret;
	}
	if ((ret = vcpu_set_fpu(v)) < 0) {
		log_error("vcpu %u: KVM_SET_FPU: %s", v->id, strerror(-ret));
		return ret;
	}
	if ((ret = vcpu_set_lapic(v)) < 0) {
		log_error("vcpu %u: LAPIC setup: %s", v->id, strerror(-ret));
		return ret;
	}
	return 0;
}

static void vcpu_count(struct vcpu *v, enum vcpu_exit_kind kind)
{
	uint64_t *c = &v->exits[kind];

	__atomic_store_n(c, __atomic_load_n(c, __ATOMIC_RELAXED) + 1, __ATOMIC_RELAXED);
}

static void vcpu_handle_io(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned int size = run->io.size;

	vcpu_count(v, run->io.direction == KVM_EXIT_IO_OUT ? VCPU_EXIT_IO_OUT : VCPU_EXIT_IO_IN);
	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		if (run->io.direction == KVM_EXIT_IO_OUT)
			bus_write(&v->vm->pio, run->io.port, data, size);
		else
			bus_read(&v->vm->pio, run->io.port, data, size);
	}
}

static void vcpu_handle_mmio(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	unsigned int len = run->mmio.len;

	vcpu_count(v, run->mmio.is_write ? VCPU_EXIT_MMIO_WRITE : VCPU_EXIT_MMIO_READ);
	if (len == 0 || len > sizeof(run->mmio.data))
		return;
	if (run->mmio.is_write) {
		if (bus_write(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len) < 0)
			log_debug("vcpu %u: unclaimed MMIO write at 0x%llx", v->id,
				  (unsigned long long)run->mmio.phys_addr);
	} else {
		bus_read(&v->vm->mmio, run->mmio.phys_addr, run->mmio.data, len);
	}
}

static void vcpu_log_state(struct vcpu *v, const char *why)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;

	if (ioctl(v->fd, KVM_GET_REGS, &regs) < 0 || ioctl(v->fd, KVM_GET_SREGS, &sregs) < 0) {
		log_error("vcpu %u: %s (registers unavailable)", v->id, why);
		return;
	}
	log_error("vcpu %u: %s at rip=0x%llx rsp=0x%llx cr0=0x%llx cr3=0x%llx cr4=0x%llx efer=0x%llx",
		  v->id, why, (unsigned long long)regs.rip, (unsigned long long)regs.rsp,
		  (unsigned long long)sregs.cr0, (unsigned long long)sregs.cr3,
		  (unsigned long long)sregs.cr4, (unsigned long long)sregs.efer);
}

/* Handles one exit; returns false when the VM must stop. */
static bool vcpu_handle_exit(struct vcpu *v)
{
	struct kvm_run *run = v->run;
	struct vm_stop *stop = &v->vm->stop;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vcpu_handle_io(v);
		return true;
	case KVM_EXIT_MMIO:
		vcpu_handle_mmio(v);
		return true;
	case KVM_EXIT_INTR:
		vcpu_count(v, VCPU_EXIT_INTERRUPTED);
		return true;
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		vcpu_count(v, VCPU_EXIT_OTHER);
		return true;
	case KVM_EXIT_HLT:
		vcpu_count(v, VCPU_EXIT_HLT);
		/* Only reachable without an in-kernel LAPIC; nothing will wake us. */
		log_error("vcpu %u: halted with interrupts the core cannot deliver", v->id);
		vm_stop_request(stop, EXIT_VMM_ERROR);
		return false;
	case KVM_EXIT_SHUTDOWN:
		vcpu_count(v, VCPU_EXIT_SHUTDOWN);
		vcpu_log_state(v, "triple fault (KVM_EXIT_SHUTDOWN)");
		vm_stop_request(stop, EXIT_TRIPLE_FAULT);
		return false;
	case KVM_EXIT_SYSTEM_EVENT:
		vcpu_count(v, VCPU_EXIT_SYSTEM_EVENT);
		log_info("vcpu %u: guest system event %u: stopping the VM", v->id,
			 run->system_event.type);
		vm_stop_request(stop, run->system_event.type == KVM_SYSTEM_EVENT_CRASH ?
					      EXIT_KVM_INTERNAL : EXIT_GUEST_OK);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		vcpu_count(v, VCPU_EXIT_FAIL_ENTRY);
		log_error("vcpu %u: KVM entry failed, reason 0x%llx", v->id,
			  (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		vm_stop_request(stop, EXIT_KVM_INTERNAL);
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		vcpu_count(v, VCPU_EXIT_INTERNAL_ERROR);
		log_error("vcpu %u: KVM internal error, suberror %u", v->id, run->internal.suberror);
		vcpu_log_state(v, "internal error");
		vm_stop_request(stop, EXIT_KVM_INTERNAL);
		return false;
	default:
		vcpu_count(v, VCPU_EXIT_OTHER);
		log_error("vcpu %u: unhandled KVM exit reason %u", v->id, run->exit_reason);
		vcpu_log_state(v, "unhandled exit");
		vm_stop_request(stop, EXIT_KVM_INTERNAL);
		return false;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vm_stop *stop = &v->vm->stop;
	struct vcpu_gate *gate = &v->vm->gate;
	sigset_t set;

	if (thread_kind_enter(THREAD_CORE_VCPU, v->id) < 0) {
		vm_stop_request(stop, EXIT_VMM_ERROR);
		return NULL;
	}
	/* Only vCPU threads take the kick signal; it was blocked in main. */
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	vcpu_gate_enter(gate);
	while (!vm_stop_requested(stop)) {
		if (vcpu_gate_pending(gate)) {
			vcpu_gate_park(gate);
			continue;
		}
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				vcpu_count(v, VCPU_EXIT_INTERRUPTED);
				/* Sequentially consistent, like the kicker's stores:
				 * either the pause flag is seen on the next check or
				 * the kicker's immediate_exit survives this reset. */
				__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				continue;
			}
			log_error("vcpu %u: KVM_RUN: %s", v->id, strerror(errno));
			vm_stop_request(stop, EXIT_VMM_ERROR);
			break;
		}
		if (!vcpu_handle_exit(v))
			break;
	}
	vcpu_gate_leave(gate);
	return NULL;
}

int vcpu_start(struct vcpu *v)
{
	int ret = pthread_create(&v->thread, NULL, vcpu_thread, v);

	if (ret)
		return -ret;
	v->thread_started = true;
	return 0;
}

void vcpu_kick(struct vcpu *v)
{
	if (!v->thread_started)
		return;
	/* immediate_exit covers the window where the thread checked the stop
	 * flag but has not entered KVM_RUN yet: the signal alone would be lost. */
	__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
	pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

void vcpu_join(struct vcpu *v)
{
	if (v->thread_started)
		pthread_join(v->thread, NULL);
	v->thread_started = false;
}

static void vcpu_kick_handler(int sig)
{
	(void)sig;
}

int vcpu_signals_init(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = vcpu_kick_handler;
	sigemptyset(&sa.sa_mask);
	return sigaction(VCPU_KICK_SIGNAL, &sa, NULL) < 0 ? -errno : 0;
}
