#include "thread_kind.h"
#include "log.h"
#include "policy/policy.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Drops the calling thread's capabilities and installs its kind's seccomp
 * filter (policy/). Capabilities and filters are per thread: each kind
 * drops and installs its own, no TSYNC. */
static int thread_kind_lock_down(enum thread_kind kind)
{
	static const enum policy_kind policy[] = {
		[THREAD_CORE_MAIN] = POLICY_CORE_MAIN,
		[THREAD_CORE_VCPU] = POLICY_CORE_VCPU,
		[THREAD_CORE_API] = POLICY_CORE_API,
		[THREAD_CORE_VSOCK] = POLICY_VSOCK_BROKER,
	};
	int ret;

	if ((ret = policy_drop_caps()) < 0 || (ret = policy_apply(policy[kind])) < 0)
		log_error("cannot sandbox the %s thread: %s", policy_kind_name(policy[kind]),
			  strerror(-ret));
	return ret;
}

int thread_kind_enter(enum thread_kind kind, unsigned int index)
{
	char name[16];

	/* Names show in top -H, /proc/PID/task/N/comm and core dumps. */
	switch (kind) {
	case THREAD_CORE_VCPU:
		snprintf(name, sizeof(name), "cellvm-vcpu%u", index);
		pthread_setname_np(pthread_self(), name);
		break;
	case THREAD_CORE_API:
		snprintf(name, sizeof(name), "cellvm-api");
		pthread_setname_np(pthread_self(), name);
		break;
	case THREAD_CORE_VSOCK:
		pthread_setname_np(pthread_self(), "cellvm-vsockbrk");
		break;
	case THREAD_CORE_MAIN:
	default:
		break; /* the main thread keeps the program's name */
	}
	return thread_kind_lock_down(kind);
}
