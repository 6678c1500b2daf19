#include <errno.h>

#include "build.h"
#include "rules.h"

static int add_rule(scmp_filter_ctx ctx, const struct policy_rule *r)
{
	struct scmp_arg_cmp cmp[POLICY_MAX_ARGS];

	if (r->nargs > POLICY_MAX_ARGS)
		return -EINVAL;
	for (unsigned int i = 0; i < r->nargs; i++) {
		const struct policy_arg *a = &r->args[i];
		if (a->index > 5)
			return -EINVAL;
		if (a->cmp == POLICY_CMP_EQ)
			cmp[i] = (struct scmp_arg_cmp){ .arg = a->index, .op = SCMP_CMP_EQ,
							.datum_a = a->value };
		else
			cmp[i] = (struct scmp_arg_cmp){ .arg = a->index, .op = SCMP_CMP_MASKED_EQ,
							.datum_a = a->mask, .datum_b = a->value };
	}
	int ret = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, r->nr, r->nargs, cmp);
	/* The same syscall allowed twice (say by the base and a sanitizer
	 * table) is one rule: libseccomp merges it or says it exists. */
	return ret == -EEXIST ? 0 : ret;
}

int policy_build(enum policy_kind kind, enum policy_mode mode, scmp_filter_ctx *out)
{
	const struct policy_table *tables[4];
	scmp_filter_ctx ctx;
	int ret = 0;

	if (mode != POLICY_MODE_KILL && mode != POLICY_MODE_LOG)
		return -EINVAL;
	size_t nt = policy_tables_of(kind, tables, 4);
	if (nt == 0)
		return -EINVAL;
	ctx = seccomp_init(mode == POLICY_MODE_KILL ? SCMP_ACT_KILL_PROCESS : SCMP_ACT_LOG);
	if (!ctx)
		return -ENOMEM;
	/* Another architecture's syscall numbers (int 0x80, x32) mean
	 * nothing to the tables: such calls always kill. */
	if ((ret = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS)) < 0 ||
	    (ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
		goto fail;
	for (size_t t = 0; t < nt; t++) {
		for (size_t i = 0; i < tables[t]->n; i++) {
			if ((ret = add_rule(ctx, &tables[t]->rules[i])) < 0)
				goto fail;
		}
	}
	*out = ctx;
	return 0;
fail:
	seccomp_release(ctx);
	return ret;
}
