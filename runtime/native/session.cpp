#include "common/cache_dir.h"
#include "runtime/native/session.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <wordexp.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/print_format.h"
#include "format/autoprint.h"
#include "format/printf.h"
#include "format/stats.h"
#include "runtime/native/compile.h"
#include "runtime/native/keyboard.h"

namespace stp2bpf::runtime {

using json = nlohmann::json;
namespace fmt = format;

namespace {

// ---------------------------------------------------------------- signals

volatile sig_atomic_t gStop = 0;
void onSignal(int) { gStop = 1; }

// system(cmd) (runtime/bpf/tapset.bpf.h's STP_EVENT_SYSTEM): SystemTap starts the command
// "in the background some time after the current probe completes", as the user running
// stap.  Forked twice, so that the shell is nobody's child here and leaves no zombie (the
// session waits only for its -c command).
void runInBackground(const std::string& command) {
  pid_t p = fork();
  if (p == 0) {
    if (fork() == 0) {
      execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    _exit(0);
  }
  if (p > 0)
    while (waitpid(p, nullptr, 0) < 0 && errno == EINTR) {
    }
}

// ---------------------------------------------------------------- manifest

struct ArgInfo {
  std::string type;  // long, string, interned
  size_t offset = 0, size = 0;
};

struct PrintSite {
  std::string kind;  // printf print println printd printdln warn error hist_log hist_linear
  std::string format;
  std::vector<FormatSpec> specs;
  std::vector<ArgInfo> args;
  std::string global;
  bool newline = false;  // println(@hist_*): a newline after the histogram
  size_t countOffset = 0, bucketsOffset = 0, buckets = 0;  // hist_*: the snapshot in the event
};

struct StatsFields {
  size_t count = 0, sum = 8, min = 16, max = 24;
  long logOffset = -1, linearOffset = -1;
  int linearCount = 0;
  int start = 0, stop = 0, interval = 0;
};

struct GlobalInfo {
  std::string name, type, kind, map;
  size_t offset = 0, size = 0, keySize = 0, valueSize = 0;
  size_t seqOffset = 0;  // arrays: the element's insertion number in the value
  std::vector<ArgInfo> keys;
  bool autoprint = false;
  StatsFields stats;
};

struct ProgramInfo {
  std::string name, kind, pp, line, section, system, event, function, path, emulation;
  int64_t priority = 0, periodNs = 0, sample = 0;
  std::string perfEvent;
  bool isReturn = false;
  std::vector<std::string> params;
};

struct Manifest {
  std::string script;
  int64_t strBuf = 128;
  std::vector<std::string> strings;
  std::vector<ProgramInfo> programs;
  std::vector<PrintSite> prints;
  std::vector<std::string> errors;
  std::vector<GlobalInfo> globals;
  size_t globalsSize = 0, lostOffset = 0;
};

Manifest parseManifest(const std::string& text) {
  json j = json::parse(text);
  Manifest m;
  m.script = j.value("script", "");
  m.strBuf = j.value("strbuf", 128);
  for (const auto& s : j["strings"]) m.strings.push_back(s.get<std::string>());
  for (const auto& p : j["programs"]) {
    ProgramInfo pi;
    pi.name = p["name"];
    pi.kind = p["kind"];
    pi.pp = p.value("pp", "");
    pi.line = p.value("line", "");
    pi.section = p.value("section", "");
    pi.priority = p.value("priority", 0);
    pi.periodNs = p.value("period_ns", 0);
    pi.system = p.value("system", "");
    pi.event = p.value("event", "");
    pi.function = p.value("function", "");
    pi.path = p.value("path", "");
    pi.emulation = p.value("emulation", "");
    pi.isReturn = p.value("return", false);
    pi.perfEvent = p.value("event", "");
    pi.sample = p.value("sample", 0);
    if (p.contains("params"))
      for (const auto& n : p["params"]) pi.params.push_back(n.get<std::string>());
    m.programs.push_back(pi);
  }
  for (const auto& p : j["prints"]) {
    PrintSite s;
    s.kind = p["kind"];
    s.format = p.value("format", "");
    if (s.kind == "printf" || s.kind == "warn" || s.kind == "error") {
      FormatParseError e;
      parsePrintFormat(s.format, s.specs, e);
    }
    if (p.contains("args"))
      for (const auto& a : p["args"])
        s.args.push_back({a["type"], a["offset"].get<size_t>(), a.value("size", size_t(8))});
    s.global = p.value("global", "");
    s.newline = p.value("newline", false);
    s.countOffset = p.value("count_offset", size_t(0));
    s.bucketsOffset = p.value("buckets_offset", size_t(0));
    s.buckets = p.value("buckets", size_t(0));
    m.prints.push_back(s);
  }
  for (const auto& e : j["errors"]) m.errors.push_back(e["message"]);
  for (const auto& g : j["globals"]) {
    GlobalInfo gi;
    gi.name = g["name"];
    gi.type = g["type"];
    gi.kind = g["kind"];
    gi.autoprint = g.value("autoprint", false);
    gi.offset = g.value("offset", size_t(0));
    gi.size = g.value("size", size_t(0));
    gi.map = g.value("map", "");
    gi.keySize = g.value("key_size", size_t(0));
    gi.valueSize = g.value("value_size", size_t(0));
    gi.seqOffset = g.value("seq_offset", size_t(0));
    if (g.contains("keys"))
      for (const auto& k : g["keys"]) gi.keys.push_back({k["type"], k["offset"].get<size_t>(), k["size"].get<size_t>()});
    if (g.contains("stats")) {
      const auto& s = g["stats"];
      if (s.contains("log")) gi.stats.logOffset = s["log"]["offset"];
      if (s.contains("linear")) {
        gi.stats.linearOffset = s["linear"]["offset"];
        gi.stats.linearCount = s["linear"]["count"];
      }
    }
    if (g.contains("linear")) {
      gi.stats.start = g["linear"]["start"];
      gi.stats.stop = g["linear"]["stop"];
      gi.stats.interval = g["linear"]["interval"];
    }
    m.globals.push_back(gi);
  }
  m.globalsSize = j.value("globals_size", size_t(0));
  m.lostOffset = j.value("lost_offset", size_t(0));
  return m;
}

// ---------------------------------------------------------------- compile cache

uint64_t fnv1a(const std::string& s, uint64_t h = 1469598103934665603ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return h;
}

std::string cacheDir() { return cacheDirectory(); }

std::string kernelRelease() {
  std::ifstream in("/proc/sys/kernel/osrelease");
  std::string r;
  std::getline(in, r);
  return r;
}

// ---------------------------------------------------------------- libbpf log

std::string* gLibbpfLog = nullptr;
int libbpfPrint(enum libbpf_print_level level, const char* format, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  // The verifier's log arrives as one message of up to megabytes: its end says why.
  va_list again;
  va_copy(again, args);
  int n = vsnprintf(nullptr, 0, format, again);
  va_end(again);
  if (n <= 0 || !gLibbpfLog) return n;
  std::string buf(static_cast<size_t>(n) + 1, '\0');
  vsnprintf(buf.data(), buf.size(), format, args);
  buf.resize(static_cast<size_t>(n));
  gLibbpfLog->append(buf);
  return n;
}

int perfEventOpen(perf_event_attr* attr, pid_t pid, int cpu) {
  return static_cast<int>(syscall(__NR_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC));
}

int onlineCpus() { return libbpf_num_possible_cpus(); }

// ---------------------------------------------------------------- the session

class Session {
 public:
  Session(const NativeProgram& program, const NativeOptions& options, std::ostream& err)
      : program_(program), options_(options), err_(err) {}

  ~Session() { cleanup(); }

  int run();

 private:
  bool compile(std::vector<char>& object);
  bool setConfig();
  bool runSyscallProgram(const std::string& name, const void* ctx = nullptr, size_t ctxSize = 0);
  void attachAll();
  void eventLoop();
  int handleEvent(const void* data, size_t size);
  static int eventThunk(void* self, void* data, size_t size) {
    return static_cast<Session*>(self)->handleEvent(data, size);
  }
  void drain() {
    if (rb_) ring_buffer__consume(rb_);
    flushOut();
  }
  void write(const std::string& s) {
    if (out_) fwrite(s.data(), 1, s.size(), out_);
  }
  void flushOut() {
    if (out_) fflush(out_);
  }
  void runProbes(const std::string& kind, int64_t minPriority = INT64_MIN, int64_t maxPriority = INT64_MAX);
  void autoPrint();
  std::vector<fmt::Stats> perCpuStats(const GlobalInfo& g, const void* key);
  uint64_t statsSeq(const GlobalInfo& g, const void* key);
  fmt::Stats statsFromBytes(const GlobalInfo& g, const uint8_t* v);
  fmt::HistogramSpec histSpec(const GlobalInfo& g, bool log);
  const GlobalInfo* global(const std::string& name) const {
    for (const auto& g : manifest_.globals)
      if (g.name == name) return &g;
    return nullptr;
  }
  fmt::Value keyValue(const ArgInfo& k, const uint8_t* p) {
    if (k.type == "string") return std::string(reinterpret_cast<const char*>(p + k.offset), strnlen(reinterpret_cast<const char*>(p + k.offset), k.size));
    int64_t v;
    std::memcpy(&v, p + k.offset, 8);
    return v;
  }
  void startCommand();
  void keyPressed(int code);
  void cleanup();

  const NativeProgram& program_;
  NativeOptions options_;
  std::ostream& err_;
  Manifest manifest_;
  bpf_object* obj_ = nullptr;
  ring_buffer* rb_ = nullptr;
  std::vector<bpf_link*> links_;
  std::vector<int> perfFds_;
  FILE* out_ = stdout;
  bool ownOut_ = false;
  bool exitRequested_ = false;
  bool errorSeen_ = false;
  pid_t child_ = 0;
  int childGate_ = -1;  // write end of the pipe the -c child waits on
  std::unique_ptr<Keyboard> keyboard_;
  std::vector<const ProgramInfo*> emulatedKeyboard_;
};

bool Session::compile(std::vector<char>& object) {
  std::string key = program_.bpfC + '\0' + program_.header + '\0' + program_.runtimeHeader + '\0' +
                    kernelRelease() + "\0stp2bpf-object-v1";
  char name[32];
  std::snprintf(name, sizeof name, "%016llx.o", static_cast<unsigned long long>(fnv1a(key)));
  std::string path = cacheDir() + "/" + name;
  if (options_.useCache) {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      object.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
      if (!object.empty()) {
        if (options_.verbose) err_ << "Pass 4: using cached object " << path << "\n";
        return true;
      }
    }
  }
  CompileInput input;
  input.fileName = "/stp2bpf/program.bpf.c";
  input.source = program_.bpfC;
  input.headers[program_.headerName] = program_.header;
  input.headers["stp2bpf.bpf.h"] = program_.runtimeHeader;
  auto start = std::chrono::steady_clock::now();
  CompileResult r = compileBpf(input);
  if (!r.ok) {
    err_ << "stp2bpf: error: the generated BPF C of " << program_.scriptName
         << " does not compile (this is a bug in stp2bpf):\n" << r.diagnostics;
    return false;
  }
  if (options_.verbose)
    err_ << "Pass 4: compiled the BPF C in "
         << std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count()
         << " ms\n";
  object = std::move(r.object);
  if (options_.useCache) {
    mkdir(cacheDir().substr(0, cacheDir().rfind('/')).c_str(), 0700);
    mkdir(cacheDir().c_str(), 0700);
    std::string tmp = path + ".tmp" + std::to_string(getpid());
    std::ofstream outf(tmp, std::ios::binary);
    outf.write(object.data(), static_cast<std::streamsize>(object.size()));
    outf.close();
    if (outf) std::rename(tmp.c_str(), path.c_str());
    else std::remove(tmp.c_str());
  }
  return true;
}

// Sets the loader's values in .rodata (stp_nr_cpus, stp_realtime_offset_ns,
// stp_target_pid), found through the object's BTF.
bool Session::setConfig() {
  bpf_map* rodata = nullptr;
  bpf_map* m;
  bpf_object__for_each_map(m, obj_) {
    const char* n = bpf_map__name(m);
    if (std::strstr(n, ".rodata") && !std::strstr(n, ".rodata.str")) rodata = m;
  }
  if (!rodata) return true;
  size_t size = 0;
  auto* data = static_cast<uint8_t*>(const_cast<void*>(bpf_map__initial_value(rodata, &size)));
  const btf* b = bpf_object__btf(obj_);
  if (!data || !b) return true;
  int secId = btf__find_by_name_kind(b, ".rodata", BTF_KIND_DATASEC);
  if (secId < 0) return true;
  const btf_type* sec = btf__type_by_id(b, secId);
  const btf_var_secinfo* vs = btf_var_secinfos(sec);
  timespec mono{}, real{};
  clock_gettime(CLOCK_MONOTONIC, &mono);
  clock_gettime(CLOCK_REALTIME, &real);
  int64_t offset = (static_cast<int64_t>(real.tv_sec) - mono.tv_sec) * 1000000000LL + (real.tv_nsec - mono.tv_nsec);
  for (unsigned i = 0; i < btf_vlen(sec); ++i) {
    const btf_type* var = btf__type_by_id(b, vs[i].type);
    std::string name = btf__name_by_offset(b, var->name_off);
    if (vs[i].offset + vs[i].size > size) continue;
    if (name == "stp_nr_cpus") {
      uint32_t n = static_cast<uint32_t>(onlineCpus());
      std::memcpy(data + vs[i].offset, &n, 4);
    } else if (name == "stp_realtime_offset_ns") {
      std::memcpy(data + vs[i].offset, &offset, 8);
    } else if (name == "stp_target_pid") {
      int64_t pid = options_.targetPid ? options_.targetPid : child_;
      std::memcpy(data + vs[i].offset, &pid, 8);
    } else if (name == "stp_stp_pid") {  // stp_pid(): this process, SystemTap's stapio
      int64_t pid = getpid();
      std::memcpy(data + vs[i].offset, &pid, 8);
    }
  }
  return true;
}

bool Session::runSyscallProgram(const std::string& name, const void* ctx, size_t ctxSize) {
  bpf_program* prog = bpf_object__find_program_by_name(obj_, name.c_str());
  if (!prog) return false;
  LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx, .ctx_size_in = static_cast<__u32>(ctxSize));
  int rc = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);
  if (rc != 0) {
    err_ << "stp2bpf: error: running " << name << " failed: " << std::strerror(errno) << "\n";
    return false;
  }
  drain();
  return true;
}

