/* SPDX-License-Identifier: MIT */
/* Named segments in one process: create, open, open-or-create, remove,
 * sizes, access, permissions, and every bad input. */
#include "testutil.h"

#include <stdio.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#include <sddl.h>
#else
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#endif

static void remove_quietly(const char *name) { (void)ipc_shm_remove(name, 0); }

static size_t page_size(void) {
#ifdef _WIN32
  SYSTEM_INFO info;
  GetSystemInfo(&info);
  return info.dwPageSize;
#else
  return (size_t)sysconf(_SC_PAGESIZE);
#endif
}

START_TEST(create_gives_a_zeroed_read_write_segment) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm = NULL;
  ipc_shm_view_t *view;
  const unsigned char *data;
  size_t i;
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "c"), 10000, 0), 0);
  ck_assert_ptr_nonnull(shm);
  ck_assert_uint_eq(ipc_shm_size(shm), 10000);
  ck_assert_int_eq(ipc_shm_size_is_exact(shm), 1);
  ck_assert_int_eq(ipc_shm_is_writable(shm), 1);
  ck_assert_str_eq(ipc_shm_name(shm), name);
  ck_assert(test_segment_exists(name));
  ck_assert_err(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
  data = ipc_shm_view_data(view);
  for (i = 0; i < 10000; i++)
    ck_assert_uint_eq(data[i], 0);
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  remove_quietly(name);
}
END_TEST

/* Exclusive create of an existing name fails, closes what it got, and does
 * not touch the existing segment. */
START_TEST(create_existing_fails_and_leaves_it_alone) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm, *second = (ipc_shm_t *)&second;
  ipc_shm_view_t *view;
  test_resources_t before;
  int err;
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "x"), 8192, 0), 0);
  ck_assert_err(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
  memcpy(ipc_shm_view_data(view), "original", 8);
  before = test_resources();
  err = ipc_shm_create(&second, name, 100, 0);
  ck_assert_no_leak(before);
  ck_assert_err(err, IPC_SHM_E_EXISTS);
  ck_assert_ptr_null(second);
  ck_assert_mem_eq(ipc_shm_view_data(view), "original", 8);
  ck_assert_uint_eq(ipc_shm_size(shm), 8192);
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  remove_quietly(name);
}
END_TEST

START_TEST(create_rejects_bad_sizes_and_flags) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm = NULL;
  test_resources_t before = test_resources();
  int err_zero = ipc_shm_create(&shm, test_name(name, "z"), 0, 0);
  int err_big = ipc_shm_create(&shm, name, (uint64_t)INT64_MAX + 1, 0);
  int err_max = ipc_shm_create(&shm, name, UINT64_MAX, 0);
  int err_flag = ipc_shm_create(&shm, name, 100, IPC_SHM_READONLY);
  int err_flag2 = ipc_shm_create(&shm, name, 100, 0x100u);
  int err_null = ipc_shm_create(NULL, name, 100, 0);
  ck_assert_no_leak(before);
  ck_assert_err(err_zero, IPC_SHM_E_SIZE_ZERO);
  ck_assert_err(err_big, IPC_SHM_E_SIZE_TOO_BIG);
  ck_assert_err(err_max, IPC_SHM_E_SIZE_TOO_BIG);
  ck_assert_err(err_flag, IPC_SHM_E_INVAL);
  ck_assert_err(err_flag2, IPC_SHM_E_INVAL);
  ck_assert_err(err_null, IPC_SHM_E_INVAL);
  ck_assert_ptr_null(shm);
  ck_assert(!test_segment_exists(name));
}
END_TEST

/* A size the system cannot back fails at create time, leaving no name. */
START_TEST(create_beyond_what_the_system_can_back) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm = NULL;
  test_resources_t before;
  uint64_t size;
  int err;
#ifdef _WIN32
  size = (uint64_t)1 << 46; /* 64 TiB: more than any commit limit here */
#else
  struct statvfs fs;
  ck_assert_int_eq(statvfs("/dev/shm", &fs), 0);
  ck_assert_msg(fs.f_blocks > 0, "/dev/shm has no size limit: cannot test ENOSPC");
  size = (uint64_t)fs.f_blocks * fs.f_frsize + ((uint64_t)1 << 30);
