#include "format/stats.h"

#include <algorithm>

namespace stp2bpf::runtime::format {

namespace {

// The kernel is built with -fno-strict-overflow: signed arithmetic wraps.  These helpers
// give that behaviour without undefined behaviour here.
int64_t wrapAdd(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t wrapSub(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) - static_cast<uint64_t>(b));
}
int64_t wrapMul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}
int64_t shiftLeft(int64_t v, int s) {
  return static_cast<int64_t>(static_cast<uint64_t>(v) << (s & 63));
}
// `x >> (2 * shift)` on x86-64: arithmetic, count taken modulo 64 (shift may be up to 62).
int64_t shiftRight(int64_t v, int s) { return v >> (s & 63); }

// _stp_div64: 0 for division by 0, -x for -1 (no trap on INT64_MIN / -1), else C division.
int64_t div64(int64_t x, int64_t y) {
  if (y == 0) return 0;
  if (y == -1) return wrapSub(0, x);
  return x / y;
}

int clz64(uint64_t v) {
  int n = 0;
  for (uint64_t bit = uint64_t{1} << 63; bit != 0 && !(v & bit); bit >>= 1) ++n;
  return n;
}

// needed_space: characters of the decimal representation, sign included.
int neededSpace(int64_t v) {
  if (v == 0) return 1;
  int space = 0;
  uint64_t magnitude = static_cast<uint64_t>(v);
  if (v < 0) {
    ++space;
    magnitude = 0 - magnitude;
  }
  for (; magnitude != 0; magnitude /= 10) ++space;
  return space;
}

// "%*s" of the legacy _stp_vsnprintf: right-aligned; a negative width left-aligns.
std::string padded(const std::string& s, int width) {
  bool left = width < 0;
  size_t w = static_cast<size_t>(left ? -static_cast<int64_t>(width) : width);
  if (s.size() >= w) return s;
  std::string pad(w - s.size(), ' ');
  return left ? s + pad : pad + s;
}

int64_t bucketCount(const Stats& stats, int i) {
  return i >= 0 && static_cast<size_t>(i) < stats.histogram.size()
             ? stats.histogram[static_cast<size_t>(i)]
             : 0;
}

}  // namespace

int linearBucketCount(int start, int stop, int interval) {
  if (interval == 0) return 0;
  int64_t buckets = (static_cast<int64_t>(stop) - start) / interval + 3;
  if (buckets > kMaxLinearBuckets || buckets < 3) return 0;
  return static_cast<int>(buckets);
}

int HistogramSpec::buckets() const {
  switch (type) {
    case Type::Log: return kHistLogBuckets;
    case Type::Linear: return linearBucketCount(start, stop, interval);
    case Type::None: break;
  }
  return 0;
}

int logBucket(int64_t value) {
  if (value == 0) return kHistLogBucket0;
  if (value > 0) return kHistLogBuckets - clz64(static_cast<uint64_t>(value));
  // The magnitude of INT64_MIN wraps to 2^63, which has no leading zero: bucket 0.
  return clz64(0 - static_cast<uint64_t>(value));
}

int linearBucket(int64_t value, int start, int interval, int buckets) {
  int64_t d = wrapSub(value, start);
  if (d < 0) return 0;  // underflow
  // do_div takes a 32-bit unsigned divisor.
  uint64_t q = static_cast<uint64_t>(d) / static_cast<uint32_t>(interval);
  int64_t b = static_cast<int64_t>(q) + 1;
  if (b >= buckets - 1) return buckets - 1;  // overflow
  return static_cast<int>(b);
}

int64_t logBucketValue(int bucket) {
  if (bucket == kHistLogBucket0) return 0;
  if (bucket < kHistLogBucket0) return INT64_MIN >> bucket;
  return int64_t{1} << (bucket - kHistLogBucket0 - 1);
}

Stats makeStats(const HistogramSpec& hist, int shift) {
  Stats s;
  s.shift = shift;
  s.histogram.assign(static_cast<size_t>(hist.buckets()), 0);
  return s;
}

