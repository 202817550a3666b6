// The end-to-end runner: every test of tests/e2e/*.suite becomes a GoogleTest case
// SUITE.NAME that runs `stp2bpf run --backend=BACKEND` on the test's PROG and compares its
// stdout, stderr and exit status with the test's expectations.
//
//   e2e_tests [--backend=bpftrace|native] [gtest options]
// The backend can also come from STP2BPF_E2E_BACKEND; the default is bpftrace.
// STP2BPF_E2E_KEEP=1 keeps each test's temporary directory (the .stp file) for debugging.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>
#include <sstream>

#include "e2e_suite.h"
#include "support/process.h"

namespace stp2bpf::e2e {
namespace {

std::string gBackend = "bpftrace";

// Makes control characters visible in failure messages (games print escapes).
std::string visible(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (c == '\n' || (c >= 0x20 && c < 0x7f)) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

std::vector<std::string> splitLines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  std::string l;
  while (std::getline(in, l)) out.push_back(l);
  return out;
}

std::string numbered(const std::string& s) {
  std::ostringstream out;
  int n = 0;
  for (const std::string& l : splitLines(s)) out << "  " << ++n << "| " << visible(l) << "\n";
  if (!s.empty() && s.back() != '\n') out << "  (no newline at the end)\n";
  if (s.empty()) out << "  (empty)\n";
  return out.str();
}

std::string quoteArg(const std::string& a) {
  if (!a.empty() && a.find_first_of(" '\"\\$*?;&|<>()") == std::string::npos) return a;
  std::string out = "'";
  for (char c : a) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

}  // namespace

class E2ETest : public ::testing::Test {
 public:
  explicit E2ETest(Case t) : t_(std::move(t)) {}

  void TestBody() override {
    for (const std::string& c : t_.comments) RecordProperty("comment", c);
    if (!t_.backends.empty() && std::find(t_.backends.begin(), t_.backends.end(), gBackend) == t_.backends.end()) {
      std::string list;
      for (const std::string& b : t_.backends) list += (list.empty() ? "" : ", ") + b;
      GTEST_SKIP() << "not for the " << gBackend << " backend (this test is for: " << list << ")";
    }
    std::vector<Requirement> reqs = {{"root", ""}};
    if (gBackend == "bpftrace") reqs.push_back({"bpftrace", ""});
    reqs.insert(reqs.end(), t_.requires.begin(), t_.requires.end());
    for (const Requirement& r : reqs) {
      std::string why = unmetRequirement(r);
      if (!why.empty()) GTEST_SKIP() << why;
    }

    std::string dir = testing::makeTempDir("stp2bpf-e2e-" + t_.name);
    ASSERT_FALSE(dir.empty()) << "cannot create a temporary directory";
    std::string script = t_.name + ".stp";
    ASSERT_TRUE(testing::writeFile(dir + "/" + script, t_.prog));

    std::vector<std::string> argv = {STP2BPF_BINARY, "run", "--backend=" + gBackend};
    argv.insert(argv.end(), t_.args.begin(), t_.args.end());
    argv.push_back(script);
    argv.insert(argv.end(), t_.params.begin(), t_.params.end());
    std::string command;
    for (const std::string& a : argv) command += (command.empty() ? "" : " ") + quoteArg(a);

    testing::ProcessOptions po;
    po.workDir = dir;
    po.env = {"NO_COLOR=1"};
    po.interruptAfter = t_.interruptAfter;
    po.interruptAfterOutput = true;  // counted from the first output: loading can be slow
    po.timeout = t_.timeout;
    testing::ProcessResult r = testing::runProcess(argv, po);

    std::ostringstream context;
    context << "test " << t_.name << " (" << t_.file << ":" << t_.line << ")\n"
            << "command (in " << dir << "): " << command << "\n";
    for (const std::string& c : t_.comments) context << "expectation from: " << c << "\n";
    context << "stderr:\n" << numbered(r.err) << "stdout:\n" << numbered(r.out)
            << "time: " << r.seconds << " s\n";
    SCOPED_TRACE(context.str());

    EXPECT_FALSE(r.timedOut) << "killed after the TIMEOUT of " << t_.timeout << " s";
    EXPECT_EQ(r.status, t_.exitStatus) << "exit status";
    if (t_.hasExpect) {
      if (r.out != t_.expect) {
        auto want = splitLines(t_.expect), got = splitLines(r.out);
        size_t i = 0;
        while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
        ADD_FAILURE() << "stdout differs from EXPECT, first at line " << i + 1 << ":\n"
                      << "  expected: " << (i < want.size() ? visible(want[i]) : "(end of output)") << "\n"
                      << "  actual:   " << (i < got.size() ? visible(got[i]) : "(end of output)") << "\n"
                      << "expected stdout:\n" << numbered(t_.expect);
      }
    } else {
      // Each regex matches one line; one written "+ REGEX" matches one or more lines in a row
      // (a stack trace's frames, whose number depends on the kernel).
      auto got = splitLines(r.out);
      size_t line = 0;
      bool reported = false;
      for (const std::string& entry : t_.expectRegex) {
        bool repeated = entry.rfind("+ ", 0) == 0;
        std::regex re(repeated ? entry.substr(2) : entry);
        size_t first = line;
        while (line < got.size() && std::regex_match(got[line], re) && (repeated || line == first)) ++line;
        if (line == first) {
          ADD_FAILURE() << "stdout line " << line + 1 << " '" << (line < got.size() ? visible(got[line]) : "(end of output)")
                        << "' does not match /" << entry << "/";
          reported = true;
          break;
        }
      }
      if (!reported && (line != got.size() || (!r.out.empty() && r.out.back() != '\n')))
        ADD_FAILURE() << "stdout has " << got.size() << " lines, more than EXPECT_REGEX matches (" << line << ")";
    }
    if (t_.stderrRegex.empty()) {
      EXPECT_EQ(r.err, "") << "stderr must be empty (add STDERR_REGEX for expected messages)";
    }
    for (const std::string& re : t_.stderrRegex)
      EXPECT_TRUE(std::regex_search(r.err, std::regex(re))) << "stderr does not contain /" << re << "/";

    if (std::getenv("STP2BPF_E2E_KEEP")) std::cerr << "kept " << dir << "\n";
    else testing::removeTree(dir);
  }

 private:
  Case t_;
};

}  // namespace stp2bpf::e2e

int main(int argc, char** argv) {
  using namespace stp2bpf::e2e;
  if (const char* b = std::getenv("STP2BPF_E2E_BACKEND")) gBackend = b;
  std::vector<char*> rest;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--backend=", 10) == 0) gBackend = argv[i] + 10;
    else rest.push_back(argv[i]);
  }
  int n = static_cast<int>(rest.size());
  ::testing::InitGoogleTest(&n, rest.data());

  std::string dir = std::string(STP2BPF_SOURCE_DIR) + "/tests/e2e";
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".suite") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  std::vector<Case> tests;
  for (const std::string& f : files) {
    std::string error;
    if (!parseSuite(f, stp2bpf::testing::readFile(f), tests, error)) {
      std::cerr << "e2e_tests: " << error << "\n";
      return 2;
    }
  }
  for (const Case& t : tests) {
    ::testing::RegisterTest(t.suite.c_str(), t.name.c_str(), nullptr, nullptr, t.file.c_str(), t.line,
                            [t]() -> E2ETest* { return new E2ETest(t); });
  }
  return RUN_ALL_TESTS();
}
