/* cellvm-vsock under cellvm with the probe guest (tests/guest/vsock.c):
 * hostile packets on the rings, each answered with RST or dropped, and
 * counted in the device's metrics; a device killed by its own filter
 * leaves the VM running; the uds path is claimed like the API socket (a
 * live one refused, a stale one replaced) and removed at exit. Needs
 * CELLVM, CELLVM_BIN_DIR and PROBE (make test sets them). */
#include <criterion/criterion.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_env.h"
#include "vmrun.h"
#include "vsock_peer.h"

#define VM_TIMEOUT_MS 60000

static struct vmrun vm;
static struct vsock_peer echo;
static char tmpdir[256], uds[320], metrics[300], vsock_arg[360];

static void setup(void)
{
	vmrun_init(&vm);
	memset(&echo, 0, sizeof(echo));
	echo.lfd = echo.stop_efd = -1;
	tmpdir[0] = '\0';
}

static void teardown(void)
{
	vmrun_free(&vm);
	vsock_peer_stop(&echo);
	test_rmtree(tmpdir);
	tmpdir[0] = '\0';
	unsetenv("CELLVM_TEST_SYSCALL");
}

TestSuite(vsock, .init = setup, .fini = teardown, .timeout = 180);

static const char *dump(void)
{
	static char buf[16384];
	const char *out = vm.out ? vm.out : "", *err = vm.err ? vm.err : "";
	size_t ol = strlen(out), el = strlen(err);
	snprintf(buf, sizeof(buf), "\n--- guest serial ---\n%s\n--- cellvm stderr ---\n%s",
		 out + (ol > 8000 ? ol - 8000 : 0), err + (el > 6000 ? el - 6000 : 0));
	return buf;
}

static struct env need(void)
{
	struct env e = test_env_need();
	int r = test_mkdtemp(tmpdir, sizeof(tmpdir));
	cr_assert_eq(r, 0, "mkdtemp: %s", strerror(-r));
	snprintf(uds, sizeof(uds), "%s/v.sock", tmpdir);
	snprintf(metrics, sizeof(metrics), "%s/metrics.jsonl", tmpdir);
	snprintf(vsock_arg, sizeof(vsock_arg), "cid=3,uds=%s", uds);
	return e;
}

