/* Linux's own vsock driver (vmw_vsock_virtio_transport) against
 * cellvm-vsock, with tests/linux/vsockcheck in the guest and the host end
 * here: a guest stream to the host's echo server with a half-close, 16 at
 * once, three host clients reaching the guest's listener through
 * "CONNECT 6000" (the host half-closes, the guest answers), and a host
 * client that never reads: the guest's writes block at a bounded amount
 * while another stream flows, and every byte arrives once it reads. The
 * same guest run with QEMU as the frontend (vhost-user-vsock-device)
 * driving a standalone cellvm-vsock; and cellvm-vsock killed in the
 * middle of a stream, with Linux and its rng device running on. */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "linux_guest.h"
#include "test_env.h"
#include "tests/linux/vsock_pattern.h"
#include "vmrun.h"
#include "vsock_peer.h"

#define BOOT_MS (240 * 1000)
#define RUN_MS (420 * 1000)
#define HOST_BYTES (64u << 10)
#define SERVE_CONNS 3
#define REPLY_BYTES (32u << 10)
#define G2H_BYTES (1u << 20)
#define MULTI_BYTES (64u << 10)

static struct vmrun vm, peer;
static struct vsock_peer echo;
static int stuck_fd = -1;
static char tmpdir[256], uds[320], vu[320], metrics[320], vsock_arg[360];

static void setup(void)
{
	vmrun_init(&vm);
	vmrun_init(&peer);
	memset(&echo, 0, sizeof(echo));
	echo.lfd = echo.stop_efd = -1;
	stuck_fd = -1;
	tmpdir[0] = '\0';
}

static void teardown(void)
{
	vmrun_free(&vm);
	if (peer.pid > 0 && !peer.exited) {
		vmrun_signal(&peer, SIGTERM);
		vmrun_wait_exit(&peer, 3000);
	}
	vmrun_free(&peer);
	vsock_peer_stop(&echo);
	if (stuck_fd >= 0)
		close(stuck_fd);
	test_rmtree(tmpdir);
	tmpdir[0] = '\0';
}

TestSuite(vsock_linux, .init = setup, .fini = teardown, .timeout = 600);

static const char *dump(void)
{
	static char buf[20000];
	const char *out = vm.out ? vm.out : "", *err = vm.err ? vm.err : "";
	const char *pe = peer.err ? peer.err : "";
	size_t ol = strlen(out), el = strlen(err), pl = strlen(pe);
	snprintf(buf, sizeof(buf),
		 "\n--- guest serial ---\n%s\n--- VMM stderr ---\n%s\n--- cellvm-vsock (QEMU's peer) ---\n%s",
		 out + (ol > 9000 ? ol - 9000 : 0), err + (el > 5000 ? el - 5000 : 0),
		 pe + (pl > 3000 ? pl - 3000 : 0));
	return buf;
}

static void need(struct env *e, struct linux_guest *g)
{
	char msg[PATH_MAX + 64];

	*e = test_env_need();
	cr_assert_eq(linux_guest_find(g, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(test_mkdtemp(tmpdir, sizeof(tmpdir)), 0);
	snprintf(uds, sizeof(uds), "%s/v.sock", tmpdir);
	snprintf(vu, sizeof(vu), "%s/vu.sock", tmpdir);
	snprintf(metrics, sizeof(metrics), "%s/metrics.jsonl", tmpdir);
	snprintf(vsock_arg, sizeof(vsock_arg), "cid=3,uds=%s", uds);
}

static void pump(int ms)
{
	vmrun_wait_for(&vm, "\x01never\x01", ms);
}

/* Waits for the line that starts with what, and for all of it. */
static void wait_line(const char *what, int timeout_ms, char *line, size_t size)
{
	char needle[256];
	snprintf(needle, sizeof(needle), LINUX_SAYS "%s", what);
	cr_assert(vmrun_wait_for(&vm, needle, timeout_ms), "no '%s' line%s", needle, dump());
	for (int waited = 0; !strchr(strstr(vm.out, needle), '\n'); waited += 10) {
		cr_assert_lt(waited, 10000, "'%s' never ended%s", needle, dump());
		pump(10);
	}
	if (line)
		cr_assert(linux_line(vm.out, what, line, size));
}

static uint64_t key_of(const char *line, const char *key)
{
	char full[1100];
	uint64_t v = 0;
	snprintf(full, sizeof(full), " %s", line);
	cr_assert(probe_key_u64(full, key, &v), "no %s= in '%s'%s", key, line, dump());
	return v;
}

/* Writes all of buf, pumping the VM's output meanwhile. */
static void send_all(int fd, const uint8_t *buf, size_t n)
{
	while (n) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EAGAIN) {
			pump(10);
			continue;
		}
		cr_assert_gt(w, 0, "send: %s%s", strerror(errno), dump());
		buf += w;
		n -= (size_t)w;
	}
}

