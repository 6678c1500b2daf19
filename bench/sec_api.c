/* Section "api": how soon a freshly started VMM takes control requests.
 * The bench starts the VMM with a control socket and connect()s to it
 * every 50 us from just before fork(); at the first connect that succeeds
 * it reads the VMM's process CPU clock (so: CPU since fork, exec and
 * dynamic loading included), then stops the VMM. Firecracker publishes
 * "<= 8 CPU ms from process start to the API socket".
 *   cellvm  --api-sock PATH alone: no VM yet, it waits for configure+start
 *           (as Firecracker does); its own log line "API socket ready ...
 *           N us after main(), N CPU us since exec" is reported too.
 *   qemu    the launch section's microvm command plus --preconfig (QEMU
 *           stops before building the machine) and -qmp on a UNIX socket. */
#include "bench.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum { COL_CELLVM, COL_QEMU };
enum { M_WALL, M_CPU, M_LOG_MAIN, M_LOG_CPU, M_COUNT };

#define POLL_NS    50000
#define STOP_MS    2000

struct api {
	struct metric m[M_COUNT];
	char sock[256];
};

static void build_argv(const struct bench_cfg *cfg, const struct api *x, unsigned int col,
		       struct argv_buf *a)
{
	if (col == COL_CELLVM) {
		argv_init(a);
		argv_add(a, cfg->vmm[VMM_CELLVM].path);
		argv_add(a, "--api-sock");
		argv_add(a, x->sock);
		return;
	}
	vmm_argv(cfg, VMM_QEMU, "probe=hello", false, a);
	argv_add(a, "--preconfig");
	argv_add(a, "-qmp");
	argv_addf(a, "unix:%s,server=on,wait=off", x->sock);
}

static bool try_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* "... API socket ready at PATH: 212 us after main(), 1043 CPU us since exec" */
static bool parse_log(const char *text, double *main_ms, double *cpu_ms)
{
	const char *p = strstr(text, "API socket ready at ");
	long long us, cpu;
	char *end;

	if (!p || !(p = strstr(p, ": ")))
		return false;
	us = strtoll(p + 2, &end, 10);
	if (end == p + 2 || strncmp(end, " us after main(), ", 18) != 0)
		return false;
	p = end + 18;
	cpu = strtoll(p, &end, 10);
	if (end == p)
		return false;
	*main_ms = (double)us / 1e3;
	*cpu_ms = (double)cpu / 1e3;
	return true;
}