#endif
  before = test_resources();
  err = ipc_shm_create(&shm, test_name(name, "huge"), size, 0);
  ck_assert_no_leak(before);
  ck_assert_err(err, IPC_SHM_E_NO_SPACE);
  ck_assert_ptr_null(shm);
  ck_assert(!test_segment_exists(name));
}
END_TEST

/* Without the reservation a segment larger than the system can back is
 * created (sparse): cheap, but touching too much of it would be SIGBUS
 * (POSIX). Windows charges the commit limit either way, so a size within
 * it is used there. */
START_TEST(noreserve_skips_the_reservation) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm = NULL, *anonymous = NULL;
  ipc_shm_view_t *view;
  uint64_t size;
#ifdef _WIN32
  size = (uint64_t)1 << 30;
#else
  struct statvfs fs;
  ck_assert_int_eq(statvfs("/dev/shm", &fs), 0);
  size = (uint64_t)fs.f_blocks * fs.f_frsize + ((uint64_t)1 << 30);
#endif
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "nores"), size, IPC_SHM_NORESERVE), 0);
  ck_assert_uint_eq(ipc_shm_size(shm), size);
  ck_assert_err(ipc_shm_create_anonymous(&anonymous, size, IPC_SHM_NORESERVE), 0);
  /* The first page is there to use. */
  ck_assert_err(ipc_shm_map(&view, shm, 0, 4096, IPC_SHM_MAP_WRITE), 0);
  memcpy(ipc_shm_view_data(view), "sparse", 6);
  ipc_shm_unmap(view);
  ipc_shm_close(anonymous);
  ipc_shm_close(shm);
  remove_quietly(name);
  ck_assert_err(ipc_shm_create_anonymous(&anonymous, 4096, IPC_SHM_GLOBAL), IPC_SHM_E_INVAL);
}
END_TEST

/* Sizes over 4 GiB: the size travels whole and a view above 4 GiB works. */
START_TEST(create_over_4gib) {
  char name[IPC_SHM_NAME_MAX + 1];
  const uint64_t four_gib = (uint64_t)1 << 32;
  const uint64_t size = four_gib + 2 * 65536;
  ipc_shm_t *shm, *opened;
  ipc_shm_view_t *high, *again;
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "big"), size, 0), 0);
  ck_assert_uint_eq(ipc_shm_size(shm), size);
  ck_assert_err(ipc_shm_map(&high, shm, four_gib + 100, 4096, IPC_SHM_MAP_WRITE), 0);
  memcpy(ipc_shm_view_data(high), "above four GiB", 14);
  ck_assert_err(ipc_shm_open(&opened, name, IPC_SHM_READONLY), 0);
  ck_assert_uint_eq(ipc_shm_size(opened), size); /* a page multiple */
  ck_assert_err(ipc_shm_map(&again, opened, four_gib, 0, IPC_SHM_MAP_READ), 0);
  ck_assert_uint_eq(ipc_shm_view_size(again), 2 * 65536);
  ck_assert_mem_eq((char *)ipc_shm_view_data(again) + 100, "above four GiB", 14);
  ipc_shm_unmap(again);
  ipc_shm_unmap(high);
  ipc_shm_close(opened);
  ipc_shm_close(shm);
  remove_quietly(name);
}
END_TEST

