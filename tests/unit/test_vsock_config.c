/* --vsock on the command line, "vsock" in the config file and the API's
 * Config: the same machine each way, the same limits, and a round trip
 * through the protobuf message (what `cellctl config` prints). */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/api_config.h"
#include "cli.h"
#include "config_file.h"

static struct cli_opts o;
static struct vm_config cfg;
static char err[256];

static int cli(const char **args)
{
	char *argv[32];
	int argc = 0;

	argv[argc++] = "cellvm";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	err[0] = '\0';
	return cli_parse(argc, argv, &o, err, sizeof(err));
}

#define ARGS(...) ((const char *[]){ __VA_ARGS__, NULL })

Test(vsock_config, command_line)
{
	cr_assert_eq(cli(ARGS("run", "--kernel", "k", "--rng", "--vsock", "cid=3,uds=/tmp/v.sock")), 0,
		     "%s", err);
	cr_assert_eq(o.vm.ndevs, 2);
	cr_assert_eq(o.vm.devs[1].kind, DEV_VSOCK);
	cr_assert_eq(o.vm.devs[1].guest_cid, 3);
	cr_assert_str_eq(o.vm.devs[1].path, "/tmp/v.sock");
	cr_assert_eq(vm_config_check(&o.vm, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cli(ARGS("run", "--kernel", "k", "--vsock", "uds=v,cid=4294967294")), 0, "%s", err);
	cr_assert_eq(o.vm.devs[0].guest_cid, 4294967294u);

	static const struct {
		const char *arg, *says;
	} bad[] = {
		{ "cid=3", "--vsock takes cid=N,uds=PATH" },
		{ "uds=/v", "--vsock takes cid=N,uds=PATH" },
		{ "cid=2,uds=/v", "--vsock cid= takes 3 to 4294967294" },
		{ "cid=4294967295,uds=/v", "--vsock cid= takes 3" },
		{ "cid=-3,uds=/v", "--vsock cid= takes 3" },
		{ "cid=3,uds=", "--vsock takes" },
		{ "cid=3,uds=/v,ro", "--vsock takes" },
		{ "cid=3,path=/v", "--vsock takes" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(cli(ARGS("run", "--kernel", "k", "--vsock", bad[i].arg)), -EINVAL, "%s",
			     bad[i].arg);
		cr_assert(strstr(err, bad[i].says), "'%s': '%s' lacks '%s'", bad[i].arg, err, bad[i].says);
	}
	char longarg[200];
	snprintf(longarg, sizeof(longarg), "cid=3,uds=/%097d", 0);
	cr_assert_eq(cli(ARGS("run", "--kernel", "k", "--vsock", longarg)), -EINVAL);
	cr_assert(strstr(err, "1 to 96 bytes"), "%s", err);
	/* One guest, one cid. */
	cr_assert_eq(cli(ARGS("run", "--kernel", "k", "--vsock", "cid=3,uds=/a", "--vsock",
			      "cid=4,uds=/b")), 0);
	cr_assert_eq(vm_config_check(&o.vm, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "at most one vsock device"), "%s", err);
}

static int file(const char *text)
{
	err[0] = '\0';
	return config_file_parse(text, strlen(text), &cfg, err, sizeof(err));
}

Test(vsock_config, config_file_and_the_api_message)
{
	cr_assert_eq(file("{\"boot_source\": {\"kernel\": \"k\"}, \"rng\": {},"
			  " \"vsock\": {\"guest_cid\": 52, \"uds_path\": \"./v.sock\"}}"), 0, "%s", err);
	cr_assert_eq(cfg.ndevs, 2);
	cr_assert_eq(cfg.devs[1].kind, DEV_VSOCK, "after rng, as the windows are ordered");
	cr_assert_eq(cfg.devs[1].guest_cid, 52);
	cr_assert_str_eq(cfg.devs[1].path, "./v.sock");

	Cellvm__Config *m = api_config_to_msg(&cfg);
	cr_assert_not_null(m);
	cr_assert_not_null(m->vsock);
	cr_assert_eq(m->vsock->guest_cid, 52);
	cr_assert_str_eq(m->vsock->uds_path, "./v.sock");
	struct vm_config back;
	cr_assert_eq(api_config_from_msg(m, &back, err, sizeof(err)), 0, "%s", err);
	cellvm__config__free_unpacked(m, NULL);
	cr_assert_eq(back.ndevs, 2);
	cr_assert_eq(back.devs[1].guest_cid, 52);
	cr_assert_str_eq(back.devs[1].path, "./v.sock");

	cr_assert_lt(file("{\"boot_source\": {\"kernel\": \"k\"}, \"vsock\": {\"uds_path\": \"v\"}}"), 0);
	cr_assert(strstr(err, "vsock.guest_cid is required"), "%s", err);
	cr_assert_lt(file("{\"boot_source\": {\"kernel\": \"k\"}, \"vsock\": {\"guest_cid\": 3}}"), 0);
	cr_assert(strstr(err, "vsock.uds_path is required"), "%s", err);
	cr_assert_lt(file("{\"boot_source\": {\"kernel\": \"k\"}, \"vsock\": {\"guest_cid\": 1, \"uds_path\": \"v\"}}"), 0);
	cr_assert(strstr(err, "guest cid must be 3 to 4294967294, not 1"), "%s", err);
	cr_assert_lt(file("{\"boot_source\": {\"kernel\": \"k\"}, \"vsock\": {\"guest_cid\": 3, \"uds_path\": \"v\x01\"}}"), 0);
	cr_assert_lt(file("{\"boot_source\": {\"kernel\": \"k\"}, \"vsock\": {\"guest_cid\": 3, \"uds\": \"v\"}}"), 0);
	cr_assert(strstr(err, "uds"), "unknown keys are named: %s", err);
}
