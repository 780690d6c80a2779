/* SPDX-License-Identifier: MIT */
/* Windows backend of what events and mutexes share: kernel events and
 * mutexes under the same names a raw program uses, so both meet one
 * object, made, opened and waited for here. A mutex also keeps its
 * recovery state (consistent, owner died, not recoverable) in a small
 * section that every user of the library maps, since a kernel mutex only
 * reports an abandonment once, to the next owner. */
#include "win32_internal.h"

#include <stdio.h>
#include <string.h>

#define EVENT_RIGHTS (SYNCHRONIZE | EVENT_MODIFY_STATE)
#define MUTEX_RIGHTS (SYNCHRONIZE | MUTEX_MODIFY_STATE)
#define SEMAPHORE_RIGHTS (SYNCHRONIZE | SEMAPHORE_MODIFY_STATE)
#define SECTION_READ (FILE_MAP_READ | SECTION_QUERY)
#define SECTION_WRITE (FILE_MAP_READ | FILE_MAP_WRITE | SECTION_QUERY)

/* The state section of a mutex: "ipcshm.mutex-state." and its id in hex,
 * in Global\ when the id's top bit is set. */
#define STATE_ID_GLOBAL 0x8000000000000000ull
#define STATE_SIZE 4096u

/* Longest single wait: INFINITE is 0xFFFFFFFF. */
#define WAIT_MAX_MS 0xFFFFFFFEu

DWORD ipc_shm__win_access_of(const struct ipc_shm *obj, int writable) {
  switch (obj->object) {
  case IPC_SHM__OBJECT_EVENT:
    return EVENT_RIGHTS;
  case IPC_SHM__OBJECT_MUTEX:
    return MUTEX_RIGHTS;
  case IPC_SHM__OBJECT_SEMAPHORE:
    return SEMAPHORE_RIGHTS;
  default:
    return writable ? SECTION_WRITE : SECTION_READ;
  }
}

const WCHAR *ipc_shm__win_type_of(const struct ipc_shm *obj) {
  switch (obj->object) {
  case IPC_SHM__OBJECT_EVENT:
    return L"Event";
  case IPC_SHM__OBJECT_MUTEX:
    return L"Mutant";
  case IPC_SHM__OBJECT_SEMAPHORE:
    return L"Semaphore";
  default:
    return L"Section";
  }
}

/* The state id of a named mutex: a hash of its name and namespace, so that
 * every process that opens the name finds the same state. */
static uint64_t named_state_id(const char *name, unsigned flags) {
  uint64_t hash = 0xcbf29ce484222325ull; /* FNV-1a */
  for (; *name != '\0'; name++) {
    hash ^= (unsigned char)*name;
    hash *= 0x100000001b3ull;
  }
  hash &= ~STATE_ID_GLOBAL;
  return (flags & IPC_SHM_GLOBAL) ? hash | STATE_ID_GLOBAL : hash;
}

/* The state id of an anonymous mutex: unique to this process and call. */
static uint64_t anonymous_state_id(void) {
  static uint32_t counter;
  LARGE_INTEGER now;
  uint64_t id;
  QueryPerformanceCounter(&now);
  id = ((uint64_t)GetCurrentProcessId() << 32) ^
       (uint64_t)(ipc_shm__fetch_add_seq_cst32(&counter, 1u) + 1u) ^
       ((uint64_t)now.QuadPart * 0x9E3779B97F4A7C15ull);
  return id & ~STATE_ID_GLOBAL;
}

int ipc_shm__win_attach_mutex_state(struct ipc_shm *obj) {
  WCHAR wide_name[IPC_SHM__WIDE_NAME_MAX];
  char name[48];
  HANDLE section;
  void *view;
  int err;
  snprintf(name, sizeof(name), "ipcshm.mutex-state.%016llx",
           (unsigned long long)obj->os.state_id);
  err = ipc_shm__wide_name(wide_name,
                           (obj->os.state_id & STATE_ID_GLOBAL) ? L"Global\\" : L"Local\\",
                           name);
  if (err != 0)
    return err;
  /* Open first: making an object in Global\ needs a privilege that using
   * one does not. The state dies with its last user; whoever comes next
   * makes it again, consistent. */
  section = SYS.OpenFileMappingW(SECTION_WRITE, FALSE, wide_name);
  if (section == NULL) {
    if (GetLastError() != ERROR_FILE_NOT_FOUND)
      return ipc_shm__fail_last("OpenFileMappingW");
    section = SYS.CreateFileMappingW(INVALID_HANDLE_VALUE, NULL,
                                     PAGE_READWRITE | SEC_COMMIT, 0, STATE_SIZE,
                                     wide_name);
    if (section == NULL)
      return ipc_shm__fail_last("CreateFileMappingW");
  }
  view = SYS.MapViewOfFile(section, FILE_MAP_WRITE, 0, 0, sizeof(LONG));
  if (view == NULL) {
    err = ipc_shm__fail_last("MapViewOfFile");
    ipc_shm__os_close_quietly(section);
    return err;
  }
  obj->os.state = section;
  obj->os.block = view;
  return 0;
}

static void fill(struct ipc_shm *obj, HANDLE handle) {
  obj->handle = handle;
  obj->size = IPC_SHM__SYNC_SIZE;
  obj->writable = 1;
  obj->size_exact = 1;
}

