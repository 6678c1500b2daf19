/* The restart policy's spellings, shared by the command line, the config
 * file and the API. */
#include <errno.h>
#include <string.h>

#include "vm_config.h"

int vm_config_restart_parse(const char *s, enum dev_restart *out)
{
	if (!s || !*s || strcmp(s, "on-failure") == 0) {
		*out = DEV_RESTART_ON_FAILURE;
		return 0;
	}
	if (strcmp(s, "never") == 0) {
		*out = DEV_RESTART_NEVER;
		return 0;
	}
	return -EINVAL;
}

const char *vm_config_restart_name(enum dev_restart r)
{
	return r == DEV_RESTART_NEVER ? "never" : "on-failure";
}
