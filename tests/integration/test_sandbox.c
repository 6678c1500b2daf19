/* Every process and thread of a running VM is sandboxed: seccomp filters
 * (Seccomp: 2), no_new_privs, no capabilities; device processes in their
 * own namespaces with an empty root and nothing of the core's. A
 * forbidden syscall, made through a hook only test builds have
 * (CELLVM_TEST_SYSCALL), kills with SIGSYS: the whole VM for a core
 * thread, only the device for a device process. Needs CELLVM,
 * CELLVM_BIN_DIR and PROBE, as `make test` sets them. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "net_peer.h"
#include "vmrun.h"

#define VM_TIMEOUT_MS 60000
#define EXIT_SIGSYS (128 + SIGSYS)

static struct vmrun vm;
static char tmpdir[256];

static void setup(void)
{
	vmrun_init(&vm);
	tmpdir[0] = '\0';
}

static void teardown(void)
{
	vmrun_free(&vm);
	test_rmtree(tmpdir);
	tmpdir[0] = '\0';
}

TestSuite(sandbox, .init = setup, .fini = teardown, .timeout = 120);

static const char *dump(void)
{
	static char buf[8192];
	snprintf(buf, sizeof(buf), "\n--- serial ---\n%.3000s\n--- stderr ---\n%.4000s",
		 vm.out ? vm.out : "", vm.err ? vm.err : "");
	return buf;
}

/* cellvm run with the probe, cmdline and extra options (NULL-terminated);
 * "@disk" and "@api" stand for a fresh image and an API socket path. */
static void start_vm(const char *cmdline, const char *const *extra)
{
	const char *cellvm = getenv("CELLVM"), *probe = getenv("PROBE"), *bin = getenv("CELLVM_BIN_DIR");
	static char disk[PATH_MAX], api[PATH_MAX], disk_arg[PATH_MAX + 32], vsock_arg[PATH_MAX + 32];
	char *argv[32];
	int n = 0;

	if (!cellvm || !*cellvm || !probe || !*probe || !bin || !*bin)
		cr_skip_test("CELLVM, CELLVM_BIN_DIR and PROBE are not set (make test sets them)");
	cr_assert_eq(test_mkdtemp(tmpdir, sizeof(tmpdir)), 0);
	snprintf(disk, sizeof(disk), "%s/disk.img", tmpdir);
	snprintf(api, sizeof(api), "%s/api.sock", tmpdir);
	snprintf(disk_arg, sizeof(disk_arg), "path=%s,id=sbx", disk);
	cr_assert_eq(test_make_image(disk, 1 << 20), 0);
	argv[n++] = (char *)cellvm;
	argv[n++] = "run";
	argv[n++] = "--kernel";
	argv[n++] = (char *)probe;
	argv[n++] = "--mem";
	argv[n++] = "64";
	argv[n++] = "--cmdline";
	argv[n++] = (char *)cmdline;
	for (; extra && *extra && n < 30; extra++) {
		if (strcmp(*extra, "@disk") == 0 || strcmp(*extra, "@disk-never") == 0) {
			if (strcmp(*extra, "@disk-never") == 0)
				strcat(disk_arg, ",restart=never");
			argv[n++] = "--disk";
			argv[n++] = disk_arg;
		} else if (strcmp(*extra, "@api") == 0) {
			argv[n++] = "--api-sock";
			argv[n++] = api;
		} else if (strcmp(*extra, "@vsock") == 0) {
			snprintf(vsock_arg, sizeof(vsock_arg), "cid=3,uds=%s/v.sock", tmpdir);
			argv[n++] = "--vsock";
			argv[n++] = vsock_arg;
		} else if (strncmp(*extra, "@net=", 5) == 0) {
			/* "@net=TAP": a tap made for the test (root, in the nested host). */
			static char net_arg[64];
			char msg[256];
			if (net_tap_create(*extra + 5, "10.0.99.1", false, msg, sizeof(msg)) < 0)
				cr_skip_test("no tap: %s", msg);
			/* Not restarted: these tests are about one death. */
			snprintf(net_arg, sizeof(net_arg), "tap=%s,restart=never", *extra + 5);
			argv[n++] = "--net";
			argv[n++] = net_arg;
		} else {
			argv[n++] = (char *)*extra;
		}
	}
	argv[n] = NULL;
	int r = vmrun_start(&vm, argv);
	cr_assert_eq(r, 0, "starting %s: %s", cellvm, strerror(-r));
}

