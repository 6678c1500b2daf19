/* How any thread asks the whole VM to stop: the first request's exit code
 * wins, an eventfd wakes the main loop, and vCPUs see the flag. */
#ifndef CELLVM_VM_STOP_H
#define CELLVM_VM_STOP_H

#include <stdatomic.h>
#include <stdbool.h>

struct vm_stop {
	atomic_bool requested;
	atomic_int code;
	int efd;            /* eventfd the main loop polls */
};

int vm_stop_init(struct vm_stop *s);
void vm_stop_destroy(struct vm_stop *s);
/* Safe from any thread; later calls do not override the first code. */
void vm_stop_request(struct vm_stop *s, int code);
static inline bool vm_stop_requested(struct vm_stop *s)
{
	return atomic_load_explicit(&s->requested, memory_order_acquire);
}
static inline int vm_stop_code(struct vm_stop *s)
{
	return atomic_load(&s->code);
}

#endif
