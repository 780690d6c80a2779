/* SPDX-License-Identifier: MIT */
/* Windows parts of the test helpers. */
#include "testutil.h"

#include <windows.h>
#include <aclapi.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test_proc {
  HANDLE process;
  HANDLE in;  /* its standard input */
  HANDLE out; /* its standard output */
};

int test_segment_exists(const char *name) {
  WCHAR wide[64] = L"Local\\";
  HANDLE h;
  MultiByteToWideChar(CP_UTF8, 0, name, -1, wide + 6, 64 - 6);
  h = OpenFileMappingW(FILE_MAP_READ, FALSE, wide);
  if (h == NULL)
    return 0;
  CloseHandle(h);
  return 1;
}

/* Handle values are small multiples of 4; a test process holds a few dozen.
 * GetProcessHandleCount is not usable under Wine (it reports 0). */
#define HANDLE_SCAN_LIMIT 0x4000

/* Things the C runtime, thread-local storage and the code-page tables set
 * up once, on first use, must not count as leaks: use them all once first. */
static void warm_up(void) {
  static int done;
  ipc_shm_t *shm;
  if (done)
    return;
  done = 1;
  (void)ipc_shm_open(&shm, "warm-up-never-exists", 0);
  (void)ipc_shm_last_native_call();
}

test_resources_t test_resources(void) {
  test_resources_t r;
  ULONG_PTR value;
  unsigned char *address = NULL;
  MEMORY_BASIC_INFORMATION info;
  DWORD saved = GetLastError();
  warm_up();
  r.handles = 0;
  r.mappings = 0;
  for (value = 4; value < HANDLE_SCAN_LIMIT; value += 4) {
    DWORD flags;
    if (GetHandleInformation((HANDLE)value, &flags))
      r.handles++;
  }
  while (VirtualQuery(address, &info, sizeof(info)) == sizeof(info)) {
    if (info.Type == MEM_MAPPED && info.BaseAddress == info.AllocationBase)
      r.mappings++;
    address = (unsigned char *)info.BaseAddress + info.RegionSize;
  }
  SetLastError(saved);
  return r;
}

static void append(WCHAR *line, size_t size, const char *arg) {
  size_t used = wcslen(line);
  if (used > 0 && used + 1 < size)
    line[used++] = L' ';
  if (used + 1 < size)
    line[used++] = L'"';
  used += (size_t)MultiByteToWideChar(CP_UTF8, 0, arg, -1, line + used,
                                      (int)(size - used - 2)) - 1;
  line[used++] = L'"';
  line[used] = 0;
}

static test_proc_t *start(const char *program, const char *const *argv, int merged);

test_proc_t *test_proc_start(const char *program, const char *const *argv) {
  return start(program, argv, 0);
}

test_proc_t *test_proc_start_merged(const char *program, const char *const *argv) {
  return start(program, argv, 1);
}