void Session::runProbes(const std::string& kind, int64_t minPriority, int64_t maxPriority) {
  std::vector<const ProgramInfo*> list;
  for (const auto& p : manifest_.programs)
    if (p.kind == kind && p.priority >= minPriority && p.priority <= maxPriority) list.push_back(&p);
  std::stable_sort(list.begin(), list.end(),
                   [](const ProgramInfo* a, const ProgramInfo* b) { return a->priority < b->priority; });
  for (const ProgramInfo* p : list) runSyscallProgram(p->name);
}

void Session::attachAll() {
  for (const auto& p : manifest_.programs) {
    bpf_program* prog = bpf_object__find_program_by_name(obj_, p.name.c_str());
    if (!prog) continue;
    auto fail = [&](const std::string& why) {
      err_ << "WARNING: probe " << p.pp << " (" << p.line << ") cannot be attached: " << why << "\n";
    };
    if (p.kind == "timer" || p.kind == "profile" || p.kind == "perf_software") {
      perf_event_attr attr{};
      attr.size = sizeof attr;
      attr.type = PERF_TYPE_SOFTWARE;
      attr.config = PERF_COUNT_SW_CPU_CLOCK;
      attr.sample_period = static_cast<__u64>(p.periodNs);
      if (p.kind == "perf_software") {
        static const std::map<std::string, int> events = {
            {"cpu-clock", PERF_COUNT_SW_CPU_CLOCK}, {"task-clock", PERF_COUNT_SW_TASK_CLOCK},
            {"page-faults", PERF_COUNT_SW_PAGE_FAULTS}, {"context-switches", PERF_COUNT_SW_CONTEXT_SWITCHES},
            {"cpu-migrations", PERF_COUNT_SW_CPU_MIGRATIONS}, {"minor-faults", PERF_COUNT_SW_PAGE_FAULTS_MIN},
            {"major-faults", PERF_COUNT_SW_PAGE_FAULTS_MAJ}, {"alignment-faults", PERF_COUNT_SW_ALIGNMENT_FAULTS},
            {"emulation-faults", PERF_COUNT_SW_EMULATION_FAULTS}};
        auto it = events.find(p.perfEvent);
        attr.config = it == events.end() ? PERF_COUNT_SW_CPU_CLOCK : static_cast<__u64>(it->second);
        attr.sample_period = static_cast<__u64>(p.sample);
      }
      // SystemTap's timer.* is one system-wide timer: one event, on CPU 0.  profile and
      // perf probes run on every CPU.
      int cpus = p.kind == "timer" ? 1 : onlineCpus();
      for (int cpu = 0; cpu < cpus; ++cpu) {
        int fd = perfEventOpen(&attr, -1, cpu);
        if (fd < 0) {
          fail(std::string("perf_event_open: ") + std::strerror(errno));
          break;
        }
        perfFds_.push_back(fd);
        bpf_link* l = bpf_program__attach_perf_event(prog, fd);
        if (!l) {
          fail(std::string("attach: ") + std::strerror(errno));
          break;
        }
        links_.push_back(l);
      }
    } else if (p.kind == "tracepoint") {
      bpf_link* l = bpf_program__attach_tracepoint(prog, p.system.c_str(), p.event.c_str());
      if (!l) fail(std::string("tracepoint attach: ") + std::strerror(errno));
      else links_.push_back(l);
    } else if (p.kind == "raw_tracepoint") {
      bpf_link* l = bpf_program__attach_raw_tracepoint(prog, p.event.c_str());
      if (!l) fail(std::string("raw tracepoint attach: ") + std::strerror(errno));
      else links_.push_back(l);
    } else if (p.kind == "kprobe") {
      bpf_link* l = bpf_program__attach_kprobe(prog, p.isReturn, p.function.c_str());
      if (l) {
        links_.push_back(l);
        continue;
      }
      int e = errno;
      if (isKeyboardFunction(p.function) && !p.isReturn) {
        // No kprobes here: the runtime reads the terminal and runs the probe body with the
        // key codes it decodes (see keyboard.h).
        emulatedKeyboard_.push_back(&p);
        if (options_.verbose)
          err_ << "stp2bpf: " << p.pp << ": kprobes are not available; keys typed on the terminal are "
                  "delivered to this probe instead\n";
        continue;
      }
      fail(std::string("this kernel has no kprobes (") + std::strerror(e) + ")");
    } else if (p.kind == "uprobe") {
      LIBBPF_OPTS(bpf_uprobe_opts, uo, .retprobe = p.isReturn, .func_name = p.function.c_str());
      bpf_link* l = bpf_program__attach_uprobe_opts(prog, options_.targetPid ? options_.targetPid : -1,
                                                    p.path.c_str(), 0, &uo);
      if (!l) fail(std::string("uprobe attach: ") + std::strerror(errno));
      else links_.push_back(l);
    }
  }
  if (!emulatedKeyboard_.empty()) keyboard_ = std::make_unique<Keyboard>();
}

