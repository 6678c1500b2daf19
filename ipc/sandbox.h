/* The device side of a device process's sandbox. cellvm starts each device
 * program in fresh user, mount, PID, IPC, UTS, network and cgroup
 * namespaces, as uid 0 of its own user namespace (an unprivileged uid on
 * the host), with only its socket and the files it serves open
 * (vmm-core/virtio/dev_spawn.c). The program does its own setup (parse
 * options, adopt fds, create its io_uring) and then, before it reads a
 * single vhost-user message and so before it maps guest memory, calls
 * sandbox_enter(), which finishes the job:
 *
 *   - every fd is closed except 0-2 and the ones the program keeps;
 *   - rlimits: no core dumps, no memory locking, no file growth beyond
 *     what the device serves, few fds and tasks;
 *   - the root becomes an empty read-only tmpfs (pivot_root), so no host
 *     path can be opened, not even by name;
 *   - the process becomes non-dumpable and drops every capability;
 *   - no_new_privs and the device's seccomp filter (policy/).
 *
 * Run by hand (no --sandbox, e.g. next to QEMU) a device program gets the
 * last two steps only. */
#ifndef CELLVM_SANDBOX_H
#define CELLVM_SANDBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "policy/policy.h"

struct sandbox_opts {
	bool namespaces;          /* --sandbox: started by cellvm in fresh namespaces */
	enum policy_mode seccomp; /* --seccomp=kill|log|off */
};

/* Takes --sandbox and --seccomp=MODE out of argv (and argc) so the
 * program's own parser never sees them. Returns 0, or -EINVAL after
 * printing why on stderr. */
int sandbox_parse_args(int *argc, char **argv, struct sandbox_opts *o, const char *prog);

struct sandbox_limits {
	const int *keep_fds;      /* stay open besides 0, 1, 2 */
	unsigned int n_keep;
	uint64_t max_file_bytes;  /* RLIMIT_FSIZE: 0 for a device that writes no file */
	uint64_t max_tasks;       /* RLIMIT_NPROC: the process and its kernel I/O workers */
	uint64_t max_fds;         /* RLIMIT_NOFILE; 0: SANDBOX_DEFAULT_FDS */
};

/* Enough for 16 queues' kick, call and error fds, 8 memory regions and a
 * device's own handful; a device holding host sockets asks for more. */
#define SANDBOX_DEFAULT_FDS 128

/* Enters the sandbox described above; returns 0 or a negative errno
 * after printing why on stderr (the program must then exit). */
int sandbox_enter(const struct sandbox_opts *o, enum policy_kind kind,
		  const struct sandbox_limits *lim, const char *prog);

#endif
