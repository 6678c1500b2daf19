#include "line_split.h"

#include <stdint.h>

void line_split_init(struct line_split *ls, line_split_emit *emit, void *ctx)
{
	ls->len = 0;
	ls->skipping = false;
	ls->emit = emit;
	ls->ctx = ctx;
}

static void line_split_end(struct line_split *ls, bool cut)
{
	if (ls->len) {
		ls->buf[ls->len] = '\0';
		ls->emit(ls->ctx, ls->buf, cut);
	}
	ls->len = 0;
}

static void line_split_byte(struct line_split *ls, uint8_t c)
{
	static const char hex[] = "0123456789abcdef";

	if (c == '\n' || c == '\r') {
		if (!ls->skipping)
			line_split_end(ls, false);
		ls->skipping = false;
		return;
	}
	if (ls->skipping)
		return;
	bool plain = c >= 0x20 && c < 0x7f;
	size_t need = plain ? 1 : 4;
	if (ls->len + need > LINE_SPLIT_MAX) {
		/* Handed out now rather than at its newline: a line that never
		 * ends must not keep the start of it from the log. */
		line_split_end(ls, true);
		ls->skipping = true;
		return;
	}
	if (plain) {
		ls->buf[ls->len++] = (char)c;
		return;
	}
	ls->buf[ls->len++] = '\\';
	ls->buf[ls->len++] = 'x';
	ls->buf[ls->len++] = hex[c >> 4];
	ls->buf[ls->len++] = hex[c & 15];
}

void line_split_feed(struct line_split *ls, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (size_t i = 0; i < len; i++)
		line_split_byte(ls, p[i]);
}

void line_split_finish(struct line_split *ls)
{
	if (!ls->skipping)
		line_split_end(ls, false);
	ls->len = 0;
	ls->skipping = false;
}
