/* Windows backend of handing segments to other processes: inheritable
 * handles with a handle list, DuplicateHandle, and named pipes. */
#include "win32_internal.h"

#include <windows.h>

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

/* The exact rights a handed-over handle carries: mapping plus the query
 * that learns the size; never WRITE_DAC, WRITE_OWNER or DELETE. */
#define ACCESS_READ (FILE_MAP_READ | SECTION_QUERY)
#define ACCESS_WRITE (FILE_MAP_READ | FILE_MAP_WRITE | SECTION_QUERY)

#define PIPE_PREFIX L"\\\\.\\pipe\\ipcshm."
/* Holds a listener's name: '/' cannot occur in a segment name, so this
 * never meets a segment in the object namespace. */
#define LOCK_PREFIX L"Local\\ipcshm/listener/"
#define WIDE_MAX 96

/* NtQueryObject classes and the parts of their answers used here. */
enum { OBJECT_BASIC_INFORMATION = 0, OBJECT_TYPE_INFORMATION = 2 };
typedef struct object_basic_information {
  ULONG attributes;
  ACCESS_MASK granted_access;
  ULONG rest[12];
} object_basic_information_t;
typedef struct unicode_string {
  USHORT length;
  USHORT maximum_length;
  PWSTR buffer;
} unicode_string_t;
typedef LONG(WINAPI *nt_query_object_fn)(HANDLE, int, PVOID, ULONG, PULONG);

struct ipc_shm_process {
  HANDLE process;
  DWORD pid;
};

struct ipc_shm_listener {
  HANDLE lock;    /* event whose name says "somebody listens here" */
  HANDLE pending; /* the pipe instance the next client connects to */
  WCHAR pipe_name[WIDE_MAX];
};

struct ipc_shm_conn {
  HANDLE pipe;
  DWORD peer_pid;
};

unsigned long ipc_shm__os_self_pid(void) {
  return (unsigned long)GetCurrentProcessId();
}



static DWORD access_of(int writable) {
  return writable ? ACCESS_WRITE : ACCESS_READ;
}

static HANDLE handle_of(uint64_t value) { return (HANDLE)(ULONG_PTR)value; }

/* ---- Handle checks ---- */

/* Is `handle` a section (not an image) with exactly the token's access and
 * room for its size? 0 or BAD_TOKEN; never changes the handle. */
static int check_handle(HANDLE handle, const ipc_shm_token_t *token) {
  nt_query_object_fn query =
      (nt_query_object_fn)ipc_shm__win_ntdll_function("NtQueryObject");
  union {
    unicode_string_t name; /* OBJECT_TYPE_INFORMATION starts with it */
    unsigned char bytes[1024];
    void *align;
  } type;
  object_basic_information_t basic;
  static const WCHAR section[] = L"Section";
  uint64_t size = 0;
  unsigned long attributes = 0;
  ULONG returned = 0;
  size_t granularity = ipc_shm__os_granularity();

  if (query == NULL)
    return ipc_shm__fail(ERROR_CALL_NOT_IMPLEMENTED, "NtQueryObject");
  if (handle == NULL || handle == INVALID_HANDLE_VALUE ||
      query(handle, OBJECT_TYPE_INFORMATION, &type, sizeof(type), &returned) < 0 ||
      type.name.length != sizeof(section) - sizeof(WCHAR) ||
      memcmp(type.name.buffer, section, type.name.length) != 0)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  if (query(handle, OBJECT_BASIC_INFORMATION, &basic, sizeof(basic), &returned) < 0 ||
      basic.granted_access != access_of(token->writable))
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  if (ipc_shm__win_query_section(handle, &size, &attributes) != 0 ||
      (attributes & SEC_IMAGE) != 0 || size < token->size ||
      size - token->size >= granularity)
    return ipc_shm__fail_arg(IPC_SHM_E_BAD_TOKEN);
  return 0;
}

static void fill_segment(struct ipc_shm *shm, HANDLE handle,
                         const ipc_shm_token_t *token) {
  shm->handle = handle;
  shm->size = token->size;
  shm->writable = token->writable;
  shm->size_exact = 1;
}

/* A handle of process `pid` that allows DuplicateHandle. */
static int open_process(unsigned long pid, HANDLE *process) {
  *process = OpenProcess(PROCESS_DUP_HANDLE, FALSE, (DWORD)pid);
  if (*process != NULL)
    return 0;
  /* OpenProcess says "invalid parameter" for a process that does not exist. */
  if (GetLastError() == ERROR_INVALID_PARAMETER)
    return ipc_shm__fail(ERROR_FILE_NOT_FOUND, "OpenProcess");
  return ipc_shm__fail_last("OpenProcess");
}