void statAdd(Stats& s, const HistogramSpec& hist, int64_t v) {
  int64_t scaled = shiftLeft(v, s.shift);
  if (s.count == 0) {
    s.count = 1;
    s.sum = s.min = s.max = v;
    s.avgScaled = scaled;
    s.m2 = 0;
  } else {
    s.count++;
    s.sum = wrapAdd(s.sum, v);
    if (v > s.max) s.max = v;
    if (v < s.min) s.min = v;
    // Welford's online algorithm; `delta` is a C int in stat-common.c, so the difference
    // is truncated to 32 bits.
    int32_t delta = static_cast<int32_t>(static_cast<uint32_t>(wrapSub(scaled, s.avgScaled)));
    s.avgScaled = wrapAdd(s.avgScaled, div64(delta, s.count));
    s.m2 = wrapAdd(s.m2, wrapMul(delta, wrapSub(scaled, s.avgScaled)));
    s.varianceScaled = s.count < 2 ? -1 : div64(s.m2, s.count - 1);
  }
  int buckets = hist.buckets();
  if (buckets <= 0) return;
  if (s.histogram.size() < static_cast<size_t>(buckets))
    s.histogram.resize(static_cast<size_t>(buckets), 0);
  int n = hist.type == HistogramSpec::Type::Log
              ? std::min(logBucket(v), buckets - 1)
              : linearBucket(v, hist.start, hist.interval, buckets);
  s.histogram[static_cast<size_t>(n)]++;
}

Stats aggregateStats(const std::vector<Stats>& perCpu) {
  Stats agg;
  size_t buckets = 0;
  for (const Stats& sd : perCpu) buckets = std::max(buckets, sd.histogram.size());
  agg.histogram.assign(buckets, 0);
  for (const Stats& sd : perCpu) {
    if (sd.count == 0) continue;
    agg.shift = sd.shift;
    if (agg.count == 0) {
      agg.min = sd.min;
      agg.max = sd.max;
    }
    agg.count = wrapAdd(agg.count, sd.count);
    agg.sum = wrapAdd(agg.sum, sd.sum);
    if (sd.max > agg.max) agg.max = sd.max;
    if (sd.min < agg.min) agg.min = sd.min;
    for (size_t j = 0; j < sd.histogram.size(); ++j)
      agg.histogram[j] = wrapAdd(agg.histogram[j], sd.histogram[j]);
  }
  agg.avgScaled = div64(shiftLeft(agg.sum, agg.shift), agg.count);
  int64_t s1 = 0, s2 = 0;
  for (const Stats& sd : perCpu) {
    if (sd.count == 0) continue;
    int64_t d = wrapSub(sd.avgScaled, agg.avgScaled);
    s1 = wrapAdd(s1, wrapMul(wrapMul(sd.count, d), d));
    s2 = wrapAdd(s2, wrapMul(sd.count - 1, sd.varianceScaled));
  }
  agg.varianceScaled = div64(wrapAdd(s1, s2), agg.count - 1);
  agg.variance = shiftRight(agg.varianceScaled, 2 * agg.shift);
  return agg;
}

Stats aggregateArrayStats(const std::vector<Stats>& perCpu) {
  Stats agg;
  bool first = true;
  for (const Stats& sd : perCpu) {
    if (sd.count == 0) continue;  // that CPU's map has no node for the element
    if (first || agg.count <= 0) {
      // _new_map_copy_stat without `add`: a copy (of everything but _M2, which nothing
      // reads from an aggregate).
      agg = sd;
      agg.variance = shiftRight(sd.varianceScaled, 2 * sd.shift);
      first = false;
      continue;
    }
    int64_t count1 = agg.count, avg1 = agg.avgScaled;
    agg.count = wrapAdd(agg.count, sd.count);
    agg.sum = wrapAdd(agg.sum, sd.sum);
    if (sd.min < agg.min) agg.min = sd.min;
    if (sd.max > agg.max) agg.max = sd.max;
    agg.shift = sd.shift;
    agg.avgScaled = div64(shiftLeft(agg.sum, sd.shift), agg.count);
    int64_t d1 = wrapSub(avg1, agg.avgScaled), d2 = wrapSub(sd.avgScaled, agg.avgScaled);
    int64_t s11 = wrapMul(wrapMul(count1, d1), d1);
    int64_t s12 = wrapMul(count1 - 1, agg.varianceScaled);
    int64_t s21 = wrapMul(wrapMul(sd.count, d2), d2);
    int64_t s22 = wrapMul(sd.count - 1, sd.varianceScaled);
    agg.varianceScaled =
        div64(wrapAdd(wrapAdd(s11, s12), wrapAdd(s21, s22)), agg.count - 1);
    agg.variance = shiftRight(agg.varianceScaled, 2 * sd.shift);
    if (agg.histogram.size() < sd.histogram.size()) agg.histogram.resize(sd.histogram.size(), 0);
    for (size_t j = 0; j < sd.histogram.size(); ++j)
      agg.histogram[j] = wrapAdd(agg.histogram[j], sd.histogram[j]);
  }
  return agg;
}

