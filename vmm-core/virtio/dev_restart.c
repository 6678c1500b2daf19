/* What the core does when a device process dies (README.md, "Device
 * restart"): within the device's policy and budget, a fresh process in a
 * fresh sandbox, started by the spawner with the same fds, is brought back
 * to where the old one was (vu_device_restore); otherwise, or when that
 * keeps failing, the guest sees NEEDS_RESET as before. A restore that
 * fails (the new process dies at once, or answers with an error) costs a
 * restart from the budget like any death. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "devices.h"
#include "log.h"
#include "vu_listen.h"

/* How long an external backend may take to come back (its supervisor
 * restarting it); the main loop waits meanwhile. */
#define RECONNECT_MS      10000
#define RECONNECT_STEP_MS 50

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void dev_exit_status_str(int status, char *buf, size_t len)
{
	if (status < 0)
		snprintf(buf, len, "%s", "");
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "signal %d", WTERMSIG(status));
	else
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
}

/* The old process is over and reaped, its socket and log closed. A
 * process that only hung up gets a moment to end, then SIGKILL. */
static int device_bury(struct vu_device *d, int status)
{
	if (d->proc.pid > 0 && d->proc.pidfd >= 0) {
		struct pollfd pfd = { .fd = d->proc.pidfd, .events = POLLIN };
		if (poll(&pfd, 1, 200) == 1)
			status = dev_reap(&d->proc);
	}
	vu_frontend_close(&d->fe);
	d->proc.sock = -1; /* the frontend's, closed above */
	dev_stop(&d->proc, 0);
	dev_log_close(&d->log);
	return status;
}

/* Did the process that just died complete anything? Without a counters
 * page there is no telling: assume not. */
static bool device_made_progress(const struct virtio_devices *vd, unsigned int i)
{
	const struct dev_metrics *page = vd->metrics[i];

	return page && dev_metrics_get(&page->requests) > vd->requests_at_start[i];
}

/* Someone else's backend that keeps no inflight region, while the driver
 * runs the device: it may have finished requests out of order, and
 * without the region nobody knows which of the taken ones are still
 * owed, so a restore would lose or repeat some. (cellvm-vsock, which keeps
 * none either, serves its rings in order: resuming at the used index is
 * exact for it.) */
static bool device_unsafe_to_restore(struct vu_device *d, const char *reconnect)
{
	bool active;

	pthread_mutex_lock(&d->transport.lock);
	active = d->activated;
	pthread_mutex_unlock(&d->transport.lock);
	return reconnect[0] && active &&
	       !(d->protocol_features & (1ULL << VHOST_USER_PROTOCOL_F_INFLIGHT_SHMFD));
}

static bool device_may_restart(const struct virtio_devices *vd, unsigned int i)
{
	bool can = vd->reconnect[i][0] || (vd->respawn[i].kept && vd->zygote.sock >= 0);

	return !vd->stopping && vd->restart[i] == DEV_RESTART_ON_FAILURE && can &&
	       !vd->dev[i].guest_told;
}

/* A new process of ours, or a new connection to someone else's backend. */
static int device_start_again(struct virtio_devices *vd, unsigned int i, struct dev_proc *p)
{
	if (!vd->reconnect[i][0])
		return dev_zygote_spawn(&vd->zygote, &vd->respawn[i], p);
	*p = (struct dev_proc){ .pid = -1, .pidfd = -1, .sock = -1, .log_fd = -1 };
	for (int waited = 0;; waited += RECONNECT_STEP_MS) {
		int fd = vu_connect_unix(vd->reconnect[i]);
		if (fd >= 0) {
			p->sock = fd;
			return 0;
		}
		if (waited >= RECONNECT_MS)
			return fd;
		struct timespec ts = { .tv_nsec = RECONNECT_STEP_MS * 1000000L };
		nanosleep(&ts, NULL);
	}
}

void virtio_device_died(struct virtio_devices *vd, unsigned int i, int status, const char *why)
{
	struct vu_device *d = &vd->dev[i];
	uint64_t t0 = now_ms();
	char st[24];

	if (status >= 0)
		atomic_store(&d->last_exit_status, status);
	if (!device_may_restart(vd, i)) {
		vu_device_backend_died(d, why);
		return;
	}
	if (device_unsafe_to_restore(d, vd->reconnect[i])) {
		log_warn("%s: the backend keeps no inflight region (INFLIGHT_SHMFD): a restore "
			 "could lose or repeat requests, so it is not reconnected", d->name);
		vu_device_backend_died(d, why);
		return;
	}
	vu_device_backend_gone(d);
	bool known = status >= 0;
	status = device_bury(d, status);
	if (status >= 0)
		atomic_store(&d->last_exit_status, status);
	/* A hang-up's line gets the status the process ended with. */
	dev_exit_status_str(known ? -1 : status, st, sizeof(st));
	bool charge = !device_made_progress(vd, i);
	log_warn("%s: device %s%s%s; restarting it", d->name, why, st[0] ? ", " : "", st);
	for (;; charge = true) {
		struct dev_proc proc;
		int ret;

		if (charge && !restart_budget_take(&vd->budget[i], now_ms())) {
			log_error("%s: %d restarts within %u s: giving up", d->name,
				  RESTART_BUDGET_MAX, RESTART_BUDGET_WINDOW_MS / 1000);
			vu_device_backend_died(d, "kept dying");
			return;
		}
		ret = device_start_again(vd, i, &proc);
		if (ret < 0) {
			log_error("%s: cannot start %s again: %s", d->name,
				  vd->reconnect[i][0] ? vd->reconnect[i] : vd->respawn[i].program,
				  strerror(-ret));
			continue;
		}
		if (vd->metrics[i])
			vd->requests_at_start[i] = dev_metrics_get(&vd->metrics[i]->requests);
		ret = vu_device_restore(d, proc.sock, &proc);
		atomic_fetch_add(&d->restarts, 1);
		if (ret == 0) {
			log_info("%s: device restored (pid %d, restart %u) after %llu ms gone", d->name,
				 (int)d->proc.pid, atomic_load(&d->restarts),
				 (unsigned long long)(now_ms() - t0));
			return;
		}
		log_warn("%s: restoring the restarted device failed: %s", d->name, strerror(-ret));
		status = device_bury(d, -1);
		if (status >= 0)
			atomic_store(&d->last_exit_status, status);
	}
}