static test_proc_t *start(const char *program, const char *const *argv, int merged) {
  test_proc_t *proc = calloc(1, sizeof(*proc));
  SECURITY_ATTRIBUTES inheritable = {sizeof(inheritable), NULL, TRUE};
  STARTUPINFOW startup;
  PROCESS_INFORMATION info;
  HANDLE child_in, child_out, child_err;
  char path[1200];
  WCHAR wide_path[1200];
  WCHAR line[8192] = L"";
  BOOL ok;
  int attempt;
  size_t i;

  ck_assert_ptr_nonnull(proc);
  snprintf(path, sizeof(path), "%s\\%s.exe", test_bin_dir, program);
  MultiByteToWideChar(CP_UTF8, 0, path, -1, wide_path, 1200);
  append(line, 8192, path);
  for (i = 0; argv[i] != NULL; i++)
    append(line, 8192, argv[i]);

  ck_assert(CreatePipe(&child_in, &proc->in, &inheritable, 0));
  ck_assert(CreatePipe(&proc->out, &child_out, &inheritable, 0));
  /* Our ends stay ours. */
  SetHandleInformation(proc->in, HANDLE_FLAG_INHERIT, 0);
  SetHandleInformation(proc->out, HANDLE_FLAG_INHERIT, 0);
  ck_assert(DuplicateHandle(GetCurrentProcess(),
                            merged ? child_out : GetStdHandle(STD_ERROR_HANDLE),
                            GetCurrentProcess(), &child_err, 0, TRUE,
                            DUPLICATE_SAME_ACCESS));

  memset(&startup, 0, sizeof(startup));
  startup.cb = sizeof(startup);
  startup.dwFlags = STARTF_USESTDHANDLES;
  startup.hStdInput = child_in;
  startup.hStdOutput = child_out;
  startup.hStdError = child_err;
  /* The command line buffer must be writable: CreateProcessW may modify it.
   * Wine reports a child that died while it started (a loader that could
   * not start under a storm of process starts, two test binaries at once)
   * as ERROR_INTERNAL_ERROR: start it again then, and say so. Windows
   * never reports it for a program that exists. */
  for (attempt = 0;; attempt++) {
    ok = CreateProcessW(wide_path, line, NULL, NULL, TRUE, 0, NULL, NULL, &startup, &info);
    if (ok || GetLastError() != ERROR_INTERNAL_ERROR || attempt == 4)
      break;
    fprintf(stderr, "note: CreateProcessW %s: child died starting (error 1359), again\n", path);
    Sleep(50u << attempt);
  }
  CloseHandle(child_in);
  CloseHandle(child_out);
  CloseHandle(child_err);
  ck_assert_msg(ok, "CreateProcessW %s: error %lu", path, GetLastError());
  CloseHandle(info.hThread);
  proc->process = info.hProcess;
  return proc;
}

void test_proc_write(test_proc_t *proc, const void *data, size_t size) {
  const char *p = data;
  while (size > 0) {
    DWORD n = 0;
    ck_assert_msg(WriteFile(proc->in, p, (DWORD)size, &n, NULL) && n > 0,
                  "write to child: error %lu", GetLastError());
    p += n;
    size -= n;
  }
}

void test_proc_close_stdin(test_proc_t *proc) {
  if (proc->in != NULL)
    CloseHandle(proc->in);
  proc->in = NULL;
}

int test_proc_read_line(test_proc_t *proc, char *line, size_t size) {
  size_t n = 0;
  char c;
  for (;;) {
    DWORD got = 0;
    if (!ReadFile(proc->out, &c, 1, &got, NULL) || got == 0) {
      line[n] = '\0';
      return n > 0 ? 0 : -1;
    }
    if (c == '\n')
      break;
    if (n + 1 < size)
      line[n++] = c;
  }
  if (n > 0 && line[n - 1] == '\r')
    n--;
  line[n] = '\0';
  return 0;
}

size_t test_proc_read_all(test_proc_t *proc, char *buffer, size_t size) {
  size_t n = 0;
  for (;;) {
    DWORD got = 0;
    char sink[256];
    BOOL ok = n < size ? ReadFile(proc->out, buffer + n, (DWORD)(size - n), &got, NULL)
                       : ReadFile(proc->out, sink, sizeof(sink), &got, NULL);
    if (!ok || got == 0)
      return n;
    if (n < size)
      n += got;
  }
}

unsigned long test_proc_pid(const test_proc_t *proc) {
  return (unsigned long)GetProcessId(proc->process);
}

unsigned long test_own_pid(void) { return (unsigned long)GetCurrentProcessId(); }

int test_is_root(void) { return 0; }

void test_proc_kill(test_proc_t *proc) {
  ck_assert(TerminateProcess(proc->process, 9));
  ck_assert_uint_eq(WaitForSingleObject(proc->process, INFINITE), WAIT_OBJECT_0);
}

void test_proc_pause(test_proc_t *proc, int paused) {
  typedef LONG(WINAPI * process_call_t)(HANDLE);
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  FARPROC call;
  ck_assert_ptr_nonnull(ntdll);
  call = GetProcAddress(ntdll, paused ? "NtSuspendProcess" : "NtResumeProcess");
  ck_assert(call != NULL);
  ck_assert_int_eq(((process_call_t)(void (*)(void))call)(proc->process), 0);
}

int test_is_inheritable(ipc_shm_native_t native) {
  DWORD flags = 0;
  /* No answer counts as yes. Also used by helpers, outside Check. */
  return !GetHandleInformation(native, &flags) || (flags & HANDLE_FLAG_INHERIT) != 0;
}

