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
#include "pool.h"
#include <stdbool.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { RANK = 4 };

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

// ---- the search's mixture: BatchNorm over (batch, coordinates) + weighted sum over candidates ----
//
// AutoDim's forward, per field f: y[b,f,n,:] = (x[b,f,n,:] − μ[f,n]) · rsqrt(σ²[f,n] + ε) over the
// real coordinates d < dims[n] of candidate n (all D after a linear unification, d_n when
// zero-padded; the rest of y is 0), then out[b,f,:] = scale · Σ_n p[f,n] · y[b,f,n,:]. Composed
// from tfjs ops this reads or writes the [B, F, N, D] tensor ~20 times a step; fused, forward
// reads it 2 times and backward 2 times (+ one write). Each thread owns a range of fields and
// every sum is accumulated in one fixed order, so results do not depend on the thread count.
// They differ from the composed ops by float rounding only.

enum { MAX_CANDIDATES = 64 };

typedef struct {
  const float* x;   // [B, F, N, D]
  const float* p;   // [F, N]
  const float* g;   // backward: d loss / d out [B, F, D]
  float* out;       // forward: [B, F, D]
  float* mean;      // [F, N] (forward writes, backward reads)
  float* var;       // [F, N] biased variance, as BatchNorm normalises by
  float* dx;        // backward: [B, F, N, D]
  float* dp;        // backward: [F, N]
  int64_t B, F, N, D;
  int32_t dims[MAX_CANDIDATES];
  float scale, eps;
} mix_t;

static void field_range(const mix_t* t, int part, int parts, int64_t* lo, int64_t* hi) {
  *lo = t->F * part / parts;
  *hi = t->F * (part + 1) / parts;
}

// Per-(field, candidate, coordinate) accumulators: the inner loop over d is element-wise and
// vectorises (one running sum is one long dependency chain), and each sum's order is fixed (over b
// in float lanes, as tfjs's own float32 Sum; then over d in double) whatever the thread count.
static float* lanes(int64_t n) { return calloc((size_t)n, sizeof(float)); }

static double lane_total(const float* acc, int32_t dn) {
  double s = 0;
  for (int32_t d = 0; d < dn; d++) s += acc[d];
  return s;
}

// Forward: mean and variance in one pass over x, shifted by the first row's mean per (field,
// candidate) so that Σ(x − k)² − (Σ(x − k))²/n does not cancel; then one pass for the output.
static void mix_forward_part(void* c, int part, int parts) {
  const mix_t* t = c;
  int64_t f0, f1;
  field_range(t, part, parts, &f0, &f1);
  const int64_t F = t->F, N = t->N, D = t->D, nf = f1 - f0;
  if (nf <= 0) return;
  float* s1 = lanes(nf * N * D);
  float* s2 = lanes(nf * N * D);
  float* k = malloc(sizeof(float) * (size_t)(nf * N * 3));  // shift, mean, rstd per (field, candidate)
  if (!s1 || !s2 || !k) abort();                           // a few kB: no recovery worth having
  float *shift = k, *mean = k + nf * N, *rstd = k + 2 * nf * N;
  for (int64_t f = f0; f < f1; f++)
    for (int64_t n = 0; n < N; n++) {
      const float* xr = t->x + (f * N + n) * D;
      shift[(f - f0) * N + n] = (float)(lane_total(xr, t->dims[n]) / t->dims[n]);
    }
  for (int64_t b = 0; b < t->B; b++)
    for (int64_t f = f0; f < f1; f++)
      for (int64_t n = 0; n < N; n++) {
        const float* restrict xr = t->x + ((b * F + f) * N + n) * D;
        const int64_t i = (f - f0) * N + n;
        float* restrict a1 = s1 + i * D;
        float* restrict a2 = s2 + i * D;
        const float sh = shift[i];
        for (int32_t d = 0; d < t->dims[n]; d++) {
          const float c = xr[d] - sh;
          a1[d] += c;
          a2[d] += c * c;
        }
      }
  for (int64_t f = f0; f < f1; f++)
    for (int64_t n = 0; n < N; n++) {
      const int64_t i = (f - f0) * N + n;
      const double count = (double)t->B * t->dims[n];
      const double m1 = lane_total(s1 + i * D, t->dims[n]) / count;
      const double v = lane_total(s2 + i * D, t->dims[n]) / count - m1 * m1;
      mean[i] = (float)(shift[i] + m1);
      t->mean[f * N + n] = mean[i];
      t->var[f * N + n] = (float)(v > 0 ? v : 0);
      rstd[i] = 1.0f / sqrtf(t->var[f * N + n] + t->eps);
    }
  for (int64_t b = 0; b < t->B; b++)
    for (int64_t f = f0; f < f1; f++) {
      float* restrict o = t->out + (b * F + f) * D;
      for (int64_t d = 0; d < D; d++) o[d] = 0;
      for (int64_t n = 0; n < N; n++) {
        const float* restrict xr = t->x + ((b * F + f) * N + n) * D;
        const int64_t i = (f - f0) * N + n;
        const float m = mean[i], w = t->scale * t->p[f * N + n] * rstd[i];
        for (int32_t d = 0; d < t->dims[n]; d++) o[d] += w * (xr[d] - m);
      }
    }
  free(s1);
  free(s2);
  free(k);
}

