/* Linux's own virtio_net driver against cellvm-net on a tap the test
 * makes in the (disposable) nested host: the guest takes 10.0.N.2, the
 * tap has 10.0.N.1; ICMP both ways (tests/linux/netcheck pings us, we
 * ping it) and TCP streams of every size from 1 byte to 64 KiB through
 * the host's echo server, both ends' checksums compared, with one queue
 * pair and with two, and under QEMU's microvm as the frontend. Then cellvm-net killed in the middle of a stream,
 * with Linux and its rng device running on; and a tap that is missing
 * or busy is a clear error before the guest starts. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include "linux_guest.h"
#include "net_peer.h"
#include "test_env.h"
#include "vmrun.h"
#include "vsock_peer.h"

#define BOOT_MS (240 * 1000)
#define RUN_MS (420 * 1000)
/* Criterion runs the tests at once: each has its own tap and subnet,
 * 10.0.N.1 on the tap and 10.0.N.2 in the guest. */
static struct vmrun vm, peer;
static struct net_peer echo;
static char tmpdir[256], metrics[320], tap[16], tap_arg[64], host_addr[16], guest_addr[16];

static void setup(void)
{
	vmrun_init(&vm);
	vmrun_init(&peer);
	memset(&echo, 0, sizeof(echo));
	echo.lfd = echo.stop_efd = -1;
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
	net_peer_stop(&echo);
	if (tap[0])
		net_tap_delete(tap);
	tap[0] = '\0';
	test_rmtree(tmpdir);
	tmpdir[0] = '\0';
}

TestSuite(net_linux, .init = setup, .fini = teardown, .timeout = 600);

static const char *dump(void)
{
	static char buf[20000];
	const char *out = vm.out ? vm.out : "", *err = vm.err ? vm.err : "";
	const char *pe = peer.err ? peer.err : "";
	size_t ol = strlen(out), el = strlen(err), pl = strlen(pe);
	snprintf(buf, sizeof(buf),
		 "\n--- guest serial ---\n%s\n--- VMM stderr ---\n%s\n--- cellvm-net (QEMU's peer) ---\n%s",
		 out + (ol > 9000 ? ol - 9000 : 0), err + (el > 5000 ? el - 5000 : 0),
		 pe + (pl > 3000 ? pl - 3000 : 0));
	return buf;
}

static void need(struct env *e, struct linux_guest *g, bool mq, unsigned int n, const char *opts)
{
	char msg[PATH_MAX + 64];

	snprintf(tap, sizeof(tap), "cvmnet%u", n);
	snprintf(tap_arg, sizeof(tap_arg), "tap=%s%s", tap, opts);
	snprintf(host_addr, sizeof(host_addr), "10.0.%u.1", n);
	snprintf(guest_addr, sizeof(guest_addr), "10.0.%u.2", n);

	*e = test_env_need();
	cr_assert_eq(linux_guest_find(g, msg, sizeof(msg)), 0, "%s", msg);
	cr_assert_eq(test_mkdtemp(tmpdir, sizeof(tmpdir)), 0);
	snprintf(metrics, sizeof(metrics), "%s/metrics.jsonl", tmpdir);
	if (net_tap_create(tap, host_addr, mq, msg, sizeof(msg)) < 0)
		cr_skip_test("no tap: %s", msg);
}

static void pump(int ms)
{
	vmrun_wait_for(&vm, "\x01never\x01", ms);
}

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

static const char *cmdline(const char *test, unsigned int pairs, unsigned int par)
{
	static char c[256];
	snprintf(c, sizeof(c), "%s cellvm.test=%s cellvm.net-pairs=%u cellvm.net-par=%u "
		 "cellvm.net-linger=3 cellvm.net-host=%s cellvm.net-addr=%s", LINUX_CMDLINE, test,
		 pairs, par, host_addr, guest_addr);
	return c;
}

/* Every stream the guest reports went through the echo server with the
 * same length and sum. */
static unsigned int check_streams(void)
{
	char prefix[] = LINUX_SAYS "netcheck tcp stream ", line[512];
	unsigned int n = 0;

	for (int i = 0; probe_line_n(vm.out, prefix, i, line, sizeof(line)); i++) {
		uint64_t size = 0, sum = 0;
		const char *s = strstr(line, "sum=");
		cr_assert(!strstr(line, "failed"), "%s%s", line, dump());
		cr_assert(probe_key_u64(line, "size", &size), "%s", line);
		cr_assert_not_null(s, "%s", line);
		sum = strtoull(s + 4, NULL, 16);
		cr_assert(net_peer_claim(&echo, size, sum),
			  "the host got other bytes than the guest sent: %s%s", line, dump());
		n++;
	}
	return n;
}

