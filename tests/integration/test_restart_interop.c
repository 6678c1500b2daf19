/* Device restart with QEMU 7.2 peers (README.md, "Device restart"):
 *  - QEMU microvm as the frontend (`-chardev socket,...,reconnect=1`,
 *    vhost-user-blk) to cellvm-blk, which the test kills mid-I/O and
 *    starts again: QEMU reconnects and hands it the inflight region it got
 *    from the first one (QEMU's own INFLIGHT_SHMFD support);
 *  - cellvm as the frontend (`--vhost-user blk,socket=...,restart=on-failure`)
 *    to qemu-storage-daemon, which the test kills and starts again: the
 *    core connects again and hands the new daemon its region.
 * The probe guest writes at queue depth 32 all along (blkstorm); its
 * writes must all succeed and the image must be the last pass's. */
#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vmrun.h"

#define VM_TIMEOUT_MS   180000
#define PEER_TIMEOUT_MS 10000
#define KILLS           3
/* isa-debug-exit turns the probe's debug-exit 0 into QEMU status 1. */
#define QEMU_PASSED     1

static struct vmrun vm, peer;
static char tmpdir[256], img[512], sock[512];

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

TestSuite(restart_interop, .init = setup, .fini = teardown, .timeout = 400);

static const char *str(const char *s)
{
	return s ? s : "";
}

static const char *dump(void)
{
	static char buf[16384];
	const char *o = str(vm.out), *ve = str(vm.err), *pe = str(peer.err), *po = str(peer.out);
	size_t ol = strlen(o), vl = strlen(ve);
	snprintf(buf, sizeof(buf),
		 "\n--- guest serial ---\n%s\n--- VM stderr ---\n%s\n--- last peer ---\n%.2000s%.3000s",
		 o + (ol > 4000 ? ol - 4000 : 0), ve + (vl > 5000 ? vl - 5000 : 0), po, pe);
	return buf;
}

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
	cr_assert_eq(test_mkdtemp(tmpdir, sizeof(tmpdir)), 0);
	snprintf(img, sizeof(img), "%s/disk.img", tmpdir);
	snprintf(sock, sizeof(sock), "%s/blk.sock", tmpdir);
	cr_assert_eq(test_make_image(img, 4u << 20), 0);
}

static void start_peer(char *const argv[])
{
	vmrun_free(&peer);
	vmrun_init(&peer);
	unlink(sock); /* a killed peer leaves its socket file */
	cr_assert_eq(vmrun_start(&peer, argv), 0, "starting %s", argv[0]);
	cr_assert(test_wait_path(sock, PEER_TIMEOUT_MS), "no socket %s%s", sock, dump());
	usleep(100000); /* listen() follows bind() */
}

/* Kills the peer KILLS times while the guest writes, each time after
 * letting the restarted pair run a while, and starts it again. */
static void kill_loop(char *const peer_argv[])
{
	cr_assert(vmrun_wait_for(&vm, "PROBE blkstorm writing", VM_TIMEOUT_MS), "%s", dump());
	for (int k = 0; k < KILLS; k++) {
		cr_assert_not(vmrun_wait_for(&vm, "PROBE blkstorm verifying", 1500),
			      "the guest finished before kill %d%s", k + 1, dump());
		vmrun_signal(&peer, SIGKILL);
		cr_assert_neq(vmrun_wait_exit(&peer, PEER_TIMEOUT_MS), -1, "%s", dump());
		start_peer(peer_argv);
	}
}

static void expect_storm_ok(int code, int want)
{
	char line[512], msg[512];
	uint64_t seed = 0;

	cr_assert_neq(code, -1, "the VM did not exit%s", dump());
	cr_assert(probe_line(str(vm.out), "PROBE blkstorm ok ", line, sizeof(line)),
		  "the guest's writes did not all succeed%s", dump());
	cr_assert(strstr(line, " config_irqs=0"), "%s%s", line, dump());
	cr_assert(probe_key_u64(line, "seed", &seed), "%s", line);
	cr_assert_eq(code, want, "exit status %d%s", code, dump());
	cr_assert(test_check_pattern(img, seed, msg, sizeof(msg)), "%s%s", msg, dump());
}

