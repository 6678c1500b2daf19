/* cellvm-net under cellvm with the probe guest (tests/guest/net.c): every
 * hostile chain comes back and the device's counters say exactly what it
 * made of each; the good frames reach the tap. Needs root and
 * /dev/net/tun (the nested host has both) for the test's tap. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "net_peer.h"
#include "test_env.h"
#include "vmrun.h"
#include "vsock_peer.h"

#define VM_TIMEOUT_MS 60000
#define TAP "cvmnet16"

static struct vmrun vm;
static char tmpdir[256], metrics[300];

static void setup(void)
{
	vmrun_init(&vm);
	tmpdir[0] = '\0';
}

static void teardown(void)
{
	vmrun_free(&vm);
	net_tap_delete(TAP);
	test_rmtree(tmpdir);
	tmpdir[0] = '\0';
}

TestSuite(net, .init = setup, .fini = teardown, .timeout = 180);

static const char *dump(void)
{
	static char buf[16384];
	const char *out = vm.out ? vm.out : "", *err = vm.err ? vm.err : "";
	size_t ol = strlen(out), el = strlen(err);
	snprintf(buf, sizeof(buf), "\n--- guest serial ---\n%s\n--- cellvm stderr ---\n%s",
		 out + (ol > 8000 ? ol - 8000 : 0), err + (el > 6000 ? el - 6000 : 0));
	return buf;
}

static uint64_t counter(const char *name)
{
	uint64_t v = 0;
	cr_assert(vsock_metrics_counter(metrics, "net0", name, &v), "no counter %s in %s%s", name,
		  metrics, dump());
	return v;
}

Test(net, probe_hostile_chains_are_returned_and_counted)
{
	struct env e = test_env_need();
	char msg[256], line[512];

	cr_assert_eq(test_mkdtemp(tmpdir, sizeof(tmpdir)), 0);
	snprintf(metrics, sizeof(metrics), "%s/metrics.jsonl", tmpdir);
	if (net_tap_create(TAP, "10.0.16.1", false, msg, sizeof(msg)) < 0)
		cr_skip_test("no tap: %s", msg);
	char *argv[] = { (char *)e.cellvm, "run", "--kernel", (char *)e.probe, "--cmdline", "probe=net",
			 "--mem", "128", "--net", "tap=" TAP ",mac=02:00:00:00:00:16,mtu=1500",
			 "--metrics-file", metrics, NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);
	cr_assert_eq(code, 0, "exit %d%s", code, dump());
	cr_assert(probe_line(vm.out, "PROBE net ok ", line, sizeof(line)), "%s", dump());
	cr_assert(strstr(line, "mac=02:00:00:00:00:16 status=1 pairs=1 mtu=1500 checks=19 "), "%s",
		  line);

	/* Exactly what each hostile chain was. */
	cr_assert_eq(counter("tx_bad_header"), 3, "5 bytes, 11 in two, writable only");
	cr_assert_eq(counter("tx_bad_length"), 2, "no frame, beyond the MTU");
	cr_assert_eq(counter("tx_bad_offload"), 4, "csum, tso4, ufo, unknown flags");
	cr_assert_eq(counter("tx_dropped"), 9);
	cr_assert_eq(counter("tx_errors"), 0);
	cr_assert_eq(counter("tx_packets"), 3);
	cr_assert_eq(counter("tx_bytes"), 60 + 61 + 62);
	cr_assert_eq(counter("ctrl_errors"), 5);
	cr_assert_eq(counter("ctrl_ok"), 0);
	cr_assert_eq(counter("rx_bad_buffer"), 2);
	cr_assert_eq(counter("rx_errors"), 0);
}

/* The most fds a device gets: seven tap queues and the counters page. A
 * restart hands every one of them to the new cellvm-net through the
 * core's spawner, whose messages once carried at most four. */
Test(net, seven_queue_pairs_come_back_after_a_kill)
{
	struct env e = test_env_need();
	char msg[256];

	if (net_tap_create("cvmnet19", "10.0.19.1", true, msg, sizeof(msg)) < 0)
		cr_skip_test("no tap: %s", msg);
	char *argv[] = { (char *)e.cellvm, "run", "--kernel", (char *)e.probe, "--cmdline",
			 "probe=serial", "--mem", "64", "--net", "tap=cvmnet19,queues=7", NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	cr_assert(vmrun_wait_for(&vm, "PROBE serial waiting", VM_TIMEOUT_MS), "%s", dump());
	pid_t dev = test_child_named(vm.pid, "cellvm-net");
	cr_assert_gt(dev, 0, "no cellvm-net%s", dump());
	cr_assert_eq(kill(dev, SIGKILL), 0);
	for (int waited = 0; !strstr(vm.err ? vm.err : "", "net0: device restored ("); waited += 100) {
		cr_assert_lt(waited, 30000, "cellvm-net with 7 tap queues not restored%s", dump());
		vmrun_wait_for(&vm, "\x01never\x01", 100);
	}
	pid_t again = test_child_named(vm.pid, "cellvm-net");
	cr_assert(again > 0 && again != dev, "no new cellvm-net%s", dump());
	vmrun_signal(&vm, SIGTERM);
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);
	net_tap_delete("cvmnet19");
	cr_assert_eq(code, 128 + SIGTERM, "exit %d%s", code, dump());
}
