#include "test_env.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct env test_env_need(void)
{
	struct env e = { getenv("CELLVM"), getenv("CELLVM_BIN_DIR"), getenv("PROBE") };
	char path[PATH_MAX];

	if (!e.cellvm || !*e.cellvm || !e.bin_dir || !*e.bin_dir || !e.probe || !*e.probe)
		cr_skip_test("CELLVM, CELLVM_BIN_DIR and PROBE are not set (make test sets them)");
	cr_assert_eq(access(e.cellvm, X_OK), 0, "CELLVM=%s: %s", e.cellvm, strerror(errno));
	cr_assert_eq(access(e.probe, R_OK), 0, "PROBE=%s: %s", e.probe, strerror(errno));
	/* cellvm starts its device programs from its own directory. */
	snprintf(path, sizeof(path), "%s/cellvm-blk", e.bin_dir);
	cr_assert_eq(access(path, X_OK), 0, "%s: %s", path, strerror(errno));
	return e;
}
