// Statistics (`x <<< v`), their extractors and their histograms, as SystemTap 4.8's
// runtime computes and prints them (stat-common.c, stat.c, map.c, map-stat.c).
//
// ---- Buckets (so that BPF code can fill histograms the same way) ----
// Log histograms (@hist_log) have 128 buckets; bucket 64 holds 0.
//   logBucket(v) = 64                          if v == 0
//                = 128 - clz64(v)              if v > 0   (1 -> 65, 2..3 -> 66, 4..7 -> 67,
//                                                          2^62..2^63-1 -> 127)
//                = clz64((uint64_t)-v)         if v < 0   (-1 -> 63, -2..-3 -> 62,
//                                                          INT64_MIN -> 0)
//   where clz64 counts the leading zero bits of the 64-bit magnitude (-INT64_MIN wraps to
//   2^63).  The row label of bucket b is 0 for b == 64, 1 << (b - 65) above, and
//   INT64_MIN >> b (arithmetic shift: -2^(63-b)) below: the label is the bucket's value of
//   smallest magnitude.
// Linear histograms (@hist_linear(x, start, stop, interval); start, stop and interval are
//   C ints) have buckets = (stop - start) / interval + 3 (int division), which must be
//   3..128 with interval != 0.  Bucket 0 is the underflow, buckets - 1 the overflow:
//   d = v - start (64-bit, wrapping);
//   linearBucket(v) = 0                                    if d < 0
//                   = min(d / (uint32_t)interval + 1,     otherwise (unsigned division)
//                         buckets - 1)
//   Bucket i in 1..buckets-2 is labelled start + (i - 1) * interval.  Note that values from
//   stop up to stop + interval - 1 still land in the last regular bucket (labelled
//   start + (buckets - 3) * interval, which is <= stop); only larger ones overflow.
//
// ---- Accumulation (per CPU) and aggregation ----
// SystemTap keeps one stat_data per CPU and aggregates them when read.  statAdd mirrors
// __stp_stat_add with every operator enabled (the translator only turns off operators the
// script never reads, which cannot change what the script sees):
//   first value:  count = 1, sum = min = max = v, avgScaled = v << shift, m2 = 0
//                 (varianceScaled is left as it was, 0 for a fresh stat)
//   later values: count++, sum += v, min/max; then Welford's update in fixed point:
//                 delta = (int32_t)((v << shift) - avgScaled)     <- truncated to 32 bits!
//                 avgScaled += delta / count                      (C division)
//                 m2 += delta * ((v << shift) - avgScaled)        (64-bit)
//                 varianceScaled = m2 / (count - 1)
//   and one histogram bucket += 1.  All arithmetic wraps as in the kernel's C.
// aggregateStats (scalar globals, stat.c _stp_stat_get) and aggregateArrayStats (array
// elements, map.c _stp_pmap_agg/_new_map_copy_stat) combine per-CPU data with the "total
// variance" formula; they round differently, so @variance of a scalar and of an array
// element fed the same values can differ.  @variance(x, shift) is `variance` of the
// aggregate; `shift` (0..) scales the fixed-point state, one shift per statistic.
//
// ---- Printing ----
// formatHistogram reproduces _stp_stat_print_histogram_buf: header
// "<value right-aligned> |<50 dashes> count", rows "<label> |<@ bar><count>", bars scaled to
// at most 50 '@' (scale = ceil(max count / 50)), at most two empty rows kept on either side
// of the data, runs of empty rows elided as one "<spaces> ~" line, and a final empty line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "format/value.h"

namespace stp2bpf::runtime::format {

inline constexpr int kHistLogBuckets = 128;   // stat.h HIST_LOG_BUCKETS
inline constexpr int kHistLogBucket0 = 64;    // stat.h HIST_LOG_BUCKET0 (value 0)
inline constexpr int kMaxLinearBuckets = 128;  // stat.h STP_MAX_BUCKETS (with under/overflow)
inline constexpr int kHistWidth = 50;         // stat-common.c HIST_WIDTH
inline constexpr int kHistElision = 2;        // stat-common.c HIST_ELISION

struct HistogramSpec {
  enum class Type { None, Log, Linear };
  Type type = Type::None;
  int start = 0, stop = 0, interval = 0;  // linear only

  static HistogramSpec none() { return {}; }
  static HistogramSpec log() { return {Type::Log, 0, 0, 0}; }
  static HistogramSpec linear(int start, int stop, int interval) {
    return {Type::Linear, start, stop, interval};
  }
  // Number of buckets: 128 for log, the linear count (0 if the parameters are invalid),
  // 0 for none.
  int buckets() const;
};

// (stop - start) / interval + 3, or 0 if interval is 0 or the count is outside 3..128
// (_stp_stat_calc_buckets, which then refuses the statistic).
int linearBucketCount(int start, int stop, int interval);

// Bucket index of a value (see the formulas above).
int logBucket(int64_t value);
int linearBucket(int64_t value, int start, int interval, int buckets);
// Row label of a log bucket (_stp_bucket_to_val).
int64_t logBucketValue(int bucket);

// One CPU's data, or an aggregate.  Field names follow stat.h's stat_data.
struct Stats {
  int64_t count = 0, sum = 0, min = 0, max = 0;
  int shift = 0;               // @variance's bit shift
  int64_t avgScaled = 0;       // avg_s: running mean << shift
  int64_t m2 = 0;              // _M2: Welford's sum of squared differences (scaled)
  int64_t varianceScaled = 0;  // variance_s
  int64_t variance = 0;        // @variance: set by the aggregate functions only
  std::vector<int64_t> histogram;  // HistogramSpec::buckets() entries, or empty
};

// An empty statistic with room for the histogram.
Stats makeStats(const HistogramSpec& hist, int shift = 0);

// x <<< value on one CPU (__stp_stat_add).
void statAdd(Stats& stats, const HistogramSpec& hist, int64_t value);

// The aggregate a scalar global's extractors read (_stp_stat_get): CPUs with count 0 are
// skipped; variance = ((S1 + S2) / (count - 1)) >> (2 * shift) with
// S1 = sum of count_i * (avgScaled_i - avgScaled)^2, S2 = sum of (count_i - 1) *
// varianceScaled_i and avgScaled = (sum << shift) / count (divisions by 0 give 0).
Stats aggregateStats(const std::vector<Stats>& perCpu);

// The aggregate of one array element over the CPUs that have it, in CPU order
// (_stp_pmap_agg with _new_map_copy_stat): the first is copied (variance =
// varianceScaled >> 2*shift), each further one is merged pairwise with the total-variance
// formula.
Stats aggregateArrayStats(const std::vector<Stats>& perCpu);

// @avg: sum / count truncated toward zero (_stp_div64; 0 if count is 0, as the generated
// code never calls it then: it raises kEmptyAggregateError).
int64_t statAvg(const Stats& stats);

// print(@hist_log(x)) / print(@hist_linear(x, start, stop, interval)) (println prints
// the same: the histogram already ends with an empty line).  An all-empty histogram
// returns "": SystemTap never prints one, the generated code raises kEmptyAggregateError
// when count == 0.
std::string formatHistogram(const HistogramSpec& hist, const Stats& stats);
std::string formatHistLog(const Stats& stats);
std::string formatHistLinear(const Stats& stats, int start, int stop, int interval);

}  // namespace stp2bpf::runtime::format