/* Reads up to n bytes (all of them unless EOF comes first). */
static size_t recv_all(int fd, uint8_t *buf, size_t n, int timeout_ms)
{
	size_t got = 0;
	int waited = 0;

	while (got < n) {
		ssize_t r = recv(fd, buf + got, n - got, MSG_DONTWAIT);
		if (r == 0)
			break;
		if (r < 0) {
			cr_assert_eq(errno, EAGAIN, "recv: %s%s", strerror(errno), dump());
			cr_assert_lt(waited, timeout_ms, "waited %d ms for %zu of %zu bytes%s", waited,
				     got, n, dump());
			pump(10);
			waited += 10;
			continue;
		}
		got += (size_t)r;
	}
	return got;
}

/* A host client reaching the guest's listener on 6000: sends HOST_BYTES,
 * half-closes, and checks the guest's answer to what it got. */
static void host_to_guest(unsigned int i)
{
	static uint8_t data[HOST_BYTES], reply[REPLY_BYTES + 1];
	uint32_t local = 0;
	char line[64];
	size_t ll = 0;

	int fd = vsock_dial(uds, 6000, &local, 30000);
	cr_assert_geq(fd, 0, "host client %u: %s%s", i, strerror(-fd), dump());
	cr_assert_geq(local, 1u << 30, "ports of host clients start at 2^30, as Firecracker's");
	vsock_pattern_fill(data, sizeof(data), 20 + i, 0);
	send_all(fd, data, sizeof(data));
	shutdown(fd, SHUT_WR);
	while (ll < sizeof(line) - 1) {
		cr_assert_eq(recv_all(fd, (uint8_t *)line + ll, 1, 60000), 1, "client %u: no answer%s",
			     i, dump());
		if (line[ll++] == '\n')
			break;
	}
	line[ll] = '\0';
	char want[64];
	snprintf(want, sizeof(want), "len=%u sum=%016" PRIx64 "\n", HOST_BYTES,
		 vsock_sum(VSOCK_SUM_INIT, data, sizeof(data)));
	cr_assert_str_eq(line, want, "client %u: the guest got other bytes%s", i, dump());
	size_t n = recv_all(fd, reply, sizeof(reply), 60000);
	cr_assert_eq(n, REPLY_BYTES, "client %u: %zu reply bytes, then EOF%s", i, n, dump());
	cr_assert_eq(vsock_pattern_check(reply, n, HOST_BYTES, 0), n, "client %u: reply bytes%s", i,
		     dump());
	close(fd);
}

/* The host client that never read: now it reads everything the guest wrote. */
static void drain_stuck(uint64_t written)
{
	static uint8_t buf[64 << 10];
	uint64_t got = 0;
	int fd = stuck_fd;

	for (;;) {
		size_t n = recv_all(fd, buf, sizeof(buf), 60000);
		cr_assert_eq(vsock_pattern_check(buf, n, 9, got), n, "stuck stream byte %" PRIu64 "%s",
			     got + vsock_pattern_check(buf, n, 9, got), dump());
		got += n;
		if (n < sizeof(buf))
			break;
	}
	close(fd);
	stuck_fd = -1;
	cr_assert_eq(got, written, "the host got %" PRIu64 " of the %" PRIu64 " bytes written%s",
		     got, written, dump());
}

