#include <criterion/criterion.h>
#include <unistd.h>

#include "proc_stats.h"

Test(proc_stats, stat_line_with_a_hostile_name)
{
	/* A process may name itself ") R 1 2 3": only the last ')' counts. */
	const char *line = "1234 (evil) R 1 2 3) S 1 1234 1234 0 -1 4194560 100 0 0 0 "
			   "250 75 0 0 20 0 1 0 12345 1000000 100\n";
	uint64_t ut = 0, st = 0;

	cr_assert_eq(proc_parse_stat(line, &ut, &st), 0);
	cr_assert_eq(ut, 250);
	cr_assert_eq(st, 75);
	cr_assert_lt(proc_parse_stat("1234 no parens", &ut, &st), 0);
	cr_assert_lt(proc_parse_stat("1 (x) S 1", &ut, &st), 0);
}

Test(proc_stats, smaps_rollup)
{
	const char *text = "55d0-7ffe ---p 00000000 00:00 0  [rollup]\n"
			   "Rss:                2804 kB\n"
			   "Pss:                1175 kB\n"
			   "Pss_Anon:            800 kB\n";
	uint64_t rss = 0, pss = 0;

	cr_assert_eq(proc_parse_smaps_rollup(text, &rss, &pss), 0);
	cr_assert_eq(rss, 2804);
	cr_assert_eq(pss, 1175);
	cr_assert_lt(proc_parse_smaps_rollup("Rss: 1 kB\n", &rss, &pss), 0);
}

Test(proc_stats, this_process)
{
	struct proc_usage u;

	cr_assert_eq(proc_usage_read(0, &u), 0);
	cr_assert_eq(u.pid, getpid());
	cr_assert_gt(u.rss_kib, 0);
	cr_assert_eq(proc_usage_read(getpid(), &u), 0, "through /proc/PID too");
	cr_assert_gt(u.rss_kib, 0);
}
