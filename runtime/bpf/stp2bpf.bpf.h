/* stp2bpf's BPF-side runtime: what generated programs need besides their own code.
 *
 * Self-contained on purpose: the generated .bpf.c compiles with only this header (no
 * kernel, libc or libbpf headers), in process or with `clang -target bpf -O2 -g -c`.
 * Helper and kfunc declarations use the kernel's ABI numbers (include/uapi/linux/bpf.h).
 */
#ifndef STP2BPF_BPF_H
#define STP2BPF_BPF_H

typedef signed char s8;
typedef unsigned char u8;
typedef short s16;
typedef unsigned short u16;
typedef int s32;
typedef unsigned int u32;
typedef long long s64;
typedef unsigned long long u64;

#define SEC(name) __attribute__((section(name), used))
#define STP_INLINE static __attribute__((always_inline)) inline
#define STP_NOINLINE static __attribute__((noinline))
#define STP_KSYM extern __attribute__((section(".ksyms")))

/* BTF-defined maps, in the form libbpf reads. */
#define STP_MAP_UINT(name, val) int (*name)[val]
#define STP_MAP_TYPE(name, val) typeof(val) *name

enum {
  STP_MAP_HASH = 1,
  STP_MAP_ARRAY = 2,
  STP_MAP_PERCPU_HASH = 5,
  STP_MAP_PERCPU_ARRAY = 6,
  STP_MAP_RINGBUF = 27,
};

/* ---- helpers (numbers from the kernel's BPF ABI) ---- */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, u64 flags) = (void *)2;
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)3;
static u64 (*bpf_ktime_get_ns)(void) = (void *)5;
static u32 (*bpf_get_prandom_u32)(void) = (void *)7;
static u32 (*bpf_get_smp_processor_id)(void) = (void *)8;
static u64 (*bpf_get_current_pid_tgid)(void) = (void *)14;
static u64 (*bpf_get_current_uid_gid)(void) = (void *)15;
static long (*bpf_get_current_comm)(void *buf, u32 size) = (void *)16;
static u64 (*bpf_get_current_task)(void) = (void *)35;
static long (*bpf_probe_read_user)(void *dst, u32 size, const void *src) = (void *)112;
static long (*bpf_probe_read_kernel)(void *dst, u32 size, const void *src) = (void *)113;
static long (*bpf_probe_read_user_str)(void *dst, u32 size, const void *src) = (void *)114;
static long (*bpf_probe_read_kernel_str)(void *dst, u32 size, const void *src) = (void *)115;
static u64 (*bpf_jiffies64)(void) = (void *)118;
static u64 (*bpf_ktime_get_boot_ns)(void) = (void *)125;
static void *(*bpf_ringbuf_reserve)(void *ringbuf, u64 size, u64 flags) = (void *)131;
static void (*bpf_ringbuf_submit)(void *data, u64 flags) = (void *)132;
static void (*bpf_ringbuf_discard)(void *data, u64 flags) = (void *)133;
static long (*bpf_for_each_map_elem)(void *map, void *callback, void *ctx, u64 flags) = (void *)164;
static long (*bpf_snprintf)(char *str, u32 str_size, const char *fmt, u64 *data, u32 data_len) = (void *)165;
static long (*bpf_get_stack)(void *ctx, void *buf, u32 size, u64 flags) = (void *)67;
static void *(*bpf_get_current_task_btf)(void) = (void *)158;
static void *(*bpf_task_pt_regs)(void *task) = (void *)175;
static void *(*bpf_map_lookup_percpu_elem)(void *map, const void *key, u32 cpu) = (void *)195;

/* ---- open-coded iterators (kfuncs, kernel 6.4+): loops that verify in one pass ---- */
struct bpf_iter_num {
  u64 __opaque[1];
} __attribute__((aligned(8)));
STP_KSYM int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __attribute__((weak));
STP_KSYM int *bpf_iter_num_next(struct bpf_iter_num *it) __attribute__((weak));
STP_KSYM void bpf_iter_num_destroy(struct bpf_iter_num *it) __attribute__((weak));

