#include "vmm_machine.h"
#include "boot/boot.h"
#include "exit_codes.h"
#include "file_map.h"
#include "log.h"
#include "tables/tables.h"
#include "vcpu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define KERNEL_MAX_BYTES (512ULL << 20)
#define INITRD_MAX_BYTES (2ULL << 30)

static int open_serial_out(const struct cli_opts *opts)
{
	switch (opts->serial) {
	case SERIAL_STDIO:
		return STDOUT_FILENO;
	case SERIAL_FILE: {
		int fd = open(opts->serial_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
		if (fd < 0)
			log_error("cannot open serial output '%s': %s", opts->serial_path,
				  strerror(errno));
		return fd < 0 ? -errno : fd;
	}
	case SERIAL_NONE:
	default:
		return -1;
	}
}

static int load_guest(struct vm *vm, const struct vm_config *cfg,
		      const struct virtio_devices *vdevs)
{
	struct mmio_dev_desc descs[VM_MAX_DEVICES];
	struct file_map kernel = { 0 }, initrd = { 0 };
	struct boot_entry entry;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	char err[256] = "";
	char *cmdline = malloc(LAYOUT_CMDLINE_MAX);
	int ret;

	if (!cmdline)
		return -ENOMEM;
	if ((ret = file_map_open(&kernel, cfg->kernel, KERNEL_MAX_BYTES)) < 0) {
		log_error("cannot read kernel '%s': %s", cfg->kernel,
			  ret == -EINVAL ? "not a regular non-empty file" : strerror(-ret));
		goto out;
	}
	if (cfg->initrd[0] && (ret = file_map_open(&initrd, cfg->initrd, INITRD_MAX_BYTES)) < 0) {
		log_error("cannot read initrd '%s': %s", cfg->initrd,
			  ret == -EINVAL ? "not a regular non-empty file" : strerror(-ret));
		goto out;
	}
	if ((ret = mptable_write(&vm->mem, vm->ncpus)) < 0) {
		log_error("cannot write the MP table: %s", strerror(-ret));
		goto out;
	}
	snprintf(cmdline, LAYOUT_CMDLINE_MAX, "%s", cfg->cmdline[0] ? cfg->cmdline : VM_DEFAULT_CMDLINE);
	if ((ret = virtio_devices_cmdline(vdevs, cmdline, LAYOUT_CMDLINE_MAX)) < 0) {
		log_error("the kernel command line is too long with the device entries");
		goto out;
	}
	unsigned int ndescs = virtio_devices_describe(vdevs, descs);
	if ((ret = acpi_write_tables(&vm->mem, vm->ncpus, descs, ndescs)) < 0) {
		log_error("cannot write the ACPI tables: %s", strerror(-ret));
		goto out;
	}
	struct boot_args args = {
		.kernel = kernel.data, .kernel_len = kernel.len,
		.initrd = initrd.data, .initrd_len = initrd.len,
		.cmdline = cmdline,
		.have_acpi = 1,
	};
	if ((ret = boot_load_kernel(&vm->mem, &args, &entry, err, sizeof(err))) < 0) {
		log_error("cannot load kernel '%s': %s", cfg->kernel, err[0] ? err : strerror(-ret));
		goto out;
	}
	if ((ret = boot_setup_tables(&vm->mem, &entry)) < 0) {
		log_error("cannot write boot page tables: %s", strerror(-ret));
		goto out;
	}
	struct vcpu *bsp = &vm->vcpus[0];
	if (ioctl(bsp->fd, KVM_GET_SREGS, &sregs) < 0) {
		ret = -errno;
		log_error("KVM_GET_SREGS: %s", strerror(errno));
		goto out;
	}
	memset(&regs, 0, sizeof(regs));
	boot_vcpu_regs(&entry, &regs, &sregs);
	if (ioctl(bsp->fd, KVM_SET_SREGS, &sregs) < 0 || ioctl(bsp->fd, KVM_SET_REGS, &regs) < 0) {
		ret = -errno;
		log_error("cannot set boot vCPU registers: %s", strerror(errno));
		goto out;
	}
	log_debug("kernel loaded: %s entry 0x%llx info 0x%llx",
		  entry.mode == BOOT_MODE_PVH32 ? "PVH" : "64-bit", (unsigned long long)entry.entry,
		  (unsigned long long)entry.info_gpa);
out:
	file_map_close(&initrd);
	file_map_close(&kernel);
	free(cmdline);
	return ret;
}

int vmm_machine_build(struct vmm_machine *mach, const struct vm_config *cfg,
		      const struct cli_opts *opts, const struct timespec *launch_wall,
		      const struct timespec *launch_cpu)
{
	int ret;

	memset(mach, 0, sizeof(*mach));
	mach->serial_fd = -1;
	if ((ret = vm_create(&mach->vm, cfg->mem_mib << 20, cfg->cpus)) < 0)
		return ret;
	mach->serial_fd = open_serial_out(opts);
	if (mach->serial_fd < 0 && opts->serial == SERIAL_FILE) {
		ret = mach->serial_fd;
		goto fail;
	}
	if ((ret = vm_add_legacy_devices(&mach->vm, mach->serial_fd, opts->boot_timer, launch_wall,
					 launch_cpu)) < 0 ||
	    (ret = vm_create_vcpus(&mach->vm)) < 0 ||
	    (ret = virtio_devices_create(&mach->vdevs, &mach->vm, cfg)) < 0 ||
	    (ret = load_guest(&mach->vm, cfg, &mach->vdevs)) < 0)
		goto fail;
	mach->console_in = opts->serial == SERIAL_STDIO;
	return 0;
fail:
	vmm_machine_destroy(mach);
	return ret;
}

int vmm_machine_start(struct vmm_machine *mach)
{
	struct vm *vm = &mach->vm;
	int ret = 0;

	if (mach->console_in)
		term_raw_enter(&mach->term, STDIN_FILENO);
	mach->vcpus_started = true;
	for (unsigned int i = 0; i < vm->ncpus; i++) {
		if ((ret = vcpu_start(&vm->vcpus[i])) < 0) {
			log_error("cannot start vCPU thread %u: %s", i, strerror(-ret));
			vm_stop_request(&vm->stop, EXIT_VMM_ERROR);
			break;
		}
	}
	return ret;
}

void vmm_machine_stop(struct vmm_machine *mach)
{
	struct vm *vm = &mach->vm;

	if (!mach->vcpus_started)
		return;
	vm_release_vcpus(vm);
	for (unsigned int i = 0; i < vm->ncpus; i++)
		vcpu_join(&vm->vcpus[i]);
	mach->vcpus_started = false;
	term_restore(&mach->term);
}

void vmm_machine_destroy(struct vmm_machine *mach)
{
	vmm_machine_stop(mach);
	virtio_devices_destroy(&mach->vdevs);
	if (mach->serial_fd > STDERR_FILENO)
		close(mach->serial_fd);
	mach->serial_fd = -1;
	vm_destroy(&mach->vm);
}
