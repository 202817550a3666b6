// runtime/format statistics: buckets, accumulation, aggregation, histogram printing.
// Expectations come from SystemTap 4.8's runtime sources: stat-common.c (_stp_val_to_bucket,
// _stp_bucket_to_val, needed_space, __stp_stat_add, _stp_stat_print_histogram_buf),
// stat.c (_stp_stat_get), map.c (_new_map_copy_stat) and linux/arith.c (_stp_div64).
#include <gtest/gtest.h>

#include "format/stats.h"

namespace fmt = stp2bpf::runtime::format;
using fmt::HistogramSpec;
using fmt::Stats;

namespace {

struct Run {
  int64_t value;
  int times;
};

Stats fill(const HistogramSpec& spec, std::initializer_list<Run> runs, int shift = 0) {
  Stats s = fmt::makeStats(spec, shift);
  for (const Run& r : runs)
    for (int i = 0; i < r.times; ++i) fmt::statAdd(s, spec, r.value);
  return s;
}

std::string spaces(int n) { return std::string(static_cast<size_t>(n), ' '); }

const std::string kHeader5 = "value |" + std::string(50, '-') + " count\n";

}  // namespace

// ---- buckets ----

TEST(FormatStats, LogBucket) {
  // _stp_val_to_bucket: 0 is bucket 64; positive v goes to 128 - clz(v); negative v to
  // clz(-v), i.e. HIST_LOG_BUCKETS - (128 - clz(-v)).
  EXPECT_EQ(fmt::logBucket(0), 64);
  EXPECT_EQ(fmt::logBucket(1), 65);
  EXPECT_EQ(fmt::logBucket(2), 66);
  EXPECT_EQ(fmt::logBucket(3), 66);
  EXPECT_EQ(fmt::logBucket(4), 67);
  EXPECT_EQ(fmt::logBucket(1023), 74);
  EXPECT_EQ(fmt::logBucket(1024), 75);
  EXPECT_EQ(fmt::logBucket(INT64_MAX), 127);
  EXPECT_EQ(fmt::logBucket(-1), 63);
  EXPECT_EQ(fmt::logBucket(-2), 62);
  EXPECT_EQ(fmt::logBucket(-3), 62);
  EXPECT_EQ(fmt::logBucket(-5), 61);
  EXPECT_EQ(fmt::logBucket(-(int64_t{1} << 62)), 1);
  // -INT64_MIN wraps to INT64_MIN, whose top bit is set: res = 128, then 128 - 128.
  EXPECT_EQ(fmt::logBucket(INT64_MIN), 0);
}

TEST(FormatStats, LogBucketValue) {
  // _stp_bucket_to_val: 0; 1 << (n - 65) above; 0x8000000000000000 >> n (arithmetic) below.
  EXPECT_EQ(fmt::logBucketValue(64), 0);
  EXPECT_EQ(fmt::logBucketValue(65), 1);
  EXPECT_EQ(fmt::logBucketValue(66), 2);
  EXPECT_EQ(fmt::logBucketValue(75), 1024);
  EXPECT_EQ(fmt::logBucketValue(127), int64_t{1} << 62);
  EXPECT_EQ(fmt::logBucketValue(63), -1);
  EXPECT_EQ(fmt::logBucketValue(62), -2);
  EXPECT_EQ(fmt::logBucketValue(61), -4);
  EXPECT_EQ(fmt::logBucketValue(0), INT64_MIN);
  // Every value's bucket label has the smallest magnitude in the bucket.
  for (int64_t v : {int64_t{1}, int64_t{5}, int64_t{-5}, int64_t{1000}, int64_t{-1000}}) {
    int64_t label = fmt::logBucketValue(fmt::logBucket(v));
    EXPECT_LE(label < 0 ? -label : label, v < 0 ? -v : v) << v;
  }
}

TEST(FormatStats, LinearBucketCount) {
  // _stp_stat_calc_buckets: (stop - start) / interval + 3, valid from 3 to STP_MAX_BUCKETS.
  EXPECT_EQ(fmt::linearBucketCount(0, 100, 10), 13);
  EXPECT_EQ(fmt::linearBucketCount(0, 10, 3), 6);  // int division: 10 / 3 = 3
  EXPECT_EQ(fmt::linearBucketCount(0, 0, 1), 3);
  EXPECT_EQ(fmt::linearBucketCount(0, 125, 1), 128);
  EXPECT_EQ(fmt::linearBucketCount(0, 126, 1), 0);
  EXPECT_EQ(fmt::linearBucketCount(0, 100, 0), 0);
  EXPECT_EQ(fmt::linearBucketCount(10, 0, 1), 0);
  EXPECT_EQ(HistogramSpec::linear(0, 100, 10).buckets(), 13);
  EXPECT_EQ(HistogramSpec::log().buckets(), 128);
  EXPECT_EQ(HistogramSpec::none().buckets(), 0);
}

