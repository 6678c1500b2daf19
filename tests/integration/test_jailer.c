/* cellvm-jailer end to end: a jailed VM boots the probe guest with blk and
 * rng as an unprivileged uid; the jail holds only what it needs; cgroups
 * v1 and v2; every bad input fails cleanly and leaves nothing behind;
 * --cleanup, --new-pid-ns, --daemonize, --netns. Runs as root (the jailer
 * must); uses CELLVM_BIN_DIR's cellvm-jailer and cellvm. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "linux_guest.h"
#include "vmrun.h"

#define VM_TIMEOUT_MS 60000
#define JAIL_UID "64000"
#define JAIL_GID "64001"

static struct vmrun vm;
static char tmpdir[256], base[PATH_MAX], jailer[PATH_MAX], cellvm[PATH_MAX], disk[PATH_MAX];
static char id[64], parent_cg[64];
static const char *probe;

static void cleanup_jail(void);

static void setup(void)
{
	vmrun_init(&vm);
	tmpdir[0] = '\0';
	id[0] = '\0';
}

static void teardown(void)
{
	vmrun_free(&vm);
	if (id[0])
		cleanup_jail();
	test_rmtree(tmpdir);
	tmpdir[0] = '\0';
}

TestSuite(jailer, .init = setup, .fini = teardown, .timeout = 180);

static const char *dump(void)
{
	static char buf[8192];
	snprintf(buf, sizeof(buf), "\n--- stdout ---\n%.3000s\n--- stderr ---\n%.4000s",
		 vm.out ? vm.out : "", vm.err ? vm.err : "");
	return buf;
}

/* A unique id and parent cgroup per test: tests run in parallel. */
static void need_env(void)
{
	const char *bin = getenv("CELLVM_BIN_DIR");
	probe = getenv("PROBE");
	if (!bin || !*bin || !probe || !*probe)
		cr_skip_test("CELLVM_BIN_DIR and PROBE are not set (make test sets them)");
	if (geteuid() != 0)
		cr_skip_test("the jailer needs root");
	snprintf(jailer, sizeof(jailer), "%s/cellvm-jailer", bin);
	cr_assert(realpath(bin, cellvm), "%s: %s", bin, strerror(errno));
	strncat(cellvm, "/cellvm", sizeof(cellvm) - strlen(cellvm) - 1);
	cr_assert_eq(access(jailer, X_OK), 0, "%s: %s", jailer, strerror(errno));
	cr_assert_eq(test_mkdtemp(tmpdir, sizeof(tmpdir)), 0);
	snprintf(base, sizeof(base), "%s/jails", tmpdir);
	cr_assert_eq(mkdir(base, 0755), 0);
	snprintf(disk, sizeof(disk), "%s/disk.img", tmpdir);
	cr_assert_eq(test_make_image(disk, 1 << 20), 0);
	snprintf(id, sizeof(id), "t%d-%ld", (int)getpid(), (long)time(NULL) % 100000);
	snprintf(parent_cg, sizeof(parent_cg), "cellvm-test-%d", (int)getpid());
}

static void jail_path(char *out, size_t len, const char *rel)
{
	snprintf(out, len, "%s/cellvm/%s/root%s%s", base, id, rel[0] == '/' ? "" : "/", rel);
}

/* Starts cellvm-jailer with the common flags, then extra jailer flags,
 * "--", then cellvm's arguments. */
static void start_jailer(const char *const *jflags, const char *const *vmargs)
{
	char *argv[64];
	int n = 0;

	argv[n++] = jailer;
	argv[n++] = "--id";
	argv[n++] = id;
	argv[n++] = "--exec-file";
	argv[n++] = cellvm;
	argv[n++] = "--uid";
	argv[n++] = JAIL_UID;
	argv[n++] = "--gid";
	argv[n++] = JAIL_GID;
	argv[n++] = "--chroot-base-dir";
	argv[n++] = base;
	argv[n++] = "--parent-cgroup";
	argv[n++] = parent_cg;
	for (; jflags && *jflags; jflags++)
		argv[n++] = (char *)*jflags;
	argv[n++] = "--";
	for (; vmargs && *vmargs; vmargs++)
		argv[n++] = (char *)*vmargs;
	argv[n] = NULL;
	cr_assert_eq(vmrun_start(&vm, argv), 0);
}

