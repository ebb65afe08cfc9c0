// autodim_sparse: the per-row loops of the sparse embedding tables (src/tables/sparse.ts)
// in C. A table keeps each row as [x(dim), m(dim), v(dim)] in one Float32Array; a step
// gathers the rows its batch touches and applies lazy Adam to them. In JS each row costs
// ~150–300 ns of arithmetic (every float widened to double and back) plus a cache and TLB
// miss that waits alone; here the arithmetic is a few ns and the rows a few ahead are
// prefetched, so the misses overlap. Results are bit-identical to the JS loops: the same
// double-precision operations in the same order (no FMA contraction: -ffp-contract=off).
#include <math.h>
#include "napi_helpers.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

// Rows prefetched ahead of the one being worked on.
enum { AHEAD = 6 };

static inline void prefetch_row(const float* row, int32_t span) {
  for (int32_t o = 0; o < span; o += 16) __builtin_prefetch(row + o, 1, 3);
}

// Reads (store, stride, dim, rows) and checks every row index against the store.
static int table_args(napi_env env, napi_value* argv, float** store, int32_t* stride, int32_t* dim, const int32_t** rows, size_t* n) {
  size_t length;
  *store = typed(env, argv[0], napi_float32_array, &length);
  if (!*store || napi_get_value_int32(env, argv[1], stride) != napi_ok || napi_get_value_int32(env, argv[2], dim) != napi_ok) return 0;
  *rows = typed(env, argv[3], napi_int32_array, n);
  if (!*rows || *dim < 1 || *stride < *dim) return 0;
  size_t count = length / (size_t)*stride;
  for (size_t i = 0; i < *n; i++)
    if ((*rows)[i] < 0 || (size_t)(*rows)[i] >= count) return 0;
  return 1;
}

// gather(store, stride, dim, rows, out): out[i, :] = x of row rows[i].
static napi_value Gather(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float* store;
  int32_t stride, dim;
  const int32_t* rows;
  size_t n, lout;
  float* out = argc == 5 ? typed(env, argv[4], napi_float32_array, &lout) : NULL;
  if (!out || !table_args(env, argv, &store, &stride, &dim, &rows, &n) || lout < n * (size_t)dim) {
    napi_throw_range_error(env, NULL, "autodim_sparse.gather(store, stride, dim, rows, out): bad arguments or a row out of range");
    return NULL;
  }
  for (size_t i = 0; i < n; i++) {
    if (i + AHEAD < n) prefetch_row(store + (size_t)rows[i + AHEAD] * stride, dim);
    const float* x = store + (size_t)rows[i] * stride;
    float* o = out + i * dim;
    for (int32_t j = 0; j < dim; j++) o[j] = x[j];
  }
  return NULL;
}

// adam(store, stride, dim, rows, grads, lr, beta1, beta2, eps, c1, c2): one lazy-Adam step
// on the given rows, c1 = 1/(1−β1^t), c2 = 1/(1−β2^t); the arithmetic of SparseTable.applyAdam.
static napi_value Adam(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  float* store;
  int32_t stride, dim;
  const int32_t* rows;
  size_t n, lg;
  const float* grads = argc == 11 ? typed(env, argv[4], napi_float32_array, &lg) : NULL;
  if (!grads || !table_args(env, argv, &store, &stride, &dim, &rows, &n) || lg < n * (size_t)dim || stride < 3 * dim) {
    napi_throw_range_error(env, NULL, "autodim_sparse.adam(store, stride, dim, rows, grads, lr, b1, b2, eps, c1, c2): bad arguments or a row out of range");
    return NULL;
  }
  double lr, b1, b2, eps, c1, c2;
  CHECK(napi_get_value_double(env, argv[5], &lr));
  CHECK(napi_get_value_double(env, argv[6], &b1));
  CHECK(napi_get_value_double(env, argv[7], &b2));
  CHECK(napi_get_value_double(env, argv[8], &eps));
  CHECK(napi_get_value_double(env, argv[9], &c1));
  CHECK(napi_get_value_double(env, argv[10], &c2));
  const double a1 = 1 - b1, a2 = 1 - b2;
  for (size_t i = 0; i < n; i++) {
    if (i + AHEAD < n) prefetch_row(store + (size_t)rows[i + AHEAD] * stride, 3 * dim);
    float* x = store + (size_t)rows[i] * stride;
    float* m = x + dim;
    float* v = x + 2 * dim;
    const float* g = grads + i * dim;
    for (int32_t j = 0; j < dim; j++) {
      const double gj = g[j];
      const double mk = b1 * m[j] + a1 * gj;
      const double vk = b2 * v[j] + a2 * gj * gj;
      m[j] = (float)mk;
      v[j] = (float)vk;
      x[j] = (float)(x[j] - (lr * mk * c1) / (sqrt(vk * c2) + eps));
    }
  }
  return NULL;
}