int test_owner_rights_honoured(void) {
  static int known = -1;
  static SID owner_rights = {SID_REVISION, 1, {SECURITY_CREATOR_SID_AUTHORITY},
                             {SECURITY_CREATOR_OWNER_RIGHTS_RID}};
  SECURITY_DESCRIPTOR descriptor;
  SECURITY_ATTRIBUTES attributes;
  union {
    ACL acl;
    unsigned char bytes[64];
    DWORD align;
  } dacl;
  HANDLE self = GetCurrentProcess(), section, readonly = NULL, dac = NULL;
  if (known >= 0)
    return known;
  /* A section whose DACL gives its owner READ_CONTROL only, as the library
   * makes anonymous ones; can a read-only copy of it take WRITE_DAC? */
  InitializeSecurityDescriptor(&descriptor, SECURITY_DESCRIPTOR_REVISION);
  InitializeAcl(&dacl.acl, sizeof(dacl), ACL_REVISION);
  AddAccessAllowedAce(&dacl.acl, ACL_REVISION, READ_CONTROL, &owner_rights);
  SetSecurityDescriptorDacl(&descriptor, TRUE, &dacl.acl, FALSE);
  attributes.nLength = sizeof(attributes);
  attributes.lpSecurityDescriptor = &descriptor;
  attributes.bInheritHandle = FALSE;
  section = CreateFileMappingW(INVALID_HANDLE_VALUE, &attributes, PAGE_READWRITE, 0, 4096, NULL);
  if (section == NULL)
    return 1;
  if (DuplicateHandle(self, section, self, &readonly, FILE_MAP_READ, FALSE, 0)) {
    known = !DuplicateHandle(self, readonly, self, &dac, WRITE_DAC, FALSE, 0);
    if (dac != NULL)
      CloseHandle(dac);
    CloseHandle(readonly);
  }
  CloseHandle(section);
  return known >= 0 ? known : 1;
}

void test_remove_passing_names(void) {}

double test_seconds(void) {
  LARGE_INTEGER count, frequency;
  QueryPerformanceFrequency(&frequency);
  QueryPerformanceCounter(&count);
  return (double)count.QuadPart / (double)frequency.QuadPart;
}

unsigned test_umask(unsigned mask) {
  (void)mask;
  return 0;
}

int test_mode_of(ipc_shm_native_t native) {
  (void)native;
  return -1;
}

struct test_thread {
  HANDLE thread;
  int (*fn)(void *arg);
  void *arg;
  int result;
};

static DWORD WINAPI thread_main(LPVOID arg) {
  test_thread_t *t = (test_thread_t *)arg;
  t->result = t->fn(t->arg);
  return 0;
}

test_thread_t *test_thread_start(int (*fn)(void *arg), void *arg) {
  test_thread_t *t = (test_thread_t *)calloc(1, sizeof(*t));
  ck_assert_ptr_nonnull(t);
  t->fn = fn;
  t->arg = arg;
  t->thread = CreateThread(NULL, 0, thread_main, t, 0, NULL);
  ck_assert_ptr_nonnull(t->thread);
  return t;
}

int test_thread_join(test_thread_t *t) {
  int result;
  ck_assert_uint_eq(WaitForSingleObject(t->thread, INFINITE), WAIT_OBJECT_0);
  CloseHandle(t->thread);
  result = t->result;
  free(t);
  return result;
}

void test_pin_to_one_cpu(int on) {
  static DWORD_PTR all;
  DWORD_PTR system_mask = 0;
  if (all == 0)
    ck_assert(GetProcessAffinityMask(GetCurrentProcess(), &all, &system_mask));
  ck_assert(SetProcessAffinityMask(GetCurrentProcess(), on ? (all & (~all + 1)) : all));
}

const char *const *test_liveness_calls(void) {
  static const char *const calls[] = {"OpenProcess", "GetProcessTimes", "WaitForSingleObject",
                                      NULL};
  return calls;
}

long test_shm_dir_count(const char *prefix) {
  (void)prefix;
  return -1;
}