START_TEST(open_finds_the_same_memory) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm, *opened;
  ipc_shm_view_t *a, *b;
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "o"), 5000, 0), 0);
  ck_assert_err(ipc_shm_open(&opened, name, 0), 0);
  ck_assert_int_eq(ipc_shm_is_writable(opened), 1);
  ck_assert_str_eq(ipc_shm_name(opened), name);
  ck_assert_err(ipc_shm_map(&a, shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
  ck_assert_err(ipc_shm_map(&b, opened, 0, 5000, IPC_SHM_MAP_WRITE), 0);
  memcpy(ipc_shm_view_data(a), "through a", 9);
  ck_assert_mem_eq(ipc_shm_view_data(b), "through a", 9);
  memcpy((char *)ipc_shm_view_data(b) + 4990, "through b", 9);
  ck_assert_mem_eq((char *)ipc_shm_view_data(a) + 4990, "through b", 9);
  ipc_shm_unmap(a);
  ipc_shm_unmap(b);
  ipc_shm_close(opened);
  ipc_shm_close(shm);
  remove_quietly(name);
}
END_TEST

/* POSIX reports the exact size; Windows the size rounded up to the page. */
START_TEST(open_reports_the_size) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm, *opened;
  size_t page = page_size();
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "s"), 100, 0), 0);
  ck_assert_err(ipc_shm_open(&opened, name, IPC_SHM_READONLY), 0);
#ifdef _WIN32
  ck_assert_uint_eq(ipc_shm_size(opened), page);
  ck_assert_int_eq(ipc_shm_size_is_exact(opened), 0);
#else
  (void)page;
  ck_assert_uint_eq(ipc_shm_size(opened), 100);
  ck_assert_int_eq(ipc_shm_size_is_exact(opened), 1);
#endif
  ipc_shm_close(opened);
  ipc_shm_close(shm);
  remove_quietly(name);
}
END_TEST

START_TEST(open_missing_and_bad_arguments) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm = (ipc_shm_t *)&shm;
  test_resources_t before = test_resources();
  int err_missing = ipc_shm_open(&shm, test_name(name, "none"), 0);
  int err_missing_ro = ipc_shm_open(&shm, name, IPC_SHM_READONLY);
  int err_null = ipc_shm_open(NULL, name, 0);
  int err_flags = ipc_shm_open(&shm, name, IPC_SHM_PERMS(0600));
  ck_assert_no_leak(before);
  ck_assert_err(err_missing, IPC_SHM_E_NOT_FOUND);
  ck_assert_err(err_missing_ro, IPC_SHM_E_NOT_FOUND);
  ck_assert_err(err_null, IPC_SHM_E_INVAL);
  ck_assert_err(err_flags, IPC_SHM_E_INVAL);
  ck_assert_ptr_null(shm);
  ck_assert(!test_segment_exists(name));
}
END_TEST

/* A read-only opener cannot get a writable view; a copy-on-write view is
 * private to it. */
START_TEST(read_only_open_cannot_write) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm, *ro;
  ipc_shm_view_t *writer, *view = (ipc_shm_view_t *)&view, *copy;
  test_resources_t before;
  int err;
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "ro"), 4096, 0), 0);
  ck_assert_err(ipc_shm_map(&writer, shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
  memcpy(ipc_shm_view_data(writer), "shared", 6);
  ck_assert_err(ipc_shm_open(&ro, name, IPC_SHM_READONLY), 0);
  ck_assert_int_eq(ipc_shm_is_writable(ro), 0);
  before = test_resources();
  err = ipc_shm_map(&view, ro, 0, 0, IPC_SHM_MAP_WRITE);
  ck_assert_no_leak(before);
  ck_assert_err(err, IPC_SHM_E_ACCESS);
  ck_assert_ptr_null(view);
  ck_assert_err(ipc_shm_map(&view, ro, 0, 0, IPC_SHM_MAP_READ), 0);
  ck_assert_mem_eq(ipc_shm_view_data(view), "shared", 6);
  ck_assert_err(ipc_shm_map(&copy, ro, 0, 0, IPC_SHM_MAP_COPY), 0);
  memcpy(ipc_shm_view_data(copy), "privat", 6);
  ck_assert_mem_eq(ipc_shm_view_data(copy), "privat", 6);
  ck_assert_mem_eq(ipc_shm_view_data(view), "shared", 6);
  ck_assert_mem_eq(ipc_shm_view_data(writer), "shared", 6);
  ipc_shm_unmap(copy);
  ipc_shm_unmap(view);
  ipc_shm_unmap(writer);
  ipc_shm_close(ro);
  ipc_shm_close(shm);
  remove_quietly(name);
}
END_TEST

START_TEST(open_or_create_creates_then_opens) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *first, *second;
  ipc_shm_view_t *a, *b;
  int created = -1;
  ck_assert_err(ipc_shm_open_or_create(&first, test_name(name, "ooc"), 8192, 0, &created), 0);
  ck_assert_int_eq(created, 1);
  ck_assert_uint_eq(ipc_shm_size(first), 8192);
  ck_assert_err(ipc_shm_open_or_create(&second, name, 8192, 0, &created), 0);
  ck_assert_int_eq(created, 0);
  ck_assert_int_eq(ipc_shm_is_writable(second), 1);
  ck_assert_err(ipc_shm_map(&a, first, 0, 0, IPC_SHM_MAP_WRITE), 0);
  ck_assert_err(ipc_shm_map(&b, second, 0, 0, IPC_SHM_MAP_WRITE), 0);
  memcpy(ipc_shm_view_data(a), "same", 4);
  ck_assert_mem_eq(ipc_shm_view_data(b), "same", 4);
  ipc_shm_unmap(a);
  ipc_shm_unmap(b);
  ipc_shm_close(second);
  /* created may be NULL */
  ck_assert_err(ipc_shm_open_or_create(&second, name, 100, 0, NULL), 0);
  ipc_shm_close(second);
  ipc_shm_close(first);
  remove_quietly(name);
}
END_TEST

