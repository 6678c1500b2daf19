/* Helpers every device program needs to meet its frontend the way the
 * vhost-user "Backend program conventions" describe: listen on a socket
 * path and take one connection, or use an inherited fd; and end promptly
 * on SIGTERM. */
#ifndef CELLVM_VU_LISTEN_H
#define CELLVM_VU_LISTEN_H

/* Blocks SIGTERM, SIGINT and SIGHUP and returns a signalfd that becomes
 * readable when one arrives (the backend's stop fd), or a negative errno.
 * SIGPIPE is ignored: a dead peer shows up as EPIPE instead. */
int vu_stop_signalfd(void);

/* Listens on a UNIX stream socket at path (replacing a stale socket file,
 * never another kind of file), accepts exactly one connection and removes
 * the path again. Returns the connected fd, -ECANCELED when stop_fd became
 * readable first, or a negative errno. */
int vu_listen_accept(const char *path, int stop_fd);

/* Connects to a backend listening at path; returns the fd (close-on-exec)
 * or a negative errno. */
int vu_connect_unix(const char *path);

/* 0 when fd is a UNIX stream socket (and marks it close-on-exec). */
int vu_check_socket_fd(int fd);

/* A device program's connection to its frontend: accepted on socket_path
 * when given (QEMU is a client), else the inherited sock_fd (the core's
 * socketpair end). Returns the fd, -ECANCELED when stop_fd fired first,
 * or a negative errno after saying why on stderr as "prog: ...". */
int vu_frontend_socket(const char *socket_path, int sock_fd, int stop_fd, const char *prog);

#endif
