/* The metrics file (`--metrics-file`): one JSON object per line, the same
 * document the API's metrics request returns (`cellctl metrics --json`),
 * so one parser serves both. */
#ifndef CELLVM_METRICS_FILE_H
#define CELLVM_METRICS_FILE_H

#include "metrics.h"

/* Writes s as one line; 0 or -errno (the line is dropped when a FIFO
 * reader does not keep up). */
int metrics_file_write(int fd, const struct metrics_snapshot *s);

#endif
