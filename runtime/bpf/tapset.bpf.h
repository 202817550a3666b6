/* stp2bpf's BPF implementations of SystemTap tapset functions that SystemTap itself writes
 * in embedded C (ctime, errno_str, _signal_name, format_ipaddr, symname, task_*, ...).
 * The C backend's builtin table (translator/backends/bpfc/builtins.cpp) calls these.
 *
 * Appended to stp2bpf.bpf.h when the runtime header is embedded (embed_header.cmake), so
 * it uses that header's types and helper declarations.  Semantics follow SystemTap 4.8's
 * tapset sources and man pages (/usr/share/systemtap/tapset); each function says where.
 * Everything here is static: what a program does not call costs it nothing.
 */
#ifndef STP2BPF_TAPSET_BPF_H
#define STP2BPF_TAPSET_BPF_H

/* ---- kernel structures, read with CO-RE: libbpf relocates each field offset against the
 * running kernel's BTF (the ___stp suffix is dropped when matching type names), so nothing
 * here depends on one kernel's layout.  Only the fields the functions below read. ---- */
#define STP_CORE __attribute__((preserve_access_index))
struct stp_kid___stp {
  u32 val;  /* kuid_t / kgid_t */
} STP_CORE;
struct cred___stp {
  struct stp_kid___stp uid, gid, euid, egid;
} STP_CORE;
struct thread_info___stp {
  u32 status;
} STP_CORE;
struct bio___stp {
  u32 bi_opf;  /* blk_opf_t */
} STP_CORE;
struct task_struct___stp {
  struct thread_info___stp thread_info;
  unsigned int flags;
  int pid;
  int tgid;
  int prio;
  int static_prio;
  u64 utime, stime;
  struct task_struct___stp *real_parent;
  const struct cred___stp *real_cred;
  const struct cred___stp *cred;
  char comm[16];
} STP_CORE;

/* A bad task address reads as 0, as SystemTap's kread would raise an error. */
#define STP_KREAD(lvalue, addr) bpf_probe_read_kernel(&(lvalue), sizeof(lvalue), (addr))

/* Hides a value from clang's range analysis, so that a bounds check it could prove
 * redundant (and remove) stays for the verifier, which cannot prove it. */
#define STP_OPAQUE(v) asm volatile("" : "+r"(v))

/* Tables go to .rodata itself: clang puts constants of 4, 8, 16 or 32 bytes into mergeable
 * .rodata.cstN sections, which libbpf does not load as read-only data (reads from them
 * returned garbage). */
#define STP_TABLE __attribute__((section(".rodata")))

STP_INLINE struct task_struct___stp *stp_task(s64 addr) { return (struct task_struct___stp *)addr; }
STP_INLINE struct task_struct___stp *stp_current(void) { return stp_task((s64)bpf_get_current_task()); }

/* task_pid / task_tid (linux/task.stp): tgid and pid of a task_struct. */
STP_INLINE s64 stp_task_tgid(struct task_struct___stp *t) { int v = 0; STP_KREAD(v, &t->tgid); return v; }
STP_INLINE s64 stp_task_tid(struct task_struct___stp *t) { int v = 0; STP_KREAD(v, &t->pid); return v; }
STP_INLINE struct task_struct___stp *stp_task_parent(struct task_struct___stp *t) {
  struct task_struct___stp *p = 0;
  STP_KREAD(p, &t->real_parent);
  return p;
}
/* task_prio / task_nice (linux/task.stp): prio - MAX_RT_PRIO, static_prio - MAX_RT_PRIO - 20
 * (MAX_RT_PRIO is 100 in every kernel with BTF). */
STP_INLINE s64 stp_task_prio(s64 task) { int v = 0; STP_KREAD(v, &stp_task(task)->prio); return (s64)v - 100; }
STP_INLINE s64 stp_task_nice(s64 task) { int v = 0; STP_KREAD(v, &stp_task(task)->static_prio); return (s64)v - 120; }
/* task_execname (linux/task.stp): the comm of a task. */
STP_INLINE void stp_task_execname(char *dst, struct task_struct___stp *t) {
  if (bpf_probe_read_kernel_str(dst, 16, &t->comm) < 0) dst[0] = 0;
}

/* _stp_is_compat_task() (the @__compat_task macro): the current task is in a 32-bit
 * system call, x86-64's in_ia32_syscall(): TS_COMPAT (0x2) in its thread_info status. */
STP_INLINE s64 stp_is_compat_task(void) {
  u32 status = 0;
  STP_KREAD(status, &stp_current()->thread_info.status);
  return (status & 0x2) != 0;
}

/* syscall_name(nr) (linux/syscall_table.stp): the name of a system call in the current
 * task's ABI (the ia32 numbers in a 32-bit system call, as @__compat_task), "" if the
 * number has none.  The tables are syscall_names.bpf.h, generated from the uapi headers. */
STP_INLINE void stp_syscall_name(char *dst, s64 nr) {
  const char *name = "";
  if (stp_is_compat_task()) {
    if (nr >= 0 && nr < STP_SYSCALL32_NAMES_COUNT) name = stp_syscall32_names[nr];
    else if (nr > 500 && nr < 500 + STP_SOCKETCALL_NAMES_COUNT) name = stp_socketcall_names[nr - 500];
  } else if (nr >= 0 && nr < STP_SYSCALL64_NAMES_COUNT) {
    name = stp_syscall64_names[nr];
  }
  stp_strcpy(dst, name);
}

