/**
 * @file ipc_shm.h
 * @brief Portable shared memory between processes, on Windows and POSIX.
 *
 *
 * One API over two backends:
 *   Windows: file-mapping objects (CreateFileMappingW, OpenFileMappingW,
 *            MapViewOfFile, UnmapViewOfFile, FlushViewOfFile).
 *   POSIX:   shm_open/ftruncate/mmap/munmap/shm_unlink, memfd_create,
 *            and mmap/msync over ordinary files.
 *
 * Conventions
 *   - Every function that can fail returns 0 on success or a negative
 *     IPC_SHM_E_* code. The codes have the same values on every platform.
 *     ipc_shm_strerror() and ipc_shm_err_name() describe them; the native
 *     errno or GetLastError() value of the failing system call is kept per
 *     thread and read with ipc_shm_last_native_error().
 *   - A failed call leaves nothing behind: no segment, name, handle,
 *     descriptor or mapping, and output pointers are set to NULL.
 *   - No hidden header: the bytes of a segment are exactly the bytes that a
 *     program using the raw OS calls sees under the same name. The
 *     exceptions are the segments of channels, topics and inboxes, which
 *     start with their documented control areas (see the groups below).
 *
 * Segment names (the portable rule)
 *   A name is 1 to IPC_SHM_NAME_MAX (30) bytes of well-formed UTF-8. It must
 *   not contain '/' or '\\' or ASCII control characters, and must not start
 *   with '.'. The limit of 30 bytes is what macOS allows for shm_open names.
 *   A name that breaks the rule is rejected (IPC_SHM_E_NAME_INVALID or
 *   IPC_SHM_E_NAME_TOO_LONG); it is never rewritten, hashed or truncated.
 *   The name "foo" is the object "/foo" for shm_open and "Local\foo" (or
 *   "Global\foo" with IPC_SHM_GLOBAL) for the FileMapping calls, so programs
 *   using the raw calls, Python's multiprocessing.shared_memory or
 *   Boost.Interprocess meet the same object.
 *
 * Lifetime (see ipc_shm_lifetime())
 *   Windows: a name disappears when the last handle to its segment is
 *            closed, in any process, even while views of it are still
 *            mapped; the memory lives until the last view is unmapped too.
 *            ipc_shm_remove() is not supported.
 *   POSIX:   a named segment lives until ipc_shm_remove() (shm_unlink) and
 *            the last descriptor and mapping are gone; its name lives until
 *            ipc_shm_remove(), even when no process has it open.
 *   The library never removes a name on its own: closing a segment, or the
 *   process exiting, only releases this process's handle.
 *
 * Handing a segment to another process (besides its name)
 *   Inheritance: ipc_shm_spawn() starts a child that inherits exactly the
 *   listed segments; the child finds them with ipc_shm_inherited(). Or
 *   ipc_shm_export() makes a token and an inheritable handle for a child
 *   started another way, and the child calls ipc_shm_import().
 *   Duplication: ipc_shm_export(IPC_SHM_EXPORT_PULL) + ipc_shm_pull() (the
 *   receiver takes the handle out of the owner: DuplicateHandle, Linux
 *   pidfd_getfd); ipc_shm_push() (Windows only: DuplicateHandle into the
 *   receiver); ipc_shm_send()/ipc_shm_receive() over a local connection
 *   (a named pipe on Windows, a Unix-domain socket with SCM_RIGHTS on POSIX).
 *   A token is a short ASCII string that names a handle or descriptor with
 *   the segment's exact size and access; every route checks what it receives
 *   (a section or shared-memory object, with exactly the rights claimed)
 *   and fails with IPC_SHM_E_BAD_TOKEN rather than use anything else.
 *
 * Views live independently of their segment: a segment may be closed while
 * views of it stay mapped; each view must still be unmapped.
 *
 * Thread safety: distinct objects may be used from different threads at once;
 * one object must not be closed while another thread uses it. Each group
 * below says what one object allows.
 */
#ifndef IPC_SHM_H
#define IPC_SHM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Symbol export. The header defaults to the static library. On Windows a
 * program using the DLL defines IPC_SHM_SHARED, which the CMake target and
 * the pkg-config file of a shared build pass on by themselves;
 * IPC_SHM_BUILDING is defined while the DLL itself is built. Elsewhere
 * neither changes anything. */
#if defined(_WIN32) && defined(IPC_SHM_BUILDING)
#define IPC_SHM_API __declspec(dllexport)
#elif defined(_WIN32) && defined(IPC_SHM_SHARED)
#define IPC_SHM_API __declspec(dllimport)
#elif defined(_WIN32)
#define IPC_SHM_API
#elif defined(__GNUC__) && __GNUC__ >= 4
#define IPC_SHM_API __attribute__((visibility("default")))
#else
#define IPC_SHM_API
#endif

/** @defgroup library The library
 * Its version and the portable name rule.
 * @{ */

/** The version of this header; the build reads it from here. */
#define IPC_SHM_VERSION_MAJOR 0 /**< incompatible changes (before 1.0: minor too) */
#define IPC_SHM_VERSION_MINOR 2 /**< added functionality (before 1.0: incompatible too) */
#define IPC_SHM_VERSION_PATCH 0 /**< fixes */

/** The version of the library that runs ("0.2.0"), which may differ from
 * the header's when a shared library was replaced. Static string. */
IPC_SHM_API const char *ipc_shm_version(void);

/** Longest portable name in bytes, without the terminating NUL. */
#define IPC_SHM_NAME_MAX 30

/** @} */

/* ------------------------------------------------------------------------ */
/** @defgroup errors Errors
 * Every function that can fail returns 0 or a negative IPC_SHM_E_* code from
 * one list, with the same values on every platform; the native error of
 * the failing system call is kept per thread.
 * Thread safety: every function here may be called from any thread; the
 * native error record is the calling thread's own.
 * @{ */

/** The one list of error codes: XX(NAME, value, message). */
#define IPC_SHM_ERROR_MAP(XX)                                                   \
  XX(OK, 0, "success")                                                          \
  XX(INVAL, -1, "invalid argument: a NULL pointer or an unknown flag")          \
  XX(NAME_INVALID, -2,                                                          \
     "invalid name: empty, not UTF-8, starts with '.', or contains '/', '\\' "  \
     "or a control character")                                                  \
  XX(NAME_TOO_LONG, -3, "name too long: at most 30 bytes")                      \
  XX(SIZE_ZERO, -4, "size is zero: a segment or view needs at least one byte")  \
  XX(SIZE_TOO_BIG, -5, "size too big: it overflows what this platform can address") \
  XX(RANGE, -6, "offset or length lies outside the segment")                    \
  XX(ACCESS, -7, "access not allowed: the segment was not opened for it")       \
  XX(PERM, -8, "permission denied by the operating system")                     \
  XX(NOT_FOUND, -9, "no such segment or file")                                  \
  XX(EXISTS, -10, "an object with this name already exists (segments, events " \
     "and mutexes share one namespace)")                                        \
  XX(SIZE_MISMATCH, -11, "the existing segment or file is smaller than the size asked for") \
  XX(NO_SPACE, -12, "the system cannot back a segment of this size")            \
  XX(NO_MEMORY, -13, "out of memory or address space")                          \
  XX(TOO_MANY, -14, "too many open handles or descriptors")                     \
  XX(NOT_SUPPORTED, -15, "not supported on this platform")                      \
  XX(IO, -16, "input/output error")                                             \
  XX(SYSTEM, -17, "unexpected operating system error (see the native error)")  \
  XX(BAD_TOKEN, -18,                                                            \
     "malformed, stale or forged token or message: it does not name a "        \
     "segment with the size and access it claims")                             \
  XX(DISCONNECTED, -19, "the other side closed the connection or is gone")    \
  XX(WRONG_KIND, -20,                                                           \
     "the name, path, token or message leads to an object of another kind "    \
     "(an event, a mutex or a segment; a FIFO, a directory, a device)")        \
  XX(TIMEOUT, -21, "the wait timed out, or the object was not available at once") \
  XX(OWNER_DEAD, -22,                                                           \
     "the mutex is yours, but its previous owner died holding it: check the "  \
     "protected data, then call ipc_shm_mutex_consistent()")                   \
  XX(NOT_RECOVERABLE, -23,                                                      \
     "the mutex is unusable: an owner died and the next one did not make it "  \
     "consistent")                                                              \
  XX(NOT_OWNER, -24, "this thread does not hold the mutex")                     \
  XX(DEADLOCK, -25, "this thread holds the mutex already")                     \
  XX(VERSION, -26,                                                              \
     "the channel was made by another version of the library (another layout)") \
  XX(CORRUPT, -27,                                                              \
     "the channel's control area holds impossible values: a peer wrote over it") \
  XX(LIMIT, -28, "the semaphore's count is at its maximum, or every subscriber slot is taken") \
  XX(OVERWRITTEN, -29,                                                          \
     "the publisher wrote over the message while it was being read")

/* The codes run from 0 down without gaps; IPC_SHM_ERROR_LAST_ is one past
 * the last (counted from the list, never typed). */
#define IPC_SHM_ERROR_COUNT_(name, value, message) +1
/** The error codes: IPC_SHM_E_NAME for each entry of IPC_SHM_ERROR_MAP, with
 * its value; 0 is success. */
typedef enum ipc_shm_error {
#define IPC_SHM_ERROR_ENUM_(name, value, message) IPC_SHM_E_##name = (value),
  IPC_SHM_ERROR_MAP(IPC_SHM_ERROR_ENUM_)
#undef IPC_SHM_ERROR_ENUM_
  IPC_SHM_ERROR_LAST_ = -(0 IPC_SHM_ERROR_MAP(IPC_SHM_ERROR_COUNT_))
} ipc_shm_error_t; /**< see enum ipc_shm_error */
#undef IPC_SHM_ERROR_COUNT_

/** Static English message for an error code; never NULL, never allocates.
 * An unknown code gives "unknown error". */
IPC_SHM_API const char *ipc_shm_strerror(int err);

/** Symbolic name of an error code without the prefix ("EXISTS"); never NULL.
 * An unknown code gives "UNKNOWN". */
IPC_SHM_API const char *ipc_shm_err_name(int err);

/** The native error of the last failing system call made by this thread
 * inside the library: errno on POSIX, GetLastError() on Windows. 0 when the
 * last failure was found by argument checking, before any system call. */
IPC_SHM_API long ipc_shm_last_native_error(void);

/** Name of that system call ("shm_open", "CreateFileMappingW", ...), or ""
 * when the last failure made no system call. Static string. */
IPC_SHM_API const char *ipc_shm_last_native_call(void);

/** @} */

/* ------------------------------------------------------------------------ */
/** @defgroup segments Segments
 * Named, anonymous and file-backed shared memory, and facts about it.
 * Thread safety: a segment may be used (mapped, handed over, asked about)
 * from several threads at once; it must not be closed while another thread
 * uses it.
 * @{ */

/** A shared-memory segment: named, anonymous or file-backed. Opaque. */
typedef struct ipc_shm ipc_shm_t;

/** A mapped view of a segment. Opaque. */
typedef struct ipc_shm_view ipc_shm_view_t;

/** The native object behind a segment. */
#ifdef _WIN32
typedef void *ipc_shm_native_t; /**< HANDLE of the file-mapping object */
#else
typedef int ipc_shm_native_t; /**< file descriptor */
#endif

/** Flags for the functions that create or open segments. */
#define IPC_SHM_READONLY 0x0001u /**< open for reading only */
#define IPC_SHM_GLOBAL 0x0002u /**< Windows: the Global\ namespace (creating
                                       there needs SeCreateGlobalPrivilege);
                                       POSIX: no effect, there is one namespace */
#define IPC_SHM_FILE_CREATE 0x0004u /**< ipc_shm_open_file: create a missing file */
/** Create without reserving the memory up front: creating is then as cheap
 * as the raw calls, whatever the size (a sparse object), but a process that
 * touches a page the system can no longer back gets SIGBUS (POSIX) instead
 * of IPC_SHM_E_NO_SPACE at create time. Windows: no effect, a page-file
 * section is charged against the commit limit at create either way, which
 * touches no memory. */
