/* Reads a small text file (procfs, sysfs, cgroupfs) whole, for the
 * processes that parse such files: the core's metrics and the jailer. */
#ifndef CELLVM_TEXT_FILE_H
#define CELLVM_TEXT_FILE_H

#include <stddef.h>

/* Reads at most cap - 1 bytes of path into buf and NUL-terminates it.
 * Returns the length read or a negative errno from open. cap must be > 0. */
int text_file_read(const char *path, char *buf, size_t cap);

#endif
