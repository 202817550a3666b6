/* The expected text of print(@hist_log(x)) and print(@hist_linear(x, ...)) for the e2e
 * suites, computed by SystemTap's own code: this file compiles the installed runtime's
 * stat-common.c unchanged (accumulation in __stp_stat_add, printing in
 * _stp_stat_print_histogram_buf) with small user-space stand-ins for the kernel helpers.
 *
 *   cc -o /tmp/hist-oracle tests/e2e/tools/hist-oracle.c
 *   /tmp/hist-oracle log 1 2 2 3 100
 *   /tmp/hist-oracle linear START STOP INTERVAL 5 15 15 ...
 * A value written NxV stands for N copies of V.  The histogram goes to stdout exactly as
 * SystemTap prints it (the trailing blank line included).
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define unlikely(x) (x)
#define max(a, b) ((a) > (b) ? (a) : (b))
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
/* The kernel's do_div: divides n in place, returns the remainder. */
#define do_div(n, base) ({ uint32_t __rem = (uint32_t)((n) % (base)); (n) /= (base); __rem; })

static void _stp_warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}
/* With a NULL buffer the runtime prints straight to the output stream. */
static int _stp_snprintf(char *buf, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = buf ? vsnprintf(buf, size, fmt, ap) : vprintf(fmt, ap);
  va_end(ap);
  return n;
}
static void _stp_print_flush(void) { fflush(stdout); }
static int64_t _stp_div64(const char **error, int64_t x, int64_t y) { return y ? x / y : 0; }

#include "/usr/share/systemtap/runtime/stat-common.c"

int main(int argc, char **argv) {
  struct _Hist h = {0};
  int first;
  if (argc >= 2 && strcmp(argv[1], "log") == 0) {
    h.type = HIST_LOG;
    h.buckets = HIST_LOG_BUCKETS;
    first = 2;
  } else if (argc >= 5 && strcmp(argv[1], "linear") == 0) {
    h.type = HIST_LINEAR;
    h.start = atoi(argv[2]);
    h.stop = atoi(argv[3]);
    h.interval = atoi(argv[4]);
    h.buckets = _stp_stat_calc_buckets(h.stop, h.start, h.interval);
    if (!h.buckets) return 1;
    first = 5;
  } else {
    fprintf(stderr, "usage: hist-oracle log V... | linear START STOP INTERVAL V...  (NxV: N copies of V)\n");
    return 2;
  }
  h.stat_ops = STAT_OP_COUNT | STAT_OP_SUM | STAT_OP_MIN | STAT_OP_MAX;
  stat_data *sd = calloc(1, sizeof(stat_data) + h.buckets * sizeof(int64_t));
  for (int i = first; i < argc; ++i) {
    long n = 1;
    const char *v = argv[i];
    const char *x = strchr(v, 'x');
    if (x) {
      n = atol(v);
      v = x + 1;
    }
    int64_t value = strtoll(v, NULL, 0);
    while (n-- > 0) __stp_stat_add(&h, sd, value, 1, 1, 1, 1, 0);
  }
  _stp_stat_print_histogram(&h, sd);
  return 0;
}