static void mix_backward_part(void* c, int part, int parts) {
  const mix_t* t = c;
  int64_t f0, f1;
  field_range(t, part, parts, &f0, &f1);
  const int64_t F = t->F, N = t->N, D = t->D, nf = f1 - f0;
  if (nf <= 0) return;
  float* gsum = lanes(nf * N * D);
  float* gy = lanes(nf * N * D);
  float* k = malloc(sizeof(float) * (size_t)(nf * N * 4));  // rstd, a, c0, c1 per (field, candidate)
  if (!gsum || !gy || !k) abort();
  float *rstd = k, *a = k + nf * N, *c0 = k + 2 * nf * N, *c1 = k + 3 * nf * N;
  for (int64_t f = f0; f < f1; f++)
    for (int64_t n = 0; n < N; n++) rstd[(f - f0) * N + n] = 1.0f / sqrtf(t->var[f * N + n] + t->eps);
  // Σ g and Σ g·y per (field, candidate) over the batch and the real coordinates.
  for (int64_t b = 0; b < t->B; b++)
    for (int64_t f = f0; f < f1; f++) {
      const float* restrict g = t->g + (b * F + f) * D;
      for (int64_t n = 0; n < N; n++) {
        const float* restrict xr = t->x + ((b * F + f) * N + n) * D;
        const int64_t i = (f - f0) * N + n;
        float* restrict s = gsum + i * D;
        float* restrict sy = gy + i * D;
        const float m = t->mean[f * N + n], r = rstd[i];
        for (int32_t d = 0; d < t->dims[n]; d++) {
          s[d] += g[d];
          sy[d] += g[d] * ((xr[d] - m) * r);
        }
      }
    }
  // dp = scale·Σ g·y; with dy = scale·p·g, BatchNorm's gradient
  // dx = r·(dy − mean(dy) − y·mean(dy·y)) = a·g − c0 − c1·y on the real coordinates.
  for (int64_t f = f0; f < f1; f++)
    for (int64_t n = 0; n < N; n++) {
      const int64_t i = (f - f0) * N + n;
      const double count = (double)t->B * t->dims[n];
      const double p = t->p[f * N + n];
      const double dp = (double)t->scale * lane_total(gy + i * D, t->dims[n]);
      t->dp[f * N + n] = (float)dp;
      a[i] = (float)(rstd[i] * t->scale * p);
      c0[i] = (float)(rstd[i] * t->scale * p * lane_total(gsum + i * D, t->dims[n]) / count);
      c1[i] = (float)(rstd[i] * p * dp / count);
    }
  for (int64_t b = 0; b < t->B; b++)
    for (int64_t f = f0; f < f1; f++) {
      const float* restrict g = t->g + (b * F + f) * D;
      for (int64_t n = 0; n < N; n++) {
        const int64_t row = ((b * F + f) * N + n) * D;
        const float* restrict xr = t->x + row;
        float* restrict o = t->dx + row;
        const int64_t i = (f - f0) * N + n;
        const float m = t->mean[f * N + n], r = rstd[i], ai = a[i], c0i = c0[i], c1i = c1[i];
        const int32_t dn = t->dims[n];
        for (int32_t d = 0; d < dn; d++) o[d] = ai * g[d] - c0i - c1i * ((xr[d] - m) * r);
        for (int64_t d = dn; d < D; d++) o[d] = 0;
      }
    }
  free(gsum);
  free(gy);
  free(k);
}

// Reads the shape [B, F, N, D], the real coordinates per candidate and scale/eps shared by both calls.
static int read_mix(napi_env env, napi_value shape, napi_value dims, napi_value scale, napi_value eps, mix_t* t) {
  int64_t s[RANK];
  int rank;
  double sc, ep;
  uint32_t len;
  if (!read_dims(env, shape, s, &rank) || rank != 4 || napi_get_value_double(env, scale, &sc) != napi_ok || napi_get_value_double(env, eps, &ep) != napi_ok ||
      napi_get_array_length(env, dims, &len) != napi_ok || (int64_t)len != s[2] || len > MAX_CANDIDATES || len == 0)
    return 0;
  t->B = s[0];
  t->F = s[1];
  t->N = s[2];
  t->D = s[3];
  t->scale = (float)sc;
  t->eps = (float)ep;
  for (uint32_t n = 0; n < len; n++) {
    napi_value e;
    if (napi_get_element(env, dims, n, &e) != napi_ok || napi_get_value_int32(env, e, &t->dims[n]) != napi_ok || t->dims[n] < 1 || t->dims[n] > t->D) return 0;
  }
  return t->B > 0;
}