/* The guest's part (tests/linux/test, cellvm.test=vsock) and ours. */
static void vsock_checks(void)
{
	char line[512];

	wait_line("vsockcheck listening port=6000", BOOT_MS, NULL, 0);
	for (unsigned int i = 0; i < SERVE_CONNS; i++)
		host_to_guest(i);
	/* A host client the guest writes to, which reads nothing for now. */
	wait_line("vsockcheck stuck listening port=6001", RUN_MS, NULL, 0);
	uint32_t local;
	stuck_fd = vsock_dial(uds, 6001, &local, 30000);
	cr_assert_geq(stuck_fd, 0, "client of 6001: %s%s", strerror(-stuck_fd), dump());
	wait_line("vsockcheck stuck blocked bytes=", RUN_MS, line, sizeof(line));
	uint64_t written = key_of(line, "bytes");
	/* Blocked at a bounded amount: the device's window plus the socket
	 * buffers, nothing like what the guest would write otherwise. */
	cr_assert_gt(written, 0, "%s", line);
	cr_assert_lt(written, 4u << 20, "%s", line);
	cr_log_info("a host client that never reads stopped the guest after %" PRIu64 " bytes", written);
	drain_stuck(written);

	wait_line("vsockcheck g2h ", 1, line, sizeof(line));
	cr_assert(strstr(line, "g2h ok "), "%s%s", line, dump());
	cr_assert_eq(key_of(line, "bytes"), G2H_BYTES);
	wait_line("vsockcheck multi ", 1, line, sizeof(line));
	cr_assert(strstr(line, "multi ok streams=16 "), "%s%s", line, dump());
	cr_assert_eq(key_of(line, "bytes"), 16ull * MULTI_BYTES);
	wait_line("vsockcheck serve ok conns=3", RUN_MS, NULL, 0);
	wait_line("vsockcheck stuck ok ", RUN_MS, line, sizeof(line));
	cr_assert(strstr(line, "other=ok"), "%s", line);
	cr_assert_eq(linux_count(vm.out, "vsockcheck multi stream"), 0, "a stream failed%s", dump());
}

static void start_echo(void)
{
	cr_assert_eq(vsock_peer_start(&echo, uds, 5000, VSOCK_PEER_ECHO), 0);
}

static const char *cmdline(const char *test)
{
	static char c[256];
	snprintf(c, sizeof(c), "%s cellvm.test=%s cellvm.vsock-bytes=%u cellvm.vsock-multi-bytes=%u",
		 LINUX_CMDLINE, test, G2H_BYTES, MULTI_BYTES);
	return c;
}

Test(vsock_linux, streams_both_ways_half_close_sixteen_at_once_and_a_reader_that_never_reads)
{
	struct env e;
	struct linux_guest g;
	uint64_t v;

	need(&e, &g);
	start_echo();
	char *argv[] = { (char *)e.cellvm, "run", "--kernel", g.bzimage, "--initrd", g.initrd,
			 "--mem", "256", "--cpus", (char *)linux_test_cpus_str(), "--cmdline",
			 (char *)cmdline("vsock"), "--vsock", vsock_arg, "--metrics-file", metrics, NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	vsock_checks();
	int code = vmrun_wait_exit(&vm, RUN_MS);
	cr_assert_eq(code, 0, "exit %d%s", code, dump());
	cr_assert(linux_line(vm.out, "virtio virtio0 device-id 0x0013 on LNRO0005:", (char[256]){ 0 },
			     256), "vsock not found through ACPI%s", dump());
	cr_assert_eq(linux_count(vm.out, "dmesg:"), 0, "Linux logged trouble%s", dump());

	/* Linux speaks the protocol as the device expects: no error of any
	 * kind, every connection accounted for. */
	static const char *const zero[] = { "bad_header", "bad_cid", "bad_length", "bad_op",
					    "credit_violations", "connect_failed", "handshake_failed",
					    "timeouts", "connection_limit", "rx_dropped", "bad_rx_buffer" };
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++) {
		cr_assert(vsock_metrics_counter(metrics, "vsock0", zero[i], &v), "%s", zero[i]);
		cr_assert_eq(v, 0, "%s = %" PRIu64 "%s", zero[i], v, dump());
	}
	cr_assert(vsock_metrics_counter(metrics, "vsock0", "g2h_connections", &v));
	cr_assert_eq(v, 1 + 16 + 1, "g2h, multi and the stream beside the stuck one");
	cr_assert(vsock_metrics_counter(metrics, "vsock0", "h2g_connections", &v));
	cr_assert_eq(v, SERVE_CONNS + 1, "the serve clients and the one that does not read");
	cr_assert_eq(vsock_peer_get(&echo.conns), 1 + 16 + 1);
	cr_assert_eq(vsock_peer_get(&echo.closed_ok), 1 + 16 + 1, "every echo stream ended cleanly");
	cr_assert_eq(vsock_peer_get(&echo.errors), 0);
}