/* _stp_valid_task(task) (linux/proc_mem.stp): its flags have a bit other than PF_KTHREAD
 * (0x00200000) and PF_EXITING (0x4), as SystemTap tests them; a null task is not valid. */
STP_INLINE s64 stp_valid_task(s64 task) {
  unsigned int flags = 0;
  if (!task) return 0;
  STP_KREAD(flags, &stp_task(task)->flags);
  return (flags & ~(0x00200000u | 0x4u)) != 0;
}

/* @const("current->utime") / @const("current->stime") (linux/task_time.stp). */
STP_INLINE s64 stp_current_time(int system) {
  u64 v = 0;
  if (system) STP_KREAD(v, &stp_current()->stime);
  else STP_KREAD(v, &stp_current()->utime);
  return (s64)v;
}

/* bio_op(bio) (linux/ioblock.stp): the REQ_OP_* in the low 8 bits (REQ_OP_BITS) of bi_opf;
 * 0 for a null bio. */
STP_INLINE s64 stp_bio_op(s64 bio) {
  u32 opf = 0;
  if (!bio) return 0;
  STP_KREAD(opf, &((struct bio___stp *)bio)->bi_opf);
  return opf & 0xff;
}

/* Credentials.  task_uid & co. (linux/task.stp) read the task's objective credentials
 * (real_cred); euid()/egid() (linux/context.stp) the current task's subjective ones (cred).
 * The ids are the kernel's, i.e. as seen from the initial user namespace. */
enum { STP_CRED_UID, STP_CRED_GID, STP_CRED_EUID, STP_CRED_EGID };
STP_INLINE s64 stp_cred_id(const struct cred___stp *c, int which) {
  u32 v = 0;
  switch (which) {
    case STP_CRED_UID: STP_KREAD(v, &c->uid.val); break;
    case STP_CRED_GID: STP_KREAD(v, &c->gid.val); break;
    case STP_CRED_EUID: STP_KREAD(v, &c->euid.val); break;
    default: STP_KREAD(v, &c->egid.val); break;
  }
  return v;
}
STP_INLINE s64 stp_task_cred_id(s64 task, int which) {
  const struct cred___stp *c = 0;
  STP_KREAD(c, &stp_task(task)->real_cred);
  return stp_cred_id(c, which);
}
STP_INLINE s64 stp_current_cred_id(int which) {
  const struct cred___stp *c = 0;
  STP_KREAD(c, &stp_current()->cred);
  return stp_cred_id(c, which);
}

/* stp_pid() (linux/context.stp): the pid of the user-space process that runs the session
 * (SystemTap's stapio; here stp2bpf), set by the loader like stp2bpf.bpf.h's values. */
const volatile s64 stp_stp_pid = 0;

/* system(cmd) (system.stp): the command goes to user space, which starts it in the
 * background (runtime/native/session.cpp).  Event kinds of this file start at 64, clear
 * of stp2bpf.bpf.h's. */
enum { STP_EVENT_SYSTEM = 64 };
struct stp_system_event {
  struct stp_event_header h;
  char cmd[STP_STRBUF];
};
STP_INLINE void stp_system(const char *cmd) {
  struct stp_system_event *e = (struct stp_system_event *)bpf_ringbuf_reserve((void *)&events, sizeof(*e), 0);
  if (!e) return;
  e->h.kind = STP_EVENT_SYSTEM;
  e->h.site = 0;
  stp_strcpy(e->cmd, cmd);
  bpf_ringbuf_submit(e, 0);
}

/* ---- ctime(epochsecs) (linux/ctime.stp): "Thu Jan  1 00:00:00 1970", UTC.  SystemTap accepts
 * the range of a 32-bit time_t and raises an error outside it; BPF builtins cannot raise
 * errors yet, so those values give the strings SystemTap <= 2.2 returned for them. ---- */
static const char stp_day_names[8][4] STP_TABLE = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char stp_month_names[16][4] STP_TABLE = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
STP_INLINE void stp_put2(char *p, u32 v) {
  p[0] = (char)('0' + v / 10 % 10);
  p[1] = (char)('0' + v % 10);
}
STP_NOINLINE void stp_ctime(char *dst, s64 secs) {
  if (secs > 2147483647LL) {
    stp_strcpy(dst, "far far in the future...");
    return;
  }
  if (secs < -2147483648LL) {
    stp_strcpy(dst, "a long, long time ago...");
    return;
  }
  /* Unsigned arithmetic only (BPF divides unsigned): shift the seconds by a whole number of
   * days that makes them positive, and count days from 0000-03-01 of the proleptic
   * Gregorian calendar, where leap days fall at the end of each year. */
  const u64 shiftDays = 24856;  /* > 2^31 / 86400 */
  u64 s = (u64)(secs + (s64)(shiftDays * 86400));
  u64 rem = s % 86400;
  u64 z = s / 86400 - shiftDays + 719468;  /* 719468: days from 0000-03-01 to 1970-01-01 */
  u32 wday = (u32)((z + 3) % 7);           /* 1970-01-01 was a Thursday (4) */
  u64 era = z / 146097;                    /* 400-year cycles */
  u64 doe = z - era * 146097;
  u64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  u64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  u64 mp = (5 * doy + 2) / 153;            /* month from March = 0 */
  u32 mday = (u32)(doy - (153 * mp + 2) / 5 + 1);
  u32 mon = (u32)(mp < 10 ? mp + 2 : mp - 10);  /* 0 = January */
  u32 year = (u32)(yoe + era * 400 + (mon <= 1));
  /* Bounds for the verifier, which cannot follow % and /: masks into the padded tables
   * (clang knows the ranges and would drop the masks, so the values are hidden from it). */
  STP_OPAQUE(wday);
  STP_OPAQUE(mon);
  wday &= 7;
  mon &= 15;
  for (int i = 0; i < 3; ++i) {
    dst[i] = stp_day_names[wday][i];
    dst[4 + i] = stp_month_names[mon][i];
  }
  dst[3] = ' ';
  dst[7] = ' ';  /* "%3d" of the day */
  dst[8] = mday >= 10 ? (char)('0' + mday / 10) : ' ';
  dst[9] = (char)('0' + mday % 10);
  dst[10] = ' ';
  stp_put2(dst + 11, (u32)(rem / 3600));
  dst[13] = ':';
  stp_put2(dst + 14, (u32)(rem / 60 % 60));
  dst[16] = ':';
  stp_put2(dst + 17, (u32)(rem % 60));
  dst[19] = ' ';
  stp_put2(dst + 20, year / 100);  /* 1901..2038 */
  stp_put2(dst + 22, year % 100);
  dst[24] = 0;
}

