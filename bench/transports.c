/* SPDX-License-Identifier: MIT */
/* Moving data between two processes: the channel (copying and zero-copy)
 * against a pipe and a Unix-domain socket (a named pipe on Windows), with
 * memcpy in one process as the ceiling; and round trips over the channel
 * and a pipe, with a busy and with a sleeping peer. Every transport is
 * measured by this program in the same run.
 *
 * The parent sends for a fixed time, then a message whose first byte is 1;
 * the child (this program with --transport-child) takes messages until that
 * one and exits. Stream transports carry messages back to back. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#endif

static const size_t sizes[] = {64, 4096, 65536, 1048576};
#define SIZES (sizeof(sizes) / sizeof(sizes[0]))

static double duration(void) { return bench_quick ? 0.1 : 0.3; }

/* ---- Stream transports: a FIFO and a socket (POSIX), a named pipe ---- */

#ifdef _WIN32
typedef HANDLE stream_t;
#define NO_STREAM INVALID_HANDLE_VALUE

static void pipe_name(WCHAR *out, size_t size, const char *tag) {
  char name[96];
  snprintf(name, sizeof(name), "\\\\.\\pipe\\ipcshm-bench-%lu-%s", GetCurrentProcessId(), tag);
  MultiByteToWideChar(CP_UTF8, 0, name, -1, out, (int)size);
}

static int stream_write(stream_t s, const void *data, size_t size) {
  const char *p = (const char *)data;
  while (size > 0) {
    DWORD n = 0;
    if (!WriteFile(s, p, (DWORD)(size > (1u << 20) ? (1u << 20) : size), &n, NULL))
      return -1;
    p += n;
    size -= n;
  }
  return 0;
}

static int stream_read(stream_t s, void *data, size_t size) {
  char *p = (char *)data;
  while (size > 0) {
    DWORD n = 0;
    if (!ReadFile(s, p, (DWORD)(size > (1u << 20) ? (1u << 20) : size), &n, NULL) || n == 0)
      return -1;
    p += n;
    size -= n;
  }
  return 0;
}

static void stream_close(stream_t s) { CloseHandle(s); }
#else
typedef int stream_t;
#define NO_STREAM (-1)

static int stream_write(stream_t s, const void *data, size_t size) {
  const char *p = (const char *)data;
  while (size > 0) {
    ssize_t n = write(s, p, size);
    if (n <= 0)
      return -1;
    p += n;
    size -= (size_t)n;
  }
  return 0;
}

static int stream_read(stream_t s, void *data, size_t size) {
  char *p = (char *)data;
  while (size > 0) {
    ssize_t n = read(s, p, size);
    if (n <= 0)
      return -1;
    p += n;
    size -= (size_t)n;
  }
  return 0;
}

static void stream_close(stream_t s) { close(s); }

static void socket_path(char *out, size_t size, const char *name) {
  snprintf(out, size, "/tmp/%s.sock", name);
}
#endif

/* The child's end of a stream named `name` of kind `kind`. */
static stream_t child_stream(const char *kind, const char *name, int writing) {
#ifdef _WIN32
  WCHAR wide[128];
  (void)kind;
  MultiByteToWideChar(CP_UTF8, 0, name, -1, wide, 128);
  return CreateFileW(wide, writing ? GENERIC_WRITE : GENERIC_READ, 0, NULL, OPEN_EXISTING, 0,
                     NULL);
#else
  if (strcmp(kind, "unix") == 0) {
    struct sockaddr_un address;
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(&address, 0, sizeof(address));
    address.sun_family = AF_UNIX;
    socket_path(address.sun_path, sizeof(address.sun_path), name);
    if (s < 0 || connect(s, (struct sockaddr *)&address, sizeof(address)) != 0)
      return NO_STREAM;
    return s;
  }
  return open(name, writing ? O_WRONLY : O_RDONLY);
#endif
}

/* The parent's end: made before the child starts, opened after. */
typedef struct parent_stream {
  char name[128]; /* what the child is told */
  stream_t listening, stream;
#ifndef _WIN32
  char path[128]; /* what to remove afterwards */
#endif
} parent_stream_t;

static void parent_stream_make(parent_stream_t *ps, const char *kind, const char *tag,
                               int writing) {
  char base[IPC_SHM_NAME_MAX + 1];
  bench_name(base, tag, 0);
  ps->listening = ps->stream = NO_STREAM;
#ifdef _WIN32
  {
    WCHAR wide[128];
    (void)kind;
    pipe_name(wide, 128, tag);
    WideCharToMultiByte(CP_UTF8, 0, wide, -1, ps->name, sizeof(ps->name), NULL, NULL);
    ps->stream = CreateNamedPipeW(wide, writing ? PIPE_ACCESS_OUTBOUND : PIPE_ACCESS_INBOUND,
                                  PIPE_TYPE_BYTE | PIPE_WAIT, 1, 1 << 20, 1 << 20, 0, NULL);
    if (ps->stream == INVALID_HANDLE_VALUE) {
      fprintf(stderr, "ipc-shm-bench: CreateNamedPipeW: %lu\n", GetLastError());
      exit(1);
    }
  }
#else
  (void)writing;
  if (strcmp(kind, "unix") == 0) {
    struct sockaddr_un address;
    snprintf(ps->name, sizeof(ps->name), "%s", base);
    memset(&address, 0, sizeof(address));
    address.sun_family = AF_UNIX;
    socket_path(address.sun_path, sizeof(address.sun_path), base);
    snprintf(ps->path, sizeof(ps->path), "%s", address.sun_path);
    unlink(ps->path);
    ps->listening = socket(AF_UNIX, SOCK_STREAM, 0);
    if (ps->listening < 0 ||
        bind(ps->listening, (struct sockaddr *)&address, sizeof(address)) != 0 ||
        listen(ps->listening, 1) != 0) {
      perror("ipc-shm-bench: socket");
      exit(1);
    }
  } else {
    snprintf(ps->name, sizeof(ps->name), "/tmp/%s.fifo", base);
    snprintf(ps->path, sizeof(ps->path), "%s", ps->name);
    unlink(ps->path);
    if (mkfifo(ps->path, 0600) != 0) {
      perror("ipc-shm-bench: mkfifo");
      exit(1);
    }
  }
#endif
}