TEST(FormatStats, LinearBucket) {
  // __stp_stat_add HIST_LINEAR: val -= start; < 0 underflows to 0; else val / interval
  // + 1 (do_div), clamped to the overflow bucket buckets - 1.
  const int b = fmt::linearBucketCount(0, 100, 10);
  EXPECT_EQ(fmt::linearBucket(-1, 0, 10, b), 0);
  EXPECT_EQ(fmt::linearBucket(INT64_MIN, 0, 10, b), 0);
  EXPECT_EQ(fmt::linearBucket(0, 0, 10, b), 1);
  EXPECT_EQ(fmt::linearBucket(9, 0, 10, b), 1);
  EXPECT_EQ(fmt::linearBucket(10, 0, 10, b), 2);
  EXPECT_EQ(fmt::linearBucket(99, 0, 10, b), 10);
  // stop itself and up to stop + interval - 1 are in the last regular bucket.
  EXPECT_EQ(fmt::linearBucket(100, 0, 10, b), 11);
  EXPECT_EQ(fmt::linearBucket(109, 0, 10, b), 11);
  EXPECT_EQ(fmt::linearBucket(110, 0, 10, b), 12);
  EXPECT_EQ(fmt::linearBucket(INT64_MAX, 0, 10, b), 12);
  // val - start wraps: INT64_MAX - (-5) is negative, an underflow.
  EXPECT_EQ(fmt::linearBucket(INT64_MAX, -5, 10, b), 0);
  EXPECT_EQ(fmt::linearBucket(-5, -5, 10, b), 1);
}

// ---- accumulation and the extractors ----

TEST(FormatStats, CountSumMinMaxAvg) {
  Stats s = fill(HistogramSpec::none(), {{5, 1}, {-12, 1}, {0, 1}});
  EXPECT_EQ(s.count, 3);
  EXPECT_EQ(s.sum, -7);
  EXPECT_EQ(s.min, -12);
  EXPECT_EQ(s.max, 5);
  // @avg is _stp_div64(sum, count): C division, truncation toward zero.
  EXPECT_EQ(fmt::statAvg(s), -2);
  EXPECT_EQ(fmt::statAvg(fill(HistogramSpec::none(), {{-7, 1}, {0, 1}})), -3);
  EXPECT_EQ(fmt::statAvg(fill(HistogramSpec::none(), {{7, 1}, {0, 1}})), 3);
  EXPECT_EQ(fmt::statAvg(Stats{}), 0);  // _stp_div64 by 0
}

TEST(FormatStats, WelfordStateWithoutShift) {
  // __stp_stat_add, values 1 2 3 4, shift 0 (integer Welford):
  //   1: avg_s 1, M2 0
  //   2: delta 1, avg_s += 1/2 = 0 -> 1, M2 += 1 * (2 - 1) = 1, variance_s = 1/1 = 1
  //   3: delta 2, avg_s += 2/3 = 0 -> 1, M2 += 2 * (3 - 1) = 5, variance_s = 5/2 = 2
  //   4: delta 3, avg_s += 3/4 = 0 -> 1, M2 += 3 * (4 - 1) = 14, variance_s = 14/3 = 4
  Stats s = fill(HistogramSpec::none(), {{1, 1}, {2, 1}, {3, 1}, {4, 1}});
  EXPECT_EQ(s.avgScaled, 1);
  EXPECT_EQ(s.m2, 14);
  EXPECT_EQ(s.varianceScaled, 4);
}

TEST(FormatStats, ScalarAndArrayVarianceDiffer) {
  Stats s = fill(HistogramSpec::none(), {{1, 1}, {2, 1}, {3, 1}, {4, 1}});
  // _stp_stat_get: avg_s = (10 << 0) / 4 = 2; S1 = 4 * (1 - 2)^2 = 4; S2 = 3 * 4 = 12;
  // variance = 16 / 3 = 5.
  EXPECT_EQ(fmt::aggregateStats({s}).variance, 5);
  // _stp_pmap_agg / _new_map_copy_stat: one CPU is copied, variance = variance_s = 4.
  EXPECT_EQ(fmt::aggregateArrayStats({s}).variance, 4);
}

