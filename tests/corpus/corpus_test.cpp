// Corpus tests: every SystemTap example script (Debian package systemtap-doc) and every
// tapset library file (package systemtap) parses without errors, in one process, through
// the library API; and every one of them survives parse -> print -> parse -> print with
// the same AST and the same text.  Also the project's headline input, tetris.stp (in
// ../shared/corpus, kept byte for byte as published).
//
// The files are read where the packages install them (tools/install-deps.sh installs
// both); none is copied into this repository.
#include <gtest/gtest.h>

#include <iostream>
#include <sstream>

#include "ast/dump.h"
#include "ast/printer.h"
#include "corpus_inputs.h"
#include "corpus_session.h"
#include "frontend/parser.h"

namespace {

using namespace stp2bpf;
using corpus::Input;

const std::string kExamplesDir = STP2BPF_EXAMPLES_DIR;
const std::string kTapsetDir = STP2BPF_TAPSET_DIR;

// Debian 12's systemtap-doc and systemtap 4.8-2 ship this many files.  Checked so that a
// missing package (or a wrong path) cannot make the tests pass on nothing.
constexpr size_t kExampleCount = 201;
constexpr size_t kTapsetCount = 607;

// The one example that is not valid SystemTap: line 31 is the template's placeholder
// `probe X.Y.Z if(cve_enabled_p) {...}`, and column 32 is the first '.' of `...` in the
// block.  stap 4.8 rejects it at the same place ("parse error: expected literal string
// or number / saw: operator '.' at .../security-bandaid-template.stp:31:32").
const std::string kInvalidExample = "security-band-aids/security-bandaid-template.stp";
const std::string kInvalidExampleLocation = "security-band-aids/security-bandaid-template.stp:31:32";

std::string tetrisPath() { return std::string(STP2BPF_SHARED_DIR) + "/corpus/tetris.stp"; }

std::string firstError(const Diagnostics& diags) {
  for (const Diagnostic& d : diags.all())
    if (d.severity == Severity::Error) return d.location.str() + ": " + d.message;
  return "(no error recorded)";
}

std::string printed(const ast::Script& script) {
  std::ostringstream out;
  ast::printScript(out, script);
  return out.str();
}

// The first line where two texts differ, for failure messages.
std::string firstDifference(const std::string& a, const std::string& b) {
  std::istringstream x(a), y(b);
  std::string lx, ly;
  for (int line = 1;; ++line) {
    bool gx = static_cast<bool>(std::getline(x, lx));
    bool gy = static_cast<bool>(std::getline(y, ly));
    if (!gx && !gy) return "(identical)";
    if (!gx || !gy || lx != ly)
      return "line " + std::to_string(line) + ": '" + (gx ? lx : "<end>") + "' vs '" +
             (gy ? ly : "<end>") + "'";
  }
}

// A list of per-file failures, printed as one assertion message.
struct Failures {
  std::vector<std::string> lines;
  void add(const std::string& s) { lines.push_back(s); }
  std::string str() const {
    std::string out = std::to_string(lines.size()) + " file(s) failed:\n";
    for (const std::string& l : lines) out += "  " + l + "\n";
    return out;
  }
};

class Corpus : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    session_ = new corpus::Session(kTapsetDir);
    examples_ = new std::vector<Input>(corpus::exampleInputs(kExamplesDir, *inputProblems_));
    tapset_ = new std::vector<Input>(corpus::tapsetInputs(kTapsetDir));
  }
  static void TearDownTestSuite() {
    delete session_;
    delete examples_;
    delete tapset_;
  }

  // Parses one input; null (and the diagnostics in `diags`) unless it parsed without errors.
  ast::Script* parse(const Input& in, Diagnostics& diags, std::string* text = nullptr) {
    std::string source;
    if (!corpus::readFile(in.path, source)) {
      diags.error({}, "cannot read " + in.path);
      return nullptr;
    }
    if (text) *text = source;
    ast::Script* script = session_->parse(in, std::move(source), sources_, ast_, diags);
    return diags.hasErrors() ? nullptr : script;
  }

  // parse -> print -> parse -> print: the two ASTs (compared by their structural dumps)
  // and the two printed texts must be equal.  Returns "" or what went wrong.
  std::string roundTrip(const Input& in) {
    Diagnostics diags;
    ast::Script* first = parse(in, diags);
    if (!first) return "does not parse: " + firstError(diags);
    std::string text1 = printed(*first);
    // The printed text has the arguments substituted and the macros expanded already; it
    // keeps any embedded C, so it needs the original's guru mode.
    Input again;
    again.path = in.path + " (printed)";
    again.guru = in.guru;
    Diagnostics diags2;
    ast::Script* second = session_->parse(again, text1, sources_, ast_, diags2);
    if (!second || diags2.hasErrors())
      return "the printed text does not parse: " + firstError(diags2) + "\n" + text1;
    std::string dump1 = ast::dump(*first), dump2 = ast::dump(*second);
    if (dump1 != dump2) return "the AST changed: " + firstDifference(dump1, dump2);
    std::string text2 = printed(*second);
    if (text1 != text2) return "the printed text changed: " + firstDifference(text1, text2);
    return "";
  }

  static corpus::Session* session_;
  static std::vector<Input>* examples_;
  static std::vector<Input>* tapset_;
  static std::vector<std::string>* inputProblems_;
  SourceManager sources_;
  ast::AstContext ast_;
};

