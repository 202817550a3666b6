// stp2bpf port: a whole tree of scripts through pass 3.
//
// Each script is translated by a child process of this same binary (`stp2bpf -p3 SCRIPT -o
// OUT`), so a crash or a hang in one translation is that script's outcome, not the port's:
// the child is killed at the time limit, its stderr is the script's diagnostics.  Children
// run in parallel (one per core by default); results are collected and reported in file
// order, so the report and the progress lines do not depend on scheduling.
#include "port.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <nlohmann/json.hpp>
#include <thread>

#include "driver/stap_command.h"

extern char** environ;

namespace stp2bpf::port {

namespace {

namespace fs = std::filesystem;
// ordered: the report reads in the order written (path and status first), not alphabetically.
using json = nlohmann::ordered_json;

constexpr const char* kPortUsage =
    "Usage: stp2bpf port [OPTIONS] DIR... -o OUTDIR [--report R.json]\n"
    "Try 'stp2bpf port --help' for more information.\n";

// Test seam: the program run for each script instead of this binary (tests use it to see
// how a crashing translator is reported).
constexpr const char* kTranslatorEnv = "STP2BPF_PORT_TRANSLATOR";

// A translator's stderr beyond this is dropped (and said so): a runaway child must not
// make the port run out of memory.
constexpr size_t kMaxStderr = 4 << 20;

// What stays of a crashed or timed-out child's stderr in the report (its end says most).
constexpr size_t kStderrTail = 4096;

struct PortOptions {
  std::vector<std::string> inputs;
  std::string outDir;
  std::string report;
  std::string target = "bpftrace";
  std::vector<std::string> includeDirs;
  std::vector<std::string> defines;
  bool guru = false;
  int verbose = 0;
  unsigned jobs = 0;
  double timeout = 120;
};

enum class Status { Ported, Failed, Timeout, Crashed };
const char* const kStatusNames[] = {"ported", "failed", "timeout", "crashed"};
const char* statusName(Status s) { return kStatusNames[static_cast<int>(s)]; }

struct Diag {
  std::string file;  // "" for a diagnostic about no file
  int line = 0;      // 0: no line
  int column = 0;
  std::string severity;
  std::string message;
};

struct Script {
  std::string path;      // as found: DIR/relative
  std::string relative;  // below its DIR, '/'-separated
  std::string outBase;   // OUTDIR/relative without ".stp"
  driver::MetaCommand meta;
  std::vector<std::string> argv;  // the child's command line
  std::string primaryOutput;      // what -o names
  std::vector<std::string> ownOutputs;  // every file only this script writes
  std::string sharedOutput;       // C: the runtime header beside it ("" for bpftrace)
};

struct Outcome {
  Status status = Status::Failed;
  int exitCode = -1;  // -1: not exited
  int signal = 0;
  double seconds = 0;
  std::string err;
  bool errTruncated = false;
  pid_t pid = 0;
  std::string spawnError;  // the child could not be started
  bool done = false;
};

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// Runs one translation: stdin and stdout are /dev/null (the output goes to -o), stderr is
// captured.  posix_spawn rather than fork: several worker threads start children at once.
void runChild(const std::vector<std::string>& argv, double timeout, Outcome& out) {
  double start = now();
  int pipeFds[2];
  if (pipe2(pipeFds, O_CLOEXEC) != 0) {
    out.spawnError = std::string("pipe: ") + std::strerror(errno);
    return;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipeFds[1], STDERR_FILENO);
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, cargv[0], &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipeFds[1]);
  if (rc != 0) {
    close(pipeFds[0]);
    out.spawnError = "cannot run " + argv[0] + ": " + std::strerror(rc);
    return;
  }
  out.pid = pid;

