/* SPDX-License-Identifier: MIT */
/* What the files of the Windows backend share: the table of system calls
 * they call the OS through, and small helpers. */
#ifndef IPC_SHM_WIN32_INTERNAL_H
#define IPC_SHM_WIN32_INTERNAL_H

#include "../common/fault.h"
#include "../common/port.h"

#include <windows.h>

/* SECTION_BASIC_INFORMATION of NtQuerySection (winternl.h lacks it). */
typedef struct ipc_shm__section_info {
  PVOID base_address;
  ULONG allocation_attributes;
  LARGE_INTEGER maximum_size;
} ipc_shm__section_info_t;

/* ---- The table of system calls (src/win32/syscall.c) ----
 * X(name, type, parameters, arguments, failure style). The styles say what
 * a failing call returns, with the error in GetLastError(): NULL, FALSE,
 * INVALID (INVALID_HANDLE_VALUE), ZERO, WAIT (WAIT_FAILED), and RELEASE
 * (the resource is released, then FALSE). NtQuerySection, NtQueryObject,
 * NtOpenDirectoryObject (a path, read access) and NtQueryDirectoryObject
 * (one entry, an OBJECT_DIRECTORY_INFORMATION, at *context; the end is
 * ERROR_NO_MORE_ITEMS) are this backend's BOOL wrappers of the ntdll
 * calls, which set the last error from the NTSTATUS. */