static int run_cleanup(const char *cgroup_version)
{
	struct vmrun c;
	vmrun_init(&c);
	char *argv[] = { jailer, "--cleanup", "--id", id, "--exec-file", cellvm, "--chroot-base-dir",
			 base, "--parent-cgroup", parent_cg, "--cgroup-version",
			 (char *)cgroup_version, NULL };
	if (vmrun_start(&c, argv) < 0)
		return -1;
	int code = vmrun_wait_exit(&c, 20000);
	vmrun_free(&c);
	return code;
}

static void cleanup_jail(void)
{
	char dir[PATH_MAX];
	run_cleanup("1");
	run_cleanup("2");
	/* The per-test parent cgroups go too (empty by now). */
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/pids/%s", parent_cg);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/unified/%s", parent_cg);
	rmdir(dir);
	id[0] = '\0';
}

#define FLAGS(...) ((const char *[]){ __VA_ARGS__, NULL })

static const char *const *vm_args(const char *scenarios)
{
	static char cmdline[128], disk_arg[PATH_MAX + 32];
	snprintf(cmdline, sizeof(cmdline), "probe=%s", scenarios);
	snprintf(disk_arg, sizeof(disk_arg), "path=%s,id=jail", disk);
	static const char *args[16];
	int n = 0;
	args[n++] = "run";
	args[n++] = "--kernel";
	args[n++] = probe;
	args[n++] = "--mem";
	args[n++] = "64";
	args[n++] = "--cmdline";
	args[n++] = cmdline;
	args[n++] = "--disk";
	args[n++] = disk_arg;
	args[n++] = "--rng";
	args[n] = NULL;
	return args;
}

static bool read_small(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	size_t n = fread(buf, 1, cap - 1, f);
	buf[n] = '\0';
	fclose(f);
	return true;
}

static bool status_has(pid_t pid, const char *field, const char *want)
{
	char path[64], buf[4096], val[64];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	const char *p = read_small(path, buf, sizeof(buf)) ? strstr(buf, field) : NULL;
	return p && sscanf(p + strlen(field), " %63s", val) == 1 && strcmp(val, want) == 0;
}

/* ---- the jail's contents ---- */

static int unexpected;
static char unexpected_list[2048];
static size_t root_len;

static bool is_lib_path(const char *p)
{
	return strncmp(p, "/lib/", 5) == 0 || strncmp(p, "/lib64/", 7) == 0 ||
	       strncmp(p, "/usr/lib/", 9) == 0 || strncmp(p, "/usr/lib64/", 11) == 0;
}

static int check_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	const char *rel = path + root_len;
	static const char *const files[] = { "/cellvm", "/dev/kvm", "/dev/net/tun", "/dev/urandom" };
	bool ok = false;
	if (type == FTW_D || type == FTW_DP)
		return 0;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		ok |= strcmp(rel, files[i]) == 0;
	/* The device programs beside cellvm: each one the build made. */
	if (strncmp(rel, "/cellvm-", 8) == 0 && !strchr(rel + 1, '/')) {
		char prog[PATH_MAX];
		snprintf(prog, sizeof(prog), "%s%s", getenv("CELLVM_BIN_DIR"), rel);
		ok |= strcmp(rel, "/cellvm-jailer") != 0 && access(prog, X_OK) == 0;
	}
	ok |= strcmp(rel, probe[0] == '/' ? probe : "") == 0;
	ok |= strstr(rel, probe) && rel[0] == '/' && strcmp(rel + 1, probe) == 0;
	ok |= strcmp(rel, disk) == 0;
	/* Shared libraries (.so files the programs need), nothing else there. */
	ok |= type == FTW_F && S_ISREG(st->st_mode) && is_lib_path(rel) && strstr(rel, ".so");
	if (!ok) {
		unexpected++;
		size_t l = strlen(unexpected_list);
		snprintf(unexpected_list + l, sizeof(unexpected_list) - l, " %s", rel);
	}
	return 0;
}