  double deadline = start + timeout;
  struct pollfd pfd = {pipeFds[0], POLLIN, 0};
  char buf[8192];
  for (;;) {
    double left = deadline - now();
    if (left <= 0) {
      out.status = Status::Timeout;
      break;
    }
    int r = poll(&pfd, 1, static_cast<int>(left * 1000) + 1);
    if (r < 0 && errno != EINTR) break;
    if (r <= 0) continue;
    ssize_t n = read(pipeFds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EOF: the child is exiting (or closed stderr itself)
    size_t room = kMaxStderr - std::min(kMaxStderr, out.err.size());
    out.err.append(buf, std::min(room, static_cast<size_t>(n)));
    if (static_cast<size_t>(n) > room) out.errTruncated = true;
  }
  close(pipeFds[0]);
  // A child that closed stderr may still be running: the time limit holds until it exits.
  int status = 0;
  for (;;) {
    pid_t w = out.status == Status::Timeout ? 0 : waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) break;
    if (out.status == Status::Timeout || now() >= deadline) {
      out.status = Status::Timeout;
      kill(pid, SIGKILL);
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    usleep(2000);
  }
  out.seconds = now() - start;
  if (out.status == Status::Timeout) return;
  if (WIFSIGNALED(status)) {
    out.signal = WTERMSIG(status);
    out.status = Status::Crashed;
  } else if (WIFEXITED(status)) {
    out.exitCode = WEXITSTATUS(status);
    out.status = out.exitCode == 0 ? Status::Ported : Status::Failed;
  }
}

// `FILE:LINE:COL: SEVERITY: MESSAGE`, `FILE: SEVERITY: MESSAGE` or `SEVERITY: MESSAGE`, as
// Diagnostics::printOne and the driver write them (never coloured: stderr is a pipe).
bool parseDiagnostic(const std::string& text, Diag& d) {
  static const char* const kSeverities[] = {"error", "warning", "note"};
  size_t best = std::string::npos;
  for (const char* sev : kSeverities) {
    std::string tag = std::string(sev) + ": ";
    size_t at = text.compare(0, tag.size(), tag) == 0 ? 0 : text.find(": " + tag);
    if (at == std::string::npos || (best != std::string::npos && at >= best)) continue;
    best = at;
    d.severity = sev;
    d.message = text.substr(at == 0 ? tag.size() : at + 2 + tag.size());
  }
  if (best == std::string::npos) return false;
  std::string prefix = text.substr(0, best);
  d.file.clear();
  d.line = d.column = 0;
  auto number = [](const std::string& s) {
    return !s.empty() && s.size() < 10 && std::all_of(s.begin(), s.end(), ::isdigit);
  };
  size_t c2 = prefix.rfind(':');
  size_t c1 = c2 == std::string::npos || c2 == 0 ? std::string::npos : prefix.rfind(':', c2 - 1);
  if (c1 != std::string::npos && number(prefix.substr(c1 + 1, c2 - c1 - 1)) && number(prefix.substr(c2 + 1))) {
    d.file = prefix.substr(0, c1);
    d.line = std::stoi(prefix.substr(c1 + 1, c2 - c1 - 1));
    d.column = std::stoi(prefix.substr(c2 + 1));
  } else if (prefix != "stp2bpf") {  // "stp2bpf: error: ..." is about no file
    d.file = prefix;
  }
  return true;
}

// The caret line under a source excerpt: blanks, '^', then '~'s.
bool isMarkerLine(const std::string& line) {
  size_t i = line.find_first_not_of(" \t");
  if (i == std::string::npos || line[i] != '^') return false;
  return line.find_first_not_of('~', i + 1) == std::string::npos;
}

std::vector<Diag> parseDiagnostics(const std::string& err) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < err.size()) {
    size_t nl = err.find('\n', pos);
    if (nl == std::string::npos) nl = err.size();
    lines.push_back(err.substr(pos, nl - pos));
    pos = nl + 1;
  }
  std::vector<Diag> out;
  for (size_t i = 0; i < lines.size(); ++i) {
    Diag d;
    if (!parseDiagnostic(lines[i], d)) continue;
    out.push_back(d);
    // Skip the quoted source line and its caret line: the source may say anything.
    if (d.line && i + 2 < lines.size() && isMarkerLine(lines[i + 2])) i += 2;
  }
  return out;
}

