/* SPDX-License-Identifier: MIT */
/* Windows backend of child processes: CreateProcessW with exactly the
 * listed handles in a PROC_THREAD_ATTRIBUTE_HANDLE_LIST. */
#include "win32_internal.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

struct ipc_shm_process {
  HANDLE process;
  DWORD pid;
};

uint64_t ipc_shm__os_child_handle(ipc_shm_native_t copy, size_t index) {
  (void)index;
  return (uint64_t)(ULONG_PTR)copy; /* inherited handles keep their value */
}

/* Append one argument to a command line, quoted so that the child's
 * CommandLineToArgvW (and the C runtime) give it back unchanged. */
static size_t quote_argument(WCHAR *out, const WCHAR *arg) {
  size_t n = 0;
  const WCHAR *p;
  if (arg[0] != L'\0' && wcspbrk(arg, L" \t\n\v\"") == NULL) {
    for (p = arg; *p != L'\0'; p++)
      out[n++] = *p;
    return n;
  }
  out[n++] = L'"';
  for (p = arg;; p++) {
    size_t backslashes = 0;
    while (*p == L'\\') {
      backslashes++;
      p++;
    }
    if (*p == L'\0') {
      /* Doubled: the closing quote must stay a quote. */
      for (; backslashes > 0; backslashes--) {
        out[n++] = L'\\';
        out[n++] = L'\\';
      }
      break;
    }
    if (*p == L'"') {
      for (backslashes = backslashes * 2 + 1; backslashes > 0; backslashes--)
        out[n++] = L'\\';
    } else {
      for (; backslashes > 0; backslashes--)
        out[n++] = L'\\';
    }
    out[n++] = *p;
  }
  out[n++] = L'"';
  return n;
}

/* The command line of argv; malloc'ed, or NULL with the error recorded. */
static WCHAR *command_line(const char *const argv[], int *err) {
  size_t capacity = 1, used = 0, i;
  WCHAR *line;
  for (i = 0; argv[i] != NULL; i++) {
    /* Worst case: every character a quote after backslashes, doubled. */
    capacity += 3 + 2 * (strlen(argv[i]) + 1) * 2;
  }
  line = (WCHAR *)malloc(capacity * sizeof(WCHAR));
  if (line == NULL) {
    *err = ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
    return NULL;
  }
  for (i = 0; argv[i] != NULL; i++) {
    WCHAR *wide = NULL;
    *err = ipc_shm__wide_copy(argv[i], &wide);
    if (*err != 0) {
      free(line);
      return NULL;
    }
    if (i > 0)
      line[used++] = L' ';
    used += quote_argument(line + used, wide);
    free(wide);
  }
  line[used] = L'\0';
  return line;
}

/* This process's environment without IPC_SHM_INHERIT_ENV, plus `entry`, as
 * a block of NUL-terminated strings ended by an empty one. */
static WCHAR *child_environment(const WCHAR *entry, int *err) {
  static const WCHAR name[] = L"" IPC_SHM_INHERIT_ENV "=";
  const size_t name_length = sizeof(name) / sizeof(WCHAR) - 1;
  WCHAR *current = SYS.GetEnvironmentStringsW();
  WCHAR *block, *out;
  const WCHAR *p;
  size_t size = 0;
  if (current == NULL) {
    *err = ipc_shm__fail_last("GetEnvironmentStringsW");
    return NULL;
  }
  for (p = current; *p != L'\0'; p += wcslen(p) + 1)
    size += wcslen(p) + 1;
  block = (WCHAR *)malloc((size + wcslen(entry) + 2) * sizeof(WCHAR));
  if (block == NULL) {
    FreeEnvironmentStringsW(current);
    *err = ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
    return NULL;
  }
  out = block;
  for (p = current; *p != L'\0'; p += wcslen(p) + 1) {
    if (_wcsnicmp(p, name, name_length) == 0)
      continue;
    memcpy(out, p, (wcslen(p) + 1) * sizeof(WCHAR));
    out += wcslen(p) + 1;
  }
  memcpy(out, entry, (wcslen(entry) + 1) * sizeof(WCHAR));
  out += wcslen(entry) + 1;
  *out = L'\0';
  FreeEnvironmentStringsW(current);
  return block;
}

/* Inheritable copies of our standard handles, for STARTF_USESTDHANDLES:
 * with a handle list, the child gets only the handles in it. A stream
 * that cannot be copied is left out (the child gets none). */
static void inheritable_std_handles(HANDLE std[3]) {
  static const DWORD which[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE,
                                 STD_ERROR_HANDLE};
  HANDLE self = GetCurrentProcess();
  int i;
  for (i = 0; i < 3; i++) {
    HANDLE h = GetStdHandle(which[i]);
    std[i] = NULL;
    if (h != NULL && h != INVALID_HANDLE_VALUE &&
        !SYS.DuplicateHandle(self, h, self, &std[i], 0, TRUE, DUPLICATE_SAME_ACCESS))
      std[i] = NULL;
  }
}

