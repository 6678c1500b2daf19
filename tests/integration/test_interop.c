/* cellvm's vhost-user halves against real peers from QEMU 7.2:
 *  - cellvm (frontend) with qemu-storage-daemon's vhost-user-blk export;
 *  - cellvm-blk and cellvm-rng (backends) under qemu-system-x86_64 -M
 *    microvm with vhost-user-blk / vhost-user-rng on virtio-mmio.
 * In every case the probe guest drives the device and the blk image is
 * checked on the host afterwards. Needs CELLVM, CELLVM_BIN_DIR and PROBE
 * (skipped without them) and QEMU on $PATH (scripts/install-deps.sh). */
#include <criterion/criterion.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vmrun.h"

#define VM_TIMEOUT_MS   60000
#define PEER_TIMEOUT_MS 10000
#define SECTOR          512
/* isa-debug-exit turns the probe's debug-exit 0 into QEMU status 1. */
#define QEMU_PASSED     1

/* The VM (cellvm or QEMU) and the peer process (the backend), kept
 * where the suite's fini can stop them after a failed assertion. */
static struct vmrun vm, peer;
static char tmpdir[256];

static void setup(void)
{
	vmrun_init(&vm);
	vmrun_init(&peer);
	tmpdir[0] = '\0';
}

static void stop(struct vmrun *r)
{
	if (r->pid > 0 && !r->exited) {
		vmrun_signal(r, SIGTERM);
		vmrun_wait_exit(r, 3000);
	}
	vmrun_free(r);
}

static void teardown(void)
{
	stop(&vm);
	stop(&peer);
	test_rmtree(tmpdir);
	tmpdir[0] = '\0';
}

TestSuite(interop, .init = setup, .fini = teardown, .timeout = 180);

struct env {
	const char *cellvm, *bin_dir, *probe;
	char qemu[PATH_MAX], qsd[PATH_MAX];
};

static void need_env(struct env *e)
{
	e->cellvm = getenv("CELLVM");
	e->bin_dir = getenv("CELLVM_BIN_DIR");
	e->probe = getenv("PROBE");
	if (!e->cellvm || !*e->cellvm || !e->bin_dir || !*e->bin_dir || !e->probe || !*e->probe)
		cr_skip_test("CELLVM, CELLVM_BIN_DIR and PROBE are not set (make test sets them)");
	cr_assert(test_which("qemu-system-x86_64", e->qemu, sizeof(e->qemu)),
		  "qemu-system-x86_64 is not on $PATH (scripts/install-deps.sh installs it)");
	cr_assert(test_which("qemu-storage-daemon", e->qsd, sizeof(e->qsd)),
		  "qemu-storage-daemon is not on $PATH (scripts/install-deps.sh installs it)");
	int r = test_mkdtemp(tmpdir, sizeof(tmpdir));
	cr_assert_eq(r, 0, "mkdtemp: %s", strerror(-r));
}

static void tmp_path(char *out, size_t len, const char *name)
{
	cr_assert_lt((size_t)snprintf(out, len, "%s/%s", tmpdir, name), len, "path too long");
}

static void bin_path(const struct env *e, char *out, size_t len, const char *name)
{
	snprintf(out, len, "%s/%s", e->bin_dir, name);
	cr_assert_eq(access(out, X_OK), 0, "%s: %s", out, strerror(errno));
}

static const char *str(const char *s)
{
	return s ? s : "";
}

static const char *dump(void)
{
	static char buf[16384];
	const char *o = str(vm.out), *ve = str(vm.err), *pe = str(peer.err), *po = str(peer.out);
	size_t ol = strlen(o);
	snprintf(buf, sizeof(buf),
		 "\n--- guest serial ---\n%s\n--- VM stderr ---\n%.3000s\n--- peer output ---\n%.2000s%.3000s",
		 o + (ol > 8000 ? ol - 8000 : 0), ve, po, pe);
	return buf;
}

static uint64_t test_seed(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ((uint64_t)ts.tv_nsec ^ (uint64_t)getpid()) % 1000000;
}

static void start(struct vmrun *r, char *const argv[])
{
	int rc = vmrun_start(r, argv);
	cr_assert_eq(rc, 0, "starting %s: %s", argv[0], strerror(-rc));
}