json diagJson(const Diag& d) {
  json j;
  j["file"] = d.file.empty() ? json(nullptr) : json(d.file);
  j["line"] = d.line ? json(d.line) : json(nullptr);
  j["column"] = d.column ? json(d.column) : json(nullptr);
  j["severity"] = d.severity;
  j["message"] = d.message;
  return j;
}

// A diagnostic for a progress line, its file left out when it is the script itself.
std::string located(const Diag& d, const std::string& script) {
  std::string s;
  if (!d.file.empty() && d.file != script) s += d.file + ":";
  if (d.line) s += std::to_string(d.line) + ":" + std::to_string(d.column) + ":";
  return s.empty() ? d.message : s + " " + d.message;
}

// A message as a histogram key: positions inside it ("the block started at 31:31") are
// written `LINE:COL`, so that the same construct in two scripts counts once.
std::string withoutPositions(std::string message) {
  const std::string at = " at ";
  for (size_t i = message.find(at); i != std::string::npos; i = message.find(at, i + 1)) {
    size_t a = i + at.size(), b = a;
    while (b < message.size() && std::isdigit(static_cast<unsigned char>(message[b]))) ++b;
    if (b == a || b >= message.size() || message[b] != ':') continue;
    size_t c = b + 1;
    while (c < message.size() && std::isdigit(static_cast<unsigned char>(message[c]))) ++c;
    if (c == b + 1) continue;
    message.replace(a, c - a, "LINE:COL");
  }
  return message;
}

bool writeAtomically(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp." + std::to_string(getpid());
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    f.close();
    if (!f) {
      std::remove(tmp.c_str());
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return false;
  }
  return true;
}

// The .stp files of every input (a directory, walked recursively, or one file), sorted by
// relative path within each input.  Returns false on a usage error (reported on stderr).
bool collectScripts(const PortOptions& o, std::vector<Script>& scripts) {
  for (const std::string& input : o.inputs) {
    std::error_code ec;
    fs::file_status st = fs::status(input, ec);
    std::vector<Script> found;
    if (fs::is_regular_file(st)) {
      Script s;
      s.path = input;
      s.relative = fs::path(input).filename().string();
      found.push_back(s);
    } else if (fs::is_directory(st)) {
      for (auto it = fs::recursive_directory_iterator(input, fs::directory_options::skip_permission_denied, ec);
           !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        if (it->path().extension() != ".stp" || !it->is_regular_file(ec)) continue;
        Script s;
        s.path = it->path().string();
        s.relative = it->path().lexically_relative(input).generic_string();
        found.push_back(s);
      }
      if (ec) {
        std::cerr << "stp2bpf port: error: cannot list " << input << ": " << ec.message() << '\n';
        return false;
      }
    } else {
      std::cerr << "stp2bpf port: error: no such directory: " << input << '\n' << kPortUsage;
      return false;
    }
    std::sort(found.begin(), found.end(),
              [](const Script& a, const Script& b) { return a.relative < b.relative; });
    scripts.insert(scripts.end(), found.begin(), found.end());
  }
  // Two inputs with the same relative path would write the same output.
  std::map<std::string, std::string> seen;
  for (const Script& s : scripts) {
    auto [it, fresh] = seen.emplace(s.relative, s.path);
    if (!fresh) {
      std::cerr << "stp2bpf port: error: " << it->second << " and " << s.path
                << " would both be ported to " << o.outDir << "/" << s.relative << '\n';
      return false;
    }
  }
  return true;
}

