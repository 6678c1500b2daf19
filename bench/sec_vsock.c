/* Section "linux-vsock": Debian's kernel with its own virtio-vsock driver
 * (cellvm.test=vsockbench: tests/linux/vsockcheck bench) streams to a host
 * sink for cellvm.bench-seconds, then plays 1-byte ping-pong as long:
 *
 *   cellvm       cellvm + cellvm-vsock (--vsock), host sockets UNIX
 *   qemu+cv      QEMU microvm, vhost-user-vsock-device, the same
 *                cellvm-vsock program run standalone as its backend
 *   qemu-vhost   QEMU microvm, vhost-vsock-device: Linux's in-kernel
 *                vhost-vsock (host sockets AF_VSOCK), when the host has it
 *
 * So cellvm vs qemu+cv is the VMM around one device program (the core
 * is out of the data path: ioeventfd and irqfd), and cellvm vs qemu-vhost
 * the user-space device against the kernel's. The host ends are threads
 * of the bench (vsock_srv.c). Also the VMM process's CPU outside its vCPU
 * threads while the guest transfers: cellvm's core has no part in it (the
 * device is another process), QEMU's main loop serves its own devices. */
#include "linux.h"
#include "vsock_srv.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define PORT 5000
#define GUEST_CID 3
#define PEER_MS 10000

enum { COL_CV, COL_QEMU_CV, COL_QEMU_VHOST };
enum { V_MBS, V_RTT, V_CORE, V_COUNT };

struct vsock_sec {
	struct linux_files f;
	char cmdline[256], uds[256], vu[256], dev[4096];
	struct metric *m;
	struct linux_run lr;
	double mbs, rtt_us;
	bool have;
	/* The VMM process's CPU outside its vCPU threads, at "bench start"
	 * and at "bench ok": what the VMM itself spends on the transfer. */
	struct cpu_sample c0, c1;
	bool have_c0, have_c1;
	struct peer peer;
	bool peer_up;
};

static void before(struct run_ctx *rc)
{
	struct vsock_sec *s = rc->section;

	s->lr = (struct linux_run){ .guest_init_ms = -1 };
	s->have = s->have_c0 = s->have_c1 = false;
}

static int on_line(struct vm_run *r, const struct vm_line *l, void *arg)
{
	struct run_ctx *rc = arg;
	struct vsock_sec *s = rc->section;
	static const char tag[] = "cellvm-linux: vsockcheck bench ";

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
	}
	else if (!s->lr.fail[0])
		snprintf(s->lr.fail, sizeof(s->lr.fail), "guest: %s", l->text);
	return 0;
}

static void hook_argv(struct run_ctx *rc, struct argv_buf *a)
{
	struct vsock_sec *s = rc->section;
	const struct guest g = { .kernel = s->f.kernel, .initrd = s->f.initrd,
				 .cmdline = s->cmdline, .cpus = linux_cpus(),
				 .mem_mib = LINUX_MEM_MIB, .virtio = true };

	vmm_argv_guest(rc->cfg, rc->cfg->col[rc->col].vmm, &g, a);
	switch (rc->col) {
	case COL_CV:
		argv_add(a, "--vsock");
		argv_addf(a, "cid=%u,uds=%s", GUEST_CID, s->uds);
		break;
	case COL_QEMU_CV:
		argv_add(a, "-chardev");
		argv_addf(a, "socket,id=c0,path=%s", s->vu);
		argv_add(a, "-device");
		argv_add(a, "vhost-user-vsock-device,chardev=c0");
		break;
	case COL_QEMU_VHOST:
		argv_add(a, "-device");
		argv_addf(a, "vhost-vsock-device,guest-cid=%u", GUEST_CID);
		break;
	}
}

static void peer_argv(const struct vsock_sec *s, struct argv_buf *a)
{
	argv_init(a);
	argv_add(a, s->dev);
	argv_add(a, "--socket-path");
	argv_add(a, s->vu);
	argv_add(a, "--guest-cid");
	argv_addf(a, "%u", GUEST_CID);
	argv_add(a, "--uds-path");
	argv_add(a, s->uds);
}

static bool prepare(struct run_ctx *rc, char *why, size_t len)
{
	struct vsock_sec *s = rc->section;
	struct argv_buf a;

	s->peer_up = false;
	if (rc->col != COL_QEMU_CV)
		return true;
	peer_argv(s, &a);
	if (peer_start(&s->peer, a.argv, s->vu, PEER_MS, why, len) < 0)
		return false;
	s->peer_up = true;
	return true;
}

static void finish(struct run_ctx *rc, struct vm_run *r)
{
	struct vsock_sec *s = rc->section;

	if (s->peer_up) {
		peer_stop(&s->peer, 3000);
		unlink(s->vu);
		s->peer_up = false;
	}
	/* cellvm-vsock (either kind) must be gone before the next run binds
	 * the uds path again. */
	if (r->pid > 0 && !group_wait_gone(r->pid, 3000) && !r->why[0])
		snprintf(r->why, sizeof(r->why), "processes of the VMM's group still alive 3 s "
			 "after it exited");
}

static bool passed(struct run_ctx *rc, struct vm_run *r)
{
	struct vsock_sec *s = rc->section;
	return linux_run_passed(&s->lr, r);
}

