/* The vsock connect broker: the core's thread of kind "vsock-broker"
 * (and the helper an unsandboxed cellvm-vsock forks): it reads fixed-size
 * requests naming a port, connects to UDS_PATH_<port> and passes the
 * socket back. A UNIX stream socket is all it may create. */
#include <sys/socket.h>

#include "rules.h"

static const struct policy_rule vsock_broker[] = {
	ALLOW(poll),           /* the channel and the stop eventfd */
	ALLOW(ppoll),
	ALLOW(read),           /* the stop eventfd */
	ALLOW(recvfrom),       /* requests (recv) */
	ALLOW(sendmsg),        /* replies, the socket as SCM_RIGHTS */
	ALLOW_IF2(socket, ARG_EQ(0, AF_UNIX),
		  ARG_EQ(1, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC)),
	ALLOW(connect),        /* to UDS_PATH_<port>, the path built by the broker itself */
};

const struct policy_table policy_vsock_broker = POLICY_TABLE(vsock_broker);
