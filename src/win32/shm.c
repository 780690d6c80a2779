/* SPDX-License-Identifier: MIT */
/* Windows backend of segments and views: file-mapping objects over the
 * page file or a file. Argument checks happen in src/common/shm.c. */
#include "win32_internal.h"

#include <stdlib.h>
#include <string.h>

static int to_wide_name(WCHAR out[IPC_SHM__WIDE_NAME_MAX], const char *name,
                        unsigned flags) {
  return ipc_shm__wide_name(out, (flags & IPC_SHM_GLOBAL) ? L"Global\\" : L"Local\\",
                            name);
}

int ipc_shm__win_query_section(HANDLE section, uint64_t *size,
                               unsigned long *attributes) {
  ipc_shm__section_info_t info;
  if (!SYS.NtQuerySection(section, &info))
    return ipc_shm__fail_last("NtQuerySection");
  *size = (uint64_t)info.maximum_size.QuadPart;
  if (attributes != NULL)
    *attributes = info.allocation_attributes;
  return 0;
}

/* CreateFileMappingW with a 64-bit size split into its two halves. */
static HANDLE create_mapping(HANDLE file, SECURITY_ATTRIBUTES *security,
                             DWORD protect, uint64_t size, const WCHAR *name) {
  return SYS.CreateFileMappingW(file, security, protect, (DWORD)(size >> 32),
                                (DWORD)(size & 0xFFFFFFFFu), name);
}

/* A page-file section failed: "not enough memory" there means the commit
 * charge cannot back this size, the same condition as ENOSPC on a POSIX
 * tmpfs. The native error stays as reported. */
static int fail_page_file_section(void) {
  DWORD native = GetLastError();
  int err = ipc_shm__fail((long)native, "CreateFileMappingW");
  if (err == IPC_SHM_E_NO_MEMORY)
    return ipc_shm__fail_as((long)native, "CreateFileMappingW", IPC_SHM_E_NO_SPACE);
  /* The name belongs to an object of another kind: it is taken. */
  if (native == ERROR_INVALID_HANDLE)
    return ipc_shm__fail_as((long)native, "CreateFileMappingW", IPC_SHM_E_EXISTS);
  return err;
}

static void fill_created(struct ipc_shm *shm, HANDLE section, uint64_t size) {
  shm->handle = section;
  shm->size = size;
  shm->writable = 1;
  shm->size_exact = 1;
}

int ipc_shm__os_create(struct ipc_shm *shm, const char *name, uint64_t size,
                       unsigned flags) {
  WCHAR wide_name[IPC_SHM__WIDE_NAME_MAX];
  HANDLE section;
  int err = to_wide_name(wide_name, name, flags);
  if (err != 0)
    return err;
  /* A section is published whole: no opener sees it before it has its
   * size. IPC_SHM_NORESERVE changes nothing here (see ipc_shm.h). */
  section = create_mapping(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE | SEC_COMMIT,
                           size, wide_name);
  if (section == NULL)
    return fail_page_file_section();
  if (GetLastError() == ERROR_ALREADY_EXISTS) {
    /* The handle is to somebody else's object: give it back and fail. */
    ipc_shm__os_close_quietly(section);
    return ipc_shm__fail(ERROR_ALREADY_EXISTS, "CreateFileMappingW");
  }
  fill_created(shm, section, size);
  return 0;
}

int ipc_shm__os_open(struct ipc_shm *shm, const char *name, unsigned flags) {
  WCHAR wide_name[IPC_SHM__WIDE_NAME_MAX];
  int writable = (flags & IPC_SHM_READONLY) == 0;
  DWORD access = FILE_MAP_READ | SECTION_QUERY | (writable ? FILE_MAP_WRITE : 0);
  HANDLE section;
  int err = to_wide_name(wide_name, name, flags);
  if (err != 0)
    return err;
  /* Never CreateFileMappingW here: opening must not need the right to
   * create, which Global\ reserves to privileged callers. */
  section = SYS.OpenFileMappingW(access, FALSE, wide_name);
  if (section == NULL) {
    /* The name belongs to an object of another kind (an event, a mutex). */
    if (GetLastError() == ERROR_INVALID_HANDLE)
      return ipc_shm__fail_as(ERROR_INVALID_HANDLE, "OpenFileMappingW",
                              IPC_SHM_E_WRONG_KIND);
    return ipc_shm__fail_last("OpenFileMappingW");
  }
  err = ipc_shm__win_query_section(section, &shm->size, NULL);
  if (err != 0) {
    ipc_shm__os_close_quietly(section);
    return err;
  }
  shm->handle = section;
  shm->writable = writable;
  shm->size_exact = 0;
  return 0;
}

/* OWNER RIGHTS, S-1-3-4: an ACE for it replaces the rights the owner of an
 * object is given implicitly (READ_CONTROL and WRITE_DAC). */
static SID owner_rights = {SID_REVISION, 1, {SECURITY_CREATOR_SID_AUTHORITY},
                           {SECURITY_CREATOR_OWNER_RIGHTS_RID}};