/* ---- program contexts ---- */
struct pt_regs {  /* x86-64 */
  u64 r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax, ip, cs, flags, sp, ss;
};
#define STP_PARM1(r) ((r)->di)
#define STP_PARM2(r) ((r)->si)
#define STP_PARM3(r) ((r)->dx)
#define STP_PARM4(r) ((r)->cx)
#define STP_PARM5(r) ((r)->r8)
#define STP_PARM6(r) ((r)->r9)
#define STP_RET(r) ((r)->ax)

/* ---- events to user space ---- */
enum {
  STP_EVENT_PRINT = 1,  /* a print site's arguments */
  STP_EVENT_ERROR = 2,  /* a run-time error: the session ends after error and end probes */
  STP_EVENT_EXIT = 3,   /* exit() was called */
  STP_EVENT_WARN = 4,   /* warn(): message on stderr, the session goes on */
  STP_EVENT_HIST = 5,   /* print a histogram of a statistics global (read in user space) */
};
struct stp_event_header {
  u32 kind;
  u32 site;
};

/* ---- 64-bit signed division: the BPF ISA divides unsigned ---- */
STP_INLINE u64 stp_abs_u64(s64 v) { return v < 0 ? (u64)0 - (u64)v : (u64)v; }
STP_INLINE s64 stp_sdiv(s64 a, s64 b) {
  u64 q = stp_abs_u64(a) / stp_abs_u64(b);
  return ((a < 0) != (b < 0)) ? (s64)((u64)0 - q) : (s64)q;
}
STP_INLINE s64 stp_smod(s64 a, s64 b) {
  u64 r = stp_abs_u64(a) % stp_abs_u64(b);
  return a < 0 ? (s64)((u64)0 - r) : (s64)r;
}

/* Constant tables (interned strings, concatenation, formats): in .rodata itself.  Left
 * to the compiler, small ones go to mergeable sections (.rodata.cst16/.cst32) that the
 * loader does not map as data, and their lookups read wrong values. */
#define STP_TABLE __attribute__((section(".rodata")))

/* ---- strings: NUL-terminated, at most STP_MAXSTRINGLEN bytes with the NUL (SystemTap's
 * MAXSTRINGLEN), kept in buffers of STP_STRBUF bytes (the next power of two, so that
 * offsets can be masked into range for the verifier). ---- */
#ifndef STP_MAXSTRINGLEN
#define STP_MAXSTRINGLEN 128
#endif
#ifndef STP_STRBUF
#define STP_STRBUF 128
#endif

/* Copies with the kernel's bounded string copy (no loop for the verifier to walk). */
STP_INLINE s64 stp_strcpy(char *dst, const char *src) {
  long n = bpf_probe_read_kernel_str(dst, STP_MAXSTRINGLEN, src);
  if (n <= 0) {
    dst[0] = 0;
    return 0;
  }
  return n - 1;
}

/* Into a buffer of `size` bytes (a key column sized to what indexes it). */
STP_INLINE void stp_strncpy(char *dst, const char *src, u32 size) {
  if (bpf_probe_read_kernel_str(dst, size, src) <= 0) dst[0] = 0;
}

STP_INLINE s64 stp_strlen(const char *s, char *scratch) {
  return stp_strcpy(scratch, s);
}

/* dst .= src, cut at STP_MAXSTRINGLEN - 1 bytes. */
STP_INLINE void stp_strcat(char *dst, const char *src, char *scratch) {
  s64 len = stp_strcpy(scratch, dst);
  if (len < 0 || len >= STP_MAXSTRINGLEN - 1) return;
  /* (An empty dst is a copy: the masked size below would be 0 when MAXSTRINGLEN is the
   * whole buffer.) */
  if (len == 0) {
    stp_strcpy(dst, src);
    return;
  }
  bpf_probe_read_kernel_str(dst + (len & (STP_STRBUF - 1)), (STP_MAXSTRINGLEN - (u32)len) & (STP_STRBUF - 1), src);
}

