// autodim_ew: the wasm backend's big element-wise and reduction kernels (Multiply, Add, Sub
// with broadcasting; Sum over any axes) in C, on a small pool of threads; and the row gather
// and its gradient (UnsortedSegmentSum) of float32 tables, on one. The search step's
// mixture tensor [batch, fields, candidates, 32] (12.5M floats at batch 2000) goes through
// these about 20 times a step; on wasm they took ~45% of it on one thread.
//
// Results equal the stock wasm kernels bit for bit, whatever the thread count: an element-wise
// result is one IEEE operation, and each Sum output is accumulated by one thread, from 0, in the
// input's row-major order (the order of the stock kernel, which transposes the reduced axes
// innermost and adds them one by one). Compiled with -ffp-contract=off: no fused multiply-adds.
#include "napi_helpers.h"
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

enum { MAX_THREADS = 64, RANK = 4 };

// ---- the pool: the calling thread does part 0, workers 1..parts-1 ----

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

static void* worker_main(void* arg) {
  int id = (int)(intptr_t)arg;
  pthread_mutex_lock(&mu);
  unsigned long seen = born[id];
  for (;;) {
    while (generation == seen) pthread_cond_wait(&start_cv, &mu);
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

// Below this many elements a second thread costs more than it saves (measured: the re-train's
// [2000, 128] dropout products, 256k elements, were slower split in two).
static const int64_t PARALLEL_MIN = 1 << 19;

// ---- broadcasting binary ops ----

typedef struct {
  int op;  // 0 multiply, 1 add, 2 sub
  const float* a;
  const float* b;
  float* o;
  int rank;
  int64_t shape[RANK];
  int64_t sa[RANK], sb[RANK];
  int64_t total;
} binary_t;

static inline void row_op(int op, const float* restrict a, int64_t sa, const float* restrict b, int64_t sb, float* restrict o, int64_t n) {
  // The four stride patterns as separate loops, so each vectorises.
#define LOOPS(EXPR)                                               \
  if (sa == 1 && sb == 1)                                         \
    for (int64_t j = 0; j < n; j++) o[j] = a[j] EXPR b[j];        \
  else if (sa == 1)                                               \
    for (int64_t j = 0; j < n; j++) o[j] = a[j] EXPR b[0];        \
  else if (sb == 1)                                               \
    for (int64_t j = 0; j < n; j++) o[j] = a[0] EXPR b[j];        \
  else                                                            \
    for (int64_t j = 0; j < n; j++) o[j] = a[0] EXPR b[0];
  if (op == 0) {
    LOOPS(*)
  } else if (op == 1) {
    LOOPS(+)
  } else {
    LOOPS(-)
  }
#undef LOOPS
}

// Elements [lo, hi) of the output, row by row (a row = the last dimension).
static void binary_part(void* c, int part, int parts) {
  const binary_t* t = c;
  const int r = t->rank;
  const int64_t inner = t->shape[r - 1];
  int64_t lo = t->total * part / parts, hi = t->total * (part + 1) / parts;
  if (lo >= hi) return;
  int64_t idx[RANK] = {0};
  int64_t rem = lo / inner;
  for (int k = r - 2; k >= 0; k--) {
    idx[k] = rem % t->shape[k];
    rem /= t->shape[k];
  }
  int64_t col = lo % inner;
  int64_t pos = lo;
  while (pos < hi) {
    int64_t offa = 0, offb = 0;
    for (int k = 0; k < r - 1; k++) {
      offa += idx[k] * t->sa[k];
      offb += idx[k] * t->sb[k];
    }
    int64_t n = inner - col;
    if (n > hi - pos) n = hi - pos;
    const int64_t sa = t->sa[r - 1], sb = t->sb[r - 1];
    row_op(t->op, t->a + offa + col * sa, sa, t->b + offb + col * sb, sb, t->o + pos, n);
    pos += n;
    col = 0;
    for (int k = r - 2; k >= 0; k--) {
      if (++idx[k] < t->shape[k]) break;
      idx[k] = 0;
    }
  }
}

// Reads a JS array of ≤ RANK non-negative integers.
static int read_dims(napi_env env, napi_value v, int64_t* out, int* n) {
  bool is_array;
  uint32_t len;
  if (napi_is_array(env, v, &is_array) != napi_ok || !is_array || napi_get_array_length(env, v, &len) != napi_ok || len > RANK) return 0;
  for (uint32_t i = 0; i < len; i++) {
    napi_value e;
    int64_t x;
    if (napi_get_element(env, v, i, &e) != napi_ok || napi_get_value_int64(env, e, &x) != napi_ok || x < 0) return 0;
    out[i] = x;
  }
  *n = (int)len;
  return 1;
}

// binary(op, a, aShape, b, bShape, out, outShape): out = a op b, numpy broadcasting; shapes
// right-aligned, each of rank ≤ 4; op 0 multiply, 1 add, 2 subtract.
static napi_value Binary(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t op;
  int64_t as[RANK], bs[RANK], os[RANK];
  int ar, br, orank;
  size_t la, lb, lo;
  const float* a = argc == 7 ? typed(env, argv[1], napi_float32_array, &la) : NULL;
  const float* b = argc == 7 ? typed(env, argv[3], napi_float32_array, &lb) : NULL;
  float* o = argc == 7 ? typed(env, argv[5], napi_float32_array, &lo) : NULL;
  if (!a || !b || !o || napi_get_value_int32(env, argv[0], &op) != napi_ok || op < 0 || op > 2 || !read_dims(env, argv[2], as, &ar) || !read_dims(env, argv[4], bs, &br) ||
      !read_dims(env, argv[6], os, &orank) || orank < ar || orank < br || orank < 1) {
    napi_throw_type_error(env, NULL, "autodim_ew.binary(op, a, aShape, b, bShape, out, outShape): bad arguments");
    return NULL;
  }
  binary_t t = {.op = op, .a = a, .b = b, .o = o};
  // Right-align to the output's rank; a dimension of 1 against a larger one broadcasts (stride 0).
  int64_t shape[RANK], sa[RANK], sb[RANK];
  int64_t stride_a = 1, stride_b = 1, total = 1;
  for (int k = orank - 1; k >= 0; k--) {
    int ka = k - (orank - ar), kb = k - (orank - br);
    int64_t da = ka >= 0 ? as[ka] : 1, db = kb >= 0 ? bs[kb] : 1;
    if ((da != os[k] && da != 1) || (db != os[k] && db != 1)) {
      napi_throw_range_error(env, NULL, "autodim_ew.binary: shapes do not broadcast to the output");
      return NULL;
    }
    shape[k] = os[k];
    sa[k] = da == 1 ? 0 : stride_a;
    sb[k] = db == 1 ? 0 : stride_b;
    stride_a *= da;
    stride_b *= db;
    total *= os[k];
  }
  if ((size_t)stride_a > la || (size_t)stride_b > lb || (size_t)total > lo) {
    napi_throw_range_error(env, NULL, "autodim_ew.binary: shapes do not fit the arrays");
    return NULL;
  }
  if (total == 0) return NULL;
  // Merge neighbouring dimensions where both operands step alike (fewer, longer rows).
  int r = 0;
  for (int k = 0; k < orank; k++) {
    if (shape[k] == 1) continue;
    if (r > 0 && sa[k] * shape[k] == t.sa[r - 1] && sb[k] * shape[k] == t.sb[r - 1]) {
      t.shape[r - 1] *= shape[k];
      t.sa[r - 1] = sa[k];
      t.sb[r - 1] = sb[k];
    } else {
      t.shape[r] = shape[k];
      t.sa[r] = sa[k];
      t.sb[r] = sb[k];
      r++;
    }
  }
  if (r == 0) {
    t.shape[0] = 1;
    t.sa[0] = t.sb[0] = 0;
    r = 1;
  }
  t.rank = r;
  t.total = total;
  run_parts(binary_part, &t, total >= PARALLEL_MIN ? threads_wanted : 1);
  return NULL;
}

// ---- Sum over axes ----

typedef struct {
  const float* x;
  float* o;
  int rank;
  int64_t shape[RANK];
  int64_t xs[RANK];  // input strides (row-major)
  int64_t os[RANK];  // output strides, 0 on reduced axes
  bool reduced[RANK];
  int split;         // the kept axis divided between threads, -1 for none
} sum_t;

static void sum_part(void* c, int part, int parts) {
  const sum_t* t = c;
  const int r = t->rank;
  int64_t lo[RANK], hi[RANK];
  for (int k = 0; k < r; k++) {
    lo[k] = 0;
    hi[k] = t->shape[k];
  }
  if (t->split >= 0) {
    int64_t n = t->shape[t->split];
    lo[t->split] = n * part / parts;
    hi[t->split] = n * (part + 1) / parts;
    if (lo[t->split] >= hi[t->split]) return;
  }
  int64_t idx[RANK];
  for (int k = 0; k < r; k++) idx[k] = lo[k];
  const int64_t n = hi[r - 1] - lo[r - 1];
  for (;;) {
    int64_t xo = 0, oo = 0;
    for (int k = 0; k < r - 1; k++) {
      xo += idx[k] * t->xs[k];
      oo += idx[k] * t->os[k];
    }
    const float* restrict xp = t->x + xo + lo[r - 1];
    if (t->reduced[r - 1]) {
      // One output: its elements one after another, as the stock kernel adds them.
      float acc = t->o[oo];
      for (int64_t j = 0; j < n; j++) acc += xp[j];
      t->o[oo] = acc;
    } else {
      float* restrict op = t->o + oo + lo[r - 1];
      for (int64_t j = 0; j < n; j++) op[j] += xp[j];
    }
    int k = r - 2;
    for (; k >= 0; k--) {
      if (++idx[k] < hi[k]) break;
      idx[k] = lo[k];
    }
    if (k < 0) break;
  }
}

// sum(x, shape, reducedAxes, out): out = Σ of x over the axes flagged in reducedAxes (an array
// of booleans, one per dimension of `shape`, rank ≤ 4); out has the kept dimensions, in order.
static napi_value Sum(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int64_t shape[RANK];
  int rank;
  size_t lx, lo;
  const float* x = argc == 4 ? typed(env, argv[0], napi_float32_array, &lx) : NULL;
  float* o = argc == 4 ? typed(env, argv[3], napi_float32_array, &lo) : NULL;
  if (!x || !o || !read_dims(env, argv[1], shape, &rank) || rank < 1) {
    napi_throw_type_error(env, NULL, "autodim_ew.sum(x, shape, reducedAxes, out): bad arguments");
    return NULL;
  }
  bool reduced[RANK];
  for (int k = 0; k < rank; k++) {
    napi_value e;
    if (napi_get_element(env, argv[2], (uint32_t)k, &e) != napi_ok || napi_get_value_bool(env, e, &reduced[k]) != napi_ok) {
      napi_throw_type_error(env, NULL, "autodim_ew.sum: reducedAxes must hold one boolean per dimension");
      return NULL;
    }
  }
  int64_t total = 1, out_total = 1;
  for (int k = 0; k < rank; k++) {
    total *= shape[k];
    if (!reduced[k]) out_total *= shape[k];
  }
  if ((size_t)total > lx || (size_t)out_total > lo) {
    napi_throw_range_error(env, NULL, "autodim_ew.sum: shapes do not fit the arrays");
    return NULL;
  }
  memset(o, 0, sizeof(float) * (size_t)out_total);
  if (total == 0) return NULL;
  // Merge neighbouring dimensions that are both reduced or both kept.
  sum_t t = {.x = x, .o = o, .split = -1};
  int r = 0;
  for (int k = 0; k < rank; k++) {
    if (shape[k] == 1) continue;
    if (r > 0 && t.reduced[r - 1] == reduced[k])
      t.shape[r - 1] *= shape[k];
    else {
      t.shape[r] = shape[k];
      t.reduced[r] = reduced[k];
      r++;
    }
  }
  if (r == 0) {
    t.shape[0] = 1;
    t.reduced[0] = true;
    r = 1;
  }
  t.rank = r;
  int64_t xs = 1, os = 1;
  for (int k = r - 1; k >= 0; k--) {
    t.xs[k] = xs;
    xs *= t.shape[k];
    t.os[k] = t.reduced[k] ? 0 : os;
    if (!t.reduced[k]) os *= t.shape[k];
  }
  // Threads divide the largest kept axis: each output is still added up by one thread, in order.
  for (int k = 0; k < r; k++)
    if (!t.reduced[k] && (t.split < 0 || t.shape[k] > t.shape[t.split])) t.split = k;
  int parts = t.split >= 0 && total >= PARALLEL_MIN ? threads_wanted : 1;
  if (t.split >= 0 && t.shape[t.split] < parts) parts = (int)t.shape[t.split];
  run_parts(sum_part, &t, parts);
  return NULL;
}

// segmentSum(x, inner, ids, numSegments, out): out[s, :] = Σ_{i: ids[i] = s} x[i, :] (ids outside
// [0, numSegments) dropped, as TensorFlow does), in the order of i — the JS loop's order and, since
// a float sum rounded from double equals the float sum, its bits. One thread: a scatter.
static napi_value SegmentSum(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  size_t lx, lids, lo;
  int32_t inner, segments;
  const float* x = argc == 5 ? typed(env, argv[0], napi_float32_array, &lx) : NULL;
  const int32_t* ids = argc == 5 ? typed(env, argv[2], napi_int32_array, &lids) : NULL;
  float* o = argc == 5 ? typed(env, argv[4], napi_float32_array, &lo) : NULL;
  if (!x || !ids || !o || napi_get_value_int32(env, argv[1], &inner) != napi_ok || napi_get_value_int32(env, argv[3], &segments) != napi_ok || inner < 1 || segments < 0 ||
      lx < lids * (size_t)inner || lo < (size_t)segments * (size_t)inner) {
    napi_throw_range_error(env, NULL, "autodim_ew.segmentSum(x, inner, ids, numSegments, out): bad arguments");
    return NULL;
  }
  memset(o, 0, sizeof(float) * (size_t)segments * (size_t)inner);
  for (size_t i = 0; i < lids; i++) {
    const int32_t sgm = ids[i];
    if (sgm < 0 || sgm >= segments) continue;
    float* restrict dst = o + (size_t)sgm * inner;
    const float* restrict src = x + i * (size_t)inner;
    for (int32_t j = 0; j < inner; j++) dst[j] += src[j];
  }
  return NULL;
}

// gatherRows(x, rows, inner, ids, out): out[i, :] = x[ids[i], :]; returns -1, or the position of
// the first id outside [0, rows) (nothing is read for it).
static napi_value GatherRows(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  size_t lx, lids, lo;
  int32_t rows, inner;
  const float* x = argc == 5 ? typed(env, argv[0], napi_float32_array, &lx) : NULL;
  const int32_t* ids = argc == 5 ? typed(env, argv[3], napi_int32_array, &lids) : NULL;
  float* o = argc == 5 ? typed(env, argv[4], napi_float32_array, &lo) : NULL;
  if (!x || !ids || !o || napi_get_value_int32(env, argv[1], &rows) != napi_ok || napi_get_value_int32(env, argv[2], &inner) != napi_ok || inner < 1 || rows < 0 ||
      lx < (size_t)rows * (size_t)inner || lo < lids * (size_t)inner) {
    napi_throw_range_error(env, NULL, "autodim_ew.gatherRows(x, rows, inner, ids, out): bad arguments");
    return NULL;
  }
  int32_t bad = -1;
  for (size_t i = 0; i < lids; i++) {
    const int32_t r = ids[i];
    if (r < 0 || r >= rows) {
      bad = (int32_t)i;
      break;
    }
    memcpy(o + i * (size_t)inner, x + (size_t)r * inner, sizeof(float) * (size_t)inner);
  }
  napi_value out;
  CHECK(napi_create_int32(env, bad, &out));
  return out;
}

// threads(n): the threads these kernels use (n > 0 sets it, starting workers as needed);
// returns the count in use.
static napi_value Threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t want = 0;
  if (argc == 1) CHECK(napi_get_value_int32(env, argv[0], &want));
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
  napi_value out;
  CHECK(napi_create_int32(env, threads_wanted, &out));
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"binary", NULL, Binary, NULL, NULL, NULL, napi_default, NULL},
      {"sum", NULL, Sum, NULL, NULL, NULL, napi_default, NULL},
      {"segmentSum", NULL, SegmentSum, NULL, NULL, NULL, napi_default, NULL},
      {"gatherRows", NULL, GatherRows, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, Threads, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, 5, props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