/* The security of an anonymous section: a DACL that lets nobody, the
 * owner included, open more than READ_CONTROL. The creator's own handle
 * has full access, but no holder of a read-only copy can duplicate it into
 * a writable one, nor first give itself WRITE_DAC to change the DACL. */
typedef struct anonymous_security {
  SECURITY_DESCRIPTOR descriptor;
  union {
    ACL acl;
    unsigned char bytes[sizeof(ACL) + sizeof(ACCESS_ALLOWED_ACE) + sizeof(SID)];
    DWORD align;
  } dacl;
} anonymous_security_t;

static int anonymous_attributes(anonymous_security_t *security,
                                SECURITY_ATTRIBUTES *attributes) {
  if (!SYS.InitializeSecurityDescriptor(&security->descriptor,
                                        SECURITY_DESCRIPTOR_REVISION))
    return ipc_shm__fail_last("InitializeSecurityDescriptor");
  if (!SYS.InitializeAcl(&security->dacl.acl, sizeof(security->dacl), ACL_REVISION))
    return ipc_shm__fail_last("InitializeAcl");
  if (!SYS.AddAccessAllowedAce(&security->dacl.acl, ACL_REVISION, READ_CONTROL,
                               &owner_rights))
    return ipc_shm__fail_last("AddAccessAllowedAce");
  if (!SYS.SetSecurityDescriptorDacl(&security->descriptor, TRUE, &security->dacl.acl,
                                     FALSE))
    return ipc_shm__fail_last("SetSecurityDescriptorDacl");
  attributes->nLength = sizeof(*attributes);
  attributes->lpSecurityDescriptor = &security->descriptor;
  attributes->bInheritHandle = FALSE;
  return 0;
}

int ipc_shm__os_create_anonymous(struct ipc_shm *shm, uint64_t size,
                                 unsigned flags) {
  anonymous_security_t security;
  SECURITY_ATTRIBUTES attributes;
  HANDLE section;
  int err = anonymous_attributes(&security, &attributes);
  (void)flags; /* IPC_SHM_NORESERVE changes nothing here (see ipc_shm.h) */
  if (err != 0)
    return err;
  section = create_mapping(INVALID_HANDLE_VALUE, &attributes,
                           PAGE_READWRITE | SEC_COMMIT, size, NULL);
  if (section == NULL)
    return fail_page_file_section();
  fill_created(shm, section, size);
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
    *file = SYS.CreateFileW(path, access, share, NULL, CREATE_NEW,
                            FILE_ATTRIBUTE_NORMAL, NULL);
    if (*file != INVALID_HANDLE_VALUE) {
      *created = 1;
      return 0;
    }
    if (GetLastError() != ERROR_FILE_EXISTS)
      return ipc_shm__fail_last("CreateFileW");
  }
  *file = SYS.CreateFileW(path, access, share, NULL, OPEN_EXISTING,
                          FILE_ATTRIBUTE_NORMAL, NULL);
  return *file != INVALID_HANDLE_VALUE ? 0 : ipc_shm__fail_last("CreateFileW");
}

/* Only a file on a disk can be mapped: not a pipe, a console or a device
 * that a path can also name. */
static int check_disk_file(HANDLE file) {
  DWORD type = SYS.GetFileType(file);
  if (type == FILE_TYPE_DISK)
    return 0;
  if (type == FILE_TYPE_UNKNOWN && GetLastError() != NO_ERROR)
    return ipc_shm__fail_last("GetFileType");
  return ipc_shm__fail_arg(IPC_SHM_E_WRONG_KIND);
}

int ipc_shm__os_file_open(ipc_shm__os_file_t *file, const char *path,
                          unsigned flags) {
  WCHAR *wide_path = NULL;
  HANDLE handle = INVALID_HANDLE_VALUE;
  LARGE_INTEGER size;
  int created = 0;
  int err = ipc_shm__wide_copy(path, &wide_path);
  if (err != 0)
    return err;
  err = open_file(wide_path, flags, &handle, &created);
  if (err != 0) {
    free(wide_path);
    return err;
  }
  file->handle = handle;
  file->created = created;
  file->wide_path = wide_path;
  err = check_disk_file(handle);
  if (err == 0 && !SYS.GetFileSizeEx(handle, &size))
    err = ipc_shm__fail_last("GetFileSizeEx");
  if (err != 0) {
    ipc_shm__os_file_discard(file);
    return err;
  }
  file->size = (uint64_t)size.QuadPart;
  return 0;
}