#define IPC_SHM__WIN32_SYSCALLS(X)                                              \
  X(CreateFileMappingW, HANDLE,                                                \
    (HANDLE a, LPSECURITY_ATTRIBUTES b, DWORD c, DWORD d, DWORD e, LPCWSTR f),    \
    (a, b, c, d, e, f), NULL)                                                   \
  X(OpenFileMappingW, HANDLE, (DWORD a, BOOL b, LPCWSTR c), (a, b, c), NULL)      \
  X(MapViewOfFile, LPVOID, (HANDLE a, DWORD b, DWORD c, DWORD d, SIZE_T e),       \
    (a, b, c, d, e), NULL)                                                      \
  X(UnmapViewOfFile, BOOL, (LPCVOID a), (a), RELEASE)                             \
  X(FlushViewOfFile, BOOL, (LPCVOID a, SIZE_T b), (a, b), FALSE)                  \
  X(FlushFileBuffers, BOOL, (HANDLE a), (a), FALSE)                               \
  X(CloseHandle, BOOL, (HANDLE a), (a), RELEASE)                                  \
  X(DuplicateHandle, BOOL,                                                     \
    (HANDLE a, HANDLE b, HANDLE c, LPHANDLE d, DWORD e, BOOL f, DWORD g),         \
    (a, b, c, d, e, f, g), FALSE)                                               \
  X(CreateFileW, HANDLE,                                                       \
    (LPCWSTR a, DWORD b, DWORD c, LPSECURITY_ATTRIBUTES d, DWORD e, DWORD f,      \
     HANDLE g),                                                                \
    (a, b, c, d, e, f, g), INVALID)                                             \
  X(GetFileSizeEx, BOOL, (HANDLE a, PLARGE_INTEGER b), (a, b), FALSE)             \
  X(GetFileType, DWORD, (HANDLE a), (a), ZERO)                                    \
  X(DeleteFileW, BOOL, (LPCWSTR a), (a), FALSE)                                   \
  X(MultiByteToWideChar, int,                                                  \
    (UINT a, DWORD b, LPCCH c, int d, LPWSTR e, int f), (a, b, c, d, e, f), ZERO) \
  X(NtQuerySection, BOOL, (HANDLE a, ipc_shm__section_info_t *b), (a, b), FALSE)  \
  X(NtQueryObject, BOOL, (HANDLE a, int b, PVOID c, ULONG d), (a, b, c, d),       \
    FALSE)                                                                      \
  X(NtOpenDirectoryObject, BOOL, (HANDLE *a, const WCHAR *b), (a, b), FALSE)      \
  X(NtQueryDirectoryObject, BOOL, (HANDLE a, PVOID b, ULONG c, ULONG *d),         \
    (a, b, c, d), FALSE)                                                        \
  X(ProcessIdToSessionId, BOOL, (DWORD a, DWORD *b), (a, b), FALSE)               \
  X(WideCharToMultiByte, int,                                                  \
    (UINT a, DWORD b, LPCWCH c, int d, LPSTR e, int f, LPCCH g, LPBOOL h),        \
    (a, b, c, d, e, f, g, h), ZERO)                                             \
  X(OpenProcess, HANDLE, (DWORD a, BOOL b, DWORD c), (a, b, c), NULL)             \
  X(SetHandleInformation, BOOL, (HANDLE a, DWORD b, DWORD c), (a, b, c), FALSE)   \
  X(CreateProcessW, BOOL,                                                      \
    (LPCWSTR a, LPWSTR b, LPSECURITY_ATTRIBUTES c, LPSECURITY_ATTRIBUTES d,       \
     BOOL e, DWORD f, LPVOID g, LPCWSTR h, LPSTARTUPINFOW i,                       \
     LPPROCESS_INFORMATION j),                                                 \
    (a, b, c, d, e, f, g, h, i, j), FALSE)                                      \
  X(InitializeProcThreadAttributeList, BOOL,                                   \
    (LPPROC_THREAD_ATTRIBUTE_LIST a, DWORD b, DWORD c, PSIZE_T d), (a, b, c, d),  \
    FALSE)                                                                      \
  X(UpdateProcThreadAttribute, BOOL,                                           \
    (LPPROC_THREAD_ATTRIBUTE_LIST a, DWORD b, DWORD_PTR c, PVOID d, SIZE_T e,     \
     PVOID f, PSIZE_T g),                                                      \
    (a, b, c, d, e, f, g), FALSE)                                               \
  X(GetEnvironmentStringsW, LPWCH, (void), (), NULL)                              \
  X(GetEnvironmentVariableA, DWORD, (LPCSTR a, LPSTR b, DWORD c), (a, b, c), ZERO)  \
  X(WaitForSingleObject, DWORD, (HANDLE a, DWORD b), (a, b), WAIT)                \
  X(WaitForMultipleObjects, DWORD, (DWORD a, const HANDLE *b, BOOL c, DWORD d),     \
    (a, b, c, d), WAIT)                                                         \
  X(GetProcessTimes, BOOL,                                                     \
    (HANDLE a, LPFILETIME b, LPFILETIME c, LPFILETIME d, LPFILETIME e),           \
    (a, b, c, d, e), FALSE)                                                     \
  X(GetProcessAffinityMask, BOOL, (HANDLE a, PDWORD_PTR b, PDWORD_PTR c),         \
    (a, b, c), FALSE)                                                           \
  X(SwitchToThread, BOOL, (void), (), FALSE)                                      \
  X(SleepEx, DWORD, (DWORD a, BOOL b), (a, b), ZERO)                              \
  X(GetExitCodeProcess, BOOL, (HANDLE a, LPDWORD b), (a, b), FALSE)               \
  X(CreateEventW, HANDLE, (LPSECURITY_ATTRIBUTES a, BOOL b, BOOL c, LPCWSTR d),   \
    (a, b, c, d), NULL)                                                         \
  X(OpenEventW, HANDLE, (DWORD a, BOOL b, LPCWSTR c), (a, b, c), NULL)            \
  X(SetEvent, BOOL, (HANDLE a), (a), FALSE)                                       \
  X(ResetEvent, BOOL, (HANDLE a), (a), FALSE)                                     \
  X(CreateMutexW, HANDLE, (LPSECURITY_ATTRIBUTES a, BOOL b, LPCWSTR c), (a, b, c),  \
    NULL)                                                                       \
  X(OpenMutexW, HANDLE, (DWORD a, BOOL b, LPCWSTR c), (a, b, c), NULL)            \
  X(ReleaseMutex, BOOL, (HANDLE a), (a), FALSE)                                   \
  X(CreateSemaphoreW, HANDLE, (LPSECURITY_ATTRIBUTES a, LONG b, LONG c, LPCWSTR d), \
    (a, b, c, d), NULL)                                                         \
  X(OpenSemaphoreW, HANDLE, (DWORD a, BOOL b, LPCWSTR c), (a, b, c), NULL)        \
  X(ReleaseSemaphore, BOOL, (HANDLE a, LONG b, LPLONG c), (a, b, c), FALSE)       \
  X(CreateNamedPipeW, HANDLE,                                                  \
    (LPCWSTR a, DWORD b, DWORD c, DWORD d, DWORD e, DWORD f, DWORD g,             \
     LPSECURITY_ATTRIBUTES h),                                                 \
    (a, b, c, d, e, f, g, h), INVALID)                                          \
  X(ConnectNamedPipe, BOOL, (HANDLE a, LPOVERLAPPED b), (a, b), FALSE)            \
  X(GetNamedPipeClientProcessId, BOOL, (HANDLE a, PULONG b), (a, b), FALSE)       \
  X(GetNamedPipeServerProcessId, BOOL, (HANDLE a, PULONG b), (a, b), FALSE)       \
  X(WaitNamedPipeW, BOOL, (LPCWSTR a, DWORD b), (a, b), FALSE)                    \
  X(ReadFile, BOOL, (HANDLE a, LPVOID b, DWORD c, LPDWORD d, LPOVERLAPPED e),     \
    (a, b, c, d, e), FALSE)                                                     \
  X(WriteFile, BOOL, (HANDLE a, LPCVOID b, DWORD c, LPDWORD d, LPOVERLAPPED e),   \
    (a, b, c, d, e), FALSE)                                                     \
  X(InitializeSecurityDescriptor, BOOL, (PSECURITY_DESCRIPTOR a, DWORD b),        \
    (a, b), FALSE)                                                              \
  X(InitializeAcl, BOOL, (PACL a, DWORD b, DWORD c), (a, b, c), FALSE)            \
  X(AddAccessAllowedAce, BOOL, (PACL a, DWORD b, DWORD c, PSID d), (a, b, c, d),  \
    FALSE)                                                                      \
  X(SetSecurityDescriptorDacl, BOOL,                                           \
    (PSECURITY_DESCRIPTOR a, BOOL b, PACL c, BOOL d), (a, b, c, d), FALSE)

