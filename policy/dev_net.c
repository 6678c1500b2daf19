/* cellvm-net after its sandbox is in place: the vhost-user loop, its own
 * epoll set over the tap queues it was given, and frame I/O on them. It
 * cannot open a file or create a socket: the core opened the tap. Two
 * tap ioctls remain: the offloads follow what the guest negotiated
 * (TUNSETOFFLOAD), and the tap queues the guest does not serve are
 * detached (TUNSETQUEUE) so the kernel steers no flow to them. */
#include <fcntl.h>
#include <linux/if_tun.h>
#include <sys/ioctl.h>

#include "rules.h"

static const struct policy_rule dev_net[] = {
	ALLOW(epoll_create1),  /* the vhost-user loop's epoll set, made once serving starts */
	ALLOW(epoll_wait),     /* vhost-user loop and the tap set */
	ALLOW(epoll_pwait),
	ALLOW(epoll_ctl),      /* kick fds; tap read/write interest */
	ALLOW(poll),           /* vhost-user message deadlines */
	ALLOW(ppoll),
	ALLOW(recvmsg),        /* vhost-user requests, fds as SCM_RIGHTS */
	ALLOW(sendmsg),        /* replies */
	ALLOW(read),           /* frames from the tap, kick eventfds, stop signalfd, wake eventfd */
	/* write (frames to the tap, the wake eventfd) is in the base. */
	ALLOW(readv),
	ALLOW(writev),         /* frames to the tap, straight from guest buffers */
	ALLOW_IOCTL(TUNSETOFFLOAD),
	ALLOW_IOCTL(TUNSETQUEUE),
	/* SET_MEM_TABLE checks each region fd is a big enough regular file
	 * (glibc's fstat is fstatat(fd, "", AT_EMPTY_PATH)) and maps it. */
	ALLOW(fstat),
	ALLOW_IF(newfstatat, ARG_EQ(3, AT_EMPTY_PATH)),
	ALLOW_FCNTL(F_GETFL),  /* kick/call fds are made non-blocking */
	ALLOW_FCNTL(F_SETFL),
	/* GET_INFLIGHT_FD: the tracking region is a memfd we size and hand
	 * out (README.md, "Device restart"). */
	ALLOW(memfd_create),
	ALLOW(ftruncate),
	ALLOW_FCNTL(F_DUPFD_CLOEXEC),
};

const struct policy_table policy_dev_net = POLICY_TABLE(dev_net);