static int mix_parts(const mix_t* t) {
  int parts = t->B * t->F * t->N * t->D >= PARALLEL_MIN ? threads_wanted : 1;
  return parts > t->F ? (int)t->F : parts;
}

// mixForward(x, shape, dims, p, scale, eps, out, mean, variance)
static napi_value MixForward(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mix_t t = {0};
  size_t lx, lp, lo, lm, lv;
  t.x = argc == 9 ? typed(env, argv[0], napi_float32_array, &lx) : NULL;
  t.p = argc == 9 ? typed(env, argv[3], napi_float32_array, &lp) : NULL;
  t.out = argc == 9 ? typed(env, argv[6], napi_float32_array, &lo) : NULL;
  t.mean = argc == 9 ? typed(env, argv[7], napi_float32_array, &lm) : NULL;
  t.var = argc == 9 ? typed(env, argv[8], napi_float32_array, &lv) : NULL;
  if (!t.x || !t.p || !t.out || !t.mean || !t.var || !read_mix(env, argv[1], argv[2], argv[4], argv[5], &t) || lx < (size_t)(t.B * t.F * t.N * t.D) ||
      lp < (size_t)(t.F * t.N) || lo < (size_t)(t.B * t.F * t.D) || lm < (size_t)(t.F * t.N) || lv < (size_t)(t.F * t.N)) {
    napi_throw_type_error(env, NULL, "autodim_ew.mixForward(x, [B, F, N, D], dims, p, scale, eps, out, mean, variance): bad arguments");
    return NULL;
  }
  run_parts(mix_forward_part, &t, mix_parts(&t));
  return NULL;
}

// mixBackward(g, x, shape, dims, p, scale, eps, mean, variance, dx, dp)
static napi_value MixBackward(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  mix_t t = {0};
  size_t lg, lx, lp, lm, lv, ldx, ldp;
  const int ok = argc == 11;
  t.g = ok ? typed(env, argv[0], napi_float32_array, &lg) : NULL;
  t.x = ok ? typed(env, argv[1], napi_float32_array, &lx) : NULL;
  t.p = ok ? typed(env, argv[4], napi_float32_array, &lp) : NULL;
  t.mean = ok ? typed(env, argv[7], napi_float32_array, &lm) : NULL;
  t.var = ok ? typed(env, argv[8], napi_float32_array, &lv) : NULL;
  t.dx = ok ? typed(env, argv[9], napi_float32_array, &ldx) : NULL;
  t.dp = ok ? typed(env, argv[10], napi_float32_array, &ldp) : NULL;
  if (!t.g || !t.x || !t.p || !t.mean || !t.var || !t.dx || !t.dp || !read_mix(env, argv[2], argv[3], argv[5], argv[6], &t)) {
    napi_throw_type_error(env, NULL, "autodim_ew.mixBackward(g, x, [B, F, N, D], dims, p, scale, eps, mean, variance, dx, dp): bad arguments");
    return NULL;
  }
  const size_t big = (size_t)(t.B * t.F * t.N * t.D), fn = (size_t)(t.F * t.N);
  if (lg < (size_t)(t.B * t.F * t.D) || lx < big || ldx < big || lp < fn || lm < fn || lv < fn || ldp < fn) {
    napi_throw_range_error(env, NULL, "autodim_ew.mixBackward: shapes do not fit the arrays");
    return NULL;
  }
  run_parts(mix_backward_part, &t, mix_parts(&t));
  return NULL;
}

// dropoutMask(state, rate, keep, out): out[i] = u_i < rate ? 0 : keep, u_i the stream's next
// uniform — seedrandom's alea `double()` (two alea steps, 53 bits), the same IEEE double
// operations in the same order, so the same bits as RandomStream's JS loop; `state` [s0, s1, s2, c]
// (a Float64Array) is advanced in place. One thread: it is one sequence.
static inline double alea_next(double* s) {
  const double t = 2091639.0 * s[0] + s[3] * 2.3283064365386963e-10;  // 2^-32
  s[0] = s[1];
  s[1] = s[2];
  s[3] = (double)(int32_t)t;  // JS `t | 0`; 0 ≤ t < 2^31
  return s[2] = t - s[3];
}

// seedrandom's `double()`: two steps, 53 bits (the first call's value is taken first).
static inline double alea_double(double* s) {
  const double hi = alea_next(s);
  return hi + (double)(int32_t)(alea_next(s) * 2097152.0) * 1.1102230246251565e-16;  // 2^21, 2^-53
}

