/* Boots the probe guest (tests/guest) in cellvm and checks what it reports
 * on the serial port. Needs CELLVM (the cellvm binary) and PROBE (the
 * probe bzImage) in the environment, as `make test` sets them; without
 * them the tests are skipped.
 *
 * The guest prints one line per result: "PROBE <name> ok key=value ..."
 * or "PROBE <name> fail reason=...", then "PROBE done passed=P failed=F"
 * and exits through the debug-exit port (cellvm: 0 -> 0, v -> 64 + v). */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MiB (1024ULL * 1024)

/* ---- spawning cellvm and capturing the guest's serial output ---- */

struct vm_opts {
	const char *cmdline;
	unsigned mem_mib;
	unsigned cpus;
	unsigned timeout_s; /* then the VM is killed */
	const char *wait_for; /* once this shows up in the output... */
	const char *send;     /* ...this is written to the VM's stdin */
};

struct vm_result {
	int status;     /* exit code, 128 + signal if killed by one */
	bool timed_out; /* we had to kill it */
	char *out;      /* stdout = the guest's serial output, NUL-terminated */
	size_t out_len;
	char *err; /* cellvm's own messages */
	size_t err_len;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void append(char **buf, size_t *len, const char *data, size_t n)
{
	char *p = realloc(*buf, *len + n + 1);
	cr_assert_not_null(p, "out of memory capturing VM output");
	memcpy(p + *len, data, n);
	*len += n;
	p[*len] = '\0';
	*buf = p;
}

/* Returns false and leaves the test skipped when the environment does
 * not name a cellvm binary and a probe image. */
static bool env_paths(const char **cellvm, const char **probe)
{
	*cellvm = getenv("CELLVM");
	*probe = getenv("PROBE");
	if (!*cellvm || !**cellvm || !*probe || !**probe)
		return false;
	struct stat st;
	cr_assert(stat(*cellvm, &st) == 0, "CELLVM=%s: %s", *cellvm, strerror(errno));
	cr_assert(stat(*probe, &st) == 0, "PROBE=%s: %s", *probe, strerror(errno));
	return true;
}

/* Criterion runs each test in its own process, and a failed assertion
 * leaves the test at once: the result lives here and the suite's fini
 * frees it, so failures do not show up as leaks too. */
static struct vm_result result;

static void vm_free(void)
{
	free(result.out);
	free(result.err);
	memset(&result, 0, sizeof(result));
}

/* Runs `cellvm run --kernel $PROBE --cmdline ... --mem M --cpus N
 * --serial stdio`, captures stdout and stderr until it exits or the
 * timeout passes, and feeds o->send to its stdin once o->wait_for has
 * appeared on stdout. */
static const struct vm_result *vm_run(const struct vm_opts *o)
{
	struct vm_result *r = &result;
	const char *cellvm, *probe;
	if (!env_paths(&cellvm, &probe))
		cr_skip_test("CELLVM and PROBE are not set (make test sets them)");

	vm_free();
	append(&r->out, &r->out_len, "", 0);
	append(&r->err, &r->err_len, "", 0);

	char mem[16], cpus[16];
	snprintf(mem, sizeof(mem), "%u", o->mem_mib);
	snprintf(cpus, sizeof(cpus), "%u", o->cpus);
	char *argv[] = { (char *)cellvm, "run", "--kernel", (char *)probe, "--cmdline", (char *)o->cmdline,
			 "--mem", mem, "--cpus", cpus, "--serial", "stdio", NULL };

	int in[2], out[2], err[2];
	cr_assert(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 && pipe2(err, O_CLOEXEC) == 0,
		  "pipe2: %s", strerror(errno));
	pid_t pid = fork();
	cr_assert(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		execv(cellvm, argv);
		dprintf(2, "exec %s: %s\n", cellvm, strerror(errno));
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	/* A VM that exits before reading its input must not kill us. */
	signal(SIGPIPE, SIG_IGN);

	double deadline = now_s() + o->timeout_s;
	bool sent = !o->send, out_open = true, err_open = true;
	while (out_open || err_open) {
		if (!sent && o->wait_for && strstr(r->out, o->wait_for)) {
			size_t n = strlen(o->send);
			cr_assert(write(in[1], o->send, n) == (ssize_t)n, "writing to the VM's stdin: %s",
				  strerror(errno));
			sent = true;
		}
		double left = deadline - now_s();
		if (left <= 0) {
			r->timed_out = true;
			kill(pid, SIGKILL);
			break;
		}
		struct pollfd p[2] = { { out_open ? out[0] : -1, POLLIN, 0 },
				       { err_open ? err[0] : -1, POLLIN, 0 } };
		int n = poll(p, 2, (int)(left * 1000) + 1);
		if (n < 0 && errno == EINTR)
			continue;
		cr_assert(n >= 0, "poll: %s", strerror(errno));
		char buf[4096];
		if (p[0].revents) {
			ssize_t k = read(out[0], buf, sizeof(buf));
			if (k > 0)
				append(&r->out, &r->out_len, buf, (size_t)k);
			else
				out_open = false;
		}
		if (p[1].revents) {
			ssize_t k = read(err[0], buf, sizeof(buf));
			if (k > 0)
				append(&r->err, &r->err_len, buf, (size_t)k);
			else
				err_open = false;
		}
	}
	close(in[1]);
	close(out[0]);
	close(err[0]);

	int ws;
	while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
	return r;
}

/* ---- reading PROBE lines ---- */

/* Copies the first whole line that starts with prefix into line (without
 * its line ending); false if there is none. */
static bool find_line(const char *out, const char *prefix, char *line, size_t size)
{
	size_t plen = strlen(prefix);
	for (const char *p = out; p && *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len && p[len - 1] == '\r')
			len--;
		if (len >= plen && !strncmp(p, prefix, plen)) {
			if (len >= size)
				len = size - 1;
			memcpy(line, p, len);
			line[len] = '\0';
			return true;
		}
		p = end ? end + 1 : NULL;
	}
	return false;
}

/* The number after " key=" in line; false if absent. */
static bool line_u64(const char *line, const char *key, uint64_t *v)
{
	char pat[64];
	snprintf(pat, sizeof(pat), " %s=", key);
	const char *p = strstr(line, pat);
	if (!p)
		return false;
	char *end;
	errno = 0;
	*v = strtoull(p + strlen(pat), &end, 10);
	return errno == 0 && end != p + strlen(pat);
}

/* The ends of both outputs, for failure messages. */
static const char *dump(const struct vm_result *r)
{
	static char buf[12288];
	size_t o = r->out_len > 8192 ? r->out_len - 8192 : 0;
	size_t e = r->err_len > 3072 ? r->err_len - 3072 : 0;
	snprintf(buf, sizeof(buf), "\n--- guest serial (exit status %d%s) ---\n%s\n--- cellvm stderr ---\n%s",
		 r->status, r->timed_out ? ", killed after the timeout" : "", r->out + o, r->err + e);
	return buf;
}

/* Asserts a line starting with prefix exists and returns it in line. */
#define EXPECT_LINE(r, prefix, line)                                                  \
	cr_assert(find_line((r)->out, (prefix), (line), sizeof(line)),                \
		  "no line starting with \"%s\"%s", (prefix), dump(r))

#define EXPECT_KEY(r, line, key, v)                                                   \
	cr_assert(line_u64((line), (key), &(v)), "no %s= in \"%s\"%s", (key), (line), dump(r))

static void expect_clean_exit(const struct vm_result *r, unsigned passed)
{
	char line[256], want[64];
	cr_assert(!r->timed_out, "cellvm did not exit in time%s", dump(r));
	EXPECT_LINE(r, "PROBE ready", line);
	snprintf(want, sizeof(want), "PROBE done passed=%u failed=0", passed);
	EXPECT_LINE(r, "PROBE done ", line);
	cr_assert_str_eq(line, want, "summary line%s", dump(r));
	cr_assert(!strstr(r->out, "PROBE fatal"), "the guest died%s", dump(r));
	cr_assert_eq(r->status, 0, "exit status %d, expected 0%s", r->status, dump(r));
}

/* What the mem scenario may leave out of RAM: below 1 MiB and the probe
 * image (a few hundred KiB) -- so between 1 and 4 MiB. */
static void expect_mem_bytes(const struct vm_result *r, unsigned mem_mib)
{
	char line[256];
	uint64_t bytes;
	EXPECT_LINE(r, "PROBE mem ok ", line);
	EXPECT_KEY(r, line, "bytes", bytes);
	uint64_t ram = mem_mib * MiB;
	cr_assert(bytes >= ram - 4 * MiB && bytes <= ram - 1 * MiB,
		  "mem tested %" PRIu64 " bytes of %u MiB; expected RAM minus 1..4 MiB%s", bytes,
		  mem_mib, dump(r));
}

static void expect_smp(const struct vm_result *r, unsigned cpus)
{
	char line[256], want[64];
	uint64_t n;
	EXPECT_LINE(r, "PROBE smp ok ", line);
	EXPECT_KEY(r, line, "cpus", n);
	cr_assert_eq(n, cpus, "smp brought up %" PRIu64 " CPUs, expected %u%s", n, cpus, dump(r));
	for (unsigned id = 1; id < cpus; id++) {
		snprintf(want, sizeof(want), "PROBE smp cpu=%u up", id);
		EXPECT_LINE(r, want, line);
	}
}

/* ---- the tests ---- */

TestSuite(probe, .timeout = 180, .fini = vm_free);

Test(probe, hello_echoes_the_command_line)
{
	const char *cmdline = "probe=hello foo=bar quiet";
	struct vm_opts o = { .cmdline = cmdline, .mem_mib = 64, .cpus = 1, .timeout_s = 60 };
	const struct vm_result *r = vm_run(&o);

	char line[512], want[512];
	EXPECT_LINE(r, "probe: booting via 64-bit entry", line);
	snprintf(want, sizeof(want), "PROBE hello ok cmdline=\"%s\"", cmdline);
	EXPECT_LINE(r, "PROBE hello ", line);
	cr_assert_str_eq(line, want, "the guest saw another command line%s", dump(r));
	expect_clean_exit(r, 1);
}

Test(probe, demo_128m_2cpus)
{
	struct vm_opts o = { .cmdline = "probe=demo", .mem_mib = 128, .cpus = 2, .timeout_s = 90 };
	const struct vm_result *r = vm_run(&o);

	char line[256];
	uint64_t ticks;
	EXPECT_LINE(r, "PROBE hello ok cmdline=\"probe=demo\"", line);
	expect_mem_bytes(r, 128);
	expect_smp(r, 2);
	EXPECT_LINE(r, "PROBE timer ok ", line);
	EXPECT_KEY(r, line, "ticks", ticks);
	cr_assert_geq(ticks, 10, "timer: %" PRIu64 " ticks%s", ticks, dump(r));
	expect_clean_exit(r, 4);
}

Test(probe, mem_1g)
{
	/* First touch of every page dominates: in the nested host each is an
	 * L2 nested-paging fault the L1's KVM handles at TCG speed (20-30 s
	 * for 1 GiB alone; CI once passed 150 s with other VMs running). */
	struct vm_opts o = { .cmdline = "probe=mem", .mem_mib = 1024, .cpus = 1, .timeout_s = 400 };
	const struct vm_result *r = vm_run(&o);

	expect_mem_bytes(r, 1024);
	expect_clean_exit(r, 1);
}

Test(probe, smp_1cpu)
{
	struct vm_opts o = { .cmdline = "probe=smp", .mem_mib = 64, .cpus = 1, .timeout_s = 60 };
	const struct vm_result *r = vm_run(&o);

	expect_smp(r, 1);
	cr_assert(!strstr(r->out, "PROBE smp cpu="), "an AP reported in a 1-CPU VM%s", dump(r));
	expect_clean_exit(r, 1);
}

Test(probe, smp_4cpus_twice)
{
	/* Twice: the second round re-INITs APs parked by the first. */
	struct vm_opts o = { .cmdline = "probe=smp,smp", .mem_mib = 64, .cpus = 4, .timeout_s = 90 };
	const struct vm_result *r = vm_run(&o);

	expect_smp(r, 4);
	expect_clean_exit(r, 2);
}

/* The same count from each table cellvm publishes. */
static void smp_from(const char *tables)
{
	char cmdline[64], line[256], want[32];
	snprintf(cmdline, sizeof(cmdline), "probe=smp probe.tables=%s", tables);
	struct vm_opts o = { .cmdline = cmdline, .mem_mib = 64, .cpus = 2, .timeout_s = 60 };
	const struct vm_result *r = vm_run(&o);

	expect_smp(r, 2);
	EXPECT_LINE(r, "PROBE smp ok ", line);
	snprintf(want, sizeof(want), " source=%s", tables);
	cr_assert(strstr(line, want), "\"%s\" does not say%s%s", line, want, dump(r));
	expect_clean_exit(r, 1);
}

Test(probe, smp_from_mptable)
{
	smp_from("mptable");
}

Test(probe, smp_from_acpi_madt)
{
	smp_from("madt");
}

Test(probe, serial_rx_echo)
{
	struct vm_opts o = { .cmdline = "probe=serial", .mem_mib = 64, .cpus = 1, .timeout_s = 60,
			     .wait_for = "PROBE serial waiting\n", .send = "cellvm serial echo 42\n" };
	const struct vm_result *r = vm_run(&o);

	char line[512];
	EXPECT_LINE(r, "PROBE serial ok ", line);
	cr_assert_str_eq(line, "PROBE serial ok bytes=21 echo=cellvm serial echo 42",
			 "the guest received something else%s", dump(r));
	expect_clean_exit(r, 1);
}

Test(probe, unknown_scenario_fails_with_65)
{
	struct vm_opts o = { .cmdline = "probe=hello,nosuch", .mem_mib = 64, .cpus = 1, .timeout_s = 60 };
	const struct vm_result *r = vm_run(&o);

	char line[256];
	cr_assert(!r->timed_out, "cellvm did not exit in time%s", dump(r));
	EXPECT_LINE(r, "PROBE nosuch fail reason=unknown", line);
	EXPECT_LINE(r, "PROBE done ", line);
	cr_assert_str_eq(line, "PROBE done passed=1 failed=1", "summary line%s", dump(r));
	cr_assert_eq(r->status, 65, "exit status %d, expected 64 + 1 (debug-exit 1)%s", r->status, dump(r));
}

Test(probe, guest_exception_is_reported_and_fails_with_65)
{
	struct vm_opts o = { .cmdline = "probe=fault", .mem_mib = 64, .cpus = 1, .timeout_s = 60 };
	const struct vm_result *r = vm_run(&o);

	char line[256];
	cr_assert(!r->timed_out, "cellvm did not exit in time%s", dump(r));
	EXPECT_LINE(r, "PROBE fatal vector=14 ", line);
	cr_assert(strstr(line, " cr2=0x8000000000 "), "page fault at the wrong address: %s%s", line, dump(r));
	cr_assert(!strstr(r->out, "PROBE done"), "the guest went on after a fatal exception%s", dump(r));
	cr_assert_eq(r->status, 65, "exit status %d, expected 64 + 1 (debug-exit 1)%s", r->status, dump(r));
}