/* Backends create their socket and then accept one frontend: wait for
 * the file, and a moment for listen() after bind(). */
static void wait_socket(const char *path)
{
	bool there = test_wait_path(path, PEER_TIMEOUT_MS);
	if (!there)
		vmrun_wait_exit(&peer, 100);
	cr_assert(there, "no socket %s after %d s%s", path, PEER_TIMEOUT_MS / 1000, dump());
	usleep(100000);
}

static void make_image(const char *path, uint64_t bytes)
{
	int r = test_make_image(path, bytes);
	cr_assert_eq(r, 0, "creating %s: %s", path, strerror(-r));
}

static void expect_pattern(const char *path, uint64_t seed)
{
	char msg[512];
	cr_assert(test_check_pattern(path, seed, msg, sizeof(msg)), "%s%s", msg, dump());
}

static void expect_summary(int code, int want_code)
{
	char line[128];
	cr_assert_neq(code, -1, "the VM did not exit within %d s%s", VM_TIMEOUT_MS / 1000, dump());
	cr_assert(!strstr(str(vm.out), "PROBE fatal"), "the guest died%s", dump());
	cr_assert(probe_line(str(vm.out), "PROBE done ", line, sizeof(line)), "no summary%s", dump());
	cr_assert_str_eq(line, "PROBE done passed=1 failed=0", "summary%s", dump());
	cr_assert_eq(code, want_code, "exit status %d, expected %d%s", code, want_code, dump());
}

static uint64_t key(const char *line, const char *k)
{
	uint64_t v = 0;
	cr_assert(probe_key_u64(line, k, &v), "no %s= in \"%s\"%s", k, line, dump());
	return v;
}

static void expect_blk_ok(uint64_t sectors, uint64_t seed, const char *id)
{
	char line[1024], got_id[64];
	cr_assert(probe_line(str(vm.out), "PROBE blk ok ", line, sizeof(line)), "no blk ok line%s",
		  dump());
	cr_assert_eq(key(line, "sectors"), sectors, "%s%s", line, dump());
	cr_assert_eq(key(line, "seed"), seed, "%s", line);
	cr_assert_geq(key(line, "qd"), 8, "%s", line);
	cr_assert(strstr(line, " flush=ok ") && strstr(line, " eod=ioerr "), "%s", line);
	cr_assert(probe_key_str(line, "id", got_id, sizeof(got_id)), "%s", line);
	cr_assert_str_eq(got_id, id, "GET_ID in \"%s\"", line);
}

/* qemu-system-x86_64 -M microvm with the probe, modern virtio-mmio and
 * the given vhost-user device on the socket; acpi=off makes QEMU put the
 * virtio_mmio.device= words on the command line, where the probe looks. */
static void start_qemu(const struct env *e, const char *device, const char *sock,
		       const char *append)
{
	char chardev[PATH_MAX + 32], dev[64];
	snprintf(chardev, sizeof(chardev), "socket,id=c0,path=%s", sock);
	snprintf(dev, sizeof(dev), "%s,chardev=c0", device);
	char *argv[] = { (char *)e->qemu, "-M", "microvm,acpi=off,memory-backend=mem",
			 "-enable-kvm", "-cpu", "host,-arch-capabilities", "-m", "128M",
			 "-object", "memory-backend-memfd,id=mem,size=128M,share=on",
			 "-smp", "1", "-nodefaults", "-no-user-config", "-nographic",
			 "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
			 "-global", "virtio-mmio.force-legacy=false",
			 "-chardev", chardev, "-device", dev,
			 "-kernel", (char *)e->probe, "-append", (char *)append, NULL };
	start(&vm, argv);
}

