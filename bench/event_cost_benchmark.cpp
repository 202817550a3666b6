// Cost per event of `probe kernel.trace("syscalls:sys_enter_read") { c[execname()]++ }`,
// measured inside the kernel (issue 4, b): with BPF statistics enabled the kernel adds up,
// per program, the time spent running it (run_time_ns) and how often it ran (run_cnt).
// Three programs count the same thing, attached one at a time while this process calls
// read(2) on /dev/zero in a tight loop:
//   stp2bpf   `stp2bpf run -e SCRIPT` (the native runtime)
//   bpftrace  `bpftrace -e 'tracepoint:syscalls:sys_enter_read { @c[comm]++ }'`
//   baseline  bpf/read_counter.bpf.c, written by hand, held by read_counter_loader
// Each is a process of its own; its tracepoint programs are found through /proc/PID/fdinfo
// and their statistics read with bpf_obj_get_info_by_fd before and after each round.
// Goal: stp2bpf within 1.1x of the hand-written program.
#include <bpf/bpf.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "runtime_support.h"
#include "support/process.h"

namespace {

using namespace stp2bpf::bench;
namespace support = stp2bpf::testing;

const char* kScript = "global c\nprobe kernel.trace(\"syscalls:sys_enter_read\") { c[execname()]++ }\n";
const char* kBpftraceScript = "tracepoint:syscalls:sys_enter_read { @c[comm]++ }";
constexpr long kReadsPerRound = 1000000;

struct Candidate {
  std::string name;
  std::vector<std::string> argv;
  std::vector<std::string> env;
  std::string skipped;  // why it cannot run here
  // Results
  std::vector<double> nsPerEvent;
  uint64_t instructions = 0;
  int programs = 0;
  std::string problem;
};

// Counted reads: one byte from /dev/zero, the cheapest read(2) there is, so the probe's
// share of each call is as large as it can be.
void readLoop(int fd, long n) {
  char c;
  for (long i = 0; i < n; ++i) (void)!read(fd, &c, 1);
}

std::vector<ProgramStats> tracepointPrograms(pid_t pid) {
  std::vector<ProgramStats> all = programsOf(pid), tp;
  for (const ProgramStats& p : all)
    if (p.type == BPF_PROG_TYPE_TRACEPOINT) tp.push_back(p);
  return tp;
}

std::string ownComm() {
  std::ifstream in("/proc/self/comm");
  std::string c;
  std::getline(in, c);
  return c;
}

void measure(Candidate& c, int rounds, int zeroFd) {
  Child child;
  if (!child.start(c.argv, {c.env, false, {}})) {
    c.problem = "cannot start " + c.argv[0];
    return;
  }
  // Attached once its program has run: keep reading (so that it has something to count)
  // until the process holds a tracepoint program with a non-zero run count.
  std::vector<ProgramStats> progs;
  double deadline = now() + 120;
  for (;;) {
    if (!child.pump(0.02)) {
      c.problem = c.name + " exited before attaching: " + child.err().substr(0, 400);
      return;
    }
    readLoop(zeroFd, 100);
    progs = tracepointPrograms(child.pid());
    bool ran = std::any_of(progs.begin(), progs.end(), [](const ProgramStats& p) { return p.runCount > 0; });
    if (ran) break;
    if (now() > deadline) {
      c.problem = c.name + " did not attach within 120 s";
      child.signal(SIGKILL);
      return;
    }
  }
  c.programs = static_cast<int>(progs.size());
  for (const ProgramStats& p : progs) c.instructions += p.instructions;

  for (int r = 0; r < rounds; ++r) {
    std::vector<ProgramStats> before = tracepointPrograms(child.pid());
    readLoop(zeroFd, kReadsPerRound);
    std::vector<ProgramStats> after = tracepointPrograms(child.pid());
    uint64_t time = 0, events = 0;
    for (const ProgramStats& a : after)
      for (const ProgramStats& b : before)
        if (a.id == b.id) {
          time += a.runTimeNs - b.runTimeNs;
          // Several programs on the one tracepoint would each run once per event.
          events = std::max<uint64_t>(events, a.runCount - b.runCount);
        }
    if (events < static_cast<uint64_t>(kReadsPerRound)) {
      c.problem = c.name + ": counted " + std::to_string(events) + " events for " + std::to_string(kReadsPerRound) + " reads";
    } else {
      c.nsPerEvent.push_back(static_cast<double>(time) / static_cast<double>(events));
    }
    child.pump(0);
  }

  child.signal(SIGINT);
  int status = child.wait(60);
  // Each prints its counts on the way out: this process must be among them.
  std::string comm = ownComm();
  if (status != 0 && c.problem.empty()) c.problem = c.name + " exited with status " + std::to_string(status) + ": " + child.err().substr(0, 400);
  else if (child.out().find(comm) == std::string::npos && c.problem.empty())
    c.problem = c.name + " did not print a count for '" + comm + "'";
}

std::string nanoseconds(double ns) {
  if (ns < 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ns", ns);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  int rounds = repetitions(argc, argv, 5);
  std::printf("Cost per event of c[execname()]++ on syscalls:sys_enter_read, in the kernel "
              "(run_time_ns / run_cnt; median of %d rounds of %ld reads)\n", rounds, kReadsPerRound);
  if (!bpfAvailableOrSkip()) return 0;
  StatsEnabler stats;
  if (!stats.ok()) {
    std::printf("SKIPPED: cannot enable BPF statistics: %s\n", stats.error().c_str());
    return 0;
  }
  int zeroFd = open("/dev/zero", O_RDONLY | O_CLOEXEC);
  std::string cache = support::makeTempDir("stp2bpf-event-cost");

  Candidate hand{"hand-written", {READ_COUNTER_LOADER, READ_COUNTER_OBJECT}, {}, "", {}, 0, 0, ""};
  Candidate stp{"stp2bpf", {STP2BPF_BINARY, "run", "-e", kScript}, {"XDG_CACHE_HOME=" + cache}, "", {}, 0, 0, ""};
  Candidate bt{"bpftrace", {"bpftrace", "-e", kBpftraceScript}, {}, "", {}, 0, 0, ""};
  if (!support::onPath("bpftrace")) bt.skipped = "bpftrace is not on PATH";
  for (Candidate* c : {&hand, &stp, &bt})
    if (c->skipped.empty()) measure(*c, rounds, zeroFd);
  support::removeTree(cache);
  close(zeroFd);

  auto ns = [](const Candidate& c) { return c.nsPerEvent.empty() ? -1.0 : median(c.nsPerEvent); };
  auto shown = [&](const Candidate& c) { return !c.skipped.empty() ? "SKIPPED" : nanoseconds(ns(c)); };
  double h = ns(hand), s = ns(stp), b = ns(bt);
  Table t("ns per event (in-kernel run time); baseline: the hand-written libbpf counter (bench/bpf/read_counter.bpf.c)");
  t.row("stp2bpf (native runtime)", shown(stp), shown(hand), ratio(s, h), "<= 1.10x",
        s >= 0 && h > 0 ? verdict(s / h <= 1.10) : "SKIPPED");
  t.row("bpftrace 0.17", shown(bt), shown(hand), ratio(b, h), "-", "-");
  t.row("stp2bpf against bpftrace", shown(stp), shown(bt), ratio(s, b), "-", "-");
  auto insns = [](const Candidate& c) {
    return c.programs ? withSeparators(c.instructions) + " (" + std::to_string(c.programs) + " prog)" : std::string("-");
  };
  t.row("BPF instructions (xlated), stp2bpf", insns(stp), insns(hand),
        ratio(stp.programs ? double(stp.instructions) : -1, double(hand.instructions)), "-", "-");
  t.row("BPF instructions (xlated), bpftrace", insns(bt), insns(hand),
        ratio(bt.programs ? double(bt.instructions) : -1, double(hand.instructions)), "-", "-");
  for (const Candidate* c : {&hand, &stp, &bt}) {
    if (!c->skipped.empty()) t.note(c->name + " SKIPPED: " + c->skipped);
    if (!c->problem.empty()) t.note(c->name + ": " + c->problem);
    if (c->nsPerEvent.size() > 1) {
      auto [lo, hi] = std::minmax_element(c->nsPerEvent.begin(), c->nsPerEvent.end());
      t.note(c->name + " rounds: " + nanoseconds(*lo) + " .. " + nanoseconds(*hi));
    }
  }
  t.note("the figures include the kernel's own timing of each run (two clock reads), alike for all three");
  t.print();
  return h < 0 && s < 0 ? 1 : 0;
}