#define EXTRA(...) ((const char *[]){ __VA_ARGS__, NULL })

/* A /proc file (they have no size) into buf; its length, or -1. */
static ssize_t read_proc(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return (ssize_t)n;
}

static bool read_status(pid_t pid, pid_t tid, char *buf, size_t len)
{
	char path[96];
	snprintf(path, sizeof(path), "/proc/%d/task/%d/status", (int)pid, (int)tid);
	return read_proc(path, buf, len) > 0;
}

static bool field_is(const char *status, const char *name, const char *want)
{
	const char *p = strstr(status, name);
	char val[64];
	return p && sscanf(p + strlen(name), " %63s", val) == 1 && strcmp(val, want) == 0;
}

/* Every thread of pid, within 3 s (the main thread locks itself down
 * right after the vCPUs start). */
static void expect_locked_down(pid_t pid, const char *what)
{
	char path[64], status[4096];
	int threads = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	cr_assert_not_null(d, "%s: %s", path, strerror(errno));
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		pid_t tid = atoi(e->d_name);
		bool ok = false;
		for (int tries = 0; tries < 300 && !ok; tries++) {
			ok = read_status(pid, tid, status, sizeof(status)) &&
			     field_is(status, "Seccomp:", "2") && field_is(status, "NoNewPrivs:", "1") &&
			     field_is(status, "CapEff:", "0000000000000000");
			if (!ok)
				usleep(10000);
		}
		cr_expect(ok, "%s thread %d is not locked down:\n%s", what, (int)tid, status);
		threads++;
	}
	closedir(d);
	cr_expect_gt(threads, 0);
}

static void expect_other_namespaces(pid_t pid, const char *what)
{
	static const char *const ns[] = { "mnt", "pid", "net", "ipc", "uts", "user", "cgroup" };
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++) {
		char path[64], mine[64] = "", theirs[64] = "";
		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns[i]);
		cr_assert_gt(readlink(path, mine, sizeof(mine) - 1), 0);
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, ns[i]);
		cr_assert_gt(readlink(path, theirs, sizeof(theirs) - 1), 0, "%s", path);
		cr_expect_str_neq(mine, theirs, "%s shares the host's %s namespace", what, ns[i]);
	}
}

/* What a device has open: its socket, eventfds, the memfd and image it
 * was handed; never KVM, never a host file but the image. */
static void expect_device_fds(pid_t pid, const char *what)
{
	char path[64], link[PATH_MAX];
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	DIR *d = opendir(path);
	cr_assert_not_null(d);
	for (struct dirent *e; (e = readdir(d));) {
		if (e->d_name[0] == '.')
			continue;
		char fdpath[320];
		snprintf(fdpath, sizeof(fdpath), "%s/%s", path, e->d_name);
		ssize_t n = readlink(fdpath, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		cr_expect(!strstr(link, "kvm"), "%s holds a KVM fd: %s", what, link);
		/* Mapped, then closed before the sandbox: the page needs no fd. */
		cr_expect(!strstr(link, "cellvm-dev-metrics"), "%s kept its counters fd", what);
		bool fine = strncmp(link, "socket:", 7) == 0 || strncmp(link, "pipe:", 5) == 0 ||
			    strncmp(link, "anon_inode:", 11) == 0 || strncmp(link, "/memfd:", 7) == 0 ||
			    strstr(link, "disk.img") || strncmp(link, "/dev/", 5) == 0;
		cr_expect(fine, "%s fd %s -> %s", what, e->d_name, link);
	}
	closedir(d);
}

static void expect_empty_root(pid_t pid, const char *what)
{
	char path[64];
	int entries = 0;
	snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
	DIR *d = opendir(path); /* we are root: mode 0 does not stop us */
	cr_assert_not_null(d, "%s: %s", path, strerror(errno));
	for (struct dirent *e; (e = readdir(d));)
		entries += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	cr_expect_eq(entries, 0, "%s's root is not empty", what);
}

Test(sandbox, every_process_and_thread_is_locked_down)
{
	start_vm("probe=blk,rng,serial", EXTRA("@disk", "--rng", "@api", "--cpus", "2", "@vsock"));
	cr_assert(vmrun_wait_for(&vm, "PROBE serial waiting", VM_TIMEOUT_MS), "%s", dump());
	/* Every thread: main, vCPUs, API and the vsock connect broker. */
	expect_locked_down(vm.pid, "cellvm");
	static const char *const devs[] = { "cellvm-blk", "cellvm-rng", "cellvm-vsock" };
	for (size_t i = 0; i < 3; i++) {
		pid_t dev = test_child_named(vm.pid, devs[i]);
		cr_assert_gt(dev, 0, "no %s child%s", devs[i], dump());
		expect_locked_down(dev, devs[i]);
		expect_other_namespaces(dev, devs[i]);
		expect_device_fds(dev, devs[i]);
		expect_empty_root(dev, devs[i]);
		char status[4096];
		cr_assert(read_status(dev, dev, status, sizeof(status)));
		/* Not the core's uid (root here): its namespace's uid 0 is nobody. */
		if (geteuid() == 0)
			cr_expect(field_is(status, "Uid:", "65534"), "%s", status);
		/* PID 1 of its own PID namespace: "NSpid:\tHOST\t1". */
		char line[128] = "";
		const char *nspid = strstr(status, "NSpid:");
		if (nspid)
			sscanf(nspid, "%127[^\n]", line);
		size_t l = strlen(line);
		cr_expect(l > 2 && strcmp(line + l - 2, "\t1") == 0, "%s", line);
	}
	cr_assert_eq(vmrun_write(&vm, "bye\n"), 0);
	cr_assert_eq(vmrun_wait_exit(&vm, VM_TIMEOUT_MS), 0, "%s", dump());
}

static void expect_sigsys(const char *kind, const char *const *extra)
{
	setenv("CELLVM_TEST_SYSCALL", kind, 1);
	start_vm("probe=hello", extra);
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);
	cr_assert_eq(code, EXIT_SIGSYS, "%s: exit %d, want %d (SIGSYS)%s", kind, code, EXIT_SIGSYS,
		     dump());
}

