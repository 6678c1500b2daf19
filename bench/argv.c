/* Command lines built piece by piece, their strings kept in the buffer
 * itself so a section can assemble one without managing memory. */
#include "bench.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void argv_init(struct argv_buf *a)
{
	a->n = 0;
	a->used = 0;
	a->argv[0] = NULL;
}

static void overflow(void)
{
	fprintf(stderr, "bench: internal error: command line too long\n");
	abort();
}

void argv_add(struct argv_buf *a, const char *s)
{
	argv_addf(a, "%s", s);
}

void argv_addf(struct argv_buf *a, const char *fmt, ...)
{
	va_list ap;
	char *s = a->storage + a->used;
	size_t left = sizeof(a->storage) - a->used;

	if (a->n + 1 >= ARGV_MAX)
		overflow();
	va_start(ap, fmt);
	int n = vsnprintf(s, left, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= left)
		overflow();
	a->used += (size_t)n + 1;
	a->argv[a->n++] = s;
	a->argv[a->n] = NULL;
}

/* Quoted where a shell would need it, so the line can be pasted. */
void argv_print(const char *label, const struct argv_buf *a)
{
	printf("  %-13s", label);
	for (size_t i = 0; i < a->n; i++)
		printf(strpbrk(a->argv[i], " \"$") ? " '%s'" : " %s", a->argv[i]);
	printf("\n");
}
