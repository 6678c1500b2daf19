/* The kinds of thread the core runs. Each thread calls thread_kind_enter
 * once, first thing, so per-kind setup -- the thread's name now, its
 * seccomp policy (policy/) later -- has exactly one place per kind. */
#ifndef CELLVM_THREAD_KIND_H
#define CELLVM_THREAD_KIND_H

enum thread_kind {
	THREAD_CORE_MAIN,  /* main: lifecycle, signals, console, device watch */
	THREAD_CORE_VCPU,  /* one per vCPU: KVM_RUN and exit handling */
	THREAD_CORE_API,   /* the control API server */
	THREAD_CORE_VSOCK, /* a vsock device's connect broker (ipc/vsock_broker.h) */
};

/* index: the vCPU number for THREAD_CORE_VCPU, else 0. Drops the
 * thread's capabilities and installs its seccomp filter, so the main
 * thread calls it only once the VM is built. Returns 0 or a negative
 * errno (a failure to apply the kind's restrictions). */
int thread_kind_enter(enum thread_kind kind, unsigned int index);

#endif
