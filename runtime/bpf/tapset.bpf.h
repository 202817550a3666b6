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
struct task_struct___stp {
  struct thread_info___stp thread_info;
  int pid;
  int tgid;
  int prio;
  int static_prio;
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
static const char stp_errno_names[132][16] STP_TABLE = {
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
  return e > 0 && e < 132 && stp_errno_names[e][0] ? (s64)e : 0;
}
STP_INLINE void stp_errno_str(char *dst, s64 err) {
  s64 e = stp_errno_p(err);
  if (e > 0 && e < 132) stp_strcpy(dst, stp_errno_names[e]);
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

#endif /* STP2BPF_TAPSET_BPF_H */