static bool record(struct run_ctx *rc, struct vm_run *r)
{
	struct vsock_sec *s = rc->section;

	if (!s->have) {
		snprintf(r->why, sizeof(r->why), "no \"vsockcheck bench ok\" line");
		return false;
	}
	series_add(&s->m[V_MBS].s[rc->col], s->mbs);
	series_add(&s->m[V_RTT].s[rc->col], s->rtt_us);
	if (s->have_c0 && s->have_c1)
		series_add(&s->m[V_CORE].s[rc->col],
			   ns_to_ms((s->c1.total_ns - s->c1.vcpu_ns) - (s->c0.total_ns - s->c0.vcpu_ns)));
	if (rc->cfg->verbose)
		fprintf(stderr, "bench: %s linux-vsock: %.1f MB/s, %.1f us\n",
			rc->cfg->col[rc->col].name, s->mbs, s->rtt_us);
	return true;
}

static void columns(struct bench_cfg *cfg, struct vsock_sec *s)
{
	char why[256];

	columns_reset(cfg);
	column_add(cfg, "cellvm", VMM_CELLVM);
	column_add(cfg, "qemu+cv", VMM_QEMU);
	column_add(cfg, "qemu-vhost", VMM_QEMU);
	snprintf(s->dev, sizeof(s->dev), "%s/cellvm-vsock", cfg->bin_dir);
	if (access(s->dev, X_OK) != 0) {
		column_missing(&cfg->col[COL_CV], "%s is missing (make all)", s->dev);
		column_missing(&cfg->col[COL_QEMU_CV], "%s is missing (make all)", s->dev);
	}
	if (!vsock_vhost_available(why, sizeof(why)))
		column_missing(&cfg->col[COL_QEMU_VHOST], "%s", why);
}

int section_linux_vsock(struct bench_cfg *cfg, struct section_result *res)
{
	struct metric m[V_COUNT] = {
		[V_MBS] = { .label = "guest -> host stream, 64 KiB writes", .unit = UNIT_MBS,
			    .in_summary = true },
		[V_RTT] = { .label = "1-byte ping-pong round trip", .unit = UNIT_US,
			    .in_summary = true },
		[V_CORE] = { .label = "VMM process CPU outside vCPUs, stream + ping-pong",
			     .unit = UNIT_MS, .in_summary = true },
	};
	struct vsock_sec s = { .m = m };
	struct vsock_srv unix_srv = { .lfd = { -1, -1 }, .stop_efd = -1 };
	struct vsock_srv vsock_srv = { .lfd = { -1, -1 }, .stop_efd = -1 };
	char head[320], err[300];
	int r;

	columns(cfg, &s);
	snprintf(head, sizeof(head), "Linux AF_VSOCK (cellvm.test=vsockbench, %u s each): "
		 "cellvm-vsock under cellvm vs under QEMU vs QEMU's vhost-vsock; KVM host: %s",
		 cfg->linux_seconds, kvm_host_kind());
	report_section_header(cfg, "linux-vsock", head, cfg->linux_blk_runs);
	if (linux_files_find(cfg, &s.f, err, sizeof(err)) < 0) {
		printf("   NOT RUN: %s\n", err);
		res->skipped = true;
		return 0;
	}
	if ((r = workdir_path(cfg, s.uds, sizeof(s.uds), "v.sock")) < 0 ||
	    (r = workdir_path(cfg, s.vu, sizeof(s.vu), "vu.sock")) < 0 ||
	    (r = vsock_srv_start_unix(&unix_srv, s.uds, PORT)) < 0) {
		printf("   NOT RUN: host sockets: %s\n", strerror(-r));
		return -1;
	}
	if (column_available(cfg, COL_QEMU_VHOST) &&
	    (r = vsock_srv_start_vsock(&vsock_srv, PORT)) < 0)
		column_missing(&cfg->col[COL_QEMU_VHOST], "host AF_VSOCK port %u: %s", PORT,
			       strerror(-r));
	snprintf(s.cmdline, sizeof(s.cmdline),
		 "console=ttyS0 reboot=k panic=1 pci=off cellvm.test=vsockbench "
		 "cellvm.bench-seconds=%u", cfg->linux_seconds);
	printf("   host ends: sink and echo threads of the bench at %s_%u/%u (UNIX) and on "
	       "AF_VSOCK ports %u/%u\n", s.uds, PORT, PORT + 1, PORT, PORT + 1);
	printf("   guest: %s + %s, %u vCPUs, %u MiB\n   cmdline (every VMM): %s\n   commands:\n",
	       s.f.kernel, s.f.initrd, linux_cpus(), LINUX_MEM_MIB, s.cmdline);
	for (unsigned int c = 0; c < cfg->ncols; c++) {
		struct run_ctx rc = { .cfg = cfg, .col = c, .id = cfg->col[c].vmm, .section = &s };
		struct argv_buf a;
		if (!column_available(cfg, c))
			continue;
		hook_argv(&rc, &a);
		argv_print(cfg->col[c].name, &a);
		if (c == COL_QEMU_CV) {
			peer_argv(&s, &a);
			argv_print("  + backend", &a);
		}
	}

	struct run_hooks h = { .on_line = on_line, .record = record, .before = before,
			       .argv = hook_argv, .prepare = prepare, .finish = finish,
			       .passed = passed, .runs = cfg->linux_blk_runs,
			       .timeout_ms = cfg->linux_timeout_ms };
	run_interleaved(cfg, &h, &s, res);
	vsock_srv_stop(&unix_srv);
	vsock_srv_stop(&vsock_srv);
	for (size_t i = 0; i < V_COUNT; i++)
		report_metric(cfg, &m[i]);
	report_table(cfg, m, V_COUNT);
	for (size_t i = 0; i < V_COUNT; i++)
		metric_free(&m[i]);
	return 0;
}
