#include "jail_elf.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ELF_MAX_BYTES (256u << 20)

/* The loader's built-in search path on Debian/Ubuntu x86-64 (no cache). */
static const char *const default_dirs[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib",
	"/usr/lib",
};

struct elf_file {
	const uint8_t *data;
	size_t len;
	const Elf64_Ehdr *eh;
};

static int elf_open(struct elf_file *f, const char *path)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	memset(f, 0, sizeof(*f));
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(Elf64_Ehdr) ||
	    (uint64_t)st.st_size > ELF_MAX_BYTES) {
		close(fd);
		return -ENOEXEC;
	}
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	f->data = p;
	f->len = (size_t)st.st_size;
	f->eh = p;
	if (memcmp(f->eh->e_ident, ELFMAG, SELFMAG) != 0 || f->eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    f->eh->e_machine != EM_X86_64 || f->eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    f->eh->e_phoff > f->len || f->eh->e_phnum > (f->len - f->eh->e_phoff) / sizeof(Elf64_Phdr)) {
		munmap(p, f->len);
		return -ENOEXEC;
	}
	return 0;
}

static void elf_close(struct elf_file *f)
{
	if (f->data)
		munmap((void *)f->data, f->len);
	f->data = NULL;
}

static const Elf64_Phdr *elf_phdr(const struct elf_file *f, unsigned int i)
{
	return (const Elf64_Phdr *)(f->data + f->eh->e_phoff) + i;
}

/* File offset of a virtual address, through the PT_LOAD that maps it. */
static int elf_vaddr_off(const struct elf_file *f, uint64_t vaddr, uint64_t *off)
{
	for (unsigned int i = 0; i < f->eh->e_phnum; i++) {
		const Elf64_Phdr *ph = elf_phdr(f, i);
		if (ph->p_type == PT_LOAD && vaddr >= ph->p_vaddr &&
		    vaddr - ph->p_vaddr < ph->p_filesz) {
			*off = vaddr - ph->p_vaddr + ph->p_offset;
			return *off < f->len ? 0 : -ENOEXEC;
		}
	}
	return -ENOEXEC;
}

/* A NUL-terminated string at off, or NULL. */
static const char *elf_str(const struct elf_file *f, uint64_t off)
{
	if (off >= f->len || !memchr(f->data + off, '\0', f->len - off))
		return NULL;
	return (const char *)f->data + off;
}

static bool deps_has(const struct jail_elf_deps *d, const char *path)
{
	for (size_t i = 0; i < d->n; i++)
		if (strcmp(d->paths[i], path) == 0)
			return true;
	return false;
}

static int deps_push(struct jail_elf_deps *d, const char *path)
{
	if (d->n == JAIL_ELF_MAX_DEPS)
		return -E2BIG;
	if (!(d->paths[d->n] = strdup(path)))
		return -ENOMEM;
	d->n++;
	return 0;
}

/* Looks name up in a ':'-separated list with $ORIGIN expanded to origin. */
static bool find_in_list(const char *list, const char *origin, const char *name, char *out,
			 size_t outlen)
{
	while (list && *list) {
		const char *end = strchr(list, ':');
		size_t n = end ? (size_t)(end - list) : strlen(list);
		char dir[PATH_MAX];
		if (n >= 7 && strncmp(list, "$ORIGIN", 7) == 0)
			snprintf(dir, sizeof(dir), "%s%.*s", origin, (int)(n - 7), list + 7);
		else
			snprintf(dir, sizeof(dir), "%.*s", (int)n, list);
		if ((size_t)snprintf(out, outlen, "%s/%s", dir, name) < outlen && access(out, R_OK) == 0)
			return true;
		list = end ? end + 1 : NULL;
	}
	return false;
}

static int find_lib(const char *name, const char *rpath, const char *runpath, const char *origin,
		    char *out, size_t outlen)
{
	if (strchr(name, '/')) {
		snprintf(out, outlen, "%s", name);
		return access(out, R_OK) == 0 ? 0 : -ENOENT;
	}
	/* The loader ignores RPATH when RUNPATH is present. */
	if (!runpath && find_in_list(rpath, origin, name, out, outlen))
		return 0;
	if (find_in_list(runpath, origin, name, out, outlen))
		return 0;
	for (size_t i = 0; i < sizeof(default_dirs) / sizeof(default_dirs[0]); i++) {
		if ((size_t)snprintf(out, outlen, "%s/%s", default_dirs[i], name) < outlen &&
		    access(out, R_OK) == 0)
			return 0;
	}
	return -ENOENT;
}

