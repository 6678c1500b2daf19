/* Pausing the vCPUs: a vCPU thread that sees a pause request leaves
 * KVM_RUN (it is kicked out of it), parks on a condition variable and
 * stays there until resumed or until the VM stops. The pauser waits until
 * every running vCPU thread is parked, so "paused" means no guest
 * instruction runs any more. */
#ifndef CELLVM_VCPU_GATE_H
#define CELLVM_VCPU_GATE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

struct vcpu_gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;       /* parked/active changed, or released */
	atomic_bool pause;         /* read by vCPU threads without the lock */
	bool closed;               /* the VM is stopping: nobody parks any more */
	unsigned int active;       /* vCPU threads inside their run loop */
	unsigned int parked;       /* of those, waiting in vcpu_gate_park */
};

int vcpu_gate_init(struct vcpu_gate *g);
void vcpu_gate_destroy(struct vcpu_gate *g);

/* vCPU thread side. */
void vcpu_gate_enter(struct vcpu_gate *g);
void vcpu_gate_leave(struct vcpu_gate *g);
static inline bool vcpu_gate_pending(struct vcpu_gate *g)
{
	return atomic_load_explicit(&g->pause, memory_order_seq_cst);
}
/* Blocks while a pause is requested and the gate is open. */
void vcpu_gate_park(struct vcpu_gate *g);

/* Controller side. vcpu_gate_request sets the flag (the caller then kicks
 * every vCPU out of KVM_RUN); vcpu_gate_wait_parked waits until all active
 * threads are parked: 0, -ETIMEDOUT, or -ECANCELED when the gate closed. */
void vcpu_gate_request(struct vcpu_gate *g);
int vcpu_gate_wait_parked(struct vcpu_gate *g, int timeout_ms);
void vcpu_gate_resume(struct vcpu_gate *g);
/* Releases every parked thread for good (the VM is stopping). */
void vcpu_gate_close(struct vcpu_gate *g);

#endif
