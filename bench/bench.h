/* SPDX-License-Identifier: MIT */
/* What the parts of ipc-shm-bench share: the clock, errors, and the two
 * outputs (a table with targets, or CSV rows). */
#ifndef IPC_SHM_BENCH_H
#define IPC_SHM_BENCH_H

#if defined(__linux__) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* syscall */
#endif

#include "ipc_shm.h"

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BENCH_MIB ((size_t)1 << 20)

extern int bench_quick; /* --quick: smaller sizes, fewer rounds */
extern int bench_csv;   /* --csv: CSV rows instead of the table */
extern int bench_missed;
/* --only PART: segments, sync or transports; NULL runs them all. */
extern const char *bench_only;
/* --size N: the transports' message size; 0 runs every size. */
extern size_t bench_size;
/* The median round trip of a ping-pong over the raw calls (a futex, or
 * SetEvent/WaitForSingleObject) with a sleeping peer, measured by the
 * event rows; 0 if not. */
extern double bench_raw_rtt_us;

double now_seconds(void);
double resident_bytes(void);
double median(double *values, int n);
/* The value at `fraction` (0.5: the median, 0.99) of n values; sorts them. */
double percentile(double *values, int n, double fraction);
void check(int err, const char *what);
unsigned char *allocate(size_t size);
void bench_name(char *out, const char *tag, int i);

/* Table rows: one with a target (lower_is_better says which side passes),
 * one that only informs. Nothing is printed with --csv. */
void row(const char *name, double value, const char *unit, double target, int lower_is_better);
void info_row(const char *name, double value, const char *unit);
/* A heading line of the table. */
void section(const char *title);

/* A CSV row (--csv only): kind is throughput, latency or lifecycle; fields
 * that do not apply are given as a negative number and printed empty. */
void csv_row(const char *kind, const char *transport, double msg_bytes, double total_bytes,
             double seconds, double gb_per_s, double msgs_per_s, double p50_us, double p99_us);
#define NA (-1.0)

/* The transports (bench/transports.c): throughput between two processes,
 * round-trip latency, and the child's side of both. */
void transport_rows(const char *self);
/* Whether the transports measure messages of `size` bytes (--size). */
int transport_size_known(size_t size);
int run_transport_child(int argc, char **argv);

/* Boost.Interprocess message_queue (bench/boost_mq.cpp), built where
 * Boost's headers are (IPC_SHM_BENCH_BOOST): the child's side, and one
 * round of throughput for `seconds` (0, or -1 when it failed). */
int boost_mq_sink(const char *name, size_t size);
int boost_mq_throughput(const char *self, size_t size, double seconds, double *gbps,
                        double *msgs, double *bytes, double *elapsed_seconds);

#ifdef __cplusplus
}
#endif

#endif