/* ---- names of numbers ---- */
/* errno_str / errno_p (errno.stp): the errno names of the kernel's uapi headers
 * (asm-generic/errno-base.h, errno.h) up to ENOTRECOVERABLE (131), the range SystemTap's
 * table covers; where two names share a number, the one SystemTap's table keeps. */
/* (256 rows: indexes are masked with 255 where the verifier must see the bound.) */
static const char stp_errno_names[256][16] STP_TABLE = {
    "", "EPERM", "ENOENT", "ESRCH", "EINTR", "EIO", "ENXIO", "E2BIG", "ENOEXEC", "EBADF",
    "ECHILD", "EAGAIN", "ENOMEM", "EACCES", "EFAULT", "ENOTBLK", "EBUSY", "EEXIST", "EXDEV",
    "ENODEV", "ENOTDIR", "EISDIR", "EINVAL", "ENFILE", "EMFILE", "ENOTTY", "ETXTBSY", "EFBIG",
    "ENOSPC", "ESPIPE", "EROFS", "EMLINK", "EPIPE", "EDOM", "ERANGE", "EDEADLOCK",
    "ENAMETOOLONG", "ENOLCK", "ENOSYS", "ENOTEMPTY", "ELOOP", "", "ENOMSG", "EIDRM", "ECHRNG",
    "EL2NSYNC", "EL3HLT", "EL3RST", "ELNRNG", "EUNATCH", "ENOCSI", "EL2HLT", "EBADE", "EBADR",
    "EXFULL", "ENOANO", "EBADRQC", "EBADSLT", "", "EBFONT", "ENOSTR", "ENODATA", "ETIME",
    "ENOSR", "ENONET", "ENOPKG", "EREMOTE", "ENOLINK", "EADV", "ESRMNT", "ECOMM", "EPROTO",
    "EMULTIHOP", "EDOTDOT", "EBADMSG", "EOVERFLOW", "ENOTUNIQ", "EBADFD", "EREMCHG",
    "ELIBACC", "ELIBBAD", "ELIBSCN", "ELIBMAX", "ELIBEXEC", "EILSEQ", "ERESTART", "ESTRPIPE",
    "EUSERS", "ENOTSOCK", "EDESTADDRREQ", "EMSGSIZE", "EPROTOTYPE", "ENOPROTOOPT",
    "EPROTONOSUPPORT", "ESOCKTNOSUPPORT", "EOPNOTSUPP", "EPFNOSUPPORT", "EAFNOSUPPORT",
    "EADDRINUSE", "EADDRNOTAVAIL", "ENETDOWN", "ENETUNREACH", "ENETRESET", "ECONNABORTED",
    "ECONNRESET", "ENOBUFS", "EISCONN", "ENOTCONN", "ESHUTDOWN", "ETOOMANYREFS", "ETIMEDOUT",
    "ECONNREFUSED", "EHOSTDOWN", "EHOSTUNREACH", "EALREADY", "EINPROGRESS", "ESTALE",
    "EUCLEAN", "ENOTNAM", "ENAVAIL", "EISNAM", "EREMOTEIO", "EDQUOT", "ENOMEDIUM",
    "EMEDIUMTYPE", "ECANCELED", "ENOKEY", "EKEYEXPIRED", "EKEYREVOKED", "EKEYREJECTED",
    "EOWNERDEAD", "ENOTRECOVERABLE",
};
/* The errno of a (possibly negated) error number, or 0 if it has no name. */
STP_INLINE s64 stp_errno_p(s64 err) {
  u64 e = stp_abs_u64(err);
  if (e == 0 || e >= 132) return 0;
  return stp_errno_names[stp_bound(e, 255)][0] ? (s64)e : 0;
}
STP_INLINE void stp_errno_str(char *dst, s64 err) {
  s64 e = stp_errno_p(err);
  if (e > 0) stp_strcpy(dst, stp_errno_names[stp_bound((u64)e, 255)]);
  else dst[0] = 0;
}

/* _signal_name (linux/aux_syscalls.stp): x86-64 signal numbers; SIGSTKFLT (16) is not in
 * SystemTap's table, SIGTRAP|0x80 is ptrace's TRACESYSGOOD; anything else is printed in hex
 * ("0x%lx" of the number as an unsigned int). */