#define IPC_SHM_NORESERVE 0x0008u
/** Permission bits for objects and files this call creates (POSIX): exactly
 * `mode` (any of 0777, 0 included), whatever the umask. Without
 * IPC_SHM_PERMS() the mode is 0600: only the owner. Windows: no effect, the
 * default security descriptor of the caller's token applies. */
#define IPC_SHM_PERMS(mode) (0x02000000u | ((((unsigned)(mode)) & 0777u) << 16))

/** Create a named segment of `size` bytes, read-write, failing with
 * IPC_SHM_E_EXISTS if the name exists, whatever the object under it is
 * (race-free; on Windows an existing object is closed again and reported).
 * The contents start zeroed.
 * Flags: IPC_SHM_GLOBAL, IPC_SHM_NORESERVE, IPC_SHM_PERMS().
 * No opener sees the segment before it has its full size. Windows and
 * Linux publish the name only then (a section is created whole; Linux
 * sizes a nameless file in /dev/shm and links it under the name). Other
 * POSIX systems, and Linux with IPC_SHM_NORESERVE (as cheap as the raw
 * calls), publish the name empty (O_EXCL) and size it at once;
 * ipc_shm_open() and ipc_shm_open_or_create() wait up to 2 seconds for an
 * empty segment to get its size.
 * Linux: the memory is reserved up front (posix_fallocate), so a size the
 * system cannot back fails here with IPC_SHM_E_NO_SPACE instead of a SIGBUS
 * later; IPC_SHM_NORESERVE skips that. Other POSIX systems (macOS) have no
 * such reservation: there the first touch of memory the system cannot back
 * raises SIGBUS, as with the raw calls.
 * Errors: INVAL, NAME_INVALID, NAME_TOO_LONG, SIZE_ZERO, SIZE_TOO_BIG (over
 * INT64_MAX), EXISTS, PERM, NO_SPACE, NO_MEMORY, TOO_MANY, SYSTEM. */
IPC_SHM_API int ipc_shm_create(ipc_shm_t **shm, const char *name, uint64_t size,
                               unsigned flags);

/** Open an existing named segment. Never creates, never resizes, never
 * blocks: an object of another kind under the name (a FIFO, a directory or
 * a link planted in /dev/shm on Linux; an event or mutex on Windows) is
 * IPC_SHM_E_WRONG_KIND. A segment that another process is still sizing is
 * waited for (see ipc_shm_create()); one that stays empty for 2 seconds is
 * opened as it is (size 0, which no view can map).
 * Flags: IPC_SHM_READONLY, IPC_SHM_GLOBAL.
 * The size learned differs by platform: POSIX reports the exact size
 * (fstat); Windows records only the size rounded up to the page size
 * (NtQuerySection), see ipc_shm_size_is_exact().
 * Errors: INVAL, NAME_INVALID, NAME_TOO_LONG, NOT_FOUND, WRONG_KIND, PERM,
 * TOO_MANY, SYSTEM. */
IPC_SHM_API int ipc_shm_open(ipc_shm_t **shm, const char *name, unsigned flags);

/** Open the named segment, or create it with `size` bytes if it does not
 * exist. *created (may be NULL) tells which happened. An existing segment
 * smaller than `size` fails with IPC_SHM_E_SIZE_MISMATCH (on Windows the
 * comparison uses the page-rounded size). Always read-write. Any number of
 * processes may race on one name: exactly one creates, every other opens
 * the whole segment.
 * Flags: IPC_SHM_GLOBAL, IPC_SHM_NORESERVE, IPC_SHM_PERMS().
 * Errors: those of ipc_shm_create() and ipc_shm_open(), and SIZE_MISMATCH. */
IPC_SHM_API int ipc_shm_open_or_create(ipc_shm_t **shm, const char *name,
                                       uint64_t size, unsigned flags,
                                       int *created);

/** Create an anonymous segment of `size` bytes: a real shared object with no
 * name (Windows: an unnamed page-file mapping; Linux: memfd_create; other
 * POSIX systems: a shm_open object unlinked at once, so that no name is
 * left). It is reached from other processes only through its handle or
 * descriptor. Flags: IPC_SHM_NORESERVE.
 * Errors: INVAL, SIZE_ZERO, SIZE_TOO_BIG, NO_SPACE, NO_MEMORY, TOO_MANY,
 * SYSTEM. */
IPC_SHM_API int ipc_shm_create_anonymous(ipc_shm_t **shm, uint64_t size,
                                         unsigned flags);

/** Map a file. `path` is UTF-8. With size 0 the whole file is mapped (an empty
 * file fails with SIZE_ZERO). With a size larger than the file, the file is
 * extended to it (needs write access; read-only fails with SIZE_MISMATCH);
 * with a smaller size only the first `size` bytes are mapped. File space is
 * allocated as the file system does (no reservation). Only a regular file
 * (Windows: a file on a disk) is mapped; a FIFO, a directory or a device is
 * IPC_SHM_E_WRONG_KIND, and opening never blocks.
 * Flags: IPC_SHM_READONLY, IPC_SHM_FILE_CREATE, IPC_SHM_PERMS().
 * Errors: INVAL, SIZE_ZERO, SIZE_TOO_BIG, SIZE_MISMATCH, NOT_FOUND, WRONG_KIND, PERM,
 * NO_SPACE, TOO_MANY, IO, SYSTEM. */
IPC_SHM_API int ipc_shm_open_file(ipc_shm_t **shm, const char *path,
                                  uint64_t size, unsigned flags);

/** Close this process's handle to the segment. Views stay valid. Never
 * removes the name. Errors: INVAL (NULL), SYSTEM. The object is freed
 * even when the system reports an error. */
IPC_SHM_API int ipc_shm_close(ipc_shm_t *shm);

/** Remove a segment's name so that no later ipc_shm_open() finds it.
 * POSIX: shm_unlink; processes that have it open or mapped keep using it.
 * Windows: IPC_SHM_E_NOT_SUPPORTED, a name lives exactly as long as its
 * last handle. Flags: IPC_SHM_GLOBAL.
 * Errors: INVAL, NAME_INVALID, NAME_TOO_LONG, NOT_FOUND, PERM,
 * NOT_SUPPORTED, SYSTEM. */
IPC_SHM_API int ipc_shm_remove(const char *name, unsigned flags);

/** Seal the segment against new writers: from now on no process can map it
 * writable or write to it through any handle or descriptor, including
 * copies handed over before and reopened ones (/proc/PID/fd); views already
 * mapped writable keep working, so the owner can still publish through
 * them while every receiver only reads. Copy-on-write views stay allowed.
 * The segment is read-only afterwards (ipc_shm_is_writable() is 0).
 * Linux: anonymous segments (memfd: F_SEAL_FUTURE_WRITE, F_SEAL_GROW,
 * F_SEAL_SHRINK; kernel 5.1). Elsewhere, and for named or file-backed
 * segments: NOT_SUPPORTED. On Windows a read-only copy of an anonymous
 * segment cannot be upgraded anyway (see ipc_shm_export()).
 * Errors: INVAL, ACCESS (a read-only segment), NOT_SUPPORTED, SYSTEM. */
IPC_SHM_API int ipc_shm_seal(ipc_shm_t *shm);

/** Size of the segment in bytes. For a segment this process created or a
 * file it mapped, the exact size; for an opened named segment on Windows,
 * the size rounded up to the page size. */
IPC_SHM_API uint64_t ipc_shm_size(const ipc_shm_t *shm);

/** 1 if ipc_shm_size() is exact, 0 if it is rounded up to the page size. */
IPC_SHM_API int ipc_shm_size_is_exact(const ipc_shm_t *shm);

/** 1 if the segment was opened for writing, 0 if read-only. */
IPC_SHM_API int ipc_shm_is_writable(const ipc_shm_t *shm);

/** The portable name given at create or open time; NULL for anonymous and
 * file-backed segments. */
IPC_SHM_API const char *ipc_shm_name(const ipc_shm_t *shm);

/** The native handle (Windows HANDLE) or descriptor (POSIX). It stays owned
 * by the segment; it is not inheritable (O_CLOEXEC, bInheritHandle FALSE). */
IPC_SHM_API ipc_shm_native_t ipc_shm_native_handle(const ipc_shm_t *shm);

/** Views are placed at multiples of this many bytes: the allocation
 * granularity on Windows (usually 65536), the page size on POSIX. Offsets
 * passed to ipc_shm_map() need not be aligned: the library aligns. */
IPC_SHM_API size_t ipc_shm_granularity(void);

/** How long a name lives (see ipc_shm_lifetime()). */
typedef enum ipc_shm_lifetime {
  IPC_SHM_LIFETIME_LAST_CLOSE = 1, /**< Windows: the name dies with the last handle */
  IPC_SHM_LIFETIME_UNTIL_REMOVED = 2 /**< POSIX: the name lives until removed */
} ipc_shm_lifetime_t; /**< see enum ipc_shm_lifetime */

/** The lifetime model of named segments on this platform. */
IPC_SHM_API ipc_shm_lifetime_t ipc_shm_lifetime(void);

/** @} */

/* ------------------------------------------------------------------------ */
/** @defgroup views Views
 * Mappings of a segment into this process.
 * Thread safety: a view may be read and written from any thread (the
 * memory is shared; ordering it is the program's business); flush may run
 * beside other threads' use; it must not be unmapped while another thread
 * uses it.
 * @{ */

/** What a view may do with the memory. */
typedef enum ipc_shm_access {
  IPC_SHM_MAP_READ = 1, /**< read-only view */
  IPC_SHM_MAP_WRITE = 2, /**< read-write view; needs a writable segment */
  IPC_SHM_MAP_COPY = 3 /**< copy-on-write: writes stay in this process
                            (FILE_MAP_COPY / MAP_PRIVATE); allowed on
                            read-only segments */
} ipc_shm_access_t; /**< see enum ipc_shm_access */

/** Map `length` bytes of the segment starting at `offset`. Length 0 maps from
 * `offset` to the end. Any offset is accepted: the mapping starts at the
 * granularity boundary below it and the view's data pointer points exactly
 * at `offset`. Several views of one segment may exist at once.
 * Errors: INVAL (NULL, unknown access), RANGE (offset or end past the
 * segment's size, or offset equal to it), SIZE_TOO_BIG (length does not fit
 * the address space), ACCESS (write view of a read-only segment), PERM,
 * NO_MEMORY, SYSTEM. */
IPC_SHM_API int ipc_shm_map(ipc_shm_view_t **view, const ipc_shm_t *shm,
                            uint64_t offset, size_t length,
                            ipc_shm_access_t access);

/** Address of the first byte of the view (the byte at the mapped offset). */
IPC_SHM_API void *ipc_shm_view_data(const ipc_shm_view_t *view);

/** Length of the view in bytes, as asked for (or computed for length 0). */
IPC_SHM_API size_t ipc_shm_view_size(const ipc_shm_view_t *view);

/** Write `length` bytes of the view starting at `offset` (relative to the
 * view's data pointer; length 0 means to the end) back to the backing store
 * and wait until done: FlushViewOfFile and FlushFileBuffers on Windows,
 * msync(MS_SYNC) on POSIX. For read-only and copy-on-write views there is
 * nothing to write and the call succeeds.
 * Errors: INVAL, RANGE, IO, SYSTEM. */
IPC_SHM_API int ipc_shm_flush(ipc_shm_view_t *view, size_t offset,
                              size_t length);

/** Unmap the view and free it. Errors: INVAL (NULL), SYSTEM. The object is
 * freed even when the system reports an error. */
IPC_SHM_API int ipc_shm_unmap(ipc_shm_view_t *view);


/** @} */

