/* Windows backend: file-mapping objects over the page file or a file.
 * Argument checks happen in src/common/shm.c. */
#include "win32_internal.h"

#include <windows.h>

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* "Global\" + the name in UTF-16 (at most one unit per byte) + NUL */
#define WIDE_NAME_MAX (7 + IPC_SHM_NAME_MAX + 1)

/* SECTION_BASIC_INFORMATION of NtQuerySection (winternl.h lacks it). */
typedef struct section_basic_information {
  PVOID base_address;
  ULONG allocation_attributes;
  LARGE_INTEGER maximum_size;
} section_basic_information_t;

typedef LONG(WINAPI *nt_query_section_fn)(HANDLE, int, PVOID, SIZE_T, PSIZE_T);
typedef ULONG(WINAPI *rtl_nt_status_to_dos_error_fn)(LONG);

int ipc_shm__translate(long native) {
  switch ((DWORD)native) {
  case ERROR_SUCCESS:
    return 0;
  case ERROR_INVALID_PARAMETER:
    return IPC_SHM_E_INVAL;
  case ERROR_INVALID_NAME:
  case ERROR_BAD_PATHNAME:
  case ERROR_NO_UNICODE_TRANSLATION:
    return IPC_SHM_E_NAME_INVALID;
  case ERROR_FILENAME_EXCED_RANGE:
    return IPC_SHM_E_NAME_TOO_LONG;
  case ERROR_FILE_TOO_LARGE:
  case ERROR_ARITHMETIC_OVERFLOW:
    return IPC_SHM_E_SIZE_TOO_BIG;
  case ERROR_ACCESS_DENIED:
  case ERROR_PRIVILEGE_NOT_HELD:
  case ERROR_WRITE_PROTECT:
  case ERROR_SHARING_VIOLATION:
  case ERROR_LOCK_VIOLATION:
    return IPC_SHM_E_PERM;
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
    return IPC_SHM_E_NOT_FOUND;
  case ERROR_ALREADY_EXISTS:
  case ERROR_FILE_EXISTS:
    return IPC_SHM_E_EXISTS;
  case ERROR_DISK_FULL:
  case ERROR_HANDLE_DISK_FULL:
  case ERROR_COMMITMENT_LIMIT:
    return IPC_SHM_E_NO_SPACE;
  case ERROR_NOT_ENOUGH_MEMORY:
  case ERROR_OUTOFMEMORY:
  case ERROR_NO_SYSTEM_RESOURCES:
    return IPC_SHM_E_NO_MEMORY;
  case ERROR_TOO_MANY_OPEN_FILES:
    return IPC_SHM_E_TOO_MANY;
  case ERROR_BROKEN_PIPE:
  case ERROR_NO_DATA:
  case ERROR_PIPE_NOT_CONNECTED:
    return IPC_SHM_E_DISCONNECTED;
  case ERROR_NOT_SUPPORTED:
  case ERROR_CALL_NOT_IMPLEMENTED:
    return IPC_SHM_E_NOT_SUPPORTED;
  case ERROR_IO_DEVICE:
  case ERROR_CRC:
  case ERROR_READ_FAULT:
  case ERROR_WRITE_FAULT:
    return IPC_SHM_E_IO;
  default:
    return IPC_SHM_E_SYSTEM;
  }
}

static int to_wide_name(WCHAR out[WIDE_NAME_MAX], const char *name,
                        unsigned flags) {
  const WCHAR *prefix = (flags & IPC_SHM_GLOBAL) ? L"Global\\" : L"Local\\";
  int prefix_length = (int)wcslen(prefix);
  int n;
  memcpy(out, prefix, (size_t)prefix_length * sizeof(WCHAR));
  n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, name, -1,
                          out + prefix_length, WIDE_NAME_MAX - prefix_length);
  return n > 0 ? 0 : ipc_shm__fail_last("MultiByteToWideChar");
}

/* A function of ntdll, or NULL. */
void (*ipc_shm__win_ntdll_function(const char *function))(void) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  return ntdll != NULL ? (void (*)(void))GetProcAddress(ntdll, function) : NULL;
}

