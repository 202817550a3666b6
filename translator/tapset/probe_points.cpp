#include "tapset/probe_points.h"

#include <fnmatch.h>

#include <functional>
#include <sstream>

#include "common/strings.h"

namespace stp2bpf::tapset {

using ast::ProbeComponent;
using sema::AttachPoint;
using sema::ProbeKind;

namespace {

enum class Arg { None, Number, String, OptionalNumber };

struct ComponentPattern {
  std::vector<std::string> names;  // alternatives, e.g. {"ms", "msec"}
  Arg arg = Arg::None;
  bool optional = false;           // the component may be absent (only trailing ones)
};

using Components = std::vector<ProbeComponent>;
// Builds the attach point(s) once a pattern matched.  Returns false with `error` set when
// the point is invalid; sets `notFound` when it does not exist on this kernel.
using Handler = std::function<bool(const Components&, KernelInfo&, std::vector<AttachPoint>&,
                                   std::string& error, bool& notFound)>;

struct FamilyPattern {
  std::vector<ComponentPattern> components;
  Handler handler;
};

int64_t numberArg(const ProbeComponent& c) {
  auto* n = ast::as<ast::NumberLiteral>(c.arg);
  return n ? n->value : 0;
}

std::string stringArg(const ProbeComponent& c) {
  auto* s = ast::as<ast::StringLiteral>(c.arg);
  return s ? s->value : std::string();
}

bool has(const Components& cs, const char* name) {
  for (const auto& c : cs)
    if (c.name == name) return true;
  return false;
}

const ProbeComponent* find(const Components& cs, const char* name) {
  for (const auto& c : cs)
    if (c.name == name) return &c;
  return nullptr;
}

AttachPoint base(ProbeKind kind) {
  AttachPoint p;
  p.kind = kind;
  return p;
}

// Timer units: nanoseconds per unit; `hz` and `jiffies` are special.
struct TimerUnit {
  const char* name;
  int64_t nsPerUnit;
};
constexpr TimerUnit kTimerUnits[] = {
    {"s", 1000000000}, {"sec", 1000000000}, {"ms", 1000000}, {"msec", 1000000},
    {"us", 1000},      {"usec", 1000},      {"ns", 1},       {"nsec", 1},
    {"hz", 0},         {"jiffies", 0},
};

// CONFIG_HZ of the target (timer.jiffies, timer.profile).
int64_t kernelHz() { return 250; }

Handler simple(ProbeKind kind, bool withPriority) {
  return [kind, withPriority](const Components& cs, KernelInfo&, std::vector<AttachPoint>& out,
                              std::string&, bool&) {
    AttachPoint p = base(kind);
    if (withPriority && cs[0].arg) p.priority = numberArg(cs[0]);
    out.push_back(p);
    return true;
  };
}

bool timerHandler(const Components& cs, KernelInfo&, std::vector<AttachPoint>& out,
                  std::string& error, bool&) {
  const ProbeComponent& unit = cs[1];
  int64_t n = numberArg(unit);
  if (n <= 0) {
    error = "the interval of timer." + unit.name + " must be positive";
    return false;
  }
  AttachPoint p = base(ProbeKind::Timer);
  p.timerUnit = unit.name;
  p.timerCount = n;
  for (const TimerUnit& u : kTimerUnits) {
    if (unit.name != u.name) continue;
    if (unit.name == "hz") p.periodNs = 1000000000 / n;
    else if (unit.name == "jiffies") p.periodNs = n * (1000000000 / kernelHz());
    else p.periodNs = n * u.nsPerUnit;
  }
  if (p.periodNs <= 0) {
    error = "timer." + unit.name + "(" + std::to_string(n) + ") is too fast";
    return false;
  }
  out.push_back(p);
  return true;
}

bool profileHandler(const Components& cs, KernelInfo&, std::vector<AttachPoint>& out,
                    std::string& error, bool&) {
  AttachPoint p = base(ProbeKind::Profile);
  p.periodNs = 1000000000 / kernelHz();
  if (const ProbeComponent* hz = find(cs, "hz")) {
    int64_t n = numberArg(*hz);
    if (n <= 0) {
      error = "timer.profile.freq.hz needs a positive frequency";
      return false;
    }
    p.periodNs = 1000000000 / n;
  }
  out.push_back(p);
  return true;
}

bool tracepointHandler(const Components& cs, KernelInfo& kernel, std::vector<AttachPoint>& out,
                       std::string& error, bool& notFound) {
  std::string spec = stringArg(cs[1]);
  if (spec.empty()) {
    error = "kernel.trace needs a tracepoint name";
    return false;
  }
  auto events = kernel.findTracepoints(spec);
  if (events.empty()) {
    notFound = true;
    error = "no tracepoint matches \"" + spec + "\" on this kernel";
    return false;
  }
  for (const auto& [system, event] : events) {
    AttachPoint p = base(ProbeKind::Tracepoint);
    p.system = system;
    p.event = event;
    out.push_back(p);
  }
  return true;
}

bool kernelFunctionHandler(const Components& cs, KernelInfo& info, std::vector<AttachPoint>& out,
                           std::string& error, bool&) {
  const ProbeComponent* fn = find(cs, "function");
  AttachPoint p = base(ProbeKind::KernelFunction);
  p.symbol = fn ? stringArg(*fn) : "";
  if (p.symbol.find('@') != std::string::npos || p.symbol.find(':') != std::string::npos) {
    // "func@file.c:line" needs DWARF line tables, which BPF tooling does not have.
    AttachPoint u = base(ProbeKind::Unsupported);
    u.unsupportedReason = "a kernel function given by source file (\"" + p.symbol +
                          "\") needs kernel debuginfo; use the function name alone";
    out.push_back(u);
    return true;
  }
  p.isReturn = has(cs, "return");
  if (has(cs, "inline")) {
    error = ".inline probes need kernel debuginfo and cannot be expressed with BPF";
    return false;
  }
  // As SystemTap ("no match"), a function this kernel lacks does not resolve, so that
  // `?` and `!` alternatives work; modules' functions are left to the module's BTF.
  bool wildcard = p.symbol.find_first_of("*?[") != std::string::npos;
  if (cs[0].name != "module" && !wildcard && !p.symbol.empty() && !info.kernelFunctionExists(p.symbol)) {
    error = "this kernel has no function '" + p.symbol + "' (not in its BTF nor in /proc/kallsyms)";
    return false;
  }
  out.push_back(p);
  return true;
}

bool userFunctionHandler(const Components& cs, KernelInfo&, std::vector<AttachPoint>& out,
                         std::string& error, bool&) {
  AttachPoint p = base(ProbeKind::UserFunction);
  p.path = stringArg(cs[0]);
  p.symbol = stringArg(cs[1]);
  p.isReturn = has(cs, "return");
  if (p.path.empty()) {
    error = "process(...).function needs the path of a binary: process(\"/bin/ls\")";
    return false;
  }
  out.push_back(p);
  return true;
}

bool usdtHandler(const Components& cs, KernelInfo&, std::vector<AttachPoint>& out,
                 std::string& error, bool&) {
  AttachPoint p = base(ProbeKind::Usdt);
  p.path = stringArg(cs[0]);
  const ProbeComponent* provider = find(cs, "provider");
  p.symbol = (provider ? stringArg(*provider) : std::string("*")) + ":" + stringArg(cs.back());
  out.push_back(p);
  return true;
}

Handler unsupported(std::string reason) {
  return [reason](const Components&, KernelInfo&, std::vector<AttachPoint>& out, std::string&, bool&) {
    AttachPoint p = base(ProbeKind::Unsupported);
    p.unsupportedReason = reason;
    out.push_back(p);
    return true;
  };
}

// Software perf events by SystemTap name -> perf name.
bool perfSoftwareHandler(const Components& cs, KernelInfo&, std::vector<AttachPoint>& out,
                         std::string& error, bool&) {
  static const std::pair<const char*, const char*> kEvents[] = {
      {"cpu_clock", "cpu-clock"},         {"task_clock", "task-clock"},
      {"page_faults", "page-faults"},     {"context_switches", "context-switches"},
      {"cpu_migrations", "cpu-migrations"}, {"page_faults_min", "minor-faults"},
      {"page_faults_maj", "major-faults"}, {"alignment_faults", "alignment-faults"},
      {"emulation_faults", "emulation-faults"},
  };
  AttachPoint p = base(ProbeKind::PerfSoftware);
  for (const auto& [stap, perf] : kEvents)
    if (cs[2].name == stap) p.perfEvent = perf;
  if (p.perfEvent.empty()) {
    error = "unknown software perf event perf.sw." + cs[2].name;
    return false;
  }
  const ProbeComponent* sample = find(cs, "sample");
  p.perfSample = sample ? numberArg(*sample) : 1000000;
  out.push_back(p);
  return true;
}

const std::vector<FamilyPattern>& families() {
  using C = ComponentPattern;
  static const std::vector<FamilyPattern> table = {
      {{C{{"begin"}, Arg::OptionalNumber}}, simple(ProbeKind::Begin, true)},
      {{C{{"end"}, Arg::OptionalNumber}}, simple(ProbeKind::End, true)},
      {{C{{"error"}, Arg::OptionalNumber}}, simple(ProbeKind::Error, true)},
      {{C{{"never"}}}, simple(ProbeKind::Never, false)},
      {{C{{"timer"}}, C{{"s", "sec", "ms", "msec", "us", "usec", "ns", "nsec", "hz", "jiffies"}, Arg::Number},
        C{{"randomize"}, Arg::Number, true}},
       timerHandler},
      {{C{{"timer"}}, C{{"profile"}}, C{{"tick"}}}, profileHandler},
      {{C{{"timer"}}, C{{"profile"}}, C{{"freq"}}, C{{"hz"}, Arg::Number}}, profileHandler},
      {{C{{"kernel"}}, C{{"trace"}, Arg::String}}, tracepointHandler},
      {{C{{"kernel"}}, C{{"function"}, Arg::String}, C{{"call", "return", "exported", "inline"}, Arg::None, true}},
       kernelFunctionHandler},
      {{C{{"kprobe"}}, C{{"function"}, Arg::String}, C{{"call", "return"}, Arg::None, true}},
       kernelFunctionHandler},
      {{C{{"module"}, Arg::String}, C{{"function"}, Arg::String}, C{{"call", "return", "exported", "inline"}, Arg::None, true}},
       kernelFunctionHandler},
      {{C{{"process"}, Arg::String}, C{{"function"}, Arg::String}, C{{"call", "return"}, Arg::None, true}},
       userFunctionHandler},
      {{C{{"process"}, Arg::String}, C{{"mark"}, Arg::String}}, usdtHandler},
      {{C{{"process"}, Arg::String}, C{{"provider"}, Arg::String}, C{{"mark"}, Arg::String}}, usdtHandler},
      {{C{{"perf"}}, C{{"sw"}}, C{{"cpu_clock", "task_clock", "page_faults", "context_switches",
                                  "cpu_migrations", "page_faults_min", "page_faults_maj",
                                  "alignment_faults", "emulation_faults"}},
        C{{"sample"}, Arg::Number, true}},
       perfSoftwareHandler},
      // Families SystemTap has that BPF cannot express here; they still translate to a
      // clear diagnostic naming the probe point.
      {{C{{"kernel"}}, C{{"statement"}, Arg::String}},
       unsupported("kernel.statement probes need kernel debuginfo (source line to address)")},
      {{C{{"process"}, Arg::String}, C{{"statement"}, Arg::String}, C{{"nearest"}, Arg::None, true}},
       unsupported("process.statement probes need the binary's debuginfo (source line to address)")},
      {{C{{"kernel"}}, C{{"data"}, Arg::Number}, C{{"read", "write", "rw", "length"}, Arg::None, true}},
       unsupported("kernel.data watchpoints are not supported yet")},
      // procfs[("PATH")][.umask(UMASK)].read[.maxsize(N)] and .write (man stapprobes).
      {{C{{"procfs"}, Arg::String}, C{{"umask"}, Arg::Number, true}, C{{"read", "write"}, Arg::None, true},
        C{{"maxsize"}, Arg::Number, true}},
       unsupported("procfs probes serve /proc files from a kernel module, and BPF programs cannot create /proc files")},
      {{C{{"procfs"}}, C{{"umask"}, Arg::Number, true}, C{{"read", "write"}, Arg::None, true},
        C{{"maxsize"}, Arg::Number, true}},
       unsupported("procfs probes serve /proc files from a kernel module, and BPF programs cannot create /proc files")},
      {{C{{"netfilter"}}, C{{"hook"}, Arg::String}, C{{"pf"}, Arg::String, true}, C{{"priority"}, Arg::String, true}},
       unsupported("netfilter hooks need BPF netfilter programs, which this toolchain's libbpf predates")},
      {{C{{"perf"}}, C{{"hw"}}, C{{"*"}}},
       unsupported("hardware perf counters are not available on this machine")},
      {{C{{"java"}, Arg::String}}, unsupported("Java (Byteman) probes are not supported")},
  };
  return table;
}

bool componentMatches(const ComponentPattern& pat, const ProbeComponent& c) {
  bool nameOk = false;
  for (const std::string& n : pat.names)
    if (n == "*" || n == c.name) nameOk = true;
  if (!nameOk) return false;
  bool isNum = ast::as<ast::NumberLiteral>(c.arg) != nullptr;
  bool isStr = ast::as<ast::StringLiteral>(c.arg) != nullptr;
  switch (pat.arg) {
    case Arg::None: return c.arg == nullptr;
    case Arg::Number: return isNum;
    case Arg::String: return isStr;
    case Arg::OptionalNumber: return !c.arg || isNum;
  }
  return false;
}

bool patternMatches(const FamilyPattern& fam, const Components& cs) {
  size_t i = 0;
  for (const ComponentPattern& pat : fam.components) {
    if (i < cs.size() && componentMatches(pat, cs[i])) {
      ++i;
      continue;
    }
    if (!pat.optional) return false;
  }
  return i == cs.size();
}

}  // namespace

std::string probePointText(const ast::ProbePoint& point) {
  std::ostringstream out;
  for (size_t i = 0; i < point.components.size(); ++i) {
    const ProbeComponent& c = point.components[i];
    if (i) out << '.';
    out << c.name;
    if (auto* n = ast::as<ast::NumberLiteral>(c.arg)) out << '(' << n->value << ')';
    if (auto* s = ast::as<ast::StringLiteral>(c.arg)) out << '(' << quoteString(s->value) << ')';
  }
  return out.str();
}

MatchResult mapProbePoint(const ast::ProbePoint& point, KernelInfo& kernel,
                          std::vector<AttachPoint>& out, std::string& error) {
  const Components& cs = point.components;
  for (const FamilyPattern& fam : families()) {
    if (!patternMatches(fam, cs)) continue;
    std::vector<AttachPoint> points;
    bool notFound = false;
    if (!fam.handler(cs, kernel, points, error, notFound))
      return notFound ? MatchResult::NotFound : MatchResult::Invalid;
    std::string text = probePointText(point);
    for (AttachPoint& p : points) {
      if (p.text.empty()) {
        p.text = text;
        if (p.kind == ProbeKind::Tracepoint && points.size() > 1)
          p.text = "kernel.trace(\"" + p.system + ":" + p.event + "\")";
      }
      p.loc = point.loc;
      p.optional = point.optional;
      out.push_back(p);
    }
    return MatchResult::Matched;
  }
  return MatchResult::Unknown;
}

}  // namespace stp2bpf::tapset