/* ------------------------------------------------------------------------ */
/** @defgroup handover Handing a segment to another process
 * Inheritance, duplication (export and pull, push) and tokens; the same
 * routes exist for events and mutexes (see @ref sync).
 * Thread safety: an export may be used from any thread and closed once;
 * importing or pulling one token twice at once adopts it once at most.
 * @{ */

/** Room for any token, with its terminating NUL. Tokens are ASCII:
 * "ipcshm1:PLATFORM:KIND:ACCESS:SIZE:PID:HANDLE:CHECK", where KIND says what
 * the handle is ("seg": a segment) and one kind is never taken for another. */
#define IPC_SHM_TOKEN_MAX 128

/** The environment variable in which ipc_shm_spawn() hands the child its
 * tokens, separated by spaces, in the order the segments were listed. */
#define IPC_SHM_INHERIT_ENV "IPC_SHM_INHERITED"

/** Flags of ipc_shm_export(), ipc_shm_push(), ipc_shm_send() and
 * ipc_shm_inherit_t: IPC_SHM_READONLY hands over read access only (the
 * receiver cannot map it writable). Without it the receiver gets the
 * segment's own access. */
#define IPC_SHM_EXPORT_PULL 0x0010u /**< ipc_shm_export: for ipc_shm_pull() */

/** A handle or descriptor made ready for another process, with its token.
 * Opaque. */
typedef struct ipc_shm_export ipc_shm_export_t;

/** Make a copy of the segment's handle (Windows) or descriptor (POSIX) for
 * another process, and a token that names it.
 *   Default: for a child that the caller starts its own way. The copy is
 *   inheritable (bInheritHandle TRUE; a descriptor without FD_CLOEXEC);
 *   give its token to the child (command line, environment) and start the
 *   child so that it inherits the copy (Windows: bInheritHandles TRUE,
 *   ideally with ipc_shm_export_native() in a PROC_THREAD_ATTRIBUTE_HANDLE_LIST;
 *   POSIX: exec keeps it). The child calls ipc_shm_import(token). Close the
 *   export once the child runs. Until then any process that this process
 *   starts may inherit the copy: ipc_shm_spawn() has no such window.
 *   IPC_SHM_EXPORT_PULL: for ipc_shm_pull() by another process; the copy is
 *   not inheritable and must stay open until the other side has pulled it.
 * Flags: IPC_SHM_READONLY, IPC_SHM_EXPORT_PULL.
 * Read-only copies: Windows gives a handle with FILE_MAP_READ only; an
 * anonymous segment is created with a DACL that grants nothing but
 * READ_CONTROL, to its owner too (an OWNER RIGHTS ACE takes away the
 * owner's implicit WRITE_DAC), so that no holder of such a handle can
 * duplicate it into a writable one or rewrite the DACL first. (Wine grants
 * an object's owner WRITE_DAC whatever the DACL says: there a process of
 * the same user can upgrade a read-only copy.) On Windows a process of the
 * same user can also open the owner process with PROCESS_DUP_HANDLE and
 * duplicate the owner's own writable handle out of it, as on POSIX it can
 * reopen /proc/PID/fd/N. POSIX gives a descriptor
 * opened O_RDONLY, which cannot be mapped writable (Linux reopens it through
 * /proc/self/fd; other systems reopen a named segment by its name and copy
 * an anonymous one from a read-only descriptor kept since its creation, and
 * fail with NOT_SUPPORTED for file-backed segments and for anonymous ones
 * that were handed to this process). Note that on POSIX a process of the
 * same user can reopen /proc/PID/fd/N for writing, as it can shm_open a
 * name, unless the segment is sealed (ipc_shm_seal()): without a seal,
 * read-only hand-over protects against mistakes, not against a hostile
 * process of the same user.
 * Errors: INVAL (NULL, unknown flag), NOT_SUPPORTED, TOO_MANY, NO_MEMORY,
 * SYSTEM. */
IPC_SHM_API int ipc_shm_export(ipc_shm_export_t **exported, const ipc_shm_t *shm,
                               unsigned flags);

/** The token of an export; valid until ipc_shm_export_close(). */
IPC_SHM_API const char *ipc_shm_export_token(const ipc_shm_export_t *exported);

/** The handle or descriptor the token names (for a handle list or
 * posix_spawn_file_actions); owned by the export. */
IPC_SHM_API ipc_shm_native_t ipc_shm_export_native(const ipc_shm_export_t *exported);

/** Close this process's copy and free the export. The child that inherited
 * it, or the process that pulled it, keeps its own. Errors: INVAL, SYSTEM. */
IPC_SHM_API int ipc_shm_export_close(ipc_shm_export_t *exported);

/** Turn a token that names a handle or descriptor of this process (inherited,
 * or pushed by ipc_shm_push()) into a segment, which owns it from then on.
 * The handle or descriptor is checked first: it must exist, be a section
 * (Windows: type "Section", not an image) or a regular shared-memory object
 * or file (POSIX: the device and inode in the token), carry exactly the
 * access the token claims, and be at least as large as the token's size.
 * Anything else fails with BAD_TOKEN and the handle is left untouched (it
 * may belong to something else). POSIX also refuses a close-on-exec
 * descriptor: an inherited one never is, and every descriptor the library
 * owns is, so a token is imported once. The segment has the token's exact
 * size and no name; it is made non-inheritable again.
 * A handle the library owns already in this process (a segment's, an
 * export's) is never adopted: BAD_TOKEN. A token of an event or mutex is
 * WRONG_KIND.
 * Errors: INVAL (NULL), BAD_TOKEN, WRONG_KIND, NO_MEMORY. */
IPC_SHM_API int ipc_shm_import(ipc_shm_t **shm, const char *token);

/** Import the segment number `index` (from 0) that ipc_shm_spawn() handed to
 * this process through IPC_SHM_INHERIT_ENV.
 * Errors: INVAL, NOT_FOUND (no such variable or fewer tokens), BAD_TOKEN,
 * NO_MEMORY. */
IPC_SHM_API int ipc_shm_inherited(ipc_shm_t **shm, size_t index);

/** Take a copy of a segment out of the process that made the token with
 * ipc_shm_export(IPC_SHM_EXPORT_PULL). Windows: OpenProcess with
 * PROCESS_DUP_HANDLE and DuplicateHandle; Linux: pidfd_open and pidfd_getfd
 * (kernel 5.6, and the right to ptrace the owner: with Yama's ptrace_scope
 * 1, the default of many distributions, only an ancestor of the owner or a
 * process the owner named with prctl(PR_SET_PTRACER) may pull; otherwise
 * PERM). The copy is checked as in
 * ipc_shm_import().
 * Errors: INVAL, BAD_TOKEN, NOT_FOUND (no such process, or the owner closed
 * the export), PERM, NOT_SUPPORTED (POSIX systems without pidfd_getfd),
 * TOO_MANY, NO_MEMORY, SYSTEM. */
IPC_SHM_API int ipc_shm_pull(ipc_shm_t **shm, const char *token);

/** Windows: duplicate the segment's handle into the process `pid`
 * (DuplicateHandle; needs PROCESS_DUP_HANDLE access to it) and write the
 * token that names the new handle there into `token`. Give the token to that
 * process, which calls ipc_shm_import(); until it does, the handle is held
 * in that process. POSIX: no system call puts a descriptor into another
 * process: NOT_SUPPORTED (use ipc_shm_send()).
 * Flags: IPC_SHM_READONLY.
 * Errors: INVAL, NOT_FOUND (no such process), PERM, NOT_SUPPORTED,
 * NO_MEMORY, SYSTEM. */
IPC_SHM_API int ipc_shm_push(const ipc_shm_t *shm, unsigned long pid, unsigned flags,
                             char token[IPC_SHM_TOKEN_MAX]);

/** @} */

/** @defgroup processes Child processes that inherit segments
 * Thread safety: ipc_shm_spawn() may be called from several threads at once
 * (each child inherits exactly its own list); a child object belongs to one
 * thread until ipc_shm_process_wait() frees it.
 * @{ */

/** A child process started by ipc_shm_spawn(). Opaque. */
typedef struct ipc_shm_process ipc_shm_process_t;

struct ipc_shm_event;
struct ipc_shm_mutex;
struct ipc_shm_semaphore;

/** One object to hand to the child, and how. Exactly one of `shm`, `event`,
 * `mutex` and `semaphore` is set; `flags` is 0, or IPC_SHM_READONLY for a
 * segment. The child finds object number i with ipc_shm_inherited(),
 * ipc_shm_event_inherited(), ipc_shm_mutex_inherited() or
 * ipc_shm_semaphore_inherited(), by its place in the list. Set it up with
 * memset or `= {0}` and then the member that counts. */
typedef struct ipc_shm_inherit {
  const ipc_shm_t *shm; /**< a segment, or NULL */
  unsigned flags;       /**< 0 or IPC_SHM_READONLY (segments only) */
  const struct ipc_shm_event *event; /**< an event, or NULL */
  const struct ipc_shm_mutex *mutex; /**< a mutex, or NULL */
  const struct ipc_shm_semaphore *semaphore; /**< a semaphore, or NULL */
} ipc_shm_inherit_t;

/** Start argv[0] (UTF-8) with the arguments argv[1...] (argv ends with NULL).
 * A program without a directory part is searched: POSIX in PATH; Windows as
 * CreateProcessW does (the caller's folder, the current folder, the system
 * folders, then PATH; ".exe" is added when there is no extension). The
 * arguments reach the child unchanged (Windows: quoted for
 * CommandLineToArgvW and the C runtime; a child reads non-ASCII arguments
 * exactly through wmain or GetCommandLineW, as main's argv is in the ANSI
 * code page). The child inherits
 * exactly the `count` listed segments and nothing else of this process but
 * its standard input, output and error: Windows passes a
 * PROC_THREAD_ATTRIBUTE_HANDLE_LIST, so handles that other threads made
 * inheritable stay here; POSIX closes every other descriptor above 2 in the
 * child before exec. The child's environment is this process's plus
 * IPC_SHM_INHERIT_ENV with one token per segment; the child calls
 * ipc_shm_inherited(). At most 64 segments (TOO_MANY beyond). The child may
 * outlive this process.
 * Errors: INVAL (NULL argv or argv[0], NULL segment, unknown flag), NOT_FOUND
 * (no such program), PERM, NO_MEMORY, TOO_MANY, NOT_SUPPORTED, SYSTEM. */
IPC_SHM_API int ipc_shm_spawn(ipc_shm_process_t **child, const char *const argv[],
                              const ipc_shm_inherit_t *segments, size_t count);

/** The child's process id. */
IPC_SHM_API unsigned long ipc_shm_process_id(const ipc_shm_process_t *child);

/** Wait for the child to end, store its exit status (POSIX: 128 + the signal
 * number when a signal ended it) in *exit_code (may be NULL), and free it.
 * Errors: INVAL, SYSTEM. The object is freed in every case. */
IPC_SHM_API int ipc_shm_process_wait(ipc_shm_process_t *child, int *exit_code);

/** @} */

/** @defgroup connections Sending segments over a local connection
 * Thread safety: one connection carries one message at a time: sending from
 * two threads at once, or receiving from two, is the program's to
 * serialize; sending on one thread while another receives is fine.
 * @{ */

/** The listening end of a local connection between processes of the same
 * user. Opaque. */
typedef struct ipc_shm_listener ipc_shm_listener_t;
/** A connected end of a local connection. Opaque. */
typedef struct ipc_shm_conn ipc_shm_conn_t;

/** Listen for connections under a portable name (the segment name rule).
 * Windows: the named pipe \\\\.\\pipe\\ipcshm.NAME; Linux: the abstract Unix
 * socket "ipcshm.NAME"; other POSIX systems: the socket file
 * /tmp/ipcshm.UID.NAME. Connections from another user are refused (Linux:
 * SO_PEERCRED; Windows: the pipe's default security). A name is free again
 * when its listener closes or dies: pipes and abstract sockets go with their
 * process; a socket file is owned through a flock on FILE.lock beside it,
 * which the system drops when its holder dies, so a file a dead listener
 * left behind is replaced.
 * Errors: INVAL, NAME_INVALID, NAME_TOO_LONG, EXISTS (somebody listens
 * already), PERM, TOO_MANY, NO_MEMORY, SYSTEM. */