/* The size of a section as the system records it (rounded up to the page
 * for page-file sections) and its allocation attributes (SEC_IMAGE, ...).
 * Needs SECTION_QUERY access on the handle. */
int ipc_shm__win_query_section(void *section, uint64_t *size,
                               unsigned long *attributes) {
  nt_query_section_fn query =
      (nt_query_section_fn)ipc_shm__win_ntdll_function("NtQuerySection");
  rtl_nt_status_to_dos_error_fn to_dos =
      (rtl_nt_status_to_dos_error_fn)ipc_shm__win_ntdll_function(
          "RtlNtStatusToDosError");
  section_basic_information_t info;
  SIZE_T returned = 0;
  LONG status;
  if (query == NULL || to_dos == NULL)
    return ipc_shm__fail(ERROR_CALL_NOT_IMPLEMENTED, "NtQuerySection");
  status = query(section, 0 /* SectionBasicInformation */, &info, sizeof(info),
                 &returned);
  if (status < 0)
    return ipc_shm__fail((long)to_dos(status), "NtQuerySection");
  *size = (uint64_t)info.maximum_size.QuadPart;
  if (attributes != NULL)
    *attributes = info.allocation_attributes;
  return 0;
}

/* CreateFileMappingW with a 64-bit size split into its two halves. */
static HANDLE create_mapping(HANDLE file, DWORD protect, uint64_t size,
                             const WCHAR *name) {
  return CreateFileMappingW(file, NULL, protect, (DWORD)(size >> 32),
                            (DWORD)(size & 0xFFFFFFFFu), name);
}

int ipc_shm__os_create(struct ipc_shm *shm, const char *name, uint64_t size,
                       unsigned flags) {
  WCHAR wide_name[WIDE_NAME_MAX];
  HANDLE section;
  int err = to_wide_name(wide_name, name, flags);
  if (err != 0)
    return err;
  section = create_mapping(INVALID_HANDLE_VALUE, PAGE_READWRITE | SEC_COMMIT,
                           size, wide_name);
  if (section == NULL) {
    err = ipc_shm__fail_last("CreateFileMappingW");
    /* For the page file "not enough memory" means the commit charge cannot
     * back this size: the same condition as ENOSPC on a POSIX tmpfs. */
    return err == IPC_SHM_E_NO_MEMORY ? IPC_SHM_E_NO_SPACE : err;
  }
  if (GetLastError() == ERROR_ALREADY_EXISTS) {
    /* The handle is to somebody else's object: give it back and fail. */
    ipc_shm__close_quietly(section);
    return ipc_shm__fail(ERROR_ALREADY_EXISTS, "CreateFileMappingW");
  }
  shm->handle = section;
  shm->size = size;
  shm->writable = 1;
  shm->size_exact = 1;
  return 0;
}

int ipc_shm__os_open(struct ipc_shm *shm, const char *name, unsigned flags) {
  WCHAR wide_name[WIDE_NAME_MAX];
  int writable = (flags & IPC_SHM_READONLY) == 0;
  DWORD access = FILE_MAP_READ | SECTION_QUERY | (writable ? FILE_MAP_WRITE : 0);
  HANDLE section;
  int err = to_wide_name(wide_name, name, flags);
  if (err != 0)
    return err;
  /* Never CreateFileMappingW here: opening must not need the right to
   * create, which Global\ reserves to privileged callers. */
  section = OpenFileMappingW(access, FALSE, wide_name);
  if (section == NULL)
    return ipc_shm__fail_last("OpenFileMappingW");
  err = ipc_shm__win_query_section(section, &shm->size, NULL);
  if (err != 0) {
    ipc_shm__close_quietly(section);
    return err;
  }
  shm->handle = section;
  shm->writable = writable;
  shm->size_exact = 0;
  return 0;
}

