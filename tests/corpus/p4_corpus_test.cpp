// The -p4 corpus sweep: `stp2bpf -p4` (translate, compile in process, load every program
// into the kernel's verifier) on each of the 201 SystemTap examples, with the arguments,
// -I directories and guru mode that corpus_inputs.h gives them, and on the project's own
// samples.  Every script ends up in one of three classes:
//
//   LOADED     exit 0: every program passed the verifier
//   DIAGNOSED  exit 1, and the first error is located in a script or tapset source
//              (`FILE:LINE:COL: error: ...`) and names what is unsupported
//   FAILED     anything else: a signal, the time limit, an error without a location, an
//              error in the generated C, "this is a bug in stp2bpf", a verifier refusal
//
// The outcomes are compared with the reviewed baseline p4_baseline.txt (written by
// regenerate-p4-baseline; review it with git diff).  The test fails if any script is FAILED,
// if a script that the baseline records as LOADED no longer loads, or if fewer scripts load
// than the baseline says.  A script that loads now but not in the baseline, a script the
// baseline does not list yet (a new sample) and a baseline entry for a script that is gone
// only print notes: regenerate to lock the change in.
//
// -p4 loads programs into the kernel, so the test needs root; otherwise it is skipped.
//
// Environment: STP2BPF_P4_BASELINE_OUT=FILE writes the outcomes to FILE instead of comparing
// (regenerate-p4-baseline uses it); STP2BPF_P4_LOG_DIR=DIR keeps each script's stderr there.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "corpus_inputs.h"
#include "support/process.h"