int Session::handleEvent(const void* data, size_t size) {
  if (size < 8) return 0;
  uint32_t kind, site;
  std::memcpy(&kind, data, 4);
  std::memcpy(&site, static_cast<const uint8_t*>(data) + 4, 4);
  const auto* bytes = static_cast<const uint8_t*>(data);
  switch (kind) {
    case 1: {  // print
      if (site >= manifest_.prints.size()) return 0;
      const PrintSite& s = manifest_.prints[site];
      std::vector<fmt::Value> values;
      for (const ArgInfo& a : s.args) {
        if (a.offset + a.size > size) return 0;
        if (a.type == "string") {
          const char* p = reinterpret_cast<const char*>(bytes + a.offset);
          values.push_back(std::string(p, strnlen(p, a.size)));
        } else {
          int64_t v;
          std::memcpy(&v, bytes + a.offset, 8);
          if (a.type == "interned")
            values.push_back(v >= 0 && static_cast<size_t>(v) < manifest_.strings.size() ? manifest_.strings[v] : std::string());
          else
            values.push_back(v);
        }
      }
      std::string text;
      try {
        if (s.kind == "printf" || s.kind == "warn" || s.kind == "error") text = fmt::formatPrintf(s.specs, values);
        else if (s.kind == "print") text = fmt::formatPrint(values);
        else if (s.kind == "println") text = fmt::formatPrintln(values);
        else if (s.kind == "printd") text = fmt::formatPrintd(s.format, values);
        else if (s.kind == "printdln") text = fmt::formatPrintdln(s.format, values);
      } catch (const std::exception& e) {
        err_ << "stp2bpf: internal error formatting print site " << site << ": " << e.what() << "\n";
      }
      if (s.kind == "warn") {
        flushOut();
        err_ << "WARNING: " << text;
      } else if (s.kind == "error") {
        flushOut();
        err_ << "ERROR: " << text;
        errorSeen_ = true;
      } else {
        write(text);
      }
      return 0;
    }
    case 2:  // run-time error
      flushOut();
      err_ << "ERROR: " << (site < manifest_.errors.size() ? manifest_.errors[site] : "run-time error") << "\n";
      errorSeen_ = true;
      return 0;
    case 3:  // exit()
      exitRequested_ = true;
      return 0;
    case 64: {  // system(cmd): STP_EVENT_SYSTEM, the command after the header
      const char* cmd = reinterpret_cast<const char*>(bytes + 8);
      flushOut();
      runInBackground(std::string(cmd, strnlen(cmd, size - 8)));
      return 0;
    }
    case 5: {  // print a histogram: the buckets summed over the CPUs when the print ran
      if (site >= manifest_.prints.size()) return 0;
      const PrintSite& s = manifest_.prints[site];
      const GlobalInfo* g = global(s.global);
      if (!g || s.bucketsOffset + 8 * s.buckets > size || s.countOffset + 8 > size) return 0;
      fmt::Stats st;
      std::memcpy(&st.count, bytes + s.countOffset, 8);
      st.histogram.resize(s.buckets);
      std::memcpy(st.histogram.data(), bytes + s.bucketsOffset, 8 * s.buckets);
      write(fmt::formatHistogram(histSpec(*g, s.kind == "hist_log"), st) + (s.newline ? "\n" : ""));
      return 0;
    }
    default: return 0;
  }
}

