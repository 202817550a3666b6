#include "runtime_support.h"

#include <bpf/bpf.h>
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace stp2bpf::bench {

double now() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

double median(std::vector<double> values) {
  if (values.empty()) return -1;
  std::sort(values.begin(), values.end());
  size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

int repetitions(int argc, char** argv, int fallback) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--reps=", 0) == 0) {
      int n = std::atoi(a.c_str() + 7);
      if (n > 0) return n;
    }
  }
  return fallback;
}

// ---------------------------------------------------------------- Child

Child::~Child() {
  if (running()) {
    kill(-pid_, SIGKILL);
    reap(true);
  }
  if (outFd_ >= 0) close(outFd_);
  if (errFd_ >= 0) close(errFd_);
}

bool Child::start(const std::vector<std::string>& argv, const Options& options) {
  markers_ = options.markers;
  markerTimes_.assign(markers_.size(), -1);
  std::vector<char*> cargv;
  for (const std::string& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  // Built before fork: the child only calls async-signal-safe functions and exec.
  std::vector<std::string> envStrings = options.env;
  auto exec = [&]() {
    for (std::string& e : envStrings) putenv(e.data());
    execvp(cargv[0], cargv.data());
    std::fprintf(stderr, "cannot run %s: %s\n", cargv[0], std::strerror(errno));
    _exit(127);
  };

  if (options.terminal) {
    // A terminal big enough for a 22-row board and its status line.
    winsize size{};
    size.ws_row = 40;
    size.ws_col = 120;
    int master = -1;
    start_ = now();
    pid_ = forkpty(&master, nullptr, nullptr, &size);
    if (pid_ < 0) return false;
    if (pid_ == 0) exec();  // forkpty made it a session (and process group) leader
    outFd_ = master;
    fcntl(outFd_, F_SETFD, FD_CLOEXEC);
    return true;
  }

  int outPipe[2], errPipe[2];
  if (pipe2(outPipe, O_CLOEXEC) != 0) return false;
  if (pipe2(errPipe, O_CLOEXEC) != 0) {
    close(outPipe[0]);
    close(outPipe[1]);
    return false;
  }
  start_ = now();
  pid_ = fork();
  if (pid_ < 0) return false;
  if (pid_ == 0) {
    setpgid(0, 0);  // so that a hard kill reaches whatever it starts
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, STDIN_FILENO);
    dup2(outPipe[1], STDOUT_FILENO);
    dup2(errPipe[1], STDERR_FILENO);
    exec();
  }
  setpgid(pid_, pid_);
  close(outPipe[1]);
  close(errPipe[1]);
  outFd_ = outPipe[0];
  errFd_ = errPipe[0];
  return true;
}

void Child::absorb(std::string& into, const char* data, size_t n) {
  size_t before = into.size();
  into.append(data, n);
  if (&into != &out_) return;
  double t = now() - start_;
  for (size_t i = 0; i < markers_.size(); ++i) {
    if (markerTimes_[i] >= 0) continue;
    // A marker may straddle two reads: look back by its length.
    size_t from = before >= markers_[i].size() ? before - markers_[i].size() + 1 : 0;
    if (out_.find(markers_[i], from) != std::string::npos) markerTimes_[i] = t;
  }
}

