/* --net on the command line, "nets" in the config file and the API's
 * Config, and cellvm-net's own options: the same limits every way, a
 * round trip through the protobuf message, hostile values refused with a
 * reason. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api/api_config.h"
#include "cli.h"
#include "config_file.h"
#include "device-procs/net/net_opts.h"
#include "virtio/net_tap.h"

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

Test(net_config, command_line)
{
	cr_assert_eq(cli(ARGS("run", "--kernel", "k", "--net", "tap=tap0", "--net",
			      "queues=2,mtu=9000,mac=02:AB:cd:00:00:01,tap=cvm1")), 0, "%s", err);
	cr_assert_eq(o.vm.ndevs, 2);
	cr_assert_eq(o.vm.devs[0].kind, DEV_NET);
	cr_assert_str_eq(o.vm.devs[0].path, "tap0");
	cr_assert_not(o.vm.devs[0].has_mac);
	cr_assert_eq(o.vm.devs[0].queues, 0);
	cr_assert_eq(o.vm.devs[1].queues, 2);
	cr_assert_eq(o.vm.devs[1].mtu, 9000);
	cr_assert(o.vm.devs[1].has_mac);
	cr_assert_eq(memcmp(o.vm.devs[1].mac, (uint8_t[]){ 2, 0xab, 0xcd, 0, 0, 1 }, 6), 0);
	cr_assert_eq(vm_config_check(&o.vm, err, sizeof(err)), 0, "%s", err);

	static const struct {
		const char *arg, *says;
	} bad[] = {
		{ "mtu=1500", "--net takes tap=NAME" },
		{ "tap=", "--net takes tap=NAME" },
		{ "tap=0123456789abcdef", "1 to 15 bytes" },
		{ "tap=t,queues=0", "--net queues= takes 1 to 7" },
		{ "tap=t,queues=8", "--net queues= takes 1 to 7" },
		{ "tap=t,mtu=67", "--net mtu= takes 68 to 65535" },
		{ "tap=t,mtu=65536", "--net mtu= takes" },
		{ "tap=t,mtu=-1", "--net mtu= takes" },
		{ "tap=t,mac=01:00:00:00:00:01", "unicast" },
		{ "tap=t,mac=02:00:00:00:00", "unicast" },
		{ "tap=t,mac=02:00:00:00:00:0g", "unicast" },
		{ "tap=t,mac=02-00-00-00-00-01", "unicast" },
		{ "tap=t,mac=02:00:00:00:00:011", "unicast" },
		{ "tap=t,ro", "--net takes" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert_eq(cli(ARGS("run", "--kernel", "k", "--net", bad[i].arg)), -EINVAL, "%s",
			     bad[i].arg);
		cr_assert(strstr(err, bad[i].says), "'%s': '%s' lacks '%s'", bad[i].arg, err,
			  bad[i].says);
	}
	/* names that are no interface names */
	cr_assert_eq(cli(ARGS("run", "--kernel", "k", "--net", "tap=a/b")), 0);
	cr_assert_eq(vm_config_check(&o.vm, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "not an interface name"), "%s", err);
}

static int file(const char *text)
{
	err[0] = '\0';
	return config_file_parse(text, strlen(text), &cfg, err, sizeof(err));
}