/* Once the child runs: connect the parent's end. */
static void parent_stream_open(parent_stream_t *ps, int writing) {
#ifdef _WIN32
  (void)writing;
  if (!ConnectNamedPipe(ps->stream, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) {
    fprintf(stderr, "ipc-shm-bench: ConnectNamedPipe: %lu\n", GetLastError());
    exit(1);
  }
#else
  if (ps->listening >= 0)
    ps->stream = accept(ps->listening, NULL, NULL);
  else
    ps->stream = open(ps->path, writing ? O_WRONLY : O_RDONLY);
  if (ps->stream < 0) {
    perror("ipc-shm-bench: open the stream");
    exit(1);
  }
#endif
}

static void parent_stream_close(parent_stream_t *ps) {
  if (ps->stream != NO_STREAM)
    stream_close(ps->stream);
  if (ps->listening != NO_STREAM)
    stream_close(ps->listening);
#ifndef _WIN32
  unlink(ps->path);
#endif
}

/* ---- The child ---- */

/* A sender into inbox NAME (or Boost's queue) for `seconds`, then a last
 * message (first byte 1). */
static int fan_in_sender(const char *kind, const char *name, size_t size, double seconds) {
  unsigned char *message;
  ipc_shm_inbox_t *inbox;
  double start;
#if defined(IPC_SHM_BENCH_BOOST)
  if (strcmp(kind, "boost-mq") == 0)
    return boost_mq_sender(name, size, seconds);
#endif
  (void)kind;
  message = allocate(size);
  memset(message, 0, size);
  check(ipc_shm_inbox_open(&inbox, name, IPC_SHM_INBOX_SENDER), "inbox_open");
  start = now_seconds();
  do {
    int i;
    for (i = 0; i < 64; i++)
      check(ipc_shm_inbox_send(inbox, message, size, IPC_SHM_FOREVER), "send");
  } while (now_seconds() - start < seconds);
  message[0] = 1;
  check(ipc_shm_inbox_send(inbox, message, size, IPC_SHM_FOREVER), "send");
  ipc_shm_inbox_close(inbox);
  free(message);
  return 0;
}

/* A subscriber of topic NAME: say so on semaphore SUBSCRIBED, then take
 * messages (copies, or in place for "topic-zc") until the last. */
static int topic_sink(const char *kind, const char *name, const char *subscribed, size_t size) {
  int zero_copy = strcmp(kind, "topic-zc") == 0;
  unsigned char *buffer = allocate(size);
  ipc_shm_semaphore_t *ready = NULL;
  ipc_shm_topic_t *topic;
  check(ipc_shm_topic_open(&topic, name, IPC_SHM_TOPIC_SUBSCRIBER), "topic_open");
  check(subscribed != NULL ? ipc_shm_semaphore_open(&ready, subscribed, 0) : IPC_SHM_E_INVAL,
        "semaphore_open");
  check(ipc_shm_semaphore_post(ready), "post");
  ipc_shm_semaphore_close(ready);
  for (;;) {
    size_t got;
    int last;
    if (zero_copy) {
      const void *data;
      const unsigned char *bytes;
      size_t at;
      unsigned sum = 0;
      check(ipc_shm_topic_peek(topic, &data, &got, NULL, IPC_SHM_FOREVER), "peek");
      /* In place: read every cache line of the message. */
      bytes = (const unsigned char *)data;
      for (at = 0; at < got; at += 64)
        sum += bytes[at];
      last = bytes[0] == 1;
      buffer[0] = (unsigned char)sum;
      check(ipc_shm_topic_release(topic), "release");
    } else {
      check(ipc_shm_topic_receive(topic, buffer, size, &got, NULL, IPC_SHM_FOREVER), "receive");
      last = buffer[0] == 1;
    }
    if (last)
      break;
  }
  ipc_shm_topic_close(topic);
  free(buffer);
  return 0;
}

/* sink KIND NAME SIZE: take messages of SIZE bytes until the last one.
 * echo KIND NAME_IN NAME_OUT SIZE: send each message back, until the last. */
int run_transport_child(int argc, char **argv) {
  const char *mode, *kind;
  size_t size;
  unsigned char *buffer;
  int echo;
  if (argc < 4)
    return 2;
  mode = argv[0];
  kind = argv[1];
  echo = strcmp(mode, "echo") == 0;
  size = (size_t)strtoul(argv[echo ? 4 : 3], NULL, 10);
  if (strcmp(mode, "send") == 0) /* send KIND NAME SIZE SECONDS */
    return fan_in_sender(kind, argv[2], size, argc > 4 ? atof(argv[4]) : 0.1);
#if defined(IPC_SHM_BENCH_BOOST)
  if (strcmp(kind, "boost-mq") == 0)
    return boost_mq_sink(argv[2], size);
#endif
  buffer = allocate(size);
  if (strncmp(kind, "topic", 5) == 0) {
    free(buffer);
    return topic_sink(kind, argv[2], argc > 4 ? argv[4] : NULL, size);
  }
  if (strncmp(kind, "channel", 7) == 0) {
    int zero_copy = strcmp(kind, "channel-zc") == 0;
    ipc_shm_channel_t *in, *out = NULL;
    check(ipc_shm_channel_open(&in, argv[2], IPC_SHM_CHANNEL_RECEIVER), "channel_open");
    if (echo)
      check(ipc_shm_channel_open(&out, argv[3], IPC_SHM_CHANNEL_SENDER), "channel_open");
    for (;;) {
      const void *data;
      size_t got;
      int last;
      if (zero_copy) {
        const unsigned char *bytes;
        size_t at;
        unsigned sum = 0;
        check(ipc_shm_channel_peek(in, &data, &got, IPC_SHM_FOREVER), "peek");
        /* In place: read every cache line of the message. */
        bytes = (const unsigned char *)data;
        for (at = 0; at < got; at += 64)
          sum += bytes[at];
        last = bytes[0] == 1;
        buffer[0] = (unsigned char)sum;
        check(ipc_shm_channel_release(in), "release");
      } else {
        check(ipc_shm_channel_receive(in, buffer, size, &got, IPC_SHM_FOREVER), "receive");
        last = buffer[0] == 1;
      }
      if (echo)
        check(ipc_shm_channel_send(out, buffer, got, IPC_SHM_FOREVER), "send");
      if (last)
        break;
    }
    ipc_shm_channel_close(in);
    if (out != NULL)
      ipc_shm_channel_close(out);
  } else {
    stream_t in = child_stream(kind, argv[2], 0), out = NO_STREAM;
    if (in == NO_STREAM)
      return 1;
    if (echo) {
      out = child_stream(kind, argv[3], 1);
      if (out == NO_STREAM)
        return 1;
    }
    for (;;) {
      if (stream_read(in, buffer, size) != 0)
        return 1;
      if (echo && stream_write(out, buffer, size) != 0)
        return 1;
      if (buffer[0] == 1)
        break;
    }
    stream_close(in);
    if (echo)
      stream_close(out);
  }
  free(buffer);
  return 0;
}

/* ---- The parent ---- */

typedef struct sender {
  ipc_shm_channel_t *channel;
  int zero_copy;
  stream_t stream;
} sender_t;

static void send_one(sender_t *s, unsigned char *message, size_t size) {
  if (s->channel != NULL && s->zero_copy) {
    void *space;
    check(ipc_shm_channel_reserve(s->channel, size, &space, IPC_SHM_FOREVER), "reserve");
    /* In place: the producer writes its whole message where it goes. */
    memset(space, message[0], size);
    check(ipc_shm_channel_commit(s->channel, size), "commit");
  } else if (s->channel != NULL) {
    check(ipc_shm_channel_send(s->channel, message, size, IPC_SHM_FOREVER), "send");
  } else if (stream_write(s->stream, message, size) != 0) {
    fprintf(stderr, "ipc-shm-bench: the stream broke\n");
    exit(1);
  }
}

static ipc_shm_process_t *start_child(const char *self, const char *const *args) {
  const char *argv[9];
  ipc_shm_process_t *child;
  int i;
  argv[0] = self;
  argv[1] = "--transport-child";
  for (i = 0; args[i] != NULL && i < 6; i++)
    argv[2 + i] = args[i];
  argv[2 + i] = NULL;
  check(ipc_shm_spawn(&child, argv, NULL, 0), "spawn");
  return child;
}

static void end_child(ipc_shm_process_t *child) {
  int code = -1;
  check(ipc_shm_process_wait(child, &code), "wait");
  if (code != 0) {
    fprintf(stderr, "ipc-shm-bench: a transport child failed (%d)\n", code);
    exit(1);
  }
}

/* One round of one transport at one size. */
typedef struct measured {
  double gbps, msgs, bytes, seconds;
} measured_t;

static void set_rates(measured_t *out, long count, size_t size, double elapsed) {
  out->bytes = (double)count * (double)size;
  out->seconds = elapsed;
  out->gbps = out->bytes / elapsed / 1e9;
  out->msgs = (double)count / elapsed;
}

static void throughput(const char *self, const char *kind, size_t size, measured_t *out) {
  char size_text[24], name[IPC_SHM_NAME_MAX + 1];
  unsigned char *message = allocate(size);
  sender_t s;
  parent_stream_t ps;
  ipc_shm_process_t *child;
  double start, elapsed;
  long count = 0;
  memset(message, 0, size);
  memset(&s, 0, sizeof(s));
  snprintf(size_text, sizeof(size_text), "%zu", size);
  if (strncmp(kind, "channel", 7) == 0) {
    bench_name(name, "t", 0);
    s.zero_copy = strcmp(kind, "channel-zc") == 0;
    /* A ring of 4 MiB, as Boost's queue gets (four messages at least). */
    check(ipc_shm_channel_create(&s.channel, name, size, (size_t)4 << 20,
                                 IPC_SHM_CHANNEL_SENDER), "channel_create");
    {
      const char *args[] = {"sink", kind, name, size_text, NULL};
      child = start_child(self, args);
    }
  } else {
    parent_stream_make(&ps, kind, "t", 1);
    {
      const char *args[] = {"sink", kind, ps.name, size_text, NULL};
      child = start_child(self, args);
    }
    parent_stream_open(&ps, 1);
    s.stream = ps.stream;
  }
  start = now_seconds();
  do {
    int i;
    for (i = 0; i < 64; i++)
      send_one(&s, message, size);
    count += 64;
  } while (now_seconds() - start < duration());
  message[0] = 1;
  send_one(&s, message, size);
  count++;
  end_child(child);
  elapsed = now_seconds() - start;
  if (s.channel != NULL) {
    ipc_shm_channel_close(s.channel);
    if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
      ipc_shm_remove(name, 0);
  } else {
    parent_stream_close(&ps);
  }
  free(message);
  set_rates(out, count, size, elapsed);
}

/* memcpy in one process: the ceiling. Both buffers start on a page, so
 * that the copy does not run into 4K aliasing (see src/common/copy.c),
 * which would make it a floor. */
static void memcpy_round(size_t size, measured_t *out) {
  unsigned char *from_block = allocate(size + 4096), *to_block = allocate(size + 4096);
  unsigned char *from = from_block + (4096 - ((uintptr_t)from_block & 4095));
  unsigned char *to = to_block + (4096 - ((uintptr_t)to_block & 4095));
  double start, elapsed;
  long count = 0;
  memset(from, 3, size);
  memset(to, 0, size);
  start = now_seconds();
  do {
    int i;
    for (i = 0; i < 64; i++) {
      from[0] = (unsigned char)i;
      memcpy(to, from, size);
    }
    count += 64;
  } while (now_seconds() - start < duration());
  elapsed = now_seconds() - start;
  if (to[0] == 0xFF)
    puts(""); /* keep the copies */
  free(from_block);
  free(to_block);
  set_rates(out, count, size, elapsed);
}

/* Transports measured by turns, TRANSPORT_ROUNDS times: the median round
 * stands for each and the worst is reported beside it, so that a moment of
 * drift on the machine hits one round of every transport rather than all
 * of one. */
#define TRANSPORT_ROUNDS 3
#define MAX_TRANSPORTS 6

static int by_rate(const void *a, const void *b) {
  double x = ((const measured_t *)a)->gbps, y = ((const measured_t *)b)->gbps;
  return x < y ? -1 : x > y;
}

/* The median and the worst (slowest) of n rounds; sorts them. */
static measured_t median_round(measured_t *rounds, int n, measured_t *worst) {
  qsort(rounds, (size_t)n, sizeof(*rounds), by_rate);
  *worst = rounds[0];
  return rounds[n / 2];
}

/* Round trips of 64-byte messages: p50 and p99 in microseconds. `gap`:
 * seconds the parent spins between round trips, longer than the child spins
 * before it sleeps. */
static void round_trips(const char *self, const char *kind, double gap, double *p50,
                        double *p99) {
  char in_name[IPC_SHM_NAME_MAX + 1], out_name[IPC_SHM_NAME_MAX + 1];
  unsigned char message[64];
  int rounds = bench_quick ? 2000 : 20000, i;
  double *samples;
  sender_t s;
  parent_stream_t to_child, from_child;
  ipc_shm_channel_t *back = NULL;
  ipc_shm_process_t *child;
  if (gap > 0)
    rounds /= 10;
  samples = (double *)allocate(sizeof(double) * (size_t)rounds);
  memset(message, 0, sizeof(message));
  memset(&s, 0, sizeof(s));
  if (strcmp(kind, "channel") == 0) {
    bench_name(out_name, "po", 0);
    bench_name(in_name, "pi", 0);
    check(ipc_shm_channel_create(&s.channel, out_name, 64, 0, IPC_SHM_CHANNEL_SENDER),
          "channel_create");
    check(ipc_shm_channel_create(&back, in_name, 64, 0, IPC_SHM_CHANNEL_RECEIVER),
          "channel_create");
    {
      const char *args[] = {"echo", kind, out_name, in_name, "64", NULL};
      child = start_child(self, args);
    }
  } else {
    parent_stream_make(&to_child, kind, "po", 1);
    parent_stream_make(&from_child, kind, "pi", 0);
    {
      const char *args[] = {"echo", kind, to_child.name, from_child.name, "64", NULL};
      child = start_child(self, args);
    }
    parent_stream_open(&to_child, 1);
    parent_stream_open(&from_child, 0);
    s.stream = to_child.stream;
  }
  for (i = 0; i <= rounds; i++) {
    double start;
    size_t got;
    if (i == rounds)
      message[0] = 1;
    if (gap > 0) {
      double until = now_seconds() + gap;
      while (now_seconds() < until) {
      }
    }
    start = now_seconds();
    send_one(&s, message, sizeof(message));
    if (back != NULL)
      check(ipc_shm_channel_receive(back, message, sizeof(message), &got, IPC_SHM_FOREVER),
            "receive");
    else if (stream_read(from_child.stream, message, sizeof(message)) != 0)
      check(IPC_SHM_E_DISCONNECTED, "the stream broke");
    if (i < rounds)
      samples[i] = (now_seconds() - start) * 1e6;
  }
  end_child(child);
  if (back != NULL) {
    ipc_shm_channel_close(s.channel);
    ipc_shm_channel_close(back);
    if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED) {
      ipc_shm_remove(out_name, 0);
      ipc_shm_remove(in_name, 0);
    }
  } else {
    parent_stream_close(&to_child);
    parent_stream_close(&from_child);
  }
  *p50 = percentile(samples, rounds, 0.50);
  *p99 = percentile(samples, rounds, 0.99);
  free(samples);
}