namespace {

namespace fs = std::filesystem;
using stp2bpf::corpus::Input;

const std::string kExamplesDir = STP2BPF_EXAMPLES_DIR;
const std::string kTapsetDir = STP2BPF_TAPSET_DIR;
const std::string kSourceDir = STP2BPF_SOURCE_DIR;
const std::string kSharedDir = STP2BPF_SHARED_DIR;
const std::string kBinary = STP2BPF_BINARY;
const std::string kBaseline = kSourceDir + "/tests/corpus/p4_baseline.txt";

// Debian 12's systemtap-doc ships this many examples; checked so that a missing package
// cannot make the sweep pass on nothing.
constexpr size_t kExampleCount = 201;
// Two workers: the machine `make check` runs on has two cores, and each run is one
// in-process clang compile.
constexpr unsigned kWorkers = 2;
// Per script: most -p4 runs take under a second to a few seconds (compile + verify), but
// clang's BTF emission grows fast with the number of programs: process/errsnoop.stp (721
// syscall probes) compiles for about a minute (the compiled object is cached for the next
// run).  A run that takes longer than this is stuck: a FAILED outcome, not a slow one.
constexpr double kScriptTimeLimit = 180;

enum class Outcome { Loaded, Diagnosed, Failed };

const char* outcomeName(Outcome o) {
  switch (o) {
    case Outcome::Loaded: return "LOADED";
    case Outcome::Diagnosed: return "DIAGNOSED";
    case Outcome::Failed: return "FAILED";
  }
  return "?";
}

struct Result {
  Outcome outcome = Outcome::Failed;
  std::string detail;     // DIAGNOSED: the first error (location shortened); FAILED: why
  std::string message;    // DIAGNOSED: the first error's message alone, for the histogram
  double seconds = 0;
};

// Paths in diagnostics, shortened so that the baseline does not depend on where the
// packages or the clone are: examples relative to their directory, tapset files as
// `tapset/...`, the project's files relative to the clone.
std::string shortenPaths(std::string s) {
  const std::pair<std::string, std::string> roots[] = {
      {kExamplesDir + "/", ""},
      {kTapsetDir + "/", "tapset/"},
      {kSourceDir + "/", ""},
      {fs::weakly_canonical(kSharedDir).string() + "/", "shared/"},
      {kSharedDir + "/", "shared/"},
  };
  for (const auto& [from, to] : roots)
    for (size_t at; (at = s.find(from)) != std::string::npos;) s.replace(at, from.size(), to);
  return s;
}

// Messages that have a location but say that stp2bpf itself went wrong: these are FAILED,
// whatever their location.
const char* const kBugMarkers[] = {
    "this is a bug in stp2bpf",
    "internal error",
};

// A located error in a script or tapset source: the file is a .stp/.stpm file, the
// command-line script (<input>) or a source stp2bpf synthesizes (`<syscall alias ...>`).
// Errors located in the generated C (clang's `program.bpf.c:L:C: error:`) are not: they
// are bugs of the C backend.
bool locatedInScript(const std::string& line, std::string& message) {
  static const std::regex located(R"(^(.+?):(\d+):(\d+): error: (.*)$)");
  std::smatch m;
  if (!std::regex_match(line, m, located)) return false;
  std::string file = m[1];
  auto endsWith = [&](const std::string& suffix) {
    return file.size() >= suffix.size() && file.compare(file.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  bool scriptFile = endsWith(".stp") || endsWith(".stpm") || (file.front() == '<' && file.back() == '>');
  if (!scriptFile) return false;
  message = m[4];
  return true;
}

Result classify(const stp2bpf::testing::ProcessResult& r) {
  Result res;
  res.seconds = r.seconds;
  if (r.timedOut) {
    res.detail = "no result after " + std::to_string(static_cast<int>(kScriptTimeLimit)) + " s";
    return res;
  }
  if (r.status == 0) {
    res.outcome = Outcome::Loaded;
    return res;
  }
  if (r.status > 128) {
    res.detail = "killed by signal " + std::to_string(r.status - 128);
    return res;
  }
  // The first error line (warnings and notes before it do not count).
  std::istringstream in(r.err);
  std::string line, firstError, lastLine;
  while (std::getline(in, line)) {
    if (!line.empty()) lastLine = line;
    if (line.find("error: ") != std::string::npos) {
      firstError = line;
      break;
    }
  }
  if (firstError.empty()) {
    res.detail = "exit status " + std::to_string(r.status) + " without an error message" +
                 (lastLine.empty() ? "" : " (last line: " + shortenPaths(lastLine) + ")");
    return res;
  }
  res.detail = shortenPaths(firstError);
  std::string message;
  if (r.status != 1 || !locatedInScript(firstError, message)) return res;
  for (const char* marker : kBugMarkers)
    if (message.find(marker) != std::string::npos) return res;
  res.outcome = Outcome::Diagnosed;
  res.message = shortenPaths(message);
  return res;
}

std::vector<std::string> commandFor(const Input& in) {
  std::vector<std::string> argv = {kBinary, "-p4"};
  if (in.guru) argv.push_back("-g");
  for (const std::string& dir : in.includeDirs) {
    argv.push_back("-I");
    argv.push_back(dir);
  }
  // `--`: script arguments may start with '-'.
  argv.push_back("--");
  argv.push_back(in.path);
  argv.insert(argv.end(), in.args.begin(), in.args.end());
  return argv;
}

// The examples, then the project's samples and the shared reference Tetris.
std::vector<Input> allInputs(std::vector<std::string>& problems) {
  std::vector<Input> inputs = stp2bpf::corpus::exampleInputs(kExamplesDir, problems);
  std::vector<std::pair<std::string, std::string>> extra;  // path, name
  std::vector<fs::path> samples;
  for (const auto& e : fs::directory_iterator(kSourceDir + "/samples"))
    if (e.path().extension() == ".stp") samples.push_back(e.path());
  std::sort(samples.begin(), samples.end());
  for (const fs::path& p : samples) extra.emplace_back(p.string(), "samples/" + p.filename().string());
  extra.emplace_back(kSharedDir + "/corpus/tetris.stp", "shared/corpus/tetris.stp");
  for (const auto& [path, name] : extra) {
    Input in;
    in.path = path;
    in.name = name;
    in.argsFrom = "project sample";
    inputs.push_back(std::move(in));
  }
  return inputs;
}

// The baseline: one line per script, `NAME<TAB>OUTCOME<TAB>DETAIL`; '#' lines are comments.
struct BaselineEntry {
  Outcome outcome;
  std::string detail;
};

std::map<std::string, BaselineEntry> readBaseline(const std::string& text, std::vector<std::string>& problems) {
  std::map<std::string, BaselineEntry> out;
  std::istringstream in(text);
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.empty() || line[0] == '#') continue;
    size_t t1 = line.find('\t');
    size_t t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
    std::string name = line.substr(0, t1);
    std::string outcome = t1 == std::string::npos ? "" : line.substr(t1 + 1, t2 == std::string::npos ? t2 : t2 - t1 - 1);
    BaselineEntry e{Outcome::Failed, t2 == std::string::npos ? "" : line.substr(t2 + 1)};
    if (outcome == "LOADED") e.outcome = Outcome::Loaded;
    else if (outcome == "DIAGNOSED") e.outcome = Outcome::Diagnosed;
    else if (outcome != "FAILED") {
      problems.push_back("p4_baseline.txt:" + std::to_string(n) + ": not NAME<TAB>OUTCOME<TAB>DETAIL");
      continue;
    }
    out[name] = e;
  }
  return out;
}

std::string baselineText(const std::vector<Input>& inputs, const std::vector<Result>& results) {
  std::map<Outcome, size_t> counts;
  for (const Result& r : results) ++counts[r.outcome];
  std::ostringstream out;
  out << "# stp2bpf -p4 on the SystemTap examples and the project's samples: the outcome of\n"
         "# each script (tests/corpus/p4_corpus_test.cpp).  Written by regenerate-p4-baseline;\n"
         "# review changes with git diff.  NAME<TAB>OUTCOME<TAB>first error.\n"
      << "# LOADED " << counts[Outcome::Loaded] << ", DIAGNOSED " << counts[Outcome::Diagnosed]
      << ", FAILED " << counts[Outcome::Failed] << "\n";
  for (size_t i = 0; i < inputs.size(); ++i)
    out << inputs[i].name << '\t' << outcomeName(results[i].outcome) << '\t' << results[i].detail << '\n';
  return out.str();
}

TEST(P4Corpus, EveryScriptLoadsOrIsDiagnosed) {
  if (geteuid() != 0)
    GTEST_SKIP() << "stp2bpf -p4 loads BPF programs into the kernel, which needs root";
  ASSERT_TRUE(fs::exists(kBinary)) << "no stp2bpf binary at " << kBinary;

  std::vector<std::string> problems;
  std::vector<Input> inputs = allInputs(problems);
  size_t examples = static_cast<size_t>(std::count_if(inputs.begin(), inputs.end(), [](const Input& in) {
    return in.path.compare(0, kExamplesDir.size(), kExamplesDir) == 0;
  }));
  ASSERT_EQ(examples, kExampleCount) << "examples under " << kExamplesDir << " (systemtap-doc installed?)";
  for (const std::string& p : problems) ADD_FAILURE() << "corpus input: " << p;

  // Run the scripts over the workers; each takes the next script not yet taken.
  std::vector<Result> results(inputs.size());
  std::atomic<size_t> next{0};
  // For working on the corpus: every script's whole stderr, not only its first error.
  const char* logEnv = std::getenv("STP2BPF_P4_LOG_DIR");
  std::string logDir = logEnv ? logEnv : "";
  if (!logDir.empty()) fs::create_directories(logDir);
  auto worker = [&] {
    for (size_t i; (i = next++) < inputs.size();) {
      stp2bpf::testing::ProcessOptions options;
      options.timeout = kScriptTimeLimit;
      stp2bpf::testing::ProcessResult r = stp2bpf::testing::runProcess(commandFor(inputs[i]), options);
      results[i] = classify(r);
      if (!logDir.empty()) {
        std::string file = inputs[i].name;
        std::replace(file.begin(), file.end(), '/', '_');
        stp2bpf::testing::writeFile(logDir + "/" + file + ".err", r.err);
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned w = 0; w < kWorkers; ++w) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();

  // ---- summary: counts, the histogram of first diagnostics, the slowest scripts
  std::map<Outcome, size_t> counts;
  std::map<std::string, size_t> histogram;
  for (const Result& r : results) {
    ++counts[r.outcome];
    if (r.outcome == Outcome::Diagnosed) ++histogram[r.message];
  }
  std::cout << "stp2bpf -p4 over " << inputs.size() << " scripts: LOADED " << counts[Outcome::Loaded]
            << ", DIAGNOSED " << counts[Outcome::Diagnosed] << ", FAILED " << counts[Outcome::Failed] << "\n";
  std::vector<std::pair<size_t, std::string>> byCount;
  for (const auto& [message, n] : histogram) byCount.emplace_back(n, message);
  std::stable_sort(byCount.begin(), byCount.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  std::cout << "first diagnostics of the DIAGNOSED scripts:\n";
  for (const auto& [n, message] : byCount) std::cout << "  " << n << "  " << message << "\n";
  std::vector<size_t> order(inputs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return results[a].seconds > results[b].seconds; });
  std::cout << "slowest:";
  for (size_t i = 0; i < std::min<size_t>(5, order.size()); ++i)
    std::cout << " " << inputs[order[i]].name << " (" << static_cast<int>(results[order[i]].seconds * 10) / 10.0 << " s)";
  std::cout << "\n";

  // ---- regeneration: write the baseline instead of comparing with it
  if (const char* out = std::getenv("STP2BPF_P4_BASELINE_OUT")) {
    ASSERT_TRUE(stp2bpf::testing::writeFile(out, baselineText(inputs, results))) << "cannot write " << out;
    std::cout << "wrote " << out << "\n";
    return;
  }

  // ---- comparison with the reviewed baseline
  std::string text = stp2bpf::testing::readFile(kBaseline);
  ASSERT_FALSE(text.empty()) << "no baseline " << kBaseline << ": run tests/corpus/regenerate-p4-baseline";
  std::vector<std::string> baselineProblems;
  std::map<std::string, BaselineEntry> baseline = readBaseline(text, baselineProblems);
  for (const std::string& p : baselineProblems) ADD_FAILURE() << p;
  size_t baselineLoaded = 0;
  for (const auto& [name, e] : baseline) baselineLoaded += e.outcome == Outcome::Loaded;

  std::vector<std::string> improved, unlisted, gone;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Input& in = inputs[i];
    const Result& r = results[i];
    if (r.outcome == Outcome::Failed)
      ADD_FAILURE() << in.name << ": FAILED: " << r.detail << "\n  command: stp2bpf -p4"
                    << (in.guru ? " -g" : "") << " " << in.path << " (arguments: " << in.argsFrom << ")";
    auto b = baseline.find(in.name);
    if (b == baseline.end()) {
      // A new script (a sample just added): nothing to compare with yet.
      unlisted.push_back(in.name);
      continue;
    }
    if (b->second.outcome == Outcome::Loaded && r.outcome != Outcome::Loaded)
      ADD_FAILURE() << in.name << " loaded before (baseline) and no longer does: " << outcomeName(r.outcome)
                    << ": " << r.detail;
    if (b->second.outcome != Outcome::Loaded && r.outcome == Outcome::Loaded) improved.push_back(in.name);
  }
  std::set<std::string> names;
  for (const Input& in : inputs) names.insert(in.name);
  for (const auto& entry : baseline)
    if (!names.count(entry.first)) gone.push_back(entry.first);
  // A script that loaded and is gone from the corpus lowers the count: that fails here.
  EXPECT_GE(counts[Outcome::Loaded], baselineLoaded) << "fewer scripts load than the baseline records";
  auto note = [](const std::vector<std::string>& names, const std::string& what) {
    if (names.empty()) return;
    std::cout << names.size() << " script(s) " << what << " (run tests/corpus/regenerate-p4-baseline):";
    for (const std::string& n : names) std::cout << " " << n;
    std::cout << "\n";
  };
  note(improved, "load now and not in the baseline");
  note(unlisted, "are not in the baseline");
  note(gone, "in the baseline are no longer in the corpus");
}

}  // namespace

// The classification itself, on made-up results (no root needed).
namespace {

stp2bpf::testing::ProcessResult exited(int status, const std::string& err) {
  stp2bpf::testing::ProcessResult r;
  r.status = status;
  r.err = err;
  return r;
}

TEST(P4CorpusClassify, Outcomes) {
  EXPECT_EQ(classify(exited(0, "")).outcome, Outcome::Loaded);
  // A located error in the script, after a warning: DIAGNOSED, by the error.
  Result d = classify(exited(1, "a.stp:1:2: warning: unused\n" + kExamplesDir +
                                    "/x/a.stp:3:5: error: function 'ctime' is written in embedded C\n  ctime(1)\n"));
  EXPECT_EQ(d.outcome, Outcome::Diagnosed);
  EXPECT_EQ(d.detail, "x/a.stp:3:5: error: function 'ctime' is written in embedded C");
  EXPECT_EQ(d.message, "function 'ctime' is written in embedded C");
  // Tapset files and synthesized sources count as located.
  EXPECT_EQ(classify(exited(1, kTapsetDir + "/linux/x.stp:1:1: error: no\n")).detail, "tapset/linux/x.stp:1:1: error: no");
  EXPECT_EQ(classify(exited(1, "<syscall alias syscall.open>:5:14: error: no\n")).outcome, Outcome::Diagnosed);
  // Errors in the generated C, unlocated errors, bugs, signals, time-outs: FAILED.
  EXPECT_EQ(classify(exited(1, "/stp2bpf/program.bpf.c:10:3: error: bad\n")).outcome, Outcome::Failed);
  EXPECT_EQ(classify(exited(1, "stp2bpf: error: the kernel refused the BPF programs of a.stp:\n")).outcome,
            Outcome::Failed);
  EXPECT_EQ(classify(exited(1, "a.stp:1:1: error: x (this is a bug in stp2bpf)\n")).outcome, Outcome::Failed);
  EXPECT_EQ(classify(exited(1, "a.stp:1:1: note: only a note\n")).outcome, Outcome::Failed);
  EXPECT_EQ(classify(exited(2, "a.stp:1:1: error: x\n")).outcome, Outcome::Failed);
  EXPECT_EQ(classify(exited(139, "")).outcome, Outcome::Failed);
  stp2bpf::testing::ProcessResult slow = exited(0, "");
  slow.timedOut = true;
  EXPECT_EQ(classify(slow).outcome, Outcome::Failed);
}

TEST(P4CorpusClassify, BaselineRoundTrip) {
  std::vector<Input> inputs(2);
  inputs[0].name = "a/x.stp";
  inputs[1].name = "b/y.stp";
  std::vector<Result> results(2);
  results[0].outcome = Outcome::Loaded;
  results[1].outcome = Outcome::Diagnosed;
  results[1].detail = "b/y.stp:1:1: error: no";
  std::vector<std::string> problems;
  auto baseline = readBaseline(baselineText(inputs, results) + "junk line\n", problems);
  ASSERT_EQ(baseline.size(), 2u);
  EXPECT_EQ(baseline["a/x.stp"].outcome, Outcome::Loaded);
  EXPECT_EQ(baseline["b/y.stp"].outcome, Outcome::Diagnosed);
  EXPECT_EQ(baseline["b/y.stp"].detail, "b/y.stp:1:1: error: no");
  EXPECT_EQ(problems.size(), 1u);
}

}  // namespace