TEST(FormatStats, VarianceWithShift) {
  // Shift 3 (@variance(x, 3)): values scaled by 8.
  //   1: avg_s 8
  //   2: 16 - 8 = 8, avg_s += 8/2 -> 12, M2 = 8 * (16 - 12) = 32, variance_s 32
  //   3: 24 - 12 = 12, avg_s += 4 -> 16, M2 += 12 * 8 = 128, variance_s 64
  //   4: 32 - 16 = 16, avg_s += 4 -> 20, M2 += 16 * 12 = 320, variance_s 106
  // _stp_stat_get: avg_s = (10 << 3) / 4 = 20, S1 = 0, S2 = 3 * 106 = 318,
  // variance_s = 106, variance = 106 >> 6 = 1.
  Stats s = fill(HistogramSpec::none(), {{1, 1}, {2, 1}, {3, 1}, {4, 1}}, 3);
  EXPECT_EQ(s.avgScaled, 20);
  EXPECT_EQ(s.varianceScaled, 106);
  Stats agg = fmt::aggregateStats({s});
  EXPECT_EQ(agg.varianceScaled, 106);
  EXPECT_EQ(agg.variance, 1);
  EXPECT_EQ(fmt::aggregateArrayStats({s}).variance, 1);
}

TEST(FormatStats, VarianceOfOneValueIsZero) {
  // One value: variance_s is never set (0); _stp_stat_get divides by count - 1 = 0,
  // which _stp_div64 turns into 0.
  Stats s = fill(HistogramSpec::none(), {{42, 1}});
  EXPECT_EQ(fmt::aggregateStats({s}).variance, 0);
  EXPECT_EQ(fmt::aggregateArrayStats({s}).variance, 0);
}

TEST(FormatStats, WelfordDeltaIsA32BitInt) {
  // stat-common.c declares `int delta`: 2^32 - 0 truncates to 0, so the second value
  // changes neither avg_s nor M2.
  Stats s = fill(HistogramSpec::none(), {{0, 1}, {int64_t{1} << 32, 1}});
  EXPECT_EQ(s.avgScaled, 0);
  EXPECT_EQ(s.m2, 0);
  EXPECT_EQ(s.varianceScaled, 0);
  EXPECT_EQ(fmt::aggregateArrayStats({s}).variance, 0);
}

TEST(FormatStats, AggregateOverCpus) {
  // CPU 0: 1, 2 (avg_s 1, variance_s 1); CPU 1: 10 (avg_s 10, variance_s 0);
  // CPU 2: nothing (skipped: count 0).
  Stats cpu0 = fill(HistogramSpec::log(), {{1, 1}, {2, 1}});
  Stats cpu1 = fill(HistogramSpec::log(), {{10, 1}});
  Stats cpu2 = fmt::makeStats(HistogramSpec::log());
  // _stp_stat_get: count 3, sum 13, avg_s = 13 / 3 = 4,
  // S1 = 2 * (1 - 4)^2 + 1 * (10 - 4)^2 = 54, S2 = 1 * 1 + 0 = 1, variance = 55 / 2 = 27.
  Stats agg = fmt::aggregateStats({cpu0, cpu2, cpu1});
  EXPECT_EQ(agg.count, 3);
  EXPECT_EQ(agg.sum, 13);
  EXPECT_EQ(agg.min, 1);
  EXPECT_EQ(agg.max, 10);
  EXPECT_EQ(agg.avgScaled, 4);
  EXPECT_EQ(agg.variance, 27);
  EXPECT_EQ(agg.histogram[65], 1);
  EXPECT_EQ(agg.histogram[66], 1);
  EXPECT_EQ(agg.histogram[68], 1);
  // _new_map_copy_stat: copy CPU 0, then merge CPU 1: avg_s = 13 / 3 = 4,
  // S11 = 2 * (1 - 4)^2 = 18, S12 = 1 * 1, S21 = 1 * (10 - 4)^2 = 36, S22 = 0 -> 55 / 2.
  Stats arr = fmt::aggregateArrayStats({cpu0, cpu2, cpu1});
  EXPECT_EQ(arr.count, 3);
  EXPECT_EQ(arr.sum, 13);
  EXPECT_EQ(arr.min, 1);
  EXPECT_EQ(arr.max, 10);
  EXPECT_EQ(arr.variance, 27);
  EXPECT_EQ(arr.histogram[68], 1);
  // A CPU whose minimum is lower than the first one's.
  Stats low = fill(HistogramSpec::none(), {{-4, 1}});
  EXPECT_EQ(fmt::aggregateStats({cpu1, low}).min, -4);
  EXPECT_EQ(fmt::aggregateArrayStats({cpu1, low}).min, -4);
}

