// autodim_blas: row-major single-precision GEMM for the wasm backend's BatchMatMul, through
// OpenBLAS loaded at run time (dlopen), so the addon builds without BLAS headers and loads
// only where libopenblas is installed. Wasm's XNNPACK GEMM runs at ~13 GMAC/s on one core
// here; OpenBLAS at ~75 per core (bench/README.md).
//
// OpenBLAS runs on one thread and a product is never split between threads: OpenBLAS's sums
// depend on how a product is cut (measured: a [2000, 400]·[400, 624] product split in row halves
// differs from the whole in 23,371 of its 1.2M elements), so any split would make the thread
// count change a run's numbers. A run's second core goes to data-parallel batch parts instead
// (src/accel/parallel.ts), whose arithmetic is the same on one thread and on two.
#include <dlfcn.h>
#include "napi_helpers.h"
#include "pool.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { RowMajor = 101, NoTrans = 111, Trans = 112 };
typedef void (*sgemm_fn)(int order, int transA, int transB, int m, int n, int k, float alpha, const float* a, int lda, const float* b, int ldb, float beta, float* c, int ldc);
typedef void (*set_threads_fn)(int);

static sgemm_fn sgemm = NULL;
static set_threads_fn set_threads = NULL;

// sgemm(transA, transB, batch, m, n, k, a, b, c, batchStrideA, batchStrideB): for each batch i,
// c[i] = op(a[i]) · op(b[i]) with op(a) [m, k], op(b) [k, n], c [m, n], all row-major;
// a stride of 0 broadcasts that operand over the batch.
static napi_value Sgemm(napi_env env, napi_callback_info info) {
  size_t argc = 11;
  napi_value argv[11];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc != 11) {
    napi_throw_type_error(env, NULL, "autodim_blas.sgemm takes 11 arguments");
    return NULL;
  }
  bool ta, tb;
  int32_t batch, m, n, k, sa, sb;
  CHECK(napi_get_value_bool(env, argv[0], &ta));
  CHECK(napi_get_value_bool(env, argv[1], &tb));
  CHECK(napi_get_value_int32(env, argv[2], &batch));
  CHECK(napi_get_value_int32(env, argv[3], &m));
  CHECK(napi_get_value_int32(env, argv[4], &n));
  CHECK(napi_get_value_int32(env, argv[5], &k));
  CHECK(napi_get_value_int32(env, argv[9], &sa));
  CHECK(napi_get_value_int32(env, argv[10], &sb));
  size_t la, lb, lc;
  float* a = typed(env, argv[6], napi_float32_array, &la);
  float* b = typed(env, argv[7], napi_float32_array, &lb);
  float* c = typed(env, argv[8], napi_float32_array, &lc);
  if (!a || !b || !c) {
    napi_throw_type_error(env, NULL, "autodim_blas.sgemm: a, b and c must be Float32Arrays");
    return NULL;
  }
  if (batch < 1 || m < 1 || n < 1 || k < 1 || sa < 0 || sb < 0 || lc < (size_t)batch * m * n || la < (size_t)(batch - 1) * sa + (size_t)m * k || lb < (size_t)(batch - 1) * sb + (size_t)k * n) {
    napi_throw_range_error(env, NULL, "autodim_blas.sgemm: shapes do not fit the arrays");
    return NULL;
  }
  const int32_t lda = ta ? m : k, ldb = tb ? k : n;
  for (int32_t i = 0; i < batch; i++)
    sgemm(RowMajor, ta ? Trans : NoTrans, tb ? Trans : NoTrans, m, n, k, 1.0f, a + (size_t)i * sa, lda, b + (size_t)i * sb, ldb, 0.0f, c + (size_t)i * m * n, n);
  return NULL;
}

// threads(n): sets the thread count when n > 0 (our pool; OpenBLAS stays on one); returns the count in use.
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
  const char* names[] = {"libopenblas.so.0", "libopenblas.so", NULL};
  void* lib = NULL;
  for (int i = 0; names[i] && !lib; i++) lib = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    napi_throw_error(env, "ENOBLAS", "autodim_blas: libopenblas.so.0 not found (Debian: apt-get install -y libopenblas0-pthread)");
    return NULL;
  }
  sgemm = (sgemm_fn)dlsym(lib, "cblas_sgemm");
  set_threads = (set_threads_fn)dlsym(lib, "openblas_set_num_threads");
  if (!sgemm) {
    napi_throw_error(env, "ENOBLAS", "autodim_blas: libopenblas has no cblas_sgemm");
    return NULL;
  }
  if (set_threads) set_threads(1);
  napi_property_descriptor props[] = {
      {"sgemm", NULL, Sgemm, NULL, NULL, NULL, napi_default, NULL},
      {"threads", NULL, Threads, NULL, NULL, NULL, napi_default, NULL},
  };
  CHECK(napi_define_properties(env, exports, 2, props));
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