Test(interop, cellvm_frontend_with_qemu_storage_daemon)
{
	struct env e;
	need_env(&e);
	char img[512], sock[512], blockdev[700], export[800], vu[600], cmdline[128];
	uint64_t bytes = 8 * 1024 * 1024 + 5 * SECTOR, seed = test_seed();

	tmp_path(img, sizeof(img), "qsd.img");
	tmp_path(sock, sizeof(sock), "qsd.sock");
	make_image(img, bytes);
	snprintf(blockdev, sizeof(blockdev), "driver=file,node-name=file0,filename=%s", img);
	snprintf(export, sizeof(export),
		 "type=vhost-user-blk,id=exp0,node-name=file0,addr.type=unix,addr.path=%s,writable=on",
		 sock);
	start(&peer, (char *[]){ e.qsd, "--blockdev", blockdev, "--export", export, NULL });
	wait_socket(sock);

	snprintf(vu, sizeof(vu), "blk,socket=%s", sock);
	snprintf(cmdline, sizeof(cmdline), "probe=blk probe.blk.seed=%" PRIu64, seed);
	start(&vm, (char *[]){ (char *)e.cellvm, "run", "--kernel", (char *)e.probe, "--cmdline",
			       cmdline, "--mem", "128", "--vhost-user", vu, NULL });
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);

	expect_summary(code, 0);
	/* QEMU's export answers GET_ID with a fixed string. */
	expect_blk_ok(bytes / SECTOR, seed, "vhost_user_blk");
	/* The daemon serves until told to stop; stop it before reading. */
	vmrun_signal(&peer, SIGTERM);
	cr_assert_neq(vmrun_wait_exit(&peer, PEER_TIMEOUT_MS), -1, "qemu-storage-daemon hung%s",
		      dump());
	expect_pattern(img, seed);
}

Test(interop, cellvm_blk_backend_under_qemu_microvm)
{
	struct env e;
	need_env(&e);
	char blk[PATH_MAX], img[512], sock[512], append[128];
	uint64_t bytes = 8 * 1024 * 1024 + 3 * SECTOR, seed = test_seed();

	bin_path(&e, blk, sizeof(blk), "cellvm-blk");
	tmp_path(img, sizeof(img), "blk.img");
	tmp_path(sock, sizeof(sock), "blk.sock");
	make_image(img, bytes);
	start(&peer, (char *[]){ blk, "--socket", sock, "--image", img, "--id", "qemu-peer", NULL });
	wait_socket(sock);

	snprintf(append, sizeof(append), "probe=blk probe.blk.seed=%" PRIu64, seed);
	start_qemu(&e, "vhost-user-blk", sock, append);
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);

	expect_summary(code, QEMU_PASSED);
	/* QEMU's own virtio-mmio (vendor "QEMU"), a modern one. */
	cr_assert(strstr(str(vm.out), ": blk (id 2) version 2 vendor 0x554d4551"),
		  "not QEMU's modern virtio-mmio%s", dump());
	expect_blk_ok(bytes / SECTOR, seed, "qemu-peer");
	/* The backend serves one frontend and ends with it. */
	int pcode = vmrun_wait_exit(&peer, PEER_TIMEOUT_MS);
	cr_assert_eq(pcode, 0, "cellvm-blk exit status %d after QEMU left%s", pcode, dump());
	expect_pattern(img, seed);
}

Test(interop, cellvm_rng_backend_under_qemu_microvm)
{
	struct env e;
	need_env(&e);
	char rng[PATH_MAX], sock[512], line[512];

	bin_path(&e, rng, sizeof(rng), "cellvm-rng");
	tmp_path(sock, sizeof(sock), "rng.sock");
	start(&peer, (char *[]){ rng, "--socket-path", sock, NULL });
	wait_socket(sock);

	start_qemu(&e, "vhost-user-rng", sock, "probe=rng");
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);

	expect_summary(code, QEMU_PASSED);
	cr_assert(strstr(str(vm.out), ": rng (id 4) version 2 vendor 0x554d4551"),
		  "not QEMU's modern virtio-mmio%s", dump());
	cr_assert(probe_line(str(vm.out), "PROBE rng ok ", line, sizeof(line)), "%s", dump());
	cr_assert_eq(key(line, "bytes"), 28322, "%s", line);
	cr_assert_eq(key(line, "requests"), 16, "%s", line);
	int pcode = vmrun_wait_exit(&peer, PEER_TIMEOUT_MS);
	cr_assert_eq(pcode, 0, "cellvm-rng exit status %d after QEMU left%s", pcode, dump());
}