/* dst .= `count` spaces, cut at STP_MAXSTRINGLEN - 1 bytes. */
STP_NOINLINE void stp_append_spaces(char *dst, s64 count, char *scratch) {
  if (count <= 0) return;
  s64 len = stp_strcpy(scratch, dst);
  struct bpf_iter_num it;
  int *i;
  bpf_iter_num_new(&it, 0, STP_MAXSTRINGLEN);
  while ((i = bpf_iter_num_next(&it))) {
    if (*i >= count || len >= STP_MAXSTRINGLEN - 1) break;
    dst[len & (STP_STRBUF - 1)] = ' ';
    len++;
  }
  bpf_iter_num_destroy(&it);
  dst[len & (STP_STRBUF - 1)] = 0;
}

/* dst .= src padded with spaces to `width` characters: on the left, or on the right when
 * `left` (sprintf's "%*s" and "%-*s"). */
STP_INLINE void stp_pad_append(char *dst, const char *src, s64 width, s64 left, char *scratch) {
  s64 pad = width - stp_strcpy(scratch, src);
  if (!left) stp_append_spaces(dst, pad, scratch);
  stp_strcat(dst, src, scratch);
  if (left) stp_append_spaces(dst, pad, scratch);
}

/* `delete array`: a bpf_for_each_map_elem callback that deletes the element it visits
 * (hash maps allow deleting the current element during the walk). */
static long stp_delete_elem_cb(void *map, const void *key, void *value, void *ctx) {
  bpf_map_delete_elem(map, key);
  return 0;
}

/* strcmp with a bounded open-coded loop.  Helpers with loops are BPF subprograms, not
 * inlined: each inlined copy would take its own slot of the 512-byte stack. */
STP_NOINLINE s64 stp_strcmp(const char *a, const char *b) {
  struct bpf_iter_num it;
  int *i;
  s64 result = 0;
  bpf_iter_num_new(&it, 0, STP_MAXSTRINGLEN);
  while ((i = bpf_iter_num_next(&it))) {
    u32 k = (u32)*i & (STP_STRBUF - 1);
    u8 ca = (u8)a[k], cb = (u8)b[k];
    if (ca != cb) {
      result = ca < cb ? -1 : 1;
      break;
    }
    if (!ca) break;
  }
  bpf_iter_num_destroy(&it);
  return result;
}

/* ---- probe context handed to a probe body ---- */
struct stp_args {
  u64 arg[6];     /* kprobe/uprobe arguments (or emulated ones) */
  u64 ret;        /* return value in .return probes */
  void *tp;       /* tracepoint record */
  u64 ip;         /* instruction pointer (addr()), when the script reads registers */
  u64 user_mode;  /* 1 if the probe hit in user mode (uprobes, samples of user code) */
  u64 sregs;      /* a syscall's saved registers (__set_syscall_pt_regs), or 0 */
};

/* ---- the ring buffer every program writes to ---- */
#ifndef STP_EVENTS_SIZE
#define STP_EVENTS_SIZE (1 << 24)
#endif
struct {
  STP_MAP_UINT(type, STP_MAP_RINGBUF);
  STP_MAP_UINT(max_entries, STP_EVENTS_SIZE);
} events SEC(".maps");

STP_INLINE void stp_event(u32 kind, u32 site) {
  struct stp_event_header *h = bpf_ringbuf_reserve((void *)&events, sizeof(*h), 0);
  if (!h) return;
  h->kind = kind;
  h->site = site;
  bpf_ringbuf_submit(h, 0);
}
/* exit(): user space ends the session once this probe is done; end probes still run. */
#define stp_exit() stp_event(STP_EVENT_EXIT, 0)
#define stp_error(site) stp_event(STP_EVENT_ERROR, (site))

