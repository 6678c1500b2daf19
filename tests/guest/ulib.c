/* Ring-3 output and exit, through ud2 requests. */
#include "user.h"

/* Large enough for the hello line with a 4 KiB command line escaped. */
static char line[20480] NOINIT;

void uwrite(const char *s, size_t n)
{
	ucall(SYS_WRITE, (long)s, (long)n, 0);
}

void uprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One request per line, so lines from the APs never interleave. */
	uwrite(line, (size_t)n);
}

void uexit(unsigned code)
{
	ucall(SYS_EXIT, code, 0, 0);
	for (;;)
		;
}