int transport_size_known(size_t size) {
  size_t i;
  for (i = 0; i < SIZES; i++)
    if (sizes[i] == size)
      return 1;
  return 0;
}

/* ---- Conditions ---- */

/* The hogs of the busy condition: one CPU-bound process per CPU, spinning
 * until the first byte of their segment is set. */
int run_hog(const char *name) {
  ipc_shm_t *shm;
  ipc_shm_view_t *view;
  volatile unsigned char *stop;
  unsigned long spins = 0;
  if (ipc_shm_open(&shm, name, 0) != 0 || ipc_shm_map(&view, shm, 0, 0, IPC_SHM_MAP_READ) != 0)
    return 1;
  stop = (volatile unsigned char *)ipc_shm_view_data(view);
  while (*stop == 0)
    spins++;
  ipc_shm_unmap(view);
  ipc_shm_close(shm);
  return spins == 0; /* it ran */
}

typedef struct condition_state {
  ipc_shm_process_t *hogs[64];
  int hog_count;
  ipc_shm_t *stop;
  ipc_shm_view_t *stop_view;
  char stop_name[IPC_SHM_NAME_MAX + 1];
} condition_state_t;

/* Set the condition up; 0 if this system cannot make it (then it is left
 * out, and said so). */
static int condition_begin(const char *self, const char *condition, condition_state_t *c) {
  memset(c, 0, sizeof(*c));
  if (strcmp(condition, "one-cpu") == 0)
    return bench_pin_to_one_cpu(1);
  if (strcmp(condition, "busy") == 0) {
    const char *argv[4];
    int i, cpus = bench_cpu_count();
    bench_name(c->stop_name, "hog", 0);
    check(ipc_shm_create(&c->stop, c->stop_name, 4096, 0), "create");
    check(ipc_shm_map(&c->stop_view, c->stop, 0, 0, IPC_SHM_MAP_WRITE), "map");
    argv[0] = self;
    argv[1] = "--hog";
    argv[2] = c->stop_name;
    argv[3] = NULL;
    for (i = 0; i < cpus && i < 64; i++)
      check(ipc_shm_spawn(&c->hogs[c->hog_count++], argv, NULL, 0), "spawn");
    return 1;
  }
  return 1;
}

