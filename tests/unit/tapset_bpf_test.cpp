// The BPF implementations of tapset functions (runtime/bpf/tapset.bpf.h), compiled for the
// host: the header only needs the types and helpers declared below, which stand in for
// stp2bpf.bpf.h's.  Kernel memory reads become memory copies (the first page faults), so the
// task_struct readers run against a task laid out in a local buffer; CO-RE does not apply
// on the host, where the local struct layout is the layout.  What needs the kernel
// (bpf_snprintf's %p extensions, CO-RE against BTF) is covered by the -p4 corpus test and
// tests/e2e/tapset_functions.suite.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

namespace host_bpf {

typedef int8_t s8;
typedef uint8_t u8;
typedef int16_t s16;
typedef uint16_t u16;
typedef int32_t s32;
typedef uint32_t u32;
typedef long long s64;
typedef unsigned long long u64;

#define STP_INLINE static inline
#define STP_NOINLINE static
#define STP_MAXSTRINGLEN 128
#define STP_STRBUF 128

uint64_t currentTask = 0;  // what bpf_get_current_task() returns

// Addresses in the first page fault, as a field of a null task_struct would.
bool faults(const void* p) { return reinterpret_cast<uintptr_t>(p) < 4096; }

long bpf_probe_read_kernel(void* dst, u32 size, const void* src) {
  if (faults(src)) {
    std::memset(dst, 0, size);
    return -14;  // -EFAULT
  }
  std::memcpy(dst, src, size);
  return 0;
}
long bpf_probe_read_user(void* dst, u32 size, const void* src) { return bpf_probe_read_kernel(dst, size, src); }
// The kernel's string copy: at most size - 1 bytes and a NUL; the length with the NUL.
long bpf_probe_read_kernel_str(void* dst, u32 size, const void* src) {
  if (faults(src)) return -14;
  if (size == 0) return 0;
  char* d = static_cast<char*>(dst);
  const char* s = static_cast<const char*>(src);
  u32 n = 0;
  while (n + 1 < size && s[n]) {
    d[n] = s[n];
    ++n;
  }
  d[n] = 0;
  return n + 1;
}
long bpf_probe_read_user_str(void* dst, u32 size, const void* src) { return bpf_probe_read_kernel_str(dst, size, src); }
// Only the plain conversion the header formats without %p extensions.
long bpf_snprintf(char* str, u32 size, const char* fmt, u64* data, u32) {
  if (std::strcmp(fmt, "0x%lx") != 0) return -22;
  return std::snprintf(str, size, "0x%llx", data[0]) + 1;
}
u64 bpf_get_current_task() { return currentTask; }
uint64_t currentRegs[21] = {};  // the current task's pt_regs (bpf_task_pt_regs)
void* bpf_get_current_task_btf() { return reinterpret_cast<void*>(currentTask); }
void* bpf_task_pt_regs(void*) { return currentRegs; }
u32 bpf_get_smp_processor_id() { return 0; }
// The ring buffer: one reservation at a time, kept for the test to look at.
struct stp_event_header {
  u32 kind;
  u32 site;
};
int events;
unsigned char ringRecord[512];
bool ringSubmitted = false;
void* bpf_ringbuf_reserve(void*, u64 size, u64) {
  ringSubmitted = false;
  return size <= sizeof ringRecord ? ringRecord : nullptr;
}
void bpf_ringbuf_submit(void*, u64) { ringSubmitted = true; }
// bpf_loop: calls the callback until it returns 1.
long hostLoop(u32 nr, void* callback, void* ctx, u64) {
  auto* cb = reinterpret_cast<long (*)(u32, void*)>(callback);
  for (u32 i = 0; i < nr; ++i)
    if (cb(i, ctx)) return i + 1;
  return nr;
}
#define stp_bpf_loop hostLoop
u64 stp_abs_u64(s64 v) { return v < 0 ? 0 - static_cast<u64>(v) : static_cast<u64>(v); }
u64 stp_bound(u64 index, u64 mask) { return index & mask; }
s64 stp_strcpy(char* dst, const char* src) {
  long n = bpf_probe_read_kernel_str(dst, STP_MAXSTRINGLEN, src);
  if (n <= 0) {
    dst[0] = 0;
    return 0;
  }
  return n - 1;
}
void stp_strcat(char* dst, const char* src, char*) {
  size_t len = strnlen(dst, STP_MAXSTRINGLEN);
  if (len < STP_MAXSTRINGLEN - 1) stp_strcpy(dst + len, src), dst[STP_MAXSTRINGLEN - 1] = 0;
}

#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wunknown-attributes"
#pragma clang diagnostic ignored "-Wignored-attributes"
#pragma clang diagnostic ignored "-Wunused-function"
#include "runtime/bpf/syscall_names.bpf.h"
#include "runtime/bpf/tapset.bpf.h"
#pragma clang diagnostic pop

}  // namespace host_bpf

