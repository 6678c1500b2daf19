/* The VMMs under test and the command lines that boot the probe guest in
 * each. Both get the same guest image, vCPUs, RAM size and serial setup. */
#include "bench.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cellvm names its guest RAM "cellvm-guest-ram"; QEMU 7.2's
 * memory-backend-memfd names it after the backend type (newer QEMUs may use
 * the object id, "mem"). */
static const char *const cellvm_memfds[] = { "cellvm-guest-ram", NULL };
static const char *const qemu_memfds[] = { "memory-backend-memfd", "mem", NULL };

bool find_in_path(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		if (n > 0 && (size_t)snprintf(out, len, "%.*s/%s", (int)n, path, name) < len &&
		    access(out, X_OK) == 0)
			return true;
		path += n;
		if (*path == ':')
			path++;
	}
	out[0] = '\0';
	return false;
}

static void probe_version(struct vmm *v)
{
	char *argv[] = { (char *)v->path, "--version", NULL };
	if (capture_first_line(argv, v->version, sizeof(v->version)) < 0 || !v->version[0])
		snprintf(v->version, sizeof(v->version), "(--version failed)");
}

void vmm_init(struct bench_cfg *cfg, const char *cellvm, const char *qemu)
{
	struct vmm *c = &cfg->vmm[VMM_CELLVM], *q = &cfg->vmm[VMM_QEMU];

	*c = (struct vmm){ .name = "cellvm", .path = cellvm, .ok_exit = 0,
			   .has_boot_timer = true, .ram_memfds = cellvm_memfds };
	if (access(cellvm, X_OK) != 0) {
		snprintf(c->why_missing, sizeof(c->why_missing), "%s: %s", cellvm, strerror(errno));
		c->path = NULL;
	}

	/* isa-debug-exit turns the probe's "exit 0" into status (0 << 1) | 1. */
	*q = (struct vmm){ .name = "qemu", .ok_exit = 1, .has_boot_timer = false,
			   .ram_memfds = qemu_memfds };
	if (qemu && strcmp(qemu, "none") == 0) {
		snprintf(q->why_missing, sizeof(q->why_missing), "disabled with --qemu none");
	} else if (qemu) {
		if (access(qemu, X_OK) == 0)
			q->path = qemu;
		else
			snprintf(q->why_missing, sizeof(q->why_missing), "%s: %s", qemu,
				 strerror(errno));
	} else {
		static char found[4096];
		q->path = find_in_path("qemu-system-x86_64", found, sizeof(found)) ? found : NULL;
		if (!q->path)
			snprintf(q->why_missing, sizeof(q->why_missing),
				 "qemu-system-x86_64 not found in PATH (apt-get install "
				 "qemu-system-x86, or pass --qemu PATH)");
	}
	for (int i = 0; i < VMM_COUNT; i++)
		if (cfg->vmm[i].path)
			probe_version(&cfg->vmm[i]);
}

bool vmm_available(const struct bench_cfg *cfg, enum vmm_id id)
{
	return cfg->vmm[id].path != NULL;
}

const char *kvm_host_kind(void)
{
	/* scripts/with-kvm.sh says where it ran the bench; anything else is
	 * someone running build/bench/launch by hand. */
	const char *h = getenv("CELLVM_KVM_HOST");

	if (h && strcmp(h, "nested") == 0)
		return "nested (tests/kvm-host: QEMU TCG L1 + kvm-amd)";
	if (h && strcmp(h, "native") == 0)
		return "native";
	return "unknown (CELLVM_KVM_HOST unset: not started through scripts/with-kvm.sh)";
}

bool kvm_host_nested(void)
{
	const char *h = getenv("CELLVM_KVM_HOST");
	return h && strcmp(h, "nested") == 0;
}

void vmm_argv(const struct bench_cfg *cfg, enum vmm_id id, const char *cmdline, bool virtio,
	      struct argv_buf *a)
{
	const struct guest g = { .kernel = cfg->probe, .cmdline = cmdline, .cpus = 1,
				 .mem_mib = cfg->mem_mib, .probe = true, .virtio = virtio };
	vmm_argv_guest(cfg, id, &g, a);
}

void vmm_argv_guest(const struct bench_cfg *cfg, enum vmm_id id, const struct guest *g,
		    struct argv_buf *a)
{
	argv_init(a);
	if (id == VMM_CELLVM) {
		/* cellvm adds the virtio_mmio.device= words itself. */
		argv_add(a, cfg->vmm[id].path);
		argv_add(a, "run");
		argv_add(a, "--kernel"); argv_add(a, g->kernel);
		if (g->initrd) {
			argv_add(a, "--initrd"); argv_add(a, g->initrd);
		}
		argv_add(a, "--mem"); argv_addf(a, "%u", g->mem_mib);
		argv_add(a, "--cpus"); argv_addf(a, "%u", g->cpus);
		if (g->probe)
			argv_add(a, "--boot-timer");
		argv_add(a, "--cmdline"); argv_add(a, g->cmdline);
		return;
	}
	/* A microVM as light as QEMU offers: microvm machine (no PCI, no
	 * firmware beyond qboot + the linuxboot option ROM that -kernel
	 * needs), no RTC (cellvm has none), no default devices, only COM1
	 * and the debug-exit port; guest RAM in a named memfd like cellvm's,
	 * so both are counted the same way. With virtio devices:
	 * force-legacy=false gives the modern transport cellvm has (and the
	 * probe drives), and the memfd is shared so vhost-user backends can
	 * map it; for the probe, acpi=off is what makes QEMU write the
	 * virtio_mmio.device= words it reads (Linux finds them in ACPI). */
	argv_add(a, cfg->vmm[id].path);
	argv_add(a, "-M");
	argv_addf(a, "%s%s,memory-backend=mem", cfg->qemu_machine,
		  g->probe && g->virtio ? ",acpi=off" : "");
	argv_add(a, "-object");
	argv_addf(a, "memory-backend-memfd,id=mem,size=%uM%s", g->mem_mib,
		  g->virtio ? ",share=on" : "");
	argv_add(a, "-enable-kvm");
	/* Thread names ("CPU 0/KVM", "IO io0"), so CPU time can be split. */
	argv_add(a, "-name"); argv_add(a, "bench,debug-threads=on");
	argv_add(a, "-cpu"); argv_add(a, "host,-arch-capabilities");
	argv_add(a, "-m"); argv_addf(a, "%u", g->mem_mib);
	argv_add(a, "-smp"); argv_addf(a, "%u", g->cpus);
	argv_add(a, "-nodefaults"); argv_add(a, "-no-user-config"); argv_add(a, "-nographic");
	argv_add(a, "-serial"); argv_add(a, "stdio");
	if (g->probe) {
		argv_add(a, "-device"); argv_add(a, "isa-debug-exit,iobase=0xf4,iosize=4");
	} else {
		/* A Linux guest ends the VM by rebooting (reboot=k: an i8042
		 * reset, cellvm's exit 0). microvm has no i8042 of its own,
		 * and without one Linux polls the missing controller for ~70 s
		 * in the nested host before it tries another way. */
		argv_add(a, "-no-reboot");
		argv_add(a, "-device"); argv_add(a, "i8042");
	}
	if (g->virtio) {
		argv_add(a, "-global");
		argv_add(a, "virtio-mmio.force-legacy=false");
	}
	argv_add(a, "-kernel"); argv_add(a, g->kernel);
	if (g->initrd) {
		argv_add(a, "-initrd"); argv_add(a, g->initrd);
	}
	argv_add(a, "-append"); argv_add(a, g->cmdline);
}
