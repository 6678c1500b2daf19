/* Building and tearing down jail trees on the host. */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jailer/jail_cleanup.h"
#include "jailer/jail_elf.h"
#include "jailer/jail_fs.h"

static char tmp[PATH_MAX];

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/cellvm-jailfs-XXXXXX");
	cr_assert_not_null(mkdtemp(tmp));
}

static void teardown(void)
{
	jail_remove_tree(tmp);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	cr_assert_geq(fd, 0, "%s", path);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	fchmod(fd, mode);
	close(fd);
}

static char *p(const char *rel)
{
	static char buf[4][PATH_MAX];
	static int i;
	i = (i + 1) % 4;
	cr_assert_eq(jail_path(buf[i], sizeof(buf[i]), "%s/%s", tmp, rel), 0);
	return buf[i];
}

TestSuite(jailer_fs, .init = setup, .fini = teardown);

Test(jailer_fs, undo_removes_what_was_created_and_nothing_else)
{
	struct jail_fs fs = { 0 };
	struct stat st;

	cr_assert_eq(mkdir(p("pre"), 0755), 0);
	write_text(p("pre/kernel"), "k", 0644); /* a control plane put this there */
	write_text(p("src"), "data", 0755);
	cr_assert_eq(jail_fs_mkdirs(&fs, p("pre/a/b"), 0700), 0);
	cr_assert_eq(stat(p("pre/a/b"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0700, "mode %o despite the umask", st.st_mode & 07777);
	cr_assert_eq(jail_fs_place(&fs, p("src"), p("pre/a/b/c/prog")), 0);
	cr_assert_eq(jail_fs_copy_owned(&fs, p("src"), p("pre/disk"), 1234, 5678), 0);
	cr_assert_eq(stat(p("pre/disk"), &st), 0);
	cr_assert_eq(st.st_uid, 1234);
	cr_assert_eq(st.st_gid, 5678);
	cr_assert_eq(st.st_mode & 07777, 0600);
	cr_assert_eq(jail_fs_mknod(&fs, p("pre/dev/kvm"), 10, 232, 1234, 5678), 0);
	cr_assert_eq(stat(p("pre/dev/kvm"), &st), 0);
	cr_assert(S_ISCHR(st.st_mode));
	cr_assert_eq(st.st_uid, 1234);
	/* Placing over an existing file is refused. */
	cr_assert_lt(jail_fs_place(&fs, p("src"), p("pre/kernel")), 0);

	jail_fs_undo(&fs);
	cr_assert_eq(fs.n, 0);
	cr_assert_eq(access(p("pre/a"), F_OK), -1);
	cr_assert_eq(access(p("pre/dev"), F_OK), -1);
	cr_assert_eq(access(p("pre/disk"), F_OK), -1);
	cr_assert_eq(access(p("pre/kernel"), F_OK), 0, "not ours: must stay");
	cr_assert_eq(access(p("pre"), F_OK), 0);
}

/* A file its (non-root) owner could rewrite is copied, not linked. */
Test(jailer_fs, place_copies_what_another_user_could_change)
{
	struct jail_fs fs = { 0 };
	struct stat a, b;

	write_text(p("prog"), "code", 0775);
	cr_assert_eq(chown(p("prog"), 1000, 1000), 0);
	cr_assert_eq(jail_fs_place(&fs, p("prog"), p("copy")), 0);
	cr_assert_eq(stat(p("prog"), &a), 0);
	cr_assert_eq(stat(p("copy"), &b), 0);
	cr_assert_neq(a.st_ino, b.st_ino);
	cr_assert_eq(b.st_uid, 0);
	cr_assert_eq(b.st_mode & 07777, 0755);

	write_text(p("rootprog"), "code", 0755);
	cr_assert_eq(jail_fs_place(&fs, p("rootprog"), p("link")), 0);
	cr_assert_eq(stat(p("rootprog"), &a), 0);
	cr_assert_eq(stat(p("link"), &b), 0);
	cr_assert_eq(a.st_ino, b.st_ino, "root's read-only file is shared");
	jail_fs_forget(&fs);
}

Test(jailer_fs, remove_tree_never_follows_symlinks)
{
	cr_assert_eq(mkdir(p("outside"), 0755), 0);
	write_text(p("outside/precious"), "x", 0644);
	cr_assert_eq(mkdir(p("jail"), 0755), 0);
	cr_assert_eq(mkdir(p("jail/d"), 0755), 0);
	cr_assert_eq(symlink(p("outside"), p("jail/d/link")), 0);
	cr_assert_eq(symlink(p("outside/precious"), p("jail/file-link")), 0);
	cr_assert_eq(jail_remove_tree(p("jail")), 0);
	cr_assert_eq(access(p("jail"), F_OK), -1);
	cr_assert_eq(access(p("outside/precious"), F_OK), 0);
	cr_assert_eq(jail_remove_tree(p("jail")), 0, "a missing tree is fine");
}

Test(jailer_fs, paths_that_do_not_fit_are_refused)
{
	char small[8];
	cr_assert_eq(jail_path(small, sizeof(small), "%s", "12345678"), -ENAMETOOLONG);
	cr_assert_eq(jail_path(small, sizeof(small), "%s", "1234567"), 0);
}

/* The libraries of a dynamically linked program: interpreter first, then
 * libc and what it needs, found on this host. */
Test(jailer_fs, elf_deps_of_a_real_program)
{
	struct jail_elf_deps d = { 0 };
	char err[256] = "";
	bool libc = false, interp = false;

	cr_assert_eq(jail_elf_deps_add(&d, "/bin/true", err, sizeof(err)), 0, "%s", err);
	for (size_t i = 0; i < d.n; i++) {
		libc |= strstr(d.paths[i], "/libc.so.6") != NULL;
		interp |= strstr(d.paths[i], "ld-linux-x86-64.so.2") != NULL;
		cr_assert_eq(access(d.paths[i], R_OK), 0, "%s", d.paths[i]);
	}
	cr_assert(libc && interp);
	size_t n = d.n;
	cr_assert_eq(jail_elf_deps_add(&d, "/bin/true", err, sizeof(err)), 0);
	cr_assert_eq(d.n, n, "no duplicates");
	jail_elf_deps_free(&d);
}

Test(jailer_fs, elf_deps_refuse_what_is_not_elf)
{
	struct jail_elf_deps d = { 0 };
	char err[256] = "";

	write_text(p("script"), "#!/bin/sh\necho hi\n", 0755);
	cr_assert_eq(jail_elf_deps_add(&d, p("script"), err, sizeof(err)), -ENOEXEC);
	cr_assert(strstr(err, "not an x86-64 ELF"), "%s", err);
	cr_assert_eq(jail_elf_deps_add(&d, p("missing"), err, sizeof(err)), -ENOENT);
	write_text(p("short"), "\177ELF", 0755);
	cr_assert_eq(jail_elf_deps_add(&d, p("short"), err, sizeof(err)), -ENOEXEC);
	cr_assert_eq(d.n, 0);
}
