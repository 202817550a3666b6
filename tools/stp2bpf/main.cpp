// stp2bpf command line: stap's conventions.
//   stp2bpf [options] SCRIPT [ARGS...]      translate (or stop at -p N)
//   stp2bpf [options] -e 'SCRIPT' [ARGS...]
//   stp2bpf run [options] SCRIPT [ARGS...]  translate, compile, load and run (-p5)
//   stp2bpf port [options] DIR... -o OUTDIR  translate a whole tree, with a report (port.cpp)
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "driver/driver.h"
#include "port.h"

namespace {

constexpr const char* kVersion = "stp2bpf 0.1.0 (SystemTap 4.8 script language)";

constexpr const char* kUsage =
    "Usage: stp2bpf [OPTIONS] SCRIPT [ARGS...]\n"
    "       stp2bpf [OPTIONS] -e 'SCRIPT' [ARGS...]\n"
    "       stp2bpf run [OPTIONS] SCRIPT [ARGS...]\n"
    "       stp2bpf port [OPTIONS] DIR... -o OUTDIR [--report R.json]\n"
    "Try 'stp2bpf --help' for more information.\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "port") {
    argv[1] = const_cast<char*>("stp2bpf port");
    return stp2bpf::port::portMain(argc - 1, argv + 1);
  }
  stp2bpf::driver::Options options;
  bool runCommand = argc > 1 && std::string(argv[1]) == "run";
  if (runCommand) {
    options.lastPass = 5;
    --argc;
    ++argv;
    argv[0] = const_cast<char*>("stp2bpf run");
  }

  CLI::App app{"stp2bpf: translate SystemTap scripts to BPF (bpftrace or BPF C) and run them",
               "stp2bpf"};
  app.footer(
      "Passes (-p): 1 parse, 2 elaborate, 3 translate, 4 compile and load into the kernel, "
      "5 run.\nArguments after the script are the script's $1, $2, ... (use -- before "
      "arguments that start with '-').\nstp2bpf run [OPTIONS] SCRIPT [ARGS...]: translate and run "
      "(-p5).\nstp2bpf port [OPTIONS] DIR... -o OUTDIR [--report R.json]: port every .stp "
      "file of a tree, with a JSON report (see stp2bpf port --help).");
  std::vector<std::string> positionals;
  std::string scriptText;
  bool showVersion = false;
  int pass = 0;
  std::vector<std::string> defines;
  app.add_option("-p", pass, "Stop after pass N (1-5)")->check(CLI::Range(1, 5));
  app.add_option("-e", scriptText, "Run the given script text instead of a file");
  app.add_option("-I", options.includeDirs, "Add a tapset directory")->allow_extra_args(false);
  app.add_option("-D", defines, "Define a limit, e.g. -D MAXACTION=10000")->allow_extra_args(false);
  app.add_flag("-g", options.guru, "Guru mode: accept embedded C (it is parsed, never run)");
  app.add_flag("-v", options.verbose, "More verbose output (repeatable)");
  app.add_option("-o", options.outputFile, "Write the output to FILE");
  app.add_option("-x", options.targetPid, "Set target() to PID");
  app.add_option("-c", options.command, "Start CMD; target() is its pid; exit when it exits");
  app.add_option("--target", options.target,
                 "Translation target: bpftrace or c (or 'lowered': the program after lowering, for debugging)")
      ->check(CLI::IsMember({"bpftrace", "c", "lowered"}));
  app.add_option("--backend", options.backend, "How 'run' executes: bpftrace or native")
      ->check(CLI::IsMember({"bpftrace", "native"}));
  app.add_flag("-V,--version", showVersion, "Print the version and exit");
  app.add_option("script", positionals, "SCRIPT [ARGS...]");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "stp2bpf: " << e.what() << '\n' << kUsage;
    return 2;
  }
  if (showVersion) {
    std::cout << kVersion << '\n';
    return 0;
  }
  if (pass) options.lastPass = pass;
  for (const std::string& d : defines) {
    size_t eq = d.find('=');
    options.defines[d.substr(0, eq)] = eq == std::string::npos ? "" : d.substr(eq + 1);
  }
  if (!scriptText.empty() || app.count("-e")) {
    options.scriptText = scriptText;
    options.scriptArgs = positionals;
  } else if (positionals.empty()) {
    std::cerr << "stp2bpf: no script given\n" << kUsage;
    return 2;
  } else {
    options.scriptFile = positionals[0];
    options.scriptArgs.assign(positionals.begin() + 1, positionals.end());
  }
  if (const char* tapset = std::getenv("SYSTEMTAP_TAPSET")) options.tapsetRoot = tapset;
  options.colour = isatty(STDERR_FILENO) && !std::getenv("NO_COLOR");

  stp2bpf::driver::Driver driver(std::move(options));
  return driver.run(std::cout, std::cerr);
}