int ipc_shm__os_create_anonymous(struct ipc_shm *shm, uint64_t size) {
  /* An empty DACL: the creator's handle has full access, but nobody can
   * later duplicate a read-only copy into a writable one (an unnamed object
   * without a DACL would allow that to any holder). */
  SECURITY_DESCRIPTOR descriptor;
  SECURITY_ATTRIBUTES attributes;
  ACL empty_acl;
  HANDLE section;
  if (!InitializeSecurityDescriptor(&descriptor, SECURITY_DESCRIPTOR_REVISION) ||
      !InitializeAcl(&empty_acl, sizeof(empty_acl), ACL_REVISION) ||
      !SetSecurityDescriptorDacl(&descriptor, TRUE, &empty_acl, FALSE))
    return ipc_shm__fail_last("InitializeSecurityDescriptor");
  attributes.nLength = sizeof(attributes);
  attributes.lpSecurityDescriptor = &descriptor;
  attributes.bInheritHandle = FALSE;
  section = CreateFileMappingW(INVALID_HANDLE_VALUE, &attributes,
                               PAGE_READWRITE | SEC_COMMIT, (DWORD)(size >> 32),
                               (DWORD)(size & 0xFFFFFFFFu), NULL);
  if (section == NULL) {
    int err = ipc_shm__fail_last("CreateFileMappingW");
    return err == IPC_SHM_E_NO_MEMORY ? IPC_SHM_E_NO_SPACE : err;
  }
  shm->handle = section;
  shm->size = size;
  shm->writable = 1;
  shm->size_exact = 1;
  return 0;
}

/* UTF-8 path to a malloc'ed UTF-16 string. */
static int to_wide_path(const char *path, WCHAR **out) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, NULL, 0);
  if (n <= 0)
    return ipc_shm__fail_last("MultiByteToWideChar");
  *out = (WCHAR *)malloc((size_t)n * sizeof(WCHAR));
  if (*out == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  (void)MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, path, -1, *out, n);
  return 0;
}

/* Open the file; with FILE_CREATE create it if missing, and say whether this
 * call created it. */
static int open_file(const WCHAR *path, unsigned flags, HANDLE *file,
                     int *created) {
  DWORD access = GENERIC_READ | ((flags & IPC_SHM_READONLY) ? 0 : GENERIC_WRITE);
  DWORD share = FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE;
  *created = 0;
  if (flags & IPC_SHM_FILE_CREATE) {
    *file = CreateFileW(path, access, share, NULL, CREATE_NEW,
                        FILE_ATTRIBUTE_NORMAL, NULL);
    if (*file != INVALID_HANDLE_VALUE) {
      *created = 1;
      return 0;
    }
    if (GetLastError() != ERROR_FILE_EXISTS)
      return ipc_shm__fail_last("CreateFileW");
  }
  *file = CreateFileW(path, access, share, NULL, OPEN_EXISTING,
                      FILE_ATTRIBUTE_NORMAL, NULL);
  return *file != INVALID_HANDLE_VALUE ? 0 : ipc_shm__fail_last("CreateFileW");
}

/* Make the mapping object of an open file. Returns 0 or a portable code. */
static int map_file(struct ipc_shm *shm, HANDLE file, uint64_t requested,
                    int writable) {
  LARGE_INTEGER file_size;
  uint64_t size;
  HANDLE section;
  int err;
  if (!GetFileSizeEx(file, &file_size))
    return ipc_shm__fail_last("GetFileSizeEx");
  err = ipc_shm__file_map_size(requested, (uint64_t)file_size.QuadPart,
                               writable, &size);
  if (err != 0)
    return err;
  /* PAGE_WRITECOPY needs only read access to the file and still allows
   * copy-on-write views of a read-only mapping. A writable mapping larger
   * than the file extends the file. */
  section = create_mapping(file, writable ? PAGE_READWRITE : PAGE_WRITECOPY,
                           size, NULL);
  if (section == NULL)
    return ipc_shm__fail_last("CreateFileMappingW");
  shm->handle = section;
  shm->size = size;
  shm->writable = writable;
  shm->size_exact = 1;
  return 0;
}