Test(jailer, jailed_vm_boots_with_blk_and_rng_as_an_unprivileged_uid)
{
	char root[PATH_MAX], path[PATH_MAX * 2];

	need_env();
	start_jailer(FLAGS("--copy", probe, "--copy", disk), vm_args("blk,rng,serial"));
	cr_assert(vmrun_wait_for(&vm, "PROBE serial waiting", VM_TIMEOUT_MS), "%s", dump());

	/* No --new-pid-ns: the jailer exec'd cellvm, same pid. */
	cr_expect(status_has(vm.pid, "Uid:", JAIL_UID), "core uid");
	cr_expect(status_has(vm.pid, "Gid:", JAIL_GID), "core gid");
	cr_expect(status_has(vm.pid, "Seccomp:", "2"));
	cr_expect(status_has(vm.pid, "NoNewPrivs:", "1"));
	cr_expect(status_has(vm.pid, "CapEff:", "0000000000000000"));
	cr_expect(status_has(vm.pid, "CapBnd:", "0000000000000000"));
	static const char *const devs[] = { "cellvm-blk", "cellvm-rng" };
	for (size_t i = 0; i < 2; i++) {
		pid_t dev = test_child_named(vm.pid, devs[i]);
		cr_assert_gt(dev, 0, "no %s%s", devs[i], dump());
		/* An unprivileged core can only map its own uid for its devices. */
		cr_expect(status_has(dev, "Uid:", JAIL_UID), "%s uid", devs[i]);
		cr_expect(status_has(dev, "Seccomp:", "2"));
		cr_expect(status_has(dev, "CapEff:", "0000000000000000"));
	}
	/* The core sees the jail as its root. */
	snprintf(path, sizeof(path), "/proc/%d/root/cellvm", (int)vm.pid);
	cr_expect_eq(access(path, F_OK), 0);

	jail_path(root, sizeof(root), "");
	root[strlen(root) - 1] = '\0'; /* no trailing '/': entries keep their leading one */
	root_len = strlen(root);
	unexpected = 0;
	unexpected_list[0] = '\0';
	cr_assert_eq(nftw(root, check_entry, 16, FTW_PHYS), 0);
	cr_expect_eq(unexpected, 0, "unexpected files in the jail:%s", unexpected_list);
	jail_path(path, sizeof(path), "/dev/kvm");
	struct stat st;
	cr_assert_eq(stat(path, &st), 0);
	cr_expect(S_ISCHR(st.st_mode) && st.st_uid == (uid_t)atoi(JAIL_UID) &&
		  (st.st_mode & 0777) == 0600);

	cr_assert_eq(vmrun_write(&vm, "bye\n"), 0);
	cr_assert_eq(vmrun_wait_exit(&vm, VM_TIMEOUT_MS), 0, "%s", dump());
	cr_assert(strstr(vm.out, "PROBE done passed=3 failed=0"), "%s", dump());

	cr_assert_eq(run_cleanup("1"), 0);
	snprintf(path, sizeof(path), "%s/cellvm/%s", base, id);
	cr_assert_eq(access(path, F_OK), -1, "--cleanup left %s", path);
}

/* Debian's kernel in the jail: Linux finds the disk, writes and reads all
 * of it, and the image inside the jail holds what it wrote. */
Test(jailer, jailed_linux_with_a_disk_boots_to_init, .timeout = 600)
{
	struct linux_guest g;
	char msg[PATH_MAX + 64], disk_arg[PATH_MAX + 16], jailed_disk[PATH_MAX];

	need_env();
	cr_assert_eq(linux_guest_find(&g, msg, sizeof(msg)), 0, "%s", msg);
	/* A disk bigger than the probe's: Linux's pass is the real work. */
	cr_assert_eq(test_make_image(disk, 8 << 20), 0);
	snprintf(disk_arg, sizeof(disk_arg), "path=%s", disk);
	start_jailer(FLAGS("--copy", g.bzimage, "--copy", g.initrd, "--copy", disk),
		     FLAGS("run", "--kernel", g.bzimage, "--initrd", g.initrd, "--mem", "256", "--cpus",
			   linux_test_cpus_str(), "--disk", disk_arg, "--cmdline",
			   LINUX_CMDLINE " cellvm.test=devices cellvm.seed=77 cellvm.passes=1"));
	cr_assert(vmrun_wait_for(&vm, LINUX_SAYS "init ok", 300000), "%s", dump());
	cr_expect(status_has(vm.pid, "Uid:", JAIL_UID), "core uid");
	cr_assert_eq(vmrun_wait_exit(&vm, 300000), 0, "%s", dump());
	cr_assert(strstr(vm.out, LINUX_SAYS "blkcheck ok "), "%s", dump());
	cr_assert(strstr(vm.out, LINUX_SAYS "blkcheck mark offset=8384512 seed=1077"), "%s",
		  dump());
	jail_path(jailed_disk, sizeof(jailed_disk), disk);
	cr_assert(linux_check_image(jailed_disk, 77, 1077, msg, sizeof(msg)), "%s", msg);
}