static void condition_end(const char *condition, condition_state_t *c) {
  int i;
  if (strcmp(condition, "one-cpu") == 0)
    (void)bench_pin_to_one_cpu(0);
  if (c->stop != NULL) {
    ((volatile unsigned char *)ipc_shm_view_data(c->stop_view))[0] = 1;
    for (i = 0; i < c->hog_count; i++)
      end_child(c->hogs[i]);
    ipc_shm_unmap(c->stop_view);
    ipc_shm_close(c->stop);
    if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
      ipc_shm_remove(c->stop_name, 0);
  }
}

/* ---- The rows ---- */

static void throughput_row(const char *kind, const char *condition, size_t size,
                           const measured_t *median_m, const measured_t *worst) {
  bench_measure_t m;
  m.kind = "throughput";
  m.transport = kind;
  m.condition = condition;
  m.msg_bytes = (double)size;
  m.total_bytes = median_m->bytes;
  m.seconds = median_m->seconds;
  m.gb_per_s = median_m->gbps;
  m.msgs_per_s = median_m->msgs;
  m.p50_us = m.p99_us = NA;
  m.worst_gb_per_s = worst->gbps;
  m.worst_msgs_per_s = worst->msgs;
  m.worst_p50_us = NA;
  m.rounds = TRANSPORT_ROUNDS;
  csv_measure(&m);
}

