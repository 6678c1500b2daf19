/* Section "linux-net": Debian's kernel with its own virtio_net driver
 * (cellvm.test=netbench: tests/linux/netcheck bench) streams TCP to a
 * host sink for cellvm.bench-seconds, then plays 1-byte ping-pong as
 * long, through one tap the section makes (root only):
 *
 *   cellvm       cellvm + cellvm-net (--net tap=...)
 *   qemu         QEMU microvm, its built-in virtio-net-device on the same
 *                tap (-netdev tap,vhost=off): QEMU's main loop moves frames
 *   qemu-vhost   the same with vhost=on: Linux's in-kernel vhost-net, when
 *                the host has /dev/vhost-net
 *
 * The host ends are threads of the bench (vsock_srv.c, on TCP). Also the
 * VMM process's CPU outside its vCPU threads during the transfer:
 * cellvm's core has no part in it (the device is another process),
 * QEMU's main loop is the device without vhost. */
#include "linux.h"
#include "vsock_srv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PORT 5000
#define TAP "cvmbench0"
#define HOST_ADDR "10.0.50.1"
#define GUEST_ADDR "10.0.50.2"
#define GUEST_MAC "02:00:00:00:00:50"

enum { NCOL_CV, NCOL_QEMU, NCOL_QEMU_VHOST };
enum { V_MBS, V_RTT, V_CORE, V_COUNT };

struct net_sec {
	struct linux_files f;
	char cmdline[320];
	struct metric *m;
	struct linux_run lr;
	double mbs, rtt_us;
	bool have;
	struct cpu_sample c0, c1;
	bool have_c0, have_c1;
};

static void before(struct run_ctx *rc)
{
	struct net_sec *s = rc->section;

	s->lr = (struct linux_run){ .guest_init_ms = -1 };
	s->have = s->have_c0 = s->have_c1 = false;
}

static int on_line(struct vm_run *r, const struct vm_line *l, void *arg)
{
	struct run_ctx *rc = arg;
	struct net_sec *s = rc->section;
	static const char tag[] = "cellvm-linux: netcheck bench ";

	linux_line(&s->lr, l);
	if (l->stream != STREAM_OUT || strncmp(l->text, tag, sizeof(tag) - 1) != 0)
		return 0;
	const char *t = l->text + sizeof(tag) - 1;
	if (strcmp(t, "start") == 0) {
		s->have_c0 = cpu_sample(r->pid, &s->c0) == 0;
	} else if (strncmp(t, "ok ", 3) == 0 && line_key_double(t, "mbs", &s->mbs) &&
		   line_key_double(t, "rtt_us", &s->rtt_us)) {
		s->have = true;
		s->have_c1 = cpu_sample(r->pid, &s->c1) == 0;
	} else if (!s->lr.fail[0]) {
		snprintf(s->lr.fail, sizeof(s->lr.fail), "guest: %s", l->text);
	}
	return 0;
}

static void hook_argv(struct run_ctx *rc, struct argv_buf *a)
{
	struct net_sec *s = rc->section;
	const struct guest g = { .kernel = s->f.kernel, .initrd = s->f.initrd,
				 .cmdline = s->cmdline, .cpus = linux_cpus(),
				 .mem_mib = LINUX_MEM_MIB, .virtio = true };

	vmm_argv_guest(rc->cfg, rc->cfg->col[rc->col].vmm, &g, a);
	switch (rc->col) {
	case NCOL_CV:
		argv_add(a, "--net");
		argv_add(a, "tap=" TAP ",mac=" GUEST_MAC);
		break;
	case NCOL_QEMU:
	case NCOL_QEMU_VHOST:
		argv_add(a, "-netdev");
		argv_addf(a, "tap,id=n0,ifname=" TAP ",script=no,downscript=no,vhost=%s",
			  rc->col == NCOL_QEMU_VHOST ? "on" : "off");
		argv_add(a, "-device");
		argv_add(a, "virtio-net-device,netdev=n0,mac=" GUEST_MAC);
		break;
	}
}

static void finish(struct run_ctx *rc, struct vm_run *r)
{
	(void)rc;
	/* The tap is free again only once every process of the VMM is gone. */
	if (r->pid > 0 && !group_wait_gone(r->pid, 3000) && !r->why[0])
		snprintf(r->why, sizeof(r->why), "processes of the VMM's group still alive 3 s "
			 "after it exited");
}

static bool passed(struct run_ctx *rc, struct vm_run *r)
{
	struct net_sec *s = rc->section;
	return linux_run_passed(&s->lr, r);
}

static bool record(struct run_ctx *rc, struct vm_run *r)
{
	struct net_sec *s = rc->section;

	if (!s->have) {
		snprintf(r->why, sizeof(r->why), "no \"netcheck bench ok\" line");
		return false;
	}
	series_add(&s->m[V_MBS].s[rc->col], s->mbs);
	series_add(&s->m[V_RTT].s[rc->col], s->rtt_us);
	if (s->have_c0 && s->have_c1)
		series_add(&s->m[V_CORE].s[rc->col],
			   ns_to_ms((s->c1.total_ns - s->c1.vcpu_ns) - (s->c0.total_ns - s->c0.vcpu_ns)));
	if (rc->cfg->verbose)
		fprintf(stderr, "bench: %s linux-net: %.1f MB/s, %.1f us\n",
			rc->cfg->col[rc->col].name, s->mbs, s->rtt_us);
	return true;
}

