#include "legacy.h"
#include "exit_codes.h"
#include "log.h"

#include <pthread.h>
#include <string.h>

#define I8042_CMD_READ_CB   0x20
#define I8042_CMD_WRITE_CB  0x60
#define I8042_CMD_RESET_CPU 0xfe
#define I8042_STATUS_SYS    0x04  /* POST passed */

/* Port 0x60 is data, 0x64 is command/status; the bus range starts at 0x60
 * and spans 5 ports, 0x61..0x63 belong to others and read as zero here. */
static void i8042_read(void *opaque, uint64_t off, uint8_t *data, unsigned int len)
{
	struct i8042 *k = opaque;

	memset(data, 0, len);
	if (off == 4)
		data[0] = I8042_STATUS_SYS; /* no output byte, input buffer empty */
	else if (off == 0)
		data[0] = k->cmd_byte;
}

static void i8042_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int len)
{
	struct i8042 *k = opaque;

	(void)len;
	if (off == 4) {
		if (data[0] == I8042_CMD_RESET_CPU) {
			log_info("guest reset through the i8042: stopping the VM");
			vm_stop_request(k->stop, EXIT_GUEST_OK);
		} else if (data[0] == I8042_CMD_WRITE_CB) {
			k->pending_cmd = data[0];
		}
	} else if (off == 0 && k->pending_cmd == I8042_CMD_WRITE_CB) {
		k->cmd_byte = data[0];
		k->pending_cmd = 0;
	}
}

const struct bus_ops i8042_bus_ops = {
	.read = i8042_read,
	.write = i8042_write,
};