static const char *label_of(const char *kind) {
  if (strcmp(kind, "channel") == 0)
    return "channel (copying)";
  if (strcmp(kind, "channel-zc") == 0)
    return "channel (zero-copy)";
  if (strcmp(kind, "pipe") == 0)
    return "pipe";
  if (strcmp(kind, "unix") == 0)
    return "Unix-domain socket";
  if (strcmp(kind, "npipe") == 0)
    return "named pipe";
  if (strcmp(kind, "boost-mq") == 0)
    return "Boost.Interprocess message_queue";
  return "memcpy in one process";
}

/* Every transport at one size in one condition, by turns, with the
 * condition's targets. */
static void sizes_rows(const char *self, const char *condition, size_t size) {
#ifdef _WIN32
  static const char *const streams[] = {"npipe"};
#else
  static const char *const streams[] = {"pipe", "unix"};
#endif
  const size_t nstreams = sizeof(streams) / sizeof(streams[0]);
  const char *kinds[MAX_TRANSPORTS];
  measured_t rounds[MAX_TRANSPORTS][TRANSPORT_ROUNDS], got[MAX_TRANSPORTS],
      worst[MAX_TRANSPORTS];
  int n = 0, t, r, have_boost = 0, boost_at = -1, memcpy_at = -1, idle;
  double zc_worst_ratio = 1e9;
  char title[96], label[96];
  size_t k;
  idle = strcmp(condition, "idle") == 0;
  kinds[n++] = "channel";
  kinds[n++] = "channel-zc";
  for (k = 0; k < nstreams; k++)
    kinds[n++] = streams[k];
#if defined(IPC_SHM_BENCH_BOOST)
  boost_at = n;
  kinds[n++] = "boost-mq";
  have_boost = 1;
#endif
  if (idle) {
    memcpy_at = n;
    kinds[n++] = "memcpy";
  }
  for (r = 0; r < TRANSPORT_ROUNDS; r++) {
    for (t = 0; t < n; t++) {
      measured_t *m = &rounds[t][r];
      if (t == memcpy_at) {
        memcpy_round(size, m);
      } else if (t == boost_at) {
#if defined(IPC_SHM_BENCH_BOOST)
        if (have_boost && boost_mq_throughput(self, size, duration(), &m->gbps, &m->msgs,
                                              &m->bytes, &m->seconds) != 0)
          have_boost = 0;
#endif
      } else {
        throughput(self, kinds[t], size, m);
      }
    }
    /* The copying channel against zero-copy, round by round. */
    if (rounds[0][r].gbps / rounds[1][r].gbps < zc_worst_ratio)
      zc_worst_ratio = rounds[0][r].gbps / rounds[1][r].gbps;
  }
  for (t = 0; t < n; t++) {
    if (t == boost_at && !have_boost)
      continue;
    got[t] = median_round(rounds[t], TRANSPORT_ROUNDS, &worst[t]);
    throughput_row(kinds[t], condition, size, &got[t], &worst[t]);
  }
  snprintf(title, sizeof(title), "%s: %zu-byte messages (GB/s, median [worst] of %d)",
           condition, size, TRANSPORT_ROUNDS);
  section(title);
  for (t = 0; t < n; t++) {
    if (t == boost_at && !have_boost)
      continue;
    snprintf(label, sizeof(label), "  %s [%.2f]", label_of(kinds[t]), worst[t].gbps);
    info_row(label, got[t].gbps, "GB/s");
  }
  if (idle) {
    if (size == 64) {
      row("  channel: million messages per second", got[0].msgs / 1e6, "M/s", 10, 0);
      if (have_boost)
        row("  channel / Boost message_queue", got[0].msgs / got[boost_at].msgs, "x", 2, 0);
    } else if (size == 65536) {
      row(nstreams > 1 ? "  channel / pipe" : "  channel / named pipe",
          got[0].gbps / got[2].gbps, "x", 10, 0);
      if (nstreams > 1)
        row("  channel / Unix socket", got[0].gbps / got[3].gbps, "x", 4, 0);
      row("  channel / memcpy", 100.0 * got[0].gbps / got[memcpy_at].gbps, "%", 25, 0);
    } else if (size == 1048576 && nstreams > 1) {
      row("  channel / Unix socket", got[0].gbps / got[3].gbps, "x", 2, 0);
    }
    if (size >= 65536)
      row("  copying / zero-copy, worst round", 100.0 * zc_worst_ratio, "%", 80, 0);
    return;
  }
  /* One CPU, or a busy machine: never slower than the other transports. */
  for (t = 2; t < n; t++) {
    if (t == boost_at && !have_boost)
      continue;
    snprintf(label, sizeof(label), "  channel / %s", label_of(kinds[t]));
    row(label, got[0].gbps / got[t].gbps, "x", 1.0, 0);
  }
}

