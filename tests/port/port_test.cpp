// `stp2bpf port DIR... -o OUTDIR --report R.json`, run as a user runs it.
//
//   Fixtures.*   fixtures/: six scripts of our own with known outcomes (two port, one by its
//                .meta's arguments; a syntax error; an unsupported construct; a script that
//                needs $1 and has no .meta), on both targets
//   Children.*   a translator that crashes or hangs (a stand-in script, through the
//                STP2BPF_PORT_TRANSLATOR test seam) is that script's outcome, not the port's
//   Usage.*      usage errors exit 2 and write nothing
//   Examples.*   the installed SystemTap examples to .bt: the report agrees with the files
//                on disk, and no translation crashed or ran out of time
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "support/process.h"

namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using stp2bpf::testing::ProcessOptions;
using stp2bpf::testing::ProcessResult;
using stp2bpf::testing::runProcess;

const std::string kSourceDir = STP2BPF_SOURCE_DIR;
const std::string kBinary = STP2BPF_BINARY;
const std::string kExamplesDir = STP2BPF_EXAMPLES_DIR;
const std::string kFixtures = kSourceDir + "/tests/port/fixtures";

// Debian 12's systemtap-doc ships this many examples; checked so that a missing or changed
// package cannot make the test pass on nothing.
constexpr size_t kExampleCount = 201;

class Port : public ::testing::Test {
 protected:
  void SetUp() override {
    tmp_ = stp2bpf::testing::makeTempDir("stp2bpf-port-test");
    ASSERT_FALSE(tmp_.empty());
    out_ = tmp_ + "/out";
    reportPath_ = tmp_ + "/report.json";
  }
  void TearDown() override { stp2bpf::testing::removeTree(tmp_); }

  // Runs `stp2bpf port ARGS... -o OUT --report REPORT` and reads the report (if any).
  ProcessResult port(std::vector<std::string> args, const std::vector<std::string>& env = {},
                     double timeout = 120) {
    std::vector<std::string> argv = {kBinary, "port"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"-o", out_, "--report", reportPath_});
    ProcessOptions options;
    options.env = env;
    options.timeout = timeout;
    ProcessResult r = runProcess(argv, options);
    report_ = json();
    if (fs::exists(reportPath_)) report_ = json::parse(stp2bpf::testing::readFile(reportPath_));
    return r;
  }

  const json& script(const std::string& relative) {
    for (const json& s : report_["scripts"])
      if (s["relative"] == relative) return s;
    static const json none;
    ADD_FAILURE() << "no report entry for " << relative;
    return none;
  }

  // Every regular file under the output directory, relative to it.
  std::set<std::string> filesOnDisk() {
    std::set<std::string> files;
    if (!fs::exists(out_)) return files;
    for (const auto& e : fs::recursive_directory_iterator(out_))
      if (e.is_regular_file()) files.insert(fs::relative(e.path(), out_).generic_string());
    return files;
  }

  // The report's own consistency: counts per status add up, every failed script is in the
  // first-error histogram once, outputs exist exactly for ported scripts, and nothing else
  // (no temporary file, no output of a failed script) is in the output directory.
  void expectConsistent() {
    ASSERT_TRUE(report_.is_object()) << "no report";
    const json& summary = report_["summary"];
    std::map<std::string, int> counts;
    std::set<std::string> expectedFiles;
    for (const json& s : report_["scripts"]) {
      std::string status = s["status"];
      counts[status]++;
      EXPECT_TRUE(s["seconds"].is_number()) << s["relative"];
      EXPECT_EQ(s["warnings"].get<int>(),
                std::count_if(s["diagnostics"].begin(), s["diagnostics"].end(),
                              [](const json& d) { return d["severity"] == "warning"; }))
          << s["relative"];
      if (status == "ported") {
        EXPECT_FALSE(s["outputs"].empty()) << s["relative"];
      } else {
        EXPECT_TRUE(s["outputs"].empty()) << s["relative"];
      }
      for (const json& o : s["outputs"]) {
        std::string path = o;
        EXPECT_TRUE(fs::is_regular_file(path)) << s["relative"] << ": " << path;
        EXPECT_GT(fs::file_size(path), 0u) << path;
        expectedFiles.insert(fs::relative(path, out_).generic_string());
      }
      if (status == "failed") {
        EXPECT_GT(s["errors"].get<int>(), 0) << s["relative"] << " failed without an error";
      }
    }
    size_t total = 0;
    for (const char* status : {"ported", "failed", "timeout", "crashed"}) {
      EXPECT_EQ(summary[status].get<int>(), counts[status]) << status;
      total += counts[status];
    }
    EXPECT_EQ(total, report_["scripts"].size());
    EXPECT_EQ(summary["scripts"].get<size_t>(), total);
    int histogram = 0;
    for (const json& e : summary["first_errors"]) {
      EXPECT_EQ(e["count"].get<size_t>(), e["scripts"].size());
      histogram += e["count"].get<int>();
    }
    EXPECT_EQ(histogram, counts["failed"]);
    std::set<std::string> onDisk = filesOnDisk();
    EXPECT_EQ(onDisk, expectedFiles);
  }

  std::string tmp_, out_, reportPath_;
  json report_;
};