Test(jailer, cgroup_v1_pids_limit_is_visible_and_enforced)
{
	char dir[PATH_MAX], path[PATH_MAX * 2], buf[4096];

	need_env();
	start_jailer(FLAGS("--cgroup", "pids.max=64", "--copy", probe, "--copy", disk),
		     vm_args("serial"));
	cr_assert(vmrun_wait_for(&vm, "PROBE serial waiting", VM_TIMEOUT_MS), "%s", dump());
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/pids/%s/%s", parent_cg, id);
	snprintf(path, sizeof(path), "%s/pids.max", dir);
	cr_assert(read_small(path, buf, sizeof(buf)));
	cr_expect_str_eq(buf, "64\n");
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	cr_assert(read_small(path, buf, sizeof(buf)));
	char me[32];
	snprintf(me, sizeof(me), "%d\n", (int)vm.pid);
	cr_expect(strncmp(buf, me, strlen(me)) == 0 || strstr(buf, me), "core not in %s: %s", dir,
		  buf);
	pid_t rng = test_child_named(vm.pid, "cellvm-rng");
	snprintf(me, sizeof(me), "%d\n", (int)rng);
	cr_expect(rng > 0 && strstr(buf, me), "rng not in %s: %s", dir, buf);
	/* --cleanup refuses while the VM lives. */
	cr_expect_eq(run_cleanup("1"), 1);
	cr_assert_eq(vmrun_write(&vm, "bye\n"), 0);
	cr_assert_eq(vmrun_wait_exit(&vm, VM_TIMEOUT_MS), 0, "%s", dump());
	cleanup_jail();

	/* Room for the core alone: its first device process cannot start. */
	vmrun_free(&vm);
	need_env();
	start_jailer(FLAGS("--cgroup", "pids.max=1", "--copy", probe, "--copy", disk),
		     vm_args("hello"));
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);
	cr_expect_eq(code, 1, "exit %d%s", code, dump());
	cr_expect(strstr(vm.err, "Resource temporarily unavailable"), "%s", dump());
	snprintf(path, sizeof(path), "/sys/fs/cgroup/pids/%s/%s/pids.events", parent_cg, id);
	cr_assert(read_small(path, buf, sizeof(buf)));
	unsigned long hits = 0;
	cr_expect(sscanf(buf, "max %lu", &hits) == 1 && hits > 0, "pids.events: %s", buf);
}

Test(jailer, cgroup_v2_places_the_vm)
{
	char path[PATH_MAX * 2], buf[4096], me[32];

	need_env();
	start_jailer(FLAGS("--cgroup-version", "2", "--copy", probe, "--copy", disk),
		     vm_args("serial"));
	cr_assert(vmrun_wait_for(&vm, "PROBE serial waiting", VM_TIMEOUT_MS), "%s", dump());
	snprintf(path, sizeof(path), "/sys/fs/cgroup/unified/%s/%s/cgroup.procs", parent_cg, id);
	cr_assert(read_small(path, buf, sizeof(buf)), "%s: %s", path, strerror(errno));
	snprintf(me, sizeof(me), "%d\n", (int)vm.pid);
	cr_expect(strstr(buf, me), "core %d not in %s: %s", (int)vm.pid, path, buf);
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)vm.pid);
	cr_assert(read_small(path, buf, sizeof(buf)));
	char want[256];
	snprintf(want, sizeof(want), "0::/%s/%s\n", parent_cg, id);
	cr_expect(strstr(buf, want), "%s", buf);
	cr_assert_eq(vmrun_write(&vm, "bye\n"), 0);
	cr_assert_eq(vmrun_wait_exit(&vm, VM_TIMEOUT_MS), 0, "%s", dump());
	cr_assert_eq(run_cleanup("2"), 0);
	snprintf(path, sizeof(path), "/sys/fs/cgroup/unified/%s/%s", parent_cg, id);
	cr_expect_eq(access(path, F_OK), -1);
}

/* ---- bad input: a clear error, nothing created ---- */