corpus::Session* Corpus::session_ = nullptr;
std::vector<Input>* Corpus::examples_ = nullptr;
std::vector<Input>* Corpus::tapset_ = nullptr;
std::vector<std::string>* Corpus::inputProblems_ = new std::vector<std::string>;

const Input* findInput(const std::vector<Input>& inputs, const std::string& name) {
  for (const Input& in : inputs)
    if (in.name == name) return &in;
  return nullptr;
}

}  // namespace

// ------------------------------------------------------------------ the inputs themselves

TEST(CorpusInputs, ShellWords) {
  std::vector<std::string> w;
  std::string error;
  // memory/hw_watch_addr.meta: the backquoted command is one piece of its word.
  ASSERT_TRUE(corpus::shellWords(
      "stap --all-modules -p4 hw_watch_addr.stp 0x`grep \"vm_dirty_ratio\" /proc/kallsyms | "
      "awk '{print $1}'`",
      w, error));
  EXPECT_EQ(w, (std::vector<std::string>{"stap", "--all-modules", "-p4", "hw_watch_addr.stp",
                                         "0x`grep \"vm_dirty_ratio\" /proc/kallsyms | awk "
                                         "'{print $1}'`"}));
  // profiling/ucalls.meta: escaped quotes inside double quotes, single quotes inside those.
  ASSERT_TRUE(corpus::shellWords(
      "stap -p4 ucalls.stp -c \"python -c 'print(\\\"hello world\\\")'\"", w, error));
  EXPECT_EQ(w, (std::vector<std::string>{"stap", "-p4", "ucalls.stp", "-c",
                                         "python -c 'print(\"hello world\")'"}));
  // process/plimit.meta: `$$` is the shell's PID.
  ASSERT_TRUE(corpus::shellWords("stap -gp4 plimit.stp $$", w, error, "4242"));
  EXPECT_EQ(w.back(), "4242");
  // `$NAME` would need the environment of SystemTap's test suite.
  EXPECT_FALSE(corpus::shellWords("stap $PYEXECDIR x.stp", w, error));
  EXPECT_FALSE(corpus::shellWords("stap 'x.stp", w, error));
}

