/* The restart policy through every way in (command line, config file and
 * so the API's Configure, back out in the Config of info), and the restart
 * budget's sliding window. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>

#include "api/api_config.h"
#include "cli.h"
#include "config_file.h"
#include "virtio/devices.h"
#include "virtio/restart_budget.h"

static struct cli_opts opts;
static struct vm_config cfg;

static int file(const char *text, char *err);

static int cli(char *err, const char **args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = "cellvm";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	err[0] = '\0';
	return cli_parse(argc, argv, &opts, err, 256);
}

#define ARGS(...) ((const char *[]){ "run", "--kernel", "k", __VA_ARGS__, NULL })

Test(restart_config, cli_policy_per_device_defaults_to_on_failure)
{
	char err[256];

	cr_assert_eq(cli(err, ARGS("--disk", "path=a", "--disk", "path=b,restart=never,ro",
				   "--rng", "--vsock", "cid=3,restart=never,uds=/tmp/v")), 0, "%s", err);
	cr_assert_eq(opts.vm.ndevs, 4);
	cr_assert_eq(opts.vm.devs[0].restart, DEV_RESTART_ON_FAILURE);
	cr_assert_eq(opts.vm.devs[1].restart, DEV_RESTART_NEVER);
	cr_assert(opts.vm.devs[1].read_only);
	cr_assert_eq(opts.vm.devs[2].restart, DEV_RESTART_ON_FAILURE);
	cr_assert_eq(opts.vm.devs[3].restart, DEV_RESTART_NEVER);
	cr_assert_eq(opts.vm.devs[3].guest_cid, 3);

	cr_assert_eq(cli(err, ARGS("--rng=restart=never", "--disk", "path=a,restart=on-failure")), 0,
		     "%s", err);
	cr_assert_eq(opts.vm.devs[0].restart, DEV_RESTART_NEVER);
	cr_assert_eq(opts.vm.devs[1].restart, DEV_RESTART_ON_FAILURE);

	cr_assert_eq(cli(err, ARGS("--net", "tap=t0", "--net", "tap=t1,restart=never,queues=2")), 0,
		     "%s", err);
	cr_assert_eq(opts.vm.devs[0].restart, DEV_RESTART_ON_FAILURE);
	cr_assert_eq(opts.vm.devs[1].restart, DEV_RESTART_NEVER);
	cr_assert_eq(opts.vm.devs[1].queues, 2);
}

Test(restart_config, cli_refuses_bad_policies)
{
	char err[256];

	cr_assert_eq(cli(err, ARGS("--disk", "path=a,restart=always")), -EINVAL);
	cr_assert(strstr(err, "restart=on-failure|never"), "%s", err);
	cr_assert_eq(cli(err, ARGS("--disk", "path=a,restart=")), -EINVAL);
	cr_assert_eq(cli(err, ARGS("--rng=restart=sometimes")), -EINVAL);
	cr_assert(strstr(err, "--rng"), "%s", err);
	cr_assert_eq(cli(err, ARGS("--rng=bogus")), -EINVAL);
	cr_assert_eq(cli(err, ARGS("--vsock", "cid=3,uds=/tmp/v,restart=no")), -EINVAL);
	cr_assert_eq(cli(err, ARGS("--vhost-user", "blk,socket=/s,restart=maybe")), -EINVAL);
	cr_assert_eq(cli(err, ARGS("--vhost-user", "blk,socket=/s,bogus")), -EINVAL);
	cr_assert_eq(cli(err, ARGS("--net", "tap=t0,restart=later")), -EINVAL);
	cr_assert(strstr(err, "--net"), "%s", err);
}

/* Someone else's backend is left alone unless asked; then the core
 * connects to its socket again. */
Test(restart_config, vhost_user_defaults_to_never)
{
	char err[256];

	cr_assert_eq(cli(err, ARGS("--vhost-user", "blk,socket=/s", "--vhost-user",
				   "rng,socket=/r,restart=on-failure")), 0, "%s", err);
	cr_assert_eq(opts.vm.devs[0].restart, DEV_RESTART_NEVER);
	cr_assert_str_eq(opts.vm.devs[0].path, "/s");
	cr_assert_eq(opts.vm.devs[1].restart, DEV_RESTART_ON_FAILURE);
	cr_assert_str_eq(opts.vm.devs[1].path, "/r");

	cr_assert_eq(file("{ \"boot_source\": { \"kernel\": \"k\" }, \"vhost_user\": ["
			  " { \"type\": \"blk\", \"socket\": \"/s\" },"
			  " { \"type\": \"rng\", \"socket\": \"/r\", \"restart\": \"on-failure\" } ] }",
			  err), 0, "%s", err);
	cr_assert_eq(cfg.devs[0].restart, DEV_RESTART_NEVER);
	cr_assert_eq(cfg.devs[1].restart, DEV_RESTART_ON_FAILURE);
}

static int file(const char *text, char *err)
{
	err[0] = '\0';
	return config_file_parse(text, strlen(text), &cfg, err, 256);
}

