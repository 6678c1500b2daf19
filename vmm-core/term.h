/* Raw mode for an interactive console, restored on every exit path. */
#ifndef CELLVM_TERM_H
#define CELLVM_TERM_H

#include <stdbool.h>
#include <termios.h>

struct term_state {
	bool saved;
	int fd;
	struct termios orig;
};

/* Puts fd in raw mode (keeping ISIG so Ctrl-C still stops cellvm) when it
 * is a terminal; otherwise does nothing. */
void term_raw_enter(struct term_state *t, int fd);
void term_restore(struct term_state *t);

#endif
