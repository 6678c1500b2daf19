#include "legacy.h"
#include "exit_codes.h"
#include "log.h"

static void debug_exit_write(void *opaque, uint64_t off, const uint8_t *data, unsigned int len)
{
	struct debug_exit *d = opaque;

	(void)len;
	if (off != 0)
		return;
	log_info("guest wrote %u to the debug-exit port: stopping the VM", data[0]);
	vm_stop_request(d->stop, exit_code_from_debug(data[0]));
}

const struct bus_ops debug_exit_bus_ops = {
	.write = debug_exit_write,
};
