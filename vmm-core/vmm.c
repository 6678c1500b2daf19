#include "vmm.h"
#include "exit_codes.h"
#include "log.h"
#include "thread_kind.h"
#include "vmm_loop.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <poll.h>
#include <unistd.h>

#define VMM_BOOT_FAILED (-1)
#define VMM_START       (-2)

int vmm_init(struct vmm *m, const struct cli_opts *opts, const struct timespec *launch_wall,
	     const struct timespec *launch_cpu, int metrics_fd)
{
	int ret;

	memset(m, 0, sizeof(*m));
	m->opts = opts;
	m->launch_wall = *launch_wall;
	m->launch_cpu = *launch_cpu;
	m->metrics_fd = metrics_fd;
	m->state = VMM_NOT_CONFIGURED;
	m->config = malloc(sizeof(*m->config));
	if (!m->config)
		return -ENOMEM;
	m->wake_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (m->wake_efd < 0) {
		ret = -errno;
		free(m->config);
		return ret;
	}
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->cond, NULL);
	return 0;
}

void vmm_destroy(struct vmm *m)
{
	if (m->wake_efd >= 0)
		close(m->wake_efd);
	pthread_cond_destroy(&m->cond);
	pthread_mutex_destroy(&m->lock);
	free(m->config);
	m->config = NULL;
	m->wake_efd = -1;
}

int vmm_set_config(struct vmm *m, const struct vm_config *cfg)
{
	pthread_mutex_lock(&m->lock);
	*m->config = *cfg;
	m->configured = true;
	m->state = VMM_CONFIGURED;
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static void wake_main(struct vmm *m)
{
	uint64_t one = 1;

	if (write(m->wake_efd, &one, sizeof(one)) < 0) {
		/* EAGAIN: the counter is already non-zero, main is woken. */
	}
}

/* Called with the lock held. */
static void set_state(struct vmm *m, enum vmm_state s)
{
	m->state = s;
	pthread_cond_broadcast(&m->cond);
}

/* ---- main thread ---- */

/* Waits for a start, a kill or a signal. Returns VMM_START or an exit code. */
static int wait_for_start(struct vmm *m, int sfd)
{
	for (;;) {
		struct pollfd pfd[2] = { { .fd = sfd, .events = POLLIN },
					 { .fd = m->wake_efd, .events = POLLIN } };
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			return EXIT_VMM_ERROR;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				log_info("received signal %u: exiting", si.ssi_signo);
				return EXIT_SIGNAL_BASE + (int)si.ssi_signo;
			}
		}
		if (pfd[1].revents & POLLIN) {
			uint64_t v;
			int ret = 0;
			if (read(m->wake_efd, &v, sizeof(v)) < 0) {
				/* Drained by someone else: look at the flags anyway. */
			}
			pthread_mutex_lock(&m->lock);
			if (m->kill_requested)
				ret = EXIT_API_STOPPED;
			else if (m->start_requested)
				ret = VMM_START;
			m->start_requested = false;
			pthread_mutex_unlock(&m->lock);
			if (ret == EXIT_API_STOPPED)
				log_info("killed through the API before the VM started: exiting");
			if (ret)
				return ret;
		}
	}
}

/* Builds, runs and tears down one VM. Returns its exit code, or
 * VMM_BOOT_FAILED when it could not be built (nothing ran). */
static int boot_and_run(struct vmm *m, int sfd)
{
	struct vm_config *cfg = malloc(sizeof(*cfg));
	struct vmm_machine *mach = calloc(1, sizeof(*mach));
	char why[256];
	int code, ret;

	if (!cfg || !mach) {
		free(cfg);
		free(mach);
		pthread_mutex_lock(&m->lock);
		snprintf(m->start_err, sizeof(m->start_err), "out of memory");
		set_state(m, VMM_CONFIGURED);
		pthread_mutex_unlock(&m->lock);
		return VMM_BOOT_FAILED;
	}
	pthread_mutex_lock(&m->lock);
	*cfg = *m->config;
	set_state(m, VMM_STARTING);
	pthread_mutex_unlock(&m->lock);

	log_capture_begin(why, sizeof(why));
	ret = vmm_machine_build(mach, cfg, m->opts, &m->launch_wall, &m->launch_cpu);
	if (ret == 0)
		ret = vmm_machine_start(mach);
	log_capture_end();
	free(cfg);
	if (ret < 0) {
		vmm_machine_destroy(mach);
		free(mach);
		pthread_mutex_lock(&m->lock);
		snprintf(m->start_err, sizeof(m->start_err), "%s",
			 why[0] ? why : strerror(-ret));
		set_state(m, VMM_CONFIGURED);
		pthread_mutex_unlock(&m->lock);
		return VMM_BOOT_FAILED;
	}

	/* Setup is over: from here the main thread only runs the event loop
	 * and tears the VM down, which is what its thread kind allows. */
	if (thread_kind_enter(THREAD_CORE_MAIN, 0) < 0)
		vm_stop_request(&mach->vm.stop, EXIT_VMM_ERROR);
	pthread_mutex_lock(&m->lock);
	m->mach = mach;
	set_state(m, VMM_RUNNING);
	pthread_mutex_unlock(&m->lock);
	log_info("VM started: %u vCPU%s, %llu MiB", mach->vm.ncpus, mach->vm.ncpus > 1 ? "s" : "",
		 (unsigned long long)(mach->vm.mem.size >> 20));

	code = vmm_loop(m, mach, sfd);

	/* From here the API no longer touches the VM: an op in progress
	 * finishes first (it holds the lock), later ones see "stopping". */
	pthread_mutex_lock(&m->lock);
	set_state(m, VMM_STOPPING);
	m->shutdown_armed = false;
	pthread_mutex_unlock(&m->lock);
	vmm_machine_stop(mach);
	vmm_write_metrics(m, mach);
	pthread_mutex_lock(&m->lock);
	m->mach = NULL;
	pthread_mutex_unlock(&m->lock);
	vmm_machine_destroy(mach);
	free(mach);
	return code;
}