int ipc_shm__os_sync_create(struct ipc_shm *obj, const char *name, unsigned flags) {
  WCHAR wide_name[IPC_SHM__WIDE_NAME_MAX];
  const WCHAR *object_name = NULL;
  int mutex = obj->object == IPC_SHM__OBJECT_MUTEX;
  int semaphore = obj->object == IPC_SHM__OBJECT_SEMAPHORE;
  const char *call = mutex ? "CreateMutexW" : semaphore ? "CreateSemaphoreW" : "CreateEventW";
  HANDLE handle;
  int err;
  if (name != NULL) {
    err = ipc_shm__wide_name(wide_name,
                             (flags & IPC_SHM_GLOBAL) ? L"Global\\" : L"Local\\", name);
    if (err != 0)
      return err;
    object_name = wide_name;
  }
  if (mutex)
    handle = SYS.CreateMutexW(NULL, FALSE, object_name);
  else if (semaphore)
    handle = SYS.CreateSemaphoreW(NULL, (LONG)obj->initial, (LONG)obj->maximum, object_name);
  else
    handle = SYS.CreateEventW(NULL, (flags & IPC_SHM_EVENT_MANUAL) ? TRUE : FALSE,
                              (flags & IPC_SHM_EVENT_SET) ? TRUE : FALSE, object_name);
  if (handle == NULL) {
    /* The name belongs to an object of another kind: it is taken. */
    if (GetLastError() == ERROR_INVALID_HANDLE)
      return ipc_shm__fail_as(ERROR_INVALID_HANDLE, call, IPC_SHM_E_EXISTS);
    return ipc_shm__fail_last(call);
  }
  if (GetLastError() == ERROR_ALREADY_EXISTS) {
    /* The handle is to somebody else's object: give it back and fail. */
    ipc_shm__os_close_quietly(handle);
    return ipc_shm__fail(ERROR_ALREADY_EXISTS, call);
  }
  fill(obj, handle);
  if (mutex) {
    obj->os.state_id = name != NULL ? named_state_id(name, flags) : anonymous_state_id();
    err = ipc_shm__win_attach_mutex_state(obj);
    if (err != 0) {
      ipc_shm__os_close_quietly(handle);
      obj->handle = IPC_SHM__NO_HANDLE;
      return err;
    }
    /* A new mutex starts consistent, whatever a stale state said. */
    ipc_shm__store_seq_cst32((uint32_t *)obj->os.block, IPC_SHM__WIN_STATE_CONSISTENT);
  }
  return 0;
}

int ipc_shm__os_sync_open(struct ipc_shm *obj, const char *name, unsigned flags) {
  WCHAR wide_name[IPC_SHM__WIDE_NAME_MAX];
  int mutex = obj->object == IPC_SHM__OBJECT_MUTEX;
  int semaphore = obj->object == IPC_SHM__OBJECT_SEMAPHORE;
  const char *call = mutex ? "OpenMutexW" : semaphore ? "OpenSemaphoreW" : "OpenEventW";
  HANDLE handle;
  int err = ipc_shm__wide_name(wide_name,
                               (flags & IPC_SHM_GLOBAL) ? L"Global\\" : L"Local\\", name);
  if (err != 0)
    return err;
  if (mutex)
    handle = SYS.OpenMutexW(MUTEX_RIGHTS, FALSE, wide_name);
  else if (semaphore)
    handle = SYS.OpenSemaphoreW(SEMAPHORE_RIGHTS, FALSE, wide_name);
  else
    handle = SYS.OpenEventW(EVENT_RIGHTS, FALSE, wide_name);
  if (handle == NULL) {
    /* The name belongs to an object of another kind. */
    if (GetLastError() == ERROR_INVALID_HANDLE)
      return ipc_shm__fail_as(ERROR_INVALID_HANDLE, call, IPC_SHM_E_WRONG_KIND);
    return ipc_shm__fail_last(call);
  }
  fill(obj, handle);
  if (mutex) {
    obj->os.state_id = named_state_id(name, flags);
    err = ipc_shm__win_attach_mutex_state(obj);
    if (err != 0) {
      ipc_shm__os_close_quietly(handle);
      obj->handle = IPC_SHM__NO_HANDLE;
      return err;
    }
  }
  return 0;
}

int ipc_shm__os_is_sync_object(ipc_shm_native_t handle, uint64_t size) {
  (void)handle;
  (void)size;
  return 0; /* sections, events and mutexes are different kernel types */
}

DWORD ipc_shm__win_wait_for(HANDLE handle, int64_t timeout_ms, int *failed) {
  uint64_t left = timeout_ms == IPC_SHM_FOREVER ? 0 : (uint64_t)timeout_ms;
  for (;;) {
    DWORD chunk = timeout_ms == IPC_SHM_FOREVER ? INFINITE
                  : left > WAIT_MAX_MS          ? WAIT_MAX_MS
                                                : (DWORD)left;
    DWORD result = SYS.WaitForSingleObject(handle, chunk);
    if (result == WAIT_FAILED)
      *failed = ipc_shm__fail_last("WaitForSingleObject");
    if (result != WAIT_TIMEOUT || timeout_ms == IPC_SHM_FOREVER || left <= WAIT_MAX_MS)
      return result;
    left -= chunk;
  }
}

int ipc_shm__os_sync_native(const struct ipc_shm *obj, ipc_shm_native_t *native) {
  *native = obj->handle;
  return 0;
}

int ipc_shm__win_take(HANDLE handle, int64_t timeout_ms) {
  int failed = 0;
  switch (ipc_shm__win_wait_for(handle, timeout_ms, &failed)) {
  case WAIT_OBJECT_0:
    return 0;
  case WAIT_TIMEOUT:
    return ipc_shm__fail_arg(IPC_SHM_E_TIMEOUT);
  case WAIT_FAILED:
    return failed;
  default: /* nothing else can come of waiting for an event or a semaphore */
    return ipc_shm__fail_arg(IPC_SHM_E_SYSTEM);
  }
}