/* ---- Export, import, pull, push ---- */

int ipc_shm__os_export(struct ipc_shm_export *exp, const struct ipc_shm *shm,
                       int writable, int inheritable, ipc_shm_token_t *token) {
  HANDLE self = GetCurrentProcess();
  HANDLE copy;
  if (!DuplicateHandle(self, shm->handle, self, &copy, access_of(writable),
                       inheritable ? TRUE : FALSE, 0))
    return ipc_shm__fail_last("DuplicateHandle");
  exp->handle = copy;
  token->writable = writable;
  token->size = shm->size;
  token->handle = (uint64_t)(ULONG_PTR)copy;
  return 0;
}

int ipc_shm__os_export_close(struct ipc_shm_export *exp) {
  return CloseHandle(exp->handle) ? 0 : ipc_shm__fail_last("CloseHandle");
}

int ipc_shm__os_adopt(struct ipc_shm *shm, uint64_t value,
                      const ipc_shm_token_t *token) {
  HANDLE handle = handle_of(value);
  int err = check_handle(handle, token);
  if (err != 0)
    return err;
  if (!SetHandleInformation(handle, HANDLE_FLAG_INHERIT, 0))
    return ipc_shm__fail_last("SetHandleInformation");
  fill_segment(shm, handle, token);
  return 0;
}

int ipc_shm__os_pull(struct ipc_shm *shm, const ipc_shm_token_t *token) {
  HANDLE owner, copy = NULL;
  int err = open_process(token->pid, &owner);
  if (err != 0)
    return err;
  if (!DuplicateHandle(owner, handle_of(token->handle), GetCurrentProcess(),
                       &copy, 0, FALSE, DUPLICATE_SAME_ACCESS)) {
    /* The owner has no such handle (any more). */
    err = GetLastError() == ERROR_INVALID_HANDLE
              ? ipc_shm__fail(ERROR_FILE_NOT_FOUND, "DuplicateHandle")
              : ipc_shm__fail_last("DuplicateHandle");
    ipc_shm__close_quietly(owner);
    return err;
  }
  ipc_shm__close_quietly(owner);
  err = check_handle(copy, token);
  if (err != 0) {
    ipc_shm__close_quietly(copy);
    return err;
  }
  fill_segment(shm, copy, token);
  return 0;
}

/* Put a copy of the segment's handle into `process`; *remote is its value
 * there. */
static int duplicate_into(HANDLE process, const struct ipc_shm *shm,
                          int writable, HANDLE *remote) {
  if (!DuplicateHandle(GetCurrentProcess(), shm->handle, process, remote,
                       access_of(writable), FALSE, 0))
    return ipc_shm__fail_last("DuplicateHandle");
  return 0;
}

/* Take back a handle put into another process that never learned of it. */
static void close_remote(HANDLE process, HANDLE remote) {
  DWORD saved = GetLastError();
  (void)DuplicateHandle(process, remote, NULL, NULL, 0, FALSE,
                        DUPLICATE_CLOSE_SOURCE);
  SetLastError(saved);
}

int ipc_shm__os_push(const struct ipc_shm *shm, unsigned long pid, int writable,
                     ipc_shm_token_t *token) {
  HANDLE process, remote = NULL;
  int err = open_process(pid, &process);
  if (err != 0)
    return err;
  err = duplicate_into(process, shm, writable, &remote);
  ipc_shm__close_quietly(process);
  if (err != 0)
    return err;
  token->writable = writable;
  token->size = shm->size;
  token->handle = (uint64_t)(ULONG_PTR)remote;
  return 0;
}

/* ---- Child processes ---- */

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