static napi_value DropoutMask(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  size_t ls, lo;
  double rate, keep;
  double* state = argc == 4 ? typed(env, argv[0], napi_float64_array, &ls) : NULL;
  float* out = argc == 4 ? typed(env, argv[3], napi_float32_array, &lo) : NULL;
  if (!state || ls != 4 || !out || napi_get_value_double(env, argv[1], &rate) != napi_ok || napi_get_value_double(env, argv[2], &keep) != napi_ok) {
    napi_throw_type_error(env, NULL, "autodim_ew.dropoutMask(state: Float64Array(4), rate, keep, out: Float32Array): bad arguments");
    return NULL;
  }
  const float kept = (float)keep;
  for (size_t i = 0; i < lo; i++) {
    out[i] = alea_double(state) < rate ? 0.0f : kept;
  }
  return NULL;
}

// aleaAhead(state, out) → job: draws out.length uniforms of the stream (as dropoutMask draws
// them) into the Float64Array `out` as the pool's background task (pool.h), so a training step's
// dropout draws (one sequence: it cannot be split) overlap the step's other work; without a spare
// worker they are drawn here and now. aleaJoin(job, state) waits for them and writes the stream's
// state after the last draw into `state`. The caller keeps `out` alive until the join.
typedef struct {
  double state[4];
  double* out;
  size_t n, done;
} alea_job_t;

enum { ALEA_SLICE = 2048 };  // ~25 µs: the longest a pool job waits for the background worker

static int alea_slice(void* ctx) {
  alea_job_t* j = ctx;
  size_t end = j->done + ALEA_SLICE < j->n ? j->done + ALEA_SLICE : j->n;
  for (size_t i = j->done; i < end; i++) j->out[i] = alea_double(j->state);
  j->done = end;
  return end == j->n;
}

static void alea_job_finalize(napi_env env, void* data, void* hint) {
  (void)env;
  (void)hint;
  pool_background_wait(data);
  free(data);
}

static napi_value AleaAhead(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  size_t ls, lo;
  const double* state = argc == 2 ? typed(env, argv[0], napi_float64_array, &ls) : NULL;
  double* out = argc == 2 ? typed(env, argv[1], napi_float64_array, &lo) : NULL;
  if (!state || ls != 4 || !out) {
    napi_throw_type_error(env, NULL, "autodim_ew.aleaAhead(state: Float64Array(4), out: Float64Array): bad arguments");
    return NULL;
  }
  alea_job_t* j = calloc(1, sizeof *j);
  if (!j) {
    napi_throw_error(env, NULL, "autodim_ew.aleaAhead: out of memory");
    return NULL;
  }
  memcpy(j->state, state, sizeof j->state);
  j->out = out;
  j->n = lo;
  if (lo > 0 && !pool_background(alea_slice, j))
    while (!alea_slice(j)) {
    }
  napi_value handle;
  CHECK(napi_create_external(env, j, alea_job_finalize, NULL, &handle));
  return handle;
}

static napi_value AleaJoin(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  void* data = NULL;
  size_t ls;
  double* state = argc == 2 ? typed(env, argv[1], napi_float64_array, &ls) : NULL;
  if (!state || ls != 4 || napi_get_value_external(env, argv[0], &data) != napi_ok || !data) {
    napi_throw_type_error(env, NULL, "autodim_ew.aleaJoin(job, state: Float64Array(4)): bad arguments");
    return NULL;
  }
  pool_background_wait(data);
  memcpy(state, ((alea_job_t*)data)->state, sizeof(double) * 4);
  return NULL;
}

// threads(n): the threads these kernels use (n > 0 sets it, starting workers as needed);
// returns the count in use.
static napi_value Threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t want = 0;
  if (argc == 1) CHECK(napi_get_value_int32(env, argv[0], &want));
  napi_value out;
  CHECK(napi_create_int32(env, pool_set_threads(want), &out));
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"binary", NULL, Binary, NULL, NULL, NULL, napi_default, NULL},
      {"sum", NULL, Sum, NULL, NULL, NULL, napi_default, NULL},
      {"segmentSum", NULL, SegmentSum, NULL, NULL, NULL, napi_default, NULL},
      {"gatherRows", NULL, GatherRows, NULL, NULL, NULL, napi_default, NULL},
      {"mixForward", NULL, MixForward, NULL, NULL, NULL, napi_default, NULL},
      {"mixBackward", NULL, MixBackward, NULL, NULL, NULL, napi_default, NULL},
      {"dropoutMask", NULL, DropoutMask, NULL, NULL, NULL, napi_default, NULL},
      {"aleaAhead", NULL, AleaAhead, NULL, NULL, NULL, napi_default, NULL},
      {"aleaJoin", NULL, AleaJoin, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, Threads, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, 10, props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