// The child's command line and the files it writes (as `-o X.bt` / `-o X.bpf.c` does).
void plan(const PortOptions& o, const std::string& self, Script& s) {
  std::string rel = s.relative.substr(0, s.relative.size() - std::strlen(".stp"));
  s.outBase = (fs::path(o.outDir) / rel).string();
  if (o.target == "c") {
    s.primaryOutput = s.outBase + ".bpf.c";
    s.ownOutputs = {s.primaryOutput, s.outBase + ".h", s.outBase + ".json"};
    s.sharedOutput = (fs::path(s.outBase).parent_path() / "stp2bpf.bpf.h").string();
  } else {
    s.primaryOutput = s.outBase + ".bt";
    s.ownOutputs = {s.primaryOutput};
  }
  s.meta = driver::metaCommandFor(s.path);
  s.argv = {self, "-p3", "--target=" + o.target};
  if (o.guru || (s.meta.usable && s.meta.guru)) s.argv.push_back("-g");
  for (int i = 0; i < o.verbose; ++i) s.argv.push_back("-v");
  std::vector<std::string> dirs = o.includeDirs;
  if (s.meta.usable) dirs.insert(dirs.end(), s.meta.includeDirs.begin(), s.meta.includeDirs.end());
  for (const std::string& d : dirs) s.argv.insert(s.argv.end(), {"-I", d});
  for (const std::string& d : o.defines) s.argv.insert(s.argv.end(), {"-D", d});
  s.argv.insert(s.argv.end(), {"-o", s.primaryOutput, "--", s.path});
  if (s.meta.usable) s.argv.insert(s.argv.end(), s.meta.args.begin(), s.meta.args.end());
}

std::string selfPath() {
  if (const char* t = std::getenv(kTranslatorEnv); t && *t) return t;
  std::error_code ec;
  fs::path p = fs::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("stp2bpf") : p.string();
}

}  // namespace

