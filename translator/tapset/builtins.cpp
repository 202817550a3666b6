#include "tapset/builtins.h"

namespace stp2bpf::tapset {

namespace {

using ast::Type;
constexpr Type L = Type::Long;
constexpr Type S = Type::String;
constexpr Type V = Type::Unknown;  // void result / any argument
constexpr unsigned kSide = static_cast<unsigned>(BuiltinFlag::SideEffect);
constexpr unsigned kConst = static_cast<unsigned>(BuiltinFlag::Constant);
constexpr unsigned kVar = static_cast<unsigned>(BuiltinFlag::VarArgs);

// Semantics follow SystemTap 4.8's tapset documentation (man 3stap / the tapset sources in
// /usr/share/systemtap/tapset).
const std::vector<Builtin> kBuiltins = {
    // ---- process identity (linux/context.stp)
    {"pid", {}, L, 0, 0, "thread group id of the current task"},
    {"tid", {}, L, 0, 0, "thread id of the current task"},
    {"ppid", {}, L, 0, 0, "thread group id of the parent of the current task"},
    {"uid", {}, L, 0, 0, "user id of the current task"},
    {"euid", {}, L, 0, 0, "effective user id of the current task"},
    {"gid", {}, L, 0, 0, "group id of the current task"},
    {"egid", {}, L, 0, 0, "effective group id of the current task"},
    {"cpu", {}, L, 0, 0, "the current CPU number"},
    {"execname", {}, S, 0, 0, "name of the current process (comm)"},
    {"pexecname", {}, S, 0, 0, "name of the parent process"},
    {"target", {}, L, kConst, 0, "the pid given with -x or started with -c"},
    {"stp_pid", {}, L, kConst, 0, "the pid of the process running the session (stp2bpf)"},
    {"is_return", {}, L, 0, 0, "1 in a .return probe"},
    // ---- registers of the probed context (errno.stp, linux/context.stp, x86_64/registers.stp)
    {"returnval", {}, L, 0, 0, "the return-value register of the probed function"},
    {"user_mode", {}, L, 0, 0, "1 if the probe hit in user mode"},
    {"addr", {}, L, 0, 0, "the instruction pointer of the probed context"},
    {"uaddr", {}, L, 0, 0, "the user-space instruction pointer, or 0 in kernel mode"},
    {"__set_syscall_pt_regs", {L}, V, kSide, 0, "the pt_regs a syscall wrapper got: where int_arg(n)... read then"},
    {"_stp_syscall_nr", {}, L, 0, 0, "the number of the syscall being made (orig_ax)"},
    {"backtrace", {}, S, 0, 0, "the kernel stack's addresses in hex, separated by spaces"},
    {"print_backtrace", {}, V, kSide, 0, "prints the kernel stack, one symbolized frame per line"},
    {"__stack_raw", {L}, L, 0, 0, "the address of frame n of the kernel stack, or 0"},
    {"_stp_arg2", {L, L, L, L}, L, 0, 0,
     "a function argument from its register, optionally truncated to 32 bits (int_arg(n), pointer_arg(n), ...)"},
    {"task_current", {}, L, 0, 0, "address of the current task_struct"},
    // ---- time (linux/timestamp_gtod.stp, timestamp.stp)
    {"gettimeofday_ns", {}, L, 0, 0, "wall-clock time in nanoseconds since the epoch"},
    {"gettimeofday_us", {}, L, 0, 0, "wall-clock time in microseconds since the epoch"},
    {"gettimeofday_ms", {}, L, 0, 0, "wall-clock time in milliseconds since the epoch"},
    {"gettimeofday_s", {}, L, 0, 0, "wall-clock time in seconds since the epoch"},
    {"local_clock_ns", {}, L, 0, 0, "per-CPU monotonic clock in nanoseconds"},
    {"cpu_clock_ns", {V}, L, 0, 0, "monotonic clock of a CPU in nanoseconds"},
    {"ktime_get_ns", {}, L, 0, 0, "monotonic clock in nanoseconds"},
    {"get_cycles", {}, L, 0, 0, "a fast-changing cycle counter"},
    {"jiffies", {}, L, 0, 0, "the kernel's jiffies counter"},
    // ---- strings (string.stp)
    {"strlen", {S}, L, 0, 0, "length of a string"},
    {"substr", {S, L, L}, S, kVar, 2, "substring from a 0-based start, with an optional length"},
    {"isinstr", {S, S}, L, 0, 0, "1 if the second string occurs in the first"},
    {"strpos", {S, S}, L, 0, 0, "0-based index of the second string in the first, or -1"},
    {"stringat", {S, L}, L, 0, 0, "the character at a 0-based index"},
    {"strtol", {S, L}, L, 0, 0, "a string converted to a number in a base"},
    {"text_str", {S}, S, 0, 0, "a string with non-printable characters escaped"},
    {"str_replace", {S, S, S}, S, 0, 0, "a string with every occurrence of one string replaced"},
    {"text_strn", {S, L, L}, S, 0, 0, "text_str with at most len characters, optionally in quotes"},
    {"string_quoted", {S}, S, 0, 0, "a string in double quotes, with non-printable characters escaped"},
    {"tokenize", {S, S}, S, 0, 0,
     "the next token of the input (\"\": of the previous input) separated by delimiters"},
    // ---- memory (conversions.stp, uconversions.stp)
    {"kernel_string", {L}, S, 0, 0, "a NUL-terminated string read from kernel memory"},
    {"kernel_string_n", {L, L}, S, 0, 0, "at most n bytes of a string from kernel memory"},
    {"kernel_long", {L}, L, 0, 0, "a long read from kernel memory"},
    {"kernel_int", {L}, L, 0, 0, "an int read from kernel memory"},
    {"kernel_char", {L}, L, 0, 0, "a char read from kernel memory"},
    {"kernel_short", {L}, L, 0, 0, "a short read from kernel memory"},
    {"kernel_pointer", {L}, L, 0, 0, "a pointer read from kernel memory"},
    {"user_string", {L, S}, S, kVar, 1, "a NUL-terminated string read from user memory"},
    {"user_string_n", {L, L, S}, S, kVar, 2,
     "at most n bytes of a string from user memory, or the error message (\"<unknown>\")"},
    {"user_string_quoted", {L}, S, 0, 0, "a user string in double quotes and escaped, or its address"},
    {"kernel_string_quoted", {L}, S, 0, 0, "a kernel string in double quotes and escaped, or its address"},
    {"user_long", {L}, L, 0, 0, "a long read from user memory"},
    {"user_int", {L}, L, 0, 0, "an int read from user memory"},
    // SystemTap writes these as try { user_X_error(addr) } catch { 0 }: 0 on a fault.
    {"user_char", {L}, L, 0, 0, "a char read from user memory (0 on a fault)"},
    {"user_short", {L}, L, 0, 0, "a short read from user memory (0 on a fault)"},
    {"user_ushort", {L}, L, 0, 0, "an unsigned short read from user memory (0 on a fault)"},
    {"user_ulong", {L}, L, 0, 0, "an unsigned long read from user memory (0 on a fault)"},
    {"user_int8", {L}, L, 0, 0, "an 8-bit signed integer read from user memory (0 on a fault)"},
    {"user_uint8", {L}, L, 0, 0, "an 8-bit unsigned integer read from user memory (0 on a fault)"},
    {"user_int16", {L}, L, 0, 0, "a 16-bit signed integer read from user memory (0 on a fault)"},
    {"user_uint16", {L}, L, 0, 0, "a 16-bit unsigned integer read from user memory (0 on a fault)"},
    {"user_int32", {L}, L, 0, 0, "a 32-bit signed integer read from user memory (0 on a fault)"},
    {"user_uint32", {L}, L, 0, 0, "a 32-bit unsigned integer read from user memory (0 on a fault)"},
    {"user_int64", {L}, L, 0, 0, "a 64-bit signed integer read from user memory (0 on a fault)"},
    {"user_uint64", {L}, L, 0, 0, "a 64-bit unsigned integer read from user memory (0 on a fault)"},
    // ---- probe context (context.stp)
    {"pp", {}, S, 0, 0, "the probe point being run"},
    {"ppfunc", {}, S, 0, 0, "the function name of the probe point"},
    {"probefunc", {}, S, 0, 0, "the function being probed"},
    // ---- control and output (logging.stp)
    {"exit", {}, V, kSide, 0, "end the session after this probe; end probes still run"},
    {"error", {S}, V, kSide, 0, "report an error and end the session"},
    {"warn", {S}, V, kSide, 0, "print a warning to stderr"},
    {"log", {S}, V, kSide, 0, "print a line"},
    {"system", {S}, V, kSide, 0, "run a shell command in the background after this probe"},
    // ---- numbers
    {"randint", {L}, L, 0, 0, "a random number in [0, n)"},
    {"abs", {L}, L, 0, 0, "absolute value"},
    // ---- byte order (linux/inet.stp); x86-64 is little-endian
    {"ntohs", {L}, L, 0, 0, "a 16-bit value from network to host byte order"},
    {"ntohl", {L}, L, 0, 0, "a 32-bit value from network to host byte order"},
    {"ntohll", {L}, L, 0, 0, "a 64-bit value from network to host byte order"},
    {"htons", {L}, L, 0, 0, "a 16-bit value from host to network byte order"},
    {"htonl", {L}, L, 0, 0, "a 32-bit value from host to network byte order"},
    {"htonll", {L}, L, 0, 0, "a 64-bit value from host to network byte order"},
    // ---- device numbers (linux/dev.stp): the kernel's dev_t, 20 minor bits
    {"MAJOR", {L}, L, 0, 0, "the major number of a kernel device number"},
    {"MINOR", {L}, L, 0, 0, "the minor number of a kernel device number"},
    {"MKDEV", {L, L}, L, 0, 0, "a kernel device number from major and minor numbers"},
    // ---- names and formatting (tapset.bpf.h has the tables)
    {"ctime", {L}, S, 0, 0, "seconds since the epoch as \"Thu Jan  1 00:00:00 1970\" (UTC)"},
    {"errno_str", {L}, S, 0, 0, "the name of an errno value (EPERM, ...), or \"\""},
    {"errno_p", {L}, L, 0, 0, "the errno of a (negated) error number, or 0 if it is none"},
    {"_signal_name", {L}, S, 0, 0, "the name of a signal number (SIGKILL, ...), or it in hex"},
    {"format_ipaddr", {L, L}, S, 0, 0, "an IPv4 (AF_INET) or IPv6 (AF_INET6) address as text"},
    {"symname", {L}, S, 0, 0, "the kernel symbol at an address, or the address in hex"},
    {"symdata", {L}, S, 0, 0, "\"symbol+offset/size [module]\" of a kernel address"},
    {"isdigit", {S}, L, 0, 0, "1 if the first character of a string is a digit"},
    {"_IS_ERR", {L}, L, 0, 0, "1 if a kernel pointer is an error value (-4095..-1)"},
    // ---- tasks (linux/task.stp, linux/context.stp), read with CO-RE
    {"task_pid", {L}, L, 0, 0, "the process id (tgid) of a task_struct"},
    {"task_tid", {L}, L, 0, 0, "the thread id of a task_struct"},
    {"task_parent", {L}, L, 0, 0, "the task_struct of a task's parent"},
    {"task_execname", {L}, S, 0, 0, "the name (comm) of a task"},
    {"task_prio", {L}, L, 0, 0, "the priority of a task"},
    {"task_nice", {L}, L, 0, 0, "the nice value of a task"},
    {"task_uid", {L}, L, 0, 0, "the user id of a task"},
    {"task_gid", {L}, L, 0, 0, "the group id of a task"},
    {"task_euid", {L}, L, 0, 0, "the effective user id of a task"},
    {"task_egid", {L}, L, 0, 0, "the effective group id of a task"},
    {"__is_idle", {}, L, 0, 0, "1 if the current task is the idle task"},
    {"syscall_name", {L}, S, 0, 0, "the name of a system call number of the current task's ABI"},
    {"_stp_maxstringlen", {}, L, kConst, 0, "MAXSTRINGLEN, the longest string (with its NUL)"},
    {"atomic_read", {L}, L, 0, 0, "the value of an atomic_t in kernel memory"},
    {"atomic_long_read", {L}, L, 0, 0, "the value of an atomic_long_t in kernel memory"},
    {"bio_op", {L}, L, 0, 0, "the operation (REQ_OP_*) of a struct bio"},
    {"usrdev2kerndev", {L}, L, 0, 0, "a user-space (new_encode_dev) device number in the kernel's encoding"},
    {"_stp_valid_task", {L}, L, 0, 0, "1 if a task has flags other than PF_KTHREAD and PF_EXITING"},
    {"_MM_SHMEMPAGES", {}, L, kConst, 0, "the index of the shared-memory pages rss counter"},
    {"_stp_current_utime", {}, L, 0, 0, "the current task's user CPU time (task_struct utime, ns)"},
    {"_stp_current_stime", {}, L, 0, 0, "the current task's system CPU time (task_struct stime, ns)"},
    // What the embedded-C macro @__compat_task (macros.stpm) means (tapset/embedded_c.h).
    {"_stp_is_compat_task", {}, L, 0, 0, "1 in a 32-bit (ia32) system call of a 64-bit kernel"},
};

}  // namespace

const std::vector<Builtin>& allBuiltins() { return kBuiltins; }

const Builtin* findBuiltin(const std::string& name, size_t argc) {
  for (const Builtin& b : kBuiltins) {
    if (b.name != name) continue;
    size_t minArgs = has(b.flags, BuiltinFlag::VarArgs) ? b.minArgs : b.params.size();
    if (argc >= minArgs && argc <= b.params.size()) return &b;
  }
  return nullptr;
}

const Builtin* findBuiltinByName(const std::string& name) {
  for (const Builtin& b : kBuiltins)
    if (b.name == name) return &b;
  return nullptr;
}

}  // namespace stp2bpf::tapset