// The fixture scripts in file order, with what each must become.
const std::vector<std::pair<std::string, std::string>> kFixtureOutcomes = {
    {"args/greet.stp", "ported"},   {"args/noargs.stp", "failed"}, {"broken/syntax.stp", "failed"},
    {"hello.stp", "ported"},        {"nested/count.stp", "ported"}, {"unsupported.stp", "failed"},
};

void expectDiagnostic(const json& s, const std::string& file, int line, int column, const std::string& text) {
  ASSERT_FALSE(s["diagnostics"].empty()) << s["relative"];
  const json& d = s["diagnostics"][0];
  EXPECT_EQ(d["file"], file);
  EXPECT_EQ(d["line"], line);
  EXPECT_EQ(d["column"], column);
  EXPECT_EQ(d["severity"], "error");
  EXPECT_NE(d["message"].get<std::string>().find(text), std::string::npos) << d["message"];
}

TEST_F(Port, FixturesToBpftrace) {
  // A stale output of a script that now fails must not survive the port.
  fs::create_directories(out_ + "/broken");
  ASSERT_TRUE(stp2bpf::testing::writeFile(out_ + "/broken/syntax.bt", "stale"));

  ProcessResult r = port({kFixtures});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(report_["scripts"].size(), kFixtureOutcomes.size());
  for (size_t i = 0; i < kFixtureOutcomes.size(); ++i) {
    EXPECT_EQ(report_["scripts"][i]["relative"], kFixtureOutcomes[i].first);
    EXPECT_EQ(report_["scripts"][i]["status"], kFixtureOutcomes[i].second) << kFixtureOutcomes[i].first;
  }
  expectConsistent();
  EXPECT_EQ(report_["target"], "bpftrace");

  // The .meta's test_check arguments reached the translation.
  const json& greet = script("args/greet.stp");
  EXPECT_EQ(greet["arguments"], json({"42", "port fixture"}));
  EXPECT_EQ(greet["outputs"], json({out_ + "/args/greet.bt"}));
  std::string bt = stp2bpf::testing::readFile(out_ + "/args/greet.bt");
  EXPECT_NE(bt.find("42"), std::string::npos) << bt;
  EXPECT_NE(bt.find("port fixture"), std::string::npos) << bt;
  EXPECT_TRUE(fs::exists(out_ + "/nested/count.bt"));

  expectDiagnostic(script("broken/syntax.stp"), kFixtures + "/broken/syntax.stp", 3, 10, "expected ')'");
  expectDiagnostic(script("unsupported.stp"), kFixtures + "/unsupported.stp", 3, 7, "procfs probes");
  expectDiagnostic(script("args/noargs.stp"), kFixtures + "/args/noargs.stp", 3, 18, "'$1' is out of range");
  EXPECT_TRUE(script("args/noargs.stp")["arguments_from"].is_null());
  EXPECT_EQ(script("broken/syntax.stp")["exit_status"], 1);

  const json& summary = report_["summary"];
  EXPECT_EQ(summary["ported"], 3);
  EXPECT_EQ(summary["failed"], 3);
  // Histogram keys are messages alone: no file, no line.
  for (const json& e : summary["first_errors"])
    EXPECT_EQ(e["message"].get<std::string>().find(".stp:"), std::string::npos) << e["message"];

  // One progress line per script, in file order, then the totals.
  EXPECT_NE(r.out.find("[1/6] ported  args/greet.stp"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[3/6] failed  broken/syntax.stp:3:10: expected ')'"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("6 scripts: 3 ported, 3 failed, 0 timeout, 0 crashed"), std::string::npos) << r.out;
}

TEST_F(Port, FixturesToC) {
  ProcessResult r = port({"--target=c", "-j", "1", kFixtures});
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(report_["scripts"].size(), kFixtureOutcomes.size());
  for (size_t i = 0; i < kFixtureOutcomes.size(); ++i)
    EXPECT_EQ(report_["scripts"][i]["status"], kFixtureOutcomes[i].second) << kFixtureOutcomes[i].first;
  expectConsistent();
  // The C target writes the program, its header and manifest, and the runtime header.
  EXPECT_EQ(script("hello.stp")["outputs"],
            json({out_ + "/hello.bpf.c", out_ + "/hello.h", out_ + "/hello.json", out_ + "/stp2bpf.bpf.h"}));
  EXPECT_FALSE(fs::exists(out_ + "/unsupported.bpf.c"));
  // Nothing ported in broken/: the port made the directory for it, and removed it again.
  EXPECT_FALSE(fs::exists(out_ + "/broken"));
}

TEST_F(Port, CrashIsTheScriptsOutcome) {
  ProcessResult r = port({kFixtures + "/hello.stp", kFixtures + "/nested"},
                         {"STP2BPF_PORT_TRANSLATOR=" + kSourceDir + "/tests/port/crashing-translator"});
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  ASSERT_EQ(report_["scripts"].size(), 2u);
  for (const json& s : report_["scripts"]) {
    EXPECT_EQ(s["status"], "crashed");
    EXPECT_TRUE(s["signal"].is_string());
    EXPECT_NE(s["stderr_tail"].get<std::string>().find("about to crash"), std::string::npos);
  }
  EXPECT_EQ(report_["summary"]["crashed"], 2);
  expectConsistent();
}

TEST_F(Port, HangIsKilledAtTheTimeLimit) {
  ProcessResult r = port({"--timeout", "1", kFixtures + "/hello.stp"},
                         {"STP2BPF_PORT_TRANSLATOR=" + kSourceDir + "/tests/port/hanging-translator"}, 60);
  EXPECT_FALSE(r.timedOut) << "the port itself hung";
  EXPECT_EQ(r.status, 1) << r.out << r.err;
  ASSERT_EQ(report_["scripts"].size(), 1u);
  EXPECT_EQ(report_["scripts"][0]["status"], "timeout");
  EXPECT_GE(report_["scripts"][0]["seconds"].get<double>(), 1.0);
  EXPECT_LT(report_["scripts"][0]["seconds"].get<double>(), 30.0);
  EXPECT_EQ(report_["summary"]["timeout"], 1);
  expectConsistent();
}

TEST_F(Port, UsageErrors) {
  struct Case {
    std::vector<std::string> argv;
    const char* why;
  };
  const Case cases[] = {
      {{kBinary, "port", "-o", out_}, "no directory"},
      {{kBinary, "port", kFixtures}, "no -o"},
      {{kBinary, "port", kFixtures + "/no-such-dir", "-o", out_}, "a directory that does not exist"},
      {{kBinary, "port", "--target=lowered", kFixtures, "-o", out_}, "a target port does not write"},
      {{kBinary, "port", kFixtures + "/hello.stp", kFixtures + "/hello.stp", "-o", out_},
       "two inputs with the same output"},
  };
  for (const Case& c : cases) {
    ProcessResult r = runProcess(c.argv, ProcessOptions{});
    EXPECT_EQ(r.status, 2) << c.why << ": " << r.err;
    EXPECT_NE(r.err.find("stp2bpf port"), std::string::npos) << c.why << ": " << r.err;
    EXPECT_FALSE(fs::exists(out_)) << c.why;
  }
  // The subcommand is in the usage text and in --help.
  ProcessResult usage = runProcess({kBinary}, ProcessOptions{});
  EXPECT_NE(usage.err.find("stp2bpf port [OPTIONS] DIR... -o OUTDIR"), std::string::npos) << usage.err;
  ProcessResult help = runProcess({kBinary, "--help"}, ProcessOptions{});
  EXPECT_NE(help.out.find("stp2bpf port"), std::string::npos) << help.out;
}

TEST_F(Port, ExamplesToBpftrace) {
  if (!fs::is_directory(kExamplesDir))
    GTEST_SKIP() << kExamplesDir << " is not installed (Debian package systemtap-doc)";
  size_t onDisk = 0;
  for (const auto& e : fs::recursive_directory_iterator(kExamplesDir))
    onDisk += e.is_regular_file() && e.path().extension() == ".stp";
  ASSERT_EQ(onDisk, kExampleCount);

  ProcessResult r = port({kExamplesDir}, {}, 850);
  ASSERT_FALSE(r.timedOut);
  EXPECT_EQ(r.status, 0) << r.out.substr(r.out.size() > 3000 ? r.out.size() - 3000 : 0) << r.err;
  ASSERT_EQ(report_["scripts"].size(), kExampleCount);
  std::set<std::string> reported;
  for (const json& s : report_["scripts"]) {
    EXPECT_TRUE(fs::is_regular_file(s["path"].get<std::string>())) << s["path"];
    reported.insert(s["relative"]);
    EXPECT_TRUE(s["status"] == "ported" || s["status"] == "failed")
        << s["relative"] << ": " << s["status"] << "\n" << s.dump(2);
    for (const json& d : s["diagnostics"]) {
      // Every error the driver writes is located, except the few about no source at all.
      if (d["severity"] != "error" || d["file"].is_null()) continue;
      EXPECT_TRUE(d["line"].is_number()) << s["relative"] << ": " << d.dump();
    }
  }
  EXPECT_EQ(reported.size(), kExampleCount);
  EXPECT_EQ(report_["summary"]["crashed"], 0);
  EXPECT_EQ(report_["summary"]["timeout"], 0);
  // The scripts whose .meta gives arguments got them (SystemTap's own test command).
  size_t withArguments = 0;
  for (const json& s : report_["scripts"]) withArguments += !s["arguments_from"].is_null() && !s["arguments"].empty();
  EXPECT_GT(withArguments, 0u);
  expectConsistent();
  EXPECT_NE(r.out.find("201 scripts: "), std::string::npos) << r.out;
}

}  // namespace