static void expect_refused(const char *const *argv_in, const char *mention)
{
	char *argv[40];
	int n = 0;
	for (; *argv_in; argv_in++)
		argv[n++] = (char *)*argv_in;
	argv[n] = NULL;
	vmrun_free(&vm);
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	int code = vmrun_wait_exit(&vm, 20000);
	cr_expect(code == 1 || code == 2, "exit %d for %s%s", code, mention, dump());
	cr_expect(strstr(vm.err, mention), "no '%s' in the error%s", mention, dump());
	/* Nothing left behind: no jail directory, no cgroup. */
	char path[PATH_MAX * 2];
	snprintf(path, sizeof(path), "%s/cellvm", base);
	cr_expect_eq(access(path, F_OK), -1, "%s exists after '%s'", path, mention);
	snprintf(path, sizeof(path), "/sys/fs/cgroup/pids/%s", parent_cg);
	cr_expect_eq(access(path, F_OK), -1, "%s exists after '%s'", path, mention);
	snprintf(path, sizeof(path), "/sys/fs/cgroup/unified/%s", parent_cg);
	cr_expect_eq(access(path, F_OK), -1, "%s exists after '%s'", path, mention);
}

#define J(...) ((const char *[]){ jailer, __VA_ARGS__, NULL })
#define COMMON "--exec-file", cellvm, "--uid", JAIL_UID, "--gid", JAIL_GID, "--chroot-base-dir", base, \
	"--parent-cgroup", parent_cg

Test(jailer, bad_input_fails_cleanly)
{
	char long_id[80], missing[PATH_MAX], netns[PATH_MAX], notns[PATH_MAX];

	need_env();
	memset(long_id, 'a', 65);
	long_id[65] = '\0';
	snprintf(missing, sizeof(missing), "%s/no/cellvm", tmpdir);
	snprintf(netns, sizeof(netns), "%s/no-such-netns", tmpdir);
	snprintf(notns, sizeof(notns), "%s/disk.img", tmpdir);
	expect_refused(J("--id", "a/b", COMMON), "--id");
	expect_refused(J("--id", "..", COMMON), "--id");
	expect_refused(J("--id", "../../etc", COMMON), "--id");
	expect_refused(J("--id", long_id, COMMON), "--id");
	expect_refused(J("--id", id, "--exec-file", missing, "--uid", JAIL_UID, "--gid", JAIL_GID,
			 "--chroot-base-dir", base),
		       "No such file");
	expect_refused(J("--id", id, COMMON, "--netns", netns), "--netns");
	expect_refused(J("--id", id, COMMON, "--netns", notns), "not a namespace");
	expect_refused(J("--id", id, COMMON, "--cgroup", "pids.nosuch=1"), "unknown cgroup file");
	expect_refused(J("--id", id, COMMON, "--cgroup", "nosuchctl.max=1"), "nosuchctl");
	expect_refused(J("--id", id, COMMON, "--cgroup-version", "2", "--cgroup", "pids.max=1"),
		       "no 'pids' controller");
	expect_refused(J("--id", id, COMMON, "--cgroup", "pids.max=not-a-number"), "cannot write");
	expect_refused(J("--id", id, COMMON, "--resource-limit", "bogus=1"), "--resource-limit");
	expect_refused(J("--id", id, COMMON, "--copy", missing), "--copy");
}

/* ---- --new-pid-ns, --daemonize ---- */

Test(jailer, new_pid_ns_and_daemonize)
{
	char pidfile[PATH_MAX], serial[PATH_MAX], buf[256], serial_arg[64];

	need_env();
	/* We reap the VM ourselves once the jailer has left it. */
	cr_assert_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	snprintf(serial_arg, sizeof(serial_arg), "file:/serial.log");
	const char *const *args = vm_args("blk,rng");
	const char *full[20];
	int n = 0;
	for (; args[n]; n++)
		full[n] = args[n];
	full[n++] = "--serial";
	full[n++] = serial_arg;
	full[n] = NULL;
	start_jailer(FLAGS("--new-pid-ns", "--daemonize", "--copy", probe, "--copy", disk), full);
	cr_assert_eq(vmrun_wait_exit(&vm, 20000), 0, "the jailer itself%s", dump());
	jail_path(pidfile, sizeof(pidfile), "/cellvm.pid");
	cr_assert(read_small(pidfile, buf, sizeof(buf)), "%s: %s", pidfile, strerror(errno));
	pid_t pid = atoi(buf);
	cr_assert_gt(pid, 1);
	int status = -1;
	for (int i = 0; i < 600; i++) {
		char nspid[128] = "", path[64], st[4096];
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		if (i == 0 && read_small(path, st, sizeof(st)) && strstr(st, "NSpid:"))
			sscanf(strstr(st, "NSpid:"), "%127[^\n]", nspid);
		if (i == 0)
			cr_expect(strlen(nspid) > 2 && strcmp(nspid + strlen(nspid) - 2, "\t1") == 0,
				  "not PID 1 of its namespace: %s", nspid);
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		usleep(100000);
	}
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "VM status %#x", status);
	jail_path(serial, sizeof(serial), "/serial.log");
	size_t len;
	char *out = (char *)test_read_file(serial, &len);
	cr_assert_not_null(out, "%s", serial);
	cr_expect(strstr(out, "PROBE done passed=2 failed=0"), "%s", out);
	free(out);
}