static WCHAR *to_wide(const char *text) {
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, NULL, 0);
  WCHAR *wide;
  if (n <= 0)
    return NULL;
  wide = (WCHAR *)malloc((size_t)n * sizeof(WCHAR));
  if (wide != NULL)
    (void)MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, text, -1, wide, n);
  return wide;
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
    WCHAR *wide = to_wide(argv[i]);
    if (wide == NULL) {
      *err = ipc_shm__fail(ERROR_NO_UNICODE_TRANSLATION, "MultiByteToWideChar");
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
  WCHAR *current = GetEnvironmentStringsW();
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
 * with a handle list, the child gets only the handles in it. */
static void inheritable_std_handles(HANDLE std[3]) {
  static const DWORD which[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE,
                                 STD_ERROR_HANDLE};
  HANDLE self = GetCurrentProcess();
  int i;
  for (i = 0; i < 3; i++) {
    HANDLE h = GetStdHandle(which[i]);
    std[i] = NULL;
    if (h != NULL && h != INVALID_HANDLE_VALUE &&
        !DuplicateHandle(self, h, self, &std[i], 0, TRUE, DUPLICATE_SAME_ACCESS))
      std[i] = NULL;
  }
}

int ipc_shm__os_spawn(ipc_shm_process_t **child, const char *const argv[],
                      const ipc_shm_inherit_t *segments, size_t count) {
  const size_t prefix = sizeof(IPC_SHM_INHERIT_ENV "=") - 1;
  struct ipc_shm_process *proc = NULL;
  HANDLE *handles = NULL;
  size_t listed = 0, i, used;
  HANDLE std[3] = {NULL, NULL, NULL};
  char *entry = NULL;
  WCHAR *wide_entry = NULL, *line = NULL, *environment = NULL;
  LPPROC_THREAD_ATTRIBUTE_LIST attribute_list = NULL;
  SIZE_T list_size = 0;
  STARTUPINFOEXW startup;
  PROCESS_INFORMATION info;
  int err = 0;

  proc = (struct ipc_shm_process *)calloc(1, sizeof(*proc));
  handles = (HANDLE *)calloc(count + 3, sizeof(HANDLE));
  entry = (char *)malloc(prefix + (count + 1) * IPC_SHM_TOKEN_MAX);
  if (proc == NULL || handles == NULL || entry == NULL) {
    err = ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
    goto done;
  }
  memcpy(entry, IPC_SHM_INHERIT_ENV "=", prefix + 1);
  used = prefix;
  for (i = 0; i < count; i++) {
    const struct ipc_shm *shm = segments[i].shm;
    int writable = shm->writable && (segments[i].flags & IPC_SHM_READONLY) == 0;
    ipc_shm_token_t token;
    HANDLE self = GetCurrentProcess();
    /* Inheritable only for the moment of CreateProcessW, and only into this
     * child: the handle list keeps it from any other. */
    if (!DuplicateHandle(self, shm->handle, self, &handles[listed],
                         access_of(writable), TRUE, 0)) {
      err = ipc_shm__fail_last("DuplicateHandle");
      goto done;
    }
    memset(&token, 0, sizeof(token));
    token.writable = writable;
    token.size = shm->size;
    token.handle = (uint64_t)(ULONG_PTR)handles[listed];
    listed++;
    if (i > 0)
      entry[used++] = ' ';
    err = ipc_shm__token_format(&token, entry + used);
    if (err != 0)
      goto done;
    used += strlen(entry + used);
  }
  wide_entry = to_wide(entry);
  if (wide_entry == NULL) {
    err = ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
    goto done;
  }
  line = command_line(argv, &err);
  if (line == NULL)
    goto done;
  environment = child_environment(wide_entry, &err);
  if (environment == NULL)
    goto done;

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
    (void)InitializeProcThreadAttributeList(NULL, 1, 0, &list_size);
    attribute_list = (LPPROC_THREAD_ATTRIBUTE_LIST)malloc(list_size);
    if (attribute_list == NULL) {
      err = ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
      goto done;
    }
    if (!InitializeProcThreadAttributeList(attribute_list, 1, 0, &list_size)) {
      free(attribute_list);
      attribute_list = NULL;
      err = ipc_shm__fail_last("InitializeProcThreadAttributeList");
      goto done;
    }
    if (!UpdateProcThreadAttribute(attribute_list, 0,
                                   PROC_THREAD_ATTRIBUTE_HANDLE_LIST, handles,
                                   listed * sizeof(HANDLE), NULL, NULL)) {
      err = ipc_shm__fail_last("UpdateProcThreadAttribute");
      goto done;
    }
    startup.lpAttributeList = attribute_list;
  }
  if (!CreateProcessW(NULL, line, NULL, NULL, listed > 0 ? TRUE : FALSE,
                      CREATE_UNICODE_ENVIRONMENT | EXTENDED_STARTUPINFO_PRESENT,
                      environment, NULL, &startup.StartupInfo, &info)) {
    err = ipc_shm__fail_last("CreateProcessW");
    goto done;
  }
  CloseHandle(info.hThread);
  proc->process = info.hProcess;
  proc->pid = info.dwProcessId;
  *child = proc;
  proc = NULL;

done:
  if (attribute_list != NULL) {
    DeleteProcThreadAttributeList(attribute_list);
    free(attribute_list);
  }
  /* The child has its own copies now; ours go. */
  for (i = 0; i < listed; i++)
    ipc_shm__close_quietly(handles[i]);
  free(handles);
  free(entry);
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
  if (WaitForSingleObject(child->process, INFINITE) != WAIT_OBJECT_0)
    err = ipc_shm__fail_last("WaitForSingleObject");
  else if (!GetExitCodeProcess(child->process, &code))
    err = ipc_shm__fail_last("GetExitCodeProcess");
  else if (exit_code != NULL)
    *exit_code = (int)code;
  CloseHandle(child->process);
  free(child);
  return err;
}