int vmm_run(struct vmm *m, bool autostart)
{
	sigset_t sigs;
	int sfd, code;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC);
	if (sfd < 0) {
		log_error("signalfd: %s", strerror(errno));
		return EXIT_VMM_ERROR;
	}
	for (;;) {
		if (!autostart) {
			code = wait_for_start(m, sfd);
			if (code != VMM_START)
				break;
		}
		code = boot_and_run(m, sfd);
		if (code != VMM_BOOT_FAILED)
			break;
		if (autostart) {
			code = EXIT_VMM_ERROR;
			break;
		}
		log_warn("start failed; waiting for another start request");
	}
	pthread_mutex_lock(&m->lock);
	set_state(m, VMM_STOPPING);
	pthread_mutex_unlock(&m->lock);
	close(sfd);
	return code;
}

/* ---- API thread: the ops ---- */

#define REPLY(...) snprintf(msg, len, __VA_ARGS__)

static enum api_rc op_configure(void *ctx, const struct vm_config *cfg, char *msg, size_t len)
{
	struct vmm *m = ctx;
	enum api_rc rc = API_RC_OK;

	pthread_mutex_lock(&m->lock);
	if (m->state != VMM_NOT_CONFIGURED && m->state != VMM_CONFIGURED) {
		REPLY("cannot configure: the VM is %s (configure only before start)",
		      vmm_state_name(m->state));
		rc = API_RC_WRONG_STATE;
	} else {
		*m->config = *cfg;
		m->configured = true;
		set_state(m, VMM_CONFIGURED);
		REPLY("configured: %u vCPU%s, %llu MiB, %u device%s", cfg->cpus,
		      cfg->cpus > 1 ? "s" : "", (unsigned long long)cfg->mem_mib, cfg->ndevs,
		      cfg->ndevs == 1 ? "" : "s");
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static enum api_rc op_start(void *ctx, char *msg, size_t len)
{
	struct vmm *m = ctx;
	enum api_rc rc;

	pthread_mutex_lock(&m->lock);
	if (m->state != VMM_CONFIGURED) {
		REPLY("cannot start: the VM is %s%s", vmm_state_name(m->state),
		      m->state == VMM_NOT_CONFIGURED ? " (configure it first)" : "");
		pthread_mutex_unlock(&m->lock);
		return API_RC_WRONG_STATE;
	}
	m->start_requested = true;
	m->start_err[0] = '\0';
	set_state(m, VMM_STARTING);
	wake_main(m);
	/* The main thread builds the VM; the reply says how that went. */
	while (m->state == VMM_STARTING)
		pthread_cond_wait(&m->cond, &m->lock);
	if (m->state == VMM_RUNNING || m->state == VMM_PAUSED) {
		REPLY("started");
		rc = API_RC_OK;
	} else if (m->state == VMM_STOPPING) {
		REPLY("the VMM is exiting");
		rc = API_RC_FAILED;
	} else {
		REPLY("start failed: %s", m->start_err[0] ? m->start_err : "see the VMM log");
		rc = API_RC_FAILED;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static enum api_rc not_running(struct vmm *m, const char *what, char *msg, size_t len)
{
	REPLY("cannot %s: the VM is %s", what, vmm_state_name(m->state));
	return API_RC_WRONG_STATE;
}

static enum api_rc op_pause(void *ctx, char *msg, size_t len)
{
	struct vmm *m = ctx;
	enum api_rc rc = API_RC_OK;

	pthread_mutex_lock(&m->lock);
	if (m->state == VMM_PAUSED) {
		REPLY("already paused");
	} else if (m->state != VMM_RUNNING) {
		rc = not_running(m, "pause", msg, len);
	} else {
		int ret = vm_pause(&m->mach->vm, VMM_PAUSE_TIMEOUT_MS);
		if (ret == 0) {
			set_state(m, VMM_PAUSED);
			REPLY("paused");
			log_info("VM paused through the API");
		} else if (ret == -ECANCELED) {
			REPLY("the VM is stopping");
			rc = API_RC_WRONG_STATE;
		} else {
			REPLY("the vCPUs did not stop within %d ms", VMM_PAUSE_TIMEOUT_MS);
			rc = API_RC_FAILED;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static enum api_rc op_resume(void *ctx, char *msg, size_t len)
{
	struct vmm *m = ctx;
	enum api_rc rc = API_RC_OK;

	pthread_mutex_lock(&m->lock);
	if (m->state == VMM_RUNNING) {
		REPLY("already running");
	} else if (m->state != VMM_PAUSED) {
		REPLY("cannot resume: the VM is %s", vmm_state_name(m->state));
		rc = API_RC_WRONG_STATE;
	} else {
		vm_resume(&m->mach->vm);
		set_state(m, VMM_RUNNING);
		REPLY("resumed");
		log_info("VM resumed through the API");
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

static enum api_rc op_shutdown(void *ctx, unsigned int timeout_ms, char *msg, size_t len)
{
	struct vmm *m = ctx;
	enum api_rc rc = API_RC_OK;

	pthread_mutex_lock(&m->lock);
	if (m->state != VMM_RUNNING && m->state != VMM_PAUSED) {
		rc = not_running(m, "shut down", msg, len);
		pthread_mutex_unlock(&m->lock);
		return rc;
	}
	/* A paused guest could not react: let it run to hear the request. */
	if (m->state == VMM_PAUSED) {
		vm_resume(&m->mach->vm);
		set_state(m, VMM_RUNNING);
	}
	int ret = i8042_send_ctrl_alt_del(&m->mach->vm.i8042);
	struct timespec deadline;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	/* A second request never extends the first one's deadline. */
	if (!m->shutdown_armed || deadline.tv_sec < m->shutdown_deadline.tv_sec ||
	    (deadline.tv_sec == m->shutdown_deadline.tv_sec &&
	     deadline.tv_nsec < m->shutdown_deadline.tv_nsec))
		m->shutdown_deadline = deadline;
	m->shutdown_armed = true;
	wake_main(m);
	pthread_mutex_unlock(&m->lock);
	if (ret < 0)
		REPLY("the guest has not read its keyboard: the VM stops in %u ms", timeout_ms);
	else
		REPLY("sent Ctrl-Alt-Del to the guest; the VM stops in %u ms unless it does first",
		      timeout_ms);
	log_info("graceful shutdown requested through the API (timeout %u ms)", timeout_ms);
	return rc;
}

static enum api_rc op_kill(void *ctx, char *msg, size_t len)
{
	struct vmm *m = ctx;

	pthread_mutex_lock(&m->lock);
	m->kill_requested = true;
	if (m->mach)
		vm_stop_request(&m->mach->vm.stop, EXIT_API_STOPPED);
	wake_main(m);
	pthread_mutex_unlock(&m->lock);
	REPLY("stopping the VMM");
	return API_RC_OK;
}

static enum api_rc op_info(void *ctx, struct vmm_info *out)
{
	struct vmm *m = ctx;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	pthread_mutex_lock(&m->lock);
	out->id = m->opts->id ? m->opts->id : "anonymous";
	out->pid = (int)getpid();
	out->state = m->state;
	out->configured = m->configured;
	if (m->configured)
		out->config = *m->config;
	out->uptime_ms = (uint64_t)((now.tv_sec - m->launch_wall.tv_sec) * 1000 +
				    (now.tv_nsec - m->launch_wall.tv_nsec) / 1000000);
	if (m->mach) {
		const struct virtio_devices *vd = &m->mach->vdevs;
		out->ndevs = vd->n;
		for (unsigned int i = 0; i < vd->n; i++) {
			const struct vu_device *d = &vd->dev[i];
			struct vmm_device_info *di = &out->devs[i];
			snprintf(di->name, sizeof(di->name), "%s", d->name);
			di->virtio_id = d->virtio_id;
			pid_t pid = __atomic_load_n(&d->proc.pid, __ATOMIC_RELAXED);
			di->pid = pid > 0 ? pid : 0;
			di->mmio_base = d->mmio_base;
			di->irq = d->irq;
			di->alive = !atomic_load(&d->dead);
			di->restarts = atomic_load(&d->restarts);
			dev_exit_status_str(atomic_load(&d->last_exit_status), di->last_exit,
					    sizeof(di->last_exit));
		}
	}
	pthread_mutex_unlock(&m->lock);
	return API_RC_OK;
}

static enum api_rc op_metrics(void *ctx, struct metrics_snapshot *out)
{
	struct vmm *m = ctx;

	metrics_collect_process(out, &m->launch_wall, &m->api);
	pthread_mutex_lock(&m->lock);
	out->state = (int)m->state;
	if (m->mach)
		metrics_collect_vm(out, &m->mach->vm, &m->mach->vdevs);
	pthread_mutex_unlock(&m->lock);
	return API_RC_OK;
}

const struct api_backend_ops vmm_api_ops = {
	.configure = op_configure,
	.start = op_start,
	.pause = op_pause,
	.resume = op_resume,
	.shutdown = op_shutdown,
	.kill = op_kill,
	.info = op_info,
	.metrics = op_metrics,
};