Test(restart_config, config_file_and_api_round_trip)
{
	char err[256];
	const char *text =
		"{ \"boot_source\": { \"kernel\": \"k\" },"
		"  \"drives\": [ { \"path\": \"a\", \"restart\": \"never\" }, { \"path\": \"b\" } ],"
		"  \"rng\": { \"restart\": \"on-failure\" },"
		"  \"vsock\": { \"guest_cid\": 3, \"uds_path\": \"/tmp/v\", \"restart\": \"never\" },"
		"  \"nets\": [ { \"tap\": \"t0\", \"restart\": \"never\" }, { \"tap\": \"t1\" } ] }";

	cr_assert_eq(file(text, err), 0, "%s", err);
	cr_assert_eq(cfg.ndevs, 6);
	cr_assert_eq(cfg.devs[0].restart, DEV_RESTART_NEVER);
	cr_assert_eq(cfg.devs[1].restart, DEV_RESTART_ON_FAILURE);
	cr_assert_eq(cfg.devs[2].restart, DEV_RESTART_ON_FAILURE);
	cr_assert_eq(cfg.devs[3].restart, DEV_RESTART_NEVER);
	cr_assert_eq(cfg.devs[4].kind, DEV_NET);
	cr_assert_eq(cfg.devs[4].restart, DEV_RESTART_NEVER);
	cr_assert_eq(cfg.devs[5].restart, DEV_RESTART_ON_FAILURE);

	/* back out the way info reports the configuration */
	Cellvm__Config *m = api_config_to_msg(&cfg);
	cr_assert_not_null(m);
	cr_assert_str_eq(m->drives[0]->restart, "never");
	cr_assert_str_eq(m->drives[1]->restart, "");
	cr_assert_str_eq(m->rng->restart, "");
	cr_assert_str_eq(m->vsock->restart, "never");
	cr_assert_str_eq(m->nets[0]->restart, "never");
	cr_assert_str_eq(m->nets[1]->restart, "");
	static struct vm_config again;
	cr_assert_eq(api_config_from_msg(m, &again, err, sizeof(err)), 0, "%s", err);
	for (unsigned int i = 0; i < cfg.ndevs; i++)
		cr_assert_eq(again.devs[i].restart, cfg.devs[i].restart);
	cellvm__config__free_unpacked(m, NULL);
}

Test(restart_config, config_file_refuses_bad_policies)
{
	char err[256];

	cr_assert_lt(file("{ \"boot_source\": { \"kernel\": \"k\" },"
			  "  \"drives\": [ { \"path\": \"a\", \"restart\": \"always\" } ] }", err), 0);
	cr_assert(strstr(err, "drives[0].restart"), "%s", err);
	cr_assert_lt(file("{ \"boot_source\": { \"kernel\": \"k\" }, \"rng\": { \"restart\": \"x\" } }",
			  err), 0);
	cr_assert(strstr(err, "rng.restart"), "%s", err);
	cr_assert_lt(file("{ \"boot_source\": { \"kernel\": \"k\" }, \"vsock\": { \"guest_cid\": 3,"
			  " \"uds_path\": \"/v\", \"restart\": \"NEVER\" } }", err), 0);
	cr_assert(strstr(err, "vsock.restart"), "%s", err);
	cr_assert_lt(file("{ \"boot_source\": { \"kernel\": \"k\" }, \"nets\": [ { \"tap\": \"t0\","
			  " \"restart\": \"off\" } ] }", err), 0);
	cr_assert(strstr(err, "nets[0].restart"), "%s", err);
}

Test(restart_budget, five_in_a_minute_then_no_more)
{
	struct restart_budget b = { 0 };

	for (int i = 0; i < RESTART_BUDGET_MAX; i++)
		cr_assert(restart_budget_take(&b, 1000 + (uint64_t)i * 100), "restart %d", i);
	cr_assert_not(restart_budget_take(&b, 1500));
	/* still refused while the first is less than a minute old */
	cr_assert_not(restart_budget_take(&b, 1000 + RESTART_BUDGET_WINDOW_MS - 1));
	/* the first leaves the window: one more is allowed, then none */
	cr_assert(restart_budget_take(&b, 1000 + RESTART_BUDGET_WINDOW_MS));
	cr_assert_not(restart_budget_take(&b, 1000 + RESTART_BUDGET_WINDOW_MS));
}

Test(restart_budget, restarts_spread_out_never_run_out)
{
	struct restart_budget b = { 0 };

	for (uint64_t t = 0; t < 100; t++)
		cr_assert(restart_budget_take(&b, t * (RESTART_BUDGET_WINDOW_MS / 4)), "at %lu", t);
}

Test(restart_budget, a_burst_after_a_quiet_minute_gets_the_full_budget)
{
	struct restart_budget b = { 0 };

	for (int i = 0; i < RESTART_BUDGET_MAX; i++)
		cr_assert(restart_budget_take(&b, 10));
	cr_assert_not(restart_budget_take(&b, 20));
	for (int i = 0; i < RESTART_BUDGET_MAX; i++)
		cr_assert(restart_budget_take(&b, 10 + RESTART_BUDGET_WINDOW_MS + (uint64_t)i));
	cr_assert_not(restart_budget_take(&b, 20 + RESTART_BUDGET_WINDOW_MS + 5));
}

Test(restart_status, exit_status_as_info_shows_it)
{
	char buf[24];

	dev_exit_status_str(-1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "");
	dev_exit_status_str(9, buf, sizeof(buf)); /* killed by SIGKILL */
	cr_assert_str_eq(buf, "signal 9");
	dev_exit_status_str(31, buf, sizeof(buf));
	cr_assert_str_eq(buf, "signal 31");
	dev_exit_status_str(3 << 8, buf, sizeof(buf));
	cr_assert_str_eq(buf, "exit 3");
	dev_exit_status_str(0, buf, sizeof(buf));
	cr_assert_str_eq(buf, "exit 0");
}
