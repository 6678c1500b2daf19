/* libFuzzer target for `cellvm --config-file`: arbitrary text through the
 * strict JSON parser, the descriptor-driven JSON -> Config conversion and
 * the machine's limits. Anything accepted must pass vm_config_check. */
#include <stdint.h>
#include <stdlib.h>

#include "config_file.h"

static struct vm_config cfg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];

	if (config_file_parse((const char *)data, size, &cfg, err, sizeof(err)) == 0 &&
	    vm_config_check(&cfg, err, sizeof(err)) != 0)
		abort();
	return 0;
}