static void latency_row(const char *transport, const char *condition, double p50, double p99,
                        double worst_p50) {
  bench_measure_t m;
  m.kind = "latency";
  m.transport = transport;
  m.condition = condition;
  m.msg_bytes = 64;
  m.total_bytes = m.seconds = m.gb_per_s = m.msgs_per_s = NA;
  m.p50_us = p50;
  m.p99_us = p99;
  m.worst_gb_per_s = m.worst_msgs_per_s = NA;
  m.worst_p50_us = worst_p50;
  m.rounds = TRANSPORT_ROUNDS;
  csv_measure(&m);
}

/* Round trips with a busy peer, channel and the first stream by turns;
 * with a sleeping peer too when idle. */
static void round_trip_rows(const char *self, const char *condition) {
#ifdef _WIN32
  const char *stream = "npipe";
#else
  const char *stream = "pipe";
#endif
  double p50[2][TRANSPORT_ROUNDS], p99[2][TRANSPORT_ROUNDS], m50[2], m99[2], w50[2];
  char title[96], label[96];
  int r, t, i;
  for (r = 0; r < TRANSPORT_ROUNDS; r++)
    for (t = 0; t < 2; t++)
      round_trips(self, t == 0 ? "channel" : stream, 0, &p50[t][r], &p99[t][r]);
  for (t = 0; t < 2; t++) {
    double sorted[TRANSPORT_ROUNDS];
    int middle = 0;
    for (i = 0; i < TRANSPORT_ROUNDS; i++)
      sorted[i] = p50[t][i];
    m50[t] = median(sorted, TRANSPORT_ROUNDS);
    w50[t] = sorted[TRANSPORT_ROUNDS - 1];
    for (i = 0; i < TRANSPORT_ROUNDS; i++)
      if (p50[t][i] == m50[t])
        middle = i;
    m99[t] = p99[t][middle];
    snprintf(label, sizeof(label), "%s-busy", t == 0 ? "channel" : stream);
    latency_row(label, condition, m50[t], m99[t], w50[t]);
  }
  snprintf(title, sizeof(title), "%s: round trips of 64 bytes, busy peer (us, median [worst])",
           condition);
  section(title);
  snprintf(label, sizeof(label), "  channel: p50 [%.2f]", w50[0]);
  if (strcmp(condition, "idle") == 0) {
    row(label, m50[0], "us", 1.0, 1);
    row("  channel: p99", m99[0], "us", 1.5, 1);
  } else {
    info_row(label, m50[0], "us");
    info_row("  channel: p99", m99[0], "us");
  }
  snprintf(label, sizeof(label), "  %s: p50 [%.2f]", label_of(stream), w50[1]);
  info_row(label, m50[1], "us");
  info_row("  channel p50 / its p50", m50[0] / m50[1], "x");
  if (strcmp(condition, "idle") != 0)
    row("  channel p50 / its p50 (<= 1)", m50[0] / m50[1], "x", 1.0, 1);
  if (strcmp(condition, "idle") == 0) {
    /* A sleeping peer: the channel, the raw calls and the stream, by turns. */
    double c50[TRANSPORT_ROUNDS], c99[TRANSPORT_ROUNDS], raw[TRANSPORT_ROUNDS],
        s50[TRANSPORT_ROUNDS], s99[TRANSPORT_ROUNDS], ratio_worst = 0;
    int rounds = bench_quick ? 200 : 1000;
    for (r = 0; r < TRANSPORT_ROUNDS; r++) {
      round_trips(self, "channel", 1e-3, &c50[r], &c99[r]);
      raw[r] = raw_sleeping_round_trip_us(self, rounds);
      round_trips(self, stream, 1e-3, &s50[r], &s99[r]);
      if (c50[r] / raw[r] > ratio_worst)
        ratio_worst = c50[r] / raw[r];
    }
    {
      double cm = median(c50, TRANSPORT_ROUNDS), cw = c50[TRANSPORT_ROUNDS - 1];
      double rm = median(raw, TRANSPORT_ROUNDS), rw = raw[TRANSPORT_ROUNDS - 1];
      double sm = median(s50, TRANSPORT_ROUNDS), sw = s50[TRANSPORT_ROUNDS - 1];
      latency_row("channel-sleeping", condition, cm, NA, cw);
      latency_row("raw-sleeping", condition, rm, NA, rw);
      snprintf(label, sizeof(label), "%s-sleeping", stream);
      latency_row(label, condition, sm, NA, sw);
      section("idle: round trips of 64 bytes, sleeping peer (us, median [worst])");
      snprintf(label, sizeof(label), "  channel: p50 [%.2f]", cw);
      info_row(label, cm, "us");
      snprintf(label, sizeof(label), "  raw calls: p50 [%.2f]", rw);
      info_row(label, rm, "us");
      snprintf(label, sizeof(label), "  %s: p50 [%.2f]", label_of(stream), sw);
      info_row(label, sm, "us");
      snprintf(label, sizeof(label), "  channel / raw [worst round %.2f]", ratio_worst);
      row(label, cm / rm, "x", 1.15, 1);
    }
  }
}

/* ---- One to many ---- */

/* Publish for a while to `subscribers` processes: a topic ("topic",
 * "topic-zc": loans and reads in place), or one stream per subscriber
 * that the publisher writes each message to ("pipe", "unix", "npipe").
 * The rates are what each subscriber got. */