/* An existing segment smaller than asked for is refused, not returned. */
START_TEST(open_or_create_size_mismatch) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm, *other = (ipc_shm_t *)&other;
  test_resources_t before;
  int created = -1, err, err_ro, err_zero;
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "mm"), 8192, 0), 0);
  before = test_resources();
  err = ipc_shm_open_or_create(&other, name, 8193, 0, &created);
  err_ro = ipc_shm_open_or_create(&other, name, 100, IPC_SHM_READONLY, &created);
  err_zero = ipc_shm_open_or_create(&other, name, 0, 0, &created);
  ck_assert_no_leak(before);
  ck_assert_err(err, IPC_SHM_E_SIZE_MISMATCH);
  ck_assert_err(err_ro, IPC_SHM_E_INVAL);
  ck_assert_err(err_zero, IPC_SHM_E_SIZE_ZERO);
  ck_assert_ptr_null(other);
  ck_assert_int_eq(created, 0);
  ck_assert_uint_eq(ipc_shm_size(shm), 8192);
  ipc_shm_close(shm);
  remove_quietly(name);
}
END_TEST

/* Lifetime of names, per platform (see ipc_shm_lifetime in ipc_shm.h). */
START_TEST(name_lifetime) {
  char name[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *shm, *opened = NULL;
  ipc_shm_view_t *view;
  int err;
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "life"), 4096, 0), 0);
  ck_assert_err(ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_WRITE), 0);
  memcpy(ipc_shm_view_data(view), "kept", 4);
  ck_assert_err(ipc_shm_close(shm), 0);
#ifdef _WIN32
  ck_assert_int_eq(ipc_shm_lifetime(), IPC_SHM_LIFETIME_LAST_CLOSE);
  /* The last handle is gone: so is the name, though a view still holds the
   * memory. */
  ck_assert(!test_segment_exists(name));
  ck_assert_mem_eq(ipc_shm_view_data(view), "kept", 4);
  ipc_shm_unmap(view);
  err = ipc_shm_remove(name, 0);
  ck_assert_err(err, IPC_SHM_E_NOT_SUPPORTED);
#else
  ck_assert_int_eq(ipc_shm_lifetime(), IPC_SHM_LIFETIME_UNTIL_REMOVED);
  ipc_shm_unmap(view);
  /* No handle and no view: the name and the bytes live on. */
  ck_assert(test_segment_exists(name));
  ck_assert_err(ipc_shm_open(&opened, name, 0), 0);
  ck_assert_err(ipc_shm_map(&view, opened, 0, 0, IPC_SHM_MAP_WRITE), 0);
  ck_assert_mem_eq(ipc_shm_view_data(view), "kept", 4);
  /* Removing takes the name; open handles and views keep the memory. */
  ck_assert_err(ipc_shm_remove(name, 0), 0);
  ck_assert(!test_segment_exists(name));
  memcpy(ipc_shm_view_data(view), "used", 4);
  ck_assert_mem_eq(ipc_shm_view_data(view), "used", 4);
  ipc_shm_unmap(view);
  ipc_shm_close(opened);
  err = ipc_shm_remove(name, 0);
  ck_assert_err(err, IPC_SHM_E_NOT_FOUND);