Test(sandbox, forbidden_syscall_kills_the_vm_from_the_main_thread)
{
	expect_sigsys("core-main", NULL);
}

Test(sandbox, forbidden_syscall_kills_the_vm_from_a_vcpu_thread)
{
	expect_sigsys("core-vcpu", EXTRA("--cpus", "2"));
}

Test(sandbox, forbidden_syscall_kills_the_vm_from_the_api_thread)
{
	expect_sigsys("core-api", EXTRA("@api"));
}

/* The core's vsock connect broker is a thread of its own kind: it may
 * create UNIX stream sockets only, and anything else kills the VMM. */
Test(sandbox, forbidden_syscall_kills_the_vm_from_the_vsock_broker_thread)
{
	expect_sigsys("vsock-broker", EXTRA("@vsock"));
}

/* The device dies a while after it started serving; the core says so,
 * the guest sees NEEDS_RESET and the VM finishes normally (restart=never:
 * test_restart.c has the restarted kind). */
static void expect_device_dies_alone(const char *hook, const char *const *extra, const char *name)
{
	char why[128];
	setenv("CELLVM_TEST_SYSCALL", hook, 1);
	start_vm("probe=needsreset probe.needsreset.ms=30000", extra);
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);
	cr_assert_eq(code, 0, "exit %d%s", code, dump());
	cr_assert(strstr(vm.out, "PROBE needsreset ok "), "%s", dump());
	/* The core's report: "NAME: ... killed by signal 31". */
	snprintf(why, sizeof(why), "killed by signal %d", SIGSYS);
	const char *line = strstr(vm.err, why);
	cr_assert(line, "no '%s'%s", why, dump());
	while (line > vm.err && line[-1] != '\n')
		line--;
	cr_assert(strstr(line, name) && strstr(line, name) < strstr(line, why), "%s", dump());
}

Test(sandbox, forbidden_syscall_kills_only_the_blk_process)
{
	expect_device_dies_alone("blk@2000", EXTRA("@disk-never"), "blk0");
}

Test(sandbox, forbidden_syscall_kills_only_the_rng_process)
{
	expect_device_dies_alone("rng@2000", EXTRA("--rng=restart=never"), "rng0");
}

Test(sandbox, log_mode_lets_the_vm_live)
{
	setenv("CELLVM_TEST_SYSCALL", "core-vcpu", 1);
	start_vm("probe=hello", EXTRA("--seccomp", "log"));
	cr_assert_eq(vmrun_wait_exit(&vm, VM_TIMEOUT_MS), 0, "%s", dump());
}