static const char stp_signal_names[32][14] STP_TABLE = {
    "SIG_0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS",
    "SIGFPE", "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
    "", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG",
    "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO/SIGPOLL", "SIGPWR", "SIGSYS",
};
static const char stp_fmt_hex[] STP_TABLE = "0x%lx";
STP_INLINE void stp_signal_name(char *dst, s64 sig) {
  u64 v = (u32)sig;
  if (v < 32 && stp_signal_names[v][0]) {
    stp_strcpy(dst, stp_signal_names[v]);
    return;
  }
  if (v == (5 | 0x80)) {
    stp_strcpy(dst, "TRACESYSGOOD");
    return;
  }
  if (bpf_snprintf(dst, STP_MAXSTRINGLEN, stp_fmt_hex, &v, sizeof(v)) < 0) dst[0] = 0;
}

/* ---- formatted by the kernel's bpf_snprintf, which has the kernel's %p extensions ---- */
/* format_ipaddr(addr, family) (linux/ip.stp): AF_INET: the address is the __be32 value
 * itself; AF_INET6: the address of an in6_addr in kernel memory. */
static const char stp_fmt_ip4[] STP_TABLE = "%pI4";
static const char stp_fmt_ip6[] STP_TABLE = "%pI6";
STP_INLINE void stp_format_ipaddr(char *dst, s64 addr, s64 family) {
  if (family == 2) {
    u32 ip = (u32)addr;
    u64 arg = (u64)&ip;
    if (bpf_snprintf(dst, STP_MAXSTRINGLEN, stp_fmt_ip4, &arg, sizeof(arg)) < 0) dst[0] = 0;
  } else if (family == 10) {
    u64 arg = (u64)addr;
    if (bpf_snprintf(dst, STP_MAXSTRINGLEN, stp_fmt_ip6, &arg, sizeof(arg)) < 0) dst[0] = 0;
  } else {
    stp_strcpy(dst, "*unknown address family*");
  }
}

/* symname(addr) / symdata(addr) (linux/context-symbols.stp): the kernel's own symbol
 * lookup (%ps, %pS), which knows the kernel and its modules as SystemTap's tables do.  An
 * address without a symbol prints as hex in both.  %pS gives "name+0xoff/0xsize [module]"
 * like SystemTap's symdata; SystemTap also names the kernel itself (" [kernel]"), which
 * %pS leaves out, so it is added here. */
static const char stp_fmt_sym[] STP_TABLE = "%ps";
static const char stp_fmt_symdata[] STP_TABLE = "%pS";
STP_INLINE void stp_symname(char *dst, s64 addr) {
  u64 a = (u64)addr;
  if (bpf_snprintf(dst, STP_MAXSTRINGLEN, stp_fmt_sym, &a, sizeof(a)) < 0) dst[0] = 0;
}
STP_INLINE void stp_symdata(char *dst, s64 addr) {
  u64 a = (u64)addr;
  long n = bpf_snprintf(dst, STP_MAXSTRINGLEN, stp_fmt_symdata, &a, sizeof(a));
  if (n < 2) {
    dst[0] = 0;
    return;
  }
  u32 end = (u32)(n - 1) & (STP_STRBUF - 1);  /* the NUL */
  /* A module symbol ends in ']'; a bare address (no symbol) starts with "0x". */
  if (dst[(end - 1) & (STP_STRBUF - 1)] == ']' || dst[0] == '0' || end > STP_MAXSTRINGLEN - 10) return;
  const char suffix[] = " [kernel]";
  for (int i = 0; i < (int)sizeof(suffix); ++i) dst[(end + i) & (STP_STRBUF - 1)] = suffix[i];
}

/* ---- memory (conversions.stp, uconversions.stp) ---- */
/* The copy size for n characters: n + 1 bytes (the last one the NUL), at least 1 and at
 * most `max`; clamped in a way the verifier follows. */
STP_INLINE u32 stp_copy_size(s64 n, u32 max) {
  if (n < 0) return 1;
  if (n >= (s64)max) return max;
  return (u32)n + 1;
}
/* user_string_n(addr, n[, err_msg]): at most n characters, and at most MAXSTRINGLEN - 2
 * (SystemTap copies n + 1 bytes clamped to MAXSTRINGLEN - 1).  On a fault the result is
 * err_msg, "<unknown>" without one (where SystemTap also raises an error). */
STP_INLINE void stp_user_string_n(char *dst, s64 addr, s64 n, const char *err) {
  if (bpf_probe_read_user_str(dst, stp_copy_size(n, STP_MAXSTRINGLEN - 1), (void *)addr) < 0)
    stp_strcpy(dst, err ? err : "<unknown>");
}
/* kernel_string_n(addr, n): n + 1 bytes clamped to MAXSTRINGLEN.  A fault (an error in
 * SystemTap) gives "". */
STP_INLINE void stp_kernel_string_n(char *dst, s64 addr, s64 n) {
  if (bpf_probe_read_kernel_str(dst, stp_copy_size(n, STP_MAXSTRINGLEN), (void *)addr) < 0) dst[0] = 0;
}
/* Fixed-size reads: kernel_char/short/pointer, user_char/short/... (signed or not as the
 * SystemTap function's C type is).  A fault reads as 0. */
#define STP_READER(name, helper, type)                 \
  STP_INLINE s64 name(s64 addr) {                      \
    type v = 0;                                        \
    if (helper(&v, sizeof(v), (void *)addr) < 0) v = 0; \
    return (s64)v;                                     \
  }
