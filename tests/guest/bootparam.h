/* The parts of Linux's struct boot_params (the "zero page") the probe
 * reads or writes, as offsets (Documentation/arch/x86/zero-page.rst and
 * boot.rst). Offsets rather than a struct so the 16-bit assembly can use
 * them too. */
#ifndef PROBE_BOOTPARAM_H
#define PROBE_BOOTPARAM_H

#define BP_EXT_CMD_LINE_PTR 0x0c8 /* u32: high half of cmd_line_ptr */
#define BP_E820_ENTRIES     0x1e8 /* u8 */
#define BP_HDR              0x1f1 /* setup header copy starts here */
#define BP_CODE32_START     0x214 /* u32 */
#define BP_CMD_LINE_PTR     0x228 /* u32 */
#define BP_E820_TABLE       0x2d0 /* E820_MAX x 20 bytes */
#define BP_SIZE             0x1000

#define HDR_END       0x268 /* end of the version 2.12 setup header */
#define E820_MAX      128
#define E820_ENTRY_SZ 20
#define E820_RAM      1

#endif
