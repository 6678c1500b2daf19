/* The core's control-API thread, from its first instruction on: it
 * serves clients on the listening socket main created, and acts on the VM
 * only through the lifecycle code (pause kicks vCPUs, shutdown writes an
 * interrupt eventfd, start and kill wake the main thread). It never
 * touches KVM, files or processes itself. */
#include <fcntl.h>
#include <signal.h>

#include "rules.h"

static const struct policy_rule core_api[] = {
	ALLOW(poll),           /* the listening socket, clients, the stop eventfd */
	ALLOW(ppoll),
	ALLOW(accept4),        /* a new client */
	ALLOW(recvfrom),       /* glibc's recv(): requests */
	ALLOW(sendto),         /* glibc's send(): replies */
	ALLOW(read),           /* draining eventfds */
	ALLOW_IF(tgkill, ARG_EQ(2, SIGUSR1)), /* pause: kicking vCPU threads out of KVM_RUN */
	/* Metrics requests: /proc/self and /proc/DEVICE-PID stat and
	 * smaps_rollup read-only, and the KVM binary stats fds. */
	ALLOW_IF(openat, ARG_EQ(2, O_RDONLY | O_CLOEXEC)),
	ALLOW(pread64),
	ALLOW(getrusage),
	ALLOW(getrandom),      /* json-c seeds its hash tables (metrics lines as JSON) */
};

const struct policy_table policy_core_api = POLICY_TABLE(core_api);