TEST(CorpusInputs, StapCommandLines) {
  corpus::StapCommand c;
  std::string error;
  // general/whythefail.meta: options before the script, three arguments after it.
  ASSERT_TRUE(corpus::parseStapCommand(
      "stap -p4 whythefail.stp kernel do_sys_open '$return < 0'", c, error));
  EXPECT_EQ(c.script, "whythefail.stp");
  EXPECT_EQ(c.args, (std::vector<std::string>{"kernel", "do_sys_open", "$return < 0"}));
  EXPECT_FALSE(c.guru);
  // process/threadstacks.meta: a cluster `-gp4`, `-G` with an attached value and `-d`
  // with a separate one; no script arguments.
  ASSERT_TRUE(corpus::parseStapCommand(
      "stap -gp4 threadstacks.stp -Gsize=65536 -d `which stap`", c, error));
  EXPECT_TRUE(c.guru);
  EXPECT_TRUE(c.args.empty());
  // memory/last_100_frees.meta: options after the script (getopt permutes).
  ASSERT_TRUE(corpus::parseStapCommand(
      "stap -p4 last_100_frees.stp -c \"stap -V\" -d `which stap` --ldd", c, error));
  EXPECT_TRUE(c.args.empty());
  // stapgames/block.meta: an attached -I directory.
  ASSERT_TRUE(corpus::parseStapCommand("stap -p4 -Itapset/ block.stp", c, error));
  EXPECT_EQ(c.includeDirs, (std::vector<std::string>{"tapset/"}));
  // profiling/functioncallcount.meta: `-wp4`.
  ASSERT_TRUE(corpus::parseStapCommand("stap -wp4 functioncallcount.stp \"*@mm/*.c\"", c, error));
  EXPECT_EQ(c.args, (std::vector<std::string>{"*@mm/*.c"}));
  EXPECT_FALSE(corpus::parseStapCommand("./socktop -D", c, error));  // network/socktop.meta
  EXPECT_FALSE(corpus::parseStapCommand("stap -p4 -Z x.stp", c, error));
}

TEST_F(Corpus, InputsAreComplete) {
  for (const std::string& p : *inputProblems_) ADD_FAILURE() << p;
  EXPECT_EQ(examples_->size(), kExampleCount) << "is systemtap-doc installed? " << kExamplesDir;
  EXPECT_EQ(tapset_->size(), kTapsetCount) << "is systemtap installed? " << kTapsetDir;
}

// Arguments read from real .meta files, checked by hand against the files.
TEST_F(Corpus, MetaArgumentsOfSomeExamples) {
  struct Expected {
    const char* name;
    std::vector<std::string> args;
    bool guru;
  };
  const Expected expected[] = {
      // general/measureinterval.meta: `stap -p4 measureinterval.stp "gettimeofday_us()"
      // "tid()" @sum vm.pagefault vm.pagefault.return "execname()"`
      {"general/measureinterval.stp",
       {"gettimeofday_us()", "tid()", "@sum", "vm.pagefault", "vm.pagefault.return", "execname()"},
       false},
      // general/varwatch.meta: `stap -wp4 varwatch.stp
      // 'kernel.statement("do_sys_open@fs/open.c:*")' '$$vars'`
      {"general/varwatch.stp", {"kernel.statement(\"do_sys_open@fs/open.c:*\")", "$$vars"}, false},
      // network/netfilter_drop.meta: `stap -g -p4 netfilter_drop.stp TCP 1`
      {"network/netfilter_drop.stp", {"TCP", "1"}, true},
      // io/traceio2.meta: `stap -p4 traceio2.stp 0x0801`
      {"io/traceio2.stp", {"0x0801"}, false},
      // io/eatmydata.meta: `stap -gp4 eatmydata.stp -x $$`: -x takes the PID.
      {"io/eatmydata.stp", {}, true},
      // profiling/ucalls.meta: the -c command is stap's, not the script's.
      {"profiling/ucalls.stp", {}, false},
      // general/pyexample.stp: the placeholder table (py3example.meta).
      {"general/pyexample.stp", {"python3"}, false},
      // stapgames/tapset/game.stp: a tapset file, so embedded C is allowed.
      {"stapgames/tapset/game.stp", {}, true},
  };
  for (const Expected& e : expected) {
    const Input* in = findInput(*examples_, e.name);
    ASSERT_NE(in, nullptr) << e.name;
    EXPECT_EQ(in->args, e.args) << e.name << " (" << in->argsFrom << ")";
    EXPECT_EQ(in->guru, e.guru) << e.name << " (" << in->argsFrom << ")";
  }
  // stapgames/block.meta passes -Itapset/; 2048.stp, beside the same tapset directory, gets
  // it too (the driver's -I directories come first in tapsetDirectories()).
  for (const char* name : {"stapgames/block.stp", "stapgames/2048.stp"}) {
    const Input* in = findInput(*examples_, name);
    ASSERT_NE(in, nullptr) << name;
    EXPECT_EQ(in->includeDirs, (std::vector<std::string>{kExamplesDir + "/stapgames/tapset"}))
        << name;
  }
}

