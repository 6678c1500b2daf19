/* cellvm: the core process. Parses the command line, builds the VM, runs
 * the vCPU threads and serves the console and signals from the main
 * thread until something stops the VM. */
#include "boot/boot.h"
#include "cli.h"
#include "exit_codes.h"
#include "file_map.h"
#include "log.h"
#include "tables/tables.h"
#include "term.h"
#include "vcpu.h"
#include "vm.h"
#include "virtio/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#define KERNEL_MAX_BYTES (512ULL << 20)
#define INITRD_MAX_BYTES (2ULL << 30)

struct launch_times {
	struct timespec wall;
	struct timespec cpu;
};

static int open_serial_out(const struct vm_config *cfg)
{
	switch (cfg->serial) {
	case SERIAL_STDIO:
		return STDOUT_FILENO;
	case SERIAL_FILE: {
		int fd = open(cfg->serial_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
		if (fd < 0)
			log_error("cannot open serial output '%s': %s", cfg->serial_path,
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
	static char cmdline[LAYOUT_CMDLINE_MAX];
	struct mmio_dev_desc descs[CLI_MAX_DEVICES];
	struct file_map kernel = { 0 }, initrd = { 0 };
	struct boot_entry entry;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	char err[256] = "";
	int ret;

	if ((ret = file_map_open(&kernel, cfg->kernel, KERNEL_MAX_BYTES)) < 0) {
		log_error("cannot read kernel '%s': %s", cfg->kernel,
			  ret == -EINVAL ? "not a regular non-empty file" : strerror(-ret));
		goto out;
	}
	if (cfg->initrd && (ret = file_map_open(&initrd, cfg->initrd, INITRD_MAX_BYTES)) < 0) {
		log_error("cannot read initrd '%s': %s", cfg->initrd,
			  ret == -EINVAL ? "not a regular non-empty file" : strerror(-ret));
		goto out;
	}
	if ((ret = mptable_write(&vm->mem, vm->ncpus)) < 0) {
		log_error("cannot write the MP table: %s", strerror(-ret));
		goto out;
	}
	snprintf(cmdline, sizeof(cmdline), "%s", cfg->cmdline ? cfg->cmdline : CLI_DEFAULT_CMDLINE);
	if ((ret = virtio_devices_cmdline(vdevs, cmdline, sizeof(cmdline))) < 0) {
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
	return ret;
}

/* Forwards stdin to the UART while it has room; stdin is left unread while
 * the guest's FIFO is full, so typed bytes wait in the pipe, not lost. */
static bool console_pump(struct vm *vm)
{
	uint8_t buf[SERIAL_RX_FIFO];
	size_t space = serial_rx_space(&vm->serial);

	if (space == 0)
		return true;
	ssize_t n = read(STDIN_FILENO, buf, space);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false; /* EOF: stop polling stdin */
	serial_push_rx(&vm->serial, buf, (size_t)n);
	return true;
}

static int run_loop(struct vm *vm, struct virtio_devices *vdevs, bool console_in)
{
	sigset_t sigs;
	int sfd;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		return EXIT_VMM_ERROR;
	}
	while (!vm_stop_requested(&vm->stop)) {
		bool want_in = console_in && serial_rx_space(&vm->serial) > 0;
		struct pollfd pfd[3 + 2 * CLI_MAX_DEVICES] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = vm->stop.efd, .events = POLLIN },
			{ .fd = want_in ? STDIN_FILENO : -1, .events = POLLIN },
		};
		nfds_t n = 3 + virtio_devices_pollfds(vdevs, &pfd[3]);
		/* While the FIFO is full, wake up now and then to see if the guest
		 * drained it. */
		int timeout = console_in && !want_in ? 10 : -1;
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			vm_stop_request(&vm->stop, EXIT_VMM_ERROR);
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				log_info("received signal %u: stopping the VM", si.ssi_signo);
				vm_stop_request(&vm->stop, EXIT_SIGNAL_BASE + (int)si.ssi_signo);
			}
		}
		if (pfd[2].revents & (POLLIN | POLLHUP | POLLERR))
			console_in = console_pump(vm);
		virtio_devices_poll_result(vdevs, &pfd[3]);
	}
	close(sfd);
	return vm_stop_code(&vm->stop);
}

static int run_vm(const struct vm_config *cfg, const struct launch_times *t)
{
	struct term_state term = { 0 };
	struct virtio_devices vdevs = { 0 };
	struct vm vm;
	int serial_fd = -1;
	int code = EXIT_VMM_ERROR;
	int ret;

	if ((ret = vm_create(&vm, cfg->mem_mib << 20, cfg->cpus)) < 0)
		return EXIT_VMM_ERROR;
	serial_fd = open_serial_out(cfg);
	if (serial_fd < 0 && cfg->serial == SERIAL_FILE)
		goto out;
	if ((ret = vm_add_legacy_devices(&vm, serial_fd, cfg->boot_timer, &t->wall, &t->cpu)) < 0)
		goto out;
	if ((ret = vm_create_vcpus(&vm)) < 0)
		goto out;
	if ((ret = virtio_devices_create(&vdevs, &vm, cfg)) < 0)
		goto out;
	if ((ret = load_guest(&vm, cfg, &vdevs)) < 0)
		goto out;

	bool console_in = cfg->serial == SERIAL_STDIO;
	if (console_in)
		term_raw_enter(&term, STDIN_FILENO);
	for (unsigned int i = 0; i < vm.ncpus; i++) {
		if ((ret = vcpu_start(&vm.vcpus[i])) < 0) {
			log_error("cannot start vCPU thread %u: %s", i, strerror(-ret));
			vm_stop_request(&vm.stop, EXIT_VMM_ERROR);
			break;
		}
	}
	code = run_loop(&vm, &vdevs, console_in);
	for (unsigned int i = 0; i < vm.ncpus; i++)
		vcpu_kick(&vm.vcpus[i]);
	for (unsigned int i = 0; i < vm.ncpus; i++)
		vcpu_join(&vm.vcpus[i]);
	code = vm_stop_code(&vm.stop);
	term_restore(&term);
out:
	virtio_devices_destroy(&vdevs);
	if (serial_fd > STDERR_FILENO)
		close(serial_fd);
	vm_destroy(&vm);
	return code;
}

int main(int argc, char **argv)
{
	struct launch_times t;
	struct vm_config cfg;
	char err[256];
	sigset_t block;

	clock_gettime(CLOCK_MONOTONIC, &t.wall);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t.cpu);

	if (cli_parse(argc, argv, &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "cellvm: %s\n%s", err, cli_usage());
		return EXIT_USAGE;
	}
	if (cfg.action == CLI_HELP) {
		fputs(cli_usage(), stdout);
		return 0;
	}
	if (cfg.action == CLI_VERSION) {
		printf("cellvm %s\n", CELLVM_VERSION);
		return 0;
	}
	if (cfg.verbose)
		log_set_level(LOG_DEBUG);

	/* Block the stop signals and the kick everywhere: the main thread
	 * takes SIGINT/SIGTERM through a signalfd, vCPU threads unblock only
	 * the kick. Threads inherit this mask. */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, VCPU_KICK_SIGNAL);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_sigmask(SIG_BLOCK, &block, NULL) != 0 || vcpu_signals_init() < 0) {
		log_error("cannot set up signal handling");
		return EXIT_VMM_ERROR;
	}
	return run_vm(&cfg, &t);
}
