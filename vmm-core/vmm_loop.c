/* The main thread's loop while a VM runs: signals, the console, backend
 * deaths and device processes' output, requests the API thread hands over
 * (kill), the graceful shutdown deadline and the periodic metrics line. */
#include "vmm_loop.h"
#include "exit_codes.h"
#include "log.h"
#include "metrics_file.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

static long ms_until(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (t->tv_sec - now.tv_sec) * 1000L + (t->tv_nsec - now.tv_nsec) / 1000000L;
	return ms < 0 ? 0 : ms;
}

static void add_ms(struct timespec *t, long ms)
{
	t->tv_sec += ms / 1000;
	t->tv_nsec += (ms % 1000) * 1000000L;
	if (t->tv_nsec >= 1000000000L) {
		t->tv_sec++;
		t->tv_nsec -= 1000000000L;
	}
}

static int min_timeout(int a, long b)
{
	if (b < 0)
		return a;
	if (b > 1000000)
		b = 1000000;
	return a < 0 || b < a ? (int)b : a;
}

/* Forwards stdin to the UART while it has room; stdin is left unread while
 * the guest's FIFO is full, so typed bytes wait in the pipe, not lost. */
static bool console_pump(struct vm *vm)
{
	uint8_t buf[SERIAL_RX_FIFO];
	size_t space = serial_rx_space(&vm->serial);

	if (space == 0)
		return true;
	ssize_t n = read(STDIN_FILENO, buf, space);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN;
	if (n == 0)
		return false; /* EOF: stop polling stdin */
	serial_push_rx(&vm->serial, buf, (size_t)n);
	return true;
}

void vmm_write_metrics(struct vmm *m, struct vmm_machine *mach)
{
	struct metrics_snapshot *s;

	if (m->metrics_fd < 0 || !(s = calloc(1, sizeof(*s))))
		return;
	pthread_mutex_lock(&m->lock);
	s->state = (int)m->state;
	pthread_mutex_unlock(&m->lock);
	metrics_collect_process(s, &m->launch_wall, &m->api);
	if (mach)
		metrics_collect_vm(s, &mach->vm, &mach->vdevs);
	if (metrics_file_write(m->metrics_fd, s) < 0)
		log_debug("metrics line dropped: the metrics file reader is not keeping up");
	free(s);
}

/* What the API thread asked the main thread to do. */
static void handle_wake(struct vmm *m, struct vm *vm)
{
	uint64_t v;
	bool kill;

	if (read(m->wake_efd, &v, sizeof(v)) < 0) {
		/* EAGAIN: already drained. */
	}
	pthread_mutex_lock(&m->lock);
	kill = m->kill_requested;
	pthread_mutex_unlock(&m->lock);
	if (kill) {
		log_info("killed through the API: stopping the VM");
		vm_stop_request(&vm->stop, EXIT_API_STOPPED);
	}
}

/* -1 when no graceful shutdown is pending, else ms until it expires. */
static long shutdown_left(struct vmm *m)
{
	long left = -1;

	pthread_mutex_lock(&m->lock);
	if (m->shutdown_armed)
		left = ms_until(&m->shutdown_deadline);
	pthread_mutex_unlock(&m->lock);
	return left;
}

int vmm_loop(struct vmm *m, struct vmm_machine *mach, int sfd)
{
	struct vm *vm = &mach->vm;
	bool console_in = mach->console_in;
	struct timespec next_metrics;

	clock_gettime(CLOCK_MONOTONIC, &next_metrics);
	add_ms(&next_metrics, m->opts->metrics_interval_ms);
	/* The API may have asked for a kill while the VM was being built. */
	handle_wake(m, vm);
	while (!vm_stop_requested(&vm->stop)) {
		bool want_in = console_in && serial_rx_space(&vm->serial) > 0;
		struct pollfd pfd[4 + VIRTIO_DEVICES_POLLFDS * VM_MAX_DEVICES] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = vm->stop.efd, .events = POLLIN },
			{ .fd = m->wake_efd, .events = POLLIN },
			{ .fd = want_in ? STDIN_FILENO : -1, .events = POLLIN },
		};
		nfds_t n = 4 + virtio_devices_pollfds(&mach->vdevs, &pfd[4]);
		/* While the FIFO is full, wake up now and then to see if the guest
		 * drained it. */
		int timeout = console_in && !want_in ? 10 : -1;
		long sd = shutdown_left(m);
		timeout = min_timeout(timeout, sd);
		timeout = min_timeout(timeout, virtio_devices_poll_timeout(&mach->vdevs));
		if (m->metrics_fd >= 0)
			timeout = min_timeout(timeout, ms_until(&next_metrics));
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_error("poll: %s", strerror(errno));
			vm_stop_request(&vm->stop, EXIT_VMM_ERROR);
			break;
		}
		if (pfd[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				log_info("received signal %u: stopping the VM", si.ssi_signo);
				vm_stop_request(&vm->stop, EXIT_SIGNAL_BASE + (int)si.ssi_signo);
			}
		}
		if (pfd[2].revents & POLLIN)
			handle_wake(m, vm);
		if (shutdown_left(m) == 0 && !vm_stop_requested(&vm->stop)) {
			log_warn("the guest did not shut down in time: stopping the VM");
			vm_stop_request(&vm->stop, EXIT_API_STOPPED);
		}
		if (pfd[3].revents & (POLLIN | POLLHUP | POLLERR))
			console_in = console_pump(vm);
		/* A device that dies while the VM goes down stays down. */
		mach->vdevs.stopping = vm_stop_requested(&vm->stop);
		virtio_devices_poll_result(&mach->vdevs, &pfd[4]);
		if (m->metrics_fd >= 0 && ms_until(&next_metrics) == 0) {
			vmm_write_metrics(m, mach);
			add_ms(&next_metrics, m->opts->metrics_interval_ms);
			if (ms_until(&next_metrics) == 0) {
				/* Fell behind (a stalled reader): restart the beat. */
				clock_gettime(CLOCK_MONOTONIC, &next_metrics);
				add_ms(&next_metrics, m->opts->metrics_interval_ms);
			}
		}
	}
	return vm_stop_code(&vm->stop);
}