IPC_SHM_API int ipc_shm_listen(ipc_shm_listener_t **listener, const char *name);

/** Wait for the next connection. Errors: INVAL, PERM (a peer of another
 * user), TOO_MANY, NO_MEMORY, SYSTEM. */
IPC_SHM_API int ipc_shm_accept(ipc_shm_listener_t *listener, ipc_shm_conn_t **conn);

/** Stop listening and free the listener; connections made stay open. */
IPC_SHM_API int ipc_shm_listener_close(ipc_shm_listener_t *listener);

/** Connect to a listener. Errors: INVAL, NAME_INVALID, NAME_TOO_LONG,
 * NOT_FOUND (nobody listens), PERM, TOO_MANY, NO_MEMORY, SYSTEM. */
IPC_SHM_API int ipc_shm_connect(ipc_shm_conn_t **conn, const char *name);

/** The process id of the other end. */
IPC_SHM_API unsigned long ipc_shm_conn_peer_pid(const ipc_shm_conn_t *conn);

/** Send a copy of the segment to the other end with its exact size and
 * access. Windows: the handle is duplicated into the peer process
 * (DuplicateHandle, found with GetNamedPipeClientProcessId/ServerProcessId)
 * and its value sent; POSIX: the descriptor travels as SCM_RIGHTS.
 * Flags: IPC_SHM_READONLY. Read-only as for ipc_shm_export().
 * Errors: INVAL, DISCONNECTED, PERM, NOT_SUPPORTED, TOO_MANY, SYSTEM. */
IPC_SHM_API int ipc_shm_send(ipc_shm_conn_t *conn, const ipc_shm_t *shm,
                             unsigned flags);

/** Receive the next segment sent by the other end, checked as in
 * ipc_shm_import(). Waits until one arrives. An event or mutex sent
 * instead is refused with WRONG_KIND (and, on POSIX, its descriptor
 * closed): both ends agree on what comes in which order. A POSIX descriptor that fails
 * the checks is closed; on Windows the message only names a handle value,
 * so a handle that fails them is left alone (it may be one of this
 * process's own that a hostile peer named), and a handle the peer put here
 * stays when receiving fails before the message is read.
 * Errors: INVAL, DISCONNECTED (the other end closed), BAD_TOKEN (a
 * malformed message or a handle that is not what it claims; the connection
 * should then be closed), WRONG_KIND, TOO_MANY, NO_MEMORY, SYSTEM. */
IPC_SHM_API int ipc_shm_receive(ipc_shm_conn_t *conn, ipc_shm_t **shm);

/** Close the connection and free it. Errors: INVAL, SYSTEM. */
IPC_SHM_API int ipc_shm_conn_close(ipc_shm_conn_t *conn);

/** @} */

/* ------------------------------------------------------------------------ */
/** @defgroup sync Events, mutexes and semaphores
 * Events, mutexes and semaphores between processes. They are reached like segments: by
 * a name under the same rule and in the same namespace (a name names one
 * object: creating an event under a segment's name fails with EXISTS, and
 * opening a segment, event, mutex or semaphore under another kind's name
 * fails with WRONG_KIND), anonymously, and by every hand-over route segments have,
 * with tokens that say their kind. Opening never creates.
 *
 * Windows: kernel events, mutexes and semaphores (CreateEventW,
 * CreateMutexW, CreateSemaphoreW and their Open calls) named "Local\NAME" or "Global\NAME", so a program
 * using the raw calls meets the same object. A mutex also keeps its
 * recovery state (see ipc_shm_mutex_consistent()) in a one-page section
 * named "Local\ipcshm.mutex-state.ID"; raw programs ignore it. The kernel
 * mutex has no room for that state, and the section lives only while a
 * process using the library has the mutex open: once the last of them
 * closes it (raw programs' handles, and a handle on its way to another
 * process by a hand-over route, do not keep the section), the next library
 * user finds the mutex consistent, NOT_RECOVERABLE or not before.
 * POSIX: an event, mutex or semaphore is a 64-byte shared-memory object under its name
 * ("/NAME"), holding its state: on Linux a futex word, so that nothing
 * makes a system call unless a thread has to sleep or be woken (a waiter
 * spins briefly first, where another CPU can run the thread it waits
 * for); on other POSIX systems sleeping waiters poll the state (see
 * docs/PERFORMANCE.md for how often). ipc_shm_remove() removes their names
 * too. Waits
 * use a monotonic clock and resume after signals. These objects are the
 * state of an event or mutex, not segments: no segment ever has such a
 * header (ipc_shm_open() refuses them, WRONG_KIND).
 *
 * Timeouts are in milliseconds: 0 polls, IPC_SHM_FOREVER waits without
 * limit; any other negative value is INVAL.
 *
 * Lifetime and hostile peers: as for segments. A process that can open an
 * object can also scribble over its state (POSIX) or hold it forever;
 * that can make calls fail or wait until their timeout, never crash, with
 * one exception on POSIX: a process that may write a named object can
 * also truncate it (ftruncate on its name), and a process using it then
 * dies of SIGBUS at its next touch of the state, as with any shared
 * memory a peer truncates; no call can guard a mapping against that.
 * Anonymous events, mutexes and semaphores cannot be truncated on Linux (their memfd
 * is sealed against shrinking); Windows objects have no size to change.
 *
 * Thread safety: any number of threads may set, reset and wait on one
 * event object, lock and unlock through one mutex object, and post and
 * wait on one semaphore object, at once; an object must not be closed
 * while another thread uses it.
 * @{ */

/** An event: set, reset, waited for by any number of threads and
 * processes. Opaque. */
typedef struct ipc_shm_event ipc_shm_event_t;
/** A mutex whose owner's death is detected. Opaque. */
typedef struct ipc_shm_mutex ipc_shm_mutex_t;

/** Wait without a time limit. */
#define IPC_SHM_FOREVER (-1)

/** Event flag: manual reset (stays set, releasing every waiter, until
 * ipc_shm_event_reset()). Without it the event resets automatically when
 * it releases one waiter. */
#define IPC_SHM_EVENT_MANUAL 0x0020u
/** Event flag: the event starts set. */
#define IPC_SHM_EVENT_SET 0x0040u

/** Create a named event, failing with EXISTS if anything has the name.
 * Flags: IPC_SHM_EVENT_MANUAL, IPC_SHM_EVENT_SET, IPC_SHM_GLOBAL,
 * IPC_SHM_PERMS() (POSIX).
 * Errors: INVAL, NAME_INVALID, NAME_TOO_LONG, EXISTS, PERM, NO_MEMORY,
 * NO_SPACE, TOO_MANY, SYSTEM. */
IPC_SHM_API int ipc_shm_event_create(ipc_shm_event_t **event, const char *name,
                                     unsigned flags);

/** Open an existing named event (auto or manual reset, as created).
 * Flags: IPC_SHM_GLOBAL.
 * Errors: INVAL, NAME_INVALID, NAME_TOO_LONG, NOT_FOUND, WRONG_KIND (a
 * segment or a mutex has the name), PERM, NO_MEMORY, TOO_MANY, SYSTEM. */
IPC_SHM_API int ipc_shm_event_open(ipc_shm_event_t **event, const char *name,
                                   unsigned flags);

/** Create an event with no name, reached by hand-over only.
 * Flags: IPC_SHM_EVENT_MANUAL, IPC_SHM_EVENT_SET.
 * Errors: INVAL, NO_MEMORY, NO_SPACE, TOO_MANY, SYSTEM. */
IPC_SHM_API int ipc_shm_event_create_anonymous(ipc_shm_event_t **event,
                                               unsigned flags);

/** Close this process's handle; never removes the name. Errors: INVAL,
 * SYSTEM. The object is freed in every case. */
IPC_SHM_API int ipc_shm_event_close(ipc_shm_event_t *event);

/** The kernel object an event loop can wait on, where the platform has
 * one, in `*native`; it stays owned by the event (valid until
 * ipc_shm_event_close(), not inheritable).
 *   Windows: the event's HANDLE, for WaitForMultipleObjects,
 *   RegisterWaitForSingleObject or a thread pool wait; such a wait takes
 *   an auto-reset event's set as ipc_shm_event_wait() would.
 *   POSIX: NOT_SUPPORTED: the state is a word in shared memory, which
 *   poll() and epoll cannot watch; use a thread that waits, or
 *   ipc_shm_wait_any().
 * On failure `*native` is NULL (Windows) or -1 (POSIX).
 * Errors: INVAL, NOT_SUPPORTED. */
IPC_SHM_API int ipc_shm_event_native(const ipc_shm_event_t *event, ipc_shm_native_t *native);

/** Set the event: a manual-reset event releases every waiter and stays
 * set; an auto-reset event releases one waiter (or the next one to come)
 * and resets. Setting a set event does nothing. Errors: INVAL, SYSTEM. */
IPC_SHM_API int ipc_shm_event_set(ipc_shm_event_t *event);

/** Reset the event. Errors: INVAL, SYSTEM. */
IPC_SHM_API int ipc_shm_event_reset(ipc_shm_event_t *event);

/** Wait until the event is set, at most `timeout_ms`. A waiter of a
 * manual-reset event is released by every set that happens while it
 * waits, even if the event is reset before it runs. Idle waiters use no
 * CPU (other POSIX systems: see above).
 * Errors: INVAL (NULL, negative timeout other than IPC_SHM_FOREVER),
 * TIMEOUT, SYSTEM. */
IPC_SHM_API int ipc_shm_event_wait(ipc_shm_event_t *event, int64_t timeout_ms);

/** Create a named mutex, unlocked, failing with EXISTS if anything has the
 * name. Flags: IPC_SHM_GLOBAL, IPC_SHM_PERMS() (POSIX).
 * Errors: as ipc_shm_event_create(). */
IPC_SHM_API int ipc_shm_mutex_create(ipc_shm_mutex_t **mutex, const char *name,
                                     unsigned flags);

/** Open an existing named mutex. Flags: IPC_SHM_GLOBAL.
 * Errors: as ipc_shm_event_open(). */
IPC_SHM_API int ipc_shm_mutex_open(ipc_shm_mutex_t **mutex, const char *name,
                                   unsigned flags);

/** Create a mutex with no name, reached by hand-over only. Flags: none.
 * Errors: INVAL, NO_MEMORY, NO_SPACE, TOO_MANY, SYSTEM. */
IPC_SHM_API int ipc_shm_mutex_create_anonymous(ipc_shm_mutex_t **mutex,
                                               unsigned flags);

/** Close this process's handle; never removes the name. Closing does not
 * unlock: unlock first (a thread or process that ends holding the mutex is
 * a dead owner to the next locker). Errors: INVAL, SYSTEM. The object is
 * freed in every case. */
IPC_SHM_API int ipc_shm_mutex_close(ipc_shm_mutex_t *mutex);