Test(net_config, config_file_and_the_api_message)
{
	cr_assert_eq(file("{\"boot_source\": {\"kernel\": \"k\"}, \"rng\": {},"
			  " \"nets\": [{\"tap\": \"tap0\"}, {\"tap\": \"tap1\", \"mac\": "
			  "\"02:00:00:00:00:07\", \"mtu\": 1400, \"queues\": 3}]}"), 0, "%s", err);
	cr_assert_eq(cfg.ndevs, 3);
	cr_assert_eq(cfg.devs[1].kind, DEV_NET, "after rng, as the windows are ordered");
	cr_assert_str_eq(cfg.devs[2].path, "tap1");
	cr_assert_eq(cfg.devs[2].mtu, 1400);
	cr_assert_eq(cfg.devs[2].queues, 3);
	cr_assert(cfg.devs[2].has_mac);
	cr_assert_eq(cfg.devs[2].mac[5], 7);

	Cellvm__Config *m = api_config_to_msg(&cfg);
	cr_assert_not_null(m);
	cr_assert_eq(m->n_nets, 2);
	cr_assert_str_eq(m->nets[0]->mac, "", "no mac: left to the core");
	cr_assert_str_eq(m->nets[1]->mac, "02:00:00:00:00:07");
	struct vm_config back;
	cr_assert_eq(api_config_from_msg(m, &back, err, sizeof(err)), 0, "%s", err);
	cellvm__config__free_unpacked(m, NULL);
	cr_assert_eq(back.ndevs, 3);
	cr_assert_eq(back.devs[2].queues, 3);
	cr_assert_eq(back.devs[2].mtu, 1400);
	cr_assert_eq(memcmp(back.devs[2].mac, cfg.devs[2].mac, 6), 0);
	cr_assert_not(back.devs[1].has_mac);

	static const struct {
		const char *json, *says;
	} bad[] = {
		{ "[{}]", "nets[0].tap is required" },
		{ "[{\"tap\": \"0123456789abcdef\"}]", "nets[0].tap is longer than 15 bytes" },
		{ "[{\"tap\": \"t\", \"mac\": \"ff:ff:ff:ff:ff:ff\"}]", "non-zero unicast" },
		{ "[{\"tap\": \"t\", \"mac\": \"00:00:00:00:00:00\"}]", "non-zero unicast" },
		{ "[{\"tap\": \"t\", \"mac\": \"nonsense\"}]", "nets[0].mac must look like" },
		{ "[{\"tap\": \"t\", \"queues\": 8}]", "net queues must be 1 to 7, not 8" },
		{ "[{\"tap\": \"t\", \"mtu\": 20}]", "net mtu must be 68 to 65535, not 20" },
		{ "[{\"tap\": \"t\\n\"}]", "not an interface name" },
		{ "[{\"tap\": \"t\", \"bridge\": \"br0\"}]", "bridge" },
		{ "{\"tap\": \"t\"}", "nets" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "{\"boot_source\": {\"kernel\": \"k\"}, \"nets\": %s}",
			 bad[i].json);
		cr_assert_lt(file(text), 0, "%s", bad[i].json);
		cr_assert(strstr(err, bad[i].says), "'%s': '%s' lacks '%s'", bad[i].json, err,
			  bad[i].says);
	}
}

Test(net_config, default_mac_is_local_unicast_and_stable)
{
	uint8_t a[6], b[6], c[6];

	net_tap_default_mac("tap0", a);
	net_tap_default_mac("tap0", b);
	net_tap_default_mac("tap1", c);
	cr_assert_eq(memcmp(a, b, 6), 0);
	cr_assert_neq(memcmp(a, c, 6), 0);
	cr_assert_eq(a[0], 0x02, "locally administered, unicast");
	cr_assert_eq(a[1], 0xc7);
}

static int opts(struct net_opts *no, const char **args)
{
	char *argv[32];
	int argc = 0;
	static char ebuf[512];
	FILE *f = fmemopen(ebuf, sizeof(ebuf), "w");

	argv[argc++] = "cellvm-net";
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	argv[argc] = NULL;
	int r = net_opts_parse(no, argc, argv, f);
	fclose(f);
	return r;
}

Test(net_config, device_options)
{
	struct net_opts no;

	cr_assert_eq(opts(&no, ARGS("--fd", "3", "--tap-fds", "4,5,6", "--mac", "02:00:00:00:00:01",
				    "--mtu", "9000", "--metrics-fd", "7")), 0);
	cr_assert_eq(no.pairs, 3);
	cr_assert_eq(no.tap_fds[2], 6);
	cr_assert_eq(no.mtu, 9000);
	cr_assert_eq(no.mac[5], 1);
	cr_assert_eq(opts(&no, ARGS("--fd", "3", "--tap-fds", "4", "--mac", "02:00:00:00:00:01")), 0);
	cr_assert_eq(no.mtu, 1500);

	static const char *const bad[][10] = {
		{ "--fd", "3", "--mac", "02:00:00:00:00:01" },                       /* no taps */
		{ "--fd", "3", "--tap-fds", "4" },                                   /* no mac */
		{ "--tap-fds", "4", "--mac", "02:00:00:00:00:01" },                  /* no socket */
		{ "--fd", "3", "--tap-fds", "4,4", "--mac", "02:00:00:00:00:01" },   /* twice */
		{ "--fd", "3", "--tap-fds", "3", "--mac", "02:00:00:00:00:01" },     /* the socket */
		{ "--fd", "3", "--tap-fds", "4,5,6,7,8,9,10,11", "--mac", "02:00:00:00:00:01" },
		{ "--fd", "3", "--tap-fds", "2", "--mac", "02:00:00:00:00:01" },     /* stdio */
		{ "--fd", "3", "--tap-fds", "4,,", "--mac", "03:00:00:00:00:01" },   /* multicast */
		{ "--fd", "3", "--tap-fds", "4", "--mac", "02:00:00:00:00:01x" },
		{ "--fd", "3", "--tap-fds", "4", "--mac", "02:00:00:00:00:01", "--mtu", "67" },
		{ "--fd", "3", "--tap-fds", "x", "--mac", "02:00:00:00:00:01" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(opts(&no, (const char **)bad[i]), -EINVAL, "case %zu", i);
	cr_assert_eq(opts(&no, ARGS("--print-capabilities", "--bogus")), 0);
	cr_assert(no.print_caps);
}
