/* The Linux sections' command lines and console parsing. Every VMM boots
 * the same bzImage, initramfs and command line on linux_cpus() vCPUs and
 * LINUX_MEM_MIB MiB; QEMU gets -no-reboot and an i8042, so the guest's
 * reboot=k ends it as it ends cellvm (vmm.c), and keeps microvm's ACPI:
 * Debian's kernel has no virtio_mmio.device= support and finds the
 * devices of both VMMs in the DSDT. */
#include "linux.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const phase_names[LB_COUNT] = {
	[LB_SEQW] = "seqwrite-1m", [LB_SEQR] = "seqread-1m",
	[LB_RR1] = "randread-4k-qd1", [LB_RR4] = "randread-4k-qd4",
	[LB_RW1] = "randwrite-4k-qd1", [LB_RW4] = "randwrite-4k-qd4",
};

const char *linux_blk_phase(unsigned int i)
{
	return i < LB_COUNT ? phase_names[i] : "?";
}

static int find_one(const char *dir, const char *name, char *out, size_t len, char *err,
		    size_t errlen)
{
	if ((size_t)snprintf(out, len, "%s/%s", dir, name) >= len) {
		snprintf(err, errlen, "%s/%s: path too long", dir, name);
		return -ENAMETOOLONG;
	}
	if (access(out, R_OK) != 0) {
		int e = errno;
		snprintf(err, errlen, "%s: %s (make linux builds it)", out, strerror(e));
		return -e;
	}
	return 0;
}

int linux_files_find(const struct bench_cfg *cfg, struct linux_files *f, char *err,
		     size_t errlen)
{
	char path[4096];
	int ret = find_one(cfg->linux_dir, "vmlinuz", f->kernel, sizeof(f->kernel), err, errlen);

	if (ret == 0)
		ret = find_one(cfg->linux_dir, "initramfs.cpio.gz", f->initrd, sizeof(f->initrd),
			       err, errlen);
	if (ret < 0)
		return ret;
	/* Only for the report: "linux-image-6.1.0-57-amd64 6.1.192-3 ...". */
	f->version[0] = '\0';
	snprintf(path, sizeof(path), "%s/kernel-version", cfg->linux_dir);
	FILE *v = fopen(path, "re");
	if (v) {
		if (fgets(f->version, sizeof(f->version), v))
			f->version[strcspn(f->version, "\n")] = '\0';
		fclose(v);
	}
	return 0;
}

void linux_cmdline(const struct bench_cfg *cfg, const char *test, char *out, size_t len)
{
	int n = snprintf(out, len, "console=ttyS0 reboot=k panic=1 pci=off cellvm.test=%s", test);

	if (strcmp(test, "blkbench") == 0 && n > 0 && (size_t)n < len)
		snprintf(out + n, len - (size_t)n, " cellvm.bench-seconds=%u", cfg->linux_seconds);
}

void linux_argv(const struct bench_cfg *cfg, const struct linux_sec *s, unsigned int col,
		struct argv_buf *a)
{
	const struct guest g = { .kernel = s->f.kernel, .initrd = s->f.initrd,
				 .cmdline = s->cmdline, .cpus = linux_cpus(),
				 .mem_mib = LINUX_MEM_MIB, .virtio = s->disk != NULL };

	vmm_argv_guest(cfg, cfg->col[col].vmm, &g, a);
	if (s->disk)
		blk_disk_argv(cfg, s->disk, col, a);
}

/* "[   12.135268] text": the printk clock in ms and where text starts. */
static bool printk_line(const char *t, double *ms, const char **text)
{
	double sec;
	int n = -1;

	if (t[0] != '[' || sscanf(t, "[%lf]%n", &sec, &n) != 1 || n < 0)
		return false;
	*ms = sec * 1e3;
	*text = t + n;
	return true;
}

static void blkbench_line(struct linux_run *lr, const char *t)
{
	for (unsigned int i = 0; i < LB_COUNT; i++) {
		size_t n = strlen(phase_names[i]);
		double v;
		if (strncmp(t, phase_names[i], n) != 0 || t[n] != ' ')
			continue;
		if (strstr(t, " error=")) {
			snprintf(lr->fail, sizeof(lr->fail), "blkbench %s", t);
		} else if (line_key_double(t + n, i <= LB_SEQR ? "mbps" : "iops", &v)) {
			lr->res[i] = v;
			lr->have[i] = true;
		}
		return;
	}
}

void linux_line(struct linux_run *lr, const struct vm_line *l)
{
	static const char tag[] = "cellvm-linux: ";
	const char *t = l->text, *text;
	double ms;

	if (l->stream != STREAM_OUT)
		return;
	if (printk_line(t, &ms, &text)) {
		if (!lr->t_console)
			lr->t_console = l->t_start_ns;
		if (lr->guest_init_ms < 0 && strstr(text, "Run /init as init process"))
			lr->guest_init_ms = ms;
		if (strstr(text, "Kernel panic") && !lr->fail[0])
			snprintf(lr->fail, sizeof(lr->fail), "%s", t);
		return;
	}
	if (strncmp(t, tag, sizeof(tag) - 1) != 0)
		return;
	t += sizeof(tag) - 1;
	if (!lr->t_init && strcmp(t, "init ok") == 0)
		lr->t_init = l->t_start_ns;
	else if (strcmp(t, "done") == 0)
		lr->done_seen = true;
	else if (strncmp(t, "blkbench ", 9) == 0)
		blkbench_line(lr, t + 9);
	else if ((strstr(t, "FAIL") || strstr(t, "failed") || strncmp(t, "unknown test", 12) == 0 ||
		  strncmp(t, "usage:", 6) == 0) && !lr->fail[0])
		/* blkcheck's errors, a module sysinit could not load, a test
		 * the initramfs does not know */
		snprintf(lr->fail, sizeof(lr->fail), "guest: %s", t);
}

bool linux_run_passed(const struct linux_run *lr, struct vm_run *r)
{
	/* The guest's own complaint explains a timeout or an early reboot best. */
	if (lr->fail[0] && !r->why[0])
		snprintf(r->why, sizeof(r->why), "%s", lr->fail);
	if (!vm_run_ended(r, 0))
		return false;
	if (!lr->t_init)
		snprintf(r->why, sizeof(r->why), "no \"cellvm-linux: init ok\" line");
	else if (!lr->done_seen)
		snprintf(r->why, sizeof(r->why), "no \"cellvm-linux: done\" line");
	return r->why[0] == '\0';
}

void linux_print_setup(const struct bench_cfg *cfg, const struct linux_sec *s)
{
	struct stat st;
	struct argv_buf a;

	printf("   guest: %s (%lld bytes%s%s) + %s, %u vCPUs, %u MiB\n", s->f.kernel,
	       stat(s->f.kernel, &st) == 0 ? (long long)st.st_size : -1LL,
	       s->f.version[0] ? ", " : "", s->f.version, s->f.initrd, linux_cpus(), LINUX_MEM_MIB);
	printf("   cmdline (every VMM): %s\n", s->cmdline);
	printf("   commands:\n");
	for (unsigned int c = 0; c < cfg->ncols; c++) {
		if (!column_available(cfg, c))
			continue;
		linux_argv(cfg, s, c, &a);
		argv_print(cfg->col[c].name, &a);
		if (s->disk && c == COL_QSD) {
			blk_disk_qsd_argv(s->disk, &a);
			argv_print("  + daemon", &a);
		}
	}
}