// hugePages(array): asks the kernel to back the 2 MB-aligned part of a Float32Array or
// Int32Array with transparent huge pages (madvise MADV_HUGEPAGE). Called before the array's
// pages are first written, so the page faults allocate huge pages. A 10M-row table spans
// ~1M 4 KB pages, so every row a step touches is also a TLB miss and a page-table walk;
// with 2 MB pages the whole table fits the TLB. Returns true when the advice was taken
// (false where THP is off, or the array is under 2 MB).
static napi_value HugePages(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  napi_typedarray_type type;
  size_t length, offset;
  void* data;
  napi_value buffer;
  if (argc != 1 || napi_get_typedarray_info(env, argv[0], &type, &length, &data, &buffer, &offset) != napi_ok || (type != napi_float32_array && type != napi_int32_array)) {
    napi_throw_type_error(env, NULL, "autodim_sparse.hugePages takes a Float32Array or Int32Array");
    return NULL;
  }
  const uintptr_t huge = (uintptr_t)2 << 20;
  const uintptr_t start = ((uintptr_t)data + huge - 1) & ~(huge - 1);
  const uintptr_t end = ((uintptr_t)data + length * 4) & ~(huge - 1);
  bool taken = end > start && madvise((void*)start, end - start, MADV_HUGEPAGE) == 0;
  napi_value out;
  CHECK(napi_get_boolean(env, taken, &out));
  return out;
}

// scatterAdd(out, dim, positions, src): out[positions[i], :] += src[i, :] in float32, in order of
// i: a data-parallel part's gradient of its own rows added into the whole batch's rows.
static napi_value ScatterAdd(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  size_t lout = 0, lpos = 0, lsrc = 0;
  int32_t dim = 0;
  const int ok = argc == 4;
  float* out = ok ? typed(env, argv[0], napi_float32_array, &lout) : NULL;
  const int32_t* pos = ok ? typed(env, argv[2], napi_int32_array, &lpos) : NULL;
  const float* src = ok ? typed(env, argv[3], napi_float32_array, &lsrc) : NULL;
  if (!out || !pos || !src || napi_get_value_int32(env, argv[1], &dim) != napi_ok || dim < 1 || lsrc < lpos * (size_t)dim) {
    napi_throw_type_error(env, NULL, "autodim_sparse.scatterAdd(out, dim, positions, src): bad arguments");
    return NULL;
  }
  const size_t rows = lout / (size_t)dim;
  for (size_t i = 0; i < lpos; i++)
    if (pos[i] < 0 || (size_t)pos[i] >= rows) {
      napi_throw_range_error(env, NULL, "autodim_sparse.scatterAdd: a position outside out");
      return NULL;
    }
  for (size_t i = 0; i < lpos; i++) {
    float* o = out + (size_t)pos[i] * dim;
    const float* g = src + i * dim;
    for (int32_t j = 0; j < dim; j++) o[j] += g[j];
  }
  return NULL;
}

