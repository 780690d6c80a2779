/* SPDX-License-Identifier: MIT */
/* A program that shares memory with nothing but the raw OS calls, as
 * programs that do not use ipcshm do. The interop tests run it against the
 * ipc-shm tool in both directions.
 *
 *   raw_peer create NAME SIZE TEXT   create NAME, write TEXT at offset 0,
 *                                    print "ready", hold until stdin ends
 *   raw_peer read NAME LENGTH        print the first LENGTH bytes of NAME
 * Windows only, with the raw event and mutex calls:
 *   raw_peer event-set NAME          OpenEventW and SetEvent
 *   raw_peer event-wait NAME MS      print "ready", wait; print "signaled"
 *                                    or "timeout"
 *   raw_peer mutex-hold NAME         OpenMutexW, wait, print "locked", hold
 *                                    until stdin ends
 *   raw_peer mutex-wait NAME MS      wait; print "locked" (and release) or
 *                                    "timeout"
 *   raw_peer make-sync EVENT MUTEX   CreateEventW (set) and CreateMutexW,
 *                                    print "ready", hold until stdin ends
 *   raw_peer sem-post NAME           OpenSemaphoreW and ReleaseSemaphore;
 *                                    print "posted" or "full"
 *   raw_peer sem-wait NAME MS        print "ready", wait; print "taken" or
 *                                    "timeout"
 *   raw_peer make-sem NAME N MAX     CreateSemaphoreW (count N, maximum
 *                                    MAX), print "ready", hold until stdin
 *                                    ends, then print its count
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>

static HANDLE open_raw(const char *name, int create, unsigned long size) {
  WCHAR wide[64] = L"Local\\";
  MultiByteToWideChar(CP_UTF8, 0, name, -1, wide + 6, 64 - 6);
  if (create)
    return CreateFileMappingW(INVALID_HANDLE_VALUE, NULL, PAGE_READWRITE, 0, size, wide);
  return OpenFileMappingW(FILE_MAP_READ, FALSE, wide);
}

static int create_and_hold(const char *name, unsigned long size, const char *text) {
  char line[64];
  HANDLE h = open_raw(name, 1, size);
  char *p;
  if (h == NULL || GetLastError() == ERROR_ALREADY_EXISTS)
    return 1;
  p = MapViewOfFile(h, FILE_MAP_WRITE, 0, 0, size);
  if (p == NULL)
    return 1;
  memcpy(p, text, strlen(text));
  puts("ready");
  fflush(stdout);
  while (fgets(line, sizeof(line), stdin) != NULL) {
  }
  UnmapViewOfFile(p);
  CloseHandle(h);
  return 0;
}

static void wide_local(const char *name, WCHAR wide[64]) {
  memcpy(wide, L"Local\\", 6 * sizeof(WCHAR));
  MultiByteToWideChar(CP_UTF8, 0, name, -1, wide + 6, 64 - 6);
}

static void hold(void) {
  char line[64];
  while (fgets(line, sizeof(line), stdin) != NULL) {
  }
}

static int sync_raw(int argc, char **argv) {
  WCHAR wide[64], other[64];
  HANDLE h, m;
  DWORD r;
  if (argc < 3)
    return 2;
  wide_local(argv[2], wide);
  if (strcmp(argv[1], "event-set") == 0) {
    h = OpenEventW(EVENT_MODIFY_STATE, FALSE, wide);
    return h != NULL && SetEvent(h) ? 0 : 1;
  }
  if (strcmp(argv[1], "event-wait") == 0 && argc == 4) {
    h = OpenEventW(SYNCHRONIZE, FALSE, wide);
    if (h == NULL)
      return 1;
    puts("ready");
    fflush(stdout);
    r = WaitForSingleObject(h, (DWORD)strtoul(argv[3], NULL, 10));
    puts(r == WAIT_OBJECT_0 ? "signaled" : "timeout");
    return 0;
  }
  if (strcmp(argv[1], "mutex-hold") == 0) {
    h = OpenMutexW(SYNCHRONIZE, FALSE, wide);
    if (h == NULL || WaitForSingleObject(h, 10000) != WAIT_OBJECT_0)
      return 1;
    puts("locked");
    fflush(stdout);
    hold();
    ReleaseMutex(h);
    return 0;
  }
  if (strcmp(argv[1], "mutex-wait") == 0 && argc == 4) {
    h = OpenMutexW(SYNCHRONIZE, FALSE, wide);
    if (h == NULL)
      return 1;
    r = WaitForSingleObject(h, (DWORD)strtoul(argv[3], NULL, 10));
    if (r == WAIT_OBJECT_0 || r == WAIT_ABANDONED) {
      puts("locked");
      ReleaseMutex(h);
    } else {
      puts("timeout");
    }
    return 0;
  }
  if (strcmp(argv[1], "sem-post") == 0) {
    h = OpenSemaphoreW(SEMAPHORE_MODIFY_STATE, FALSE, wide);
    if (h == NULL)
      return 1;
    if (ReleaseSemaphore(h, 1, NULL))
      puts("posted");
    else if (GetLastError() == ERROR_TOO_MANY_POSTS)
      puts("full");
    else
      return 1;
    return 0;
  }
  if (strcmp(argv[1], "sem-wait") == 0 && argc == 4) {
    h = OpenSemaphoreW(SYNCHRONIZE, FALSE, wide);
    if (h == NULL)
      return 1;
    puts("ready");
    fflush(stdout);
    r = WaitForSingleObject(h, (DWORD)strtoul(argv[3], NULL, 10));
    puts(r == WAIT_OBJECT_0 ? "taken" : "timeout");
    return 0;
  }
  if (strcmp(argv[1], "make-sem") == 0 && argc == 5) {
    LONG count = 0;
    h = CreateSemaphoreW(NULL, (LONG)strtol(argv[3], NULL, 10), (LONG)strtol(argv[4], NULL, 10),
                         wide);
    if (h == NULL)
      return 1;
    puts("ready");
    fflush(stdout);
    hold();
    /* Its count: take all that is there, without waiting. */
    while (WaitForSingleObject(h, 0) == WAIT_OBJECT_0)
      count++;
    printf("count %ld\n", (long)count);
    return 0;
  }
  if (strcmp(argv[1], "make-sync") == 0 && argc == 4) {
    wide_local(argv[3], other);
    h = CreateEventW(NULL, FALSE, TRUE, wide);
    m = CreateMutexW(NULL, FALSE, other);
    if (h == NULL || m == NULL)
      return 1;
    puts("ready");
    fflush(stdout);
    hold();
    return 0;
  }
  return 2;
}

