/* hello: proves the command line made it through the boot protocol. */
#include "user.h"

bool scenario_hello(void)
{
	/* Escaped so the line stays one machine-readable line whatever the
	 * command line holds. */
	static char esc[4 * sizeof(cmdline)] NOINIT;
	size_t n = 0;
	for (const char *p = cmdline; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			esc[n++] = '\\';
			esc[n++] = (char)c;
		} else if (c < 0x20 || c >= 0x7f) {
			n += (size_t)fmt_snprintf(esc + n, 5, "\\x%02x", c);
		} else {
			esc[n++] = (char)c;
		}
	}
	esc[n] = '\0';
	uprintf("PROBE hello ok cmdline=\"%s\"\n", esc);
	return true;
}
