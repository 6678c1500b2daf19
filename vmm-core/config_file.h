/* `cellvm --config-file FILE`: the machine as a JSON document whose keys
 * are the fields of the API's Config message (ipc/proto/cellvm.proto),
 * one to one. README.md, "Config file", shows the format. */
#ifndef CELLVM_CONFIG_FILE_H
#define CELLVM_CONFIG_FILE_H

#include <stddef.h>

#include "vm_config.h"

#define CONFIG_FILE_MAX (1u << 20)

/* Reads and checks path. 0, or -errno after writing a one-line reason
 * (with the line and column of a syntax error, or the path of a bad key)
 * into err. */
int config_file_load(const char *path, struct vm_config *out, char *err, size_t errlen);

/* The same from text already in memory (for tests and the fuzzer). */
int config_file_parse(const char *text, size_t len, struct vm_config *out, char *err,
		      size_t errlen);

#endif