// collect(ids, batchSize, fieldCount, fields, rowOf, slots, generation, mask, shift, rows, local):
// TouchCollector.collect's loop (src/tables/sparse.ts) — the same hash set, probes and order, so
// the same rows and local indices. rowOf is an Int32Array or null. Returns the count of unique
// rows, or -1 - k when ids[k] is outside rowOf.
static napi_value Collect(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  size_t lids, lfields, lrowof = 0, lslots, lrows, llocal;
  int32_t batch, field_count, gen, mask, shift;
  napi_valuetype rowof_type = napi_null;
  const int ok = argc == 11;
  const int32_t* ids = ok ? typed(env, argv[0], napi_int32_array, &lids) : NULL;
  const int32_t* fields = ok ? typed(env, argv[3], napi_int32_array, &lfields) : NULL;
  if (ok) CHECK(napi_typeof(env, argv[4], &rowof_type));
  const int32_t* rowof = ok && rowof_type != napi_null ? typed(env, argv[4], napi_int32_array, &lrowof) : NULL;
  int32_t* slots = ok ? typed(env, argv[5], napi_int32_array, &lslots) : NULL;
  int32_t* rows = ok ? typed(env, argv[9], napi_int32_array, &lrows) : NULL;
  int32_t* local = ok ? typed(env, argv[10], napi_int32_array, &llocal) : NULL;
  if (!ids || !fields || (rowof_type != napi_null && !rowof) || !slots || !rows || !local || napi_get_value_int32(env, argv[1], &batch) != napi_ok ||
      napi_get_value_int32(env, argv[2], &field_count) != napi_ok || napi_get_value_int32(env, argv[6], &gen) != napi_ok ||
      napi_get_value_int32(env, argv[7], &mask) != napi_ok || napi_get_value_int32(env, argv[8], &shift) != napi_ok || batch < 0 || field_count < 1 || shift < 1 ||
      shift > 31 || mask < 0 || lslots < 3 * ((size_t)mask + 1) || lids < (size_t)batch * field_count || lrows < (size_t)batch * lfields ||
      llocal < (size_t)batch * lfields) {
    napi_throw_range_error(env, NULL, "autodim_sparse.collect: bad arguments");
    return NULL;
  }
  for (size_t j = 0; j < lfields; j++)
    if (fields[j] < 0 || fields[j] >= field_count) {
      napi_throw_range_error(env, NULL, "autodim_sparse.collect: a field index is out of range");
      return NULL;
    }
  const size_t nf = lfields;
  int32_t unique = 0;
  for (int32_t b = 0; b < batch; b++) {
    const int32_t* row_ids = ids + (size_t)b * field_count;
    for (size_t j = 0; j < nf; j++) {
      const int32_t id = row_ids[fields[j]];
      int32_t r = id;
      if (rowof) {
        if (id < 0 || (size_t)id >= lrowof) {
          napi_value out;
          CHECK(napi_create_int32(env, -1 - (int32_t)((size_t)b * field_count + fields[j]), &out));
          return out;
        }
        r = rowof[id];
      }
      uint32_t s = ((uint32_t)r * 0x9e3779b1u) >> shift;
      while (slots[3 * s] == gen && slots[3 * s + 1] != r) s = (s + 1) & (uint32_t)mask;
      if (slots[3 * s] != gen) {
        slots[3 * s] = gen;
        slots[3 * s + 1] = r;
        slots[3 * s + 2] = unique;
        rows[unique++] = r;
      }
      local[(size_t)b * nf + j] = slots[3 * s + 2];
    }
  }
  napi_value out;
  CHECK(napi_create_int32(env, unique, &out));
  return out;
}

static napi_value Init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"gather", NULL, Gather, NULL, NULL, NULL, napi_default, NULL},
      {"adam", NULL, Adam, NULL, NULL, NULL, napi_default, NULL},
      {"hugePages", NULL, HugePages, NULL, NULL, NULL, napi_default, NULL},
      {"collect", NULL, Collect, NULL, NULL, NULL, napi_default, NULL},
      {"scatterAdd", NULL, ScatterAdd, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  return exports;
}
NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)