static void fanout(const char *self, const char *kind, int subscribers, size_t size,
                   measured_t *out) {
  char size_text[24], name[IPC_SHM_NAME_MAX + 1], ready_name[IPC_SHM_NAME_MAX + 1];
  unsigned char *message = allocate(size);
  ipc_shm_process_t *children[4];
  parent_stream_t streams[4];
  ipc_shm_topic_t *topic = NULL;
  ipc_shm_semaphore_t *ready = NULL;
  int zero_copy = strcmp(kind, "topic-zc") == 0, i, last;
  double start, elapsed;
  long count = 0;
  memset(message, 0, size);
  snprintf(size_text, sizeof(size_text), "%zu", size);
  if (strncmp(kind, "topic", 5) == 0) {
    bench_name(name, "f", 0);
    bench_name(ready_name, "fr", 0);
    /* Slots for 4 MiB, as the channel's ring (four messages at least). */
    check(ipc_shm_topic_create(&topic, name, size,
                               size >= ((size_t)1 << 20) ? 4 : ((size_t)4 << 20) / size,
                               IPC_SHM_TOPIC_PUBLISHER),
          "topic_create");
    check(ipc_shm_semaphore_create(&ready, ready_name, 0, 64, 0), "semaphore_create");
    for (i = 0; i < subscribers; i++) {
      const char *args[] = {"sink", kind, name, size_text, ready_name, NULL};
      children[i] = start_child(self, args);
    }
    for (i = 0; i < subscribers; i++)
      check(ipc_shm_semaphore_wait(ready, 60000), "subscribers");
  } else {
    for (i = 0; i < subscribers; i++) {
      char tag[16];
      snprintf(tag, sizeof(tag), "f%d", i);
      parent_stream_make(&streams[i], kind, tag, 1);
      {
        const char *args[] = {"sink", kind, streams[i].name, size_text, NULL};
        children[i] = start_child(self, args);
      }
      parent_stream_open(&streams[i], 1);
    }
  }
  start = now_seconds();
  for (last = 0; !last;) {
    int k;
    last = now_seconds() - start >= duration();
    for (k = 0; k < (last ? 1 : 64); k++) {
      message[0] = (unsigned char)last;
      if (topic != NULL && zero_copy) {
        void *space;
        check(ipc_shm_topic_reserve(topic, size, &space, IPC_SHM_FOREVER), "reserve");
        memset(space, message[0], size); /* the whole message, where it goes */
        check(ipc_shm_topic_commit(topic, size), "commit");
      } else if (topic != NULL) {
        check(ipc_shm_topic_publish(topic, message, size, IPC_SHM_FOREVER), "publish");
      } else {
        for (i = 0; i < subscribers; i++)
          if (stream_write(streams[i].stream, message, size) != 0)
            check(IPC_SHM_E_DISCONNECTED, "the stream broke");
      }
    }
    count += last ? 1 : 64;
  }
  for (i = 0; i < subscribers; i++)
    end_child(children[i]);
  elapsed = now_seconds() - start;
  if (topic != NULL) {
    ipc_shm_topic_close(topic);
    ipc_shm_semaphore_close(ready);
    if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED) {
      ipc_shm_remove(name, 0);
      ipc_shm_remove(ready_name, 0);
    }
  } else {
    for (i = 0; i < subscribers; i++)
      parent_stream_close(&streams[i]);
  }
  free(message);
  set_rates(out, count, size, elapsed);
}

/* Many to one: `senders` processes send for a while into an inbox the
 * receiver here takes from; messages per second, all senders together. */
static void fan_in(const char *self, int senders, size_t size, measured_t *out) {
  char size_text[24], seconds_text[24], name[IPC_SHM_NAME_MAX + 1];
  unsigned char *buffer = allocate(size);
  ipc_shm_process_t *children[4];
  ipc_shm_inbox_t *inbox;
  double start, elapsed;
  long count = 0;
  int i, lasts = 0;
  snprintf(size_text, sizeof(size_text), "%zu", size);
  snprintf(seconds_text, sizeof(seconds_text), "%g", duration());
  bench_name(name, "i", 0);
  check(ipc_shm_inbox_create(&inbox, name, size, ((size_t)4 << 20) / size,
                             IPC_SHM_INBOX_RECEIVER),
        "inbox_create");
  start = now_seconds();
  for (i = 0; i < senders; i++) {
    const char *args[] = {"send", "inbox", name, size_text, seconds_text, NULL};
    children[i] = start_child(self, args);
  }
  while (lasts < senders) {
    size_t got;
    check(ipc_shm_inbox_receive(inbox, buffer, size, &got, IPC_SHM_FOREVER), "receive");
    count++;
    lasts += buffer[0] == 1;
  }
  elapsed = now_seconds() - start;
  for (i = 0; i < senders; i++)
    end_child(children[i]);
  ipc_shm_inbox_close(inbox);
  if (ipc_shm_lifetime() == IPC_SHM_LIFETIME_UNTIL_REMOVED)
    ipc_shm_remove(name, 0);
  free(buffer);
  set_rates(out, count, size, elapsed);
}

/* Four senders to one receiver at 64 B and 4 KiB, the inbox beside Boost's
 * message_queue with four senders, by turns. */
