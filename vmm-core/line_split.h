/* Cuts a byte stream another program writes (a device process's stderr)
 * into log lines, in a buffer of fixed size, so whatever it writes costs
 * the reader no memory and cannot break the log's one entry per line:
 * - '\n' and '\r' end a line (CRLF and progress bars included); empty
 *   lines are dropped;
 * - printable ASCII passes, every other byte (NUL, ESC, other controls,
 *   DEL, anything >= 0x80) is shown as \xNN, so nothing the device writes
 *   can start a line or drive a terminal that views the log;
 * - a line longer than LINE_SPLIT_MAX bytes (escapes counted) is handed
 *   out cut at that length, flagged, and the rest of it is skipped;
 * - a partial line is handed out when the stream ends. */
#ifndef CELLVM_LINE_SPLIT_H
#define CELLVM_LINE_SPLIT_H

#include <stdbool.h>
#include <stddef.h>

/* Room for the logger's prefix (timestamp, VM id, level, device name)
 * in its 1 KiB line. */
#define LINE_SPLIT_MAX 512

/* line is NUL-terminated, never empty; cut: the line went on past
 * LINE_SPLIT_MAX and the rest was dropped. */
typedef void line_split_emit(void *ctx, const char *line, bool cut);

struct line_split {
	char buf[LINE_SPLIT_MAX + 1];
	size_t len;
	bool skipping;  /* in the dropped tail of a cut line */
	line_split_emit *emit;
	void *ctx;
};

void line_split_init(struct line_split *ls, line_split_emit *emit, void *ctx);
/* Hands out every line data completes. */
void line_split_feed(struct line_split *ls, const void *data, size_t len);
/* The stream ended (or is given up): hands out a partial line. */
void line_split_finish(struct line_split *ls);

#endif