#endif
  ck_assert_err(ipc_shm_open(&opened, name, 0), IPC_SHM_E_NOT_FOUND);
}
END_TEST

START_TEST(remove_bad_arguments) {
  char name[IPC_SHM_NAME_MAX + 1];
  int err_flags = ipc_shm_remove(test_name(name, "rm"), IPC_SHM_READONLY);
  int err_missing = ipc_shm_remove(name, 0);
  ck_assert_err(err_flags, IPC_SHM_E_INVAL);
#ifdef _WIN32
  ck_assert_err(err_missing, IPC_SHM_E_NOT_SUPPORTED);
#else
  ck_assert_err(err_missing, IPC_SHM_E_NOT_FOUND);
#endif
}
END_TEST

START_TEST(close_null) {
  ck_assert_err(ipc_shm_close(NULL), IPC_SHM_E_INVAL);
  ck_assert_uint_eq(ipc_shm_size(NULL), 0);
  ck_assert_ptr_null(ipc_shm_name(NULL));
  ck_assert_int_eq(ipc_shm_is_writable(NULL), 0);
}
END_TEST

/* Objects and files are created 0600 unless asked otherwise, and with
 * exactly the mode asked for (0 included), whatever the umask: tried under
 * umask 077, which would narrow 0644, and umask 0, which would widen
 * nothing but leaves a forgotten fchmod unseen. Windows accepts the flag
 * and uses the default security descriptor (mode -1: nothing to read). */
START_TEST(permissions) {
  static const unsigned umasks[] = {077, 0};
  static const struct {
    unsigned flags;
    int mode;
  } cases[] = {{0, 0600},
               {IPC_SHM_PERMS(0644), 0644},
               {IPC_SHM_PERMS(0666), 0666},
               {IPC_SHM_PERMS(0), 0},
               {IPC_SHM_PERMS(0400), 0400}};
  size_t u, i;
  for (u = 0; u < sizeof(umasks) / sizeof(umasks[0]); u++) {
    unsigned old = test_umask(umasks[u]);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
      char name[IPC_SHM_NAME_MAX + 1], path[128];
      ipc_shm_t *shm, *file;
      int expected = ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED ? cases[i].mode : -1;
      ck_assert_err(ipc_shm_create(&shm, test_name(name, "p"), 100, cases[i].flags), 0);
      ck_assert_err(ipc_shm_open_file(&file, test_file(path, sizeof(path), "p"), 100,
                                      IPC_SHM_FILE_CREATE | cases[i].flags),
                    0);
      ck_assert_msg(test_mode_of(ipc_shm_native_handle(shm)) == expected,
                    "umask %03o, case %u: segment mode %o", umasks[u], (unsigned)i,
                    test_mode_of(ipc_shm_native_handle(shm)));
      if (expected >= 0)
        ck_assert_msg(test_mode_of(ipc_shm_native_handle(file)) == expected,
                      "umask %03o, case %u: file mode %o", umasks[u], (unsigned)i,
                      test_mode_of(ipc_shm_native_handle(file)));
      ipc_shm_close(file);
      ipc_shm_close(shm);
      ck_assert_int_eq(remove(path), 0);
      remove_quietly(name);
    }
    test_umask(old);
  }
}
END_TEST

#ifdef _WIN32
/* A raw named section whose DACL is `sddl`: what a program that restricts
 * its segment leaves for everyone else. Names from test_name are ASCII. */