/* Inside its sandbox (the hook runs between pivot_root and seccomp,
 * which would kill the attempt) a device finds no host file by name. */
Test(sandbox, device_cannot_open_a_host_path)
{
	setenv("CELLVM_TEST_OPEN", "/etc/hostname", 1);
	start_vm("probe=hello", EXTRA("--rng", "@disk"));
	cr_assert_eq(vmrun_wait_exit(&vm, VM_TIMEOUT_MS), 0, "%s", dump());
	cr_assert(strstr(vm.err, "cellvm-rng: sandbox test: open(/etc/hostname): "), "%s", dump());
	cr_assert(strstr(vm.err, "cellvm-blk: sandbox test: open(/etc/hostname): "), "%s", dump());
	cr_assert(!strstr(vm.err, "open(/etc/hostname): opened"), "%s", dump());
}

/* A device gets its sandbox flags and no environment of the core's. */
Test(sandbox, device_command_line_and_environment)
{
	setenv("CELLVM_SECRET_FOR_TEST", "do-not-leak", 1);
	start_vm("probe=serial", EXTRA("--rng"));
	cr_assert(vmrun_wait_for(&vm, "PROBE serial waiting", VM_TIMEOUT_MS), "%s", dump());
	pid_t dev = test_child_named(vm.pid, "cellvm-rng");
	cr_assert_gt(dev, 0);
	static char buf[65536];
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)dev);
	ssize_t len = read_proc(path, buf, sizeof(buf));
	cr_assert_gt(len, 0);
	bool sandbox = false, seccomp = false;
	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(buf + off) + 1) {
		sandbox |= strcmp(buf + off, "--sandbox") == 0;
		seccomp |= strcmp(buf + off, "--seccomp=kill") == 0;
	}
	cr_expect(sandbox && seccomp);
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)dev);
	len = read_proc(path, buf, sizeof(buf));
	cr_assert_geq(len, 0);
	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(buf + off) + 1)
		cr_expect(strncmp(buf + off, "CELLVM_TEST_", 12) == 0 || strstr(buf + off, "SAN_OPTIONS="),
			  "the device inherited %s", buf + off);
	cr_assert_eq(vmrun_write(&vm, "bye\n"), 0);
	cr_assert_eq(vmrun_wait_exit(&vm, VM_TIMEOUT_MS), 0, "%s", dump());
}

/* cellvm-net: locked down like every device, and its own filter's kill
 * takes only it. */
Test(sandbox, net_device_is_locked_down)
{
	start_vm("probe=serial", EXTRA("@net=cvmnet21"));
	cr_assert(vmrun_wait_for(&vm, "PROBE serial waiting", VM_TIMEOUT_MS), "%s", dump());
	pid_t dev = test_child_named(vm.pid, "cellvm-net");
	cr_assert_gt(dev, 0, "no cellvm-net child%s", dump());
	expect_locked_down(dev, "cellvm-net");
	expect_empty_root(dev, "cellvm-net");
	cr_assert_eq(vmrun_write(&vm, "bye\n"), 0);
	cr_assert_eq(vmrun_wait_exit(&vm, VM_TIMEOUT_MS), 0, "%s", dump());
	net_tap_delete("cvmnet21");
}

Test(sandbox, forbidden_syscall_kills_only_the_net_process)
{
	setenv("CELLVM_TEST_SYSCALL", "net@2000", 1);
	start_vm("probe=serial", EXTRA("@net=cvmnet22", "--rng"));
	cr_assert(vmrun_wait_for(&vm, "PROBE serial waiting", VM_TIMEOUT_MS), "%s", dump());
	for (int waited = 0; !test_death_reported(vm.err, "net0", SIGSYS); waited += 100) {
		cr_assert_lt(waited, 30000, "no death report of net0%s", dump());
		vmrun_wait_for(&vm, "\x01never\x01", 100);
	}
	/* The VM and its other device live on. */
	cr_assert_gt(test_child_named(vm.pid, "cellvm-rng"), 0, "%s", dump());
	cr_assert_eq(vmrun_write(&vm, "bye\n"), 0);
	cr_assert_eq(vmrun_wait_exit(&vm, VM_TIMEOUT_MS), 0, "%s", dump());
	net_tap_delete("cvmnet22");
}
