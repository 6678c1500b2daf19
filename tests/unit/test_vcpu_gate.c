/* The pause gate with real threads standing in for vCPUs: a pause returns
 * only once every running thread is parked, resume lets them go, and
 * closing releases everyone. */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "vcpu_gate.h"

#define NTHREADS 4

static struct vcpu_gate gate;
static atomic_bool quit;
static atomic_ulong progress[NTHREADS];
static pthread_t threads[NTHREADS];

static void *worker(void *arg)
{
	unsigned long i = (unsigned long)arg;

	vcpu_gate_enter(&gate);
	while (!atomic_load(&quit)) {
		if (vcpu_gate_pending(&gate)) {
			vcpu_gate_park(&gate);
			continue;
		}
		atomic_fetch_add(&progress[i], 1);
		usleep(100);
	}
	vcpu_gate_leave(&gate);
	return NULL;
}

static void setup(void)
{
	cr_assert_eq(vcpu_gate_init(&gate), 0);
	atomic_store(&quit, false);
	for (unsigned long i = 0; i < NTHREADS; i++) {
		atomic_store(&progress[i], 0);
		pthread_create(&threads[i], NULL, worker, (void *)i);
	}
	usleep(20000);
}

static void stop_all(void)
{
	atomic_store(&quit, true);
	vcpu_gate_close(&gate);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(threads[i], NULL);
	vcpu_gate_destroy(&gate);
}

TestSuite(vcpu_gate, .init = setup, .timeout = 20);

Test(vcpu_gate, pause_stops_everyone_and_resume_restarts)
{
	unsigned long before[NTHREADS];

	vcpu_gate_request(&gate);
	cr_assert_eq(vcpu_gate_wait_parked(&gate, 5000), 0);
	for (int i = 0; i < NTHREADS; i++)
		before[i] = atomic_load(&progress[i]);
	usleep(50000);
	for (int i = 0; i < NTHREADS; i++)
		cr_assert_eq(atomic_load(&progress[i]), before[i], "thread %d ran while paused", i);
	vcpu_gate_resume(&gate);
	usleep(50000);
	for (int i = 0; i < NTHREADS; i++)
		cr_assert_gt(atomic_load(&progress[i]), before[i], "thread %d did not resume", i);
	stop_all();
}

Test(vcpu_gate, close_releases_parked_threads)
{
	vcpu_gate_request(&gate);
	cr_assert_eq(vcpu_gate_wait_parked(&gate, 5000), 0);
	stop_all(); /* joins: would hang if parked threads stayed parked */
}

Test(vcpu_gate, wait_after_close_is_cancelled)
{
	vcpu_gate_close(&gate);
	vcpu_gate_request(&gate);
	cr_assert_eq(vcpu_gate_wait_parked(&gate, 1000), -ECANCELED);
	stop_all();
}

Test(vcpu_gate, a_thread_that_never_parks_times_out)
{
	struct vcpu_gate g;

	cr_assert_eq(vcpu_gate_init(&g), 0);
	vcpu_gate_enter(&g); /* "active" but never checks the flag */
	vcpu_gate_request(&g);
	cr_assert_eq(vcpu_gate_wait_parked(&g, 50), -ETIMEDOUT);
	vcpu_gate_leave(&g);
	cr_assert_eq(vcpu_gate_wait_parked(&g, 50), 0, "nobody left to wait for");
	vcpu_gate_destroy(&g);
	stop_all();
}
