// Start-up of a hello-world script (issue 4, a): `stp2bpf run samples/hello.stp` against
// `bpftrace -e 'BEGIN { printf("hello world\n"); exit(); }'`, from launch to the first
// output line and from launch to exit.
//
// stp2bpf caches the compiled BPF object under $XDG_CACHE_HOME/stp2bpf/.  "Cold" runs get
// a new, empty cache directory each (what a user's first run of a script costs); "warm"
// runs share one that already holds the object.  bpftrace has no such cache: every run
// compiles.  Runs alternate between the three kinds so that a change in the machine's load
// affects them alike; one untimed run of each comes first, so that neither pays for
// reading its shared libraries (LLVM is large) from disk.  Goals: cold first output no
// later than bpftrace's, warm first output at most half of it.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "runtime_support.h"
#include "support/process.h"

namespace {

using namespace stp2bpf::bench;
namespace support = stp2bpf::testing;

const std::string kStp2bpf = STP2BPF_BINARY;
const std::string kHello = std::string(STP2BPF_SOURCE_DIR) + "/samples/hello.stp";
const std::vector<std::string> kBpftrace = {"bpftrace", "-e", "BEGIN { printf(\"hello world\\n\"); exit(); }"};
// Both print "hello, world" / "hello world": the output starts when this appears (bpftrace
// first prints "Attaching 1 probe...", which is not the script's output).
const std::string kOutputMarker = "hello";

struct Sample {
  double firstOutput = -1, exit = -1;
  std::string problem;  // why the run does not count
};

Sample launch(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  Sample s;
  Child child;
  Child::Options options;
  options.env = env;
  options.markers = {kOutputMarker};
  if (!child.start(argv, options)) {
    s.problem = "cannot start " + argv[0];
    return s;
  }
  int status = child.wait(60);
  if (child.timedOut()) s.problem = argv[0] + " did not exit within 60 s";
  else if (status != 0) s.problem = argv[0] + " exited with status " + std::to_string(status) + ": " + child.err();
  else if (child.markerTime(0) < 0) s.problem = argv[0] + " printed no '" + kOutputMarker + "'";
  s.firstOutput = child.markerTime(0);
  s.exit = child.exitTime();
  return s;
}

struct Series {
  std::vector<double> first, exit;
  std::string problem;
  void add(const Sample& s) {
    if (!s.problem.empty()) {
      if (problem.empty()) problem = s.problem;
      return;
    }
    first.push_back(s.firstOutput);
    exit.push_back(s.exit);
  }
  std::string spread(const std::vector<double>& v) const {
    if (v.empty()) return "-";
    auto [lo, hi] = std::minmax_element(v.begin(), v.end());
    return milliseconds(*lo) + " .. " + milliseconds(*hi);
  }
};

}  // namespace

int main(int argc, char** argv) {
  int reps = repetitions(argc, argv, 11);
  std::printf("Start-up of a hello-world script: launch to first output and to exit (median of %d runs)\n", reps);
  if (!bpfAvailableOrSkip()) return 0;
  bool haveBpftrace = support::onPath("bpftrace");

  std::string root = support::makeTempDir("stp2bpf-startup");
  std::string warmCache = root + "/warm";
  const std::vector<std::string> run = {kStp2bpf, "run", kHello};

  // Untimed: loads the programs' files into the page cache and fills the warm cache.
  launch(run, {"XDG_CACHE_HOME=" + warmCache});
  if (haveBpftrace) launch(kBpftrace, {});

  Series cold, warm, bpftrace;
  for (int i = 0; i < reps; ++i) {
    if (haveBpftrace) bpftrace.add(launch(kBpftrace, {}));
    std::string coldCache = root + "/cold" + std::to_string(i);
    cold.add(launch(run, {"XDG_CACHE_HOME=" + coldCache}));
    support::removeTree(coldCache);
    warm.add(launch(run, {"XDG_CACHE_HOME=" + warmCache}));
  }
  // Where a warm start goes: the same process stopped earlier.  -V is process start alone
  // (loading the shared libraries); -p2 adds parsing and elaboration (the tapset library);
  // -p3 adds generating the BPF C.  These print no greeting: only their exit counts.
  struct Stage {
    std::string label;
    std::vector<std::string> argv;
    Series runs;
  };
  std::vector<Stage> stages = {
      {"process start only (stp2bpf -V), exit", {kStp2bpf, "-V"}, {}},
      {"parse + elaborate (stp2bpf -p2), exit", {kStp2bpf, "-p2", kHello}, {}},
      {"translate (stp2bpf -p3 --target=c), exit", {kStp2bpf, "-p3", "--target=c", kHello}, {}},
  };
  for (int i = 0; i < reps; ++i)
    for (Stage& st : stages) {
      Sample s = launch(st.argv, {});
      if (s.exit >= 0 && s.problem.find("exited with status") == std::string::npos) s.problem.clear();
      st.runs.add(s);
    }
  support::removeTree(root);

  double bFirst = median(bpftrace.first), bExit = median(bpftrace.exit);
  double cFirst = median(cold.first), cExit = median(cold.exit);
  double wFirst = median(warm.first), wExit = median(warm.exit);

  Table t("stp2bpf run samples/hello.stp (native runtime)  vs  bpftrace 0.17 -e 'BEGIN { printf(\"hello world\\n\"); exit(); }'");
  auto goalRow = [&](const std::string& what, double measured, double base, double limit, const std::string& goal) {
    bool measurable = measured >= 0 && base > 0;
    t.row(what, milliseconds(measured), haveBpftrace ? milliseconds(base) : "SKIPPED", ratio(measured, base), goal,
          measurable ? verdict(measured / base <= limit) : "SKIPPED");
  };
  goalRow("first output, cold cache", cFirst, bFirst, 1.0, "<= 1.00x");
  goalRow("first output, warm cache", wFirst, bFirst, 0.5, "<= 0.50x");
  t.row("exit, cold cache", milliseconds(cExit), haveBpftrace ? milliseconds(bExit) : "SKIPPED", ratio(cExit, bExit), "-", "-");
  t.row("exit, warm cache", milliseconds(wExit), haveBpftrace ? milliseconds(bExit) : "SKIPPED", ratio(wExit, bExit), "-", "-");
  for (const Stage& st : stages) t.row(st.label, milliseconds(median(st.runs.exit)), "-", "-", "-", "-");
  t.note("spread of first output: stp2bpf cold " + cold.spread(cold.first) + ", warm " + warm.spread(warm.first) +
         (haveBpftrace ? ", bpftrace " + bpftrace.spread(bpftrace.first) : std::string()));
  if (!haveBpftrace) t.note("bpftrace SKIPPED: not on PATH");
  for (const Series* s : {&cold, &warm, &bpftrace})
    if (!s->problem.empty()) t.note("failed run (not counted): " + s->problem);
  for (const Stage& st : stages)
    if (!st.runs.problem.empty()) t.note("failed run (not counted): " + st.runs.problem);
  t.print();
  return cold.first.empty() && warm.first.empty() ? 1 : 0;
}
