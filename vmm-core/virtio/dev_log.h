/* Relays what a device process writes to its stdout and stderr (the write
 * end of a pipe, dev_spawn.h) into the core's log, one entry per line as
 * "NAME: PROGRAM: line" at info level ("blk0: cellvm-blk: serving ..."),
 * so device lines get the core's timestamp and VM id and go wherever the
 * core's log goes. The device holds no log file of its own: its sandbox's
 * RLIMIT_FSIZE cannot cut its lines short, and since the core adds the
 * program's name itself, no device line reads like one of the core's own
 * lines about that device ("blk0: device process exited ...").
 *
 * Bounded whatever the device does: a fixed line buffer (line_split.h),
 * at most DEV_LOG_BURST lines at once and DEV_LOG_PER_SEC a second. While
 * over the rate the pipe is not read at all, so a flooding device costs
 * the core no time; its own non-blocking writes then fail once the pipe
 * is full. Lines read but over the rate are dropped and counted.
 *
 * Only the core's main thread uses a dev_log. */
#ifndef CELLVM_DEV_LOG_H
#define CELLVM_DEV_LOG_H

#include <stdint.h>

#include "line_split.h"
#include "rate_limit.h"

#define DEV_LOG_BURST   200
#define DEV_LOG_PER_SEC 20
/* Dropped lines are reported at most this often, so the report cannot
 * become a flood of its own. */
#define DEV_LOG_REPORT_MS 5000

struct dev_log {
	char name[32];          /* the device's name in the core's log: "blk0" */
	char program[32];       /* "cellvm-blk" */
	int fd;                 /* read end, O_NONBLOCK; -1 once closed or at EOF */
	struct line_split split;
	struct rate_limit rate;
	unsigned long dropped;  /* lines dropped and not yet reported */
	int64_t reported_ms;    /* when drops were last reported */
};

/* Takes ownership of fd (-1: nothing to relay, e.g. a backend someone
 * else started). */
void dev_log_init(struct dev_log *l, const char *name, const char *program, int fd);
/* The fd for the main loop's poll, or -1 while over the rate or closed. */
int dev_log_pollfd(struct dev_log *l);
/* ms until dev_log_poll_result has something to do without the fd
 * becoming readable (the rate allows reading again, dropped lines are due
 * to be reported); -1: nothing. */
int dev_log_wait_ms(struct dev_log *l);
/* After each poll: revents of the pollfd (0 when it was not polled). One
 * read when readable, so a chatty device cannot hold up the loop. */
void dev_log_poll_result(struct dev_log *l, short revents);
/* Logs everything the pipe holds now (a bounded amount), within the rate:
 * a device's last words before the core reports its death. EOF is not
 * death: a device may close its stderr and live on. */
void dev_log_drain(struct dev_log *l);
/* Drains, logs a partial last line and closes. */
void dev_log_close(struct dev_log *l);

#endif