/* The guest's part and the host's; metrics only when cellvm is the VMM. */
static void net_checks(unsigned int pairs, unsigned int par, const char *mac, bool cellvm)
{
	char line[512], cmd[128];

	wait_line("netcheck up ", BOOT_MS, line, sizeof(line));
	cr_assert(!strstr(line, "failed"), "%s%s", line, dump());
	char want[128];
	snprintf(want, sizeof(want), "mac=%s mtu=1500 pairs=%u max=%u", mac, pairs, pairs);
	cr_assert(strstr(line, want), "'%s' lacks '%s'%s", line, want, dump());
	/* The host pings the guest while it streams (busybox's ping: the
	 * host may have no other). */
	snprintf(cmd, sizeof(cmd), "busybox ping -q -c 3 -W 10 %s >/dev/null", guest_addr);
	cr_assert_eq(system(cmd), 0, "the guest did not answer the host's pings%s", dump());
	wait_line("netcheck ping ", RUN_MS, line, sizeof(line));
	cr_assert(strstr(line, "ping ok sent=5 got=5"), "%s%s", line, dump());
	wait_line("netcheck streams ", RUN_MS, line, sizeof(line));
	cr_assert(strstr(line, "streams ok "), "%s%s", line, dump());
	int code = vmrun_wait_exit(&vm, RUN_MS);
	cr_assert_eq(code, 0, "exit %d%s", code, dump());
	cr_assert_eq(check_streams(), par * 20, "%s", dump());
	cr_assert_eq(echo.errors, 0);
	cr_assert(linux_line(vm.out, "virtio virtio0 device-id 0x0001 on LNRO0005:", (char[256]){ 0 },
			     256), "net not found through ACPI%s", dump());
	cr_assert_eq(linux_count(vm.out, "dmesg:"), 0, "Linux logged trouble%s", dump());
	if (!cellvm)
		return;

	/* Linux sends nothing the device refuses, and nothing was lost. */
	static const char *const zero[] = { "tx_dropped", "tx_errors", "tx_bad_header",
					    "tx_bad_length", "tx_bad_offload", "rx_dropped",
					    "rx_errors", "rx_bad_buffer", "ctrl_errors" };
	uint64_t v;
	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++) {
		cr_assert(vsock_metrics_counter(metrics, "net0", zero[i], &v), "%s", zero[i]);
		cr_assert_eq(v, 0, "%s = %" PRIu64 "%s", zero[i], v, dump());
	}
	cr_assert(vsock_metrics_counter(metrics, "net0", "tx_bytes", &v));
	cr_assert_gt(v, (uint64_t)par * 200000, "every stream's bytes went out");
	cr_assert(vsock_metrics_counter(metrics, "net0", "rx_bytes", &v));
	cr_assert_gt(v, (uint64_t)par * 200000, "and came back");
	cr_assert(vsock_metrics_counter(metrics, "net0", "ctrl_ok", &v));
	if (pairs > 1)
		cr_assert_geq(v, 2, "VQ_PAIRS_SET at probe and from ethtool");
	else
		cr_assert_eq(v, 0, "no control commands without MQ");
}