static void fan_in_rows(const char *self, const char *condition, size_t size) {
  measured_t rounds[2][TRANSPORT_ROUNDS], got[2], worst[2];
  char title[112], label[112];
  int r, have_boost = 0;
  if (size != 64 && size != 4096)
    return;
#if defined(IPC_SHM_BENCH_BOOST)
  have_boost = 1;
#endif
  for (r = 0; r < TRANSPORT_ROUNDS; r++) {
    fan_in(self, 4, size, &rounds[0][r]);
#if defined(IPC_SHM_BENCH_BOOST)
    if (have_boost) {
      measured_t *m = &rounds[1][r];
      if (boost_mq_fan_in(self, size, duration(), 4, &m->msgs, &m->seconds) != 0) {
        have_boost = 0;
      } else {
        m->bytes = m->msgs * m->seconds * (double)size;
        m->gbps = m->msgs * (double)size / 1e9;
      }
    }
#endif
  }
  got[0] = median_round(rounds[0], TRANSPORT_ROUNDS, &worst[0]);
  throughput_row("inbox-4to1", condition, size, &got[0], &worst[0]);
  snprintf(title, sizeof(title), "%s: four senders to one receiver, %zu-byte messages "
           "(M msgs/s, median [worst])", condition, size);
  section(title);
  snprintf(label, sizeof(label), "  inbox [%.2f]", worst[0].msgs / 1e6);
  info_row(label, got[0].msgs / 1e6, "M/s");
  if (!have_boost)
    return;
  got[1] = median_round(rounds[1], TRANSPORT_ROUNDS, &worst[1]);
  throughput_row("boost-mq-4to1", condition, size, &got[1], &worst[1]);
  snprintf(label, sizeof(label), "  Boost message_queue [%.2f]", worst[1].msgs / 1e6);
  info_row(label, got[1].msgs / 1e6, "M/s");
  if (strcmp(condition, "idle") == 0 && size == 64)
    row("  inbox / Boost message_queue", got[0].msgs / got[1].msgs, "x", 2, 0);
  else
    info_row("  inbox / Boost message_queue", got[0].msgs / got[1].msgs, "x");
}

/* One to one and one to four at one size, by turns: the topic (copying
 * and zero-copy), four streams, and the channel (one to one). */
static void topic_size_rows(const char *self, const char *condition, size_t size) {
#ifdef _WIN32
  const char *stream = "npipe";
#else
  const char *stream = "unix";
#endif
  static const char *const labels[] = {"topic-1",    "topic-zc-1", "topic-4",
                                       "topic-zc-4", "streams-4",  "channel"};
  enum { TOPIC_1, TOPIC_ZC_1, TOPIC_4, TOPIC_ZC_4, STREAMS_4, CHANNEL_1, KINDS };
  measured_t rounds[KINDS][TRANSPORT_ROUNDS], got[KINDS], worst[KINDS];
  char title[112], label[112], transport[32];
  int r, t, idle = strcmp(condition, "idle") == 0;
  for (r = 0; r < TRANSPORT_ROUNDS; r++) {
    fanout(self, "topic", 1, size, &rounds[TOPIC_1][r]);
    fanout(self, "topic-zc", 1, size, &rounds[TOPIC_ZC_1][r]);
    fanout(self, "topic", 4, size, &rounds[TOPIC_4][r]);
    fanout(self, "topic-zc", 4, size, &rounds[TOPIC_ZC_4][r]);
    fanout(self, stream, 4, size, &rounds[STREAMS_4][r]);
    throughput(self, "channel", size, &rounds[CHANNEL_1][r]);
  }
  for (t = 0; t < KINDS; t++) {
    got[t] = median_round(rounds[t], TRANSPORT_ROUNDS, &worst[t]);
    snprintf(transport, sizeof(transport), "%s%s", t == STREAMS_4 ? stream : "",
             t == STREAMS_4 ? "-4" : labels[t]);
    throughput_row(transport, condition, size, &got[t], &worst[t]);
  }
  snprintf(title, sizeof(title),
           "%s: %zu-byte messages to each subscriber (GB/s, median [worst] of %d)", condition,
           size, TRANSPORT_ROUNDS);
  section(title);
  for (t = 0; t < KINDS; t++) {
    snprintf(label, sizeof(label), "  %s [%.2f]",
             t == STREAMS_4 ? (strcmp(stream, "unix") == 0 ? "four Unix sockets" : "four named pipes")
                            : labels[t],
             worst[t].gbps);
    info_row(label, got[t].gbps, "GB/s");
  }
  if (!idle)
    return;
  row("  topic 1->1 / channel", 100.0 * got[TOPIC_1].gbps / got[CHANNEL_1].gbps, "%", 80, 0);
  /* The targets of one to four are at 64 KiB; the other sizes are shown. */
  if (size == 65536) {
    row("  topic 1->4 zero-copy, each / channel",
        100.0 * got[TOPIC_ZC_4].gbps / got[CHANNEL_1].gbps, "%", 50, 0);
    row("  topic 1->4 zero-copy / four streams", got[TOPIC_ZC_4].gbps / got[STREAMS_4].gbps,
        "x", 5, 0);
  } else {
    info_row("  topic 1->4 zero-copy, each / channel",
             100.0 * got[TOPIC_ZC_4].gbps / got[CHANNEL_1].gbps, "%");
  }
}

/* Each condition asked for (--condition), set up in turn: `size_rows` at
 * each size asked for (--size), then `after` if given. */
static void each_condition(const char *self,
                           void (*size_rows)(const char *, const char *, size_t),
                           void (*after)(const char *, const char *)) {
  static const char *const conditions[] = {"idle", "one-cpu", "busy"};
  size_t c, i;
#ifndef _WIN32
  signal(SIGPIPE, SIG_IGN);
#endif
  for (c = 0; c < sizeof(conditions) / sizeof(conditions[0]); c++) {
    condition_state_t state;
    if (bench_condition != NULL && strcmp(bench_condition, conditions[c]) != 0)
      continue;
    if (!condition_begin(self, conditions[c], &state)) {
      if (!bench_csv)
        printf("| %-46s | %12s | %-5s | %13s | %-6s |\n", conditions[c], "not here", "", "",
               "-");
      continue;
    }
    for (i = 0; i < SIZES; i++)
      if (bench_size == 0 || bench_size == sizes[i])
        size_rows(self, conditions[c], sizes[i]);
    if (after != NULL)
      after(self, conditions[c]);
    condition_end(conditions[c], &state);
  }
}

static void many_size_rows(const char *self, const char *condition, size_t size) {
  topic_size_rows(self, condition, size);
  fan_in_rows(self, condition, size);
}

void topic_rows(const char *self) { each_condition(self, many_size_rows, NULL); }

void transport_rows(const char *self) { each_condition(self, sizes_rows, round_trip_rows); }