/** Lock the mutex, waiting at most `timeout_ms`. The owner is the calling
 * thread. When the previous owner died holding it (its thread or process
 * ended), the caller gets the mutex and OWNER_DEAD: it should repair the
 * protected data and call ipc_shm_mutex_consistent() before unlocking;
 * unlocking without doing so leaves the mutex NOT_RECOVERABLE for every
 * later locker, in every process (Windows: for as long as some process
 * using the library has it open, see above).
 * How a dead owner is detected, and how soon:
 *   Windows: by the kernel (WAIT_ABANDONED), as soon as the owner thread
 *   ends.
 *   Linux: a process that has the mutex open holds a lock the kernel keeps
 *   for it (an open-file-description lock on one byte of the mutex's
 *   object, the byte of a random number naming the process), and the owner
 *   word names that process and the owner's thread. A waiter asks the
 *   kernel whether the owner's process still holds its lock, which is true
 *   in every PID namespace and cannot be taken over by a process that
 *   reuses the id; a thread of the waiter's own process is looked up by
 *   its id. A blocked locker asks every 2 ms, so it hears of the death
 *   within about 2 ms; trylock asks at most once a millisecond about the
 *   same owner (a first trylock on a new owner asks at once). The end of
 *   a thread of another process whose process goes on is not seen: the
 *   waiter waits until its timeout.
 *   Other POSIX systems: the owner's process id, asked with kill(pid, 0),
 *   and a child of the waiter that has ended counts as dead before it is
 *   reaped (waitid with WNOWAIT); another process's zombie counts as alive
 *   until reaped, the end of a thread is not seen, and a process in
 *   another PID namespace must not share the mutex there. Sleepers poll.
 * Errors: INVAL, TIMEOUT, OWNER_DEAD (locked), NOT_RECOVERABLE, DEADLOCK
 * (this thread holds it already: through this object, or, POSIX, through
 * another object of this process), SYSTEM. */
IPC_SHM_API int ipc_shm_mutex_lock(ipc_shm_mutex_t *mutex, int64_t timeout_ms);

/** ipc_shm_mutex_lock() with timeout 0: TIMEOUT if another thread holds
 * it. */
IPC_SHM_API int ipc_shm_mutex_trylock(ipc_shm_mutex_t *mutex);

/** Unlock the mutex, which the calling thread holds through this object
 * (the one it locked with). Errors: INVAL, NOT_OWNER, SYSTEM. */
IPC_SHM_API int ipc_shm_mutex_unlock(ipc_shm_mutex_t *mutex);

/** After OWNER_DEAD: mark the protected state consistent again, so that
 * unlocking makes the mutex normal. Errors: INVAL (NULL, or the mutex is
 * not in the state OWNER_DEAD left it in), NOT_OWNER. */
IPC_SHM_API int ipc_shm_mutex_consistent(ipc_shm_mutex_t *mutex);

/* ---- Handing events and mutexes to another process ----
 * The same routes as segments, with the same guarantees; tokens and
 * messages carry the kind ("evt", "mtx") and a route meant for one kind
 * refuses another with WRONG_KIND. Events and mutexes have no read-only
 * form: IPC_SHM_READONLY is INVAL here. Windows: the handle carries
 * exactly SYNCHRONIZE and EVENT_MODIFY_STATE or MUTEX_MODIFY_STATE.
 * Errors: those of the segment functions of the same name, and
 * WRONG_KIND. */

/** ipc_shm_export() for an event. Flags: IPC_SHM_EXPORT_PULL. */
IPC_SHM_API int ipc_shm_event_export(ipc_shm_export_t **exported,
                                     const ipc_shm_event_t *event, unsigned flags);
/** ipc_shm_import() for an event. */
IPC_SHM_API int ipc_shm_event_import(ipc_shm_event_t **event, const char *token);
/** ipc_shm_inherited() for an event. */
IPC_SHM_API int ipc_shm_event_inherited(ipc_shm_event_t **event, size_t index);
/** ipc_shm_pull() for an event. */
IPC_SHM_API int ipc_shm_event_pull(ipc_shm_event_t **event, const char *token);
/** ipc_shm_push() for an event (Windows only). Flags: none. */
IPC_SHM_API int ipc_shm_event_push(const ipc_shm_event_t *event, unsigned long pid,
                                   unsigned flags, char token[IPC_SHM_TOKEN_MAX]);
/** ipc_shm_send() for an event. Flags: none. */
IPC_SHM_API int ipc_shm_event_send(ipc_shm_conn_t *conn, const ipc_shm_event_t *event,
                                   unsigned flags);
/** ipc_shm_receive() for an event. */
IPC_SHM_API int ipc_shm_event_receive(ipc_shm_conn_t *conn, ipc_shm_event_t **event);

/** ipc_shm_export() for a mutex. Flags: IPC_SHM_EXPORT_PULL. */
IPC_SHM_API int ipc_shm_mutex_export(ipc_shm_export_t **exported,
                                     const ipc_shm_mutex_t *mutex, unsigned flags);
/** ipc_shm_import() for a mutex. */
IPC_SHM_API int ipc_shm_mutex_import(ipc_shm_mutex_t **mutex, const char *token);
/** ipc_shm_inherited() for a mutex. */
IPC_SHM_API int ipc_shm_mutex_inherited(ipc_shm_mutex_t **mutex, size_t index);
/** ipc_shm_pull() for a mutex. */
IPC_SHM_API int ipc_shm_mutex_pull(ipc_shm_mutex_t **mutex, const char *token);
/** ipc_shm_push() for a mutex (Windows only). Flags: none. */
IPC_SHM_API int ipc_shm_mutex_push(const ipc_shm_mutex_t *mutex, unsigned long pid,
                                   unsigned flags, char token[IPC_SHM_TOKEN_MAX]);
/** ipc_shm_send() for a mutex. Flags: none. */
IPC_SHM_API int ipc_shm_mutex_send(ipc_shm_conn_t *conn, const ipc_shm_mutex_t *mutex,
                                   unsigned flags);
/** ipc_shm_receive() for a mutex. */
IPC_SHM_API int ipc_shm_mutex_receive(ipc_shm_conn_t *conn, ipc_shm_mutex_t **mutex);

/* ---- Semaphores ----
 * A counting semaphore between processes: a count from 0 to a maximum
 * fixed at creation; post adds one, wait takes one, waiting while it is 0.
 * Named under the one namespace (creating under a segment's, event's or
 * mutex's name is EXISTS, opening another kind's name WRONG_KIND),
 * anonymous, and handed over by every route (tokens of kind "sem").
 *   Windows: a kernel semaphore (CreateSemaphoreW) under the same name a
 *   raw program uses (OpenSemaphoreW), so both meet one object.
 *   Linux: a 64-byte object holding the count, which sleepers wait on as a
 *   futex word; posts and takes are compare-and-swaps, with no system call
 *   while nobody sleeps.
 *   Other POSIX systems: the same object, sleepers poll it (as events).
 * A hostile peer that may write the state can make a wait wait or a post
 * fail, never a call crash. */

/** A counting semaphore. Opaque. */
typedef struct ipc_shm_semaphore ipc_shm_semaphore_t;

/** The largest maximum count: what Windows' semaphores hold. */
#define IPC_SHM_SEMAPHORE_MAX 0x7FFFFFFFu

/** Create a named semaphore with the count `initial` (0 to `maximum`) and
 * the maximum `maximum` (1 to IPC_SHM_SEMAPHORE_MAX).
 * Flags: IPC_SHM_GLOBAL, IPC_SHM_PERMS().
 * Errors: INVAL (a count out of range, an unknown flag), those of
 * ipc_shm_event_create(). */
IPC_SHM_API int ipc_shm_semaphore_create(ipc_shm_semaphore_t **semaphore, const char *name,
                                         uint32_t initial, uint32_t maximum, unsigned flags);

/** Open a named semaphore. Flags: IPC_SHM_GLOBAL.
 * Errors: those of ipc_shm_event_open(). */
IPC_SHM_API int ipc_shm_semaphore_open(ipc_shm_semaphore_t **semaphore, const char *name,
                                       unsigned flags);

/** Create a semaphore without a name, to hand over. Flags: none.
 * Errors: as ipc_shm_semaphore_create(). */
IPC_SHM_API int ipc_shm_semaphore_create_anonymous(ipc_shm_semaphore_t **semaphore,
                                                   uint32_t initial, uint32_t maximum,
                                                   unsigned flags);

/** Close this process's handle and free the object. Errors: INVAL, SYSTEM. */
IPC_SHM_API int ipc_shm_semaphore_close(ipc_shm_semaphore_t *semaphore);

/** Add one to the count, waking one waiter if any waits.
 * Errors: INVAL, LIMIT (the count is at its maximum: nothing changes),
 * SYSTEM. */
IPC_SHM_API int ipc_shm_semaphore_post(ipc_shm_semaphore_t *semaphore);

/** The kernel object an event loop can wait on: as ipc_shm_event_native()
 * (Windows: the semaphore's HANDLE, a wait on which takes one; POSIX:
 * NOT_SUPPORTED). Errors: INVAL, NOT_SUPPORTED. */
IPC_SHM_API int ipc_shm_semaphore_native(const ipc_shm_semaphore_t *semaphore,
                                         ipc_shm_native_t *native);

/** Take one from the count, waiting at most `timeout_ms` (0: do not wait;
 * IPC_SHM_FOREVER) while it is 0.
 * Errors: INVAL (a bad timeout), TIMEOUT, SYSTEM. */
IPC_SHM_API int ipc_shm_semaphore_wait(ipc_shm_semaphore_t *semaphore, int64_t timeout_ms);

/** ipc_shm_semaphore_wait() with timeout 0. */
IPC_SHM_API int ipc_shm_semaphore_trywait(ipc_shm_semaphore_t *semaphore);

/** ipc_shm_export() for a semaphore. Flags: IPC_SHM_EXPORT_PULL. */
IPC_SHM_API int ipc_shm_semaphore_export(ipc_shm_export_t **exported,
                                         const ipc_shm_semaphore_t *semaphore,
                                         unsigned flags);
/** ipc_shm_import() for a semaphore. */
IPC_SHM_API int ipc_shm_semaphore_import(ipc_shm_semaphore_t **semaphore, const char *token);
/** ipc_shm_inherited() for a semaphore. */
IPC_SHM_API int ipc_shm_semaphore_inherited(ipc_shm_semaphore_t **semaphore, size_t index);
/** ipc_shm_pull() for a semaphore. */
IPC_SHM_API int ipc_shm_semaphore_pull(ipc_shm_semaphore_t **semaphore, const char *token);
/** ipc_shm_push() for a semaphore (Windows only). Flags: none. */
IPC_SHM_API int ipc_shm_semaphore_push(const ipc_shm_semaphore_t *semaphore, unsigned long pid,
                                       unsigned flags, char token[IPC_SHM_TOKEN_MAX]);
/** ipc_shm_send() for a semaphore. Flags: none. */
IPC_SHM_API int ipc_shm_semaphore_send(ipc_shm_conn_t *conn,
                                       const ipc_shm_semaphore_t *semaphore, unsigned flags);
/** ipc_shm_receive() for a semaphore. */
IPC_SHM_API int ipc_shm_semaphore_receive(ipc_shm_conn_t *conn,
                                          ipc_shm_semaphore_t **semaphore);

/** @} */