int64_t statAvg(const Stats& stats) { return div64(stats.sum, stats.count); }

std::string formatHistogram(const HistogramSpec& hist, const Stats& stats) {
  const bool linear = hist.type == HistogramSpec::Type::Linear;
  if (hist.type == HistogramSpec::Type::None) return std::string();
  const int buckets = hist.buckets();
  if (buckets <= 0) return std::string();

  // The data range and the largest count, for scaling.
  int low = -1, high = 0;
  int64_t valmax = 0;
  for (int i = 0; i < buckets; ++i) {
    int64_t c = bucketCount(stats, i);
    if (c > 0 && low == -1) low = i;
    if (c > 0) high = i;
    if (c > valmax) valmax = c;
  }
  // SystemTap never gets here without data (count == 0 is "empty aggregate"); with no
  // data its code would index bucket -1.
  if (low == -1) return std::string();

  // Up to two empty buckets on either side of the data.  A log histogram does not go
  // below the zero bucket unless there are negative values.
  for (int i = 0; i < 2; ++i) {
    if (linear) {
      if (low > 0) low--;
    } else if (low != kHistLogBucket0 && low > 0) {
      low--;
    }
    if (high < buckets - 1) high++;
  }
  bool under = false, over = false;
  if (linear) {
    // Underflow and overflow rows only when they hold something.
    if (low == 0 && bucketCount(stats, 0) == 0) low++;
    if (high == buckets - 1 && bucketCount(stats, high) == 0) high--;
    under = low == 0;
    over = high == buckets - 1;
  }

  const int64_t scale = valmax <= kHistWidth ? 1 : (valmax + kHistWidth - 1) / kHistWidth;
  const int cntSpace = neededSpace(valmax);
  int valSpace;
  if (linear) {
    // stat-common.c sizes the column with start + interval * high_bucket (C int
    // arithmetic), one interval more than the last row's label: the column can be one
    // character wider than its widest label.
    int32_t top = static_cast<int32_t>(static_cast<uint32_t>(hist.start) +
                                       static_cast<uint32_t>(hist.interval) *
                                           static_cast<uint32_t>(high));
    valSpace = std::max(neededSpace(hist.start) + (under ? 1 : 0), neededSpace(top) + (over ? 1 : 0));
  } else {
    valSpace = std::max(neededSpace(logBucketValue(high)), neededSpace(logBucketValue(low)));
  }
  valSpace = std::max(valSpace, 5);  // sizeof("value")

  std::string out = padded("value", valSpace) + " |" + std::string(kHistWidth, '-') + " count\n";
  bool eliding = false;
  const int maxElide = std::min(kHistElision, buckets);
  for (int i = low; i <= high; ++i) {
    // An empty row is left out when every bucket within maxElide of it (inside the shown
    // range) is empty too; a run of left-out rows becomes one "~" line.
    int from = std::max(low, i - maxElide), to = std::min(high, i + maxElide);
    bool elide = true;
    for (int k = from; k <= to; ++k)
      if (bucketCount(stats, k) != 0) elide = false;
    if (elide) {
      eliding = true;
      continue;
    }
    if (eliding) {
      out += std::string(static_cast<size_t>(valSpace), ' ') + " ~\n";
      eliding = false;
    }

    int64_t label;
    std::string prefix;
    if (linear) {
      if (i == 0) {
        label = hist.start;
        prefix = "<";
      } else if (i == buckets - 1) {
        label = static_cast<int64_t>(hist.start) + static_cast<int64_t>(i - 2) * hist.interval;
        prefix = ">";
      } else {
        label = static_cast<int64_t>(hist.start) + static_cast<int64_t>(i - 1) * hist.interval;
      }
    } else {
      label = logBucketValue(i);
    }
    out += padded(prefix, valSpace - neededSpace(label)) + std::to_string(label) + " |";

    int64_t count = bucketCount(stats, i);
    uint64_t bar = static_cast<uint64_t>(count) / static_cast<uint64_t>(scale);
    out += std::string(static_cast<size_t>(bar), '@');
    int width = static_cast<int>(kHistWidth - bar + 1 + cntSpace);
    out += padded(std::to_string(count), width) + "\n";
  }
  out += "\n";
  return out;
}

std::string formatHistLog(const Stats& stats) {
  return formatHistogram(HistogramSpec::log(), stats);
}

std::string formatHistLinear(const Stats& stats, int start, int stop, int interval) {
  return formatHistogram(HistogramSpec::linear(start, stop, interval), stats);
}

}  // namespace stp2bpf::runtime::format