void Child::reap(bool block) {
  if (pid_ <= 0 || exitTime_ >= 0) return;
  int status = 0;
  pid_t r;
  do {
    r = waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (r < 0 && errno == EINTR);
  if (r != pid_) return;
  exitTime_ = now() - start_;
  status_ = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

bool Child::pump(double seconds) {
  double until = now() + seconds;
  char buf[16384];
  for (;;) {
    pollfd fds[2] = {{outFd_, POLLIN, 0}, {errFd_, POLLIN, 0}};
    int open = (outFd_ >= 0) + (errFd_ >= 0);
    if (open == 0) {
      // All output read: the child has closed its ends (normally, by exiting).
      reap(true);
      return false;
    }
    double left = until - now();
    if (left < 0) left = 0;
    // Short slices: the exit is noticed even if something else keeps a pipe open.
    int ms = static_cast<int>(std::min(left, 0.01) * 1000);
    int r = poll(fds, 2, ms);
    if (r < 0 && errno != EINTR) return false;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buf, sizeof buf);
      if (n > 0) {
        absorb(i == 0 ? out_ : err_, buf, static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      // EOF, or EIO from a terminal whose other side has closed.
      close(fds[i].fd);
      (i == 0 ? outFd_ : errFd_) = -1;
    }
    reap(false);
    if (now() >= until) return true;
  }
}

bool Child::waitForMarkers(double timeout) {
  double until = now() + timeout;
  auto allSeen = [&] {
    return std::all_of(markerTimes_.begin(), markerTimes_.end(), [](double t) { return t >= 0; });
  };
  while (!allSeen()) {
    double left = until - now();
    if (left <= 0) return false;
    if (!pump(std::min(left, 0.01))) return allSeen();
  }
  return true;
}

int Child::wait(double timeout) {
  double until = now() + timeout;
  while (pump(0.01)) {
    if (now() >= until) {
      kill(-pid_, SIGKILL);
      timedOut_ = true;
      reap(true);
      break;
    }
  }
  reap(true);
  return status_;
}

void Child::signal(int sig) {
  if (running()) kill(pid_, sig);
}

void Child::type(const std::string& keys) {
  if (outFd_ >= 0 && errFd_ < 0) (void)!write(outFd_, keys.data(), keys.size());
}

// ---------------------------------------------------------------- BPF programs

ProgramStats programById(uint32_t id) {
  ProgramStats s;
  s.id = id;
  int fd = bpf_prog_get_fd_by_id(id);
  if (fd < 0) return s;
  bpf_prog_info info{};
  uint32_t len = sizeof info;
  if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
    s.type = info.type;
    s.name = info.name;
    s.runTimeNs = info.run_time_ns;
    s.runCount = info.run_cnt;
    s.instructions = info.xlated_prog_len / 8;
  }
  close(fd);
  return s;
}

std::vector<ProgramStats> programsOf(pid_t pid) {
  std::vector<ProgramStats> out;
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  std::vector<uint32_t> ids;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char target[256];
    ssize_t n = readlink((dir + "/" + e->d_name).c_str(), target, sizeof target - 1);
    if (n <= 0) continue;
    target[n] = '\0';
    if (std::strcmp(target, "anon_inode:bpf-prog") != 0) continue;
    std::ifstream info("/proc/" + std::to_string(pid) + "/fdinfo/" + e->d_name);
    std::string line;
    while (std::getline(info, line))
      if (line.rfind("prog_id:", 0) == 0) ids.push_back(static_cast<uint32_t>(std::strtoul(line.c_str() + 8, nullptr, 10)));
  }
  closedir(d);
  // A program may be held by several descriptors; count it once.
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  for (uint32_t id : ids) out.push_back(programById(id));
  return out;
}

StatsEnabler::StatsEnabler() {
  fd_ = bpf_enable_stats(BPF_STATS_RUN_TIME);
  if (fd_ >= 0) {
    ok_ = true;
    return;
  }
  std::string why = std::string("BPF_ENABLE_STATS: ") + std::strerror(errno);
  const char* path = "/proc/sys/kernel/bpf_stats_enabled";
  std::ifstream in(path);
  std::getline(in, previous_);
  std::ofstream out(path);
  out << "1\n";
  out.close();
  if (!out) {
    error_ = why + "; writing " + path + " failed too";
    previous_.clear();
    return;
  }
  ok_ = true;
}

StatsEnabler::~StatsEnabler() {
  if (fd_ >= 0) close(fd_);
  if (!previous_.empty()) {
    std::ofstream out("/proc/sys/kernel/bpf_stats_enabled");
    out << previous_ << "\n";
  }
}

std::string machineLoad() {
  std::ifstream in("/proc/loadavg");
  std::string oneMinute;
  in >> oneMinute;
  return "load average " + (oneMinute.empty() ? std::string("?") : oneMinute) + " on " +
         std::to_string(sysconf(_SC_NPROCESSORS_ONLN)) + " CPUs";
}

bool bpfAvailableOrSkip() {
  if (geteuid() == 0) return true;
  std::printf("SKIPPED: not root (loading BPF programs needs root)\n");
  return false;
}

// ---------------------------------------------------------------- output

void Table::row(const std::string& what, const std::string& measured, const std::string& baseline,
                const std::string& ratio, const std::string& goal, const std::string& verdict) {
  rows_.push_back({what, measured, baseline, ratio, goal, verdict});
}

void Table::print() const {
  std::vector<std::vector<std::string>> all = {{"", "measured", "baseline", "ratio", "goal", "result"}};
  all.insert(all.end(), rows_.begin(), rows_.end());
  std::vector<size_t> width(6, 0);
  for (const auto& r : all)
    for (size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
  std::printf("\n%s\n", title_.c_str());
  for (size_t k = 0; k < all.size(); ++k) {
    std::string line;
    for (size_t i = 0; i < all[k].size(); ++i) {
      const std::string& c = all[k][i];
      std::string pad(width[i] - c.size(), ' ');
      // The first column reads left to right; figures line up on the right.
      line += i == 0 ? c + pad : "  " + pad + c;
    }
    std::printf("  %s\n", line.c_str());
    if (k == 0) std::printf("  %s\n", std::string(line.size(), '-').c_str());
  }
  for (const std::string& n : notes_) std::printf("  note: %s\n", n.c_str());
  std::printf("  machine: %s (1-minute average, as the table was printed)\n", machineLoad().c_str());
  std::fflush(stdout);
}

std::string milliseconds(double seconds) {
  if (seconds < 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f ms", seconds * 1000);
  return buf;
}

std::string ratio(double a, double b) {
  if (a < 0 || b <= 0) return "-";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2fx", a / b);
  return buf;
}

std::string verdict(bool pass) { return pass ? "PASS" : "MISS"; }

std::string withSeparators(uint64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

}  // namespace stp2bpf::bench