// ---- histograms ----

TEST(FormatStats, LogHistogramMatchesRealStapOutput) {
  // Output of `stap -e '... print(@hist_log(a))'` published in the systemtap-lwtools
  // README (brendangregg/systemtap-lwtools), with the counts it shows.
  Stats s = fill(HistogramSpec::log(), {{1, 35}, {2, 1}, {4, 1}, {16, 22}, {32, 15}, {64, 17},
                                        {128, 2}, {256, 2}});
  EXPECT_EQ(fmt::formatHistLog(s),
            "value |-------------------------------------------------- count\n"
            "    0 |                                                    0\n"
            "    1 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@                35\n"
            "    2 |@                                                   1\n"
            "    4 |@                                                   1\n"
            "    8 |                                                    0\n"
            "   16 |@@@@@@@@@@@@@@@@@@@@@@                             22\n"
            "   32 |@@@@@@@@@@@@@@@                                    15\n"
            "   64 |@@@@@@@@@@@@@@@@@                                  17\n"
            "  128 |@@                                                  2\n"
            "  256 |@@                                                  2\n"
            "  512 |                                                    0\n"
            " 1024 |                                                    0\n"
            "\n");
}

TEST(FormatStats, LogHistogramScalingMatchesRealStapOutput) {
  // Same README, rwtime-nd.stp: 278 is the largest count, scale = ceil(278 / 50) = 6,
  // 278 / 6 = 46 '@'; the count column is needed_space(278) = 3 wide.
  Stats reads = fill(HistogramSpec::log(), {{2048, 2}, {4096, 278}, {8192, 1}, {16384, 5}});
  EXPECT_EQ(fmt::formatHistLog(reads),
            "value |-------------------------------------------------- count\n"
            "  512 |                                                     0\n"
            " 1024 |                                                     0\n"
            " 2048 |                                                     2\n"
            " 4096 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@     278\n"
            " 8192 |                                                     1\n"
            "16384 |                                                     5\n"
            "32768 |                                                     0\n"
            "65536 |                                                     0\n"
            "\n");
  // A six-digit label widens the value column (and the header) to 6.
  Stats writes = fill(HistogramSpec::log(), {{16384, 135}, {32768, 8}});
  EXPECT_EQ(fmt::formatHistLog(writes),
            " value |-------------------------------------------------- count\n"
            "  4096 |                                                     0\n"
            "  8192 |                                                     0\n"
            " 16384 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@      135\n"
            " 32768 |@@                                                   8\n"
            " 65536 |                                                     0\n"
            "131072 |                                                     0\n"
            "\n");
}

TEST(FormatStats, LogHistogramElidesEmptyRuns) {
  // Data in buckets 65 (1) and 75 (1024).  Margins: low 65 -> 64 (stops at the zero
  // bucket), high 75 -> 77.  Rows 68..72 have no data within HIST_ELISION = 2 rows: they
  // become one "~" line of val_space spaces.  valmax 1: scale 1, cnt_space 1, so the count
  // field is 50 - bar + 1 + 1 wide.
  Stats s = fill(HistogramSpec::log(), {{1, 1}, {1024, 1}});
  std::string expect = kHeader5;
  expect += "    0 |" + spaces(51) + "0\n";
  expect += "    1 |@" + spaces(50) + "1\n";
  expect += "    2 |" + spaces(51) + "0\n";
  expect += "    4 |" + spaces(51) + "0\n";
  expect += "      ~\n";
  expect += "  256 |" + spaces(51) + "0\n";
  expect += "  512 |" + spaces(51) + "0\n";
  expect += " 1024 |@" + spaces(50) + "1\n";
  expect += " 2048 |" + spaces(51) + "0\n";
  expect += " 4096 |" + spaces(51) + "0\n";
  expect += "\n";
  EXPECT_EQ(fmt::formatHistLog(s), expect);
}

