/* cellvm-vsock after its sandbox is in place: the vhost-user loop, its
 * own epoll set over the host sockets it was given or accepted, and
 * stream I/O on them. It cannot create a socket or connect anywhere:
 * guest connections to the host come connected from the core's broker
 * (ipc/vsock_broker.h). */
#include <fcntl.h>

#include "rules.h"

static const struct policy_rule dev_vsock[] = {
	ALLOW(epoll_create1),  /* the vhost-user loop's epoll set, made once serving starts */
	ALLOW(epoll_wait),     /* vhost-user loop and the host side's set */
	ALLOW(epoll_pwait),
	ALLOW(epoll_ctl),      /* kick fds, connection sockets come and go */
	ALLOW(poll),           /* vhost-user message deadlines */
	ALLOW(ppoll),
	ALLOW(recvmsg),        /* vhost-user requests and broker replies, fds as SCM_RIGHTS */
	ALLOW(sendmsg),        /* vhost-user replies; guest stream data to the host */
	ALLOW(sendto),         /* broker requests; "OK <port>" to a host client */
	ALLOW(recvfrom),       /* a host client's CONNECT line (peeked, then read) */
	ALLOW(read),           /* kick eventfds, stop signalfd, timer, wake eventfd */
	ALLOW(readv),          /* host stream data, straight into guest buffers */
	ALLOW(accept4),        /* host clients of the listening socket it was given */
	ALLOW(shutdown),       /* the guest's half-close, passed on */
	ALLOW(timerfd_settime),/* handshake, REQUEST and close deadlines */
	/* SET_MEM_TABLE checks each region fd is a big enough regular file
	 * (glibc's fstat is fstatat(fd, "", AT_EMPTY_PATH)) and maps it. */
	ALLOW(fstat),
	ALLOW_IF(newfstatat, ARG_EQ(3, AT_EMPTY_PATH)),
	ALLOW_FCNTL(F_GETFL),  /* kick/call fds and brokered sockets are made non-blocking */
	ALLOW_FCNTL(F_SETFL),
};

const struct policy_table policy_dev_vsock = POLICY_TABLE(dev_vsock);