/* Reads what the stopped VMM printed (its pipes are at EOF or soon). */
static void collect(struct child *c, char *out, size_t len)
{
	size_t n = 0;
	int64_t deadline = mono_ns() + 500 * 1000000LL;

	out[0] = '\0';
	while ((c->out_fd >= 0 || c->err_fd >= 0) && mono_ns() < deadline) {
		struct pollfd p[2] = { { .fd = c->out_fd, .events = POLLIN },
				       { .fd = c->err_fd, .events = POLLIN } };
		if (poll(p, 2, 100) <= 0)
			continue;
		for (int i = 0; i < 2; i++) {
			int *fd = i ? &c->err_fd : &c->out_fd;
			char buf[1024];
			if (*fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			ssize_t r = read(*fd, buf, sizeof(buf));
			if (r > 0) {
				size_t k = (size_t)r < len - 1 - n ? (size_t)r : len - 1 - n;
				memcpy(out + n, buf, k);
				n += k;
				out[n] = '\0';
			} else if (r == 0 || errno != EAGAIN) {
				close(*fd);
				*fd = -1;
			}
		}
	}
}

/* One run: false with why on failure. */
static bool one_run(struct bench_cfg *cfg, struct api *x, unsigned int col, bool record,
		    char *why, size_t len)
{
	struct argv_buf a;
	struct child c;
	char out[4096], err[256];
	bool ok = false;
	int64_t t_conn = 0, cpu = -1;

	unlink(x->sock);
	build_argv(cfg, x, col, &a);
	if (child_spawn(&c, a.argv, err, sizeof(err)) < 0) {
		snprintf(why, len, "%s", err);
		return false;
	}
	int64_t deadline = c.t_spawn_ns + (int64_t)cfg->timeout_ms * 1000000;
	for (;;) {
		if (try_connect(x->sock)) {
			t_conn = mono_ns();
			cpu = cpu_process_ns(c.pid);
			break;
		}
		if (child_exited_within(&c, 0)) {
			snprintf(why, len, "exited before its socket accepted a connection");
			break;
		}
		if (mono_ns() >= deadline || bench_interrupted) {
			snprintf(why, len, "no connection after %u ms", cfg->timeout_ms);
			break;
		}
		struct timespec ts = { .tv_nsec = POLL_NS };
		nanosleep(&ts, NULL);
	}
	/* SIGTERM lets cellvm remove its socket; QEMU just ends. */
	kill(c.pid, SIGTERM);
	child_exited_within(&c, STOP_MS);
	child_kill_group(&c);
	collect(&c, out, sizeof(out));
	child_reap(&c, NULL);
	child_close_fds(&c);
	unlink(x->sock);
	if (t_conn && cpu < 0)
		snprintf(why, len, "cannot read its CPU clock");
	else if (t_conn)
		ok = true;
	if (!ok) {
		size_t w = strlen(why);
		snprintf(why + w, len - w, "; it printed: %.300s", out);
		return false;
	}
	if (!record)
		return true;
	series_add(&x->m[M_WALL].s[col], ns_to_ms(t_conn - c.t_spawn_ns));
	series_add(&x->m[M_CPU].s[col], ns_to_ms(cpu));
	double main_ms, cpu_ms;
	if (col == COL_CELLVM && parse_log(out, &main_ms, &cpu_ms)) {
		series_add(&x->m[M_LOG_MAIN].s[col], main_ms);
		series_add(&x->m[M_LOG_CPU].s[col], cpu_ms);
	}
	return true;
}

/* cellvm has the API when its --help names --api-sock. */
static void check_cellvm(struct bench_cfg *cfg)
{
	char out[8192];
	char *argv[] = { (char *)cfg->vmm[VMM_CELLVM].path, "--help", NULL };

	if (run_command(argv, 5000, out, sizeof(out)) < 0 || !strstr(out, "--api-sock"))
		column_missing(&cfg->col[COL_CELLVM], "not available: %s --help does not offer "
			       "--api-sock", cfg->vmm[VMM_CELLVM].path);
}

int section_api(struct bench_cfg *cfg, struct section_result *res)
{
	static struct api x = {
		.m = {
			[M_WALL] = { .label = "spawn -> control socket accepts a connection",
				     .unit = UNIT_MS, .in_summary = true },
			[M_CPU] = { .label = "VMM CPU at that moment (since fork)", .unit = UNIT_MS,
				    .in_summary = true,
				    .target = "<= 8 CPU ms, process start -> API socket",
				    .target_max = 8 },
			[M_LOG_MAIN] = { .label = "  cellvm's log: socket ready after main()",
					 .unit = UNIT_MS },
			[M_LOG_CPU] = { .label = "  cellvm's log: CPU since exec", .unit = UNIT_MS },
		},
	};
	char why[512];

	columns_reset(cfg);
	column_add(cfg, "cellvm", VMM_CELLVM);
	column_add(cfg, "qemu", VMM_QEMU);
	check_cellvm(cfg);
	for (int i = M_LOG_MAIN; i <= M_LOG_CPU; i++)
		x.m[i].na[COL_QEMU] = "(cellvm's own log line)";
	report_section_header(cfg, "api", "process start -> control socket (cellvm --api-sock, "
			      "QEMU --preconfig -qmp); connect() polled every 50 us", cfg->runs);
	if (!column_available(cfg, COL_CELLVM)) {
		printf("   cellvm's API is not available: section skipped\n");
		res->skipped = true;
		return 0;
	}
	if (workdir_path(cfg, x.sock, sizeof(x.sock), "api.sock") < 0) {
		printf("   NOT RUN: cannot create the bench's temporary directory\n");
		return -1;
	}
	printf("   commands:\n");
	for (unsigned int c = 0; c < cfg->ncols; c++) {
		struct argv_buf a;
		if (!column_available(cfg, c))
			continue;
		build_argv(cfg, &x, c, &a);
		argv_print(cfg->col[c].name, &a);
	}
	for (unsigned int i = 0; i < cfg->warmup + cfg->runs && !bench_interrupted; i++) {
		bool warm = i < cfg->warmup;
		for (unsigned int c = 0; c < cfg->ncols && !bench_interrupted; c++) {
			if (!column_available(cfg, c))
				continue;
			why[0] = '\0';
			bool ok = one_run(cfg, &x, c, !warm, why, sizeof(why));
			if (bench_interrupted)
				break;
			if (!ok)
				printf("   ! %s run %u failed: %s\n", cfg->col[c].name,
				       warm ? i + 1 : i - cfg->warmup + 1, why);
			if (warm)
				continue;
			if (ok)
				res->runs_ok[c]++;
			else
				res->runs_failed[c]++;
		}
	}
	for (int i = 0; i < M_COUNT; i++) {
		report_metric(cfg, &x.m[i]);
		metric_free(&x.m[i]);
	}
	return 0;
}
