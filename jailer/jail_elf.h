/* What a dynamically linked program needs at exec time: its ELF
 * interpreter and, recursively, the shared libraries it names
 * (DT_NEEDED), found the way the dynamic loader finds them without an
 * ld.so.cache: RPATH/RUNPATH, then the multiarch and plain lib dirs. The
 * jail has none of the host's files, so the jailer copies these in. */
#ifndef CELLVM_JAIL_ELF_H
#define CELLVM_JAIL_ELF_H

#include <stddef.h>

#define JAIL_ELF_MAX_DEPS 64

struct jail_elf_deps {
	char *paths[JAIL_ELF_MAX_DEPS]; /* host paths, as the loader will ask for them */
	size_t n;
};

/* Adds the dependencies of the ELF file at path to deps (duplicates are
 * skipped). A static binary adds nothing. 0 or a negative errno (with a
 * message in err): -ENOEXEC for a file that is not x86-64 ELF,
 * -ENOENT for a library that cannot be found. */
int jail_elf_deps_add(struct jail_elf_deps *deps, const char *path, char *err, size_t errlen);
void jail_elf_deps_free(struct jail_elf_deps *deps);

#endif
