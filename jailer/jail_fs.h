/* Building the jail's directory tree on the host. Everything created is
 * recorded so a failed launch removes exactly that and nothing a control
 * plane put there before (Firecracker's control planes pre-populate the
 * root with the kernel and disks). */
#ifndef CELLVM_JAIL_FS_H
#define CELLVM_JAIL_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define JAIL_FS_MAX_UNDO 256

struct jail_fs {
	char *created[JAIL_FS_MAX_UNDO]; /* host paths, in creation order */
	bool is_dir[JAIL_FS_MAX_UNDO];
	unsigned int n;
};

/* snprintf into a path buffer: -ENAMETOOLONG instead of a cut path. */
int jail_path(char *out, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* mkdir -p path with mode for the directories it creates. */
int jail_fs_mkdirs(struct jail_fs *fs, const char *path, mode_t mode);

/* Puts the host file src at dst (which must not exist): a hard link when
 * src is root's and nobody else may write it (shared page cache, no
 * copy), else a copy with src's mode bits limited to 0755, owned by root.
 * Missing parent directories are created (0755). */
int jail_fs_place(struct jail_fs *fs, const char *src, const char *dst);

/* A copy of src at dst owned by uid:gid, mode 0600 (for --copy: the VM
 * may write its disks). */
int jail_fs_copy_owned(struct jail_fs *fs, const char *src, const char *dst, uid_t uid, gid_t gid);

/* A character device node at path (0600, owned by uid:gid). */
int jail_fs_mknod(struct jail_fs *fs, const char *path, unsigned int major, unsigned int minor,
		  uid_t uid, gid_t gid);

/* Removes everything recorded, newest first; then forgets it. */
void jail_fs_undo(struct jail_fs *fs);
/* Forgets the records without removing anything (the launch succeeded). */
void jail_fs_forget(struct jail_fs *fs);

#endif