STP_READER(stp_kernel_s8, bpf_probe_read_kernel, s8)
STP_READER(stp_kernel_s16, bpf_probe_read_kernel, s16)
STP_READER(stp_kernel_u64, bpf_probe_read_kernel, u64)
STP_READER(stp_user_s8, bpf_probe_read_user, s8)
STP_READER(stp_user_u8, bpf_probe_read_user, u8)
STP_READER(stp_user_s16, bpf_probe_read_user, s16)
STP_READER(stp_user_u16, bpf_probe_read_user, u16)
STP_READER(stp_user_u32, bpf_probe_read_user, u32)
STP_READER(stp_user_u64, bpf_probe_read_user, u64)

/* ---- strings: loops as bpf_loop callbacks.  The kernel verifies a callback like a loop
 * body, until the states of two iterations agree; counters it knows exactly (kept on the
 * stack) never agree, so each function keeps its counters in a per-CPU work slot in .bss,
 * whose contents the verifier does not track, and passes the callback only pointers (on
 * the stack, as bpf_loop requires).  Masked indexes then stay inside STP_STRBUF buffers:
 * inputs are first copied into the caller's scratch buffer (a literal is shorter).
 * A probe runs on one CPU to its end; a perf-event probe interrupting another probe's
 * string function on the same CPU would share its slot. ---- */
#ifndef stp_bpf_loop  /* (unit tests on the host define their own) */
static long (*stp_bpf_loop)(u32 nr, void *callback, void *ctx, u64 flags) = (long (*)(u32, void *, void *, u64))181;
#endif
#define STP_MASK (STP_STRBUF - 1)
#define STP_WORK_CPUS 256
#define STP_CPU_SLOT(array) (&(array)[bpf_get_smp_processor_id() & (STP_WORK_CPUS - 1)])

/* _stp_text_str (runtime/stp_string.c), behind text_str, text_strn, string_quoted,
 * kernel_string_quoted and user_string_quoted: printable ASCII stays; \a \b \f \n \r \t \v
 * \" \\ are escaped; valid UTF-8 sequences become \uXXXX / \UXXXXXXXX; any other byte is
 * \ooo.  At most `outlen` output characters; quoted, the string is in double quotes and a
 * cut one ends in "... (an escape sequence the cut would split is dropped whole). */
struct stp_text_work {
  s64 inlen, outlen;
  s64 i, o;          /* read and write positions */
  s64 esc, escLen;   /* the first escape sequence a cut could split (-1: none) */
  u32 c;             /* the last character decoded */
};
static struct stp_text_work stp_text_works[STP_WORK_CPUS];
struct stp_text_ctx {
  char *out;
  const char *in;
  struct stp_text_work *w;
};
static const char stp_hex_digits[17] STP_TABLE = "0123456789abcdef";
/* The letter of a one-letter escape, or 0. */
STP_INLINE char stp_short_escape(u32 c) {
  switch (c) {
    case '\a': return 'a';
    case '\b': return 'b';
    case '\f': return 'f';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    case '\v': return 'v';
    case '"': return '"';
    case '\\': return '\\';
    default: return 0;
  }
}
static long stp_text_step(u32 index, void *ctx) {
  struct stp_text_ctx *x = (struct stp_text_ctx *)ctx;
  struct stp_text_work *w = x->w;
  const char *in = x->in;
  char *out = x->out;
  if (w->inlen <= 0) return 1;
  /* Decode one character: a UTF-8 sequence if it is a valid, shortest one of a scalar
   * value (not a surrogate, at most 0x10FFFF), else the byte itself. */
  u64 at = (u64)w->i;
  u32 b = (u8)in[at & STP_MASK];
  u32 c = b, n = 1, need = 0;
  if ((b & 0xE0) == 0xC0 && w->inlen >= 2) need = 2, c = b & 0x1F;
  else if ((b & 0xF0) == 0xE0 && w->inlen >= 3) need = 3, c = b & 0xF;
  else if ((b & 0xF8) == 0xF0 && w->inlen >= 4) need = 4, c = b & 0x7;
  if (need) {
    int ok = 1;
    for (u32 k = 1; k < 4; ++k) {
      if (k >= need) break;
      u32 b2 = (u8)in[(at + k) & STP_MASK];
      if ((b2 & 0xC0) != 0x80) {
        ok = 0;
        break;
      }
      c = (c << 6) | (b2 & 0x3F);
    }
    if (ok && !(c >= 0xD800 && c <= 0xDFFF) && c <= 0x10FFFF && c >= 0x80 &&
        !(need == 3 && c < 0x800) && !(need == 4 && c < 0x10000))
      n = need;
    else
      c = b;
  }
  w->c = c;
  if (c == 0 || w->outlen <= 0) return 1;
  w->i += n;
  w->inlen -= n;
  s64 num;
  char letter = 0;
  if (n > 1) num = c <= 0xFFFF ? 6 : 10;
  else if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') num = 1;
  else num = (letter = stp_short_escape(c)) ? 2 : 4;
  if (num > 1 && w->esc < 0 && w->outlen - 3 < num) {
    w->esc = w->o;
    w->escLen = num;
  }
  if (w->outlen < num) return 1;
  u64 o = (u64)w->o;
  if (num == 1) {
    out[o & STP_MASK] = (char)c;
  } else {
    out[o & STP_MASK] = '\\';
    if (n > 1) {
      out[(o + 1) & STP_MASK] = c <= 0xFFFF ? 'u' : 'U';
      for (u32 k = 0; k < 8; ++k) {  /* num - 2 hex digits, most significant first */
        if (k >= num - 2) break;
        out[(o + 2 + k) & STP_MASK] = stp_hex_digits[(c >> ((num - 3 - k) * 4)) & 0xF];
      }
    } else if (letter) {
      out[(o + 1) & STP_MASK] = letter;
    } else {
      out[(o + 1) & STP_MASK] = (char)('0' + ((c >> 6) & 3));
      out[(o + 2) & STP_MASK] = (char)('0' + ((c >> 3) & 7));
      out[(o + 3) & STP_MASK] = (char)('0' + (c & 7));
    }
  }
  w->o += num;
  w->outlen -= num;
  return 0;
}
/* `buf` holds the input (STP_STRBUF bytes); inlen/outlen <= 0 mean MAXSTRINGLEN - 1. */
STP_NOINLINE void stp_text_str_buf(char *dst, const char *buf, s64 inlen, s64 outlen, s64 quoted) {
  struct stp_text_work *w = STP_CPU_SLOT(stp_text_works);
  w->inlen = inlen <= 0 || inlen > STP_MAXSTRINGLEN - 1 ? STP_MAXSTRINGLEN - 1 : inlen;
  w->outlen = outlen <= 0 || outlen > STP_MAXSTRINGLEN - 1 ? STP_MAXSTRINGLEN - 1 : outlen;
  w->i = w->o = 0;
  w->esc = -1;
  w->escLen = 0;
  w->c = 0;
  if (quoted) {
    w->outlen = (w->outlen < 5 ? 5 : w->outlen) - 2;
    dst[0] = '"';
    w->o = 1;
  }
  struct stp_text_ctx x = {dst, buf, w};
  stp_bpf_loop(STP_MAXSTRINGLEN, (void *)stp_text_step, &x, 0);
  u64 o = (u64)w->o;
  if (quoted) {
    if (w->c && w->inlen > 0) {  /* cut: end in "... */
      s64 cut = w->o - 3 + w->outlen;
      o = (u64)(w->esc >= 0 && w->esc < cut && cut < w->esc + w->escLen ? w->esc : cut);
      dst[o & STP_MASK] = '"';
      dst[(o + 1) & STP_MASK] = '.';
      dst[(o + 2) & STP_MASK] = '.';
      dst[(o + 3) & STP_MASK] = '.';
      o += 4;
    } else {
      dst[o & STP_MASK] = '"';
      o += 1;
    }
  }
  dst[o & STP_MASK] = 0;
}
/* text_str(s), text_strn(s, len, quoted) (len clamped to 0..MAXSTRINGLEN; 0 is no limit)
 * and string_quoted(s) (string.stp). */