/* ---- Connections ---- */

static int wide_with_prefix(WCHAR out[WIDE_MAX], const WCHAR *prefix,
                            const char *name) {
  size_t length = wcslen(prefix);
  int n;
  memcpy(out, prefix, length * sizeof(WCHAR));
  n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, name, -1, out + length,
                          (int)(WIDE_MAX - length));
  return n > 0 ? 0 : ipc_shm__fail_last("MultiByteToWideChar");
}

static HANDLE new_pipe_instance(const WCHAR *name, int first) {
  return CreateNamedPipeW(
      name, PIPE_ACCESS_DUPLEX | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0),
      PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
      PIPE_UNLIMITED_INSTANCES, 4096, 4096, 0, NULL);
}

int ipc_shm__os_listen(ipc_shm_listener_t **listener, const char *name) {
  struct ipc_shm_listener *l;
  WCHAR lock_name[WIDE_MAX];
  int err;
  l = (struct ipc_shm_listener *)calloc(1, sizeof(*l));
  if (l == NULL)
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  err = wide_with_prefix(lock_name, LOCK_PREFIX, name);
  if (err == 0)
    err = wide_with_prefix(l->pipe_name, PIPE_PREFIX, name);
  if (err != 0) {
    free(l);
    return err;
  }
  l->lock = CreateEventW(NULL, TRUE, FALSE, lock_name);
  if (l->lock == NULL) {
    err = ipc_shm__fail_last("CreateEventW");
    free(l);
    return err;
  }
  if (GetLastError() == ERROR_ALREADY_EXISTS) {
    ipc_shm__close_quietly(l->lock);
    free(l);
    return ipc_shm__fail(ERROR_ALREADY_EXISTS, "CreateEventW");
  }
  l->pending = new_pipe_instance(l->pipe_name, 1);
  if (l->pending == INVALID_HANDLE_VALUE) {
    /* Another program has a pipe of this name. */
    err = GetLastError() == ERROR_ACCESS_DENIED
              ? ipc_shm__fail(ERROR_ALREADY_EXISTS, "CreateNamedPipeW")
              : ipc_shm__fail_last("CreateNamedPipeW");
    ipc_shm__close_quietly(l->lock);
    free(l);
    return err;
  }
  *listener = l;
  return 0;
}

static int new_conn(ipc_shm_conn_t **conn, HANDLE pipe, DWORD peer_pid) {
  struct ipc_shm_conn *c = (struct ipc_shm_conn *)calloc(1, sizeof(*c));
  if (c == NULL) {
    ipc_shm__close_quietly(pipe);
    return ipc_shm__fail_arg(IPC_SHM_E_NO_MEMORY);
  }
  c->pipe = pipe;
  c->peer_pid = peer_pid;
  *conn = c;
  return 0;
}

int ipc_shm__os_accept(ipc_shm_listener_t *listener, ipc_shm_conn_t **conn) {
  ULONG peer_pid = 0;
  HANDLE pipe;
  if (listener->pending == INVALID_HANDLE_VALUE) {
    listener->pending = new_pipe_instance(listener->pipe_name, 0);
    if (listener->pending == INVALID_HANDLE_VALUE)
      return ipc_shm__fail_last("CreateNamedPipeW");
  }
  pipe = listener->pending;
  /* Connected before we asked (ERROR_PIPE_CONNECTED), or connected and gone
   * again (ERROR_NO_DATA): what it wrote can still be read. */
  if (!ConnectNamedPipe(pipe, NULL) && GetLastError() != ERROR_PIPE_CONNECTED &&
      GetLastError() != ERROR_NO_DATA)
    return ipc_shm__fail_last("ConnectNamedPipe");
  /* The next client needs an instance to connect to while this one talks. */
  listener->pending = new_pipe_instance(listener->pipe_name, 0);
  if (!GetNamedPipeClientProcessId(pipe, &peer_pid)) {
    int err = ipc_shm__fail_last("GetNamedPipeClientProcessId");
    ipc_shm__close_quietly(pipe);
    return err;
  }
  return new_conn(conn, pipe, (DWORD)peer_pid);
}

