// Golden tests for the bpftrace backend (README.md here).  For every tests/golden/NAME.stp:
//   translate.NAME  `stp2bpf -p3 NAME.stp` (run in tests/golden) prints exactly NAME.bt;
//   load.NAME       bpftrace loads NAME.bt into the kernel and runs it: the program ends
//                   by itself (exit() in a begin or timer probe; else it is interrupted
//                   after 30 seconds, like Ctrl-C); it must exit with status 0, and
//                   bpftrace must print no error and no warning.
// STP2BPF_REGENERATE_GOLDEN=1 makes translate.NAME write NAME.bt instead of comparing
// (tests/golden/regenerate does the same from the command line); review every change.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include <unistd.h>

#include "support/process.h"

namespace {

namespace fs = std::filesystem;
using stp2bpf::testing::ProcessOptions;
using stp2bpf::testing::ProcessResult;
using stp2bpf::testing::readFile;
using stp2bpf::testing::runProcess;

const std::string kDir = std::string(STP2BPF_SOURCE_DIR) + "/tests/golden";

// `# options: ...` in the leading comment lines of NAME.stp: extra stp2bpf options.
std::vector<std::string> optionsOf(const std::string& stp) {
  std::vector<std::string> out;
  std::istringstream in(stp);
  std::string line;
  while (std::getline(in, line) && !line.empty() && line[0] == '#') {
    const std::string key = "# options:";
    if (line.rfind(key, 0) != 0) continue;
    std::istringstream words(line.substr(key.size()));
    std::string w;
    while (words >> w) out.push_back(w);
  }
  return out;
}

std::string firstDifference(const std::string& want, const std::string& got) {
  std::istringstream a(want), b(got);
  std::string la, lb;
  for (int n = 1;; ++n) {
    bool ha = static_cast<bool>(std::getline(a, la)), hb = static_cast<bool>(std::getline(b, lb));
    if (!ha && !hb) return "(same lines; the files differ in their last newline)";
    if (!ha || !hb || la != lb)
      return "line " + std::to_string(n) + ":\n  golden: " + (ha ? la : "(end)") + "\n  now:    " + (hb ? lb : "(end)");
  }
}

class Translate : public ::testing::Test {
 public:
  explicit Translate(std::string name) : name_(std::move(name)) {}
  void TestBody() override {
    std::string stp = readFile(kDir + "/" + name_ + ".stp");
    std::vector<std::string> argv = {STP2BPF_BINARY, "-p3"};
    for (const std::string& o : optionsOf(stp)) argv.push_back(o);
    argv.push_back(name_ + ".stp");
    ProcessOptions po;
    po.workDir = kDir;
    po.env = {"NO_COLOR=1"};
    ProcessResult r = runProcess(argv, po);
    ASSERT_EQ(r.status, 0) << "stp2bpf -p3 " << name_ << ".stp failed:\n" << r.err;
    std::string golden = kDir + "/" + name_ + ".bt";
    if (std::getenv("STP2BPF_REGENERATE_GOLDEN")) {
      ASSERT_TRUE(stp2bpf::testing::writeFile(golden, r.out)) << "cannot write " << golden;
      return;
    }
    ASSERT_TRUE(fs::exists(golden)) << "no golden " << golden << " (run tests/golden/regenerate, then review it)";
    std::string want = readFile(golden);
    EXPECT_TRUE(want == r.out) << "the translation of " << name_ << ".stp differs from " << name_ << ".bt, first at "
                               << firstDifference(want, r.out)
                               << "\nIf the change is intended: tests/golden/regenerate " << name_
                               << ", then review the diff.";
    EXPECT_EQ(r.err.find("error"), std::string::npos) << r.err;
  }

 private:
  std::string name_;
};

class Load : public ::testing::Test {
 public:
  explicit Load(std::string name) : name_(std::move(name)) {}
  void TestBody() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (bpftrace loads programs into the kernel)";
    if (!stp2bpf::testing::onPath("bpftrace")) GTEST_SKIP() << "needs bpftrace on PATH";
    std::string golden = kDir + "/" + name_ + ".bt";
    ASSERT_TRUE(fs::exists(golden)) << "no golden " << golden;
    ProcessOptions po;
    // Every golden ends by itself (exit() in a begin or timer probe); one that does not is
    // stopped like Ctrl-C, late enough that a slow load (the verifier walks every loop,
    // slower when the machine is busy) is never interrupted.
    po.interruptAfter = 30;
    po.timeout = 90;
    ProcessResult r = runProcess({"bpftrace", "-q", golden}, po);
    // The notice about RLIMIT_MEMLOCK is harmless here (BPF memory is charged to the cgroup).
    std::istringstream lines(r.err);
    std::string line, problems;
    while (std::getline(lines, line))
      if (line.find("RLIMIT_MEMLOCK") == std::string::npos) problems += line + "\n";
    EXPECT_FALSE(r.timedOut) << "bpftrace did not finish in " << po.timeout << " s";
    EXPECT_EQ(r.status, 0) << "bpftrace -q " << golden << " failed:\n" << problems;
    EXPECT_EQ(problems, "") << "bpftrace printed errors or warnings for " << golden;
    RecordProperty("seconds", std::to_string(r.seconds));
  }

 private:
  std::string name_;
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(kDir))
    if (e.path().extension() == ".stp") names.push_back(e.path().stem().string());
  std::sort(names.begin(), names.end());
  for (const std::string& n : names) {
    ::testing::RegisterTest("translate", n.c_str(), nullptr, nullptr, __FILE__, __LINE__,
                            [n]() -> Translate* { return new Translate(n); });
    ::testing::RegisterTest("load", n.c_str(), nullptr, nullptr, __FILE__, __LINE__,
                            [n]() -> Load* { return new Load(n); });
  }
  return RUN_ALL_TESTS();
}