int ipc_shm__os_open_file(struct ipc_shm *shm, const char *path,
                          uint64_t requested, unsigned flags) {
  WCHAR *wide_path = NULL;
  HANDLE file = INVALID_HANDLE_VALUE;
  int created = 0;
  int err = to_wide_path(path, &wide_path);
  if (err == 0)
    err = open_file(wide_path, flags, &file, &created);
  if (err == 0)
    err = map_file(shm, file, requested, (flags & IPC_SHM_READONLY) == 0);
  if (err == 0) {
    shm->file = file;
  } else if (file != INVALID_HANDLE_VALUE) {
    ipc_shm__close_quietly(file);
    if (created)
      (void)DeleteFileW(wide_path);
  }
  free(wide_path);
  return err;
}

int ipc_shm__os_close(struct ipc_shm *shm) {
  int err = 0;
  if (!CloseHandle(shm->handle))
    err = ipc_shm__fail_last("CloseHandle");
  if (shm->file != IPC_SHM__NO_HANDLE && !CloseHandle(shm->file) && err == 0)
    err = ipc_shm__fail_last("CloseHandle");
  return err;
}

int ipc_shm__os_seal(struct ipc_shm *shm) {
  (void)shm;
  /* Sections have no seals; read-only copies are enforced by access rights. */
  return ipc_shm__fail(ERROR_NOT_SUPPORTED, "ipc_shm_seal");
}

int ipc_shm__os_remove(const char *name, unsigned flags) {
  (void)name;
  (void)flags;
  /* A name lives exactly as long as the last handle to its object. */
  return ipc_shm__fail(ERROR_NOT_SUPPORTED, "ipc_shm_remove");
}

static DWORD view_access(ipc_shm_access_t access) {
  switch (access) {
  case IPC_SHM_MAP_WRITE:
    return FILE_MAP_WRITE;
  case IPC_SHM_MAP_COPY:
    return FILE_MAP_COPY;
  default:
    return FILE_MAP_READ;
  }
}

int ipc_shm__os_map(struct ipc_shm_view *view, const struct ipc_shm *shm,
                    uint64_t offset, size_t length) {
  HANDLE self = GetCurrentProcess();
  void *base;
  /* Flushing a file-backed view also needs the file; the view keeps its own
   * handle so that it outlives the segment's. */
  if (view->access == IPC_SHM_MAP_WRITE && shm->file != IPC_SHM__NO_HANDLE &&
      !DuplicateHandle(self, shm->file, self, &view->file, 0, FALSE,
                       DUPLICATE_SAME_ACCESS))
    return ipc_shm__fail_last("DuplicateHandle");
  base = MapViewOfFile(shm->handle, view_access(view->access),
                       (DWORD)(offset >> 32), (DWORD)(offset & 0xFFFFFFFFu),
                       length);
  if (base == NULL) {
    int err = ipc_shm__fail_last("MapViewOfFile");
    if (view->file != IPC_SHM__NO_HANDLE)
      ipc_shm__close_quietly(view->file);
    view->file = IPC_SHM__NO_HANDLE;
    return err;
  }
  view->base = base;
  return 0;
}

int ipc_shm__os_unmap(struct ipc_shm_view *view) {
  int err = 0;
  if (!UnmapViewOfFile(view->base))
    err = ipc_shm__fail_last("UnmapViewOfFile");
  if (view->file != IPC_SHM__NO_HANDLE && !CloseHandle(view->file) && err == 0)
    err = ipc_shm__fail_last("CloseHandle");
  return err;
}

int ipc_shm__os_flush(struct ipc_shm_view *view, void *addr, size_t length) {
  if (!FlushViewOfFile(addr, length))
    return ipc_shm__fail_last("FlushViewOfFile");
  /* FlushViewOfFile only starts the writes of a file's pages; waiting for
   * them to reach the disk takes the file handle. */
  if (view->file != IPC_SHM__NO_HANDLE && !FlushFileBuffers(view->file))
    return ipc_shm__fail_last("FlushFileBuffers");
  return 0;
}

size_t ipc_shm__os_granularity(void) {
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  return (size_t)info.dwAllocationGranularity;
}

ipc_shm_lifetime_t ipc_shm__os_lifetime(void) {
  return IPC_SHM_LIFETIME_LAST_CLOSE;
}