fmt::HistogramSpec Session::histSpec(const GlobalInfo& g, bool log) {
  if (log) return fmt::HistogramSpec::log();
  return fmt::HistogramSpec::linear(g.stats.start, g.stats.stop, g.stats.interval);
}

fmt::Stats Session::statsFromBytes(const GlobalInfo& g, const uint8_t* v) {
  fmt::Stats s;
  std::memcpy(&s.count, v + g.stats.count, 8);
  std::memcpy(&s.sum, v + g.stats.sum, 8);
  std::memcpy(&s.min, v + g.stats.min, 8);
  std::memcpy(&s.max, v + g.stats.max, 8);
  return s;
}

std::vector<fmt::Stats> Session::perCpuStats(const GlobalInfo& g, const void* key) {
  std::vector<fmt::Stats> out;
  bpf_map* map = bpf_object__find_map_by_name(obj_, g.map.c_str());
  if (!map) return out;
  int cpus = onlineCpus();
  size_t stride = (g.valueSize + 7) / 8 * 8;
  std::vector<uint8_t> values(stride * static_cast<size_t>(cpus));
  if (bpf_map_lookup_elem(bpf_map__fd(map), key, values.data()) != 0) return out;
  for (int c = 0; c < cpus; ++c) {
    const uint8_t* v = values.data() + stride * static_cast<size_t>(c);
    fmt::Stats s = statsFromBytes(g, v);
    if (g.stats.logOffset >= 0) {
      s.histogram.resize(128);
      std::memcpy(s.histogram.data(), v + g.stats.logOffset, 128 * 8);
    } else if (g.stats.linearOffset >= 0) {
      s.histogram.resize(static_cast<size_t>(g.stats.linearCount));
      std::memcpy(s.histogram.data(), v + g.stats.linearOffset, static_cast<size_t>(g.stats.linearCount) * 8);
    }
    out.push_back(s);
  }
  return out;
}

