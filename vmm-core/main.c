/* cellvm: the core process. Parses the command line, sets up logging and
 * signals, serves the control API when asked, and hands the VM's
 * lifecycle to vmm.c on the main thread. */
#include "api/api_server.h"
#include "cli.h"
#include "config_file.h"
#include "devices/legacy.h"
#include "exit_codes.h"
#include "line_sink.h"
#include "log.h"
#include "policy/policy.h"
#include "vcpu.h"
#include "vmm.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Blocks the stop signals and the kick everywhere: the main thread takes
 * SIGINT/SIGTERM through a signalfd, vCPU threads unblock only the kick.
 * Threads inherit this mask, so it is set before any exists. */
static int signals_init(void)
{
	sigset_t block;

	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, VCPU_KICK_SIGNAL);
	signal(SIGPIPE, SIG_IGN);
	if (pthread_sigmask(SIG_BLOCK, &block, NULL) != 0 || vcpu_signals_init() < 0)
		return -1;
	return 0;
}

static int serve_api(struct api_server *api, struct vmm *m, const char *path,
		     const struct timespec *wall0)
{
	struct api_backend backend = { .ops = &vmm_api_ops, .ctx = m, .counters = &m->api };
	struct timespec wall, cpu;
	char err[256];

	if (api_server_open(api, path, err, sizeof(err)) < 0) {
		log_error("API socket: %s", err);
		return -1;
	}
	/* The socket accepts from here on: the number a control plane waits
	 * for. The process CPU clock counts from exec (loading and libc
	 * start-up included); wall time is only known from main() on. */
	clock_gettime(CLOCK_MONOTONIC, &wall);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	log_info("API socket ready at %s: %lld us after main(), %lld CPU us since exec", path,
		 (long long)timespec_us_between(wall0, &wall),
		 (long long)(cpu.tv_sec * 1000000LL + cpu.tv_nsec / 1000));
	if (api_server_start(api, &backend) < 0) {
		log_error("cannot start the API thread");
		api_server_close(api);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct timespec wall0, cpu0;
	struct cli_opts *opts;
	struct api_server api;
	struct vmm m;
	int metrics_fd = -1, code = EXIT_VMM_ERROR;
	char err[512];

	clock_gettime(CLOCK_MONOTONIC, &wall0);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
	api_server_init(&api);

	/* The options hold whole paths and a command line: too big for a
	 * comfortable stack frame. */
	opts = malloc(sizeof(*opts));
	if (!opts) {
		fprintf(stderr, "cellvm: out of memory\n");
		return EXIT_VMM_ERROR;
	}
	if (cli_parse(argc, argv, opts, err, sizeof(err)) < 0) {
		fprintf(stderr, "cellvm: %s\n%s", err, cli_usage());
		free(opts);
		return EXIT_USAGE;
	}
	if (opts->action == CLI_HELP || opts->action == CLI_VERSION) {
		if (opts->action == CLI_HELP)
			fputs(cli_usage(), stdout);
		else
			printf("cellvm %s\n", CELLVM_VERSION);
		free(opts);
		return 0;
	}
	log_set_level(opts->log_level);
	/* Before any thread exists; and glibc reads the time zone file on
	 * its first time conversion (log lines), which no filter allows. */
	policy_set_mode(opts->seccomp);
	tzset();
	if (opts->id)
		log_set_id(opts->id);
	if (opts->log_file && log_open_file(opts->log_file, err, sizeof(err)) < 0) {
		fprintf(stderr, "cellvm: --log-file: %s\n", err);
		free(opts);
		return EXIT_USAGE;
	}
	if (opts->config_file) {
		if (config_file_load(opts->config_file, &opts->vm, err, sizeof(err)) < 0) {
			log_error("config file '%s': %s", opts->config_file, err);
			code = EXIT_USAGE;
			goto out;
		}
		opts->have_vm = true;
	}
	if (opts->metrics_file &&
	    (metrics_fd = line_sink_open(opts->metrics_file, err, sizeof(err))) < 0) {
		log_error("--metrics-file: %s", err);
		code = EXIT_USAGE;
		goto out;
	}
	if (signals_init() < 0) {
		log_error("cannot set up signal handling");
		goto out;
	}
	if (vmm_init(&m, opts, &wall0, &cpu0, metrics_fd) < 0) {
		log_error("out of memory");
		goto out;
	}
	if (opts->have_vm)
		vmm_set_config(&m, &opts->vm);
	if (opts->api_sock && serve_api(&api, &m, opts->api_sock, &wall0) < 0) {
		vmm_destroy(&m);
		goto out;
	}
	code = vmm_run(&m, opts->have_vm);
	api_server_close(&api);
	vmm_destroy(&m);
out:
	if (metrics_fd >= 0)
		close(metrics_fd);
	log_close();
	free(opts);
	return code;
}