/* ---- values the loader sets before loading (read-only data) ---- */
const volatile s64 stp_realtime_offset_ns = 0;  /* wall clock minus the monotonic clock */
const volatile s64 stp_target_pid = 0;          /* target(): -x PID or the -c command */

/* ---- memory reads (a bad address reads as 0, as SystemTap's would raise an error) ---- */
STP_INLINE s64 stp_kernel_long(s64 addr) { s64 v = 0; bpf_probe_read_kernel(&v, 8, (void *)addr); return v; }
STP_INLINE s64 stp_kernel_int(s64 addr) { s32 v = 0; bpf_probe_read_kernel(&v, 4, (void *)addr); return v; }
STP_INLINE s64 stp_user_long(s64 addr) { s64 v = 0; bpf_probe_read_user(&v, 8, (void *)addr); return v; }
STP_INLINE s64 stp_user_int(s64 addr) { s32 v = 0; bpf_probe_read_user(&v, 4, (void *)addr); return v; }

/* substr(s, start, length): SystemTap's semantics (tapset string.stp): empty when start is
 * outside the string, the length cut at its end. */
STP_INLINE void stp_substr(char *dst, const char *s, s64 start, s64 length) {
  s64 n = stp_strcpy(dst, s);
  if (start < 0 || start >= n || length <= 0) {
    dst[0] = 0;
    return;
  }
  if (length > STP_MAXSTRINGLEN - 1) length = STP_MAXSTRINGLEN - 1;
  u32 size = (u32)(length + 1) & (STP_STRBUF - 1);
  if (size == 0) size = STP_STRBUF - 1;
  bpf_probe_read_kernel_str(dst, size, s + (start & (STP_STRBUF - 1)));
}

/* isinstr(s, sub): 1 if sub occurs in s. */
STP_NOINLINE s64 stp_isinstr(const char *s, const char *sub) {
  struct bpf_iter_num outer;
  int *i;
  s64 found = 0;
  if (!sub[0]) return 1;
  bpf_iter_num_new(&outer, 0, STP_MAXSTRINGLEN);
  while ((i = bpf_iter_num_next(&outer))) {
    u32 start = (u32)*i & (STP_STRBUF - 1);
    if (!s[start]) break;
    struct bpf_iter_num inner;
    int *j;
    s64 match = 1;
    bpf_iter_num_new(&inner, 0, STP_MAXSTRINGLEN);
    while ((j = bpf_iter_num_next(&inner))) {
      u32 k = (u32)*j & (STP_STRBUF - 1);
      char c = sub[k];
      if (!c) break;
      if (s[(start + k) & (STP_STRBUF - 1)] != c) {
        match = 0;
        break;
      }
    }
    bpf_iter_num_destroy(&inner);
    if (match) {
      found = 1;
      break;
    }
  }
  bpf_iter_num_destroy(&outer);
  return found;
}

/* ---- statistics: per-CPU {count, sum, min, max, ...} values ---- */
struct stp_agg {
  s64 count, sum, min, max;
};
const volatile u32 stp_nr_cpus = 1;  /* set by the loader */

/* Inserts a new array element.  Another CPU may have inserted the key since our lookup:
 * then the element is overwritten, as the later write wins in SystemTap too.  Non-zero
 * when the array is full. */
STP_INLINE long stp_map_insert(void *map, const void *key, const void *elem) {
  long r = bpf_map_update_elem(map, key, elem, 1 /* BPF_NOEXIST */);
  if (r == -17 /* EEXIST */) r = bpf_map_update_elem(map, key, elem, 2 /* BPF_EXIST */);
  return r;
}

