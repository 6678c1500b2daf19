/* cellvm-blk after its sandbox is in place: the vhost-user loop, and the
 * disk I/O it submits through the io_uring it created before (reads,
 * writes, flushes and discards are io_uring operations, not syscalls). */
#include <fcntl.h>

#include "rules.h"

static const struct policy_rule dev_blk[] = {
	ALLOW(io_uring_enter), /* submitting requests and waiting for completions */
	ALLOW(epoll_create1), /* the loop's epoll set, made once serving starts */
	ALLOW(epoll_wait),     /* vhost-user loop: socket, stop fd, kick fds, completion eventfd */
	ALLOW(epoll_pwait),
	ALLOW(epoll_ctl),      /* kick fds come and go with SET_VRING_KICK */
	ALLOW(poll),           /* vhost-user message deadlines */
	ALLOW(ppoll),
	ALLOW(recvmsg),        /* vhost-user requests, fds as SCM_RIGHTS */
	ALLOW(sendmsg),        /* replies */
	ALLOW(read),           /* kick eventfds, the completion eventfd, the stop signalfd */
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

const struct policy_table policy_dev_blk = POLICY_TABLE(dev_blk);