static HANDLE create_with_dacl(const char *name, const wchar_t *sddl) {
  SECURITY_ATTRIBUTES attributes = {sizeof(attributes), NULL, FALSE};
  WCHAR wide[IPC_SHM_NAME_MAX + 8] = L"Local\\";
  size_t i, prefix = wcslen(wide);
  HANDLE section;
  for (i = 0; name[i] != '\0'; i++)
    wide[prefix + i] = (WCHAR)name[i];
  wide[prefix + i] = L'\0';
  ck_assert(ConvertStringSecurityDescriptorToSecurityDescriptorW(
      sddl, SDDL_REVISION_1, &attributes.lpSecurityDescriptor, NULL));
  section = CreateFileMappingW(INVALID_HANDLE_VALUE, &attributes, PAGE_READWRITE, 0,
                               4096, wide);
  LocalFree(attributes.lpSecurityDescriptor);
  ck_assert_ptr_nonnull(section);
  return section;
}
#endif

/* Access the system refuses gets PERM and leaves nothing behind: a segment
 * others may read but not write, and one they may not touch. POSIX: modes
 * 0444 and 0000 seen by another user (root, which passes every mode check,
 * becomes nobody for the attempts). Windows: DACLs granting read or nothing. */
START_TEST(access_the_system_refuses) {
  char readable[IPC_SHM_NAME_MAX + 1], closed[IPC_SHM_NAME_MAX + 1];
  ipc_shm_t *read_only = NULL, *denied[3] = {NULL, NULL, NULL};
  int err_read_only, err_write, err_open_or_create, err_closed;
  long native_error;
  test_resources_t before;
#ifdef _WIN32
  /* SECTION_QUERY | SECTION_MAP_READ, and nothing, for everyone. */
  HANDLE readable_section = create_with_dacl(test_name(readable, "perm"), L"D:P(A;;0x5;;;WD)");
  HANDLE closed_section = create_with_dacl(test_name(closed, "perm"), L"D:P");
#else
  ipc_shm_t *readable_shm, *closed_shm;
  uid_t euid = geteuid();
  ck_assert_err(ipc_shm_create(&readable_shm, test_name(readable, "perm"), 4096,
                               IPC_SHM_PERMS(0444)),
                0);
  ck_assert_err(ipc_shm_create(&closed_shm, test_name(closed, "perm"), 4096, IPC_SHM_PERMS(0)),
                0);
  ck_assert_int_eq(test_mode_of(ipc_shm_native_handle(readable_shm)), 0444);
  ck_assert_int_eq(test_mode_of(ipc_shm_native_handle(closed_shm)), 0);
#endif
  before = test_resources();
#ifndef _WIN32
  /* /proc/self/fd is out of reach while the effective user is not the
   * process's own, so the leak probes stay outside this stretch. */
  if (euid == 0)
    ck_assert_int_eq(seteuid(65534), 0);
#endif
  err_read_only = ipc_shm_open(&read_only, readable, IPC_SHM_READONLY);
  err_write = ipc_shm_open(&denied[0], readable, 0);
  native_error = ipc_shm_last_native_error();
  err_open_or_create = ipc_shm_open_or_create(&denied[1], readable, 4096, 0, NULL);
  err_closed = ipc_shm_open(&denied[2], closed, IPC_SHM_READONLY);
#ifndef _WIN32
  if (euid == 0)
    ck_assert_int_eq(seteuid(0), 0);
#endif
  if (read_only != NULL)
    ipc_shm_close(read_only);
  ck_assert_no_leak(before);

  ck_assert_err(err_read_only, 0);
  ck_assert_err(err_write, IPC_SHM_E_PERM);
#ifdef _WIN32
  ck_assert_int_eq(native_error, ERROR_ACCESS_DENIED);
#else
  ck_assert_int_eq(native_error, EACCES);
#endif
  ck_assert_err(err_open_or_create, IPC_SHM_E_PERM);
  ck_assert_err(err_closed, IPC_SHM_E_PERM);
  ck_assert_ptr_null(denied[0]);
  ck_assert_ptr_null(denied[1]);
  ck_assert_ptr_null(denied[2]);
  ck_assert_str_eq(ipc_shm_strerror(IPC_SHM_E_PERM), "permission denied by the operating system");

#ifdef _WIN32
  CloseHandle(readable_section);
  CloseHandle(closed_section);
#else
  ipc_shm_close(readable_shm);
  ipc_shm_close(closed_shm);
  ck_assert_err(ipc_shm_remove(readable, 0), 0);
  ck_assert_err(ipc_shm_remove(closed, 0), 0);
#endif
  ck_assert(!test_segment_exists(readable));
  ck_assert(!test_segment_exists(closed));
}
END_TEST

