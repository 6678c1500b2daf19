/* build/bench/launch: cellvm's benchmarks, side by side with QEMU microvm.
 * Command line, host description, the section table, and the exit status
 * (0: every recorded run passed; 1: some run failed or setup failed; 2: usage). */
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static const struct section sections[] = {
	{ "launch", "spawn -> guest first instruction / first serial byte / PROBE ready / exit, "
		    "CPU per launch (probe=hello)", section_launch },
	{ "mem", "VMM memory overhead (PSS minus guest RAM) while the guest idles "
		 "(probe=serial)", section_mem },
	{ "blk", "4 KiB random and 1 MiB sequential I/O in the guest (probe=blkbench): cellvm-blk "
		 "vs QEMU virtio-blk vs QEMU + qemu-storage-daemon; host CPU per process",
	  section_blk },
	{ "api", "process start -> control socket that accepts a connection: wall and CPU ms",
	  section_api },
	{ "jail", "launch latency and memory overhead (blk + rng attached) with and without "
		  "cellvm-jailer; seccomp filter install cost", section_jail },
	{ "linux-boot", "Debian's kernel + initramfs: spawn -> \"cellvm-linux: init ok\", cellvm vs "
			"QEMU microvm", section_linux_boot },
	{ "linux-blk", "Linux blkbench on /dev/vda: cellvm-blk vs QEMU virtio-blk vs QEMU + "
		       "qemu-storage-daemon", section_linux_blk },
	{ "linux-vsock", "Linux AF_VSOCK stream and ping-pong: cellvm-vsock under cellvm vs under "
			 "QEMU (vhost-user) vs QEMU's vhost-vsock", section_linux_vsock },
	{ "restart", "cellvm-blk killed mid-I/O: death -> restored, guest-visible stall at queue "
		     "depth 1 and 32 (probe=blkstorm)", section_restart },
	{ "linux-net", "Linux TCP stream and ping-pong over a tap: cellvm-net vs QEMU's virtio-net "
		       "(vhost off, on)", section_linux_net },
};
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static void usage(FILE *f)
{
	fprintf(f,
		"usage: launch --cellvm PATH --probe PATH [options]\n"
		"  --cellvm PATH        cellvm binary (default build/cellvm)\n"
		"  --probe PATH         probe guest bzImage (default build/guest/probe.bzImage)\n"
		"  --qemu PATH|none     qemu-system-x86_64 (default: from PATH; none = cellvm only)\n"
		"  --runs N             recorded runs per VMM and section (default 10)\n"
		"  --warmup N           unrecorded runs per VMM first (default 1)\n"
		"  --only LIST          comma-separated sections (default all; --list shows them;\n"
		"                       a prefix before '-', e.g. linux, names all its sections)\n"
		"  --mem MIB            guest RAM (default 128)\n"
		"  --timeout SEC        per VM run (default 20)\n"
		"  --settle-ms N        mem: idle time before sampling (default 100)\n"
		"  --qemu-machine STR   QEMU -M value (default microvm,x-option-roms=on,rtc=off;\n"
		"                       memory-backend=mem is appended)\n"
		"  --bin-dir DIR        cellvm-blk, cellvm-rng, cellvm-jailer (default: --cellvm's dir)\n"
		"  --workdir DIR        temporary files go in a new directory here (default $TMPDIR\n"
		"                       or /tmp; the blk image needs --blk-mib MiB)\n"
		"  --blk-runs N         blk: recorded runs per column (default 9)\n"
		"  --blk-ms N           blk: duration of each of the 6 blkbench phases (default 500)\n"
		"  --blk-mib N          blk: image size (default 256)\n"
		"  --blk-iothread on|off  blk: QEMU's built-in virtio-blk in an iothread (default on)\n"
		"  --blk-pin on|off     blk: vCPU thread alone on the last CPU, the VMM's other\n"
		"                       threads and the device processes on CPU 0 (default on)\n"
		"  --blk-nice N         blk: the VMs and peers run in sessions of their own with this\n"
		"                       autogroup and nice value (default -15; 0: the bench's session)\n"
		"  --blk-max-wait PCT   blk: repeat a run (up to 2 times) whose vCPU thread waited for\n"
		"                       a CPU more than PCT %% of the time (default 15; 0: keep all)\n"
		"  --blk-mode poll|irq  blk: the guest polls its used ring or sleeps on interrupts\n"
		"                       (default poll)\n"
		"  --jail-uid N, --jail-gid N  jail: what the jailed VM runs as (default 65534)\n"
		"  --linux-dir DIR      linux-*: vmlinuz and initramfs.cpio.gz (default build/linux)\n"
		"  --linux-runs N       linux-boot: recorded runs per column (default 5)\n"
		"  --linux-blk-runs N   linux-blk, linux-vsock: recorded runs per column (default 3)\n"
		"  --linux-seconds N    linux-blk: each random phase; linux-vsock: the stream and\n"
		"                       the ping-pong (cellvm.bench-seconds, default 3)\n"
		"  --linux-timeout SEC  linux-*: per VM run (default 300)\n"
		"  --verbose            per-run lines on stderr\n"
		"  --list | --help\n");
}

