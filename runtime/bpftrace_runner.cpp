#include "runtime/bpftrace_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <regex>
#include <sstream>

namespace stp2bpf::runtime {

const char* const kEndMarker = "__stp2bpf_end_of_output__";

namespace {

volatile sig_atomic_t childPid = 0;

void forwardSignal(int sig) {
  if (childPid > 0) kill(childPid, sig);
}

std::string tempScript(const std::string& text) {
  char path[] = "/tmp/stp2bpf-XXXXXX.bt";
  int fd = mkstemps(path, 3);
  if (fd < 0) return "";
  size_t off = 0;
  while (off < text.size()) {
    ssize_t n = write(fd, text.data() + off, text.size() - off);
    if (n <= 0) break;
    off += static_cast<size_t>(n);
  }
  close(fd);
  return path;
}

// Splits bpftrace's stdout as it arrives: ordinary bytes go to stdout at once; a line that
// starts like "ERROR: "/"WARNING: " or the end marker is held until complete.
class OutputFilter {
 public:
  explicit OutputFilter(std::ostream& err) : err_(err) {}
  bool sawError = false;

  void feed(const char* data, size_t n) {
    for (size_t i = 0; i < n; ++i) {
      if (ended_) return;
      char c = data[i];
      pending_ += c;
      if (c == '\n') {
        completeLine();
        continue;
      }
      if (!couldBeSpecial(pending_)) flushPending();
    }
  }
  void finish() {
    if (!ended_ && !pending_.empty()) flushPending();
    std::cout.flush();
  }

 private:
  static bool prefixOf(const std::string& s, const std::string& full) {
    return s.size() <= full.size() && full.compare(0, s.size(), s) == 0;
  }
  // True while the start of a line could still become a line we treat specially.
  bool couldBeSpecial(const std::string& s) const {
    if (!atLineStart_) return false;
    for (const char* special : {"ERROR: ", "WARNING: ", kEndMarker})
      if (prefixOf(s, special) || s.rfind(special, 0) == 0) return true;
    return false;
  }
  void completeLine() {
    if (atLineStart_ && pending_.rfind(kEndMarker, 0) == 0) {
      ended_ = true;  // everything after this is bpftrace's exit framing
      pending_.clear();
      return;
    }
    if (atLineStart_ && (pending_.rfind("ERROR: ", 0) == 0 || pending_.rfind("WARNING: ", 0) == 0)) {
      if (pending_.rfind("ERROR: ", 0) == 0) sawError = true;
      std::cout.flush();
      err_ << pending_;
      err_.flush();
      pending_.clear();
      atLineStart_ = true;
      return;
    }
    flushPending();
    atLineStart_ = true;
  }
  void flushPending() {
    std::cout.write(pending_.data(), static_cast<std::streamsize>(pending_.size()));
    std::cout.flush();
    if (!pending_.empty()) atLineStart_ = pending_.back() == '\n';
    pending_.clear();
  }

  std::ostream& err_;
  std::string pending_;
  bool atLineStart_ = true;
  bool ended_ = false;
};

// The bpftrace block that failed, and the loop comments inside it.
void explainLoadFailure(const BpftraceRun& run, const std::string& probe, const std::string& verifierLog,
                        std::ostream& err) {
  std::string limit;
  if (verifierLog.find("jumps is too complex") != std::string::npos)
    limit = "the verifier's limit of 8192 branches pending in one path (BPF_COMPLEXITY_LIMIT_JMP_SEQ)";
  else if (verifierLog.find("limit 1000000") != std::string::npos &&
           verifierLog.find("BPF program is too large") != std::string::npos)
    limit = "the verifier's limit of 1,000,000 processed instructions";
  else if (verifierLog.find("combined stack size") != std::string::npos ||
           verifierLog.find("stack") != std::string::npos)
    limit = "the BPF stack limit of 512 bytes";
  else
    limit = "a verifier limit";
  err << "stp2bpf: the kernel's verifier refused the bpftrace translation of " << run.stpName;
  if (!probe.empty()) err << " (probe " << probe << ")";
  err << ": " << limit << " was hit.\n";
  // Find the block and its loops in the script text.
  std::istringstream in(run.scriptText);
  std::string line, stpProbe;
  bool inside = false;
  std::vector<std::string> loops;
  std::string lastComment;
  while (std::getline(in, line)) {
    std::string trimmed = line.substr(std::min(line.find_first_not_of(' '), line.size()));
    if (!inside && !probe.empty() && trimmed.rfind(probe, 0) == 0) {
      inside = true;
      stpProbe = lastComment;
      continue;
    }
    if (trimmed.rfind("// ", 0) == 0) lastComment = trimmed.substr(3);
    if (inside) {
      if (line == "}") break;
      // The translation's comments on loops: script loops, foreach, histogram printing.
      if (trimmed.rfind("// ", 0) == 0 &&
          (trimmed.find(" loop, at most") != std::string::npos || trimmed.find("foreach over") != std::string::npos ||
           trimmed.find("(@hist_") != std::string::npos))
        loops.push_back(trimmed.substr(3));
    }
  }
  if (!stpProbe.empty()) err << "  the probe: " << stpProbe << "\n";
  if (!loops.empty()) {
    err << "  bpftrace 0.17 only has plain bounded loops, whose every iteration the verifier walks; "
           "the loops responsible:\n";
    bool maxaction = false, foreach = false;
    for (const std::string& l : loops) {
      err << "    " << l << "\n";
      maxaction |= l.find("MAXACTION") != std::string::npos;
      foreach |= l.find("foreach over") != std::string::npos;
    }
    if (maxaction) err << "  Loops bounded by MAXACTION verify faster with a smaller -D MAXACTION=N.\n";
    if (foreach) err << "  foreach loops verify faster with a smaller -D BPFTRACE_FOREACH_MAX=N (entries per array).\n";
  }
  err << "  The C target runs such loops as open-coded iterators, which verify in one pass: "
         "use `stp2bpf run " << run.stpName << "` (the native runtime) or --target=c.\n";
}

// bpftrace 0.17 looks the -c command's program up itself and refuses a name that matches
// more than one file (with /bin a link to /usr/bin, `cat` matches two): give it the first
// match on PATH, as a shell would run it.
std::string resolveCommand(const std::string& command) {
  size_t start = command.find_first_not_of(' ');
  if (start == std::string::npos) return command;
  size_t end = command.find(' ', start);
  std::string program = command.substr(start, end == std::string::npos ? std::string::npos : end - start);
  if (program.find('/') != std::string::npos) return command;
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::string full = (dir.empty() ? "." : dir) + "/" + program;
    if (access(full.c_str(), X_OK) == 0)
      return full + (end == std::string::npos ? "" : command.substr(end));
  }
  return command;
}

}  // namespace