/* ---- --netns ---- */

Test(jailer, netns_is_joined)
{
	char nsfile[PATH_MAX], path[64], link[64], want[64];
	int sync[2];

	need_env();
	snprintf(nsfile, sizeof(nsfile), "%s/netns", tmpdir);
	cr_assert_eq(close(open(nsfile, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)), 0);
	cr_assert_eq(pipe(sync), 0);
	pid_t holder = fork();
	if (holder == 0) {
		char c = unshare(CLONE_NEWNET) == 0 ? 'y' : 'n';
		if (write(sync[1], &c, 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	char c = 0;
	cr_assert_eq(read(sync[0], &c, 1), 1);
	cr_assert_eq(c, 'y');
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)holder);
	cr_assert_eq(mount(path, nsfile, NULL, MS_BIND, NULL), 0, "%s", strerror(errno));
	kill(holder, SIGKILL);
	waitpid(holder, NULL, 0);
	struct stat st;
	cr_assert_eq(stat(nsfile, &st), 0);
	snprintf(want, sizeof(want), "net:[%lu]", (unsigned long)st.st_ino);

	start_jailer(FLAGS("--netns", nsfile, "--copy", probe, "--copy", disk), vm_args("serial"));
	bool up = vmrun_wait_for(&vm, "PROBE serial waiting", VM_TIMEOUT_MS);
	snprintf(path, sizeof(path), "/proc/%d/ns/net", (int)vm.pid);
	ssize_t l = readlink(path, link, sizeof(link) - 1);
	link[l > 0 ? l : 0] = '\0';
	if (up)
		vmrun_write(&vm, "bye\n");
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);
	umount2(nsfile, MNT_DETACH);
	cr_assert(up, "%s", dump());
	cr_expect_str_eq(link, want);
	cr_expect_eq(code, 0, "%s", dump());
}

/* A jailed VM with a tap: the tap lives in the network namespace the
 * jailer joins (--netns), owned by the jail's uid, and the unprivileged
 * core opens it from inside the jail (/dev/net/tun is there). The probe
 * guest's net scenario runs through it. */
Test(jailer, jailed_vm_with_a_tap_in_its_netns)
{
	static const char *const setup_cmds[] = {
		"ip netns add cvmjail",
		"ip -n cvmjail tuntap add dev cvmnet18 mode tap user " JAIL_UID,
		"ip -n cvmjail addr add 10.0.18.1/24 dev cvmnet18",
		"ip -n cvmjail link set cvmnet18 up",
	};
	char nsfile[64] = "/run/netns/cvmjail";

	need_env();
	if (system("ip netns del cvmjail 2>/dev/null") != 0) {
		/* There was none. */
	}
	for (size_t i = 0; i < sizeof(setup_cmds) / sizeof(setup_cmds[0]); i++)
		if (system(setup_cmds[i]) != 0)
			cr_skip_test("cannot make the test's netns and tap ('%s')", setup_cmds[i]);
	if (access(nsfile, F_OK) != 0)
		snprintf(nsfile, sizeof(nsfile), "/var/run/netns/cvmjail");
	const char *const *base_args = vm_args("net");
	const char *args[20];
	int n = 0;
	for (; base_args[n]; n++)
		args[n] = base_args[n];
	args[n++] = "--net";
	args[n++] = "tap=cvmnet18,mac=02:00:00:00:00:18";
	args[n] = NULL;
	start_jailer(FLAGS("--netns", nsfile, "--copy", probe, "--copy", disk), args);
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);
	if (system("ip netns del cvmjail") != 0) {
		/* The L1 goes away anyway. */
	}
	cr_assert_eq(code, 0, "%s", dump());
	cr_assert(strstr(vm.out, "PROBE net ok mac=02:00:00:00:00:18 status=1 "), "%s", dump());
	cr_assert(strstr(vm.out, "PROBE done passed=1 failed=0"), "%s", dump());
}