/* ------------------------------------------------------------------------ */
/** @defgroup channels Channels
 * A channel moves messages from one sender to one receiver through a ring
 * in a segment, with no system call per message while both are busy.
 *
 * An object with a header in its segment: a channel's segment starts
 * with its control area (4096 bytes: layout version, sizes, the two
 * indices on cache lines of their own, the waiting flags, each side's
 * process; README.md gives the offsets), and the ring follows. Its layout
 * is versioned: attaching to a segment that is not a channel is
 * WRONG_KIND; to one of another layout, VERSION; to one whose control area
 * holds impossible values, CORRUPT.
 * Plain segments never carry a header.
 * A peer that may write the segment can write any value into it: calls
 * then fail (CORRUPT, TIMEOUT, DISCONNECTED) and never read or write
 * outside the ring. On POSIX it can also truncate a named channel's
 * segment, after which its users die of SIGBUS at their next touch (as
 * for events and mutexes, above); an anonymous channel's segment is sealed
 * against shrinking on Linux.
 *
 * Messages: each is 1 to max_message bytes, delivered whole and in order.
 * A message is visible to the receiver only once committed: one that a
 * sender dies writing is never delivered.
 *
 * Waiting: a side with nothing to do spins briefly where another CPU can
 * run its peer (never where this process may use one CPU only, by affinity
 * or CPU quota: there it gives the CPU up a few times instead), then sleeps
 * (Linux: a futex word in the control area; Windows: two events named
 * "Local\ipcshm.channel.ID.r" and ".w"; other POSIX systems poll as events
 * do). It is woken only when it sleeps, and once, however many messages or
 * releases follow; a sender asleep for room is woken once half the ring is
 * free. docs/PERFORMANCE.md gives the spin's and the slices' lengths.
 * A poll (timeout 0) that finds nothing makes no system call while the
 * peer is known to be attached.
 *
 * Peers: one sender and one receiver at a time. When the other side closes,
 * or its process ends or is killed, the survivor gets DISCONNECTED (a
 * receiver first takes every message committed before). A sender gets it
 * once a receiver has attached and gone, even one that came and went
 * between two of its calls; until a receiver has come, it fills the ring
 * for the one to come. A new peer may then attach in the free role; a role
 * held by a live process is refused with EXISTS. A message a dead
 * receiver had peeked and not released is delivered again to the next
 * receiver.
 * How a peer's death is known, and how soon:
 *   Linux: a side holds its role as a lock the kernel keeps for its
 *   process (an open-file-description lock on the first byte of its peer
 *   word), dropped when the process ends, however it ends: true in every
 *   PID namespace, and no process that reuses the id can hold it. A
 *   sleeping side asks every 2 ms; a side that polls or sends asks at most
 *   once a millisecond while its peer makes no progress. A death is heard
 *   within about 2 ms, by a sender with room in the ring too. A child
 *   forked (without exec) does not keep its parent's roles.
 *   Windows: the peer word names the process by its id and creation time;
 *   a sleeping side waits on the peer's process too and wakes at its end;
 *   a side that polls or sends asks at most once a millisecond.
 *   Other POSIX systems: the process id, as for mutexes (a zombie child of
 *   the survivor counts as dead); processes in different PID namespaces
 *   must not share a channel there.
 *
 * Thread safety: one end of a channel is one party: its calls must not
 * overlap (one thread at a time, or the program's own lock); the sender's
 * end and the receiver's end may be used by different threads of one
 * process at once.
 * @{ */

/** One end of a channel. Opaque. */
typedef struct ipc_shm_channel ipc_shm_channel_t;

/** The role a process takes in a channel. */
#define IPC_SHM_CHANNEL_SENDER 0x0100u   /**< sends (produces) */
#define IPC_SHM_CHANNEL_RECEIVER 0x0200u /**< receives (consumes) */

/** The bytes a channel's control area takes at the start of its segment. */
#define IPC_SHM_CHANNEL_HEADER 4096u

/** The largest message a channel can carry: 4 GiB - 1 bytes. */
#define IPC_SHM_CHANNEL_MESSAGE_MAX 0xFFFFFFFFu

/** Create a named channel for messages of up to `max_message` bytes (at
 * most IPC_SHM_CHANNEL_MESSAGE_MAX: a record's length is 32 bits), in a
 * ring of at least `capacity` bytes (rounded up to a power of two, and to
 * at least twice the largest message with its 8-byte record header), and
 * attach in the role given in `flags`. The segment is named `name` and is
 * IPC_SHM_CHANNEL_HEADER + ring bytes long.
 * Flags: IPC_SHM_CHANNEL_SENDER or IPC_SHM_CHANNEL_RECEIVER (one),
 * IPC_SHM_GLOBAL, IPC_SHM_PERMS().
 * Errors: those of ipc_shm_create(), and INVAL (no role or both, a zero
 * max_message or one over IPC_SHM_CHANNEL_MESSAGE_MAX, a ring larger than
 * the address space can hold). */
IPC_SHM_API int ipc_shm_channel_create(ipc_shm_channel_t **channel, const char *name,
                                       size_t max_message, size_t capacity,
                                       unsigned flags);

/** Open a named channel and attach in the role given in `flags`. A channel
 * whose creator is still writing its control area is waited for (up to 2
 * seconds), as ipc_shm_event_open() waits; a segment too small for a
 * control area is WRONG_KIND.
 * Flags: one role, IPC_SHM_GLOBAL.
 * Errors: those of ipc_shm_open(), and WRONG_KIND (not a channel), VERSION,
 * CORRUPT, EXISTS (a live process holds the role). */
IPC_SHM_API int ipc_shm_channel_open(ipc_shm_channel_t **channel, const char *name,
                                     unsigned flags);

/** Create a channel in an anonymous segment, attached in the role given.
 * Hand ipc_shm_channel_segment() over by any route; the other process
 * calls ipc_shm_channel_attach(). Flags: one role. */
IPC_SHM_API int ipc_shm_channel_create_anonymous(ipc_shm_channel_t **channel,
                                                 size_t max_message, size_t capacity,
                                                 unsigned flags);

/** Attach to the channel in a segment this process has (opened, imported,
 * pulled, received or inherited), in the role given in `flags`. The
 * channel keeps its own copy of the segment's handle: the segment may be
 * closed afterwards. Errors: INVAL, WRONG_KIND, VERSION, CORRUPT, EXISTS,
 * ACCESS (a read-only segment), NO_MEMORY, SYSTEM. */
IPC_SHM_API int ipc_shm_channel_attach(ipc_shm_channel_t **channel, const ipc_shm_t *segment,
                                       unsigned flags);

/** The channel's segment, to hand over; owned by the channel. */
IPC_SHM_API const ipc_shm_t *ipc_shm_channel_segment(const ipc_shm_channel_t *channel);

/** The largest message the channel takes. */
IPC_SHM_API size_t ipc_shm_channel_max_message(const ipc_shm_channel_t *channel);

/** Detach (the peer learns DISCONNECTED) and free the channel. A message
 * reserved and not committed is dropped. Errors: INVAL, SYSTEM. */
IPC_SHM_API int ipc_shm_channel_close(ipc_shm_channel_t *channel);

/** Send a copy of `size` bytes (1 to max_message), waiting at most
 * `timeout_ms` for room (0: do not wait; IPC_SHM_FOREVER).
 * Errors: INVAL (not the sender, a bad size or timeout), TIMEOUT,
 * DISCONNECTED (no receiver: it closed or died), CORRUPT, SYSTEM. */
IPC_SHM_API int ipc_shm_channel_send(ipc_shm_channel_t *channel, const void *data,
                                     size_t size, int64_t timeout_ms);

/** Receive the next message into `buffer` (`buffer_size` bytes), storing
 * its size in *size; waits at most `timeout_ms`. A message larger than the
 * buffer stays in the channel: INVAL with *size set to its size.
 * Errors: INVAL, TIMEOUT, DISCONNECTED (the sender is gone and every
 * message it committed was taken), CORRUPT, SYSTEM. */
IPC_SHM_API int ipc_shm_channel_receive(ipc_shm_channel_t *channel, void *buffer,
                                        size_t buffer_size, size_t *size,
                                        int64_t timeout_ms);

/** Zero-copy sending: room for `size` bytes (1 to max_message) in the
 * ring, at *space, contiguous and 8-byte aligned; write the message there
 * and ipc_shm_channel_commit() it. Errors: as ipc_shm_channel_send(), and
 * INVAL when a reservation is open already. */
IPC_SHM_API int ipc_shm_channel_reserve(ipc_shm_channel_t *channel, size_t size,
                                        void **space, int64_t timeout_ms);

/** Deliver the reserved message with its first `size` bytes (at most the
 * size reserved; 0 drops it). Errors: INVAL (nothing reserved, too
 * large). */
IPC_SHM_API int ipc_shm_channel_commit(ipc_shm_channel_t *channel, size_t size);

/** Zero-copy receiving: the next message in place (*data, *size), valid
 * until ipc_shm_channel_release(). Errors: as ipc_shm_channel_receive(),
 * and INVAL when a message is being read already. */
IPC_SHM_API int ipc_shm_channel_peek(ipc_shm_channel_t *channel, const void **data,
                                     size_t *size, int64_t timeout_ms);

/** Give the peeked message's room back to the sender. Errors: INVAL
 * (nothing peeked). */
IPC_SHM_API int ipc_shm_channel_release(ipc_shm_channel_t *channel);

/** What a look at one role of a channel from outside finds. */
typedef enum ipc_shm_peer_state {
  IPC_SHM_PEER_NONE = 0,  /**< never attached */
  IPC_SHM_PEER_ALIVE = 1, /**< attached, and its process lives (or that
                               cannot be told) */
  IPC_SHM_PEER_LEFT = 2,  /**< closed its end */
  IPC_SHM_PEER_DEAD = 3   /**< its process ended without closing */
} ipc_shm_peer_state_t;

/** A channel's control area as ipc_shm_channel_status() reads it. */
typedef struct ipc_shm_channel_status {
  uint32_t layout;        /**< the control area's layout (1) */
  uint64_t capacity;      /**< the ring's bytes */
  uint64_t max_message;   /**< the largest message */
  uint64_t bytes_waiting; /**< committed and not yet released, records
                               included */
  ipc_shm_peer_state_t sender;   /**< the sending role */
  ipc_shm_peer_state_t receiver; /**< the receiving role */
  unsigned long sender_pid;   /**< the sender's process id as its holder
                                   wrote it (its own PID namespace's); 0
                                   when none */
  unsigned long receiver_pid; /**< likewise */
} ipc_shm_channel_status_t;

/** Read the control area of the channel in `segment` (opened by name,
 * read-only is enough, or handed over) without attaching, and say whether
 * each role's holder lives, as the channel's peers would judge it (see
 * above). A snapshot: it may change at once.
 * Errors: INVAL (NULL), WRONG_KIND (not a channel), VERSION, CORRUPT,
 * SYSTEM. */
IPC_SHM_API int ipc_shm_channel_status(const ipc_shm_t *segment,
                                       ipc_shm_channel_status_t *status);

/** @} */

/* ------------------------------------------------------------------------ */
/** @defgroup topics Topics (publish/subscribe)
 * A topic carries messages from one publisher to up to
 * IPC_SHM_TOPIC_SUBSCRIBERS_MAX subscribers. The publisher writes each
 * message once, into one of a fixed number of slots in a segment; every
 * subscriber reads it there, in place (peek/release) or as a copy, with no
 * system call per message while both sides are busy.
 *
 * Like a channel's, a topic's segment starts with a versioned control area
 * (IPC_SHM_TOPIC_HEADER bytes: layout, sizes, the count of messages
 * published, one cache line per role; README.md gives the offsets), and
 * the slots follow. Attaching to a segment that is not a topic (a channel,
 * say) is WRONG_KIND; to one of another layout, VERSION; to one whose
 * control area holds impossible values, CORRUPT. Every value read from it
 * is checked at every use: a peer that writes the segment can make calls
 * fail (CORRUPT, OVERWRITTEN, TIMEOUT, DISCONNECTED), never read or write
 * outside the slots.
 *
 * Messages: 1 to max_message bytes each, delivered whole and in the order
 * published. A message is visible once committed: one that a publisher
 * dies writing is never delivered.
 *
 * Slow subscribers, chosen at creation:
 *   block (the default): the publisher waits while the slowest live
 *   subscriber still has to read the message in the slot it needs; nothing
 *   is lost. A subscriber that dies holds nobody back: its slot is skipped
 *   (and may be taken by a new subscriber) once its death is known.
 *   IPC_SHM_TOPIC_OVERWRITE: the publisher never waits; a subscriber that
 *   fell more than the slot count behind skips to the oldest message still
 *   there, and the next message it gets comes with the count it lost.
 *   Every slot carries the number of the message in it, written before and
 *   after the message (a sequence lock): a copy that the publisher wrote
 *   over while it was taken is never returned as a message (it counts as
 *   lost), and ipc_shm_topic_release() says OVERWRITTEN when a message
 *   read in place was written over meanwhile (what was read is then not
 *   the message).
 *
 * Joining and leaving: a subscriber gets the messages published after its
 * attach returns, or with IPC_SHM_TOPIC_FROM_OLDEST also those still in
 * the slots (any that are written over while it joins are counted as
 * lost). Subscribers may close at any time. A publisher that closes or
 * dies gives its subscribers DISCONNECTED once they have read what it
 * committed; a new publisher may then attach and go on from the next
 * message. With no subscriber, the publisher publishes without waiting.
 * Deaths are known as for channels: Linux, a lock the kernel keeps for
 * each role (valid across PID namespaces, never fooled by a reused process
 * id); Windows, the holder's process id and creation time, and a sleeping
 * subscriber wakes at its publisher's end; other POSIX systems, the process
 * id (PID namespaces must not be mixed there). A death is heard within
 * about 2 ms by a waiting side.
 *
 * Waiting: as for channels, a brief spin where another CPU can run the
 * peer, then a sleep (Linux: a futex word per role in the control area;
 * Windows: an auto-reset event per role, "Local\ipcshm.topic.ID.N"; other
 * POSIX systems poll). The publisher wakes a subscriber only when it
 * sleeps; a publisher asleep for a free slot is woken once half the slots
 * are free of what its waker has to read, and looks for a free slot every
 * 2 ms meanwhile.
 *
 * Thread safety: each attachment is one party; its calls must not overlap.
 * @{ */

