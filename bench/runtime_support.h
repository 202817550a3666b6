// Shared by the runtime benchmarks (start-up, per-event cost, Tetris): a child process
// whose output is timed as it arrives (on pipes or on a pseudo-terminal), statistics of
// the BPF programs a process holds, and the result table every benchmark prints.
//
// These are benchmarks, not tests: a missed goal is printed as MISS and the program still
// exits 0; only a benchmark that could not measure at all exits non-zero.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace stp2bpf::bench {

// Seconds on the monotonic clock.
double now();
double median(std::vector<double> values);

// --reps=N from the command line (other arguments, such as Google Benchmark's flags that
// run-benchmarks passes to every benchmark, are ignored), else `fallback`.
int repetitions(int argc, char** argv, int fallback);

// A child process, started in its own process group, whose standard output is read as it
// arrives: the first appearance of each marker string is timed from just before fork().
class Child {
 public:
  struct Options {
    std::vector<std::string> env;      // NAME=VALUE entries added to the environment
    bool terminal = false;             // on a pseudo-terminal (stdout and stderr together)
    std::vector<std::string> markers;  // strings whose first appearance on stdout is timed
  };

  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();  // a child still running is killed (its whole process group)

  bool start(const std::vector<std::string>& argv, const Options& options);
  // Reads output for up to `seconds`; false once the child has exited and all its output
  // has been read.
  bool pump(double seconds);
  // Until every marker has appeared, the child exits, or `timeout` seconds pass.
  bool waitForMarkers(double timeout);
  // Until the child exits; after `timeout` seconds its process group is killed.  Returns
  // the exit status, or 128 + the signal.
  int wait(double timeout);
  void signal(int sig);
  void type(const std::string& keys);  // written to the terminal (terminal mode only)

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0 && exitTime_ < 0; }
  double markerTime(size_t i) const { return i < markerTimes_.size() ? markerTimes_[i] : -1; }
  double exitTime() const { return exitTime_; }  // seconds from start, -1 while running
  bool timedOut() const { return timedOut_; }
  const std::string& out() const { return out_; }
  const std::string& err() const { return err_; }

 private:
  void reap(bool block);
  void absorb(std::string& into, const char* data, size_t n);

  pid_t pid_ = -1;
  int outFd_ = -1, errFd_ = -1;
  double start_ = 0, exitTime_ = -1;
  int status_ = -1;
  bool timedOut_ = false;
  std::vector<std::string> markers_;
  std::vector<double> markerTimes_;
  std::string out_, err_;
};

// A BPF program as the kernel reports it (bpf_obj_get_info_by_fd).  run_time_ns and
// run_cnt only grow while BPF statistics are enabled (see StatsEnabler).
struct ProgramStats {
  uint32_t id = 0;
  uint32_t type = 0;  // enum bpf_prog_type
  std::string name;
  uint64_t runTimeNs = 0, runCount = 0;
  uint64_t instructions = 0;  // xlated (after the verifier's rewrites), 8 bytes each
};

// Every BPF program that process `pid` holds a file descriptor of (from /proc/PID/fdinfo).
std::vector<ProgramStats> programsOf(pid_t pid);
ProgramStats programById(uint32_t id);

// Turns on the kernel's BPF run-time statistics for as long as it lives: the BPF_ENABLE_STATS
// file descriptor (what `sysctl kernel.bpf_stats_enabled=1` does, but reference-counted by
// the kernel, so the setting returns to its previous value even if this process is killed).
// Falls back to writing the sysctl, restoring the previous value on destruction.
class StatsEnabler {
 public:
  StatsEnabler();
  ~StatsEnabler();
  StatsEnabler(const StatsEnabler&) = delete;
  StatsEnabler& operator=(const StatsEnabler&) = delete;
  bool ok() const { return ok_; }
  const std::string& error() const { return error_; }

 private:
  int fd_ = -1;
  std::string previous_;  // the sysctl's value, when the fallback changed it
  bool ok_ = false;
  std::string error_;
};

// "load average 0.52 on 2 CPUs": printed with every benchmark's figures, since timings
// taken on a busy machine are longer (ratios less so: the runs being compared alternate).
std::string machineLoad();

// True if this machine can run BPF benchmarks; else prints "SKIPPED: why" (not root, and
// the like): a benchmark that cannot run is reported, not an error.
bool bpfAvailableOrSkip();

// The table each benchmark prints: measured figure, baseline, ratio, goal, PASS/MISS.
class Table {
 public:
  explicit Table(std::string title) : title_(std::move(title)) {}
  void row(const std::string& what, const std::string& measured, const std::string& baseline,
           const std::string& ratio, const std::string& goal, const std::string& verdict);
  void note(const std::string& text) { notes_.push_back(text); }
  void print() const;

 private:
  std::string title_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::string> notes_;
};

std::string milliseconds(double seconds);  // "123.4 ms", "-" if negative (not measured)
std::string ratio(double a, double b);      // "0.52x", "-" if either is not measured
std::string verdict(bool pass);             // "PASS" / "MISS"
std::string withSeparators(uint64_t n);     // 31900 -> "31,900"

}  // namespace stp2bpf::bench