/* Handles and descriptors are not inheritable by default. */
START_TEST(native_handle_is_not_inheritable) {
  char name[IPC_SHM_NAME_MAX + 1];
  char path[128];
  ipc_shm_t *shm, *opened, *anon, *file;
  ipc_shm_t *all[4];
  int i;
  ck_assert_err(ipc_shm_create(&shm, test_name(name, "inh"), 100, 0), 0);
  ck_assert_err(ipc_shm_open(&opened, name, IPC_SHM_READONLY), 0);
  ck_assert_err(ipc_shm_create_anonymous(&anon, 100, 0), 0);
  ck_assert_err(ipc_shm_open_file(&file, test_file(path, sizeof(path), "inh"), 100,
                                  IPC_SHM_FILE_CREATE),
                0);
  all[0] = shm;
  all[1] = opened;
  all[2] = anon;
  all[3] = file;
  for (i = 0; i < 4; i++) {
#ifdef _WIN32
    DWORD flags = 0;
    ck_assert(GetHandleInformation(ipc_shm_native_handle(all[i]), &flags));
    ck_assert_uint_eq(flags & HANDLE_FLAG_INHERIT, 0);
#else
    int fdflags = fcntl(ipc_shm_native_handle(all[i]), F_GETFD);
    ck_assert_int_ge(fdflags, 0);
    ck_assert_int_ne(fdflags & FD_CLOEXEC, 0);
#endif
    ipc_shm_close(all[i]);
  }
  ck_assert_int_eq(remove(path), 0);
  remove_quietly(name);
}
END_TEST

START_TEST(granularity) {
  size_t g = ipc_shm_granularity();
  ck_assert_uint_gt(g, 0);
  ck_assert_uint_eq(g & (g - 1), 0);
#ifdef _WIN32
  {
    SYSTEM_INFO info;
    GetSystemInfo(&info);
    ck_assert_uint_eq(g, info.dwAllocationGranularity);
  }
#else
  ck_assert_uint_eq(g, (size_t)sysconf(_SC_PAGESIZE));
#endif
}
END_TEST

void add_named_cases(Suite *suite) {
  TCase *tc = tcase_create("named");
  tcase_add_test(tc, create_gives_a_zeroed_read_write_segment);
  tcase_add_test(tc, create_existing_fails_and_leaves_it_alone);
  tcase_add_test(tc, create_rejects_bad_sizes_and_flags);
  tcase_add_test(tc, open_finds_the_same_memory);
  tcase_add_test(tc, open_reports_the_size);
  tcase_add_test(tc, open_missing_and_bad_arguments);
  tcase_add_test(tc, read_only_open_cannot_write);
  tcase_add_test(tc, open_or_create_creates_then_opens);
  tcase_add_test(tc, open_or_create_size_mismatch);
  tcase_add_test(tc, name_lifetime);
  tcase_add_test(tc, remove_bad_arguments);
  tcase_add_test(tc, close_null);
  tcase_add_test(tc, permissions);
  tcase_add_test(tc, access_the_system_refuses);
  tcase_add_test(tc, native_handle_is_not_inheritable);
  tcase_add_test(tc, granularity);
  suite_add_tcase(suite, tc);

  /* Cases that need much memory or the system's limits get entries of
   * their own, so that ctest can keep them from running at once. */
  tc = tcase_create("named_limits");
  tcase_add_test(tc, create_beyond_what_the_system_can_back);
  tcase_add_test(tc, create_over_4gib);
  tcase_add_test(tc, noreserve_skips_the_reservation);
  tcase_set_timeout(tc, 120);
  suite_add_tcase(suite, tc);
}