namespace {

using namespace host_bpf;

std::string ctimeOf(long long secs) {
  char buf[STP_STRBUF];
  std::memset(buf, 'x', sizeof buf);
  stp_ctime(buf, secs);
  return buf;
}

// The C library's UTC formatting, as SystemTap's "%.3s %.3s%3d %.2d:%.2d:%.2d %d".
std::string libcCtime(long long secs) {
  time_t t = static_cast<time_t>(secs);
  struct tm tm;
  gmtime_r(&t, &tm);
  char buf[64];
  strftime(buf, sizeof buf, "%a %b %e %H:%M:%S %Y", &tm);
  return buf;
}

TEST(TapsetBpf, CtimeMatchesTheCLibrary) {
  EXPECT_EQ(ctimeOf(0), "Thu Jan  1 00:00:00 1970");
  EXPECT_EQ(ctimeOf(-1), "Wed Dec 31 23:59:59 1969");
  EXPECT_EQ(ctimeOf(951782400), "Tue Feb 29 00:00:00 2000");  // a leap day of a century year
  EXPECT_EQ(ctimeOf(2147483647), "Tue Jan 19 03:14:07 2038");
  EXPECT_EQ(ctimeOf(-2147483648LL), "Fri Dec 13 20:45:52 1901");
  // Outside a 32-bit time_t: SystemTap <= 2.2's strings (4.8 raises an error).
  EXPECT_EQ(ctimeOf(2147483648LL), "far far in the future...");
  EXPECT_EQ(ctimeOf(-2147483649LL), "a long, long time ago...");
  // Every 997th hour-and-a-bit over the whole range.
  for (long long s = -2147483648LL; s <= 2147483647LL; s += 3600 * 997 + 59)
    ASSERT_EQ(ctimeOf(s), libcCtime(s)) << s;
}

std::string str(void (*f)(char*, s64), s64 v) {
  char buf[STP_STRBUF] = "junk";
  f(buf, v);
  return buf;
}

TEST(TapsetBpf, ErrnoNames) {
  EXPECT_EQ(str(stp_errno_str, -2), "ENOENT");
  EXPECT_EQ(str(stp_errno_str, 13), "EACCES");
  EXPECT_EQ(str(stp_errno_str, 35), "EDEADLOCK");  // SystemTap's table keeps the alias
  EXPECT_EQ(str(stp_errno_str, 131), "ENOTRECOVERABLE");
  EXPECT_EQ(str(stp_errno_str, 41), "");  // no errno 41
  EXPECT_EQ(str(stp_errno_str, 132), "");
  EXPECT_EQ(str(stp_errno_str, 0), "");
  EXPECT_EQ(str(stp_errno_str, INT64_MIN), "");
  EXPECT_EQ(stp_errno_p(-110), 110);
  EXPECT_EQ(stp_errno_p(58), 0);
  EXPECT_EQ(stp_errno_p(1000), 0);
}

TEST(TapsetBpf, SignalNames) {
  EXPECT_EQ(str(stp_signal_name, 0), "SIG_0");
  EXPECT_EQ(str(stp_signal_name, 9), "SIGKILL");
  EXPECT_EQ(str(stp_signal_name, 29), "SIGIO/SIGPOLL");
  EXPECT_EQ(str(stp_signal_name, 31), "SIGSYS");
  EXPECT_EQ(str(stp_signal_name, 5 | 0x80), "TRACESYSGOOD");
  EXPECT_EQ(str(stp_signal_name, 16), "0x10");        // SIGSTKFLT: not in SystemTap's table
  EXPECT_EQ(str(stp_signal_name, -1), "0xffffffff");  // as an unsigned int
  EXPECT_EQ(str(stp_signal_name, 64), "0x40");
}

TEST(TapsetBpf, StringCopiesClampTheirLength) {
  const char* text = "abcdef";
  char buf[STP_STRBUF];
  stp_user_string_n(buf, reinterpret_cast<s64>(text), 3, nullptr);
  EXPECT_STREQ(buf, "abc");
  stp_user_string_n(buf, reinterpret_cast<s64>(text), 0, nullptr);
  EXPECT_STREQ(buf, "");
  stp_user_string_n(buf, reinterpret_cast<s64>(text), -5, nullptr);
  EXPECT_STREQ(buf, "");
  stp_user_string_n(buf, 0, 3, nullptr);
  EXPECT_STREQ(buf, "<unknown>");
  stp_user_string_n(buf, 0, 3, "bad");
  EXPECT_STREQ(buf, "bad");
  std::string longText(300, 'y');
  stp_user_string_n(buf, reinterpret_cast<s64>(longText.c_str()), 1000, nullptr);
  EXPECT_EQ(std::strlen(buf), static_cast<size_t>(STP_MAXSTRINGLEN - 2));
  stp_kernel_string_n(buf, reinterpret_cast<s64>(longText.c_str()), 1000);
  EXPECT_EQ(std::strlen(buf), static_cast<size_t>(STP_MAXSTRINGLEN - 1));
  stp_kernel_string_n(buf, 0, 3);
  EXPECT_STREQ(buf, "");
}

TEST(TapsetBpf, FixedSizeReadsSignExtendAsTheirCTypes) {
  const unsigned char bytes[8] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  s64 a = reinterpret_cast<s64>(bytes);
  EXPECT_EQ(stp_kernel_s8(a), -1);
  EXPECT_EQ(stp_kernel_s16(a), -1);
  EXPECT_EQ(stp_user_u8(a), 255);
  EXPECT_EQ(stp_user_u16(a), 65535);
  EXPECT_EQ(stp_user_u32(a), 4294967295LL);
  EXPECT_EQ(stp_user_s8(0), 0);  // a fault reads as 0
}

// A task laid out as the host sees task_struct___stp.
struct FakeTask {
  task_struct___stp task{};
  task_struct___stp parent{};
  cred___stp cred{}, realCred{};
  FakeTask() {
    task.pid = 101;
    task.tgid = 100;
    task.prio = 120;
    task.static_prio = 125;
    task.real_parent = &parent;
    task.cred = &cred;
    task.real_cred = &realCred;
    std::strcpy(task.comm, "worker");
    parent.tgid = 1;
    std::strcpy(parent.comm, "init");
    cred.euid.val = 1000;
    cred.egid.val = 1001;
    realCred.uid.val = 2000;
    realCred.gid.val = 2001;
  }
  s64 addr() { return reinterpret_cast<s64>(&task); }
};

TEST(TapsetBpf, TaskReaders) {
  FakeTask t;
  currentTask = static_cast<uint64_t>(t.addr());
  EXPECT_EQ(stp_task_tgid(stp_task(t.addr())), 100);
  EXPECT_EQ(stp_task_tid(stp_task(t.addr())), 101);
  EXPECT_EQ(stp_task_tgid(stp_task_parent(stp_current())), 1);  // ppid()
  EXPECT_EQ(stp_task_prio(t.addr()), 20);
  EXPECT_EQ(stp_task_nice(t.addr()), 5);
  EXPECT_EQ(stp_current_cred_id(STP_CRED_EUID), 1000);  // euid(): the subjective cred
  EXPECT_EQ(stp_current_cred_id(STP_CRED_EGID), 1001);
  EXPECT_EQ(stp_task_cred_id(t.addr(), STP_CRED_UID), 2000);  // task_uid(): the real cred
  EXPECT_EQ(stp_task_cred_id(t.addr(), STP_CRED_GID), 2001);
  char buf[STP_STRBUF];
  stp_task_execname(buf, stp_task_parent(stp_current()));  // pexecname()
  EXPECT_STREQ(buf, "init");
  // A bad task reads as 0.
  EXPECT_EQ(stp_task_tgid(stp_task(0)), 0);
  currentTask = 0;
}

TEST(TapsetBpf, TaskFlagsAndBios) {
  FakeTask t;
  t.task.flags = 0x00200000;  // PF_KTHREAD alone: not a valid task for proc_mem.stp
  EXPECT_EQ(stp_valid_task(t.addr()), 0);
  t.task.flags = 0x00200000 | 0x40;
  EXPECT_EQ(stp_valid_task(t.addr()), 1);
  EXPECT_EQ(stp_valid_task(0), 0);
  bio___stp bio{};
  bio.bi_opf = 0x801;  // REQ_OP_WRITE with a flag above the 8 operation bits
  EXPECT_EQ(stp_bio_op(reinterpret_cast<s64>(&bio)), 1);
  EXPECT_EQ(stp_bio_op(0), 0);
}

TEST(TapsetBpf, SyscallNamesFollowTheTasksAbi) {
  FakeTask t;
  currentTask = static_cast<uint64_t>(t.addr());
  EXPECT_EQ(str(stp_syscall_name, 0), "read");
  EXPECT_EQ(str(stp_syscall_name, 59), "execve");
  EXPECT_EQ(str(stp_syscall_name, -1), "");
  EXPECT_EQ(str(stp_syscall_name, 100000), "");
  t.task.thread_info.status = 0x2;  // TS_COMPAT: an ia32 system call
  EXPECT_EQ(stp_is_compat_task(), 1);
  EXPECT_EQ(str(stp_syscall_name, 11), "execve");
  EXPECT_EQ(str(stp_syscall_name, 505), "accept");  // socketcall(2)'s SYS_ACCEPT
  EXPECT_EQ(str(stp_syscall_name, 500), "");
  currentTask = 0;
}

TEST(TapsetBpf, SystemSendsTheCommand) {
  stp_system("echo hi");
  ASSERT_TRUE(ringSubmitted);
  stp_event_header h;
  std::memcpy(&h, ringRecord, sizeof h);
  EXPECT_EQ(h.kind, 64u);  // runtime/native/session.cpp runs it
  EXPECT_STREQ(reinterpret_cast<const char*>(ringRecord + 8), "echo hi");
}

std::string textStr(const std::string& in, s64 len, s64 quoted) {
  char scratch[STP_STRBUF], out[STP_STRBUF];
  std::memset(out, 'x', sizeof out);
  stp_text_str(out, in.c_str(), scratch, len, quoted);
  return out;
}

TEST(TapsetBpf, TextStrEscapes) {
  EXPECT_EQ(textStr("a\tb\"c\\d\001", 0, 0), "a\\tb\\\"c\\\\d\\001");
  EXPECT_EQ(textStr("hi\n", 0, 1), "\"hi\\n\"");
  EXPECT_EQ(textStr("", 0, 1), "\"\"");
  // UTF-8: 2-, 3- and 4-byte sequences; a stray continuation byte and DEL are octal.
  EXPECT_EQ(textStr("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\x80\x7f", 0, 0),
            "\\u00e9\\u20ac\\U0001f600\\200\\177");
  // Overlong and surrogate encodings are not decoded.
  EXPECT_EQ(textStr("\xc0\x80", 0, 0), "\\300\\200");
  EXPECT_EQ(textStr("\xed\xa0\x80", 0, 0), "\\355\\240\\200");
}

TEST(TapsetBpf, TextStrCuts) {
  // text_strn quoted with room for 3: SystemTap keeps outlen - 3 characters before "...
  EXPECT_EQ(textStr("abcdef", 3, 1), "\"\"...");
  EXPECT_EQ(textStr("abcdef", 6, 1), "\"a\"...");  // 4 fit in the quotes, 4 - 3 stay
  EXPECT_EQ(textStr("abcd", 6, 1), "\"abcd\"");
  EXPECT_EQ(textStr("abcdef", 3, 0), "abc");
  // 125 characters fit in quotes (MAXSTRINGLEN - 1 - 2); one more is cut.
  std::string fits(125, 'a'), over(126, 'a');
  EXPECT_EQ(textStr(fits, 0, 1), "\"" + fits + "\"");
  EXPECT_EQ(textStr(over, 0, 1), "\"" + std::string(122, 'a') + "\"...");
  // A cut inside an escape drops the escape whole.
  EXPECT_EQ(textStr(std::string(121, 'a') + "\n" + "bbbb", 0, 1), "\"" + std::string(121, 'a') + "\"...");
}

TEST(TapsetBpf, StringQuotedAt) {
  char scratch[STP_STRBUF], out[STP_STRBUF];
  const char* text = "a\"b";
  stp_string_quoted_at(out, reinterpret_cast<s64>(text), scratch, 1);
  EXPECT_STREQ(out, "\"a\\\"b\"");
  stp_string_quoted_at(out, 0, scratch, 1);  // an unreadable address is printed
  EXPECT_STREQ(out, "0x0");
  stp_string_quoted_at(out, 0, scratch, 0);
  EXPECT_STREQ(out, "0x0");
}

TEST(TapsetBpf, StrtolIsTheKernelsSimpleStrtol) {
  char scratch[STP_STRBUF];
  EXPECT_EQ(stp_strtol("123", 10, scratch), 123);
  EXPECT_EQ(stp_strtol("-0x1f", 0, scratch), -31);
  EXPECT_EQ(stp_strtol("0x1f", 16, scratch), 31);
  EXPECT_EQ(stp_strtol("1f", 16, scratch), 31);
  EXPECT_EQ(stp_strtol("017", 0, scratch), 15);
  EXPECT_EQ(stp_strtol("0x", 0, scratch), 0);  // "0x" without a hex digit: octal 0
  EXPECT_EQ(stp_strtol("12ab", 10, scratch), 12);
  EXPECT_EQ(stp_strtol(" 5", 10, scratch), 0);  // no blanks skipped
  EXPECT_EQ(stp_strtol("ffffffffffffffff", 16, scratch), -1);  // wraps
}

TEST(TapsetBpf, TokenizeIsStrsepSkippingEmptyTokens) {
  char scratch[STP_STRBUF], out[STP_STRBUF];
  std::string got;
  stp_tokenize(out, "a,,b c,", ", ", scratch);
  while (out[0]) {
    got += "<" + std::string(out) + ">";
    stp_tokenize(out, "", ", ", scratch);
  }
  EXPECT_EQ(got, "<a><b><c>");
  stp_tokenize(out, "", ", ", scratch);  // used up
  EXPECT_STREQ(out, "");
  stp_tokenize(out, "x y", "", scratch);  // no delimiters: the whole input
  EXPECT_STREQ(out, "x y");
  stp_tokenize(out, ",,,", ",", scratch);
  EXPECT_STREQ(out, "");
  // The delimiters may change between calls.
  stp_tokenize(out, "a:b,c", ":", scratch);
  EXPECT_STREQ(out, "a");
  stp_tokenize(out, "", ",", scratch);
  EXPECT_STREQ(out, "b");
}

// tapset/x86_64/registers.stp: int_arg = _stp_arg2(n, 1, 1, 0) sign-extends the low 32
// bits, uint_arg = (n, 0, 1, 0) zero-extends them, long_arg/pointer_arg = (n, 1|0, 0, 0)
// keep all 64; force64 keeps them too; argument numbers outside 1..6 give 0 here.
TEST(TapsetBpf, ProbeArgumentsFromRegisters) {
  const u64 args[6] = {1, 0xffffffffffffffffULL, 0x1234567880000000ULL, 4, 5, 6};
  EXPECT_EQ(stp_probe_arg(args, 1, 1, 1, 0), 1);
  EXPECT_EQ(stp_probe_arg(args, 2, 1, 1, 0), -1);                    // int_arg
  EXPECT_EQ(stp_probe_arg(args, 2, 0, 1, 0), 0xffffffffLL);          // uint_arg
  EXPECT_EQ(stp_probe_arg(args, 2, 1, 0, 0), -1);                    // long_arg
  EXPECT_EQ(stp_probe_arg(args, 3, 1, 1, 0), -2147483648LL);         // int_arg of 0x80000000
  EXPECT_EQ(stp_probe_arg(args, 3, 0, 1, 0), 0x80000000LL);          // uint_arg
  EXPECT_EQ(stp_probe_arg(args, 3, 0, 0, 0), 0x1234567880000000LL);  // pointer_arg
  EXPECT_EQ(stp_probe_arg(args, 3, 1, 1, 1), 0x1234567880000000LL);  // force64
  EXPECT_EQ(stp_probe_arg(args, 6, 0, 0, 0), 6);
  EXPECT_EQ(stp_probe_arg(args, 0, 0, 0, 0), 0);
  EXPECT_EQ(stp_probe_arg(args, 7, 0, 0, 0), 0);
}

// _stp_syscall_nr: orig_ax (word 15 of x86-64's pt_regs) of the registers
// __set_syscall_pt_regs gave, else of the current task's.
TEST(TapsetBpf, SyscallNumberIsOrigAx) {
  uint64_t saved[21] = {};
  saved[15] = 35;  // nanosleep
  currentRegs[15] = 230;  // clock_nanosleep
  EXPECT_EQ(stp_syscall_nr(reinterpret_cast<u64>(saved)), 35);
  EXPECT_EQ(stp_syscall_nr(0), 230);
}

}  // namespace