/* The current CPU's statistics value for a key, created (zeroed) if missing. */
STP_INLINE void *stp_stats_slot(void *map, const void *key, const void *zero) {
  void *v = bpf_map_lookup_elem(map, key);
  if (v) return v;
  bpf_map_update_elem(map, key, zero, 1 /* BPF_NOEXIST */);
  return bpf_map_lookup_elem(map, key);
}

/* The statistics of a key summed over all CPUs (what @count, @sum, ... read). */
STP_INLINE struct stp_agg stp_aggregate(void *map, const void *key) {
  struct stp_agg out = {0, 0, 0, 0};
  struct bpf_iter_num it;
  int *cpu;
  bpf_iter_num_new(&it, 0, 256);
  while ((cpu = bpf_iter_num_next(&it))) {
    if ((u32)*cpu >= stp_nr_cpus) break;
    struct stp_agg *v = bpf_map_lookup_percpu_elem(map, key, (u32)*cpu);
    if (!v || v->count == 0) continue;
    if (out.count == 0 || v->min < out.min) out.min = v->min;
    if (out.count == 0 || v->max > out.max) out.max = v->max;
    out.count += v->count;
    out.sum += v->sum;
  }
  bpf_iter_num_destroy(&it);
  return out;
}

/* print(@hist_*) shows a statistic as it is when the print runs (SystemTap formats it on
 * the spot), so the buckets of every CPU are summed into the event (OUT, MASK + 1 entries)
 * rather than read by user space later.  OFFSET is the histogram's offset in the map
 * value, N its bucket count (at most MASK + 1).  Evaluates to the statistic's count. */
#define stp_hist_snapshot(map, key, OFFSET, N, MASK, out)                                  \
  ({                                                                                     \
    s64 __count = 0;                                                                     \
    struct bpf_iter_num __cpus, __buckets;                                               \
    int *__cpu, *__b;                                                                    \
    bpf_iter_num_new(&__buckets, 0, (N));                                                \
    while ((__b = bpf_iter_num_next(&__buckets))) (out)[stp_bound((u32)*__b, MASK)] = 0; \
    bpf_iter_num_destroy(&__buckets);                                                    \
    bpf_iter_num_new(&__cpus, 0, 256);                                                   \
    while ((__cpu = bpf_iter_num_next(&__cpus))) {                                       \
      if ((u32)*__cpu >= stp_nr_cpus) break;                                             \
      char *__v = bpf_map_lookup_percpu_elem((map), (key), (u32)*__cpu);                 \
      if (!__v) continue;                                                                \
      __count += *(s64 *)__v; /* count is the value's first field */                     \
      bpf_iter_num_new(&__buckets, 0, (N));                                              \
      while ((__b = bpf_iter_num_next(&__buckets))) {                                    \
        u64 __i = stp_bound((u32)*__b, MASK);                                            \
        (out)[__i] += *(s64 *)(__v + (OFFSET) + 8 * __i);                                \
      }                                                                                  \
      bpf_iter_num_destroy(&__buckets);                                                  \
    }                                                                                    \
    bpf_iter_num_destroy(&__cpus);                                                       \
    __count;                                                                             \
  })

/* The head of a statistic read with @variance: the layout the C backend gives it
 * (count, sum, min, max, seq, then Welford's running state per CPU). */
struct stp_stats_variance {
  s64 count, sum, min, max, seq, avg_s, m2, var_s;
};
struct stp_agg_variance {
  s64 count, variance;
};

/* @variance(x, shift) over all CPUs.  SystemTap combines CPUs with the "total variance"
 * formula, but differently for a scalar (runtime/stat.c _stp_stat_get: one mean of all
 * values, then S1 + S2 over the CPUs) and for an array element (runtime/map.c
 * _stp_pmap_agg: CPUs merged pairwise into a running aggregate, the first copied); the
 * two round differently, so `pairwise` picks the array element's way. */
