/* A core vCPU thread, from its first instruction on: runs the guest and
 * handles its exits. Device register writes can start or reset a
 * vhost-user backend, so the thread talks vhost-user on the device
 * sockets it already has; everything else it does goes through eventfds
 * (interrupts, the stop request) and the log. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>

#include "rules.h"

static const struct policy_rule core_vcpu[] = {
	ALLOW_IOCTL(KVM_RUN),       /* the point of the thread */
	ALLOW_IOCTL(KVM_GET_REGS),  /* register dump on a triple fault or internal error */
	ALLOW_IOCTL(KVM_GET_SREGS),
	ALLOW(sendmsg),        /* vhost-user requests, with the memfd/eventfds as SCM_RIGHTS */
	ALLOW(recvmsg),        /* vhost-user replies */
	ALLOW(fstat),          /* GET_INFLIGHT_FD: the region is checked before it is kept */
	ALLOW_IF(newfstatat, ARG_EQ(3, AT_EMPTY_PATH)),
	ALLOW(poll),           /* reply deadlines */
	ALLOW(ppoll),
	ALLOW(read),           /* draining eventfds */
};

const struct policy_table policy_core_vcpu = POLICY_TABLE(core_vcpu);
