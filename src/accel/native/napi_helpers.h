// What both addons need from N-API: a checked call, and a typed array's data. Each addon
// defines ADDON_NAME (the build passes it as NODE_GYP_MODULE_NAME) before including this.
#ifndef AUTODIM_NAPI_HELPERS_H
#define AUTODIM_NAPI_HELPERS_H
#include <node_api.h>
#include <stddef.h>

#define AUTODIM_STR2(x) #x
#define AUTODIM_STR(x) AUTODIM_STR2(x)

// Any failing N-API call throws "<addon>: <call>" and returns from the calling function.
#define CHECK(call)                                                                      \
  do {                                                                                   \
    if ((call) != napi_ok) {                                                             \
      napi_throw_error(env, NULL, AUTODIM_STR(NODE_GYP_MODULE_NAME) ": " #call);         \
      return NULL;                                                                       \
    }                                                                                    \
  } while (0)

// The data of a typed array of type `want` and its element count, or NULL for anything else.
static inline void* typed(napi_env env, napi_value v, napi_typedarray_type want, size_t* length) {
  napi_typedarray_type type;
  void* data;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, v, &type, length, &data, &buffer, &offset) != napi_ok || type != want) return NULL;
  return data;
}
#endif
