/* Seccomp and capability policy for every cellvm process and thread kind.
 *
 * Each kind has a small allowlist table in this directory. The tables are
 * turned into BPF by a build-time generator (policy_gen.c, libseccomp's
 * seccomp_export_bpf) and embedded, so installing a filter at run time is
 * one seccomp(2) call: README.md "Sandboxing" has the measurements. */
#ifndef CELLVM_POLICY_H
#define CELLVM_POLICY_H

#include <stdbool.h>

enum policy_kind {
	POLICY_CORE_MAIN,  /* core main thread after setup: event loop, teardown */
	POLICY_CORE_VCPU,  /* core vCPU threads: KVM_RUN and exit handling */
	POLICY_CORE_API,   /* core control-API thread */
	POLICY_DEV_BLK,    /* cellvm-blk after it entered its sandbox */
	POLICY_DEV_RNG,    /* cellvm-rng after it entered its sandbox */
	POLICY_DEV_VSOCK,  /* cellvm-vsock after it entered its sandbox */
	POLICY_VSOCK_BROKER, /* connects to vsock host listeners for cellvm-vsock */
	POLICY_DEV_NET,    /* cellvm-net after it entered its sandbox */
	POLICY_KIND_COUNT,
};

enum policy_mode {
	POLICY_MODE_KILL,  /* default: a syscall outside the table kills the process */
	POLICY_MODE_LOG,   /* debugging: such syscalls are allowed and logged by the kernel */
	POLICY_MODE_OFF,   /* no filter at all (benchmarks, debugging) */
	POLICY_MODE_COUNT,
};

/* "core-main", "core-vcpu", "core-api", "blk", "rng", "vsock", "vsock-broker",
 * "net". */
const char *policy_kind_name(enum policy_kind kind);
/* Inverse of policy_kind_name; -EINVAL for an unknown name. */
int policy_kind_parse(const char *name, enum policy_kind *kind);

/* "kill", "log", "off" (the value of --seccomp=). */
const char *policy_mode_name(enum policy_mode mode);
int policy_mode_parse(const char *s, enum policy_mode *mode);

/* The mode every later policy_apply() uses. Called once by main before
 * any thread starts (default: kill). */
void policy_set_mode(enum policy_mode mode);
enum policy_mode policy_get_mode(void);

/* Sets no_new_privs and installs the filter of `kind` on the calling
 * thread only (no TSYNC: thread kinds differ inside the core). Threads
 * created afterwards inherit it. 0 or a negative errno.
 *
 * Test builds only: when the environment has CELLVM_TEST_SYSCALL=KIND or
 * KIND@MS naming this kind, the thread makes a syscall no table allows
 * right after the filter is in (or MS milliseconds later, from a SIGALRM
 * handler), so tests can see the kernel kill the process with SIGSYS. */
int policy_apply(enum policy_kind kind);

/* Drops every capability of the calling thread for good: effective,
 * permitted, inheritable, ambient, the bounding set, and locks the
 * securebits so uid 0 cannot regain any through execve. Sets
 * no_new_privs. Call it before creating threads: capabilities are per
 * thread. 0 or a negative errno. */
int policy_drop_caps(void);

#endif