int ipc_shm__os_file_map(struct ipc_shm *shm, ipc_shm__os_file_t *file,
                         uint64_t size, int writable) {
  /* PAGE_WRITECOPY needs only read access to the file and still allows
   * copy-on-write views of a read-only mapping. A writable mapping larger
   * than the file extends the file. */
  HANDLE section = create_mapping(file->handle, NULL,
                                  writable ? PAGE_READWRITE : PAGE_WRITECOPY, size, NULL);
  if (section == NULL)
    return ipc_shm__fail_last("CreateFileMappingW");
  shm->handle = section;
  shm->os.file = file->handle;
  shm->size = size;
  shm->writable = writable;
  shm->size_exact = 1;
  free(file->wide_path);
  file->handle = INVALID_HANDLE_VALUE;
  file->wide_path = NULL;
  file->created = 0;
  return 0;
}

void ipc_shm__os_file_discard(ipc_shm__os_file_t *file) {
  DWORD saved = GetLastError();
  if (file->handle != INVALID_HANDLE_VALUE)
    ipc_shm__os_close_quietly(file->handle);
  if (file->created)
    (void)SYS.DeleteFileW(file->wide_path);
  free(file->wide_path);
  file->handle = INVALID_HANDLE_VALUE;
  file->wide_path = NULL;
  file->created = 0;
  SetLastError(saved);
}

void ipc_shm__os_object_init(struct ipc_shm *obj) {
  obj->os.file = IPC_SHM__NO_HANDLE;
  obj->os.block = NULL;
  obj->os.state = IPC_SHM__NO_HANDLE;
  obj->os.state_id = 0;
}

void ipc_shm__os_object_handles(const struct ipc_shm *obj,
                                ipc_shm_native_t handles[IPC_SHM__OWNED_MAX - 1]) {
  size_t i;
  for (i = 0; i < IPC_SHM__OWNED_MAX - 1; i++)
    handles[i] = IPC_SHM__NO_HANDLE;
  handles[0] = obj->os.file;
  handles[1] = obj->os.state;
}

void ipc_shm__os_view_init(struct ipc_shm_view *view) { view->os.file = IPC_SHM__NO_HANDLE; }

ipc_shm_native_t ipc_shm__os_view_handle(const struct ipc_shm_view *view) {
  return view->os.file;
}

int ipc_shm__os_close(struct ipc_shm *shm) {
  int err = 0;
  if (shm->os.block != NULL && !SYS.UnmapViewOfFile(shm->os.block))
    err = ipc_shm__fail_last("UnmapViewOfFile");
  if (shm->os.state != IPC_SHM__NO_HANDLE && !SYS.CloseHandle(shm->os.state) && err == 0)
    err = ipc_shm__fail_last("CloseHandle");
  if (!SYS.CloseHandle(shm->handle) && err == 0)
    err = ipc_shm__fail_last("CloseHandle");
  if (shm->os.file != IPC_SHM__NO_HANDLE && !SYS.CloseHandle(shm->os.file) && err == 0)
    err = ipc_shm__fail_last("CloseHandle");
  return err;
}

int ipc_shm__os_seal(struct ipc_shm *shm) {
  (void)shm;
  /* Sections have no seals; read-only copies are enforced by access rights. */
  return ipc_shm__fail_arg(IPC_SHM_E_NOT_SUPPORTED);
}

int ipc_shm__os_remove(const char *name, unsigned flags) {
  (void)name;
  (void)flags;
  /* A name lives exactly as long as the last handle to its object. */
  return ipc_shm__fail_arg(IPC_SHM_E_NOT_SUPPORTED);
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
  if (view->access == IPC_SHM_MAP_WRITE && shm->os.file != IPC_SHM__NO_HANDLE &&
      !SYS.DuplicateHandle(self, shm->os.file, self, &view->os.file, 0, FALSE,
                           DUPLICATE_SAME_ACCESS))
    return ipc_shm__fail_last("DuplicateHandle");
  base = SYS.MapViewOfFile(shm->handle, view_access(view->access),
                           (DWORD)(offset >> 32), (DWORD)(offset & 0xFFFFFFFFu),
                           length);
  if (base == NULL) {
    int err = ipc_shm__fail_last("MapViewOfFile");
    if (view->os.file != IPC_SHM__NO_HANDLE)
      ipc_shm__os_close_quietly(view->os.file);
    view->os.file = IPC_SHM__NO_HANDLE;
    return err;
  }
  view->base = base;
  return 0;
}

int ipc_shm__os_unmap(struct ipc_shm_view *view) {
  int err = 0;
  if (!SYS.UnmapViewOfFile(view->base))
    err = ipc_shm__fail_last("UnmapViewOfFile");
  if (view->os.file != IPC_SHM__NO_HANDLE && !SYS.CloseHandle(view->os.file) && err == 0)
    err = ipc_shm__fail_last("CloseHandle");
  return err;
}

int ipc_shm__os_flush(struct ipc_shm_view *view, void *addr, size_t length) {
  if (!SYS.FlushViewOfFile(addr, length))
    return ipc_shm__fail_last("FlushViewOfFile");
  /* FlushViewOfFile only starts the writes of a file's pages; waiting for
   * them to reach the disk takes the file handle. */
  if (view->os.file != IPC_SHM__NO_HANDLE && !SYS.FlushFileBuffers(view->os.file))
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