enum {
#define IPC_SHM__SYSCALL_INDEX_(name, type, params, args, style) IPC_SHM__SYS_##name,
  IPC_SHM__WIN32_SYSCALLS(IPC_SHM__SYSCALL_INDEX_)
#undef IPC_SHM__SYSCALL_INDEX_
  IPC_SHM__SYS_COUNT_
};

struct ipc_shm__syscalls {
#define IPC_SHM__SYSCALL_FIELD_(name, type, params, args, style) type(WINAPI *name) params;
  IPC_SHM__WIN32_SYSCALLS(IPC_SHM__SYSCALL_FIELD_)
#undef IPC_SHM__SYSCALL_FIELD_
};

/* What the backend calls: SYS.CreateFileMappingW(...), ... */
extern struct ipc_shm__syscalls ipc_shm__sys;
#define SYS ipc_shm__sys

/* ---- Helpers (src/win32/syscall.c) ---- */

/* Record GetLastError() for the failing call; the portable code. */
int ipc_shm__fail_last(const char *call);


/* ---- UTF-8 to UTF-16, the one conversion (src/win32/text.c) ---- */

/* Room for the longest object name: "Global\" or "\\.\pipe\ipcshm." and a
 * portable name (at most one UTF-16 unit per byte). */
#define IPC_SHM__WIDE_NAME_MAX 64

/* prefix + name into out. 0 or a portable code. */
int ipc_shm__wide_name(WCHAR out[IPC_SHM__WIDE_NAME_MAX], const WCHAR *prefix,
                       const char *name);

/* A malloc'ed UTF-16 copy of a UTF-8 string. 0 or a portable code. */
int ipc_shm__wide_copy(const char *text, WCHAR **out);

/* The size of a section as the system records it (rounded up to the page
 * for page-file sections) and its allocation attributes (SEC_IMAGE, ...).
 * Needs SECTION_QUERY access (src/win32/shm.c). */
int ipc_shm__win_query_section(HANDLE section, uint64_t *size,
                               unsigned long *attributes);

/* Shared by handle.c and conn.c (src/win32/handle.c). */
/* A handle of process `pid` that allows DuplicateHandle and waiting:
 * NOT_FOUND when there is no such process. */
