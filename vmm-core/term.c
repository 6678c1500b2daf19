#include "term.h"

#include <unistd.h>

void term_raw_enter(struct term_state *t, int fd)
{
	struct termios raw;

	t->saved = false;
	t->fd = fd;
	if (!isatty(fd) || tcgetattr(fd, &t->orig) < 0)
		return;
	raw = t->orig;
	cfmakeraw(&raw);
	raw.c_lflag |= ISIG;
	raw.c_oflag |= OPOST | ONLCR;
	if (tcsetattr(fd, TCSANOW, &raw) == 0)
		t->saved = true;
}

void term_restore(struct term_state *t)
{
	if (t->saved)
		tcsetattr(t->fd, TCSANOW, &t->orig);
	t->saved = false;
}
