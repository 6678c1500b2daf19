/* Logging for cellvm-blk: one line per message on stderr, prefixed so the
 * core's log (which collects the device's stderr) says who spoke. */
#ifndef CELLVM_BLK_LOG_H
#define CELLVM_BLK_LOG_H

#include <stdio.h>

#define blk_log(fmt, ...) fprintf(stderr, "cellvm-blk: " fmt "\n", ##__VA_ARGS__)

#endif
