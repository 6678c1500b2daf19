/* The splitter between a device's output and the core's log: whatever
 * bytes arrive, each entry is one bounded line of printable ASCII. */
#include <criterion/criterion.h>
#include <string.h>

#include "line_split.h"

#define MAX_LINES 16

struct seen {
	unsigned int n;
	char line[MAX_LINES][LINE_SPLIT_MAX + 1];
	bool cut[MAX_LINES];
};

static void collect(void *ctx, const char *line, bool cut)
{
	struct seen *s = ctx;

	cr_assert_lt(s->n, MAX_LINES);
	cr_assert_leq(strlen(line), LINE_SPLIT_MAX);
	cr_assert_gt(strlen(line), 0, "an empty line was handed out");
	for (const char *p = line; *p; p++)
		cr_assert(*p >= 0x20 && *p < 0x7f, "byte 0x%02x in a line", (unsigned char)*p);
	strcpy(s->line[s->n], line);
	s->cut[s->n++] = cut;
}

static void feed_str(struct line_split *ls, const char *text)
{
	line_split_feed(ls, text, strlen(text));
}

Test(line_split, lines_across_reads)
{
	struct seen s = { 0 };
	struct line_split ls;

	line_split_init(&ls, collect, &s);
	feed_str(&ls, "cellvm-blk: serv");
	cr_assert_eq(s.n, 0, "a partial line was handed out before its end");
	feed_str(&ls, "ing 2048 sectors\nsecond\nthi");
	cr_assert_eq(s.n, 2);
	cr_assert_str_eq(s.line[0], "cellvm-blk: serving 2048 sectors");
	cr_assert_str_eq(s.line[1], "second");
	cr_assert(!s.cut[0] && !s.cut[1]);
	feed_str(&ls, "rd\n");
	cr_assert_eq(s.n, 3);
	cr_assert_str_eq(s.line[2], "third");
}

Test(line_split, empty_lines_and_crlf_are_dropped)
{
	struct seen s = { 0 };
	struct line_split ls;

	line_split_init(&ls, collect, &s);
	feed_str(&ls, "\n\none\r\n\r\ntwo\rthree\n");
	cr_assert_eq(s.n, 3);
	cr_assert_str_eq(s.line[0], "one");
	cr_assert_str_eq(s.line[1], "two");
	cr_assert_str_eq(s.line[2], "three");
}

Test(line_split, partial_line_is_flushed_at_the_end)
{
	struct seen s = { 0 };
	struct line_split ls;

	line_split_init(&ls, collect, &s);
	feed_str(&ls, "done\nlast words");
	cr_assert_eq(s.n, 1);
	line_split_finish(&ls);
	cr_assert_eq(s.n, 2);
	cr_assert_str_eq(s.line[1], "last words");
	cr_assert(!s.cut[1]);
	line_split_finish(&ls);
	cr_assert_eq(s.n, 2, "nothing is handed out twice");
}

Test(line_split, control_bytes_nul_and_high_bytes_are_escaped)
{
	static const char in[] = "a\0b\x1b[2Jc\td\x7f\xc3\xa9z\n";
	struct seen s = { 0 };
	struct line_split ls;

	line_split_init(&ls, collect, &s);
	line_split_feed(&ls, in, sizeof(in) - 1);
	cr_assert_eq(s.n, 1);
	cr_assert_str_eq(s.line[0], "a\\x00b\\x1b[2Jc\\x09d\\x7f\\xc3\\xa9z");
}

Test(line_split, a_line_of_exactly_the_maximum_is_whole)
{
	char in[LINE_SPLIT_MAX + 1];
	struct seen s = { 0 };
	struct line_split ls;

	memset(in, 'x', LINE_SPLIT_MAX);
	in[LINE_SPLIT_MAX] = '\n';
	line_split_init(&ls, collect, &s);
	line_split_feed(&ls, in, sizeof(in));
	cr_assert_eq(s.n, 1);
	cr_assert_eq(strlen(s.line[0]), LINE_SPLIT_MAX);
	cr_assert(!s.cut[0]);
}

Test(line_split, long_line_is_cut_marked_and_its_tail_skipped)
{
	static char in[5 * LINE_SPLIT_MAX];
	struct seen s = { 0 };
	struct line_split ls;

	memset(in, 'y', sizeof(in));
	line_split_init(&ls, collect, &s);
	line_split_feed(&ls, in, sizeof(in));
	/* Handed out at once, not when (if ever) the newline comes. */
	cr_assert_eq(s.n, 1);
	cr_assert_eq(strlen(s.line[0]), LINE_SPLIT_MAX);
	cr_assert(s.cut[0]);
	line_split_feed(&ls, in, sizeof(in));
	feed_str(&ls, "tail\nnext\n");
	cr_assert_eq(s.n, 2, "the rest of the cut line was logged");
	cr_assert_str_eq(s.line[1], "next");
	cr_assert(!s.cut[1]);
	/* A cut line ended by the end of the stream adds nothing either. */
	line_split_feed(&ls, in, sizeof(in));
	line_split_finish(&ls);
	cr_assert_eq(s.n, 3);
	cr_assert(s.cut[2]);
}

Test(line_split, escapes_count_toward_the_maximum)
{
	static char in[LINE_SPLIT_MAX];
	struct seen s = { 0 };
	struct line_split ls;

	memset(in, 0x01, sizeof(in));
	line_split_init(&ls, collect, &s);
	line_split_feed(&ls, in, sizeof(in));
	cr_assert_eq(s.n, 1);
	cr_assert(s.cut[0]);
	cr_assert_eq(strlen(s.line[0]), LINE_SPLIT_MAX, "an escape was split in half");
	cr_assert_eq(strncmp(s.line[0], "\\x01\\x01", 8), 0);
}