STP_INLINE void stp_text_str(char *dst, const char *s, char *scratch, s64 len, s64 quoted) {
  stp_strcpy(scratch, s);
  if (len > STP_MAXSTRINGLEN) len = STP_MAXSTRINGLEN;
  stp_text_str_buf(dst, scratch, 0, len, quoted);
}
static const char stp_fmt_addr[] STP_TABLE = "0x%lx";
/* user_string_quoted(addr) (uconversions.stp): string_quoted(user_string(addr)), or the
 * address as "0x%x" if it cannot be read.  kernel_string_quoted(addr) (linux/
 * conversions.stp): the same from kernel memory ("0x0" for a null address). */
STP_INLINE void stp_string_quoted_at(char *dst, s64 addr, char *scratch, int user) {
  long n = user ? bpf_probe_read_user_str(scratch, STP_MAXSTRINGLEN, (void *)addr)
                : bpf_probe_read_kernel_str(scratch, STP_MAXSTRINGLEN, (void *)addr);
  if (n < 0 || (!user && addr == 0)) {
    u64 a = (u64)addr;
    if (bpf_snprintf(dst, STP_MAXSTRINGLEN, stp_fmt_addr, &a, sizeof(a)) < 0) dst[0] = 0;
    return;
  }
  stp_text_str_buf(dst, scratch, 0, 0, 1);
}

/* strtol(s, base) (string.stp): the kernel's simple_strtol: an optional '-', then with base
 * 0 a "0x" prefix (followed by a hex digit) means 16, a leading 0 means 8, else 10; base 16
 * skips a "0x" prefix; digits (0-9, a-f) below the base, up to the first other character;
 * no blanks are skipped, and overflow wraps. */