Test(vsock_linux, qemu_microvm_frontend_drives_a_standalone_cellvm_vsock)
{
	struct env e;
	struct linux_guest g;
	char qemu[PATH_MAX], dev[PATH_MAX], chardev[PATH_MAX + 32];

	need(&e, &g);
	cr_assert(test_which("qemu-system-x86_64", qemu, sizeof(qemu)),
		  "qemu-system-x86_64 is not on $PATH (scripts/install-deps.sh installs it)");
	snprintf(dev, sizeof(dev), "%s/cellvm-vsock", e.bin_dir);
	start_echo();
	cr_assert_eq(vmrun_start(&peer, (char *[]){ dev, "--socket-path", vu, "--guest-cid", "3",
						    "--uds-path", uds, NULL }), 0);
	cr_assert(test_wait_path(vu, 10000), "no %s%s", vu, dump());
	usleep(100000);
	snprintf(chardev, sizeof(chardev), "socket,id=c0,path=%s", vu);
	char *argv[] = { qemu, "-M", "microvm,x-option-roms=on,rtc=off,memory-backend=mem",
			 "-object", "memory-backend-memfd,id=mem,size=256M,share=on", "-enable-kvm",
			 "-cpu", "host,-arch-capabilities", "-m", "256", "-smp", "1", "-nodefaults",
			 "-no-user-config", "-nographic", "-serial", "stdio", "-no-reboot",
			 "-device", "i8042", "-global", "virtio-mmio.force-legacy=false",
			 "-chardev", chardev, "-device", "vhost-user-vsock-device,chardev=c0",
			 "-kernel", g.bzimage, "-initrd", g.initrd, "-append", (char *)cmdline("vsock"),
			 NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	vsock_checks();
	int code = vmrun_wait_exit(&vm, RUN_MS);
	cr_assert_eq(code, 0, "QEMU exit %d%s", code, dump());
	/* QEMU's own virtio-mmio found the device through microvm's ACPI. */
	cr_assert(linux_line(vm.out, "virtio virtio0 device-id 0x0013 on LNRO0005:", (char[256]){ 0 },
			     256), "%s", dump());
	int pcode = vmrun_wait_exit(&peer, 10000);
	cr_assert_eq(pcode, 0, "cellvm-vsock exit %d after QEMU left%s", pcode, dump());
	cr_assert(strstr(peer.err, "18 guest and 4 host connections"), "%s", dump());
	cr_assert_eq(vsock_peer_get(&echo.closed_ok), 1 + 16 + 1);
}

/* The rng ticks the guest prints once the device is killed: "tick N rng 16". */
static unsigned int rng_ticks_after(unsigned int tick, unsigned int *bad)
{
	char prefix[] = LINUX_SAYS "tick ", line[256];
	unsigned int n = 0;

	*bad = 0;
	for (int i = 0; probe_line_n(vm.out, prefix, i, line, sizeof(line)); i++) {
		unsigned int t = (unsigned int)strtoul(line + strlen(prefix), NULL, 10);
		if (t <= tick)
			continue;
		n++;
		if (!strstr(line, " rng 16"))
			(*bad)++;
	}
	return n;
}

Test(vsock_linux, killing_cellvm_vsock_mid_stream_leaves_linux_and_rng_running)
{
	char never_arg[sizeof(vsock_arg) + 16];
	struct env e;
	struct linux_guest g;
	unsigned int bad;

	need(&e, &g);
	start_echo();
	snprintf(never_arg, sizeof(never_arg), "%s,restart=never", vsock_arg);
	char *argv[] = { (char *)e.cellvm, "run", "--kernel", g.bzimage, "--initrd", g.initrd,
			 "--mem", "256", "--cpus", (char *)linux_test_cpus_str(), "--cmdline",
			 (char *)cmdline("vsockflood"), "--vsock", never_arg, "--rng", NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	wait_line("vsockcheck flood bytes=", BOOT_MS, NULL, 0);
	pid_t dev = test_child_named(vm.pid, "cellvm-vsock");
	cr_assert_gt(dev, 0, "no cellvm-vsock%s", dump());
	cr_assert_eq(kill(dev, SIGKILL), 0);
	for (int waited = 0; !test_death_reported(vm.err, "vsock0", SIGKILL); waited += 100) {
		cr_assert_lt(waited, 30000, "no death report%s", dump());
		pump(100);
	}
	unsigned int at = linux_last_tick(vm.out);
	/* The stream stops (its host end is gone: the echo server sees it
	 * close), the guest and the rng device go on. */
	for (int waited = 0; rng_ticks_after(at, &bad) < 10; waited += 100) {
		cr_assert_lt(waited, 60000, "Linux stopped after the device died%s", dump());
		pump(100);
	}
	cr_assert_eq(bad, 0, "the rng device failed after the vsock device died%s", dump());
	cr_assert_eq(vsock_peer_get(&echo.conns), 1);
	vmrun_signal(&vm, SIGTERM);
	int code = vmrun_wait_exit(&vm, 30000);
	cr_assert_eq(code, 128 + SIGTERM, "exit %d%s", code, dump());
}
