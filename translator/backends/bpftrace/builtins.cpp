#include "backends/bpftrace/builtins.h"

#include <map>

namespace stp2bpf::backends::bpftrace {

namespace {

// "%0", "%1" stand for the arguments.  bpftrace's pid, tid, uid, gid, cpu and task fields
// are unsigned; SystemTap's are signed longs (and bpftrace warns when the two are compared),
// hence the casts.  An empty template means: no equivalent, and the
// note says why.
struct Mapping {
  std::string expr;
  std::string note;
};

const std::map<std::string, Mapping>& table() {
  static const std::map<std::string, Mapping> t = {
      {"pid", {"(int64)pid", ""}},
      {"tid", {"(int64)tid", ""}},
      {"uid", {"(int64)uid", ""}},
      {"gid", {"(int64)gid", ""}},
      {"euid", {"(int64)curtask->cred->euid.val", ""}},
      {"egid", {"(int64)curtask->cred->egid.val", ""}},
      {"ppid", {"(int64)curtask->real_parent->tgid", ""}},
      {"cpu", {"(int64)cpu", ""}},
      {"execname", {"comm", ""}},
      {"pexecname", {"curtask->real_parent->comm", ""}},
      {"task_current", {"(int64)curtask", ""}},
      {"target", {"$1", ""}},  // `stp2bpf run -x PID` passes the pid as bpftrace's $1
      // bpftrace 0.17 has no wall clock in BPF: nsecs is the monotonic clock, right for
      // differences, which is how scripts use these.
      {"gettimeofday_ns", {"(int64)nsecs", ""}},
      {"gettimeofday_us", {"(int64)(nsecs / 1000)", ""}},
      {"gettimeofday_ms", {"(int64)(nsecs / 1000000)", ""}},
      {"gettimeofday_s", {"(int64)(nsecs / 1000000000)", ""}},
      {"local_clock_ns", {"(int64)nsecs", ""}},
      {"ktime_get_ns", {"(int64)nsecs", ""}},
      {"cpu_clock_ns", {"(int64)nsecs", ""}},
      {"get_cycles", {"(int64)nsecs", ""}},
      {"jiffies", {"(int64)jiffies", ""}},
      {"kernel_string", {"str(%0)", ""}},
      {"kernel_string_n", {"str(%0, %1)", ""}},
      {"user_string", {"str(uptr(%0))", ""}},
      {"user_string_n", {"str(uptr(%0), %1)", ""}},
      {"kernel_long", {"*(int64 *)%0", ""}},
      {"kernel_int", {"(int64)*(int32 *)%0", ""}},
      // Tapset functions the C backend has in runtime/bpf/tapset.bpf.h, where bpftrace
      // expresses them directly.
      {"kernel_char", {"(int64)*(int8 *)%0", ""}},
      {"kernel_short", {"(int64)*(int16 *)%0", ""}},
      {"kernel_pointer", {"(int64)*(uint64 *)%0", ""}},
      {"atomic_read", {"(int64)*(int32 *)%0", ""}},
      {"atomic_long_read", {"*(int64 *)%0", ""}},
      {"MAJOR", {"(int64)(((uint64)%0 & 0xffffffff) >> 20)", ""}},
      {"MINOR", {"(int64)((uint64)%0 & 0xfffff)", ""}},
      {"MKDEV", {"(int64)((((uint64)%0 << 20) | (uint64)%1) & 0xffffffff)", ""}},
      {"_IS_ERR", {"(int64)((uint64)%0 >= (uint64)0xfffffffffffff001)", ""}},
      {"task_pid", {"(int64)((struct task_struct *)kptr(%0))->tgid", ""}},
      {"task_tid", {"(int64)((struct task_struct *)kptr(%0))->pid", ""}},
      {"task_parent", {"(int64)((struct task_struct *)kptr(%0))->real_parent", ""}},
      {"task_execname", {"((struct task_struct *)kptr(%0))->comm", ""}},
      {"task_prio", {"(int64)((struct task_struct *)kptr(%0))->prio - 100", ""}},
      {"task_nice", {"(int64)((struct task_struct *)kptr(%0))->static_prio - 120", ""}},
      {"__is_idle", {"(int64)(tid == 0)", ""}},
      {"ppfunc", {"func", ""}},
      {"probefunc", {"func", ""}},
      {"randint", {"(int64)(rand % (uint64)%0)", ""}},
      {"abs", {"(%0 < 0 ? -%0 : %0)", ""}},
      {"user_string_quoted", {"", "has no bpftrace 0.17 equivalent (it cannot build strings)"}},
      {"strtol", {"", "has no bpftrace 0.17 equivalent"}},
      {"text_str", {"", "has no bpftrace 0.17 equivalent (it cannot build strings)"}},
      {"str_replace", {"", "has no bpftrace 0.17 equivalent (it cannot build strings)"}},
      {"strpos", {"", "has no bpftrace 0.17 equivalent"}},
      {"stringat", {"", "has no bpftrace 0.17 equivalent"}},
      {"user_long", {"", "has no bpftrace 0.17 equivalent"}},
      {"user_int", {"", "has no bpftrace 0.17 equivalent"}},
  };
  return t;
}

}  // namespace

bool translateBuiltin(const std::string& name, const std::vector<std::string>& args,
                      std::string& out, std::string& why) {
  auto it = table().find(name);
  if (it == table().end()) {
    why = "(no bpftrace equivalent yet)";  // the caller adds "is not supported by ..."
    return false;
  }
  if (it->second.expr.empty()) {
    why = it->second.note;
    return false;
  }
  out.clear();
  const std::string& t = it->second.expr;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '%' && i + 1 < t.size() && t[i + 1] >= '0' && t[i + 1] <= '9') {
      size_t n = static_cast<size_t>(t[i + 1] - '0');
      out += n < args.size() ? "(" + args[n] + ")" : "0";
      ++i;
    } else {
      out += t[i];
    }
  }
  return true;
}

}  // namespace stp2bpf::backends::bpftrace
