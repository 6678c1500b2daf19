/* The launch: everything cellvm-jailer does between parsing its command
 * line and exec'ing cellvm inside the jail. */
#ifndef CELLVM_JAIL_LAUNCH_H
#define CELLVM_JAIL_LAUNCH_H

#include <stddef.h>

#include "jail_args.h"

/* Device programs go into the jail when they sit next to the exec file
 * and are named like this (the names cellvm spawns them by). */
#define JAIL_DEVICE_PREFIX "cellvm-"
#define JAIL_SELF_NAME     "cellvm-jailer"

/* Returns only on failure: a negative errno with the reason in err, after
 * removing whatever it had created (cgroups, files, directories). */
int jail_launch(const struct jail_cfg *cfg, char *err, size_t errlen);

#endif
