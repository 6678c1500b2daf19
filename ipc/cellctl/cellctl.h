/* cellctl: drives a cellvm through its control API socket. */
#ifndef CELLCTL_H
#define CELLCTL_H

#include <stdio.h>

#include "cellvm.pb-c.h"

/* Exit codes, documented in README.md. */
enum {
	CELLCTL_OK = 0,
	CELLCTL_REFUSED = 1,     /* cellvm answered with an error status */
	CELLCTL_USAGE = 2,
	CELLCTL_NO_VMM = 3,      /* no socket, nobody listening, or no valid reply */
};

/* Readable renderings of replies (print.c). */
void cellctl_print_info(FILE *f, const Cellvm__Info *info);
void cellctl_print_metrics(FILE *f, const Cellvm__Metrics *m);

/* A message as pretty JSON followed by a newline; false when out of memory. */
int cellctl_print_json(FILE *f, const ProtobufCMessage *m);

#endif
