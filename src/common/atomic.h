/* SPDX-License-Identifier: MIT */
/* The one atomics layer: every load, store and read-modify-write of a word
 * that another thread or process may touch at the same time goes through
 * these functions, and nothing else in the library uses compiler builtins
 * or Interlocked calls (scripts/lint.sh checks).
 *
 * Each name carries its memory order:
 *   relaxed  atomic, no ordering (a counter, a hint that is checked again);
 *   acquire  a load after which this thread sees everything the writer did
 *            before its matching release store;
 *   release  a store that publishes everything this thread did before it;
 *   seq_cst  one total order with every other seq_cst operation: what a
 *            "flag, then look" handshake between two processes needs (a
 *            sleeper raises its flag and looks for work, a waker publishes
 *            work and looks for the flag: at least one of them sees the
 *            other).
 * The words are plain uint32_t and uint64_t in shared memory, naturally
 * aligned; their layout is a file format, so no _Atomic type is used.
 *
 * One definition per compiler family: GCC and clang (__atomic builtins,
 * also MinGW and clang in MSVC mode), and MSVC (intrinsics; plain loads and
 * stores are ordered on x86 and x64, ARM64 gets explicit barriers). */
#ifndef IPC_SHM_ATOMIC_H
#define IPC_SHM_ATOMIC_H

#include <stdint.h>

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>

#if defined(_M_ARM64) || defined(_M_ARM)
#define IPC_SHM__BARRIER_ACQ_REL_() __dmb(0xB) /* ISH */
#define IPC_SHM__FENCE_SEQ_CST_() __dmb(0xB)
#else
#define IPC_SHM__BARRIER_ACQ_REL_() _ReadWriteBarrier()
#define IPC_SHM__FENCE_SEQ_CST_() _mm_mfence()
#endif

static __inline uint32_t ipc_shm__load_relaxed32(const uint32_t *p) {
  return (uint32_t)__iso_volatile_load32((const volatile __int32 *)p);
}
static __inline uint64_t ipc_shm__load_relaxed64(const uint64_t *p) {
  return (uint64_t)__iso_volatile_load64((const volatile __int64 *)p);
}
static __inline uint32_t ipc_shm__load_acquire32(const uint32_t *p) {
  uint32_t v = ipc_shm__load_relaxed32(p);
  IPC_SHM__BARRIER_ACQ_REL_();
  return v;
}
static __inline uint64_t ipc_shm__load_acquire64(const uint64_t *p) {
  uint64_t v = ipc_shm__load_relaxed64(p);
  IPC_SHM__BARRIER_ACQ_REL_();
  return v;
}
/* Loads pair with the exchanging seq_cst stores below: a plain load and a
 * barrier, as MSVC's <atomic> does them. */
static __inline uint32_t ipc_shm__load_seq_cst32(const uint32_t *p) {
  return ipc_shm__load_acquire32(p);
}
static __inline uint64_t ipc_shm__load_seq_cst64(const uint64_t *p) {
  return ipc_shm__load_acquire64(p);
}
static __inline void ipc_shm__store_relaxed32(uint32_t *p, uint32_t v) {
  __iso_volatile_store32((volatile __int32 *)p, (__int32)v);
}
static __inline void ipc_shm__store_relaxed64(uint64_t *p, uint64_t v) {
  __iso_volatile_store64((volatile __int64 *)p, (__int64)v);
}
static __inline void ipc_shm__store_release32(uint32_t *p, uint32_t v) {
  IPC_SHM__BARRIER_ACQ_REL_();
  ipc_shm__store_relaxed32(p, v);
}
static __inline void ipc_shm__store_release64(uint64_t *p, uint64_t v) {
  IPC_SHM__BARRIER_ACQ_REL_();
  ipc_shm__store_relaxed64(p, v);
}
static __inline void ipc_shm__store_seq_cst32(uint32_t *p, uint32_t v) {
  (void)_InterlockedExchange((volatile long *)p, (long)v);
}
static __inline void ipc_shm__store_seq_cst64(uint64_t *p, uint64_t v) {
  (void)_InterlockedExchange64((volatile __int64 *)p, (__int64)v);
}
static __inline uint32_t ipc_shm__exchange_seq_cst32(uint32_t *p, uint32_t v) {
  return (uint32_t)_InterlockedExchange((volatile long *)p, (long)v);
}
static __inline uint32_t ipc_shm__fetch_add_seq_cst32(uint32_t *p, uint32_t v) {
  return (uint32_t)_InterlockedExchangeAdd((volatile long *)p, (long)v);
}
static __inline uint64_t ipc_shm__fetch_add_seq_cst64(uint64_t *p, uint64_t v) {
  return (uint64_t)_InterlockedExchangeAdd64((volatile __int64 *)p, (__int64)v);
}
static __inline uint32_t ipc_shm__fetch_and_seq_cst32(uint32_t *p, uint32_t v) {
  return (uint32_t)_InterlockedAnd((volatile long *)p, (long)v);
}
static __inline uint32_t ipc_shm__fetch_or_seq_cst32(uint32_t *p, uint32_t v) {
  return (uint32_t)_InterlockedOr((volatile long *)p, (long)v);
}
static __inline uint64_t ipc_shm__exchange_seq_cst64(uint64_t *p, uint64_t v) {
  return (uint64_t)_InterlockedExchange64((volatile __int64 *)p, (__int64)v);
}
static __inline uint64_t ipc_shm__fetch_and_seq_cst64(uint64_t *p, uint64_t v) {
  return (uint64_t)_InterlockedAnd64((volatile __int64 *)p, (__int64)v);
}
static __inline uint64_t ipc_shm__fetch_or_seq_cst64(uint64_t *p, uint64_t v) {
  return (uint64_t)_InterlockedOr64((volatile __int64 *)p, (__int64)v);
}
/* Fences for a sequence lock: the writer's release fence keeps its marking
 * store before the data it writes; the reader's acquire fence keeps the
 * data it read before its second look at the mark. */