/** One attachment to a topic, as its publisher or one subscriber.
 * Opaque. */
typedef struct ipc_shm_topic ipc_shm_topic_t;

/* The role a process takes in a topic (one of the two). */
#define IPC_SHM_TOPIC_PUBLISHER 0x0400u  /**< publishes (one per topic) */
#define IPC_SHM_TOPIC_SUBSCRIBER 0x0800u /**< subscribes (up to 64) */
/** Creation: the publisher never waits; slow subscribers lose messages. */
#define IPC_SHM_TOPIC_OVERWRITE 0x1000u
/** Subscribers: begin with the oldest message still in the slots rather
 * than the next one published. */
#define IPC_SHM_TOPIC_FROM_OLDEST 0x4000u

/** The bytes a topic's control area takes at the start of its segment. */
#define IPC_SHM_TOPIC_HEADER 8192u
/** The most subscribers a topic has at once. */
#define IPC_SHM_TOPIC_SUBSCRIBERS_MAX 64
/** The largest message a topic can carry (a slot's length is 32 bits). */
#define IPC_SHM_TOPIC_MESSAGE_MAX 0xFFFFFFFFu

/** Create a named topic of `slots` messages (rounded up to a power of
 * two, at least 2) of up to `max_message` bytes each, and attach in the
 * role given in `flags`. Each slot takes max_message + 16 bytes, rounded up
 * to 64; the segment is IPC_SHM_TOPIC_HEADER + slots * that.
 * Flags: IPC_SHM_TOPIC_PUBLISHER or IPC_SHM_TOPIC_SUBSCRIBER (one),
 * IPC_SHM_TOPIC_OVERWRITE, IPC_SHM_TOPIC_FROM_OLDEST, IPC_SHM_GLOBAL,
 * IPC_SHM_PERMS().
 * Errors: those of ipc_shm_create(), and INVAL (no role or both, an
 * unknown flag, a zero max_message or one over IPC_SHM_TOPIC_MESSAGE_MAX,
 * fewer than 1 or more than 2^20 slots, slots of more than 2^40 bytes in
 * all or more than the address space can hold). */
IPC_SHM_API int ipc_shm_topic_create(ipc_shm_topic_t **topic, const char *name,
                                     size_t max_message, size_t slots, unsigned flags);

/** Create a topic in an anonymous segment, attached in the role given.
 * Hand ipc_shm_topic_segment() over by any route; other processes call
 * ipc_shm_topic_attach(). Flags: as ipc_shm_topic_create() but
 * IPC_SHM_GLOBAL and IPC_SHM_PERMS(). */
IPC_SHM_API int ipc_shm_topic_create_anonymous(ipc_shm_topic_t **topic, size_t max_message,
                                               size_t slots, unsigned flags);

/** Open a named topic and attach in the role given in `flags`. A topic
 * whose creator is still writing its control area is waited for (up to 2
 * seconds). Flags: one role, IPC_SHM_TOPIC_FROM_OLDEST, IPC_SHM_GLOBAL.
 * Errors: those of ipc_shm_open(), and WRONG_KIND (not a topic), VERSION,
 * CORRUPT, EXISTS (a live process is the publisher), LIMIT (every
 * subscriber slot is held by a live process). */
IPC_SHM_API int ipc_shm_topic_open(ipc_shm_topic_t **topic, const char *name, unsigned flags);

/** Attach to the topic in a segment this process has (opened, imported,
 * pulled, received or inherited), in the role given. The topic keeps its
 * own copy of the segment's handle. Flags: one role,
 * IPC_SHM_TOPIC_FROM_OLDEST. Errors: INVAL, WRONG_KIND, VERSION, CORRUPT,
 * EXISTS, LIMIT, ACCESS (a read-only segment), NO_MEMORY, SYSTEM. */
IPC_SHM_API int ipc_shm_topic_attach(ipc_shm_topic_t **topic, const ipc_shm_t *segment,
                                     unsigned flags);

/** The topic's segment, to hand over; owned by the topic. */
IPC_SHM_API const ipc_shm_t *ipc_shm_topic_segment(const ipc_shm_topic_t *topic);

/** The largest message the topic takes. */
IPC_SHM_API size_t ipc_shm_topic_max_message(const ipc_shm_topic_t *topic);

/** Leave the role (a publisher's subscribers learn DISCONNECTED once they
 * have read what it committed; a subscriber's slot is free at once) and
 * free the attachment. A message reserved and not committed is dropped.
 * Errors: INVAL, SYSTEM. */
IPC_SHM_API int ipc_shm_topic_close(ipc_shm_topic_t *topic);

/** Publish a copy of `size` bytes (1 to max_message). Blocking topics wait
 * at most `timeout_ms` (0: do not wait; IPC_SHM_FOREVER) for the slowest
 * live subscriber. Errors: INVAL (not the publisher, a bad size or
 * timeout, a reservation open), TIMEOUT, CORRUPT, SYSTEM. */
IPC_SHM_API int ipc_shm_topic_publish(ipc_shm_topic_t *topic, const void *data, size_t size,
                                      int64_t timeout_ms);

/** Zero-copy publishing (a loan): the next slot's room for `size` bytes
 * (1 to max_message) at *space, 16-byte aligned; write the message there
 * and ipc_shm_topic_commit() it. Errors: as ipc_shm_topic_publish(). */
IPC_SHM_API int ipc_shm_topic_reserve(ipc_shm_topic_t *topic, size_t size, void **space,
                                      int64_t timeout_ms);

/** Deliver the reserved message with its first `size` bytes (at most the
 * size reserved; 0 drops it). Errors: INVAL (nothing reserved, too
 * large), SYSTEM. */
IPC_SHM_API int ipc_shm_topic_commit(ipc_shm_topic_t *topic, size_t size);

/** Receive a copy of the next message into `buffer` (`buffer_size` bytes),
 * storing its size in *size and, if `lost` is not NULL, in *lost the count
 * of messages this subscriber missed just before it (OVERWRITE topics, and
 * those written over while it joined; otherwise 0). Waits at most
 * `timeout_ms`. A message larger than the buffer is not taken: INVAL with
 * *size set to its size.
 * Errors: INVAL (not a subscriber, NULL, a bad timeout, a message peeked),
 * TIMEOUT (also: in an OVERWRITE topic, a publisher that wrote over every
 * message before one could be copied, 1024 times over), DISCONNECTED (the
 * publisher is gone and every message it committed was read), CORRUPT,
 * SYSTEM. */
IPC_SHM_API int ipc_shm_topic_receive(ipc_shm_topic_t *topic, void *buffer,
                                      size_t buffer_size, size_t *size, uint64_t *lost,
                                      int64_t timeout_ms);

/** Zero-copy receiving: the next message in place (*data, *size, and *lost
 * as for ipc_shm_topic_receive()), valid until ipc_shm_topic_release().
 * In a blocking topic the publisher does not write over it meanwhile; in an
 * OVERWRITE topic it may, and release says so. Errors: as
 * ipc_shm_topic_receive(). */
IPC_SHM_API int ipc_shm_topic_peek(ipc_shm_topic_t *topic, const void **data, size_t *size,
                                   uint64_t *lost, int64_t timeout_ms);

/** Done with the peeked message. Errors: INVAL (nothing peeked),
 * OVERWRITTEN (an OVERWRITE topic's publisher wrote over it while it was
 * read: what was read is not the message; it counts as lost, and the
 * subscriber goes on after it). */
IPC_SHM_API int ipc_shm_topic_release(ipc_shm_topic_t *topic);

/** @} */

/* ------------------------------------------------------------------------ */
/** @defgroup inboxes Inboxes (many senders, one receiver)
 * An inbox takes messages from any number of senders (up to
 * IPC_SHM_INBOX_SENDERS_MAX attached at once) to one receiver, in a fixed
 * number of slots in a segment, with no system call per message while both
 * sides are busy. It is built as a topic is (the same control area, layout
 * 1, with the magic "ipcinbx"; role 0 is the receiver, roles 1 to 64 the
 * senders; README.md gives the protocol), and attaching to a topic, a
 * channel or a plain segment as an inbox is WRONG_KIND, and the other way
 * round.
 *
 * Messages: 1 to max_message bytes, delivered whole. Those of one sender
 * arrive in the order it sent them; those of different senders in the
 * order in which they took their slots. A message is delivered once
 * committed. A sender killed
 * between reserve and commit never holds the others back: once its death
 * is known (as for channels: the kernel's lock on Linux, the process on
 * Windows, the process id elsewhere; within about 2 ms of a receiver's
 * wait), its slot is passed over and what it had written is never
 * delivered. A sender that is alive and slow between reserve and commit
 * holds the receiver until it commits.
 *
 * Peers: one receiver; when it closes or dies its senders get DISCONNECTED
 * (until one has come, senders fill the slots for it). The receiver gets
 * DISCONNECTED once every sender that came has closed or died and it has
 * taken what they committed; a new sender may come at any time. A message
 * a dead receiver had peeked and not released is delivered again to the
 * next receiver.
 *
 * Waiting: as for topics: the receiver sleeps on its word (Linux: a futex;
 * Windows: "Local\ipcshm.topic.ID.0"; other POSIX systems poll) and is woken
 * by a commit only when it sleeps; a sender asleep for a free slot is woken
 * by the receiver as it moves on. ipc_shm_wait_any() does not take inboxes
 * yet.
 *
 * Thread safety: each attachment is one party; its calls must not overlap.
 * @{ */

/** One attachment to an inbox, as its receiver or one sender. Opaque. */
typedef struct ipc_shm_inbox ipc_shm_inbox_t;

/* The role a process takes in an inbox (one of the two). */
#define IPC_SHM_INBOX_RECEIVER 0x0400u /**< receives (one per inbox) */
#define IPC_SHM_INBOX_SENDER 0x0800u   /**< sends (up to 64 at once) */

/** The most senders attached to an inbox at once. */
#define IPC_SHM_INBOX_SENDERS_MAX 64

/** Create a named inbox of `slots` messages (rounded up to a power of
 * two, at least 2) of up to `max_message` bytes (at most
 * IPC_SHM_TOPIC_MESSAGE_MAX) and attach in the role given. The segment is
 * as large as a topic's of the same sizes.
 * Flags: IPC_SHM_INBOX_RECEIVER or IPC_SHM_INBOX_SENDER (one),
 * IPC_SHM_GLOBAL, IPC_SHM_PERMS().
 * Errors: those of ipc_shm_create(), and INVAL (no role or both, an
 * unknown flag, sizes as for ipc_shm_topic_create()). */
IPC_SHM_API int ipc_shm_inbox_create(ipc_shm_inbox_t **inbox, const char *name,
                                     size_t max_message, size_t slots, unsigned flags);

/** Create an inbox in an anonymous segment, attached in the role given;
 * hand ipc_shm_inbox_segment() over by any route. Flags: one role. */