int runBpftrace(const BpftraceRun& run, std::ostream& err) {
  std::string path = tempScript(run.scriptText);
  if (path.empty()) {
    err << "stp2bpf: error: cannot write a temporary file for bpftrace: " << std::strerror(errno) << "\n";
    return 1;
  }
  int outPipe[2], errPipe[2];
  if (pipe(outPipe) != 0 || pipe(errPipe) != 0) {
    err << "stp2bpf: error: pipe: " << std::strerror(errno) << "\n";
    unlink(path.c_str());
    return 1;
  }
  std::vector<std::string> argv = {run.bpftrace, "-q", "-B", "none"};
  if (!run.command.empty()) {
    argv.push_back("-c");
    argv.push_back(resolveCommand(run.command));
  }
  argv.push_back(path);
  for (const std::string& a : run.args) argv.push_back(a);

  pid_t pid = fork();
  if (pid == 0) {
    dup2(outPipe[1], STDOUT_FILENO);
    dup2(errPipe[1], STDERR_FILENO);
    close(outPipe[0]);
    close(errPipe[0]);
    setenv("BPFTRACE_STRLEN", std::to_string(run.stringLength).c_str(), 1);
    std::vector<char*> cargv;
    for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
    cargv.push_back(nullptr);
    execvp(cargv[0], cargv.data());
    std::fprintf(stderr, "stp2bpf: error: cannot run %s: %s\n", cargv[0], std::strerror(errno));
    _exit(127);
  }
  close(outPipe[1]);
  close(errPipe[1]);
  childPid = pid;
  struct sigaction sa {};
  sa.sa_handler = forwardSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);

  OutputFilter filter(err);
  std::string errText;
  fd_set fds;
  bool outOpen = true, errOpen = true;
  char buf[4096];
  while (outOpen || errOpen) {
    FD_ZERO(&fds);
    if (outOpen) FD_SET(outPipe[0], &fds);
    if (errOpen) FD_SET(errPipe[0], &fds);
    int r = select(std::max(outPipe[0], errPipe[0]) + 1, &fds, nullptr, nullptr, nullptr);
    if (r < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (outOpen && FD_ISSET(outPipe[0], &fds)) {
      ssize_t n = read(outPipe[0], buf, sizeof buf);
      if (n <= 0) outOpen = false;
      else filter.feed(buf, static_cast<size_t>(n));
    }
    if (errOpen && FD_ISSET(errPipe[0], &fds)) {
      ssize_t n = read(errPipe[0], buf, sizeof buf);
      if (n <= 0) errOpen = false;
      else errText.append(buf, static_cast<size_t>(n));
    }
  }
  filter.finish();
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  childPid = 0;
  unlink(path.c_str());

  // bpftrace's stderr, less the memlock notice that is harmless here (the kernel accounts
  // BPF memory to the cgroup) and its warnings about our own generated casts.
  std::istringstream lines(errText);
  std::string line;
  std::string failedProbe;
  static const std::regex loadError("ERROR: Error loading program: (\\S+)");
  bool loadFailed = false;
  while (std::getline(lines, line)) {
    if (line.find("couldn't set RLIMIT_MEMLOCK") != std::string::npos) continue;
    std::smatch m;
    if (std::regex_search(line, m, loadError)) {
      loadFailed = true;
      failedProbe = m[1];
      continue;
    }
    err << line << "\n";
  }
  if (loadFailed) {
    // Load again with -v to read the verifier's verdict (bpftrace 0.17 prints it only then).
    std::string vpath = tempScript(run.scriptText);
    std::string log;
    std::string cmd = "BPFTRACE_LOG_SIZE=100000000 timeout 120 " + run.bpftrace + " -v -q " + vpath + " 2>&1 </dev/null";
    if (FILE* p = popen(cmd.c_str(), "r")) {
      char b[4096];
      size_t n;
      while ((n = fread(b, 1, sizeof b, p)) > 0) log.append(b, n);
      pclose(p);
    }
    unlink(vpath.c_str());
    explainLoadFailure(run, failedProbe, log, err);
    return 1;
  }
  if (filter.sawError) return 1;
  if (WIFEXITED(status)) return WEXITSTATUS(status) == 0 ? 0 : 1;
  return 1;
}

}  // namespace stp2bpf::runtime