// A statistics element's insertion number: the first CPU that added a value to it.
uint64_t Session::statsSeq(const GlobalInfo& g, const void* key) {
  uint64_t seq = UINT64_MAX;
  bpf_map* map = bpf_object__find_map_by_name(obj_, g.map.c_str());
  if (!map) return seq;
  int cpus = onlineCpus();
  size_t stride = (g.valueSize + 7) / 8 * 8;
  std::vector<uint8_t> values(stride * static_cast<size_t>(cpus));
  if (bpf_map_lookup_elem(bpf_map__fd(map), key, values.data()) != 0) return seq;
  for (int c = 0; c < cpus; ++c) {
    const uint8_t* v = values.data() + stride * static_cast<size_t>(c);
    int64_t count;
    uint64_t s;
    std::memcpy(&count, v + g.stats.count, 8);
    std::memcpy(&s, v + g.seqOffset, 8);
    if (count > 0) seq = std::min(seq, s);
  }
  return seq;
}

// SystemTap prints the globals the script wrote but never read, after the end probes.
void Session::autoPrint() {
  bpf_map* data = nullptr;
  bpf_map* m;
  bpf_object__for_each_map(m, obj_) {
    if (std::strstr(bpf_map__name(m), ".data") && !std::strstr(bpf_map__name(m), ".rodata")) data = m;
  }
  std::vector<uint8_t> section(std::max<size_t>(manifest_.globalsSize, 8));
  if (data) {
    int zero = 0;
    std::vector<uint8_t> all(bpf_map__value_size(data));
    if (bpf_map_lookup_elem(bpf_map__fd(data), &zero, all.data()) == 0)
      std::copy(all.begin(), all.begin() + static_cast<long>(std::min(all.size(), section.size())), section.begin());
  }
  for (const GlobalInfo& g : manifest_.globals) {
    if (!g.autoprint) continue;
    if (g.kind == "scalar") {
      if (g.type == "string") {
        const char* p = reinterpret_cast<const char*>(section.data() + g.offset);
        write(fmt::autoPrintString(g.name, std::string(p, strnlen(p, g.size))));
      } else {
        int64_t v;
        std::memcpy(&v, section.data() + g.offset, 8);
        if (g.type == "interned")
          write(fmt::autoPrintString(g.name, v >= 0 && static_cast<size_t>(v) < manifest_.strings.size() ? manifest_.strings[v] : ""));
        else
          write(fmt::autoPrintLong(g.name, v));
      }
      continue;
    }
    if (g.kind == "statsscalar") {
      uint32_t key = 0;
      write(fmt::autoPrintStats(g.name, fmt::aggregateStats(perCpuStats(g, &key))));
      continue;
    }
    bpf_map* map = bpf_object__find_map_by_name(obj_, g.map.c_str());
    if (!map) continue;
    // The elements in SystemTap's list order (insertion), which decides ties when sorting.
    std::vector<std::pair<uint64_t, fmt::ArrayEntry>> numbered;
    std::vector<uint8_t> key(g.keySize), next(g.keySize), value(g.valueSize);
    bool first = true;
    while (bpf_map_get_next_key(bpf_map__fd(map), first ? nullptr : key.data(), next.data()) == 0) {
      first = false;
      key = next;
      fmt::ArrayEntry e;
      uint64_t seq = 0;
      for (const ArgInfo& k : g.keys) e.keys.push_back(keyValue(k, key.data()));
      if (g.type == "stats") {
        e.value = fmt::aggregateArrayStats(perCpuStats(g, key.data()));
        seq = statsSeq(g, key.data());
      } else if (bpf_map_lookup_elem(bpf_map__fd(map), key.data(), value.data()) == 0) {
        if (g.seqOffset + 8 <= value.size()) std::memcpy(&seq, value.data() + g.seqOffset, 8);
        if (g.type == "string") {
          e.value = std::string(reinterpret_cast<const char*>(value.data()), strnlen(reinterpret_cast<const char*>(value.data()), value.size()));
        } else {
          int64_t v;
          std::memcpy(&v, value.data(), 8);
          if (g.type == "interned") e.value = v >= 0 && static_cast<size_t>(v) < manifest_.strings.size() ? manifest_.strings[v] : "";
          else e.value = v;
        }
      }
      numbered.emplace_back(seq, std::move(e));
    }
    std::stable_sort(numbered.begin(), numbered.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<fmt::ArrayEntry> entries;
    for (auto& n : numbered) entries.push_back(std::move(n.second));
    fmt::AutoPrintResult r = fmt::autoPrintArray(g.name, entries);
    write(r.text);
    if (r.maxActionExceeded) {
      flushOut();
      err_ << "ERROR: MAXACTION exceeded while printing " << g.name << "\n";
      errorSeen_ = true;
    }
  }
  flushOut();
}

// -c CMD: the child is forked before loading (target() is its pid) and waits on a pipe
// until the probes are attached, then execs the command with /bin/sh.
void Session::startCommand() {
  if (options_.command.empty()) return;
  int gate[2];
  if (pipe(gate) != 0) return;
  child_ = fork();
  if (child_ == 0) {
    close(gate[1]);
    char c;
    while (read(gate[0], &c, 1) < 0 && errno == EINTR) {
    }
    close(gate[0]);
    // As staprun does: a plain command line is split like the shell would (wordexp) and
    // run directly, so target() is the command's own pid; one with shell syntax (`;`,
    // `|`, redirections) that wordexp refuses goes to /bin/sh -c.
    wordexp_t words;
    if (wordexp(options_.command.c_str(), &words, WRDE_NOCMD) == 0 && words.we_wordc > 0) {
      execvp(words.we_wordv[0], words.we_wordv);
      std::fprintf(stderr, "stp2bpf: cannot run %s: %s\n", words.we_wordv[0], std::strerror(errno));
      _exit(127);
    }
    execl("/bin/sh", "sh", "-c", options_.command.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(gate[0]);
  childGate_ = gate[1];
}

void Session::keyPressed(int code) {
  for (const ProgramInfo* p : emulatedKeyboard_) {
    // kbd_event(handle, event_type, event_code, value) / input_event(dev, type, code, value):
    // the arguments by their BTF names; a key press (value 1), then its release (value 0).
    for (int value : {1, 0}) {
      struct {
        uint64_t arg[6];
        uint64_t ret;
        uint64_t tp;
        uint64_t ip;
        uint64_t user_mode;
        uint64_t sregs;
      } args{};  // struct stp_args of runtime/bpf/stp2bpf.bpf.h
      for (size_t i = 0; i < p->params.size() && i < 6; ++i) {
        const std::string& n = p->params[i];
        if (n == "event_type" || n == "type") args.arg[i] = 1;  // EV_KEY
        else if (n == "event_code" || n == "code") args.arg[i] = static_cast<uint64_t>(code);
        else if (n == "value") args.arg[i] = static_cast<uint64_t>(value);
      }
      runSyscallProgram(p->emulation, &args, sizeof args);
    }
  }
}

void Session::eventLoop() {
  int rbFd = ring_buffer__epoll_fd(rb_);
  while (!gStop && !exitRequested_ && !errorSeen_) {
    pollfd fds[2] = {{rbFd, POLLIN, 0}, {-1, POLLIN, 0}};
    int n = 1;
    if (keyboard_ && keyboard_->active()) {
      fds[1].fd = STDIN_FILENO;
      n = 2;
    }
    int r = poll(fds, n, 100);
    if (r < 0 && errno != EINTR) break;
    drain();
    if (n == 2 && (fds[1].revents & POLLIN)) {
      for (int code : keyboard_->readKeys()) keyPressed(code);
      if (keyboard_->interrupted()) gStop = 1;
    }
    if (child_ > 0) {
      int status;
      if (waitpid(child_, &status, WNOHANG) == child_) {
        child_ = 0;
        break;  // stap -c: the session ends when the command exits
      }
    }
  }
}

void Session::cleanup() {
  for (bpf_link* l : links_) bpf_link__destroy(l);
  links_.clear();
  for (int fd : perfFds_) close(fd);
  perfFds_.clear();
  if (rb_) ring_buffer__free(rb_);
  rb_ = nullptr;
  if (obj_) bpf_object__close(obj_);
  obj_ = nullptr;
  keyboard_.reset();
  if (ownOut_ && out_) fclose(out_);
  ownOut_ = false;
  out_ = nullptr;
  if (childGate_ >= 0) close(childGate_);
  childGate_ = -1;
  if (child_ > 0) {
    kill(child_, SIGTERM);
    waitpid(child_, nullptr, 0);
    child_ = 0;
  }
}

int Session::run() {
  try {
    manifest_ = parseManifest(program_.manifest);
  } catch (const std::exception& e) {
    err_ << "stp2bpf: error: bad manifest: " << e.what() << "\n";
    return 1;
  }
  std::vector<char> object;
  if (!compile(object)) return 1;

  std::string log;
  gLibbpfLog = &log;
  libbpf_set_print(libbpfPrint);
  if (options_.lastPass >= 5) startCommand();
  LIBBPF_OPTS(bpf_object_open_opts, openOpts, .object_name = "stp2bpf");
  obj_ = bpf_object__open_mem(object.data(), object.size(), &openOpts);
  if (!obj_) {
    err_ << "stp2bpf: error: libbpf cannot open the compiled program: " << std::strerror(errno) << "\n" << log;
    return 1;
  }
  setConfig();
  bpf_program* prog;
  bpf_object__for_each_program(prog, obj_) {
    std::string name = bpf_program__name(prog);
    for (const auto& p : manifest_.programs)
      if (p.name == name && p.kind == "never") bpf_program__set_autoload(prog, false);
  }
  if (bpf_object__load(obj_) != 0) {
    err_ << "stp2bpf: error: the kernel refused the BPF programs of " << program_.scriptName << ":\n";
    // The verifier log's last lines say which limit or check failed.
    std::istringstream in(log);
    std::vector<std::string> lines;
    std::string l;
    while (std::getline(in, l)) lines.push_back(l);
    size_t from = lines.size() > 25 ? lines.size() - 25 : 0;
    for (size_t i = from; i < lines.size(); ++i) err_ << "  " << lines[i] << "\n";
    return 1;
  }
  gLibbpfLog = nullptr;
  if (options_.lastPass == 4) {
    uint64_t insns = 0;
    int count = 0;
    bpf_object__for_each_program(prog, obj_) {
      if (!bpf_program__autoload(prog)) continue;
      bpf_prog_info info{};
      uint32_t len = sizeof info;
      if (bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0) insns += info.xlated_prog_len / 8;
      ++count;
    }
    if (options_.verbose)
      err_ << "Pass 4: loaded " << count << " programs into the kernel (" << insns << " BPF instructions).\n";
    return 0;
  }

  if (!options_.outputFile.empty() && options_.outputFile != "-") {
    out_ = fopen(options_.outputFile.c_str(), "w");
    if (!out_) {
      err_ << "stp2bpf: error: cannot write '" << options_.outputFile << "'\n";
      out_ = stdout;
      return 1;
    }
    ownOut_ = true;
  }
  rb_ = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj_, "events")), eventThunk, this, nullptr);
  if (!rb_) {
    err_ << "stp2bpf: error: cannot read the events ring buffer\n";
    return 1;
  }
  struct sigaction sa {};
  sa.sa_handler = onSignal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);

  runProbes("begin");
  if (!exitRequested_ && !errorSeen_ && !gStop) {
    attachAll();
    if (childGate_ >= 0) {
      (void)!::write(childGate_, "g", 1);
      close(childGate_);
      childGate_ = -1;
    }
    eventLoop();
  }
  // Stop the sources of events, take what is still queued, then the end of the session.
  for (bpf_link* link : links_) bpf_link__destroy(link);
  links_.clear();
  keyboard_.reset();  // restores the terminal before the end probes print
  drain();
  // After an error only the error probes run (man stapprobes: end probes are skipped).
  // Otherwise the end probes in priority order, with the auto-print display where
  // SystemTap puts it: a synthetic `probe end` after the script's, so after end(0) probes
  // and before end(1) ones.
  if (errorSeen_) {
    runProbes("error");
  } else {
    runProbes("end", INT64_MIN, 0);
    autoPrint();
    runProbes("end", 1, INT64_MAX);
  }
  bpf_map* data = nullptr;
  bpf_map* m;
  bpf_object__for_each_map(m, obj_) {
    if (std::strstr(bpf_map__name(m), ".data") && !std::strstr(bpf_map__name(m), ".rodata")) data = m;
  }
  if (data) {
    int zero = 0;
    std::vector<uint8_t> all(bpf_map__value_size(data));
    if (bpf_map_lookup_elem(bpf_map__fd(data), &zero, all.data()) == 0 && manifest_.lostOffset + 8 <= all.size()) {
      int64_t lost;
      std::memcpy(&lost, all.data() + manifest_.lostOffset, 8);
      if (lost > 0) err_ << "WARNING: " << lost << " events lost (the output buffer was full)\n";
    }
  }
  flushOut();
  cleanup();
  return errorSeen_ ? 1 : 0;
}

}  // namespace

int runNative(const NativeProgram& program, const NativeOptions& options, std::ostream& err) {
  gStop = 0;
  Session s(program, options, err);
  return s.run();
}

}  // namespace stp2bpf::runtime