struct stp_strtol_work {
  u64 i, base, value;
};
static struct stp_strtol_work stp_strtol_works[STP_WORK_CPUS];
struct stp_strtol_ctx {
  const char *s;
  struct stp_strtol_work *w;
};
static long stp_strtol_step(u32 index, void *ctx) {
  struct stp_strtol_ctx *x = (struct stp_strtol_ctx *)ctx;
  struct stp_strtol_work *w = x->w;
  u32 c = (u8)x->s[w->i & STP_MASK];
  u32 lc = c | 0x20;
  u64 v;
  if (c >= '0' && c <= '9') v = c - '0';
  else if (lc >= 'a' && lc <= 'f') v = lc - 'a' + 10;
  else return 1;
  if (v >= w->base) return 1;
  w->value = w->value * w->base + v;
  w->i++;
  return 0;
}
STP_NOINLINE s64 stp_strtol(const char *str, s64 base, char *scratch) {
  stp_strcpy(scratch, str);
  struct stp_strtol_work *w = STP_CPU_SLOT(stp_strtol_works);
  int negative = scratch[0] == '-';
  u32 at = negative ? 1 : 0;
  u32 c0 = (u8)scratch[at], c1 = (u8)scratch[at + 1] | 0x20;
  u32 c2 = (u8)scratch[at + 2], l2 = c2 | 0x20;
  int hex2 = (c2 >= '0' && c2 <= '9') || (l2 >= 'a' && l2 <= 'f');
  u64 b = (u64)base;
  if (b == 0) b = c0 == '0' ? (c1 == 'x' && hex2 ? 16 : 8) : 10;
  if (b == 16 && c0 == '0' && c1 == 'x') at += 2;
  w->i = at;
  w->base = b;
  w->value = 0;
  struct stp_strtol_ctx x = {scratch, w};
  stp_bpf_loop(STP_MAXSTRINGLEN, (void *)stp_strtol_step, &x, 0);
  return negative ? (s64)(0 - w->value) : (s64)w->value;
}

/* tokenize(input, delim) (tokenize.stp): strsep over a per-CPU copy of the last non-empty
 * input, skipping empty tokens; "" when no token is left. */
struct stp_tok_work {
  char str[STP_STRBUF];
  s64 start;     /* next read position; -1 when the input is used up */
  s64 pos;       /* the scan position */
  u64 delim[4];  /* the delimiter set, one bit per byte value */
};
static struct stp_tok_work stp_tok_works[STP_WORK_CPUS];
struct stp_tok_ctx {
  const char *text;  /* the delimiters, then the string scanned */
  struct stp_tok_work *w;
  s64 inSet;         /* scanning while characters are (1) or are not (0) delimiters */
};
STP_INLINE s64 stp_in_set(const u64 *set, u32 c) { return (set[(c >> 6) & 3] >> (c & 63)) & 1; }
static long stp_delim_step(u32 index, void *ctx) {
  struct stp_tok_ctx *x = (struct stp_tok_ctx *)ctx;
  u32 c = (u8)x->text[index & STP_MASK];
  if (!c) return 1;
  x->w->delim[(c >> 6) & 3] |= 1ULL << (c & 63);
  return 0;
}
static long stp_tok_scan_step(u32 index, void *ctx) {
  struct stp_tok_ctx *x = (struct stp_tok_ctx *)ctx;
  struct stp_tok_work *w = x->w;
  u64 pos = (u64)w->pos;
  u32 c = (u8)x->text[pos & STP_MASK];
  if (!c || stp_in_set(w->delim, c) != x->inSet || pos >= STP_MAXSTRINGLEN - 1) return 1;
  w->pos = (s64)pos + 1;
  return 0;
}
STP_NOINLINE void stp_tokenize(char *dst, const char *input, const char *delim, char *scratch) {
  struct stp_tok_work *w = STP_CPU_SLOT(stp_tok_works);
  dst[0] = 0;
  stp_strcpy(scratch, input);
  if (scratch[0]) {
    stp_strcpy(w->str, scratch);
    w->start = 0;
  }
  stp_strcpy(scratch, delim);
  w->delim[0] = w->delim[1] = w->delim[2] = w->delim[3] = 0;
  struct stp_tok_ctx x = {scratch, w, 0};
  stp_bpf_loop(STP_MAXSTRINGLEN, (void *)stp_delim_step, &x, 0);
  if (w->start < 0) return;
  w->pos = w->start;
  x.text = w->str;
  x.inSet = 1;
  stp_bpf_loop(STP_MAXSTRINGLEN, (void *)stp_tok_scan_step, &x, 0);  /* skip delimiters */
  u64 pos = (u64)w->pos & STP_MASK;
  x.inSet = 0;
  stp_bpf_loop(STP_MAXSTRINGLEN, (void *)stp_tok_scan_step, &x, 0);  /* the token */
  u64 end = (u64)w->pos & STP_MASK;
  if (end <= pos) {  /* only delimiters were left */
    w->start = -1;
    return;
  }
  if (w->str[end]) {  /* a delimiter: strsep cuts the string there */
    w->str[end] = 0;
    w->start = (s64)end + 1;
  } else {
    w->start = -1;
  }
  if (bpf_probe_read_kernel_str(dst, (u32)(end - pos + 1) & STP_MASK, w->str + pos) < 0) dst[0] = 0;
}

#endif /* STP2BPF_TAPSET_BPF_H */

/* _stp_arg2(argnum, sign_extend, truncate, force64) of tapset/x86_64/registers.stp (behind
 * int_arg(), uint_arg(), long_arg(), pointer_arg()...): argument 1..6 from the registers
 * of the x86-64 calling convention, truncated to 32 bits (sign- or zero-extended) when
 * asked.  Arguments past the sixth are on the stack; the translator refuses constant ones.
 * After __set_syscall_pt_regs(regs) (the nd_syscall tapset, kernels 4.17+) they come from
 * the syscall's saved registers instead, in the syscall convention (r10 for the 4th). */