IPC_SHM_API int ipc_shm_inbox_create_anonymous(ipc_shm_inbox_t **inbox, size_t max_message,
                                               size_t slots, unsigned flags);

/** Open a named inbox and attach in the role given (waiting up to 2
 * seconds for a creator still writing it). Flags: one role,
 * IPC_SHM_GLOBAL. Errors: those of ipc_shm_open(), and WRONG_KIND,
 * VERSION, CORRUPT, EXISTS (a live process is the receiver), LIMIT (64
 * live senders). */
IPC_SHM_API int ipc_shm_inbox_open(ipc_shm_inbox_t **inbox, const char *name, unsigned flags);

/** Attach to the inbox in a segment this process has, in the role given;
 * the inbox keeps its own copy of the handle. Flags: one role. Errors:
 * INVAL, WRONG_KIND, VERSION, CORRUPT, EXISTS, LIMIT, ACCESS, NO_MEMORY,
 * SYSTEM. */
IPC_SHM_API int ipc_shm_inbox_attach(ipc_shm_inbox_t **inbox, const ipc_shm_t *segment,
                                     unsigned flags);

/** The inbox's segment, to hand over; owned by the inbox. */
IPC_SHM_API const ipc_shm_t *ipc_shm_inbox_segment(const ipc_shm_inbox_t *inbox);

/** The largest message the inbox takes. */
IPC_SHM_API size_t ipc_shm_inbox_max_message(const ipc_shm_inbox_t *inbox);

/** Leave the role and free the attachment. A sender's slot reserved and
 * not committed is passed over. Errors: INVAL, SYSTEM. */
IPC_SHM_API int ipc_shm_inbox_close(ipc_shm_inbox_t *inbox);

/** Send a copy of `size` bytes (1 to max_message), waiting at most
 * `timeout_ms` for a free slot. Errors: INVAL (not a sender, a bad size
 * or timeout, a reservation open), TIMEOUT, DISCONNECTED (the receiver
 * closed or died), SYSTEM. */
IPC_SHM_API int ipc_shm_inbox_send(ipc_shm_inbox_t *inbox, const void *data, size_t size,
                                   int64_t timeout_ms);

/** Zero-copy sending: a slot's room for `size` bytes at *space (16-byte
 * aligned); write the message there and ipc_shm_inbox_commit() it. The
 * sender takes its place in the order once a slot is free (senders racing
 * for the last one may take a place and wait on); a sender that gives up
 * (TIMEOUT) holding a place lets it go, and the receiver passes over it.
 * Errors: as ipc_shm_inbox_send(). */
IPC_SHM_API int ipc_shm_inbox_reserve(ipc_shm_inbox_t *inbox, size_t size, void **space,
                                      int64_t timeout_ms);

/** Deliver the reserved message with its first `size` bytes (at most the
 * size reserved; 0 drops it). Errors: INVAL (nothing reserved, too large),
 * SYSTEM. */
IPC_SHM_API int ipc_shm_inbox_commit(ipc_shm_inbox_t *inbox, size_t size);

/** Receive the next message into `buffer`, its size in *size; waits at
 * most `timeout_ms`. A message larger than the buffer stays: INVAL with
 * *size set. Errors: INVAL, TIMEOUT, DISCONNECTED (every sender that came
 * is gone and what they committed was taken), CORRUPT, SYSTEM. */
IPC_SHM_API int ipc_shm_inbox_receive(ipc_shm_inbox_t *inbox, void *buffer, size_t buffer_size,
                                      size_t *size, int64_t timeout_ms);

/** Zero-copy receiving: the next message in place, valid until
 * ipc_shm_inbox_release(). Errors: as ipc_shm_inbox_receive(), and INVAL
 * when a message is peeked already. */
IPC_SHM_API int ipc_shm_inbox_peek(ipc_shm_inbox_t *inbox, const void **data, size_t *size,
                                   int64_t timeout_ms);

/** Give the peeked message's slot back. Errors: INVAL (nothing peeked). */
IPC_SHM_API int ipc_shm_inbox_release(ipc_shm_inbox_t *inbox);

/** @} */

/* ------------------------------------------------------------------------ */
/** @defgroup waiting Waiting on several objects
 * One thread waits until the first of several events, semaphores, mutexes
 * and channel ends is ready, and takes it as the single-object call would:
 * an event's wait, a semaphore's take, a mutex's lock; a channel end is
 * only reported (readable: a receive would not wait, because a message is
 * there or the sender is gone; writable: a send of `room` bytes would not
 * wait, because there is room or the receiver is gone), so that the
 * caller's next receive or send does not wait. When several are ready the
 * lowest index wins; one item is taken per call. The items are looked at
 * one after another, not at one instant: one that becomes ready while a
 * later one is looked at may lose to it (a message sent before an event
 * was set may still wait when the event is reported).
 *
 * Windows: one WaitForMultipleObjects over the events', semaphores' and
 * mutexes' kernel objects and the channels' wake-up events (and their
 * peers' processes, so that a death wakes the waiter).
 * Linux: one futex_waitv (kernel 5.16 and later) over the objects' futex
 * words; on older kernels, and on other POSIX systems, the words are
 * polled (a pause growing from 50 µs to 5 ms, the bound on how late a
 * change is seen). A sleeper whose items include a mutex or a channel
 * looks again every 2 ms at most, to notice a peer's death.
 * Events differ from ipc_shm_event_wait() in one way: a manual-reset event
 * set and reset again while the thread sleeps may go unseen (it is ready
 * when it is set as it is looked at).
 *
 * Thread safety: as for the objects' own calls: a channel end is one
 * party (no other thread may use it during the wait); events, semaphores
 * and mutexes may be waited on by other threads and processes meanwhile.
 * @{ */

/** The most items one ipc_shm_wait_any() takes. */
#define IPC_SHM_WAIT_MAX 32

/** What an item of ipc_shm_wait_any() waits for. */
typedef enum ipc_shm_wait_kind {
  IPC_SHM_WAIT_EVENT = 1,     /**< `object` is an ipc_shm_event_t: taken as a wait takes it */
  IPC_SHM_WAIT_SEMAPHORE = 2, /**< `object` is an ipc_shm_semaphore_t: one taken */
  IPC_SHM_WAIT_MUTEX = 3,     /**< `object` is an ipc_shm_mutex_t: locked */
  IPC_SHM_WAIT_READABLE = 4,  /**< `object` is a channel's receiving end */
  IPC_SHM_WAIT_WRITABLE = 5,  /**< `object` is a channel's sending end; `room` bytes */
  IPC_SHM_WAIT_TOPIC_READABLE = 6, /**< `object` is a topic's subscriber: a message is
                                        there (or its publisher is gone) */
  IPC_SHM_WAIT_TOPIC_WRITABLE = 7  /**< `object` is a topic's publisher: a slot is free
                                        for a message of `room` bytes */
} ipc_shm_wait_kind_t;

/** One object to wait for. */
typedef struct ipc_shm_wait_item {
  ipc_shm_wait_kind_t kind; /**< what to wait for */
  void *object;             /**< the event, semaphore, mutex, channel or topic */
  size_t room;              /**< WRITABLE, TOPIC_WRITABLE: the size of the message to
                                 send (1 to its maximum); otherwise 0 */
} ipc_shm_wait_item_t;

/** Wait at most `timeout_ms` (0: only look; IPC_SHM_FOREVER) until one of
 * `count` items (1 to IPC_SHM_WAIT_MAX) is ready; take it, and set
 * `*ready` to its index. The result is that of the one item: 0, or for a
 * mutex OWNER_DEAD (locked; see ipc_shm_mutex_lock()), NOT_RECOVERABLE or
 * DEADLOCK; `*ready` names the item then too. Channel ends and topics are
 * only looked at: the next call on the one named does not wait (it may
 * still say DISCONNECTED, or for a topic find that what was there was
 * lost). One whose control area a peer scribbled on is reported ready: the
 * next call says CORRUPT.
 * Errors with no item: INVAL (NULL, a count out of range, an unknown kind,
 * a NULL object, a channel end or topic attachment of the wrong role or
 * with a reservation or peeked message pending, a room of 0 or above the
 * maximum, room given for another kind, a bad timeout), TIMEOUT, SYSTEM;
 * `*ready` is `count` then. */
IPC_SHM_API int ipc_shm_wait_any(const ipc_shm_wait_item_t *items, size_t count,
                                 int64_t timeout_ms, size_t *ready);

/** @} */

/* ------------------------------------------------------------------------ */
/** @defgroup listing Listing the objects on this machine
 * What `ipc-shm ls` shows, and how `ipc-shm rm --stale` finds what a
 * crash left behind.
 * Thread safety: any thread, at any time; a listing is a snapshot.
 * @{ */

/** What a listed object is. */
typedef enum ipc_shm_kind {
  IPC_SHM_KIND_SEGMENT = 1, /**< a segment (or any shared-memory object
                                 that is none of the others) */
  IPC_SHM_KIND_EVENT = 2,   /**< an event */
  IPC_SHM_KIND_MUTEX = 3,   /**< a mutex */
  IPC_SHM_KIND_CHANNEL = 4, /**< a channel's segment */
  IPC_SHM_KIND_SEMAPHORE = 5, /**< a semaphore */
  IPC_SHM_KIND_TOPIC = 6      /**< a topic's segment */
} ipc_shm_kind_t;

/** Whether anybody uses a listed object. */
typedef enum ipc_shm_users {
  IPC_SHM_USERS_UNKNOWN = 0, /**< cannot be told */
  IPC_SHM_USERS_SOME = 1,    /**< some process uses it */
  IPC_SHM_USERS_NONE = 2     /**< every user is gone: only its name is left */
} ipc_shm_users_t;

/** One object of ipc_shm_list(). */
typedef struct ipc_shm_object_info {
  char name[IPC_SHM_NAME_MAX + 1]; /**< its portable name */
  ipc_shm_kind_t kind;             /**< what it is */
  uint64_t size;                   /**< segments and channels: bytes (0 when
                                        it cannot be opened); events and
                                        mutexes: 0 */
  ipc_shm_users_t users;           /**< whether anybody uses it */
} ipc_shm_object_info_t;

/** What ipc_shm_list() calls for each object: nonzero stops the listing. */
typedef int (*ipc_shm_list_fn)(const ipc_shm_object_info_t *info, void *arg);

/** Call `each` for every named object in the namespace whose name passes the
 * portable rule, in no particular order. Objects of programs that do not use
 * ipcshm are listed too when they look the same (a plain segment has no
 * header: any shared-memory object is one).
 *   Linux: every regular file of /dev/shm (not glibc's named semaphores,
 *   "sem.*"), told apart by the state an event, mutex or channel holds,
 *   read with pread (a truncated object cannot hurt the lister). Users: a
 *   mutex's and a channel's are the kernel's locks of their users (true in
 *   every PID namespace); a segment's and an event's are the processes of
 *   /proc that hold a descriptor or mapping of it. UNKNOWN when some process
 *   cannot be looked at (another user's, without root); one whose mappings
 *   may not be read (a non-dumpable process) is judged by its descriptors.
 *   A process of another PID namespace, which /proc does not show, is not
 *   seen: a segment or event used only there is listed as NONE.
 *   Windows: the sections, events and mutexes of the session's object
 *   directory (IPC_SHM_GLOBAL: of Global\), but the library's own helper
 *   objects. A named object exists only while some process holds a handle
 *   to it: users are always SOME, and nothing is ever stale.
 *   Other POSIX systems: NOT_SUPPORTED (no directory of shared-memory
 *   objects to read).
 * Flags: IPC_SHM_GLOBAL.
 * Errors: INVAL (no `each`, an unknown flag), NOT_SUPPORTED, PERM, NO_MEMORY,
 * SYSTEM. What `each` returns is not an error: the listing stops, and
 * returns 0. */
IPC_SHM_API int ipc_shm_list(unsigned flags, ipc_shm_list_fn each, void *arg);

/** @} */

#ifdef __cplusplus
}
#endif

#endif /* IPC_SHM_H */