int portMain(int argc, char** argv) {
  PortOptions o;
  CLI::App app{"stp2bpf port: translate every .stp file under each DIR into OUTDIR (same "
               "relative paths) and report what ported and what blocks the rest",
               "stp2bpf port"};
  app.footer(
      "Each script is translated as `stp2bpf -p3 SCRIPT -o OUT` would, in a child process "
      "with a time limit.  A script's $1, @1, ... come from the `test_check:` line of the "
      ".meta file beside it (SystemTap's examples have one), with its -I and -g; without "
      "one it gets no arguments.\nExit status: 0 the port ran (the report says which "
      "scripts failed), 1 a script crashed or timed out, 2 a usage error.");
  std::vector<std::string> defines;
  app.add_option("DIR", o.inputs, "Directories to walk for .stp files (or single .stp files)")->required();
  app.add_option("-o", o.outDir, "Output directory")->required();
  app.add_option("--report", o.report, "Write the JSON report to FILE (default OUTDIR/port-report.json)");
  app.add_option("--target", o.target, "Translation target: bpftrace (X.bt) or c (X.bpf.c, X.h, X.json)")
      ->check(CLI::IsMember({"bpftrace", "c"}));
  app.add_option("-I", o.includeDirs, "Add a tapset directory")->allow_extra_args(false);
  app.add_option("-D", o.defines, "Define a limit, e.g. -D MAXACTION=10000")->allow_extra_args(false);
  app.add_flag("-g", o.guru, "Guru mode for every script (a .meta test_check with -g gives it to one)");
  app.add_flag("-v", o.verbose, "Pass -v to each translation (its notes land in the report)");
  app.add_option("-j,--jobs", o.jobs, "Translations run at once (default: one per core)")
      ->check(CLI::PositiveNumber);
  app.add_option("--timeout", o.timeout, "Seconds one translation may take (default 120)")
      ->check(CLI::PositiveNumber);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "stp2bpf port: " << e.what() << '\n' << kPortUsage;
    return 2;
  }
  if (o.report.empty()) o.report = (fs::path(o.outDir) / "port-report.json").string();
  if (!o.jobs) o.jobs = std::max(1u, std::thread::hardware_concurrency());

  std::vector<Script> scripts;
  if (!collectScripts(o, scripts)) return 2;
  std::string self = selfPath();
  for (Script& s : scripts) plan(o, self, s);
  // The output directories must exist before the children write; those made here and left
  // empty (every script in them failed) are removed at the end.
  std::error_code ec;
  std::set<std::string> madeDirs;
  for (const Script& s : scripts) {
    fs::path dir = fs::path(s.primaryOutput).parent_path();
    for (fs::path d = dir; !d.empty() && !fs::exists(d, ec); d = d.parent_path()) madeDirs.insert(d.string());
    fs::create_directories(dir, ec);
    if (ec) {
      std::cerr << "stp2bpf port: error: cannot create " << dir.string() << ": " << ec.message() << '\n';
      return 1;
    }
  }

  // Workers take scripts in order; the main thread prints each result in order as soon as
  // it and all before it are done.
  std::vector<Outcome> outcomes(scripts.size());
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::thread> workers;
  double started = now();
  for (unsigned w = 0; w < std::min<size_t>(o.jobs, scripts.size()); ++w)
    workers.emplace_back([&] {
      for (size_t i; (i = next++) < scripts.size();) {
        Outcome r;
        runChild(scripts[i].argv, o.timeout, r);
        std::lock_guard<std::mutex> lock(mu);
        outcomes[i] = std::move(r);
        outcomes[i].done = true;
        cv.notify_all();
      }
    });

  json report;
  report["target"] = o.target;
  report["inputs"] = o.inputs;
  report["output_dir"] = o.outDir;
  report["scripts"] = json::array();
  std::map<Status, int> counts;
  std::map<std::string, std::vector<std::string>> firstErrors;  // message -> scripts
  size_t width = std::to_string(scripts.size()).size();
  for (size_t i = 0; i < scripts.size(); ++i) {
    {
      std::unique_lock<std::mutex> lock(mu);
      cv.wait(lock, [&] { return outcomes[i].done; });
    }
    const Script& s = scripts[i];
    Outcome& r = outcomes[i];
    std::vector<Diag> diags = parseDiagnostics(r.err);
    if (!r.spawnError.empty()) diags.push_back({"", 0, 0, "error", r.spawnError});
    if (r.status == Status::Ported && !fs::exists(s.primaryOutput)) {
      r.status = Status::Failed;
      diags.push_back({"", 0, 0, "error", "the translator exited 0 but wrote no " + s.primaryOutput});
    }
    // Nothing of a script that did not port stays behind: not a previous port's output,
    // not a killed child's temporary file.
    std::vector<std::string> outputs;
    if (r.status != Status::Ported)
      for (const std::string& f : s.ownOutputs) fs::remove(f, ec);
    if (r.pid)
      for (std::string f : s.ownOutputs) fs::remove(f + ".tmp." + std::to_string(r.pid), ec);
    if (r.pid && !s.sharedOutput.empty()) fs::remove(s.sharedOutput + ".tmp." + std::to_string(r.pid), ec);
    if (r.status == Status::Ported) {
      outputs = s.ownOutputs;
      if (!s.sharedOutput.empty()) outputs.push_back(s.sharedOutput);
    }
    counts[r.status]++;

    json j;
    j["path"] = s.path;
    j["relative"] = s.relative;
    j["status"] = statusName(r.status);
    j["arguments"] = s.meta.usable ? s.meta.args : std::vector<std::string>{};
    j["arguments_from"] =
        s.meta.usable ? json(s.meta.metaName + " test_check: " + s.meta.command) : json(nullptr);
    if (!s.meta.command.empty() && !s.meta.usable) j["arguments_note"] = s.meta.problem + " (translated without arguments)";
    j["outputs"] = outputs;
    j["diagnostics"] = json::array();
    int errors = 0, warnings = 0;
    const Diag* firstError = nullptr;
    for (const Diag& d : diags) {
      j["diagnostics"].push_back(diagJson(d));
      if (d.severity == "warning") ++warnings;
      if (d.severity == "error" && !errors++) firstError = &d;
    }
    j["errors"] = errors;
    j["warnings"] = warnings;
    j["seconds"] = std::round(r.seconds * 1000) / 1000;
    if (r.exitCode >= 0) j["exit_status"] = r.exitCode;
    if (r.signal) j["signal"] = strsignal(r.signal);
    if (r.errTruncated) j["stderr_truncated"] = true;
    if (r.status == Status::Crashed || r.status == Status::Timeout)
      j["stderr_tail"] = r.err.size() > kStderrTail ? r.err.substr(r.err.size() - kStderrTail) : r.err;

    // The progress line: status, script, then what decided it.
    std::string detail;
    if (r.status == Status::Ported) {
      detail = "-> " + s.primaryOutput;
      if (warnings) detail += " (" + std::to_string(warnings) + " warning" + (warnings > 1 ? "s" : "") + ")";
    } else if (r.status == Status::Failed) {
      std::string message = firstError ? withoutPositions(firstError->message) : "exit status " + std::to_string(r.exitCode) + " without an error message";
      firstErrors[message].push_back(s.relative);
      detail = firstError ? located(*firstError, s.path) : message;
    } else if (r.status == Status::Crashed) {
      detail = std::string("killed by ") + strsignal(r.signal);
    } else {
      detail = "no result after " + std::to_string(static_cast<int>(o.timeout)) + " s";
    }
    char head[64];
    std::snprintf(head, sizeof head, "[%*zu/%zu] %-7s ", static_cast<int>(width), i + 1, scripts.size(),
                  statusName(r.status));
    // "SCRIPT:LINE:COL: message" where the first error is in the script itself.
    bool inScript = firstError && r.status == Status::Failed && firstError->file == s.path && firstError->line;
    std::cout << head << s.relative << (inScript ? ":" : ": ") << detail << '\n' << std::flush;
    report["scripts"].push_back(std::move(j));
  }
  for (std::thread& t : workers) t.join();
  double seconds = now() - started;

  // The histogram of first errors: most scripts first, then by message.
  std::vector<std::pair<std::string, std::vector<std::string>>> blockers(firstErrors.begin(), firstErrors.end());
  std::stable_sort(blockers.begin(), blockers.end(),
                   [](const auto& a, const auto& b) { return a.second.size() > b.second.size(); });
  json summary;
  summary["scripts"] = scripts.size();
  for (Status st : {Status::Ported, Status::Failed, Status::Timeout, Status::Crashed})
    summary[statusName(st)] = counts[st];
  summary["seconds"] = std::round(seconds * 100) / 100;
  summary["first_errors"] = json::array();
  for (const auto& [message, names] : blockers)
    summary["first_errors"].push_back({{"message", message}, {"count", names.size()}, {"scripts", names}});
  report["summary"] = summary;

  char totals[256];
  std::snprintf(totals, sizeof totals, "%zu scripts: %d ported, %d failed, %d timeout, %d crashed (%.1f s)",
                scripts.size(), counts[Status::Ported], counts[Status::Failed], counts[Status::Timeout],
                counts[Status::Crashed], seconds);
  std::cout << totals << '\n';
  // The few constructs that block most scripts, so the summary says where to start.
  constexpr size_t kShownBlockers = 5;
  for (size_t b = 0; b < std::min(kShownBlockers, blockers.size()); ++b)
    std::cout << "  " << blockers[b].second.size() << " x " << blockers[b].first << '\n';

  // Deepest first, so that a parent emptied by its children's removal goes too.
  for (auto d = madeDirs.rbegin(); d != madeDirs.rend(); ++d)
    if (fs::is_empty(*d, ec)) fs::remove(*d, ec);

  fs::path reportDir = fs::path(o.report).parent_path();
  if (!reportDir.empty()) fs::create_directories(reportDir, ec);
  if (!writeAtomically(o.report, report.dump(2) + "\n")) {
    std::cerr << "stp2bpf port: error: cannot write the report " << o.report << '\n';
    return 1;
  }
  std::cout << "report: " << o.report << '\n';
  return counts[Status::Timeout] || counts[Status::Crashed] ? 1 : 0;
}

}  // namespace stp2bpf::port