static int run_probe(const struct env *e, const char *cmdline)
{
	char *argv[] = { (char *)e->cellvm, "run", "--kernel", (char *)e->probe, "--cmdline",
			 (char *)cmdline, "--mem", "128", "--vsock", vsock_arg, "--metrics-file",
			 metrics, NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	return vmrun_wait_exit(&vm, VM_TIMEOUT_MS);
}

static uint64_t counter(const char *name)
{
	uint64_t v = 0;
	cr_assert(vsock_metrics_counter(metrics, "vsock0", name, &v), "no counter %s in %s%s", name,
		  metrics, dump());
	return v;
}

static uint64_t key(const char *line, const char *k)
{
	uint64_t v = 0;
	cr_assert(probe_key_u64(line, k, &v), "no %s= in \"%s\"", k, line);
	return v;
}

Test(vsock, probe_hostile_packets_are_answered_and_counted)
{
	struct env e = need();
	char line[512];

	cr_assert_eq(vsock_peer_start(&echo, uds, 5000, VSOCK_PEER_ECHO), 0);
	int code = run_probe(&e, "probe=vsock");
	cr_assert(probe_line(vm.out ? vm.out : "", "PROBE vsock ok ", line, sizeof(line)),
		  "no ok line%s", dump());
	cr_assert_eq(code, 0, "exit %d%s", code, dump());
	cr_assert_eq(key(line, "cid"), 3);
	cr_assert_eq(key(line, "checks"), 23, "every packet the scenario checks: %s", line);
	cr_assert_eq(key(line, "rsts"), 16, "%s", line);
	cr_assert_eq(key(line, "silent"), 4, "%s", line);
	cr_assert_gt(key(line, "irqs"), 0, "answers come by interrupt: %s", line);

	/* The device's own account of it, as the metrics file's last line
	 * (written as the VM stopped) has it. */
	cr_assert_eq(counter("h2g_resets"), key(line, "rsts"), "every RST the guest saw, and no other");
	cr_assert_eq(counter("bad_header"), 2, "43-byte chain and writable-only chain");
	cr_assert_eq(counter("bad_cid"), 2, "wrong source (dropped) and destination (RST)");
	cr_assert_eq(counter("bad_length"), 2, "beyond the chain, beyond 64 KiB");
	cr_assert_eq(counter("credit_violations"), 1);
	cr_assert_eq(counter("connect_failed"), 1, "the port nobody listens on");
	cr_assert_eq(counter("g2h_connections"), 4);
	cr_assert_eq(counter("active_connections"), 0, "the reset at the end dropped them all");
	cr_assert_geq(counter("bad_op"), 8);
	cr_assert_eq(counter("g2h_resets"), 1, "the guest's own RST");
	cr_assert_eq(counter("g2h_bytes"), 5 + 10 + 9, "what reached the echo server");
	cr_assert_eq(counter("h2g_bytes"), 5 + 10 + 9, "its echo");
	/* The echo server saw exactly the streams the guest opened. */
	cr_assert_eq(vsock_peer_get(&echo.conns), 4);
	cr_assert_eq(vsock_peer_get(&echo.bytes_in), 24);
	/* The device reports nothing it did not count. */
	cr_assert_null(strstr(vm.err, "vsock0: device"), "the device died%s", dump());
	cr_assert_neq(access(uds, F_OK), 0, "the uds socket file is removed at exit");
}

Test(vsock, a_device_killed_by_its_filter_leaves_the_vm_running)
{
	struct env e = need();

	/* Once it serves (the core needs it to answer the setup first).
	 * restart=never: the restarted kind is test_restart.c's. */
	setenv("CELLVM_TEST_SYSCALL", "vsock@1500", 1);
	strncat(vsock_arg, ",restart=never", sizeof(vsock_arg) - strlen(vsock_arg) - 1);
	char *argv[] = { (char *)e.cellvm, "run", "--kernel", (char *)e.probe, "--cmdline",
			 "probe=serial,hello", "--mem", "128", "--vsock", vsock_arg, NULL };
	cr_assert_eq(vmrun_start(&vm, argv), 0);
	cr_assert(vmrun_wait_for(&vm, "PROBE serial waiting", VM_TIMEOUT_MS), "%s", dump());
	for (int i = 0; i < 100 && !strstr(vm.err ? vm.err : "", "killed by signal 31"); i++)
		vmrun_wait_for(&vm, "\x01never\x01", 100);
	cr_assert(test_death_reported(vm.err, "vsock0", SIGSYS), "no death report%s", dump());
	/* The guest goes on: it reads a line and finishes. */
	cr_assert_eq(vmrun_write(&vm, "still here\n"), 0);
	int code = vmrun_wait_exit(&vm, VM_TIMEOUT_MS);
	cr_assert_eq(code, 0, "exit %d%s", code, dump());
	cr_assert(strstr(vm.out, "PROBE done passed=2 failed=0"), "%s", dump());
}

Test(vsock, a_live_uds_path_is_refused_a_stale_one_replaced)
{
	struct env e = need();

	char base[280];
	snprintf(base, sizeof(base), "%s/live", tmpdir);
	int lfd = vsock_listen_port(base, 0); /* binds TMPDIR/live_0 */
	cr_assert_geq(lfd, 0);
	snprintf(uds, sizeof(uds), "%s_0", base);
	snprintf(vsock_arg, sizeof(vsock_arg), "cid=3,uds=%s", uds);
	int code = run_probe(&e, "probe=hello");
	cr_assert_eq(code, 1, "exit %d%s", code, dump());
	cr_assert(strstr(vm.err, "another process is serving"), "%s", dump());
	vmrun_free(&vm);
	close(lfd); /* the file stays: stale */
	cr_assert_eq(access(uds, F_OK), 0);
	code = run_probe(&e, "probe=hello");
	cr_assert_eq(code, 0, "exit %d%s", code, dump());
	cr_assert_neq(access(uds, F_OK), 0);
}
