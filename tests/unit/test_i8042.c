/* The i8042 as a guest driver sees it: controller commands answered
 * through the output buffer, the keyboard acknowledging commands, IRQ 1
 * pulses per byte, Ctrl-Alt-Del in the scan code set the guest expects,
 * and the reset line. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/legacy.h"
#include "exit_codes.h"

static struct i8042 kbd;
static struct vm_stop stop;
static int irq;

static void setup(void)
{
	cr_assert_eq(vm_stop_init(&stop), 0);
	irq = eventfd(0, EFD_NONBLOCK);
	i8042_init(&kbd, &stop, irq);
}

static void teardown(void)
{
	i8042_destroy(&kbd);
	close(irq);
	vm_stop_destroy(&stop);
}

TestSuite(i8042, .init = setup, .fini = teardown);

static uint8_t in(unsigned int port)
{
	uint8_t v = 0;
	i8042_bus_ops.read(&kbd, port - 0x60, &v, 1);
	return v;
}

static void out(unsigned int port, uint8_t v)
{
	i8042_bus_ops.write(&kbd, port - 0x60, &v, 1);
}

/* IRQ pulses since the last call. */
static uint64_t pulses(void)
{
	uint64_t n = 0;
	if (read(irq, &n, sizeof(n)) != sizeof(n))
		return 0;
	return n;
}

Test(i8042, controller_commands)
{
	cr_assert_eq(in(0x64) & 1, 0, "output buffer empty at reset");
	out(0x64, 0xaa);
	cr_assert_eq(in(0x64) & 1, 1);
	cr_assert_eq(in(0x60), 0x55, "self test passes");
	cr_assert_eq(in(0x64) & 1, 0);
	out(0x64, 0x20);
	uint8_t ctr = in(0x60);
	cr_assert_eq(ctr & 0x40, 0x40, "translation on, as firmware leaves it");
	out(0x64, 0x60);
	out(0x60, 0x05);
	out(0x64, 0x20);
	cr_assert_eq(in(0x60), 0x05, "the configuration byte was written");
	cr_assert(in(0x64) & 0x08, "last write was a command");
	out(0x64, 0xab);
	cr_assert_eq(in(0x60), 0x00, "keyboard interface test passes");
}

Test(i8042, keyboard_acknowledges_and_identifies)
{
	pulses();
	out(0x60, 0xf2); /* get id */
	cr_assert_eq(pulses(), 1, "one pulse when the first byte arrives");
	cr_assert_eq(in(0x60), 0xfa);
	cr_assert_eq(pulses(), 1, "and one for each next byte");
	cr_assert_eq(in(0x60), 0xab);
	cr_assert_eq(in(0x60), 0x83);
	cr_assert_eq(in(0x64) & 1, 0);
	out(0x60, 0xed); /* set LEDs, then its argument */
	cr_assert_eq(in(0x60), 0xfa);
	out(0x60, 0x07);
	cr_assert_eq(in(0x60), 0xfa);
	out(0x60, 0xff); /* reset */
	cr_assert_eq(in(0x60), 0xfa);
	cr_assert_eq(in(0x60), 0xaa);
}

Test(i8042, no_interrupts_when_disabled)
{
	out(0x64, 0x60);
	out(0x60, 0x44); /* translation and system flag, no keyboard interrupt */
	pulses();
	out(0x60, 0xf4);
	cr_assert_eq(pulses(), 0);
	cr_assert_eq(in(0x60), 0xfa);
}

Test(i8042, ctrl_alt_del_in_set_1_when_translating)
{
	static const uint8_t want[] = { 0x1d, 0x38, 0xe0, 0x53, 0xe0, 0xd3, 0xb8, 0x9d };

	pulses();
	cr_assert_eq(i8042_send_ctrl_alt_del(&kbd), 0);
	cr_assert_eq(pulses(), 1);
	for (size_t i = 0; i < sizeof(want); i++) {
		cr_assert(in(0x64) & 1);
		cr_assert_eq(in(0x60), want[i], "byte %zu", i);
	}
	cr_assert_eq(in(0x64) & 1, 0);
	cr_assert_not(vm_stop_requested(&stop), "the guest decides what to do");
}

Test(i8042, ctrl_alt_del_in_set_2_without_translation)
{
	static const uint8_t want[] = { 0x14, 0x11, 0xe0, 0x71, 0xe0, 0xf0, 0x71, 0xf0, 0x11,
					0xf0, 0x14 };

	out(0x64, 0x60);
	out(0x60, 0x05);
	cr_assert_eq(i8042_send_ctrl_alt_del(&kbd), 0);
	for (size_t i = 0; i < sizeof(want); i++)
		cr_assert_eq(in(0x60), want[i], "byte %zu", i);
}

Test(i8042, full_buffer_refuses_more_keys)
{
	int ok = 0;
	while (i8042_send_ctrl_alt_del(&kbd) == 0)
		ok++;
	cr_assert_eq(ok, I8042_QUEUE_LEN / 8);
	cr_assert_eq(in(0x60), 0x1d, "what was queued is intact");
}

Test(i8042, reset_line)
{
	out(0x64, 0xd1);
	out(0x60, 0x03); /* reset bit high: nothing happens */
	cr_assert_not(vm_stop_requested(&stop));
	out(0x64, 0xfe);
	cr_assert(vm_stop_requested(&stop));
	cr_assert_eq(vm_stop_code(&stop), EXIT_GUEST_OK);
}

Test(i8042, reset_through_the_output_port)
{
	out(0x64, 0xd1);
	out(0x60, 0x02);
	cr_assert(vm_stop_requested(&stop));
}
