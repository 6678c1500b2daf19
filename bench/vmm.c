/* The VMMs under test and the command lines that boot the probe guest in
 * each. Both get the same guest image, vCPUs, RAM size and serial setup. */
#include "bench.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* cellvm names its guest RAM "cellvm-guest-ram"; QEMU 7.2's
 * memory-backend-memfd names it after the backend type (newer QEMUs may use
 * the object id, "mem"). */
static const char *const cellvm_memfds[] = { "cellvm-guest-ram", NULL };
static const char *const qemu_memfds[] = { "memory-backend-memfd", "mem", NULL };

static char qemu_found[4096];

static const char *find_in_path(const char *name)
{
	const char *path = getenv("PATH");
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		size_t len = strcspn(path, ":");
		if (len > 0 && len < sizeof(qemu_found) - strlen(name) - 2) {
			snprintf(qemu_found, sizeof(qemu_found), "%.*s/%s", (int)len, path, name);
			if (access(qemu_found, X_OK) == 0)
				return qemu_found;
		}
		path += len;
		if (*path == ':')
			path++;
	}
	return NULL;
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
		q->path = find_in_path("qemu-system-x86_64");
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

/* Formats into *pos (advanced past the NUL) and returns the string. */
__attribute__((format(printf, 3, 4))) static char *store(char **pos, char *end, const char *fmt, ...)
{
	char *s = *pos;
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintf(s, (size_t)(end - s), fmt, ap);
	va_end(ap);
	if (n < 0 || n >= end - s) {
		fprintf(stderr, "bench: internal error: argv storage too small\n");
		abort();
	}
	*pos = s + n + 1;
	return s;
}

void vmm_argv(const struct bench_cfg *cfg, enum vmm_id id, const char *scenarios, char **argv,
	      size_t max, char *storage, size_t storage_len)
{
	char *pos = storage, *end = storage + storage_len;
	const char *mem = store(&pos, end, "%u", cfg->mem_mib);
	const char *cmdline = store(&pos, end, "probe=%s", scenarios);
	size_t n = 0;

#define ARG(s)                                                                 \
	do {                                                                   \
		if (n + 1 >= max)                                              \
			abort();                                               \
		argv[n++] = (char *)(s);                                       \
	} while (0)

	if (id == VMM_CELLVM) {
		ARG(cfg->vmm[id].path);
		ARG("run");
		ARG("--kernel"); ARG(cfg->probe);
		ARG("--mem"); ARG(mem);
		ARG("--cpus"); ARG("1");
		ARG("--boot-timer");
		ARG("--cmdline"); ARG(cmdline);
	} else {
		/* A microVM as light as QEMU offers: microvm machine (no PCI, no
		 * firmware beyond qboot + the linuxboot option ROM that -kernel
		 * needs), no RTC (cellvm has none), no default devices, only
		 * COM1 and the debug-exit port; guest RAM in a named memfd like
		 * cellvm's, so both are counted the same way. */
		ARG(cfg->vmm[id].path);
		ARG("-M"); ARG(store(&pos, end, "%s,memory-backend=mem", cfg->qemu_machine));
		ARG("-object"); ARG(store(&pos, end, "memory-backend-memfd,id=mem,size=%uM",
					  cfg->mem_mib));
		ARG("-enable-kvm");
		ARG("-cpu"); ARG("host,-arch-capabilities");
		ARG("-m"); ARG(mem);
		ARG("-smp"); ARG("1");
		ARG("-nodefaults"); ARG("-no-user-config"); ARG("-nographic");
		ARG("-serial"); ARG("stdio");
		ARG("-device"); ARG("isa-debug-exit,iobase=0xf4,iosize=4");
		ARG("-kernel"); ARG(cfg->probe);
		ARG("-append"); ARG(cmdline);
	}
	argv[n] = NULL;
#undef ARG
}

void vmm_print_command(const struct bench_cfg *cfg, enum vmm_id id, const char *scenarios)
{
	char *argv[48];
	char storage[1024];

	vmm_argv(cfg, id, scenarios, argv, 48, storage, sizeof(storage));
	printf("  %-7s", cfg->vmm[id].name);
	for (size_t i = 0; argv[i]; i++)
		printf(strchr(argv[i], ' ') ? " \"%s\"" : " %s", argv[i]);
	printf("\n");
}
