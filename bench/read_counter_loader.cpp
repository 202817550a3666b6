// The loader of the hand-written baseline (bpf/read_counter.bpf.c): loads the object named
// on the command line, attaches its program to syscalls:sys_enter_read, says "attached" on
// stdout, and holds it until SIGINT or SIGTERM; then prints the counts as "comm count".
// The event-cost benchmark runs it as a process of its own, like stp2bpf and bpftrace, and
// reads the program's statistics the same way for all three.
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace {
volatile sig_atomic_t gStop = 0;
void onSignal(int) { gStop = 1; }
}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s read_counter.bpf.o\n", argv[0]);
    return 2;
  }
  bpf_object* obj = bpf_object__open_file(argv[1], nullptr);
  if (!obj || bpf_object__load(obj) != 0) {
    std::fprintf(stderr, "read_counter_loader: cannot load %s: %s\n", argv[1], std::strerror(errno));
    return 1;
  }
  bpf_program* prog = bpf_object__find_program_by_name(obj, "count_read");
  bpf_link* link = prog ? bpf_program__attach(prog) : nullptr;
  if (!link) {
    std::fprintf(stderr, "read_counter_loader: cannot attach: %s\n", std::strerror(errno));
    bpf_object__close(obj);
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::printf("attached\n");
  std::fflush(stdout);
  // Not pause(): a signal between the test and the call would be missed.
  while (!gStop) usleep(50000);
  bpf_link__destroy(link);

  int fd = bpf_object__find_map_fd_by_name(obj, "counts");
  char key[16], next[16];
  bool first = true;
  while (bpf_map_get_next_key(fd, first ? nullptr : key, next) == 0) {
    first = false;
    std::memcpy(key, next, sizeof key);
    uint64_t count = 0;
    if (bpf_map_lookup_elem(fd, key, &count) == 0) std::printf("%.16s %llu\n", key, static_cast<unsigned long long>(count));
  }
  bpf_object__close(obj);
  return 0;
}
