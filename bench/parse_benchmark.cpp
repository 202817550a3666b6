// Front-end benchmarks: parsing the SystemTap corpus (see tests/corpus/corpus_inputs.h).
//
// The files are read once, up front, and the tapset's library macros are loaded before
// timing starts; each iteration is one full pass that preprocesses, parses and builds the
// AST of every file (the headline figure: the 201 example scripts; `stap -p1` takes about
// 86 s for them, one process per file).  Freeing the ASTs is not timed.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "corpus_inputs.h"
#include "corpus_session.h"

namespace {

using namespace stp2bpf;

const std::string kExamplesDir = "/usr/share/systemtap/examples";
const std::string kTapsetDir = "/usr/share/systemtap/tapset";
// Not valid SystemTap (tests/corpus/corpus_test.cpp): expected to fail.
const std::string kInvalidExample = "security-band-aids/security-bandaid-template.stp";

struct Corpus {
  std::vector<corpus::Input> inputs;
  std::vector<std::string> texts;
};

Corpus load(std::vector<corpus::Input> inputs) {
  Corpus c;
  for (corpus::Input& in : inputs) {
    std::string text;
    if (!corpus::readFile(in.path, text)) continue;
    c.inputs.push_back(std::move(in));
    c.texts.push_back(std::move(text));
  }
  return c;
}

const Corpus& examples() {
  static const Corpus c = [] {
    std::vector<std::string> problems;
    return load(corpus::exampleInputs(kExamplesDir, problems));
  }();
  return c;
}

const Corpus& tapset() {
  static const Corpus c = load(corpus::tapsetInputs(kTapsetDir));
  return c;
}

corpus::Session& session() {
  static corpus::Session* s = new corpus::Session(kTapsetDir);
  return *s;
}

void parseAll(benchmark::State& state, const Corpus& corpus) {
  if (corpus.inputs.empty()) {
    state.SkipWithError("no input files: are systemtap and systemtap-doc installed?");
    return;
  }
  for (const corpus::Input& in : corpus.inputs) session().preloadLibrary(in.includeDirs);
  size_t failures = 0;
  for (auto _ : state) {
    auto sources = std::make_unique<SourceManager>();
    auto ast = std::make_unique<ast::AstContext>();
    failures = 0;
    for (size_t i = 0; i < corpus.inputs.size(); ++i) {
      Diagnostics diags;
      ast::Script* script = session().parse(corpus.inputs[i], corpus.texts[i], *sources, *ast, diags);
      if ((!script || diags.hasErrors()) && corpus.inputs[i].name != kInvalidExample) ++failures;
    }
    benchmark::DoNotOptimize(ast->nodeCount());
    state.PauseTiming();
    ast.reset();
    sources.reset();
    state.ResumeTiming();
  }
  if (failures) state.SkipWithError("some files did not parse (see tests/corpus)");
  size_t bytes = 0;
  for (const std::string& t : corpus.texts) bytes += t.size();
  state.counters["files"] = static_cast<double>(corpus.inputs.size());
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * corpus.inputs.size()));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}

// One iteration = one full pass over the 201 example scripts.
void BM_ParseAllExamples(benchmark::State& state) { parseAll(state, examples()); }
BENCHMARK(BM_ParseAllExamples)->Unit(benchmark::kMillisecond)->MinTime(5.0);

// One iteration = one full pass over the 607 tapset files (guru mode).
void BM_ParseAllTapsetFiles(benchmark::State& state) { parseAll(state, tapset()); }
BENCHMARK(BM_ParseAllTapsetFiles)->Unit(benchmark::kMillisecond)->MinTime(5.0);

// Loading the library macros (every .stpm file of the tapset), which a stp2bpf process
// does once, on the first macro it meets.  Left out of the passes above.
void BM_LoadLibraryMacros(benchmark::State& state) {
  for (auto _ : state) {
    corpus::Session fresh(kTapsetDir);
    fresh.preloadLibrary({});
  }
}
BENCHMARK(BM_LoadLibraryMacros)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