static int add_needed(struct jail_elf_deps *deps, const struct elf_file *f, const Elf64_Phdr *dyn,
		      const char *path, char *err, size_t errlen, int depth);

static int add_file(struct jail_elf_deps *deps, const char *path, char *err, size_t errlen,
		    int depth)
{
	struct elf_file f;
	int ret;

	if (depth > 16)
		return -ELOOP;
	if ((ret = elf_open(&f, path)) < 0) {
		snprintf(err, errlen, "%s: %s", path,
			 ret == -ENOEXEC ? "not an x86-64 ELF file" : strerror(-ret));
		return ret;
	}
	const Elf64_Phdr *dyn = NULL;
	for (unsigned int i = 0; i < f.eh->e_phnum && ret == 0; i++) {
		const Elf64_Phdr *ph = elf_phdr(&f, i);
		if (ph->p_type == PT_DYNAMIC) {
			dyn = ph;
		} else if (ph->p_type == PT_INTERP) {
			const char *interp = elf_str(&f, ph->p_offset);
			if (!interp || interp[0] != '/') {
				snprintf(err, errlen, "%s: bad PT_INTERP", path);
				ret = -ENOEXEC;
			} else if (!deps_has(deps, interp)) {
				ret = deps_push(deps, interp);
			}
		}
	}
	if (ret == 0 && dyn)
		ret = add_needed(deps, &f, dyn, path, err, errlen, depth);
	elf_close(&f);
	return ret;
}

static int add_needed(struct jail_elf_deps *deps, const struct elf_file *f, const Elf64_Phdr *dyn,
		      const char *path, char *err, size_t errlen, int depth)
{
	char origin[PATH_MAX], found[PATH_MAX];
	uint64_t strtab_vaddr = 0, strtab_off;
	const Elf64_Dyn *d = (const Elf64_Dyn *)(f->data + dyn->p_offset);
	size_t nd;
	int ret;

	if (dyn->p_offset > f->len || dyn->p_filesz > f->len - dyn->p_offset)
		return -ENOEXEC;
	nd = dyn->p_filesz / sizeof(Elf64_Dyn);
	for (size_t i = 0; i < nd && d[i].d_tag != DT_NULL; i++)
		if (d[i].d_tag == DT_STRTAB)
			strtab_vaddr = d[i].d_un.d_ptr;
	if (elf_vaddr_off(f, strtab_vaddr, &strtab_off) < 0) {
		snprintf(err, errlen, "%s: no usable DT_STRTAB", path);
		return -ENOEXEC;
	}
	const char *rpath = NULL, *runpath = NULL;
	for (size_t i = 0; i < nd && d[i].d_tag != DT_NULL; i++) {
		if (d[i].d_tag == DT_RPATH)
			rpath = elf_str(f, strtab_off + d[i].d_un.d_val);
		else if (d[i].d_tag == DT_RUNPATH)
			runpath = elf_str(f, strtab_off + d[i].d_un.d_val);
	}
	snprintf(origin, sizeof(origin), "%s", path);
	char *slash = strrchr(origin, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(origin, sizeof(origin), ".");
	for (size_t i = 0; i < nd && d[i].d_tag != DT_NULL; i++) {
		if (d[i].d_tag != DT_NEEDED)
			continue;
		const char *name = elf_str(f, strtab_off + d[i].d_un.d_val);
		if (!name)
			return -ENOEXEC;
		if (find_lib(name, rpath, runpath, origin, found, sizeof(found)) < 0) {
			snprintf(err, errlen, "%s needs %s, which is not in any library directory",
				 path, name);
			return -ENOENT;
		}
		if (deps_has(deps, found))
			continue;
		if ((ret = deps_push(deps, found)) < 0 ||
		    (ret = add_file(deps, found, err, errlen, depth + 1)) < 0)
			return ret;
	}
	return 0;
}

int jail_elf_deps_add(struct jail_elf_deps *deps, const char *path, char *err, size_t errlen)
{
	return add_file(deps, path, err, errlen, 0);
}

void jail_elf_deps_free(struct jail_elf_deps *deps)
{
	for (size_t i = 0; i < deps->n; i++)
		free(deps->paths[i]);
	deps->n = 0;
}
