#include "backends/bpfc/builtins.h"

#include <map>

namespace stp2bpf::backends::bpfc {

namespace {

// "%0".."%5": the arguments; "%d": the destination buffer (string builtins).
std::string expand(const std::string& t, const std::vector<std::string>& args, const std::string& dst) {
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '%' && i + 1 < t.size() && t[i + 1] >= '0' && t[i + 1] <= '9') {
      size_t n = static_cast<size_t>(t[i + 1] - '0');
      out += n < args.size() ? "(" + args[n] + ")" : "0";
      ++i;
    } else if (t[i] == '%' && i + 1 < t.size() && t[i + 1] == 'd') {
      out += dst;
      ++i;
    } else {
      out += t[i];
    }
  }
  return out;
}

const std::map<std::string, std::string>& longBuiltins() {
  static const std::map<std::string, std::string> t = {
      {"pid", "(s64)(bpf_get_current_pid_tgid() >> 32)"},
      {"tid", "(s64)(u32)bpf_get_current_pid_tgid()"},
      {"uid", "(s64)(u32)bpf_get_current_uid_gid()"},
      {"gid", "(s64)(bpf_get_current_uid_gid() >> 32)"},
      {"cpu", "(s64)bpf_get_smp_processor_id()"},
      {"task_current", "(s64)bpf_get_current_task()"},
      // The wall clock: the monotonic clock plus the offset the loader measured.
      {"gettimeofday_ns", "((s64)bpf_ktime_get_ns() + stp_realtime_offset_ns)"},
      // (unsigned division: BPF has no signed one, and the clock is positive)
      {"gettimeofday_us", "(s64)((u64)(bpf_ktime_get_ns() + stp_realtime_offset_ns) / 1000)"},
      {"gettimeofday_ms", "(s64)((u64)(bpf_ktime_get_ns() + stp_realtime_offset_ns) / 1000000)"},
      {"gettimeofday_s", "(s64)((u64)(bpf_ktime_get_ns() + stp_realtime_offset_ns) / 1000000000)"},
      {"local_clock_ns", "(s64)bpf_ktime_get_ns()"},
      {"ktime_get_ns", "(s64)bpf_ktime_get_ns()"},
      {"cpu_clock_ns", "(s64)bpf_ktime_get_ns()"},
      {"get_cycles", "(s64)bpf_ktime_get_ns()"},
      {"jiffies", "(s64)bpf_jiffies64()"},
      {"target", "stp_target_pid"},
      {"randint", "(s64)(bpf_get_prandom_u32() % (u32)(%0))"},
      {"abs", "((%0) < 0 ? -(%0) : (%0))"},
      {"strlen", "stp_strlen(%0, F->__scratch)"},
      {"isinstr", "stp_isinstr(%0, %1)"},
      {"kernel_long", "stp_kernel_long(%0)"},
      {"kernel_int", "stp_kernel_int(%0)"},
      {"user_long", "stp_user_long(%0)"},
      {"user_int", "stp_user_int(%0)"},
  };
  return t;
}

const std::map<std::string, std::string>& stringBuiltins() {
  static const std::map<std::string, std::string> t = {
      {"execname", "bpf_get_current_comm(%d, 16);"},
      {"kernel_string", "if (bpf_probe_read_kernel_str(%d, STP_MAXSTRINGLEN, (void *)(%0)) < 0) %d[0] = 0;"},
      {"user_string", "if (bpf_probe_read_user_str(%d, STP_MAXSTRINGLEN, (void *)(%0)) < 0) %d[0] = 0;"},
      {"substr", "stp_substr(%d, %0, %1, %2);"},
  };
  return t;
}

}  // namespace

bool translateLongBuiltin(const std::string& name, const std::vector<std::string>& args,
                          std::string& out, std::string& why) {
  auto it = longBuiltins().find(name);
  if (it == longBuiltins().end()) {
    why = "is not supported by the C backend yet";
    return false;
  }
  out = expand(it->second, args, "");
  return true;
}

bool translateStringBuiltin(const std::string& name, const std::string& dst,
                            const std::vector<std::string>& args, std::string& out, std::string& why) {
  auto it = stringBuiltins().find(name);
  if (it == stringBuiltins().end()) {
    why = "is not supported by the C backend yet";
    return false;
  }
  out = expand(it->second, args, dst);
  return true;
}

}  // namespace stp2bpf::backends::bpfc