static __inline void ipc_shm__fence_release(void) { IPC_SHM__BARRIER_ACQ_REL_(); }
static __inline void ipc_shm__fence_acquire(void) { IPC_SHM__BARRIER_ACQ_REL_(); }
/* Compare and swap: 1 if *p held *expected and now holds desired; else 0
 * and *expected holds what *p held. */
static __inline int ipc_shm__cas_seq_cst32(uint32_t *p, uint32_t *expected, uint32_t desired) {
  uint32_t seen = (uint32_t)_InterlockedCompareExchange((volatile long *)p, (long)desired,
                                                        (long)*expected);
  if (seen == *expected)
    return 1;
  *expected = seen;
  return 0;
}
static __inline int ipc_shm__cas_seq_cst64(uint64_t *p, uint64_t *expected, uint64_t desired) {
  uint64_t seen = (uint64_t)_InterlockedCompareExchange64((volatile __int64 *)p,
                                                          (__int64)desired, (__int64)*expected);
  if (seen == *expected)
    return 1;
  *expected = seen;
  return 0;
}
static __inline void ipc_shm__fence_seq_cst(void) { IPC_SHM__FENCE_SEQ_CST_(); }

static __inline void ipc_shm__cpu_relax(void) {
#if defined(_M_X64) || defined(_M_IX86)
  _mm_pause();
#elif defined(_M_ARM64) || defined(_M_ARM)
  __yield();
#endif
}

#else /* GCC, clang */

static inline uint32_t ipc_shm__load_relaxed32(const uint32_t *p) {
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}
static inline uint64_t ipc_shm__load_relaxed64(const uint64_t *p) {
  return __atomic_load_n(p, __ATOMIC_RELAXED);
}
static inline uint32_t ipc_shm__load_acquire32(const uint32_t *p) {
  return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline uint64_t ipc_shm__load_acquire64(const uint64_t *p) {
  return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}
static inline uint32_t ipc_shm__load_seq_cst32(const uint32_t *p) {
  return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}
static inline uint64_t ipc_shm__load_seq_cst64(const uint64_t *p) {
  return __atomic_load_n(p, __ATOMIC_SEQ_CST);
}
static inline void ipc_shm__store_relaxed32(uint32_t *p, uint32_t v) {
  __atomic_store_n(p, v, __ATOMIC_RELAXED);
}
static inline void ipc_shm__store_relaxed64(uint64_t *p, uint64_t v) {
  __atomic_store_n(p, v, __ATOMIC_RELAXED);
}
static inline void ipc_shm__store_release32(uint32_t *p, uint32_t v) {
  __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static inline void ipc_shm__store_release64(uint64_t *p, uint64_t v) {
  __atomic_store_n(p, v, __ATOMIC_RELEASE);
}
static inline void ipc_shm__store_seq_cst32(uint32_t *p, uint32_t v) {
  __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}
static inline void ipc_shm__store_seq_cst64(uint64_t *p, uint64_t v) {
  __atomic_store_n(p, v, __ATOMIC_SEQ_CST);
}
static inline uint32_t ipc_shm__exchange_seq_cst32(uint32_t *p, uint32_t v) {
  return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}
static inline uint32_t ipc_shm__fetch_add_seq_cst32(uint32_t *p, uint32_t v) {
  return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
static inline uint64_t ipc_shm__fetch_add_seq_cst64(uint64_t *p, uint64_t v) {
  return __atomic_fetch_add(p, v, __ATOMIC_SEQ_CST);
}
static inline uint32_t ipc_shm__fetch_and_seq_cst32(uint32_t *p, uint32_t v) {
  return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST);
}
static inline uint32_t ipc_shm__fetch_or_seq_cst32(uint32_t *p, uint32_t v) {
  return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST);
}
static inline uint64_t ipc_shm__exchange_seq_cst64(uint64_t *p, uint64_t v) {
  return __atomic_exchange_n(p, v, __ATOMIC_SEQ_CST);
}
static inline uint64_t ipc_shm__fetch_and_seq_cst64(uint64_t *p, uint64_t v) {
  return __atomic_fetch_and(p, v, __ATOMIC_SEQ_CST);
}
static inline uint64_t ipc_shm__fetch_or_seq_cst64(uint64_t *p, uint64_t v) {
  return __atomic_fetch_or(p, v, __ATOMIC_SEQ_CST);
}
/* Fences for a sequence lock: the writer's release fence keeps its marking
 * store before the data it writes; the reader's acquire fence keeps the
 * data it read before its second look at the mark. */
static inline void ipc_shm__fence_release(void) { __atomic_thread_fence(__ATOMIC_RELEASE); }
static inline void ipc_shm__fence_acquire(void) { __atomic_thread_fence(__ATOMIC_ACQUIRE); }
/* Compare and swap: 1 if *p held *expected and now holds desired; else 0
 * and *expected holds what *p held. */
static inline int ipc_shm__cas_seq_cst32(uint32_t *p, uint32_t *expected, uint32_t desired) {
  return __atomic_compare_exchange_n(p, expected, desired, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST);
}
static inline int ipc_shm__cas_seq_cst64(uint64_t *p, uint64_t *expected, uint64_t desired) {
  return __atomic_compare_exchange_n(p, expected, desired, 0, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST);
}
static inline void ipc_shm__fence_seq_cst(void) { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

static inline void ipc_shm__cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#endif
}

#endif

#endif
