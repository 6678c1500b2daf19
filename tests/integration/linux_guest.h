/* Debian's kernel and the test initramfs (tests/linux, built by make
 * linux) as an integration-test guest: where the files are, the command
 * line, and reading the "cellvm-linux: ..." lines its init prints. */
#ifndef CELLVM_TEST_LINUX_GUEST_H
#define CELLVM_TEST_LINUX_GUEST_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* reboot=k: Linux resets through the i8042, which ends cellvm with exit 0.
 * pci=off: there is no PCI; probing for it costs seconds of port I/O. */
#define LINUX_CMDLINE "console=ttyS0 reboot=k panic=1 pci=off"
#define LINUX_SAYS "cellvm-linux: "

struct linux_guest {
	char bzimage[PATH_MAX]; /* Debian's vmlinuz */
	char vmlinux[PATH_MAX]; /* the ELF inside it (PVH entry) */
	char initrd[PATH_MAX];
};

/* Absolute paths below $BUILD/linux. 0, or -ENOENT when a file is
 * missing (why into msg). */
int linux_guest_find(struct linux_guest *g, char *msg, size_t msglen);
/* vCPUs for a Linux test that is not about SMP: 2 on a hardware KVM host,
 * 1 in the nested one, where an L2 with 2 vCPUs is intermittent (QEMU's
 * too: see README); CELLVM_TEST_LINUX_SMP=1 asks for 2 there as well. */
int linux_test_cpus(void);
/* Same as a string for argv. */
const char *linux_test_cpus_str(void);

/* The first "cellvm-linux: <what>..." line of text (without the prefix). */
bool linux_line(const char *text, const char *what, char *line, size_t size);
/* How many lines of text start with "cellvm-linux: <what>". */
unsigned int linux_count(const char *text, const char *what);
/* The number after the last "cellvm-linux: tick " line; 0 if none. */
unsigned int linux_last_tick(const char *text);

/* An image `blkcheck verify` (final seed) and then `blkcheck mark` (the
 * last 4 KiB, mark seed) wrote: true when every byte is what they wrote. */
bool linux_check_image(const char *path, uint64_t final_seed, uint64_t mark_seed, char *msg,
		       size_t msglen);

#endif
