#include "devices.h"
#include "layout.h"
#include "log.h"
#include "net_tap.h"
#include "vu_listen.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Creates the counters page for a device about to be spawned: its fd is
 * added to fds[*nfds] and "--metrics-fd N" to args (N: the child's fd
 * number, 3 + 1 + index). */
static void add_metrics_page(const struct dev_metrics **page, const char **args,
			     unsigned int *nargs, int *fds, unsigned int *nfds, char *numbuf,
			     size_t numlen)
{
	int fd = dev_metrics_create(page);

	if (fd < 0) {
		log_warn("cannot create a device metrics page: %s", strerror(-fd));
		*page = NULL;
		return; /* the device runs without counters */
	}
	snprintf(numbuf, numlen, "%u", 4 + *nfds);
	fds[(*nfds)++] = fd;
	args[(*nargs)++] = "--metrics-fd";
	args[(*nargs)++] = numbuf;
}

static int spawn_disk(const struct dev_spec *s, struct dev_proc *p, const struct dev_metrics **page,
		      struct dev_respawn *k)
{
	const char *args[12];
	char metrics_num[16];
	int fds[2];
	unsigned int n = 0, nfds = 0;
	int img;
	int ret;

	/* The core opens the image and the device process only ever gets the
	 * fd, so a sandboxed device needs no view of the host's files. */
	img = open(s->path, (s->read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (img < 0) {
		ret = -errno;
		log_error("cannot open disk image '%s': %s", s->path, strerror(errno));
		return ret;
	}
	fds[nfds++] = img;
	args[n++] = "--fd";
	args[n++] = "3";
	args[n++] = "--image-fd";
	args[n++] = "4";
	if (s->read_only)
		args[n++] = "--ro";
	if (s->id[0]) {
		args[n++] = "--id";
		args[n++] = s->id;
	}
	add_metrics_page(page, args, &n, fds, &nfds, metrics_num, sizeof(metrics_num));
	args[n] = NULL;
	ret = dev_respawn_first(k, p, "cellvm-blk", args, fds, nfds);
	for (unsigned int i = 0; i < nfds; i++)
		close(fds[i]);
	return ret;
}

static int spawn_rng(struct dev_proc *p, const struct dev_metrics **page, struct dev_respawn *k)
{
	const char *args[6] = { "--fd", "3" };
	char metrics_num[16];
	int fds[1];
	unsigned int n = 2, nfds = 0;
	int ret;

	add_metrics_page(page, args, &n, fds, &nfds, metrics_num, sizeof(metrics_num));
	args[n] = NULL;
	ret = dev_respawn_first(k, p, "cellvm-rng", args, fds, nfds);
	for (unsigned int i = 0; i < nfds; i++)
		close(fds[i]);
	return ret;
}

/* The core binds the uds path and runs the connect broker; the device
 * gets the listening socket and its end of the broker channel (README.md,
 * "vsock": who opens what). */
static int spawn_vsock(const struct dev_spec *s, struct dev_proc *p, const struct dev_metrics **page,
		       struct vsock_host **hostp, struct dev_respawn *k)
{
	const char *args[14];
	char cid[16], metrics_num[16];
	int fds[3] = { -1, -1, -1 };
	unsigned int n = 0, nfds = 2;
	struct vsock_host *h = calloc(1, sizeof(*h));
	int ret;

	if (!h)
		return -ENOMEM;
	if ((ret = vsock_host_open(h, s->path, &fds[0], &fds[1])) < 0) {
		free(h);
		return ret;
	}
	snprintf(cid, sizeof(cid), "%u", s->guest_cid);
	args[n++] = "--fd";
	args[n++] = "3";
	args[n++] = "--guest-cid";
	args[n++] = cid;
	args[n++] = "--listen-fd";
	args[n++] = "4";
	args[n++] = "--connector-fd";
	args[n++] = "5";
	add_metrics_page(page, args, &n, fds, &nfds, metrics_num, sizeof(metrics_num));
	args[n] = NULL;
	ret = dev_respawn_first(k, p, "cellvm-vsock", args, fds, nfds);
	for (unsigned int i = 0; i < nfds; i++)
		close(fds[i]);
	if (ret == 0)
		ret = vsock_host_start(h);
	if (ret < 0) {
		vsock_host_close(h);
		free(h);
		return ret;
	}
	*hostp = h;
	return 0;
}

/* The core opens the tap, one fd per queue pair, and the device gets
 * them (fds 4...) and never opens anything itself. */
static int spawn_net(const struct dev_spec *s, struct dev_proc *p, const struct dev_metrics **page,
		     struct dev_respawn *k)
{
	const char *args[DEV_SPAWN_MAX_ARGS + 1];
	char tap_fds[64] = "", mac[VM_MAC_STR_LEN], mtu[16], metrics_num[16];
	int fds[DEV_SPAWN_MAX_FDS];
	unsigned int n = 0, nq = s->queues ? s->queues : 1, nfds = nq;
	uint8_t addr[6];
	int ret;

	if ((ret = net_tap_open(s->path, nq, fds)) < 0)
		return ret;
	for (unsigned int i = 0; i < nq; i++) {
		size_t len = strlen(tap_fds);
		snprintf(tap_fds + len, sizeof(tap_fds) - len, "%s%u", i ? "," : "", 4 + i);
	}
	if (s->has_mac)
		memcpy(addr, s->mac, sizeof(addr));
	else
		net_tap_default_mac(s->path, addr);
	vm_config_format_mac(addr, mac);
	snprintf(mtu, sizeof(mtu), "%u", s->mtu ? s->mtu : VM_NET_DEFAULT_MTU);
	args[n++] = "--fd";
	args[n++] = "3";
	args[n++] = "--tap-fds";
	args[n++] = tap_fds;
	args[n++] = "--mac";
	args[n++] = mac;
	args[n++] = "--mtu";
	args[n++] = mtu;
	add_metrics_page(page, args, &n, fds, &nfds, metrics_num, sizeof(metrics_num));
	args[n] = NULL;
	log_info("net: tap %s, mac %s, mtu %s, %u queue pair%s", s->path, mac, mtu, nq,
		 nq > 1 ? "s" : "");
	ret = dev_respawn_first(k, p, "cellvm-net", args, fds, nfds);
	for (unsigned int i = 0; i < nfds; i++)
		close(fds[i]);
	return ret;
}

static int virtio_device_open(const struct dev_spec *s, struct dev_proc *p, int *sock,
			      uint32_t *virtio_id, const struct dev_metrics **page,
			      struct vsock_host **vsock, struct dev_respawn *k)
{
	int ret;

	*p = (struct dev_proc){ .pid = -1, .pidfd = -1, .sock = -1, .log_fd = -1 };
	*page = NULL;
	switch (s->kind) {
	case DEV_DISK:
		*virtio_id = VIRTIO_ID_BLOCK;
		ret = spawn_disk(s, p, page, k);
		break;
	case DEV_RNG:
		*virtio_id = VIRTIO_ID_RNG;
		ret = spawn_rng(p, page, k);
		break;
	case DEV_VSOCK:
		*virtio_id = VIRTIO_ID_VSOCK;
		ret = spawn_vsock(s, p, page, vsock, k);
		break;
	case DEV_NET:
		*virtio_id = VIRTIO_ID_NET;
		ret = spawn_net(s, p, page, k);
		break;
	case DEV_VHOST_USER:
	default:
		*virtio_id = s->virtio_id;
		ret = vu_connect_unix(s->path);
		if (ret < 0) {
			log_error("cannot connect to vhost-user backend '%s': %s", s->path,
				  strerror(-ret));
			return ret;
		}
		*sock = ret;
		return 0;
	}
	if (ret < 0) {
		dev_metrics_unmap(*page);
		*page = NULL;
		return ret;
	}
	*sock = p->sock;
	return 0;
}

int virtio_devices_create(struct virtio_devices *vd, struct vm *vm, const struct vm_config *cfg)
{
	unsigned int counts[5] = { 0 };
	static const char *const prefix[] = { "blk", "rng", "vu", "vsock", "net" };
	int ret;

	memset(vd, 0, sizeof(*vd));
	for (unsigned int i = 0; i < VM_MAX_DEVICES; i++)
		dev_respawn_init(&vd->respawn[i]);
	dev_zygote_init(&vd->zygote);
	for (unsigned int i = 0; i < cfg->ndevs; i++) {
		if (cfg->devs[i].kind != DEV_VHOST_USER &&
		    cfg->devs[i].restart == DEV_RESTART_ON_FAILURE) {
			/* Forked before any device: it holds none of their fds. */
			if ((ret = dev_zygote_start(&vd->zygote)) < 0)
				log_warn("cannot start the device spawner (%s): devices will not "
					 "be restarted", strerror(-ret));
			break;
		}
	}
	for (unsigned int i = 0; i < cfg->ndevs; i++) {
		const struct dev_spec *s = &cfg->devs[i];
		const struct dev_metrics *page = NULL;
		struct dev_proc proc;
		uint32_t virtio_id = 0;
		char name[32];
		int sock = -1;

		snprintf(name, sizeof(name), "%s%u", prefix[s->kind], counts[s->kind]++);
		if ((ret = virtio_device_open(s, &proc, &sock, &virtio_id, &page, &vd->vsock,
					      &vd->respawn[vd->n])) < 0)
			goto fail;
		/* An external backend is not ours to start again: at most it is
		 * connected to again. */
		vd->restart[vd->n] = s->restart;
		if (s->kind == DEV_VHOST_USER && s->restart == DEV_RESTART_ON_FAILURE)
			snprintf(vd->reconnect[vd->n], sizeof(vd->reconnect[vd->n]), "%s", s->path);
		uint64_t base = LAYOUT_VIRTIO_MMIO_BASE + i * LAYOUT_VIRTIO_MMIO_SIZE;
		struct vu_device *d = &vd->dev[vd->n];
		ret = vu_device_init(d, name, virtio_id, vm->vm_fd, &vm->mem, base,
				     IRQ_VIRTIO_FIRST + i, sock, proc.pid > 0 ? &proc : NULL);
		if (ret < 0) {
			dev_metrics_unmap(page);
			goto fail; /* vu_device_init released sock and proc */
		}
		vd->metrics[vd->n] = page;
		vd->n++;
		if ((ret = bus_register(&vm->mmio, base, LAYOUT_VIRTIO_MMIO_SIZE, &virtio_mmio_bus_ops,
					&d->transport, d->name)) < 0)
			goto fail;
		log_debug("%s: virtio id %u at 0x%llx irq %u, pid %d", name, virtio_id,
			  (unsigned long long)base, IRQ_VIRTIO_FIRST + i, (int)proc.pid);
	}
	return 0;
fail:
	virtio_devices_destroy(vd);
	return ret;
}

/* Why a device process ended, from its wait status (-1: unknown). */
static void device_exit_reason(int status, char *why, size_t len)
{
	if (status >= 0 && WIFSIGNALED(status))
		snprintf(why, len, "process was killed by signal %d", WTERMSIG(status));
	else if (status >= 0)
		snprintf(why, len, "process exited with status %d", WEXITSTATUS(status));
	else
		snprintf(why, len, "process ended");
}

/* A device whose connection hung up is dying on its own; when the VM
 * stops first, its end still gets its line (a seccomp kill's signal is
 * what an operator looks for), so it is given a moment to finish. */
static void device_report_own_end(struct vu_device *d)
{
	struct pollfd pfd = { .fd = d->proc.pidfd, .events = POLLIN };
	char why[96];

	if (!atomic_load(&d->dead) || d->proc.pid <= 0 || d->proc.pidfd < 0 ||
	    poll(&pfd, 1, 500) != 1)
		return;
	dev_log_drain(&d->log);
	device_exit_reason(dev_reap(&d->proc), why, sizeof(why));
	log_info("%s: device %s", d->name, why);
}

void virtio_devices_destroy(struct virtio_devices *vd)
{
	for (unsigned int i = 0; i < vd->n; i++) {
		device_report_own_end(&vd->dev[i]);
		vu_device_destroy(&vd->dev[i]);
		dev_metrics_unmap(vd->metrics[i]);
		vd->metrics[i] = NULL;
	}
	for (unsigned int i = 0; i < VM_MAX_DEVICES; i++)
		dev_respawn_release(&vd->respawn[i]);
	dev_zygote_stop(&vd->zygote);
	vd->n = 0;
	/* After the device process: nothing asks the broker any more. */
	if (vd->vsock) {
		vsock_host_close(vd->vsock);
		free(vd->vsock);
		vd->vsock = NULL;
	}
}

int virtio_devices_cmdline(const struct virtio_devices *vd, char *buf, size_t cap)
{
	size_t len = strlen(buf);

	for (unsigned int i = 0; i < vd->n; i++) {
		int n = snprintf(buf + len, cap - len, " virtio_mmio.device=4K@0x%llx:%u",
				 (unsigned long long)vd->dev[i].mmio_base, vd->dev[i].irq);
		if (n < 0 || (size_t)n >= cap - len)
			return -E2BIG;
		len += (size_t)n;
	}
	return 0;
}

unsigned int virtio_devices_describe(const struct virtio_devices *vd, struct mmio_dev_desc *desc)
{
	for (unsigned int i = 0; i < vd->n; i++)
		desc[i] = (struct mmio_dev_desc){ .addr = vd->dev[i].mmio_base,
						  .size = LAYOUT_VIRTIO_MMIO_SIZE,
						  .irq = vd->dev[i].irq };
	return vd->n;
}

unsigned int virtio_devices_pollfds(struct virtio_devices *vd, struct pollfd *pfd)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < vd->n; i++) {
		struct vu_device *d = &vd->dev[i];
		bool watch = !atomic_load(&d->dead);
		/* The process is watched until reaped, even after its hang-up
		 * marked the device dead, so it never lingers as a zombie. */
		bool watch_proc = d->proc.pid > 0;
		/* events 0: only hang-up and errors wake us, never the replies
		 * the vCPU thread is reading on the same socket. */
		pfd[n++] = (struct pollfd){ .fd = watch ? d->fe.sock : -1, .events = 0 };
		pfd[n++] = (struct pollfd){ .fd = watch_proc ? d->proc.pidfd : -1, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = dev_log_pollfd(&d->log), .events = POLLIN };
	}
	return n;
}