STP_INLINE struct stp_agg_variance stp_variance(void *map, const void *key, const int shift,
                                                const int pairwise) {
  struct stp_agg_variance out = {0, 0};
  s64 sum = 0, avg_s = 0, var_s = 0, s1 = 0, s2 = 0;
  struct bpf_iter_num it;
  int *cpu;
  bpf_iter_num_new(&it, 0, 256);
  while ((cpu = bpf_iter_num_next(&it))) {
    if ((u32)*cpu >= stp_nr_cpus) break;
    struct stp_stats_variance *v = bpf_map_lookup_percpu_elem(map, key, (u32)*cpu);
    if (!v || v->count == 0) continue;
    if (!pairwise) {
      out.count += v->count;
      sum += v->sum;
    } else if (out.count <= 0) {
      out.count = v->count;
      sum = v->sum;
      avg_s = v->avg_s;
      var_s = v->var_s;
    } else {
      s64 count1 = out.count, avg1 = avg_s;
      out.count += v->count;
      sum += v->sum;
      avg_s = stp_sdiv((s64)((u64)sum << shift), out.count);
      s64 d1 = avg1 - avg_s, d2 = v->avg_s - avg_s;
      var_s = stp_sdiv(count1 * d1 * d1 + (count1 - 1) * var_s + v->count * d2 * d2 + (v->count - 1) * v->var_s,
                       out.count - 1);
    }
  }
  bpf_iter_num_destroy(&it);
  if (pairwise) {
    out.variance = var_s >> (2 * shift);
    return out;
  }
  avg_s = stp_sdiv((s64)((u64)sum << shift), out.count);
  bpf_iter_num_new(&it, 0, 256);
  while ((cpu = bpf_iter_num_next(&it))) {
    if ((u32)*cpu >= stp_nr_cpus) break;
    struct stp_stats_variance *v = bpf_map_lookup_percpu_elem(map, key, (u32)*cpu);
    if (!v || v->count == 0) continue;
    s1 += v->count * (v->avg_s - avg_s) * (v->avg_s - avg_s);
    s2 += (v->count - 1) * v->var_s;
  }
  bpf_iter_num_destroy(&it);
  out.variance = stp_sdiv(s1 + s2, out.count - 1) >> (2 * shift);
  return out;
}

/* Histogram buckets, as SystemTap computes them (runtime/stat-common.c):
 * log: 0 -> 64; v > 0 -> 65 + floor(log2 v); v < 0 -> 63 - floor(log2 |v|) (INT64_MIN -> 0).
 * linear: below start -> 0; else (v - start) / interval + 1, capped at buckets - 1. */
STP_INLINE int stp_log_bucket(s64 val) {
  if (val == 0) return 64;
  int neg = val < 0;
  u64 v = neg ? (u64)0 - (u64)val : (u64)val;
  int msb = 0;
  if (v >> 32) { v >>= 32; msb += 32; }
  if (v >> 16) { v >>= 16; msb += 16; }
  if (v >> 8) { v >>= 8; msb += 8; }
  if (v >> 4) { v >>= 4; msb += 4; }
  if (v >> 2) { v >>= 2; msb += 2; }
  if (v >> 1) { msb += 1; }
  return neg ? 63 - msb : 65 + msb;
}
/* An index masked into [0, mask] where the verifier sees it: clang drops a plain `& mask`
 * when it can prove the range itself, and the verifier cannot. */
STP_INLINE u64 stp_bound(u64 index, const u64 mask) {
  asm volatile("%0 &= %1" : "+r"(index) : "i"(mask));
  return index;
}

STP_INLINE int stp_linear_bucket(s64 val, s64 start, s64 interval, int buckets) {
  s64 v = val - start;
  if (v < 0) return 0;
  u64 b = (u64)v / (u64)interval + 1;
  if (b >= (u64)(buckets - 1)) return buckets - 1;
  return (int)b;
}

char LICENSE[] SEC("license") = "GPL";

#endif /* STP2BPF_BPF_H */