int ipc_shm__os_listener_close(ipc_shm_listener_t *listener) {
  int err = 0;
  if (listener->pending != INVALID_HANDLE_VALUE && !CloseHandle(listener->pending))
    err = ipc_shm__fail_last("CloseHandle");
  if (!CloseHandle(listener->lock) && err == 0)
    err = ipc_shm__fail_last("CloseHandle");
  free(listener);
  return err;
}

int ipc_shm__os_connect(ipc_shm_conn_t **conn, const char *name) {
  WCHAR pipe_name[WIDE_MAX];
  ULONG peer_pid = 0;
  HANDLE pipe;
  int attempt, err = wide_with_prefix(pipe_name, PIPE_PREFIX, name);
  if (err != 0)
    return err;
  for (attempt = 0;; attempt++) {
    /* Identification only: the listener may not act as us. */
    pipe = CreateFileW(pipe_name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
                       OPEN_EXISTING,
                       SECURITY_SQOS_PRESENT | SECURITY_IDENTIFICATION, NULL);
    if (pipe != INVALID_HANDLE_VALUE)
      break;
    if (GetLastError() != ERROR_PIPE_BUSY || attempt == 50)
      return ipc_shm__fail_last("CreateFileW");
    /* Every instance is taken: the listener makes the next one soon. */
    (void)WaitNamedPipeW(pipe_name, 100);
  }
  if (!GetNamedPipeServerProcessId(pipe, &peer_pid)) {
    err = ipc_shm__fail_last("GetNamedPipeServerProcessId");
    ipc_shm__close_quietly(pipe);
    return err;
  }
  return new_conn(conn, pipe, (DWORD)peer_pid);
}

unsigned long ipc_shm__os_conn_peer_pid(const ipc_shm_conn_t *conn) {
  return (unsigned long)conn->peer_pid;
}

static int write_all(HANDLE pipe, const unsigned char *data, DWORD size) {
  while (size > 0) {
    DWORD written = 0;
    if (!WriteFile(pipe, data, size, &written, NULL))
      return ipc_shm__fail_last("WriteFile");
    data += written;
    size -= written;
  }
  return 0;
}

int ipc_shm__os_send(ipc_shm_conn_t *conn, const struct ipc_shm *shm,
                     int writable) {
  unsigned char message[IPC_SHM__MESSAGE_SIZE];
  ipc_shm_token_t token;
  HANDLE peer, remote = NULL;
  int err = open_process(conn->peer_pid, &peer);
  if (err != 0)
    return err;
  err = duplicate_into(peer, shm, writable, &remote);
  if (err == 0) {
    memset(&token, 0, sizeof(token));
    token.writable = writable;
    token.size = shm->size;
    token.handle = (uint64_t)(ULONG_PTR)remote;
    ipc_shm__message_pack(message, &token);
    err = write_all(conn->pipe, message, sizeof(message));
    if (err != 0)
      close_remote(peer, remote);
  }
  ipc_shm__close_quietly(peer);
  return err;
}

int ipc_shm__os_receive(ipc_shm_conn_t *conn, struct ipc_shm *shm) {
  unsigned char message[IPC_SHM__MESSAGE_SIZE];
  ipc_shm_token_t token;
  DWORD done = 0;
  int err;
  while (done < sizeof(message)) {
    DWORD got = 0;
    if (!ReadFile(conn->pipe, message + done, (DWORD)sizeof(message) - done,
                  &got, NULL))
      return ipc_shm__fail_last("ReadFile");
    if (got == 0)
      return ipc_shm__fail(ERROR_BROKEN_PIPE, "ReadFile");
    done += got;
  }
  err = ipc_shm__message_unpack(message, &token);
  if (err != 0)
    return err;
  /* The handle was put into this process by the peer. A handle that fails
   * the checks is left alone: it may be one of ours that the message only
   * names. */
  return ipc_shm__os_adopt(shm, token.handle, &token);
}

int ipc_shm__os_conn_close(ipc_shm_conn_t *conn) {
  int err = 0;
  if (!CloseHandle(conn->pipe))
    err = ipc_shm__fail_last("CloseHandle");
  free(conn);
  return err;
}
