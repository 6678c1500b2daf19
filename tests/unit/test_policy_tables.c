/* The allowlist tables themselves: well-formed, buildable by libseccomp,
 * and identical to the BPF the programs embed. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "policy/build.h"
#include "policy/policy_bpf.h"
#include "policy/rules.h"

Test(policy_tables, names_round_trip)
{
	for (unsigned int k = 0; k < POLICY_KIND_COUNT; k++) {
		enum policy_kind back;
		cr_assert_eq(policy_kind_parse(policy_kind_name(k), &back), 0);
		cr_assert_eq(back, k);
	}
	for (unsigned int m = 0; m < POLICY_MODE_COUNT; m++) {
		enum policy_mode back;
		cr_assert_eq(policy_mode_parse(policy_mode_name(m), &back), 0);
		cr_assert_eq(back, m);
	}
	enum policy_mode mode;
	enum policy_kind kind;
	cr_assert_eq(policy_mode_parse("trap", &mode), -EINVAL);
	cr_assert_eq(policy_mode_parse("", &mode), -EINVAL);
	cr_assert_eq(policy_kind_parse("core", &kind), -EINVAL);
}

Test(policy_tables, every_rule_is_well_formed)
{
	for (unsigned int k = 0; k < POLICY_KIND_COUNT; k++) {
		const struct policy_table *t[4];
		size_t n = policy_tables_of(k, t, 4);
		cr_assert_geq(n, 2, "%s: base and its own table", policy_kind_name(k));
		cr_assert_eq(t[0], &policy_base);
		for (size_t i = 0; i < n; i++) {
			for (size_t r = 0; r < t[i]->n; r++) {
				const struct policy_rule *rule = &t[i]->rules[r];
				cr_assert(rule->nr >= 0 && rule->nr < 512, "%s: syscall %d",
					  policy_kind_name(k), rule->nr);
				cr_assert_leq(rule->nargs, POLICY_MAX_ARGS);
				for (unsigned int a = 0; a < rule->nargs; a++)
					cr_assert_leq(rule->args[a].index, 5);
			}
		}
	}
}

/* Device processes get their ioctls never, whatever the request. */
Test(policy_tables, devices_have_no_ioctl_and_no_process_creation)
{
	static const int banned[] = { __NR_ioctl, __NR_clone, __NR_clone3, __NR_fork, __NR_vfork,
				      __NR_execve, __NR_execveat, __NR_open, __NR_openat,
				      __NR_socket, __NR_ptrace };
	const enum policy_kind devs[] = { POLICY_DEV_BLK, POLICY_DEV_RNG };

	for (size_t d = 0; d < 2; d++) {
		const struct policy_table *t[4];
		size_t n = policy_tables_of(devs[d], t, 4);
		for (size_t i = 0; i < n; i++) {
			if (t[i] == &policy_sanitizer)
				continue; /* test builds only */
			for (size_t r = 0; r < t[i]->n; r++)
				for (size_t b = 0; b < sizeof(banned) / sizeof(banned[0]); b++)
					cr_assert_neq(t[i]->rules[r].nr, banned[b], "%s allows syscall %d",
						      policy_kind_name(devs[d]), banned[b]);
		}
	}
}

/* The core's ioctls all name their request: none is allowed whole. */
Test(policy_tables, core_ioctls_check_the_request)
{
	for (unsigned int k = POLICY_CORE_MAIN; k <= POLICY_CORE_API; k++) {
		const struct policy_table *t[4];
		size_t n = policy_tables_of(k, t, 4);
		for (size_t i = 0; i < n; i++)
			for (size_t r = 0; r < t[i]->n; r++)
				if (t[i]->rules[r].nr == __NR_ioctl) {
					cr_assert_eq(t[i]->rules[r].nargs, 1);
					cr_assert_eq(t[i]->rules[r].args[0].index, 1);
				}
	}
}

static void export_bpf(enum policy_kind k, enum policy_mode m, void **insns, size_t *len)
{
	scmp_filter_ctx ctx;
	int fd = memfd_create("bpf", MFD_CLOEXEC);

	cr_assert_geq(fd, 0);
	cr_assert_eq(policy_build(k, m, &ctx), 0, "%s/%s", policy_kind_name(k), policy_mode_name(m));
	cr_assert_eq(seccomp_export_bpf(ctx, fd), 0);
	seccomp_release(ctx);
	off_t size = lseek(fd, 0, SEEK_END);
	cr_assert_gt(size, 0);
	*insns = malloc((size_t)size);
	cr_assert_not_null(*insns);
	cr_assert_eq(pread(fd, *insns, (size_t)size, 0), size);
	*len = (size_t)size;
	close(fd);
}

/* The Makefile regenerates the BPF when a table changes; this catches a
 * build that embeds a stale one. */
Test(policy_tables, embedded_bpf_matches_the_tables)
{
	for (unsigned int k = 0; k < POLICY_KIND_COUNT; k++) {
		for (unsigned int m = 0; m < POLICY_MODE_OFF; m++) {
			void *insns;
			size_t len;
			export_bpf(k, m, &insns, &len);
			const struct policy_bpf *b = &policy_bpf[k][m];
			cr_assert_eq(len, b->len * sizeof(struct sock_filter), "%s/%s",
				     policy_kind_name(k), policy_mode_name(m));
			cr_assert_eq(memcmp(insns, b->insns, len), 0, "%s/%s differs",
				     policy_kind_name(k), policy_mode_name(m));
			free(insns);
		}
	}
}

Test(policy_tables, build_refuses_bad_arguments)
{
	scmp_filter_ctx ctx;

	cr_assert_eq(policy_build(POLICY_KIND_COUNT, POLICY_MODE_KILL, &ctx), -EINVAL);
	cr_assert_eq(policy_build(POLICY_DEV_RNG, POLICY_MODE_OFF, &ctx), -EINVAL);
}