static int parse_int(const char *opt, const char *s, int min, int max)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "launch: %s wants a number in %d..%d, not \"%s\"\n", opt, min, max, s);
		exit(2);
	}
	return (int)v;
}

static unsigned int parse_uint(const char *opt, const char *s, unsigned int min, unsigned int max)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "launch: %s wants a number in %u..%u, not \"%s\"\n", opt, min, max, s);
		exit(2);
	}
	return (unsigned int)v;
}

/* Whether t names section `name`: exactly, or as the group before its
 * '-' ("linux" for linux-boot and linux-blk), so one word selects a family. */
static bool names_section(const char *t, const char *name)
{
	size_t n = strlen(t);
	return strcmp(name, t) == 0 || (strncmp(name, t, n) == 0 && name[n] == '-');
}

/* Marks the sections named in list; returns false on an unknown name. */
static bool select_sections(const char *list, bool *on)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", list);
	for (size_t i = 0; i < NSECTIONS; i++)
		on[i] = false;
	for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		bool found = false;
		for (size_t i = 0; i < NSECTIONS; i++)
			if (names_section(t, sections[i].name))
				on[i] = found = true;
		if (!found) {
			fprintf(stderr, "launch: unknown section \"%s\" (see --list)\n", t);
			return false;
		}
	}
	return true;
}

static void first_match(const char *file, const char *prefix, char *out, size_t len)
{
	char line[512];
	FILE *f = fopen(file, "re");
	out[0] = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, prefix, strlen(prefix)) == 0) {
			const char *v = strchr(line, ':');
			v = v ? v + 1 : line;
			while (*v == ' ' || *v == '\t')
				v++;
			size_t k = strcspn(v, "\n");
			if (k >= len)
				k = len - 1;
			memcpy(out, v, k);
			out[k] = '\0';
			break;
		}
	}
	fclose(f);
}

static void kvm_modules(char *out, size_t len)
{
	char line[512];
	size_t n = 0;
	FILE *f = fopen("/proc/modules", "re");
	out[0] = '\0';
	if (!f) {
		snprintf(out, len, "(no /proc/modules)");
		return;
	}
	while (fgets(line, sizeof(line), f) && n < len) {
		if (strncmp(line, "kvm", 3) != 0)
			continue;
		line[strcspn(line, " ")] = '\0';
		n += (size_t)snprintf(out + n, len - n, "%s%s", n ? " " : "", line);
	}
	fclose(f);
	if (!out[0])
		snprintf(out, len, "(built in)");
}

/* Other VMMs running now (other users of this host) make numbers noisy. */
static unsigned int count_other_vmms(void)
{
	static const char *const names[] = { "qemu-system-x86", "cellvm", "firecracker" };
	unsigned int n = 0;
	struct dirent *e;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		char path[300], comm[64] = "";
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		FILE *f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(f);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strcmp(comm, names[i]) == 0)
				n++;
	}
	closedir(d);
	return n;
}