// ------------------------------------------------------------------ parsing

TEST_F(Corpus, EveryExampleParses) {
  Failures failures;
  bool sawInvalid = false;
  for (const Input& in : *examples_) {
    Diagnostics diags;
    ast::Script* script = parse(in, diags);
    if (in.name == kInvalidExample) {
      // Must fail, with its first error at the place stap reports.
      sawInvalid = true;
      std::string where = firstError(diags);
      EXPECT_EQ(script, nullptr) << in.name << " must not parse";
      EXPECT_EQ(where.rfind(kExamplesDir + "/" + kInvalidExampleLocation + ": ", 0), 0u)
          << "expected the first error at " << kInvalidExampleLocation << ", got: " << where;
      continue;
    }
    if (!script) failures.add(in.name + " [" + in.argsFrom + "]: " + firstError(diags));
  }
  EXPECT_TRUE(sawInvalid) << kInvalidExample << " is missing";
  EXPECT_TRUE(failures.lines.empty()) << failures.str();
}

TEST_F(Corpus, EveryTapsetFileParses) {
  Failures failures;
  size_t empty = 0, emptyMacroFiles = 0;
  for (const Input& in : *tapset_) {
    Diagnostics diags;
    ast::Script* script = parse(in, diags);
    if (!script) {
      failures.add(in.name + ": " + firstError(diags));
      continue;
    }
    // Files for other architectures or kernels are wrapped in `%( arch == ... %)` and the
    // .stpm files hold only macro definitions: both leave no tokens, which is a success.
    if (script->emptyAfterPreprocessing) {
      ++empty;
      if (in.name.size() > 5 && in.name.compare(in.name.size() - 5, 5, ".stpm") == 0) ++emptyMacroFiles;
    }
  }
  std::cout << "note: " << empty << " of " << tapset_->size() << " tapset files are empty after "
            << "%( %) preprocessing on " << session_->facts().arch << " (" << emptyMacroFiles
            << " of them .stpm files of macro definitions only)\n";
  EXPECT_TRUE(failures.lines.empty()) << failures.str();
}

TEST_F(Corpus, TetrisParsesAsPublished) {
  // Byte for byte as in ../shared/corpus (see its README): no arguments, no guru mode.
  Input in;
  in.path = tetrisPath();
  in.name = "tetris.stp";
  Diagnostics diags;
  ast::Script* script = parse(in, diags);
  ASSERT_NE(script, nullptr) << firstError(diags);
  // `global Z,C,P,B,K,t,S,T,h,e` and the probes on kernel.function("kbd_event"), begin and
  // timer.ms(99): nothing else at the top level.
  size_t globals = 0, probes = 0, other = 0;
  for (const ast::Decl* d : script->decls) {
    if (d->kind == ast::Kind::GlobalDecl) ++globals;
    else if (d->kind == ast::Kind::ProbeDecl) ++probes;
    else ++other;
  }
  EXPECT_EQ(globals, 10u);
  EXPECT_EQ(probes, 3u);
  EXPECT_EQ(other, 0u);
}

// ------------------------------------------------------------------ round trip

TEST_F(Corpus, ExamplesRoundTrip) {
  Failures failures;
  for (const Input& in : *examples_) {
    if (in.name == kInvalidExample) continue;
    std::string problem = roundTrip(in);
    if (!problem.empty()) failures.add(in.name + ": " + problem);
  }
  EXPECT_TRUE(failures.lines.empty()) << failures.str();
}

TEST_F(Corpus, TapsetRoundTrips) {
  Failures failures;
  for (const Input& in : *tapset_) {
    std::string problem = roundTrip(in);
    if (!problem.empty()) failures.add(in.name + ": " + problem);
  }
  EXPECT_TRUE(failures.lines.empty()) << failures.str();
}

TEST_F(Corpus, TetrisRoundTrips) {
  Input in;
  in.path = tetrisPath();
  in.name = "tetris.stp";
  EXPECT_EQ(roundTrip(in), "");
}
