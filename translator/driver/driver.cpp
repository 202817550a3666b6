#include "driver/driver.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "ast/printer.h"
#include "backends/bpfc/bpfc_backend.h"
#include "backends/bpftrace/bpftrace_backend.h"
#include "runtime/bpftrace_runner.h"
#include "runtime/native/session.h"
#include "frontend/parser.h"
#include "passes/lower.h"
#include "passes/pass_manager.h"
#include "sema/print_program.h"
#include "tapset/embedded_c.h"
#include "tapset/kernel_info.h"
#include "tapset/library.h"

namespace stp2bpf::driver {

std::vector<std::string> tapsetDirectories(const Options& options, const std::string& arch) {
  std::vector<std::string> dirs = options.includeDirs;
  for (const char* sub : {"", "linux"}) {
    std::string dir = options.tapsetRoot;
    if (*sub) dir += std::string("/") + sub;
    dirs.push_back(dir);
    dirs.push_back(dir + "/" + arch);
  }
  return dirs;
}

Driver::Driver(Options options) : options_(std::move(options)), facts_(frontend::TargetFacts::host()) {}

bool Driver::writeOutput(const std::string& text, std::ostream& out, std::ostream& err) {
  if (options_.outputFile.empty() || options_.outputFile == "-") {
    out << text;
    out.flush();
    return true;
  }
  // Write to a temporary file beside the target and rename it, so a failure never leaves
  // a half-written output file.
  std::string tmp = options_.outputFile + ".tmp." + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) {
      err << "stp2bpf: error: cannot write '" << options_.outputFile << "'\n";
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), options_.outputFile.c_str()) != 0) {
    err << "stp2bpf: error: cannot write '" << options_.outputFile << "'\n";
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

int Driver::run(std::ostream& out, std::ostream& err) {
  // ---- load the script
  const SourceFile* file = nullptr;
  if (options_.scriptText) {
    file = sources_.addFile("<input>", *options_.scriptText);
  } else if (options_.scriptFile == "-") {
    std::string text((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
    file = sources_.addFile("<stdin>", std::move(text));
  } else {
    std::string error;
    file = sources_.loadFile(options_.scriptFile, error);
    if (!file) {
      err << "stp2bpf: error: " << error << '\n';
      return 1;
    }
  }

  // ---- pass 1: parse
  frontend::MacroLibrary library(tapsetDirectories(options_, facts_.arch), sources_, facts_);
  frontend::ParseOptions parse;
  parse.preprocessor.scriptArgs = options_.scriptArgs;
  parse.preprocessor.guru = options_.guru;
  parse.preprocessor.facts = &facts_;
  parse.preprocessor.library = &library;
  ast::Script* script = frontend::parseFile(*file, parse, sources_, ast_, diags_);
  diags_.print(err, options_.colour);
  if (!script || diags_.hasErrors()) {
    if (options_.verbose) err << "Pass 1: parse failed.\n";
    return 1;
  }
  if (script->emptyAfterPreprocessing)
    err << file->name() << ": note: the file is empty after preprocessing\n";
  if (options_.verbose) err << "Pass 1: parsed user script.\n";
  if (options_.lastPass == 1) {
    std::ostringstream text;
    ast::printScript(text, *script);
    return writeOutput(text.str(), out, err) ? 0 : 1;
  }

  // ---- pass 2: elaborate
  tapset::LibraryOptions libraryOptions;
  libraryOptions.includeDirs = options_.includeDirs;
  for (const std::string& dir : tapsetDirectories(options_, facts_.arch))
    if (std::find(options_.includeDirs.begin(), options_.includeDirs.end(), dir) ==
        options_.includeDirs.end())
      libraryOptions.libraryDirs.push_back(dir);
  tapset::TapsetLibrary tapsets(libraryOptions, parse, sources_, ast_, diags_);
  passes::PassContext ctx(ast_, sources_, diags_, tapsets, tapset::KernelInfo::host());
  // The script's own @const("NAME") and embedded-C expressions with a known meaning (only
  // possible with -g) become numbers or builtins, as the tapset's do.
  if (options_.guru) tapset::replaceKnownEmbeddedExprs(*script, ast_);
  ctx.userScript = script;
  ctx.guru = options_.guru;
  ctx.verbose = options_.verbose;
  size_t shown = diags_.all().size();
  ctx.limits.apply(options_.defines, diags_);
  bool ok = !diags_.hasErrors() &&
            passes::elaborationPasses().run(ctx, options_.verbose > 1 ? &err : nullptr);
  for (size_t i = shown; i < diags_.all().size(); ++i) Diagnostics::printOne(err, diags_.all()[i], options_.colour);
  if (!ok) {
    if (options_.verbose) err << "Pass 2: analysis failed.\n";
    return 1;
  }
  if (options_.verbose) err << "Pass 2: analyzed script: " << ctx.program.probes.size() << " probes, "
                            << ctx.program.functions.size() << " functions, "
                            << ctx.program.globals.size() << " globals.\n";
  if (options_.lastPass == 2) {
    std::ostringstream text;
    sema::printProgram(text, ctx.program);
    return writeOutput(text.str(), out, err) ? 0 : 1;
  }

  // ---- pass 3: lower, then translate
  std::string target = options_.target;
  if (target.empty()) {
    const std::string& o = options_.outputFile;
    auto endsWith = [&](const char* s) {
      std::string suffix = s;
      return o.size() >= suffix.size() && o.compare(o.size() - suffix.size(), suffix.size(), suffix) == 0;
    };
    target = endsWith(".c") ? "c" : "bpftrace";
    // Running (-p4, -p5): the native runtime, unless --backend=bpftrace.
    if (options_.lastPass >= 4) target = options_.backend == "bpftrace" ? "bpftrace" : "c";
  }
  // BPF C keeps script functions as BPF-to-BPF calls; bpftrace has none, so they are inlined.
  ctx.keepFunctionCalls = target == "c";
  shown = diags_.all().size();
  ok = passes::loweringPasses().run(ctx, options_.verbose > 1 ? &err : nullptr);
  for (size_t i = shown; i < diags_.all().size(); ++i) Diagnostics::printOne(err, diags_.all()[i], options_.colour);
  if (!ok) {
    if (options_.verbose) err << "Pass 3: translation failed.\n";
    return 1;
  }
  if (options_.target == "lowered") {
    std::ostringstream text;
    sema::printProgram(text, ctx.program);
    return writeOutput(text.str(), out, err) ? 0 : 1;
  }

  if (target == "bpftrace") {
    backends::bpftrace::Options bt;
    bt.scriptName = options_.scriptText ? std::string("<input>") : options_.scriptFile;
    size_t slash = bt.scriptName.rfind('/');
    if (slash != std::string::npos) bt.scriptName = bt.scriptName.substr(slash + 1);
    auto fm = ctx.limits.extra.find("BPFTRACE_FOREACH_MAX");
    if (fm != ctx.limits.extra.end()) bt.foreachMax = std::max(1LL, std::atoll(fm->second.c_str()));
    // For pass 5 (run under bpftrace): the end marker, so its exit dump can be removed, and
    // target() as the -c command's pid.  One emit only, so its warnings print once.
    bt.endMarker = options_.lastPass >= 5;
    bt.childCommand = !options_.command.empty();
    shown = diags_.all().size();
    std::string text = backends::bpftrace::emit(ctx, bt);
    for (size_t i = shown; i < diags_.all().size(); ++i) Diagnostics::printOne(err, diags_.all()[i], options_.colour);
    if (text.empty() || diags_.hasErrors()) {
      if (options_.verbose) err << "Pass 3: translation failed.\n";
      return 1;
    }
    if (options_.verbose) err << "Pass 3: translated to bpftrace.\n";
    if (options_.lastPass == 3) return writeOutput(text, out, err) ? 0 : 1;
    if (options_.lastPass == 4) {
      err << "stp2bpf: error: -p4 (compile and load) needs the native runtime; the bpftrace "
             "backend loads only when it runs (-p5)\n";
      return 1;
    }
    // Pass 5: run under bpftrace.
    runtime::BpftraceRun run;
    run.scriptText = text;
    run.stpName = options_.scriptText ? std::string("<input>") : options_.scriptFile;
    if (options_.targetPid) run.args.push_back(std::to_string(options_.targetPid));
    run.command = options_.command;
    run.stringLength = static_cast<int>(std::min<int64_t>(ctx.limits.maxStringLen, 200));
    if (options_.verbose) err << "Pass 5: starting run under bpftrace.\n";
    return runtime::runBpftrace(run, err);
  }
  // The C target: BASE.bpf.c, BASE.h, BASE.json and the runtime header beside them.
  backends::bpfc::Options copt;
  copt.scriptName = options_.scriptText ? std::string("<input>") : options_.scriptFile;
  size_t cslash = copt.scriptName.rfind('/');
  if (cslash != std::string::npos) copt.scriptName = copt.scriptName.substr(cslash + 1);
  std::string outPath = options_.outputFile;
  if (!outPath.empty() && outPath != "-") {
    std::string base = outPath;
    for (const char* suffix : {".bpf.c", ".c"})
      if (base.size() > std::strlen(suffix) && base.compare(base.size() - std::strlen(suffix), std::strlen(suffix), suffix) == 0) {
        base.erase(base.size() - std::strlen(suffix));
        break;
      }
    size_t s = base.rfind('/');
    copt.baseName = s == std::string::npos ? base : base.substr(s + 1);
  }
  shown = diags_.all().size();
  backends::bpfc::Output c = backends::bpfc::emit(ctx, copt);
  for (size_t i = shown; i < diags_.all().size(); ++i) Diagnostics::printOne(err, diags_.all()[i], options_.colour);
  if (c.bpfC.empty() || diags_.hasErrors()) {
    if (options_.verbose) err << "Pass 3: translation failed.\n";
    return 1;
  }
  if (options_.lastPass == 3) {
    if (outPath.empty() || outPath == "-") {
      out << c.bpfC;
      return 0;
    }
    std::string dir = outPath.rfind('/') == std::string::npos ? "" : outPath.substr(0, outPath.rfind('/') + 1);
    std::string saved = options_.outputFile;
    bool ok2 = true;
    for (auto [name, text] : std::vector<std::pair<std::string, std::string>>{
             {dir + copt.baseName + ".bpf.c", c.bpfC}, {dir + copt.baseName + ".h", c.header},
             {dir + copt.baseName + ".json", c.manifest}, {dir + "stp2bpf.bpf.h", backends::bpfc::runtimeHeader()}}) {
      options_.outputFile = name;
      ok2 = writeOutput(text, out, err) && ok2;
    }
    options_.outputFile = saved;
    return ok2 ? 0 : 1;
  }
  // Passes 4 and 5: the native runtime.
  runtime::NativeProgram np;
  np.scriptName = copt.scriptName;
  np.bpfC = c.bpfC;
  np.header = c.header;
  np.headerName = copt.baseName + ".h";
  np.runtimeHeader = backends::bpfc::runtimeHeader();
  np.manifest = c.manifest;
  runtime::NativeOptions no;
  no.lastPass = options_.lastPass;
  no.targetPid = options_.targetPid;
  no.command = options_.command;
  no.outputFile = options_.outputFile;
  no.verbose = options_.verbose;
  return runtime::runNative(np, no, err);
}

}  // namespace stp2bpf::driver