static void print_host(const struct bench_cfg *cfg)
{
	struct utsname u;
	char cpu[256], load[128], mods[256], thp[128];
	struct stat st;
	time_t now = time(NULL);
	char when[64];

	uname(&u);
	first_match("/proc/cpuinfo", "model name", cpu, sizeof(cpu));
	first_match("/proc/loadavg", "", load, sizeof(load));
	kvm_modules(mods, sizeof(mods));
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z", localtime(&now));
	printf("cellvm benchmarks, %s\n", when);
	printf("host:   %s %s %s, %ld CPUs (%s), KVM modules: %s\n", u.sysname, u.release,
	       u.machine, sysconf(_SC_NPROCESSORS_ONLN), cpu[0] ? cpu : "?", mods);
	unsigned int others = count_other_vmms();
	printf("load:   %s%s", load, others ? "; " : "\n");
	if (others)
		printf("%u other VMM process(es) already running: expect noise\n", others);
	first_match("/sys/kernel/mm/transparent_hugepage/shmem_enabled", "", thp, sizeof(thp));
	printf("mm:     shmem THP: %s (guest RAM memfds fault in %s pages)\n", thp[0] ? thp : "?",
	       strstr(thp, "[never]") || strstr(thp, "[deny]") || !thp[0] ? "4 KiB" : "4 KiB or 2 MiB");
	printf("guest:  %s (%lld bytes), 1 vCPU, %u MiB\n", cfg->probe,
	       stat(cfg->probe, &st) == 0 ? (long long)st.st_size : -1LL, cfg->mem_mib);
	for (int i = 0; i < VMM_COUNT; i++) {
		const struct vmm *v = &cfg->vmm[i];
		if (v->path)
			printf("%-7s %s: %s\n", v->name, v->path, v->version);
		else
			printf("%-7s NOT RUN: %s\n", v->name, v->why_missing);
	}
	printf("commands (launch; mem uses probe=serial):\n");
	for (int i = 0; i < VMM_COUNT; i++) {
		struct argv_buf a;
		if (!vmm_available(cfg, (enum vmm_id)i))
			continue;
		vmm_argv(cfg, (enum vmm_id)i, "probe=hello", false, &a);
		argv_print(cfg->vmm[i].name, &a);
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "cellvm", required_argument, NULL, 'c' },
		{ "probe", required_argument, NULL, 'p' },
		{ "qemu", required_argument, NULL, 'q' },
		{ "runs", required_argument, NULL, 'r' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "only", required_argument, NULL, 'o' },
		{ "mem", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "settle-ms", required_argument, NULL, 's' },
		{ "qemu-machine", required_argument, NULL, 'M' },
		{ "bin-dir", required_argument, NULL, 'B' },
		{ "workdir", required_argument, NULL, 'W' },
		{ "blk-runs", required_argument, NULL, 'R' },
		{ "blk-ms", required_argument, NULL, 'T' },
		{ "blk-mib", required_argument, NULL, 'S' },
		{ "blk-iothread", required_argument, NULL, 'I' },
		{ "blk-mode", required_argument, NULL, 'P' },
		{ "blk-pin", required_argument, NULL, 'N' },
		{ "blk-nice", required_argument, NULL, 'n' },
		{ "blk-max-wait", required_argument, NULL, 'H' },
		{ "jail-uid", required_argument, NULL, 'U' },
		{ "jail-gid", required_argument, NULL, 'G' },
		{ "linux-dir", required_argument, NULL, 'L' },
		{ "linux-runs", required_argument, NULL, 'x' },
		{ "linux-blk-runs", required_argument, NULL, 'y' },
		{ "linux-seconds", required_argument, NULL, 'z' },
		{ "linux-timeout", required_argument, NULL, 'X' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "list", no_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct bench_cfg cfg = {
		.probe = "build/guest/probe.bzImage", .runs = 10, .warmup = 1, .mem_mib = 128,
		.timeout_ms = 20000, .settle_ms = 100,
		.qemu_machine = "microvm,x-option-roms=on,rtc=off",
		.blk_runs = 9, .blk_ms = 500, .blk_mib = 256, .blk_iothread = true,
		.blk_pin = true, .blk_nice = -15, .blk_max_wait = 15,
		.jail_uid = 65534, .jail_gid = 65534,
		.linux_dir = "build/linux", .linux_runs = 5, .linux_blk_runs = 3,
		.linux_seconds = 3, .linux_timeout_ms = 300000,
	};
	const char *cellvm = "build/cellvm", *qemu = NULL, *only = NULL;
	bool on[NSECTIONS];
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': cellvm = optarg; break;
		case 'p': cfg.probe = optarg; break;
		case 'q': qemu = optarg; break;
		case 'r': cfg.runs = parse_uint("--runs", optarg, 1, 10000); break;
		case 'w': cfg.warmup = parse_uint("--warmup", optarg, 0, 100); break;
		case 'o': only = optarg; break;
		case 'm': cfg.mem_mib = parse_uint("--mem", optarg, 16, 65536); break;
		case 't': cfg.timeout_ms = parse_uint("--timeout", optarg, 1, 3600) * 1000; break;
		case 's': cfg.settle_ms = parse_uint("--settle-ms", optarg, 0, 5000); break;
		case 'M': cfg.qemu_machine = optarg; break;
		case 'B': cfg.bin_dir = optarg; break;
		case 'W': cfg.workdir = optarg; break;
		case 'R': cfg.blk_runs = parse_uint("--blk-runs", optarg, 1, 10000); break;
		case 'T': cfg.blk_ms = parse_uint("--blk-ms", optarg, 50, 60000); break;
		case 'S': cfg.blk_mib = parse_uint("--blk-mib", optarg, 2, 65536); break;
		case 'I':
			if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0) {
				fprintf(stderr, "launch: --blk-iothread wants on or off\n");
				return 2;
			}
			cfg.blk_iothread = strcmp(optarg, "on") == 0;
			break;
		case 'n': cfg.blk_nice = parse_int("--blk-nice", optarg, -20, 19); break;
		case 'H': cfg.blk_max_wait = parse_uint("--blk-max-wait", optarg, 0, 100); break;
		case 'N':
			if (strcmp(optarg, "on") != 0 && strcmp(optarg, "off") != 0) {
				fprintf(stderr, "launch: --blk-pin wants on or off\n");
				return 2;
			}
			cfg.blk_pin = strcmp(optarg, "on") == 0;
			break;
		case 'P':
			if (strcmp(optarg, "poll") != 0 && strcmp(optarg, "irq") != 0) {
				fprintf(stderr, "launch: --blk-mode wants poll or irq\n");
				return 2;
			}
			cfg.blk_irq = strcmp(optarg, "irq") == 0;
			break;
		case 'U': cfg.jail_uid = parse_uint("--jail-uid", optarg, 1, 4000000000u); break;
		case 'G': cfg.jail_gid = parse_uint("--jail-gid", optarg, 1, 4000000000u); break;
		case 'L': cfg.linux_dir = optarg; break;
		case 'x': cfg.linux_runs = parse_uint("--linux-runs", optarg, 1, 1000); break;
		case 'y': cfg.linux_blk_runs = parse_uint("--linux-blk-runs", optarg, 1, 1000); break;
		case 'z': cfg.linux_seconds = parse_uint("--linux-seconds", optarg, 1, 600); break;
		case 'X':
			cfg.linux_timeout_ms = parse_uint("--linux-timeout", optarg, 1, 3600) * 1000;
			break;
		case 'v': cfg.verbose = true; break;
		case 'l':
			for (size_t i = 0; i < NSECTIONS; i++)
				printf("%-10s %s\n", sections[i].name, sections[i].what);
			return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	for (size_t i = 0; i < NSECTIONS; i++)
		on[i] = true;
	if (only && !select_sections(only, on))
		return 2;

	spawn_setup_cleanup();
	/* Polling sleeps (api: every 50 us) should last what they ask for. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access(cfg.probe, R_OK) != 0) {
		fprintf(stderr, "launch: probe guest %s: %s (run make all)\n", cfg.probe,
			strerror(errno));
		return 1;
	}
	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		fprintf(stderr, "launch: /dev/kvm: %s\n", strerror(errno));
		return 1;
	}
	vmm_init(&cfg, cellvm, qemu);
	if (!cfg.bin_dir) {
		/* The device programs and the jailer are built next to cellvm. */
		static char dir[4096];
		snprintf(dir, sizeof(dir), "%s", cellvm);
		char *slash = strrchr(dir, '/');
		if (slash)
			*slash = '\0';
		else
			snprintf(dir, sizeof(dir), ".");
		cfg.bin_dir = dir;
	}
	if (!vmm_available(&cfg, VMM_CELLVM)) {
		fprintf(stderr, "launch: cellvm: %s\n", cfg.vmm[VMM_CELLVM].why_missing);
		return 1;
	}
	print_host(&cfg);
	if (!vmm_available(&cfg, VMM_QEMU))
		printf("\nNOTE: QEMU is not available (%s): cellvm-only numbers below.\n",
		       cfg.vmm[VMM_QEMU].why_missing);

	int failed = 0;
	for (size_t i = 0; i < NSECTIONS && !bench_interrupted; i++) {
		struct section_result res = { 0 };
		if (!on[i])
			continue;
		if (sections[i].run(&cfg, &res) < 0)
			failed++;
		for (unsigned int id = 0; id < cfg.ncols; id++) {
			if (res.nested_repeats[id])
				printf("   %s: %u failed %s run(s) repeated (nested host; the failures "
				       "are above)\n", cfg.col[id].name, res.nested_repeats[id],
				       sections[i].name);
			if (res.runs_failed[id]) {
				printf("   %s: %u of %u recorded %s run(s) FAILED\n",
				       cfg.col[id].name, res.runs_failed[id],
				       res.runs_failed[id] + res.runs_ok[id], sections[i].name);
				failed++;
			}
		}
	}
	if (bench_interrupted) {
		printf("\ninterrupted: runs stopped, temporary files removed\n");
		return 130;
	}
	report_summary();
	return failed ? 1 : 0;
}
