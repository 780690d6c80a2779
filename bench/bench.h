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
/* --condition C: idle, one-cpu or busy; NULL runs all three. */
extern const char *bench_condition;

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

/* A CSV row (--csv only). kind: throughput, latency, lifecycle, poll,
 * death or copy; condition: idle, one-cpu (both processes on one CPU) or
 * busy (a CPU-bound process per CPU beside them). Figures are the median
 * round's, and the worst round's beside them; fields that do not apply are
 * given as a negative number and printed empty. */
typedef struct bench_measure {
  const char *kind, *transport, *condition;
  double msg_bytes, total_bytes, seconds, gb_per_s, msgs_per_s, p50_us, p99_us;
  double worst_gb_per_s, worst_msgs_per_s, worst_p50_us, rounds;
} bench_measure_t;
#define NA (-1.0)
void csv_header(void);
void csv_measure(const bench_measure_t *m);
/* A row of one measure (condition idle, no rounds). */
void csv_row(const char *kind, const char *transport, double msg_bytes, double total_bytes,
             double seconds, double gb_per_s, double msgs_per_s, double p50_us, double p99_us);

/* The median round trip, in microseconds, of `rounds` ping-pongs over the
 * raw calls (a futex; SetEvent/WaitForSingleObject) with a sleeping peer
 * (bench/ipc-shm-bench.c). */
double raw_sleeping_round_trip_us(const char *self, int rounds);

/* The transports (bench/transports.c): throughput between two processes,
 * round-trip latency, and the child's side of both. */
void transport_rows(const char *self);
/* Whether the transports measure messages of `size` bytes (--size). */
int transport_size_known(size_t size);
int run_transport_child(int argc, char **argv);
/* Topics (bench/transports.c): one publisher to one and to four
 * subscribers, beside four streams and the channel, in each condition. */
void topic_rows(const char *self);

/* The conditions: pin this process (and the children it starts) to one
 * CPU, or let it use every CPU again (1, or 0 where it cannot be done);
 * the CPUs it may use; a CPU-bound process for the busy condition. */
int bench_pin_to_one_cpu(int on);
int bench_cpu_count(void);
int run_hog(const char *name);

/* Polling and liveness (bench/liveness.c): the cost of polls that find
 * nothing, and how soon a peer's death is noticed; the child's side. */
void poll_rows(const char *self);
void death_rows(const char *self);
int run_liveness_child(int argc, char **argv);

/* The library's two copies by turns (bench/copies.c). */
void copy_rows(void);

/* Boost.Interprocess message_queue (bench/boost_mq.cpp), built where
 * Boost's headers are (IPC_SHM_BENCH_BOOST): the child's side, and one
 * round of throughput for `seconds` (0, or -1 when it failed). */
int boost_mq_sink(const char *name, size_t size);
/* Many to one: a child sending for `seconds`; the parent receiving from
 * `senders` of them (messages per second, all senders together). */
int boost_mq_sender(const char *name, size_t size, double seconds);
int boost_mq_fan_in(const char *self, size_t size, double seconds, int senders, double *msgs,
                    double *elapsed_seconds);
int boost_mq_throughput(const char *self, size_t size, double seconds, double *gbps,
                        double *msgs, double *bytes, double *elapsed_seconds);

#ifdef __cplusplus
}
#endif

#endif
