/* The Debian kernel fetched by scripts/fetch-linux.sh, when present:
 * its bzImage header parses and loads, its vmlinux carries the PVH note.
 * Set CELLVM_LINUX_DIR to look elsewhere than build/linux. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_boot_util.h"

#define RAM_512M (512 * MiB)

struct mapped {
	uint8_t *data;
	size_t len;
};

static int map_kernel(const char *name, struct mapped *m)
{
	const char *dir = getenv("CELLVM_LINUX_DIR");
	char path[512];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "build/linux", name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		close(fd);
		return -1;
	}
	m->len = (size_t)st.st_size;
	m->data = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	return m->data == MAP_FAILED ? -1 : 0;
}

Test(boot_real, debian_bzimage_loads)
{
	struct mapped m;
	struct guest_mem gm;
	struct boot_entry e;
	char err[T_ERRLEN] = "";

	if (map_kernel("vmlinuz", &m) < 0)
		cr_skip_test("build/linux/vmlinuz absent (run `make linux`)");
	uint16_t version = le16_get(m.data + HDR_VERSION);
	cr_assert_geq(version, 0x0206);
	t_mem(&gm, RAM_512M);
	struct boot_args a = { .kernel = m.data, .kernel_len = m.len, .cmdline = "console=ttyS0",
			       .have_acpi = 1 };
	cr_assert_eq(boot_load_kernel(&gm, &a, &e, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(e.mode, BOOT_MODE_LINUX64);
	uint64_t pref = le64_get(m.data + HDR_PREF_ADDRESS);
	cr_assert_eq(e.kernel_start, pref, "a 512 MiB guest fits the kernel at pref_address");
	cr_assert_eq(e.entry, pref + 0x200);
	cr_assert_eq(zp16(&gm, HDR_VERSION), version);
	cr_assert_eq(zp8(&gm, HDR_TYPE_OF_LOADER), 0xff);
	cr_assert(zp16(&gm, HDR_XLOADFLAGS) & XLF_KERNEL_64);
	if (version >= 0x020e)
		cr_assert_eq(zp64(&gm, BP_ACPI_RSDP_ADDR), LAYOUT_ACPI_RSDP_ADDR);
	guest_mem_destroy(&gm);
	munmap(m.data, m.len);
}

Test(boot_real, debian_vmlinux_has_pvh_note)
{
	struct mapped m;
	struct guest_mem gm;
	struct boot_entry e;
	char err[T_ERRLEN] = "";
	uint8_t initrd[4096] = { 0 };

	if (map_kernel("vmlinux", &m) < 0)
		cr_skip_test("build/linux/vmlinux absent (run `make linux`)");
	t_mem(&gm, RAM_512M);
	struct boot_args a = { .kernel = m.data, .kernel_len = m.len, .cmdline = "console=ttyS0",
			       .initrd = initrd, .initrd_len = sizeof(initrd), .have_acpi = 1 };
	cr_assert_eq(boot_load_kernel(&gm, &a, &e, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(e.mode, BOOT_MODE_PVH32, "Debian's vmlinux is built with CONFIG_PVH");
	cr_assert_geq(e.entry, e.kernel_start);
	cr_assert_lt(e.entry, e.kernel_end);
	cr_assert_eq(e.kernel_start, 0x1000000);
	cr_assert_geq(e.initrd_gpa, e.kernel_end);
	struct hvm_start_info si;
	cr_assert_eq(guest_mem_read(&gm, LAYOUT_PVH_INFO_ADDR, &si, sizeof(si)), 0);
	cr_assert_eq(si.magic, XEN_HVM_START_MAGIC);
	cr_assert_eq(si.nr_modules, 1);
	/* the first loaded byte is the kernel's first text byte */
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	memcpy(&eh, m.data, sizeof(eh));
	memcpy(&ph, m.data + eh.e_phoff, sizeof(ph));
	cr_assert_eq(ph.p_type, PT_LOAD);
	cr_assert_eq(memcmp(t_ptr(&gm, ph.p_paddr, 4096), m.data + ph.p_offset, 4096), 0);
	guest_mem_destroy(&gm);
	munmap(m.data, m.len);
}