TEST(FormatStats, LogHistogramWithNegativeValues) {
  // -5 -> bucket 61 (label -4), -1 -> 63, 3 -> 66 (label 2).  With negative data the
  // lower margin goes below bucket 64: low 61 -> 59 (label -16); high 66 -> 68 (8).
  // val_space = max(needed_space(8), needed_space(-16) = 3, 5) = 5.
  Stats s = fill(HistogramSpec::log(), {{-5, 1}, {-1, 2}, {3, 1}});
  std::string expect = kHeader5;
  expect += "  -16 |" + spaces(51) + "0\n";
  expect += "   -8 |" + spaces(51) + "0\n";
  expect += "   -4 |@" + spaces(50) + "1\n";
  expect += "   -2 |" + spaces(51) + "0\n";
  expect += "   -1 |@@" + spaces(49) + "2\n";
  expect += "    0 |" + spaces(51) + "0\n";
  expect += "    1 |" + spaces(51) + "0\n";
  expect += "    2 |@" + spaces(50) + "1\n";
  expect += "    4 |" + spaces(51) + "0\n";
  expect += "    8 |" + spaces(51) + "0\n";
  expect += "\n";
  EXPECT_EQ(fmt::formatHistLog(s), expect);
}

TEST(FormatStats, LogHistogramOfZeros) {
  // Only bucket 64: the lower margin stays at 64 (no negative rows), high 64 -> 66.
  // The count field after a 3-'@' bar is 50 - 3 + 1 + 1 = 49 wide.
  Stats s = fill(HistogramSpec::log(), {{0, 3}});
  std::string expect = kHeader5;
  expect += "    0 |@@@" + spaces(48) + "3\n";
  expect += "    1 |" + spaces(51) + "0\n";
  expect += "    2 |" + spaces(51) + "0\n";
  expect += "\n";
  EXPECT_EQ(fmt::formatHistLog(s), expect);
}

TEST(FormatStats, HistogramScaleRoundsUp) {
  // valmax 120 > HIST_WIDTH: scale = 120 / 50 = 2 remainder 20 -> 3.  Bars 120/3 = 40 and
  // 3/3 = 1; cnt_space = 3 so the count fields are 50 - 40 + 4 = 14, 50 - 1 + 4 = 53
  // and (empty rows) 54 wide.
  Stats s = fill(HistogramSpec::log(), {{1, 120}, {2, 3}});
  std::string expect = kHeader5;
  expect += "    0 |" + spaces(53) + "0\n";
  expect += "    1 |" + std::string(40, '@') + spaces(11) + "120\n";
  expect += "    2 |@" + spaces(52) + "3\n";
  expect += "    4 |" + spaces(53) + "0\n";
  expect += "    8 |" + spaces(53) + "0\n";
  expect += "\n";
  EXPECT_EQ(fmt::formatHistLog(s), expect);
  // An exact multiple: 100 / 50 = 2, no rounding: 50 '@', then a field of
  // 50 - 50 + 1 + 3 = 4.
  Stats t = fill(HistogramSpec::log(), {{1, 100}});
  EXPECT_NE(fmt::formatHistLog(t).find("    1 |" + std::string(50, '@') + " 100\n"),
            std::string::npos);
}

TEST(FormatStats, LinearHistogramWithUnderAndOverflow) {
  // @hist_linear(x, 0, 100, 10): 13 buckets.  -3 underflows, 105 is in the last regular
  // bucket (label 100), 120 overflows; the overflow label is start + (13 - 3) * 10 = 100.
  // Both end rows hold data, so under = over = 1 and
  // val_space = max(needed_space(0) + 1, needed_space(0 + 10 * 12) + 1, 5) = 5.
  Stats s = fill(HistogramSpec::linear(0, 100, 10),
                 {{5, 1}, {15, 2}, {55, 1}, {105, 1}, {120, 1}, {-3, 1}});
  std::string expect = kHeader5;
  expect += "   <0 |@" + spaces(50) + "1\n";
  expect += "    0 |@" + spaces(50) + "1\n";
  expect += "   10 |@@" + spaces(49) + "2\n";
  expect += "   20 |" + spaces(51) + "0\n";
  expect += "   30 |" + spaces(51) + "0\n";
  expect += "   40 |" + spaces(51) + "0\n";
  expect += "   50 |@" + spaces(50) + "1\n";
  expect += "   60 |" + spaces(51) + "0\n";
  expect += "   70 |" + spaces(51) + "0\n";
  expect += "   80 |" + spaces(51) + "0\n";
  expect += "   90 |" + spaces(51) + "0\n";
  expect += "  100 |@" + spaces(50) + "1\n";
  expect += " >100 |@" + spaces(50) + "1\n";
  expect += "\n";
  EXPECT_EQ(fmt::formatHistLinear(s, 0, 100, 10), expect);
}

