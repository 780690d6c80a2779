/* SPDX-License-Identifier: MIT */
/* Windows backend of listing: the sections, events, mutexes and semaphores of the
 * session's object directory (or of Global\), read with
 * NtQueryDirectoryObject. A section is opened read-only to learn its size
 * and whether it holds a channel; the library's own helper objects (a
 * mutex's recovery state, a channel's events) are left out. A named object
 * lives only while a handle to it is open: each has a user. */
#include "win32_internal.h"

#include <string.h>
#include <wchar.h>

/* OBJECT_DIRECTORY_INFORMATION: the entry's name and type name. */
typedef struct directory_entry {
  USHORT name_length, name_maximum;
  PWSTR name;
  USHORT type_length, type_maximum;
  PWSTR type;
} directory_entry_t;

/* 1 if the counted string `s` of `bytes` bytes is `text`. */
static int counted_is(const WCHAR *s, USHORT bytes, const WCHAR *text) {
  size_t length = wcslen(text);
  return bytes == length * sizeof(WCHAR) && memcmp(s, text, bytes) == 0;
}

/* 1 if the counted string starts with `prefix`. */
static int counted_starts(const WCHAR *s, USHORT bytes, const WCHAR *prefix) {
  size_t length = wcslen(prefix);
  return bytes >= length * sizeof(WCHAR) && memcmp(s, prefix, length * sizeof(WCHAR)) == 0;
}

/* Appends `length` characters of `text` at out[*at], if they fit with the
 * terminator; 0 if they do not. */
static int wide_append(WCHAR *out, size_t capacity, size_t *at, const WCHAR *text,
                       size_t length) {
  if (length >= capacity - *at)
    return 0;
  memcpy(out + *at, text, length * sizeof(WCHAR));
  *at += length;
  out[*at] = L'\0';
  return 1;
}

/* The object directory of `session`: \BaseNamedObjects for session 0,
 * else \Sessions\N\BaseNamedObjects. */
static void session_directory(WCHAR *out, size_t capacity, DWORD session) {
  static const WCHAR base[] = L"\\BaseNamedObjects";
  static const WCHAR sessions[] = L"\\Sessions\\";
  WCHAR digits[16];
  size_t at = 0, count = 0;
  out[0] = L'\0';
  if (session != 0) {
    do {
      digits[sizeof(digits) / sizeof(WCHAR) - 1 - count++] = (WCHAR)(L'0' + session % 10);
      session /= 10;
    } while (session != 0);
    wide_append(out, capacity, &at, sessions, wcslen(sessions));
    wide_append(out, capacity, &at, digits + sizeof(digits) / sizeof(WCHAR) - count, count);
  }
  wide_append(out, capacity, &at, base, wcslen(base));
}

/* What a section holds: a channel or topic (its magic at the start) or a segment,
 * and its size; 0 and a segment when it cannot be opened. */
static void inspect_section(const WCHAR *path, int *kind, uint64_t *size) {
  HANDLE section = SYS.OpenFileMappingW(FILE_MAP_READ | SECTION_QUERY, FALSE, path);
  *kind = IPC_SHM_KIND_SEGMENT;
  *size = 0;
  if (section == NULL)
    return;
  if (ipc_shm__win_query_section(section, size, NULL) != 0)
    *size = 0;
  if (*size >= IPC_SHM_CHANNEL_HEADER) {
    const void *head = SYS.MapViewOfFile(section, FILE_MAP_READ, 0, 0, 8);
    if (head != NULL) {
      if (memcmp(head, IPC_SHM__CH_MAGIC_TEXT, 8) == 0)
        *kind = IPC_SHM_KIND_CHANNEL;
      else if (memcmp(head, IPC_SHM__TP_MAGIC_TEXT, 8) == 0 && *size >= IPC_SHM_TOPIC_HEADER)
        *kind = IPC_SHM_KIND_TOPIC;
      (void)SYS.UnmapViewOfFile(head);
    }
  }
  ipc_shm__os_close_quietly(section);
}

int ipc_shm__os_list(unsigned flags, ipc_shm__list_each_t each, void *arg) {
  union {
    directory_entry_t entry;
    unsigned char bytes[4096];
  } buffer;
  WCHAR directory_path[64];
  HANDLE directory;
  DWORD session = 0;
  ULONG context = 0;
  int err = 0;

  if (!(flags & IPC_SHM_GLOBAL) &&
      !SYS.ProcessIdToSessionId(GetCurrentProcessId(), &session))
    return ipc_shm__fail_last("ProcessIdToSessionId");
  session_directory(directory_path, sizeof(directory_path) / sizeof(WCHAR), session);
  if (!SYS.NtOpenDirectoryObject(&directory, directory_path))
    return ipc_shm__fail_last("NtOpenDirectoryObject");

  for (;;) {
    directory_entry_t *e = &buffer.entry;
    char name[IPC_SHM_NAME_MAX * 4 + 1];
    WCHAR path[IPC_SHM__WIDE_NAME_MAX];
    int kind, n;
    uint64_t size = 0;
    if (!SYS.NtQueryDirectoryObject(directory, buffer.bytes, sizeof(buffer), &context)) {
      if (GetLastError() != ERROR_NO_MORE_ITEMS)
        err = ipc_shm__fail_last("NtQueryDirectoryObject");
      break;
    }
    if (counted_is(e->type, e->type_length, L"Section"))
      kind = IPC_SHM_KIND_SEGMENT;
    else if (counted_is(e->type, e->type_length, L"Event"))
      kind = IPC_SHM_KIND_EVENT;
    else if (counted_is(e->type, e->type_length, L"Mutant"))
      kind = IPC_SHM_KIND_MUTEX;
    else if (counted_is(e->type, e->type_length, L"Semaphore"))
      kind = IPC_SHM_KIND_SEMAPHORE;
    else
      continue;
    /* The library's helpers, and names longer than a portable one. */
    if (counted_starts(e->name, e->name_length, L"ipcshm.") ||
        e->name_length / sizeof(WCHAR) > IPC_SHM_NAME_MAX)
      continue;
    n = SYS.WideCharToMultiByte(CP_UTF8, WC_ERR_INVALID_CHARS, e->name,
                                (int)(e->name_length / sizeof(WCHAR)), name,
                                (int)sizeof(name) - 1, NULL, NULL);
    if (n <= 0)
      continue; /* no UTF-8 for it: not a portable name */
    name[n] = '\0';
    if (kind == IPC_SHM_KIND_SEGMENT) {
      const WCHAR *scope = (flags & IPC_SHM_GLOBAL) ? L"Global\\" : L"Local\\";
      size_t at = 0;
      if (wide_append(path, IPC_SHM__WIDE_NAME_MAX, &at, scope, wcslen(scope)) &&
          wide_append(path, IPC_SHM__WIDE_NAME_MAX, &at, e->name,
                      e->name_length / sizeof(WCHAR)))
        inspect_section(path, &kind, &size);
    }
    if (each(name, kind, size, IPC_SHM_USERS_SOME, arg) != 0)
      break;
  }
  ipc_shm__os_close_quietly(directory);
  return err;
}
