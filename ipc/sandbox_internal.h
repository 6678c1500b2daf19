/* Steps of sandbox_enter(), one file each. */
#ifndef CELLVM_SANDBOX_INTERNAL_H
#define CELLVM_SANDBOX_INTERNAL_H

/* Makes an empty read-only tmpfs the root and cwd. 0 or negative errno. */
int sandbox_empty_root(void);

#endif