TEST(FormatStats, LinearHistogramHidesEmptyUnderAndOverflow) {
  // @hist_linear(x, 0, 1000, 10), values 0 and 500 (buckets 1 and 51).  The margin
  // reaches bucket 0, which is empty, so the underflow row is dropped; rows 4..48 are
  // elided.  val_space = max(needed_space(0), needed_space(10 * 53), 5) = 5.
  Stats s = fill(HistogramSpec::linear(0, 1000, 10), {{0, 1}, {500, 1}});
  std::string expect = kHeader5;
  expect += "    0 |@" + spaces(50) + "1\n";
  expect += "   10 |" + spaces(51) + "0\n";
  expect += "   20 |" + spaces(51) + "0\n";
  expect += "      ~\n";
  expect += "  480 |" + spaces(51) + "0\n";
  expect += "  490 |" + spaces(51) + "0\n";
  expect += "  500 |@" + spaces(50) + "1\n";
  expect += "  510 |" + spaces(51) + "0\n";
  expect += "  520 |" + spaces(51) + "0\n";
  expect += "\n";
  EXPECT_EQ(fmt::formatHistLinear(s, 0, 1000, 10), expect);
}

TEST(FormatStats, LinearHistogramFewBuckets) {
  // (0, 10, 10): 10 / 10 + 3 = 4 buckets (underflow, [0, 10), [10, 20), overflow).  Data
  // in bucket 1; the margins reach the empty underflow and overflow rows, which are dropped.
  Stats s = fill(HistogramSpec::linear(0, 10, 10), {{5, 1}});
  EXPECT_EQ(fmt::formatHistLinear(s, 0, 10, 10),
            kHeader5 + "    0 |@" + spaces(50) + "1\n" + "   10 |" + spaces(51) + "0\n\n");
}

TEST(FormatStats, LinearValueColumnUsesOneIntervalMore) {
  // stat-common.c sizes the value column with start + interval * high_bucket, where row
  // high_bucket is labelled start + interval * (high_bucket - 1): with data at 70000 in
  // (0, 200000, 10000), high_bucket = 10, needed_space(100000) = 6, while the widest label
  // is 90000.  The header and every row get one more space.
  Stats s = fill(HistogramSpec::linear(0, 200000, 10000), {{70000, 1}});
  std::string expect = " value |" + std::string(50, '-') + " count\n";
  expect += " 50000 |" + spaces(51) + "0\n";
  expect += " 60000 |" + spaces(51) + "0\n";
  expect += " 70000 |@" + spaces(50) + "1\n";
  expect += " 80000 |" + spaces(51) + "0\n";
  expect += " 90000 |" + spaces(51) + "0\n";
  expect += "\n";
  EXPECT_EQ(fmt::formatHistLinear(s, 0, 200000, 10000), expect);
}

TEST(FormatStats, LinearNegativeStart) {
  // (-50, 50, 25): 7 buckets, labels -50 -25 0 25 50; value -60 underflows ("<-50"),
  // under = 1 so val_space = max(needed_space(-50) + 1 = 4, ..., 5) = 5.
  Stats s = fill(HistogramSpec::linear(-50, 50, 25), {{-60, 1}, {-50, 1}});
  std::string expect = kHeader5;
  expect += " <-50 |@" + spaces(50) + "1\n";
  expect += "  -50 |@" + spaces(50) + "1\n";
  expect += "  -25 |" + spaces(51) + "0\n";
  expect += "    0 |" + spaces(51) + "0\n";
  expect += "\n";
  EXPECT_EQ(fmt::formatHistLinear(s, -50, 50, 25), expect);
}

TEST(FormatStats, EmptyHistogramPrintsNothing) {
  // SystemTap raises "empty aggregate" before printing a statistic with count 0.
  EXPECT_EQ(fmt::formatHistLog(fmt::makeStats(HistogramSpec::log())), "");
  EXPECT_EQ(fmt::formatHistLinear(fmt::makeStats(HistogramSpec::linear(0, 10, 1)), 0, 10, 1), "");
  EXPECT_EQ(fmt::formatHistogram(HistogramSpec::none(), Stats{}), "");
  EXPECT_STREQ(fmt::kEmptyAggregateError, "empty aggregate");
}