STP_INLINE s64 stp_arg_extend(u64 v, s64 sign_extend, s64 truncate, s64 force64) {
  if (truncate && !force64) return sign_extend ? (s64)(s32)v : (s64)(u32)v;
  return (s64)v;
}
STP_INLINE s64 stp_probe_arg(const u64 *arg, s64 n, s64 sign_extend, s64 truncate, s64 force64) {
  u64 v;
  switch (n) {
    case 1: v = arg[0]; break;
    case 2: v = arg[1]; break;
    case 3: v = arg[2]; break;
    case 4: v = arg[3]; break;
    case 5: v = arg[4]; break;
    case 6: v = arg[5]; break;
    default: return 0;
  }
  return stp_arg_extend(v, sign_extend, truncate, force64);
}
/* struct pt_regs of x86-64, by word: r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di. */
STP_INLINE s64 stp_syscall_arg(u64 regs, s64 n, s64 sign_extend, s64 truncate, s64 force64) {
  u32 word;
  switch (n) {
    case 1: word = 14; break;  /* di */
    case 2: word = 13; break;  /* si */
    case 3: word = 12; break;  /* dx */
    case 4: word = 7; break;   /* r10 */
    case 5: word = 9; break;   /* r8 */
    case 6: word = 8; break;   /* r9 */
    default: return 0;
  }
  u64 v = 0;
  bpf_probe_read_kernel(&v, 8, (const void *)(regs + 8 * word));
  return stp_arg_extend(v, sign_extend, truncate, force64);
}

/* _stp_syscall_nr() (linux/aux_syscalls.stp): the syscall number, orig_ax of the
 * syscall's saved registers (those __set_syscall_pt_regs gave, else the task's own). */
STP_INLINE s64 stp_syscall_nr(u64 sregs) {
  u64 regs = sregs ? sregs : (u64)bpf_task_pt_regs(bpf_get_current_task_btf());
  s64 nr = -1;
  bpf_probe_read_kernel(&nr, 8, (const void *)(regs + 8 * 15));  /* orig_ax */
  return nr;
}

/* backtrace() (linux/context-unwind.stp): the frames' addresses as _STP_SYM_NONE prints
 * them, "%p " each ("0x" and 16 hex digits, then a space), cut at MAXSTRINGLEN - 1; at
 * most 6 fit in 128 bytes.  The kernel's bpf_snprintf takes a format per count. */
static const char stp_fmt_bt1[] STP_TABLE = "0x%016llx ";
static const char stp_fmt_bt2[] STP_TABLE = "0x%016llx 0x%016llx ";
static const char stp_fmt_bt3[] STP_TABLE = "0x%016llx 0x%016llx 0x%016llx ";
static const char stp_fmt_bt4[] STP_TABLE = "0x%016llx 0x%016llx 0x%016llx 0x%016llx ";
static const char stp_fmt_bt5[] STP_TABLE = "0x%016llx 0x%016llx 0x%016llx 0x%016llx 0x%016llx ";
static const char stp_fmt_bt6[] STP_TABLE = "0x%016llx 0x%016llx 0x%016llx 0x%016llx 0x%016llx 0x%016llx ";
static const char stp_fmt_bt7[] STP_TABLE = "0x%016llx 0x%016llx 0x%016llx 0x%016llx 0x%016llx 0x%016llx 0x%016llx ";
STP_INLINE void stp_backtrace_hex(char *dst, u64 *frames, s64 n, char *scratch) {
  dst[0] = 0;
  switch (n) {
    case 0: break;
    case 1: bpf_snprintf(dst, STP_MAXSTRINGLEN, stp_fmt_bt1, frames, 8); break;
    case 2: bpf_snprintf(dst, STP_MAXSTRINGLEN, stp_fmt_bt2, frames, 16); break;
    case 3: bpf_snprintf(dst, STP_MAXSTRINGLEN, stp_fmt_bt3, frames, 24); break;
    case 4: bpf_snprintf(dst, STP_MAXSTRINGLEN, stp_fmt_bt4, frames, 32); break;
    case 5: bpf_snprintf(dst, STP_MAXSTRINGLEN, stp_fmt_bt5, frames, 40); break;
    case 6: bpf_snprintf(dst, STP_MAXSTRINGLEN, stp_fmt_bt6, frames, 48); break;
    default: bpf_snprintf(dst, STP_MAXSTRINGLEN, stp_fmt_bt7, frames, 56); break;
  }
}

/* Whether a kernel address is in a __traceiter_EVENT function (the tracepoint's own
 * iterator, not a frame of the traced code). */
static const char stp_fmt_symbol[] STP_TABLE = "%ps";
STP_INLINE int stp_is_traceiter(u64 addr, char *scratch) {
  if (bpf_snprintf(scratch, 16, stp_fmt_symbol, &addr, sizeof(addr)) < 13) return 0;
  const char prefix[] = "__traceiter_";
  for (int i = 0; i < 12; ++i)
    if (scratch[i] != prefix[i]) return 0;
  return 1;
}

/* One line of print_backtrace() (_STP_SYM_FULL): " 0x%016lx : sym+0xoff/0xsize [module]\n",
 * the symbol part as symdata() writes it.  `sym` and `scratch` are string buffers. */
static const char stp_fmt_bt_line[] STP_TABLE = " 0x%016llx : ";
static const char stp_newline[STP_STRBUF] STP_TABLE = "\n";
STP_INLINE void stp_backtrace_line(char *dst, u64 addr, char *sym, char *scratch) {
  bpf_snprintf(dst, STP_MAXSTRINGLEN, stp_fmt_bt_line, &addr, sizeof(addr));
  stp_symdata(sym, (s64)addr);
  stp_strcat(dst, sym, scratch);
  stp_strcat(dst, stp_newline, scratch);
}
