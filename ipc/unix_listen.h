/* A listening UNIX stream socket only its owner may connect to, as the
 * core's API socket and a vsock device's uds path use: a socket file left
 * by a process that died is replaced, one somebody still accepts on is
 * not ours to take, and at the end the path is removed only while it is
 * still our socket (a successor may have bound it meanwhile). */
#ifndef CELLVM_UNIX_LISTEN_H
#define CELLVM_UNIX_LISTEN_H

#include <stddef.h>
#include <stdint.h>

/* Binds path with mode 0600 and listens; returns the fd (non-blocking,
 * close-on-exec) and the socket file's inode in *ino, or -errno with a
 * one-line reason in err (-EEXIST: not a socket there; -EADDRINUSE:
 * somebody serves it). */
int unix_listen_owner(const char *path, int backlog, uint64_t *ino, char *err, size_t errlen);

/* Unlinks path if it is still the socket with inode ino (0: nothing). */
void unix_listen_remove(const char *path, uint64_t ino);

#endif