/* The default MAC: 02:c7 and FNV-1a of the tap's name (net_tap.h). */
static void default_mac(const char *name, char out[18])
{
	uint32_t h = 2166136261u;
	for (const char *p = name; *p; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	snprintf(out, 18, "02:c7:%02x:%02x:%02x:%02x", h >> 24, (h >> 16) & 255, (h >> 8) & 255,
		 h & 255);
}

Test(net_linux, one_pair_icmp_both_ways_and_streams_of_every_size)
{
	struct env e;
	struct linux_guest g;
	char mac[18];

	need(&e, &g, false, 11, "");
	cr_assert_eq(net_peer_start(&echo, host_addr, 7000, NET_PEER_ECHO), 0);
	char *argv[] = { (char *)e.cellvm, "run", "--kernel", g.bzimage, "--initrd", g.initrd,
			 "--mem", "256", "--cpus", (char *)linux_test_cpus_str(), "--cmdline",
			 (char *)cmdline("net", 1, 2), "--net", tap_arg, "--metrics-file", metrics,
			 "--metrics-interval", "100", NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	default_mac(tap, mac);
	net_checks(1, 2, mac, true);
}

Test(net_linux, two_pairs_multiqueue_tap)
{
	struct env e;
	struct linux_guest g;

	need(&e, &g, true, 12, ",queues=2,mac=02:00:00:00:00:42");
	cr_assert_eq(net_peer_start(&echo, host_addr, 7000, NET_PEER_ECHO), 0);
	char *argv[] = { (char *)e.cellvm, "run", "--kernel", g.bzimage, "--initrd", g.initrd,
			 "--mem", "256", "--cpus", (char *)linux_test_cpus_str(), "--cmdline",
			 (char *)cmdline("net", 2, 4), "--net", tap_arg, "--metrics-file", metrics,
			 "--metrics-interval", "100", NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	net_checks(2, 4, "02:00:00:00:00:42", true);
}

/* QEMU's microvm as the frontend (-netdev vhost-user, virtio-net-device)
 * driving a cellvm-net started by hand with a tap fd the test opened:
 * the same guest checks pass through QEMU's vhost-user and virtio-mmio. */
Test(net_linux, qemu_microvm_frontend_drives_a_standalone_cellvm_net)
{
	struct env e;
	struct linux_guest g;
	char qemu[PATH_MAX], dev[PATH_MAX], vu[320], chardev[400], fdnum[16];

	need(&e, &g, false, 15, "");
	cr_assert(test_which("qemu-system-x86_64", qemu, sizeof(qemu)),
		  "qemu-system-x86_64 is not on $PATH (scripts/install-deps.sh installs it)");
	cr_assert_eq(net_peer_start(&echo, host_addr, 7000, NET_PEER_ECHO), 0);
	/* What the core would do: one queue, vnet header 12, inherited by
	 * cellvm-net (no close-on-exec). */
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	int hdr = 12;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ioctl(fd, TUNSETIFF, &ifr), 0, "%s", strerror(errno));
	cr_assert_eq(ioctl(fd, TUNSETVNETHDRSZ, &hdr), 0);
	snprintf(fdnum, sizeof(fdnum), "%d", fd);
	snprintf(dev, sizeof(dev), "%s/cellvm-net", e.bin_dir);
	snprintf(vu, sizeof(vu), "%s/vu.sock", tmpdir);
	cr_assert_eq(vmrun_start(&peer, (char *[]){ dev, "--socket-path", vu, "--tap-fds", fdnum,
						    "--mac", "02:00:00:00:00:43", NULL }), 0);
	close(fd);
	cr_assert(test_wait_path(vu, 10000), "no %s%s", vu, dump());
	usleep(100000);
	snprintf(chardev, sizeof(chardev), "socket,id=c0,path=%s", vu);
	char *argv[] = { qemu, "-M", "microvm,x-option-roms=on,rtc=off,memory-backend=mem",
			 "-object", "memory-backend-memfd,id=mem,size=256M,share=on", "-enable-kvm",
			 "-cpu", "host,-arch-capabilities", "-m", "256", "-smp", "1", "-nodefaults",
			 "-no-user-config", "-nographic", "-serial", "stdio", "-no-reboot",
			 "-device", "i8042", "-global", "virtio-mmio.force-legacy=false",
			 "-chardev", chardev, "-netdev", "vhost-user,id=n0,chardev=c0",
			 "-device", "virtio-net-device,netdev=n0,mac=02:00:00:00:00:43",
			 "-kernel", g.bzimage, "-initrd", g.initrd, "-append", (char *)cmdline("net", 1, 2),
			 NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	net_checks(1, 2, "02:00:00:00:00:43", false);
	int pcode = vmrun_wait_exit(&peer, 10000);
	cr_assert_eq(pcode, 0, "cellvm-net exit %d after QEMU left%s", pcode, dump());
	cr_assert(strstr(peer.err, ", 0 tx and 0 rx dropped"), "%s", dump());
}

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

Test(net_linux, killing_cellvm_net_mid_stream_leaves_linux_and_rng_running)
{
	struct env e;
	struct linux_guest g;
	unsigned int bad;

	/* Not restarted: the device stays dead (NEEDS_RESET) and the rest
	 * of the VM carries on. */
	need(&e, &g, false, 13, ",restart=never");
	cr_assert_eq(net_peer_start(&echo, host_addr, 7001, NET_PEER_SINK), 0);
	char *argv[] = { (char *)e.cellvm, "run", "--kernel", g.bzimage, "--initrd", g.initrd,
			 "--mem", "256", "--cpus", (char *)linux_test_cpus_str(), "--cmdline",
			 (char *)cmdline("netflood", 1, 1), "--net", tap_arg, "--rng", NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	wait_line("netcheck flood bytes=", BOOT_MS, NULL, 0);
	for (int waited = 0; net_peer_bytes(&echo) < (1u << 20); waited += 100) {
		cr_assert_lt(waited, 60000, "the stream does not reach the host%s", dump());
		pump(100);
	}
	pid_t dev = test_child_named(vm.pid, "cellvm-net");
	cr_assert_gt(dev, 0, "no cellvm-net%s", dump());
	cr_assert_eq(kill(dev, SIGKILL), 0);
	for (int waited = 0; !test_death_reported(vm.err, "net0", SIGKILL); waited += 100) {
		cr_assert_lt(waited, 30000, "no death report%s", dump());
		pump(100);
	}
	unsigned int at = linux_last_tick(vm.out);
	uint64_t bytes = net_peer_bytes(&echo);
	for (int waited = 0; rng_ticks_after(at, &bad) < 10; waited += 100) {
		cr_assert_lt(waited, 60000, "Linux stopped after the device died%s", dump());
		pump(100);
	}
	cr_assert_eq(bad, 0, "the rng device failed after the net device died%s", dump());
	/* Nothing moves on the dead device: at most what was in flight. */
	cr_assert_lt(net_peer_bytes(&echo) - bytes, 4u << 20);
	vmrun_signal(&vm, SIGTERM);
	int code = vmrun_wait_exit(&vm, 30000);
	cr_assert_eq(code, 128 + SIGTERM, "exit %d%s", code, dump());
}

/* The default restart=on-failure: cellvm-net SIGKILLed again and again in
 * the middle of a stream comes back each time on the same tap fds and
 * rings, and the guest's TCP stream goes on. Every byte the host receives
 * is checked against the stream the guest sends (a frame lost is resent
 * by TCP; one corrupt or out of place would show). */
Test(net_linux, cellvm_net_killed_mid_stream_comes_back_and_the_stream_goes_on)
{
	struct env e;
	struct linux_guest g;
	const unsigned int kills = 5;

	need(&e, &g, false, 17, "");
	cr_assert_eq(net_peer_start(&echo, host_addr, 7001, NET_PEER_SINK), 0);
	char *argv[] = { (char *)e.cellvm, "run", "--kernel", g.bzimage, "--initrd", g.initrd,
			 "--mem", "256", "--cpus", (char *)linux_test_cpus_str(), "--cmdline",
			 (char *)cmdline("netflood", 1, 1), "--net", tap_arg, NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	wait_line("netcheck flood bytes=", BOOT_MS, NULL, 0);
	for (unsigned int k = 1; k <= kills; k++) {
		uint64_t before = net_peer_bytes(&echo);
		for (int waited = 0; net_peer_bytes(&echo) < before + (1u << 20); waited += 100) {
			cr_assert_lt(waited, 60000, "the stream does not move before kill %u%s", k,
				     dump());
			pump(100);
		}
		pid_t dev = test_child_named(vm.pid, "cellvm-net");
		cr_assert_gt(dev, 0, "no cellvm-net before kill %u%s", k, dump());
		cr_assert_eq(kill(dev, SIGKILL), 0);
		for (int waited = 0; test_count(vm.err, "net0: device restored (") < k; waited += 100) {
			cr_assert_lt(waited, 60000, "cellvm-net not restored after kill %u%s", k,
				     dump());
			pump(100);
		}
	}
	uint64_t before = net_peer_bytes(&echo);
	for (int waited = 0; net_peer_bytes(&echo) < before + (4u << 20); waited += 100) {
		cr_assert_lt(waited, 60000, "the stream did not go on after the last restart%s",
			     dump());
		pump(100);
	}
	cr_assert_eq(net_peer_sink_mismatched(&echo), 0, "the host got bytes the guest never sent%s",
		     dump());
	cr_assert_eq(net_peer_conns(&echo), 1, "the guest's stream broke and was dialled again%s",
		     dump());
	cr_assert(!strstr(vm.err, "NEEDS_RESET"), "%s", dump());
	cr_assert_eq(test_count(vm.err, "net0: device restored ("), kills, "%s", dump());
	vmrun_signal(&vm, SIGTERM);
	int code = vmrun_wait_exit(&vm, 30000);
	cr_assert_eq(code, 128 + SIGTERM, "exit %d%s", code, dump());
}

Test(net_linux, a_missing_or_busy_tap_is_a_clear_error)
{
	struct env e;
	struct linux_guest g;

	need(&e, &g, false, 14, "");
	char *argv[] = { (char *)e.cellvm, "run", "--kernel", g.bzimage, "--initrd", g.initrd,
			 "--net", "tap=cvmnone9", NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	int code = vmrun_wait_exit(&vm, 60000);
	cr_assert_eq(code, 1, "exit %d%s", code, dump());
	cr_assert(strstr(vm.err, "net: no interface 'cvmnone9'"), "%s", dump());
	vmrun_free(&vm);
	vmrun_init(&vm);

	/* Someone else holds the (single-queue) tap. */
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", tap);
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	cr_assert_geq(fd, 0);
	cr_assert_eq(ioctl(fd, TUNSETIFF, &ifr), 0, "%s", strerror(errno));
	argv[7] = tap_arg;
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	code = vmrun_wait_exit(&vm, 60000);
	close(fd);
	cr_assert_eq(code, 1, "exit %d%s", code, dump());
	char want[64];
	snprintf(want, sizeof(want), "net: tap '%s' is busy", tap);
	cr_assert(strstr(vm.err, want), "%s", dump());
}