Test(restart_interop, qemu_microvm_reconnects_to_a_restarted_cellvm_blk)
{
	struct env e;
	char blk[PATH_MAX], chardev[PATH_MAX + 48];

	need_env(&e);
	snprintf(blk, sizeof(blk), "%s/cellvm-blk", e.bin_dir);
	char *peer_argv[] = { blk, "--socket", sock, "--image", img, NULL };
	start_peer(peer_argv);
	snprintf(chardev, sizeof(chardev), "socket,id=c0,path=%s,reconnect=1", sock);
	char *argv[] = { e.qemu, "-M", "microvm,acpi=off,memory-backend=mem",
			 "-enable-kvm", "-cpu", "host,-arch-capabilities", "-m", "128M",
			 "-object", "memory-backend-memfd,id=mem,size=128M,share=on",
			 "-smp", "1", "-nodefaults", "-no-user-config", "-nographic",
			 "-serial", "stdio", "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
			 "-global", "virtio-mmio.force-legacy=false",
			 /* QEMU's virtio-mmio offers the guest rings of up to 1024
			  * whatever the device's queue-size, but sizes the inflight
			  * region by queue-size: it must cover the ring the probe
			  * picks (256), or cellvm-blk refuses the region. */
			 "-chardev", chardev, "-device", "vhost-user-blk,chardev=c0,queue-size=256",
			 "-kernel", (char *)e.probe, "-append", "probe=blkstorm probe.storm.ms=10000",
			 NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	kill_loop(peer_argv);
	expect_storm_ok(vmrun_wait_exit(&vm, VM_TIMEOUT_MS), QEMU_PASSED);
}

/* QEMU 7.2's export offers no INFLIGHT_SHMFD (protocol features 0x8f2b):
 * what it had taken and not finished when it died cannot be known, so
 * the core does not pretend: NEEDS_RESET, the VM runs on. */
Test(restart_interop, cellvm_declines_to_restore_a_qemu_storage_daemon_without_inflight)
{
	struct env e;
	char blockdev[700], export[800], vu[600];

	need_env(&e);
	snprintf(blockdev, sizeof(blockdev), "driver=file,node-name=file0,filename=%s", img);
	snprintf(export, sizeof(export),
		 "type=vhost-user-blk,id=exp0,node-name=file0,addr.type=unix,addr.path=%s,writable=on",
		 sock);
	char *peer_argv[] = { e.qsd, "--blockdev", blockdev, "--export", export, NULL };
	start_peer(peer_argv);
	snprintf(vu, sizeof(vu), "blk,socket=%s,restart=on-failure", sock);
	char *argv[] = { (char *)e.cellvm, "run", "--kernel", (char *)e.probe, "--cmdline",
			 "probe=blkstorm probe.storm.ms=10000", "--mem", "128", "--vhost-user", vu,
			 NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	cr_assert(vmrun_wait_for(&vm, "PROBE blkstorm writing", VM_TIMEOUT_MS), "%s", dump());
	vmrun_signal(&peer, SIGKILL);
	cr_assert_neq(vmrun_wait_exit(&peer, PEER_TIMEOUT_MS), -1, "%s", dump());
	start_peer(peer_argv);
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);
	cr_assert_neq(code, -1, "%s", dump());
	cr_assert(strstr(str(vm.err), "vu0: the backend keeps no inflight region"), "%s", dump());
	cr_assert(strstr(str(vm.err), "the guest sees NEEDS_RESET"), "%s", dump());
	cr_assert(strstr(str(vm.out), "PROBE blkstorm fail reason="), "%s", dump());
	cr_assert_null(strstr(str(vm.err), "vu0: device restored ("), "%s", dump());
}

/* Before the driver starts it, a device has nothing in flight: a backend
 * without INFLIGHT_SHMFD is connected to again and the guest then uses it
 * normally. */
Test(restart_interop, cellvm_reconnects_to_a_restarted_qemu_storage_daemon_before_use)
{
	struct env e;
	char blockdev[700], export[800], vu[600], line[512], msg[512];
	uint64_t seed = 0;

	need_env(&e);
	snprintf(blockdev, sizeof(blockdev), "driver=file,node-name=file0,filename=%s", img);
	snprintf(export, sizeof(export),
		 "type=vhost-user-blk,id=exp0,node-name=file0,addr.type=unix,addr.path=%s,writable=on",
		 sock);
	char *peer_argv[] = { e.qsd, "--blockdev", blockdev, "--export", export, NULL };
	start_peer(peer_argv);
	snprintf(vu, sizeof(vu), "blk,socket=%s,restart=on-failure", sock);
	/* serial: the guest waits for a line before it touches the disk */
	char *argv[] = { (char *)e.cellvm, "run", "--kernel", (char *)e.probe, "--cmdline",
			 "probe=serial,blkstorm probe.storm.ms=3000", "--mem", "128", "--vhost-user",
			 vu, NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	cr_assert(vmrun_wait_for(&vm, "PROBE serial waiting", VM_TIMEOUT_MS), "%s", dump());
	vmrun_signal(&peer, SIGKILL);
	cr_assert_neq(vmrun_wait_exit(&peer, PEER_TIMEOUT_MS), -1, "%s", dump());
	start_peer(peer_argv);
	for (int waited = 0; !strstr(str(vm.err), "vu0: device restored ("); waited += 200) {
		cr_assert_lt(waited, 30000, "the core did not reconnect%s", dump());
		vmrun_wait_for(&vm, "\x01 never printed", 200);
	}
	cr_assert_eq(vmrun_write(&vm, "go\n"), 0);
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);
	cr_assert_eq(code, 0, "exit %d%s", code, dump());
	cr_assert(probe_line(str(vm.out), "PROBE blkstorm ok ", line, sizeof(line)), "%s", dump());
	cr_assert(probe_key_u64(line, "seed", &seed), "%s", line);
	vmrun_signal(&peer, SIGTERM);
	vmrun_wait_exit(&peer, PEER_TIMEOUT_MS);
	cr_assert(test_check_pattern(img, seed, msg, sizeof(msg)), "%s%s", msg, dump());
}