static void tap_delete(void)
{
	if (system("ip link del " TAP " 2>/dev/null") != 0) {
		/* There was none. */
	}
}

static int tap_create(char *why, size_t len)
{
	static const char *const cmds[] = {
		"ip tuntap add dev " TAP " mode tap",
		"ip addr add " HOST_ADDR "/24 dev " TAP,
		"ip link set " TAP " up",
	};

	if (geteuid() != 0) {
		snprintf(why, len, "making a tap needs root (the nested host runs the bench as root)");
		return -1;
	}
	tap_delete();
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (system(cmds[i]) != 0) {
			snprintf(why, len, "'%s' failed", cmds[i]);
			tap_delete();
			return -1;
		}
	}
	return 0;
}

static void columns(struct bench_cfg *cfg)
{
	char dev[4096];

	columns_reset(cfg);
	column_add(cfg, "cellvm", VMM_CELLVM);
	column_add(cfg, "qemu", VMM_QEMU);
	column_add(cfg, "qemu-vhost", VMM_QEMU);
	snprintf(dev, sizeof(dev), "%s/cellvm-net", cfg->bin_dir);
	if (access(dev, X_OK) != 0)
		column_missing(&cfg->col[NCOL_CV], "%s is missing (make all)", dev);
	if (access("/dev/vhost-net", R_OK | W_OK) != 0)
		column_missing(&cfg->col[NCOL_QEMU_VHOST], "no /dev/vhost-net here");
}

int section_linux_net(struct bench_cfg *cfg, struct section_result *res)
{
	struct metric m[V_COUNT] = {
		[V_MBS] = { .label = "guest -> host TCP stream, 64 KiB writes", .unit = UNIT_MBS,
			    .in_summary = true },
		[V_RTT] = { .label = "1-byte TCP ping-pong round trip", .unit = UNIT_US,
			    .in_summary = true },
		[V_CORE] = { .label = "VMM process CPU outside vCPUs, stream + ping-pong",
			     .unit = UNIT_MS, .in_summary = true },
	};
	struct net_sec s = { .m = m };
	struct vsock_srv srv = { .lfd = { -1, -1 }, .stop_efd = -1 };
	char head[320], err[300];
	int r;

	columns(cfg);
	snprintf(head, sizeof(head), "Linux TCP over virtio-net (cellvm.test=netbench, %u s each) "
		 "on one tap: cellvm-net vs QEMU's virtio-net (without and with vhost-net); KVM "
		 "host: %s", cfg->linux_seconds, kvm_host_kind());
	report_section_header(cfg, "linux-net", head, cfg->linux_blk_runs);
	if (linux_files_find(cfg, &s.f, err, sizeof(err)) < 0 || tap_create(err, sizeof(err)) < 0) {
		printf("   NOT RUN: %s\n", err);
		res->skipped = true;
		return 0;
	}
	if ((r = vsock_srv_start_tcp(&srv, HOST_ADDR, PORT)) < 0) {
		printf("   NOT RUN: host sockets: %s\n", strerror(-r));
		tap_delete();
		return -1;
	}
	snprintf(s.cmdline, sizeof(s.cmdline),
		 "console=ttyS0 reboot=k panic=1 pci=off cellvm.test=netbench "
		 "cellvm.net-addr=" GUEST_ADDR " cellvm.net-host=" HOST_ADDR " cellvm.bench-seconds=%u",
		 cfg->linux_seconds);
	printf("   host: tap %s with %s/24; sink and echo threads of the bench on TCP %u/%u\n",
	       TAP, HOST_ADDR, PORT, PORT + 1);
	printf("   guest: %s + %s, %u vCPUs, %u MiB\n   cmdline (every VMM): %s\n   commands:\n",
	       s.f.kernel, s.f.initrd, linux_cpus(), LINUX_MEM_MIB, s.cmdline);
	for (unsigned int c = 0; c < cfg->ncols; c++) {
		struct run_ctx rc = { .cfg = cfg, .col = c, .id = cfg->col[c].vmm, .section = &s };
		struct argv_buf a;
		if (!column_available(cfg, c))
			continue;
		hook_argv(&rc, &a);
		argv_print(cfg->col[c].name, &a);
	}

	struct run_hooks h = { .on_line = on_line, .record = record, .before = before,
			       .argv = hook_argv, .finish = finish, .passed = passed,
			       .runs = cfg->linux_blk_runs, .timeout_ms = cfg->linux_timeout_ms };
	run_interleaved(cfg, &h, &s, res);
	vsock_srv_stop(&srv);
	tap_delete();
	for (size_t i = 0; i < V_COUNT; i++)
		report_metric(cfg, &m[i]);
	report_table(cfg, m, V_COUNT);
	for (size_t i = 0; i < V_COUNT; i++)
		metric_free(&m[i]);
	return 0;
}