int virtio_devices_poll_timeout(struct virtio_devices *vd)
{
	int timeout = -1;

	for (unsigned int i = 0; i < vd->n; i++) {
		int t = dev_log_wait_ms(&vd->dev[i].log);
		if (t >= 0 && (timeout < 0 || t < timeout))
			timeout = t;
	}
	return timeout;
}

void virtio_devices_poll_result(struct virtio_devices *vd, const struct pollfd *pfd)
{
	for (unsigned int i = 0; i < vd->n; i++) {
		struct vu_device *d = &vd->dev[i];
		const struct pollfd *sock = &pfd[VIRTIO_DEVICES_POLLFDS * i];
		const struct pollfd *proc = sock + 1, *out = sock + 2;
		char why[96];

		dev_log_poll_result(&d->log, out->fd >= 0 ? out->revents : 0);
		if (proc->fd >= 0 && (proc->revents & POLLIN)) {
			/* Its last words (an error, the sandbox's complaint) come
			 * before the line that reports its end. */
			dev_log_drain(&d->log);
			int status = dev_reap(&d->proc);
			device_exit_reason(status, why, sizeof(why));
			/* Its hang-up may have been seen first; the reason is
			 * still worth a line. */
			if (atomic_load(&d->dead))
				log_info("%s: device %s", d->name, why);
			virtio_device_died(vd, i, status, why);
		} else if (sock->fd >= 0 && (sock->revents & (POLLHUP | POLLERR | POLLNVAL))) {
			dev_log_drain(&d->log);
			virtio_device_died(vd, i, -1, "closed its vhost-user connection");
		}
	}
}