int ipc_shm__win_open_process(unsigned long pid, HANDLE *process);
/* Put a copy of the object's handle with the given access (for a segment)
 * into `process`; *remote is its value there. */
int ipc_shm__win_duplicate_into(HANDLE process, const struct ipc_shm *shm,
                                int writable, HANDLE *remote);

/* ---- Liveness (src/win32/live.c) ---- */

/* This process as shared memory names it: its id << 32 | the low half of
 * its creation time (never 0 or 1). */
int ipc_shm__win_self_process(uint64_t *self);

/* Open the process `value` names, checking that it is that process: 1 (the
 * handle kept in *peer), 0 if it is certainly gone, -1 if that cannot be
 * told. Alive: 1 if it lives or that cannot be told, 0 if it is certainly
 * gone, opening it first unless *peer holds it already. */
void ipc_shm__win_peer_init(ipc_shm__win_peer_t *peer);
int ipc_shm__win_peer_open(ipc_shm__win_peer_t *peer, uint64_t value);
int ipc_shm__win_peer_alive(ipc_shm__win_peer_t *peer, uint64_t value);
void ipc_shm__win_peer_close(ipc_shm__win_peer_t *peer);

/* Take a role whose holder is the word `*role` (in shared memory): by CAS
 * to `self` from a holder that is free, left (1) or gone. 0, or EXISTS
 * (recorded) while a live process holds it. */
int ipc_shm__win_take_role(uint64_t *role, uint64_t self);

/* Sleep on `waker` at most `ns` (> 0, INT64_MAX: no limit), and on the
 * process `value` names (0: none), kept open in *peer, whose end ends the
 * sleep; where there is none, at most IPC_SHM__LIVENESS_SLICE_NS. 0 when
 * woken, 1 when the time ran out, 2 when the process ended, or an error. */
int ipc_shm__win_sleep_watching(HANDLE waker, ipc_shm__win_peer_t *peer, uint64_t value,
                                int64_t ns);

/* The auto-reset event `name` (ASCII, e.g. "ipcshm.channel.ID.r") under
 * Local\ or Global\, opened, or made where none is: what channels and
 * topics sleep on. */
int ipc_shm__win_wake_event(const char *name, int global, HANDLE *out);

/* ---- Events and mutexes (src/win32/sync.c) ---- */

/* A mutex's recovery state, in the section every user maps. */
enum {
  IPC_SHM__WIN_STATE_CONSISTENT = 0,
  IPC_SHM__WIN_STATE_OWNER_DIED = 1,
  IPC_SHM__WIN_STATE_NOT_RECOVERABLE = 2
};

/* Wait for the object up to timeout_ms (or IPC_SHM_FOREVER), in waits no
 * longer than the system takes: WAIT_OBJECT_0, WAIT_ABANDONED,
 * WAIT_TIMEOUT, or WAIT_FAILED with the error recorded and its portable
 * code in *failed. */
DWORD ipc_shm__win_wait_for(HANDLE handle, int64_t timeout_ms, int *failed);

/* Wait for an event or a semaphore (nothing to abandon) and take it: 0,
 * TIMEOUT, or the recorded failure. */
int ipc_shm__win_take(HANDLE handle, int64_t timeout_ms);

/* A wait acquired the kernel mutex of `mutex` (`abandoned`: its owner
 * ended holding it): record this thread as its holder and say what it
 * found: 0, OWNER_DEAD, or NOT_RECOVERABLE (released again). */
int ipc_shm__win_mutex_acquired(struct ipc_shm *mutex, int abandoned);

/* The exact rights of a handle to `obj` made for a user or another
 * process: for a segment, mapping (with writing when `writable`) and
 * SECTION_QUERY; for an event or mutex, waiting and changing its state. */
DWORD ipc_shm__win_access_of(const struct ipc_shm *obj, int writable);

/* The type name of NtQueryObject for the kind of `obj` ("Section",
 * "Event", "Mutant"). */
const WCHAR *ipc_shm__win_type_of(const struct ipc_shm *obj);

/* Open (or make) the state section of a mutex whose state id is
 * obj->state_id, and map it: fills state and block. */
int ipc_shm__win_attach_mutex_state(struct ipc_shm *obj);

#endif
