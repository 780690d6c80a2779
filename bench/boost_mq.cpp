// SPDX-License-Identifier: MIT
// Boost.Interprocess message_queue, the comparison the benchmark makes
// where Boost's headers are installed (Debian: libboost-dev).
#include <boost/interprocess/ipc/message_queue.hpp>

#include <cstdio>
#include <cstring>
#include <vector>

#include "bench.h"

namespace bip = boost::interprocess;

extern "C" int boost_mq_sink(const char *name, size_t size) {
  try {
    bip::message_queue queue(bip::open_only, name);
    std::vector<unsigned char> buffer(size);
    for (;;) {
      bip::message_queue::size_type got = 0;
      unsigned int priority = 0;
      queue.receive(buffer.data(), buffer.size(), got, priority);
      if (buffer[0] == 1)
        return 0;
    }
  } catch (const std::exception &e) {
    std::fprintf(stderr, "ipc-shm-bench: boost-mq: %s\n", e.what());
    return 1;
  }
}

extern "C" int boost_mq_throughput(const char *self, size_t size, double seconds, double *gbps,
                                   double *msgs, double *bytes, double *elapsed_seconds) {
  char name[64], size_text[24];
  bench_name(name, "bq", 0);
  std::snprintf(size_text, sizeof(size_text), "%zu", size);
  try {
    size_t depth = ((size_t)4 << 20) / size;
    bip::message_queue::remove(name);
    bip::message_queue queue(bip::create_only, name, depth < 4 ? 4 : depth, size);
    std::vector<unsigned char> message(size, 0);
    const char *argv[] = {self, "--transport-child", "sink", "boost-mq", name, size_text, NULL};
    ipc_shm_process_t *child = NULL;
    long count = 0;
    int code = -1;
    double start, elapsed;
    check(ipc_shm_spawn(&child, argv, NULL, 0), "spawn");
    start = now_seconds();
    do {
      for (int i = 0; i < 64; i++)
        queue.send(message.data(), size, 0);
      count += 64;
    } while (now_seconds() - start < seconds);
    message[0] = 1;
    queue.send(message.data(), size, 0);
    count++;
    check(ipc_shm_process_wait(child, &code), "wait");
    elapsed = now_seconds() - start;
    bip::message_queue::remove(name);
    if (code != 0)
      return -1;
    *gbps = (double)count * (double)size / elapsed / 1e9;
    *msgs = (double)count / elapsed;
    *bytes = (double)count * (double)size;
    *elapsed_seconds = elapsed;
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "ipc-shm-bench: boost-mq: %s\n", e.what());
    bip::message_queue::remove(name);
    return -1;
  }
}

extern "C" int boost_mq_sender(const char *name, size_t size, double seconds) {
  try {
    bip::message_queue queue(bip::open_only, name);
    std::vector<unsigned char> message(size, 0);
    double start = now_seconds();
    do {
      for (int i = 0; i < 64; i++)
        queue.send(message.data(), size, 0);
    } while (now_seconds() - start < seconds);
    message[0] = 1;
    queue.send(message.data(), size, 0);
    return 0;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "ipc-shm-bench: boost-mq: %s\n", e.what());
    return 1;
  }
}

extern "C" int boost_mq_fan_in(const char *self, size_t size, double seconds, int senders,
                               double *msgs, double *elapsed_seconds) {
  char name[64], size_text[24], seconds_text[24];
  bench_name(name, "bf", 0);
  std::snprintf(size_text, sizeof(size_text), "%zu", size);
  std::snprintf(seconds_text, sizeof(seconds_text), "%g", seconds);
  try {
    size_t depth = ((size_t)4 << 20) / size;
    bip::message_queue::remove(name);
    bip::message_queue queue(bip::create_only, name, depth < 4 ? 4 : depth, size);
    std::vector<unsigned char> buffer(size);
    const char *argv[] = {self, "--transport-child", "send", "boost-mq", name, size_text,
                          seconds_text, NULL};
    std::vector<ipc_shm_process_t *> children((size_t)senders, nullptr);
    long count = 0;
    int lasts = 0, failed = 0;
    double start = now_seconds();
    for (int i = 0; i < senders; i++)
      check(ipc_shm_spawn(&children[(size_t)i], argv, NULL, 0), "spawn");
    while (lasts < senders) {
      bip::message_queue::size_type got = 0;
      unsigned int priority = 0;
      queue.receive(buffer.data(), buffer.size(), got, priority);
      count++;
      lasts += buffer[0] == 1;
    }
    *elapsed_seconds = now_seconds() - start;
    for (int i = 0; i < senders; i++) {
      int code = -1;
      check(ipc_shm_process_wait(children[(size_t)i], &code), "wait");
      failed += code != 0;
    }
    bip::message_queue::remove(name);
    *msgs = (double)count / *elapsed_seconds;
    return failed == 0 ? 0 : -1;
  } catch (const std::exception &e) {
    std::fprintf(stderr, "ipc-shm-bench: boost-mq: %s\n", e.what());
    bip::message_queue::remove(name);
    return -1;
  }
}