static int read_raw(const char *name, unsigned long length) {
  HANDLE h = open_raw(name, 0, 0);
  char *p;
  if (h == NULL)
    return 1;
  p = MapViewOfFile(h, FILE_MAP_READ, 0, 0, length);
  if (p == NULL)
    return 1;
  fwrite(p, 1, length, stdout);
  UnmapViewOfFile(p);
  CloseHandle(h);
  return 0;
}
#else
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

static int create_and_hold(const char *name, unsigned long size, const char *text) {
  char path[64], line[64];
  int fd;
  char *p;
  snprintf(path, sizeof(path), "/%s", name);
  fd = shm_open(path, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0 || ftruncate(fd, (off_t)size) != 0)
    return 1;
  p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED)
    return 1;
  memcpy(p, text, strlen(text));
  puts("ready");
  fflush(stdout);
  while (fgets(line, sizeof(line), stdin) != NULL) {
  }
  munmap(p, size);
  close(fd);
  shm_unlink(path);
  return 0;
}

static int read_raw(const char *name, unsigned long length) {
  char path[64];
  int fd;
  char *p;
  snprintf(path, sizeof(path), "/%s", name);
  fd = shm_open(path, O_RDONLY, 0);
  if (fd < 0)
    return 1;
  p = mmap(NULL, length, PROT_READ, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED)
    return 1;
  fwrite(p, 1, length, stdout);
  munmap(p, length);
  close(fd);
  return 0;
}
#endif

int main(int argc, char **argv) {
  if (argc == 5 && strcmp(argv[1], "create") == 0)
    return create_and_hold(argv[2], strtoul(argv[3], NULL, 10), argv[4]);
  if (argc == 4 && strcmp(argv[1], "read") == 0)
    return read_raw(argv[2], strtoul(argv[3], NULL, 10));
#ifdef _WIN32
  if (argc >= 3 && strncmp(argv[1], "event-", 6) == 0)
    return sync_raw(argc, argv);
  if (argc >= 3 && (strncmp(argv[1], "mutex-", 6) == 0 || strncmp(argv[1], "sem-", 4) == 0 ||
                    strncmp(argv[1], "make-", 5) == 0))
    return sync_raw(argc, argv);
#endif
  fprintf(stderr, "usage: raw_peer create NAME SIZE TEXT | read NAME LENGTH\n");
  return 2;
}
