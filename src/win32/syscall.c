/* SPDX-License-Identifier: MIT */
/* The Windows backend's table of system calls. Every call the backend makes
 * goes through ipc_shm__sys, so that tests can make any of them fail
 * (src/common/fault.c); the names are those the error record gives. */
#include "win32_internal.h"

#include <string.h>

typedef LONG(WINAPI *nt_query_section_fn)(HANDLE, int, PVOID, SIZE_T, PSIZE_T);
typedef LONG(WINAPI *nt_query_object_fn)(HANDLE, int, PVOID, ULONG, PULONG);
typedef ULONG(WINAPI *rtl_nt_status_to_dos_error_fn)(LONG);

/* A function of ntdll, or NULL with the last error set. */
static FARPROC ntdll_function(const char *function) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  return ntdll != NULL ? GetProcAddress(ntdll, function) : NULL;
}

/* An NTSTATUS as a BOOL and a last error, as the Win32 calls report. */
static BOOL status_to_bool(LONG status) {
  rtl_nt_status_to_dos_error_fn to_dos;
  if (status >= 0)
    return TRUE;
  to_dos = (rtl_nt_status_to_dos_error_fn)(void (*)(void))ntdll_function(
      "RtlNtStatusToDosError");
  SetLastError(to_dos != NULL ? to_dos(status) : ERROR_GEN_FAILURE);
  return FALSE;
}

/* Named after the ntdll calls they wrap, as the table's entries are. */
static BOOL WINAPI NtQuerySection(HANDLE section, ipc_shm__section_info_t *info) {
  nt_query_section_fn query =
      (nt_query_section_fn)(void (*)(void))ntdll_function("NtQuerySection");
  SIZE_T returned = 0;
  if (query == NULL)
    return FALSE;
  return status_to_bool(query(section, 0 /* SectionBasicInformation */, info,
                              sizeof(*info), &returned));
}

static BOOL WINAPI NtQueryObject(HANDLE handle, int what, PVOID info, ULONG size) {
  nt_query_object_fn query =
      (nt_query_object_fn)(void (*)(void))ntdll_function("NtQueryObject");
  ULONG returned = 0;
  if (query == NULL)
    return FALSE;
  return status_to_bool(query(handle, what, info, size, &returned));
}

typedef struct nt_unicode_string {
  USHORT length, maximum_length;
  PWSTR buffer;
} nt_unicode_string_t;

typedef struct nt_object_attributes {
  ULONG length;
  HANDLE root_directory;
  nt_unicode_string_t *object_name;
  ULONG attributes;
  PVOID security_descriptor;
  PVOID security_quality_of_service;
} nt_object_attributes_t;

typedef LONG(WINAPI *nt_open_directory_object_fn)(HANDLE *, ACCESS_MASK,
                                                  nt_object_attributes_t *);
typedef LONG(WINAPI *nt_query_directory_object_fn)(HANDLE, PVOID, ULONG, BOOLEAN, BOOLEAN,
                                                   PULONG, PULONG);

static BOOL WINAPI NtOpenDirectoryObject(HANDLE *directory, const WCHAR *path) {
  nt_open_directory_object_fn open_directory =
      (nt_open_directory_object_fn)(void (*)(void))ntdll_function("NtOpenDirectoryObject");
  nt_unicode_string_t name;
  nt_object_attributes_t attributes;
  size_t length = wcslen(path) * sizeof(WCHAR);
  if (open_directory == NULL)
    return FALSE;
  if (length > 0xFFF0u) {
    SetLastError(ERROR_FILENAME_EXCED_RANGE);
    return FALSE;
  }
  name.length = (USHORT)length;
  name.maximum_length = (USHORT)length;
  name.buffer = (PWSTR)(ULONG_PTR)path;
  memset(&attributes, 0, sizeof(attributes));
  attributes.length = sizeof(attributes);
  attributes.object_name = &name;
  attributes.attributes = 0x40; /* OBJ_CASE_INSENSITIVE */
  return status_to_bool(open_directory(directory, 0x0001 /* DIRECTORY_QUERY */, &attributes));
}

static BOOL WINAPI NtQueryDirectoryObject(HANDLE directory, PVOID buffer, ULONG size,
                                          ULONG *context) {
  nt_query_directory_object_fn query =
      (nt_query_directory_object_fn)(void (*)(void))ntdll_function("NtQueryDirectoryObject");
  ULONG returned = 0;
  LONG status;
  if (query == NULL)
    return FALSE;
  status = query(directory, buffer, size, TRUE, *context == 0, context, &returned);
  if ((ULONG)status == 0x8000001Au) { /* STATUS_NO_MORE_ENTRIES */
    SetLastError(ERROR_NO_MORE_ITEMS);
    return FALSE;
  }
  return status_to_bool(status);
}

/* The counting wrappers of fault injection. */
#define FAIL_NULL_(name, args) return NULL;
#define FAIL_FALSE_(name, args) return FALSE;
#define FAIL_ZERO_(name, args) return 0;
#define FAIL_INVALID_(name, args) return INVALID_HANDLE_VALUE;
#define FAIL_WAIT_(name, args) return WAIT_FAILED;
#define FAIL_RELEASE_(name, args)                                              \
  (void)name args;                                                             \
  SetLastError((DWORD)ipc_shm__fault_native());                                \
  return FALSE;
#define FAULTY_(name, type, params, args, style)                               \
  static type WINAPI faulty_##name params {                                    \
    if (ipc_shm__fault_fires(IPC_SHM__SYS_##name)) {                           \
      SetLastError((DWORD)ipc_shm__fault_native());                            \
      FAIL_##style##_(name, args)                                              \
    }                                                                          \
    return name args;                                                          \
  }
IPC_SHM__WIN32_SYSCALLS(FAULTY_)
#undef FAULTY_

struct ipc_shm__syscalls ipc_shm__sys = {
#define INIT_(name, type, params, args, style) name,
    IPC_SHM__WIN32_SYSCALLS(INIT_)
#undef INIT_
};

static const char *const names[] = {
#define NAME_(name, type, params, args, style) #name,
    IPC_SHM__WIN32_SYSCALLS(NAME_)
#undef NAME_
};

int ipc_shm__syscall_count(void) { return IPC_SHM__SYS_COUNT_; }

const char *ipc_shm__syscall_name(int entry) {
  return entry >= 0 && entry < IPC_SHM__SYS_COUNT_ ? names[entry] : "";
}

/* Every entry makes the call it is named after. */
const char *ipc_shm__syscall_entry(int entry) { return ipc_shm__syscall_name(entry); }

void ipc_shm__os_syscalls_wrap(int on) {
#define SWITCH_(name, type, params, args, style)                               \
  ipc_shm__sys.name = on ? faulty_##name : name;
  IPC_SHM__WIN32_SYSCALLS(SWITCH_)
#undef SWITCH_
}


static SRWLOCK lock = SRWLOCK_INIT;

void ipc_shm__os_lock(void) { AcquireSRWLockExclusive(&lock); }

void ipc_shm__os_unlock(void) { ReleaseSRWLockExclusive(&lock); }

/* ---- Helpers ---- */

int ipc_shm__fail_last(const char *call) {
  DWORD error = GetLastError();
  /* A call that failed without saying why still failed. */
  if (error == ERROR_SUCCESS)
    return ipc_shm__fail_as(0, call, IPC_SHM_E_SYSTEM);
  return ipc_shm__fail((long)error, call);
}

void ipc_shm__os_close_quietly(HANDLE handle) {
  DWORD saved = GetLastError();
  (void)SYS.CloseHandle(handle);
  SetLastError(saved);
}
