/* cellvm --config-file: JSON text -> struct vm_config, with the limits the
 * command line and the API apply too. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config_file.h"

static struct vm_config cfg;

static int parse(const char *text, char *err)
{
	err[0] = '\0';
	return config_file_parse(text, strlen(text), &cfg, err, 256);
}

static void expect_reject(const char *text, const char *needle)
{
	char err[256];

	cr_assert_lt(parse(text, err), 0, "accepted %s", text);
	cr_assert(strstr(err, needle), "error '%s' lacks '%s'", err, needle);
}

/* The example README.md shows under "Config file". */
static const char readme_example[] =
	"{\n"
	"  \"machine\": { \"vcpus\": 2, \"mem_mib\": 256 },\n"
	"  \"boot_source\": {\n"
	"    \"kernel\": \"build/linux/vmlinux\",\n"
	"    \"initrd\": \"build/linux/initramfs.cpio.gz\",\n"
	"    \"cmdline\": \"console=ttyS0 reboot=k panic=1 pci=off\"\n"
	"  },\n"
	"  \"drives\": [ { \"id\": \"root\", \"path\": \"rootfs.ext4\", \"read_only\": false } ],\n"
	"  \"rng\": {},\n"
	"  \"vhost_user\": [ { \"type\": \"blk\", \"socket\": \"/run/qsd/blk0.sock\" } ]\n"
	"}\n";

Test(config_file, readme_example)
{
	char err[256];

	cr_assert_eq(parse(readme_example, err), 0, "%s", err);
	cr_assert_eq(cfg.cpus, 2);
	cr_assert_eq(cfg.mem_mib, 256);
	cr_assert_str_eq(cfg.kernel, "build/linux/vmlinux");
	cr_assert_str_eq(cfg.initrd, "build/linux/initramfs.cpio.gz");
	cr_assert_str_eq(cfg.cmdline, "console=ttyS0 reboot=k panic=1 pci=off");
	cr_assert_eq(cfg.ndevs, 3);
	cr_assert_eq(cfg.devs[0].kind, DEV_DISK);
	cr_assert_str_eq(cfg.devs[0].id, "root");
	cr_assert_str_eq(cfg.devs[0].path, "rootfs.ext4");
	cr_assert_eq(cfg.devs[1].kind, DEV_RNG);
	cr_assert_eq(cfg.devs[2].kind, DEV_VHOST_USER);
	cr_assert_eq(cfg.devs[2].virtio_id, 2);
	cr_assert_str_eq(cfg.devs[2].path, "/run/qsd/blk0.sock");
}

Test(config_file, minimal_config_gets_defaults)
{
	char err[256];

	cr_assert_eq(parse("{\"boot_source\":{\"kernel\":\"k\"}}", err), 0, "%s", err);
	cr_assert_eq(cfg.cpus, 1);
	cr_assert_eq(cfg.mem_mib, VM_DEFAULT_MEM_MIB);
	cr_assert_str_eq(cfg.cmdline, "");
	cr_assert_eq(cfg.ndevs, 0);
}

Test(config_file, limits)
{
	expect_reject("{}", "boot_source.kernel is required");
	expect_reject("{\"boot_source\":{\"kernel\":\"\"}}", "kernel is required");
	expect_reject("{\"boot_source\":{\"kernel\":\"k\"},\"machine\":{\"vcpus\":33}}", "vcpus");
	expect_reject("{\"boot_source\":{\"kernel\":\"k\"},\"machine\":{\"mem_mib\":15}}", "mem_mib");
	expect_reject("{\"boot_source\":{\"kernel\":\"k\"},\"drives\":[{\"id\":\"x\"}]}",
		      "drives[0].path is required");
	expect_reject("{\"boot_source\":{\"kernel\":\"k\"},\"drives\":[{\"path\":\"p\","
		      "\"id\":\"123456789012345678901\"}]}",
		      "drives[0].id is longer than 20");
	expect_reject("{\"boot_source\":{\"kernel\":\"k\"},\"vhost_user\":[{\"type\":\"net\","
		      "\"socket\":\"/s\"}]}",
		      "vhost_user[0].type");
	expect_reject("{\"boot_source\":{\"kernel\":\"k\"},\"vhost_user\":[{\"type\":\"rng\"}]}",
		      "vhost_user[0].socket is required");
	expect_reject("{\"boot_source\":{\"kernel\":\"k\\n\"}}", "control characters");
}

Test(config_file, too_many_devices)
{
	char text[4096] = "{\"boot_source\":{\"kernel\":\"k\"},\"drives\":[";
	for (int i = 0; i < 17; i++)
		strcat(text, i ? ",{\"path\":\"p\"}" : "{\"path\":\"p\"}");
	strcat(text, "]}");
	expect_reject(text, "at most 16 devices");
}

Test(config_file, files)
{
	char path[] = "/tmp/cellvm-config-XXXXXX";
	char err[256];
	int fd = mkstemp(path);

	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, readme_example, strlen(readme_example)),
		     (ssize_t)strlen(readme_example));
	close(fd);
	cr_assert_eq(config_file_load(path, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(cfg.ndevs, 3);
	unlink(path);
	cr_assert_eq(config_file_load(path, &cfg, err, sizeof(err)), -ENOENT);
	cr_assert(strstr(err, "cannot open"), "%s", err);
	cr_assert_eq(config_file_load("/tmp", &cfg, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "regular file"), "%s", err);
}
