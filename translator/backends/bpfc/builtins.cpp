#include "backends/bpfc/builtins.h"

#include <map>

namespace stp2bpf::backends::bpfc {

namespace {

// "%0".."%5": the arguments, each expanded in parentheses; "%d": the destination buffer
// (string builtins).
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
      // The rest are in runtime/bpf/tapset.bpf.h, which says where each comes from.
      {"kernel_char", "stp_kernel_s8(%0)"},
      {"kernel_short", "stp_kernel_s16(%0)"},
      {"kernel_pointer", "stp_kernel_u64(%0)"},
      {"user_char", "stp_user_s8(%0)"},
      {"user_short", "stp_user_s16(%0)"},
      {"user_ushort", "stp_user_u16(%0)"},
      {"user_ulong", "stp_user_u64(%0)"},
      {"user_int8", "stp_user_s8(%0)"},
      {"user_uint8", "stp_user_u8(%0)"},
      {"user_int16", "stp_user_s16(%0)"},
      {"user_uint16", "stp_user_u16(%0)"},
      {"user_int32", "stp_user_int(%0)"},
      {"user_uint32", "stp_user_u32(%0)"},
      {"user_int64", "stp_user_long(%0)"},
      {"user_uint64", "stp_user_u64(%0)"},
      {"ntohs", "(s64)__builtin_bswap16((u16)%0)"},
      {"ntohl", "(s64)__builtin_bswap32((u32)%0)"},
      {"ntohll", "(s64)__builtin_bswap64((u64)%0)"},
      {"htons", "(s64)__builtin_bswap16((u16)%0)"},
      {"htonl", "(s64)__builtin_bswap32((u32)%0)"},
      {"htonll", "(s64)__builtin_bswap64((u64)%0)"},
      // The kernel's dev_t: MAJOR/MINOR take the low 32 bits, MKDEV is (ma << 20) | mi.
      {"MAJOR", "(s64)((u32)%0 >> 20)"},
      {"MINOR", "(s64)((u32)%0 & 0xfffff)"},
      {"MKDEV", "(s64)(u32)(((u32)%0 << 20) | (u32)%1)"},
      {"errno_p", "stp_errno_p(%0)"},
      {"strtol", "stp_strtol(%0, %1, F->__scratch)"},
      {"isdigit", "(s64)((u8)(%0[0] - '0') < 10)"},
      {"_IS_ERR", "(s64)((u64)%0 >= (u64)-4095)"},
      {"ppid", "stp_task_tgid(stp_task_parent(stp_current()))"},
      {"euid", "stp_current_cred_id(STP_CRED_EUID)"},
      {"egid", "stp_current_cred_id(STP_CRED_EGID)"},
      {"task_pid", "stp_task_tgid(stp_task(%0))"},
      {"task_tid", "stp_task_tid(stp_task(%0))"},
      {"task_parent", "(s64)stp_task_parent(stp_task(%0))"},
      {"task_prio", "stp_task_prio(%0)"},
      {"task_nice", "stp_task_nice(%0)"},
      {"task_uid", "stp_task_cred_id(%0, STP_CRED_UID)"},
      {"task_gid", "stp_task_cred_id(%0, STP_CRED_GID)"},
      {"task_euid", "stp_task_cred_id(%0, STP_CRED_EUID)"},
      {"task_egid", "stp_task_cred_id(%0, STP_CRED_EGID)"},
      // The idle task is the one with pid 0 (linux/scheduler.stp).
      {"__is_idle", "(s64)((u32)bpf_get_current_pid_tgid() == 0)"},
      {"_stp_is_compat_task", "stp_is_compat_task()"},
      {"stp_pid", "stp_stp_pid"},
      {"system", "stp_system(%0)"},
      {"_stp_maxstringlen", "(s64)STP_MAXSTRINGLEN"},
      {"atomic_read", "stp_kernel_int(%0)"},
      {"atomic_long_read", "stp_kernel_long(%0)"},
      {"bio_op", "stp_bio_op(%0)"},
      // new_decode_dev: major in bits 8-19, minor in bits 0-7 and 20-31; then MKDEV.
      {"usrdev2kerndev",
       "(s64)(u32)(((((u32)%0 & 0xfff00) >> 8) << 20) | ((u32)%0 & 0xff) | (((u32)%0 >> 12) & 0xfff00))"},
      {"_stp_valid_task", "stp_valid_task(%0)"},
      {"_MM_SHMEMPAGES", "3"},
      {"_stp_current_utime", "stp_current_time(0)"},
      {"_stp_current_stime", "stp_current_time(1)"},
  };
  return t;
}

const std::map<std::string, std::string>& stringBuiltins() {
  static const std::map<std::string, std::string> t = {
      {"execname", "bpf_get_current_comm(%d, 16);"},
      {"kernel_string", "if (bpf_probe_read_kernel_str(%d, STP_MAXSTRINGLEN, (void *)(%0)) < 0) %d[0] = 0;"},
      {"user_string", "if (bpf_probe_read_user_str(%d, STP_MAXSTRINGLEN, (void *)(%0)) < 0) %d[0] = 0;"},
      {"substr", "stp_substr(%d, %0, %1, %2);"},
      // A missing err_msg argument expands to 0: the helper's "<unknown>".
      {"user_string_n", "stp_user_string_n(%d, %0, %1, %2);"},
      {"kernel_string_n", "stp_kernel_string_n(%d, %0, %1);"},
      {"pexecname", "stp_task_execname(%d, stp_task_parent(stp_current()));"},
      {"task_execname", "stp_task_execname(%d, stp_task(%0));"},
      {"ctime", "stp_ctime(%d, %0);"},
      {"errno_str", "stp_errno_str(%d, %0);"},
      {"_signal_name", "stp_signal_name(%d, %0);"},
      {"format_ipaddr", "stp_format_ipaddr(%d, %0, %1);"},
      {"symname", "stp_symname(%d, %0);"},
      {"symdata", "stp_symdata(%d, %0);"},
      {"syscall_name", "stp_syscall_name(%d, %0);"},
      {"text_str", "stp_text_str(%d, %0, F->__scratch, 0, 0);"},
      {"text_strn", "stp_text_str(%d, %0, F->__scratch, %1, %2);"},
      {"string_quoted", "stp_text_str(%d, %0, F->__scratch, 0, 1);"},
      {"user_string_quoted", "stp_string_quoted_at(%d, %0, F->__scratch, 1);"},
      {"kernel_string_quoted", "stp_string_quoted_at(%d, %0, F->__scratch, 0);"},
      {"tokenize", "stp_tokenize(%d, %0, %1, F->__scratch);"},
  };
  return t;
}

}  // namespace

bool translateLongBuiltin(const std::string& name, const std::vector<std::string>& args,
                          std::string& out, std::string& why) {
  auto it = longBuiltins().find(name);
  if (it == longBuiltins().end()) {
    why = "(no BPF C implementation yet)";
    return false;
  }
  out = expand(it->second, args, "");
  return true;
}

bool translateStringBuiltin(const std::string& name, const std::string& dst,
                            const std::vector<std::string>& args, std::string& out, std::string& why) {
  auto it = stringBuiltins().find(name);
  if (it == stringBuiltins().end()) {
    why = "(no BPF C implementation yet)";
    return false;
  }
  out = expand(it->second, args, dst);
  return true;
}

}  // namespace stp2bpf::backends::bpfc
