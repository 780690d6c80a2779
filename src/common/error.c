/* SPDX-License-Identifier: MIT */
/* Error codes: names and messages from the one list in ipc_shm.h, and the
 * per-thread record of the last native error. */
#include "common.h"

#if defined(_MSC_VER)
#define IPC_SHM_THREAD_LOCAL __declspec(thread)
#else
#define IPC_SHM_THREAD_LOCAL _Thread_local
#endif

static IPC_SHM_THREAD_LOCAL long last_native_error;
static IPC_SHM_THREAD_LOCAL const char *last_native_call;

const char *ipc_shm_strerror(int err) {
  switch (err) {
#define IPC_SHM_ERROR_MESSAGE_(name, value, message) \
  case (value):                                      \
    return (message);
    IPC_SHM_ERROR_MAP(IPC_SHM_ERROR_MESSAGE_)
#undef IPC_SHM_ERROR_MESSAGE_
  default:
    return "unknown error";
  }
}

const char *ipc_shm_err_name(int err) {
  switch (err) {
#define IPC_SHM_ERROR_NAME_(name, value, message) \
  case (value):                                   \
    return #name;
    IPC_SHM_ERROR_MAP(IPC_SHM_ERROR_NAME_)
#undef IPC_SHM_ERROR_NAME_
  default:
    return "UNKNOWN";
  }
}

long ipc_shm_last_native_error(void) { return last_native_error; }

const char *ipc_shm_last_native_call(void) {
  return last_native_call != NULL ? last_native_call : "";
}

int ipc_shm__fail_as(long native, const char *call, int err) {
  last_native_error = native;
  last_native_call = call;
  return err;
}

int ipc_shm__fail(long native, const char *call) {
  return ipc_shm__fail_as(native, call, ipc_shm__translate(native));
}

int ipc_shm__fail_arg(int err) {
  last_native_error = 0;
  last_native_call = "";
  return err;
}

int ipc_shm__fail_recast(int err) { return err; }
