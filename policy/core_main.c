/* The core's main thread once the VM runs (installed right after the vCPU
 * threads start): it polls signals, the console, the API's wake-ups and
 * the device processes, writes metrics, and tears everything down at the
 * end. Building anything (VMs, files, sockets, processes) is over. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "rules.h"

static const struct policy_rule core_main[] = {
	ALLOW(poll),           /* the event loop: signalfd, stop/wake eventfds, stdin, devices */
	ALLOW(ppoll),          /* the same through glibc's other poll path */
	ALLOW(read),           /* signalfd records, eventfd counts, console input, device output pipes */
	ALLOW(wait4),          /* reaping a device process that ended */
	ALLOW(waitid),
	ALLOW(pidfd_send_signal), /* SIGTERM/SIGKILL to our own device processes, by pidfd */
	/* Device restart: the spawner's channel and the vhost-user replay to
	 * the new process (fds as SCM_RIGHTS), no new eventfds or KVM calls. */
	ALLOW(sendmsg),
	ALLOW(recvmsg),
	ALLOW_IF(newfstatat, ARG_EQ(3, AT_EMPTY_PATH)), /* fstat of an inflight region */
	ALLOW(fstat),
	/* ... and an external backend (--vhost-user ...,restart=on-failure)
	 * connected to again: UNIX stream sockets only, waiting in between. */
	ALLOW_IF(socket, ARG_EQ(0, AF_UNIX)),
	ALLOW(connect),
	ALLOW(clock_nanosleep),
	ALLOW(nanosleep),
	ALLOW_IF(tgkill, ARG_EQ(2, SIGUSR1)), /* kicking vCPU threads out of KVM_RUN */
	/* Metrics: /proc/self and /proc/DEVICE-PID stat and smaps_rollup,
	 * opened read-only, and the KVM binary stats fds opened at setup. */
	ALLOW_IF(openat, ARG_EQ(2, O_RDONLY | O_CLOEXEC)),
	ALLOW(pread64),
	ALLOW(getrusage),
	ALLOW(getrandom),      /* json-c seeds its hash tables (metrics lines as JSON) */
	ALLOW_IOCTL(KVM_IOEVENTFD), /* teardown: deassigning the devices' notify eventfds */
	ALLOW_IOCTL(KVM_IRQFD),     /* teardown: deassigning their interrupt eventfds */
	ALLOW_IOCTL(TCGETS),        /* restoring the terminal's mode at exit */
	ALLOW_IOCTL(TCSETS),
	/* Exit: the API socket file is removed if it is still ours (lstat
	 * compares the inode). */
	ALLOW_IF(newfstatat, ARG_EQ(3, AT_SYMLINK_NOFOLLOW)),  /* also see above */
	ALLOW(unlink),
};

const struct policy_table policy_core_main = POLICY_TABLE(core_main);