int test_proc_wait(test_proc_t *proc) {
  DWORD status = 255;
  test_proc_close_stdin(proc);
  CloseHandle(proc->out);
  WaitForSingleObject(proc->process, INFINITE);
  GetExitCodeProcess(proc->process, &status);
  CloseHandle(proc->process);
  free(proc);
  return (int)status;
}

const char *test_raw_write_refused(ipc_shm_native_t native) {
  HANDLE self = GetCurrentProcess();
  HANDLE upgraded = NULL, dac = NULL;
  void *view = MapViewOfFile(native, FILE_MAP_WRITE, 0, 0, 0);
  if (view != NULL) {
    UnmapViewOfFile(view);
    return "POSSIBLE";
  }
  if (DuplicateHandle(self, native, self, &upgraded, FILE_MAP_READ | FILE_MAP_WRITE,
                      FALSE, 0)) {
    CloseHandle(upgraded);
    return "POSSIBLE";
  }
  /* The owner of an object may change its DACL even when the DACL grants
   * nothing, unless an OWNER RIGHTS ACE says otherwise: take WRITE_DAC,
   * open the DACL to everyone, then take write access. */
  if (DuplicateHandle(self, native, self, &dac, WRITE_DAC, FALSE, 0)) {
    int opened = SetSecurityInfo(dac, SE_KERNEL_OBJECT, DACL_SECURITY_INFORMATION, NULL,
                                 NULL, NULL, NULL) == ERROR_SUCCESS;
    CloseHandle(dac);
    if (opened && DuplicateHandle(self, native, self, &upgraded, FILE_MAP_ALL_ACCESS,
                                  FALSE, 0)) {
      view = MapViewOfFile(upgraded, FILE_MAP_WRITE, 0, 0, 0);
      CloseHandle(upgraded);
      if (view != NULL) {
        UnmapViewOfFile(view);
        return "owner-dac";
      }
    }
  }
  return "refused";
}

int test_raw_reaches(unsigned long long value, const char *marker) {
  int reached = 0;
  void *view = MapViewOfFile((HANDLE)(ULONG_PTR)value, FILE_MAP_READ, 0, 0, 0);
  if (view != NULL) {
    reached = memcmp(view, marker, strlen(marker)) == 0;
    UnmapViewOfFile(view);
  }
  return reached;
}

void test_set_inheritable(ipc_shm_native_t native, int on) {
  ck_assert(SetHandleInformation(native, HANDLE_FLAG_INHERIT, on ? HANDLE_FLAG_INHERIT : 0));
}

unsigned long long test_native_value(ipc_shm_native_t native) {
  return (unsigned long long)(ULONG_PTR)native;
}

void test_set_env(const char *name, const char *value) {
  char entry[512];
  snprintf(entry, sizeof(entry), "%s=%s", name, value != NULL ? value : "");
  ck_assert_int_eq(_putenv(entry), 0);
}

void test_allow_pullers(void) {}

void test_raw_connect_send(const char *name, const void *bytes, size_t size) {
  WCHAR pipe_name[128];
  char narrow[128];
  HANDLE pipe;
  DWORD written = 0;
  snprintf(narrow, sizeof(narrow), "\\\\.\\pipe\\ipcshm.%s", name);
  MultiByteToWideChar(CP_UTF8, 0, narrow, -1, pipe_name, 128);
  pipe = CreateFileW(pipe_name, GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0, NULL);
  ck_assert(pipe != INVALID_HANDLE_VALUE);
  ck_assert(WriteFile(pipe, bytes, (DWORD)size, &written, NULL) && written == size);
  CloseHandle(pipe);
}

void test_sleep_ms(int ms) { Sleep((DWORD)ms); }

double test_cpu_seconds(void) {
  FILETIME created, ended, kernel, user;
  ULARGE_INTEGER k, u;
  GetProcessTimes(GetCurrentProcess(), &created, &ended, &kernel, &user);
  k.LowPart = kernel.dwLowDateTime;
  k.HighPart = kernel.dwHighDateTime;
  u.LowPart = user.dwLowDateTime;
  u.HighPart = user.dwHighDateTime;
  return (double)(k.QuadPart + u.QuadPart) / 1e7;
}
