// A small fork-join pool shared by the addons (each addon that includes it has its own): the
// calling thread does part 0, workers 1..parts-1. Idle workers sleep on a condition variable, so
// two pools never spin against each other or against the JS thread (OpenBLAS's own threads spin
// after every call, which cost the element-wise kernels their second core).
#ifndef AUTODIM_POOL_H
#define AUTODIM_POOL_H
#include <pthread.h>
#include <stdint.h>

enum { MAX_THREADS = 64 };

typedef void (*part_fn)(void* ctx, int part, int parts);

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t start_cv = PTHREAD_COND_INITIALIZER;
static pthread_cond_t done_cv = PTHREAD_COND_INITIALIZER;
static int threads_wanted = 1;
static int workers_started = 0;
static unsigned long generation = 0;
static int pending = 0;
static part_fn job_fn;
static void* job_ctx;
static int job_parts;

// The generation current when each worker was created (under the lock): a job posted before
// the worker first takes the lock is still seen as new.
static unsigned long born[MAX_THREADS];

// One background task at a time, done by worker 1 in slices between the pool's jobs: work that
// must run in sequence (a random stream) overlaps the caller's without delaying a job by more
// than a slice (a separate thread competed with the pool's workers for the cores and stalled
// every job it shared a core with).
typedef int (*slice_fn)(void* ctx);  // does a bounded slice of the task; returns 1 when it is finished
static slice_fn bg_fn;
static void* bg_ctx;
static pthread_cond_t bg_done_cv = PTHREAD_COND_INITIALIZER;

static void* worker_main(void* arg) {
  int id = (int)(intptr_t)arg;
  pthread_mutex_lock(&mu);
  unsigned long seen = born[id];
  for (;;) {
    while (generation == seen) {
      if (id == 1 && bg_fn) {
        slice_fn fn = bg_fn;
        void* ctx = bg_ctx;
        pthread_mutex_unlock(&mu);
        const int done = fn(ctx);
        pthread_mutex_lock(&mu);
        if (done && bg_ctx == ctx) {
          bg_fn = NULL;
          bg_ctx = NULL;
          pthread_cond_broadcast(&bg_done_cv);
        }
        continue;
      }
      pthread_cond_wait(&start_cv, &mu);
    }
    seen = generation;
    part_fn fn = job_fn;
    void* ctx = job_ctx;
    int parts = job_parts;
    pthread_mutex_unlock(&mu);
    if (id < parts) fn(ctx, id, parts);
    pthread_mutex_lock(&mu);
    if (--pending == 0) pthread_cond_signal(&done_cv);
  }
  return NULL;
}

static void run_parts(part_fn fn, void* ctx, int parts) {
  if (parts > threads_wanted) parts = threads_wanted;
  if (parts > workers_started + 1) parts = workers_started + 1;
  if (parts <= 1) {
    fn(ctx, 0, 1);
    return;
  }
  pthread_mutex_lock(&mu);
  job_fn = fn;
  job_ctx = ctx;
  job_parts = parts;
  pending = workers_started;
  generation++;
  pthread_cond_broadcast(&start_cv);
  pthread_mutex_unlock(&mu);
  fn(ctx, 0, parts);
  pthread_mutex_lock(&mu);
  while (pending > 0) pthread_cond_wait(&done_cv, &mu);
  pthread_mutex_unlock(&mu);
}

// Hands `fn` to worker 1 as the background task; returns 0 (and does nothing) when there is no
// spare worker or a task is already running: the caller then does the work itself.
static int pool_background(slice_fn fn, void* ctx) {
  pthread_mutex_lock(&mu);
  const int ok = !bg_fn && workers_started >= 1 && threads_wanted >= 2;
  if (ok) {
    bg_fn = fn;
    bg_ctx = ctx;
    pthread_cond_broadcast(&start_cv);
  }
  pthread_mutex_unlock(&mu);
  return ok;
}

// Waits until the background task `ctx` (if it is the one running) has finished.
static void pool_background_wait(void* ctx) {
  pthread_mutex_lock(&mu);
  while (bg_fn && bg_ctx == ctx) pthread_cond_wait(&bg_done_cv, &mu);
  pthread_mutex_unlock(&mu);
}

// Sets the thread count (want > 0; starts workers as needed) and returns the count in use.
static int pool_set_threads(int want) {
  if (want > MAX_THREADS) want = MAX_THREADS;
  if (want > 0) {
    pthread_mutex_lock(&mu);
    while (workers_started < want - 1) {
      pthread_t th;
      pthread_attr_t attr;
      pthread_attr_init(&attr);
      pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
      born[workers_started + 1] = generation;
      int ok = pthread_create(&th, &attr, worker_main, (void*)(intptr_t)(workers_started + 1)) == 0;
      pthread_attr_destroy(&attr);
      if (!ok) break;
      workers_started++;
    }
    threads_wanted = want <= workers_started + 1 ? want : workers_started + 1;
    pthread_mutex_unlock(&mu);
  }
  return threads_wanted;
}
#endif
