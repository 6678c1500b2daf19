/* Sector 0 of the bzImage and the boot protocol setup header.
 * Linked at offset 0 of the setup part; the header fields a loader reads
 * sit at 0x1f1..0x267 (protocol 2.12). Sizes come from the linker script. */
#include "defs.h"
#include "bootparam.h"

	.section .setup.header, "ax"
	.code16
	.globl setup_start
setup_start:
	/* Nothing boots this sector directly; say so if something tries. */
	.ascii "cellvm probe guest: load me with a Linux boot loader\0"

	.org 0x1f1
hdr:
setup_sects:	.byte	setup_sects_val		/* setup sectors after sector 0 */
root_flags:	.word	0
syssize:	.long	syssize_val		/* protected-mode part in 16-byte units */
ram_size:	.word	0
vid_mode:	.word	0xffff			/* "normal" */
root_dev:	.word	0
boot_flag:	.word	0xaa55
	/* 0x200: real-mode entry. A two-byte jump whose displacement is, by
	 * convention, the length of the header that follows. */
	.byte	0xeb, HDR_END - 0x202
header:		.ascii	"HdrS"
version:	.word	0x020c
realmode_swtch:	.long	0
start_sys_seg:	.word	0x1000			/* obsolete */
kernel_version:	.word	probe_version - 0x200
type_of_loader:	.byte	0
loadflags:	.byte	0x01			/* LOADED_HIGH */
setup_move_size: .word	0x8000
code32_start:	.long	ASM_KERNEL_ADDR
ramdisk_image:	.long	0
ramdisk_size:	.long	0
bootsect_kludge: .long	0
heap_end_ptr:	.word	0
ext_loader_ver:	.byte	0
ext_loader_type: .byte	0
cmd_line_ptr:	.long	0
initrd_addr_max: .long	0x7fffffff
kernel_alignment: .long	0x100000		/* only 1 MiB: not relocatable anyway */
relocatable_kernel: .byte 0
min_alignment:	.byte	20
xloadflags:	.word	0x0001			/* XLF_KERNEL_64: entry at +0x200 */
cmdline_size:	.long	4095
hardware_subarch: .long	0
hardware_subarch_data: .quad 0
payload_offset:	.long	0
payload_length:	.long	0
setup_data:	.quad	0
pref_address:	.quad	ASM_KERNEL_ADDR
init_size:	.long	init_size_val		/* image + bss + stacks */
handover_offset: .long	0

	.org HDR_END
	jmp	start16				/* entry16.S */

probe_version:
	.asciz	"cellvm-probe 1.0"