/* A handle list of `count` handles, or NULL with the error recorded. */
static LPPROC_THREAD_ATTRIBUTE_LIST handle_list(HANDLE *handles, size_t count,
                                                int *err) {
  LPPROC_THREAD_ATTRIBUTE_LIST list;
  SIZE_T size = 0;
  /* The first call only asks for the size, and fails to say it. */
  (void)SYS.InitializeProcThreadAttributeList(NULL, 1, 0, &size);
  if (size == 0) {
    *err = ipc_shm__fail_last("InitializeProcThreadAttributeList");
    return NULL;
  }
  list = (LPPROC_THREAD_ATTRIBUTE_LIST)malloc(size);
  if (list == NULL) {
    *err = ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
    return NULL;
  }
  if (!SYS.InitializeProcThreadAttributeList(list, 1, 0, &size)) {
    *err = ipc_shm__fail_last("InitializeProcThreadAttributeList");
    free(list);
    return NULL;
  }
  if (!SYS.UpdateProcThreadAttribute(list, 0, PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
                                     handles, count * sizeof(HANDLE), NULL, NULL)) {
    *err = ipc_shm__fail_last("UpdateProcThreadAttribute");
    DeleteProcThreadAttributeList(list);
    free(list);
    return NULL;
  }
  return list;
}

int ipc_shm__os_spawn(ipc_shm_process_t **child, const char *const argv[],
                      const char *inherit_entry, const ipc_shm_native_t *copies,
                      size_t count) {
  struct ipc_shm_process *proc = NULL;
  HANDLE *handles = NULL;
  size_t listed = 0, i;
  HANDLE std[3] = {NULL, NULL, NULL};
  WCHAR *wide_entry = NULL, *line = NULL, *environment = NULL;
  LPPROC_THREAD_ATTRIBUTE_LIST attribute_list = NULL;
  STARTUPINFOEXW startup;
  PROCESS_INFORMATION info;
  int err = 0;

  proc = (struct ipc_shm_process *)calloc(1, sizeof(*proc));
  handles = (HANDLE *)calloc(count + 3, sizeof(HANDLE));
  if (proc == NULL || handles == NULL) {
    err = ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
    goto done;
  }
  err = ipc_shm__wide_copy(inherit_entry, &wide_entry);
  if (err != 0)
    goto done;
  line = command_line(argv, &err);
  if (line == NULL)
    goto done;
  environment = child_environment(wide_entry, &err);
  if (environment == NULL)
    goto done;
  /* Inheritable only for the moment of CreateProcessW, and only into this
   * child: the handle list keeps them from any other. */
  for (i = 0; i < count; i++) {
    if (!SYS.SetHandleInformation(copies[i], HANDLE_FLAG_INHERIT, HANDLE_FLAG_INHERIT)) {
      err = ipc_shm__fail_last("SetHandleInformation");
      goto done;
    }
    handles[listed++] = copies[i];
  }

  memset(&startup, 0, sizeof(startup));
  startup.StartupInfo.cb = sizeof(startup);
  inheritable_std_handles(std);
  startup.StartupInfo.dwFlags = STARTF_USESTDHANDLES;
  startup.StartupInfo.hStdInput = std[0];
  startup.StartupInfo.hStdOutput = std[1];
  startup.StartupInfo.hStdError = std[2];
  for (i = 0; i < 3; i++)
    if (std[i] != NULL)
      handles[listed++] = std[i];

  if (listed > 0) {
    attribute_list = handle_list(handles, listed, &err);
    if (attribute_list == NULL)
      goto done;
    startup.lpAttributeList = attribute_list;
  }
  if (!SYS.CreateProcessW(NULL, line, NULL, NULL, listed > 0 ? TRUE : FALSE,
                          CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT,
                          environment, NULL, &startup.StartupInfo, &info)) {
    err = ipc_shm__fail_last("CreateProcessW");
    goto done;
  }
  ipc_shm__os_close_quietly(info.hThread);
  proc->process = info.hProcess;
  proc->pid = info.dwProcessId;
  *child = proc;
  proc = NULL;

done:
  if (attribute_list != NULL) {
    DeleteProcThreadAttributeList(attribute_list);
    free(attribute_list);
  }
  for (i = 0; i < 3; i++)
    if (std[i] != NULL)
      ipc_shm__os_close_quietly(std[i]);
  free(handles);
  free(wide_entry);
  free(line);
  free(environment);
  free(proc);
  return err;
}

unsigned long ipc_shm__os_process_id(const ipc_shm_process_t *child) {
  return (unsigned long)child->pid;
}

int ipc_shm__os_process_wait(ipc_shm_process_t *child, int *exit_code) {
  DWORD code = 0;
  int err = 0;
  if (SYS.WaitForSingleObject(child->process, INFINITE) != WAIT_OBJECT_0)
    err = ipc_shm__fail_last("WaitForSingleObject");
  else if (!SYS.GetExitCodeProcess(child->process, &code))
    err = ipc_shm__fail_last("GetExitCodeProcess");
  else if (exit_code != NULL)
    *exit_code = (int)code;
  ipc_shm__os_close_quietly(child->process);
  free(child);
  return err;
}
