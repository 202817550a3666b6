#include "format/sort.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace stp2bpf::runtime::format {

int64_t statSortValue(const Stats& s, StatAggregate aggregate) {
  switch (aggregate) {
    case StatAggregate::Count: return s.count;
    case StatAggregate::Sum: return s.sum;
    case StatAggregate::Min: return s.min;
    case StatAggregate::Max: return s.max;
    case StatAggregate::Avg: return statAvg(s);
  }
  return 0;
}

namespace {

// strcmp's sign on C strings (unsigned bytes, stopping at the first NUL).
int cStringCompare(const std::string& a, const std::string& b) {
  const unsigned char* p = reinterpret_cast<const unsigned char*>(a.c_str());
  const unsigned char* q = reinterpret_cast<const unsigned char*>(b.c_str());
  for (;; ++p, ++q) {
    if (*p != *q) return *p < *q ? -1 : 1;
    if (*p == 0) return 0;
  }
}

// map-gen.c allows at most 9 keys; a column beyond the keys is type END and compares as
// equal.
constexpr int kMaxKeys = 9;

class Comparator {
 public:
  Comparator(const std::vector<ArrayEntry>& entries, const ForeachSort& sort)
      : entries_(entries), sort_(sort), dir_(-sort.direction) {}

  // _stp_cmp(p, q): true when p must come after q (strictly).
  bool after(size_t p, size_t q) const {
    int64_t a = 0, b = 0;
    if (!column(p, q, a, b)) return false;
    return (a < b && dir_ > 0) || (a > b && dir_ < 0);
  }

 private:
  // The pair (a, b) _stp_cmp compares: the numbers, strcmp's result and 0, or the
  // statistics' aggregates.  False for a column that does not exist.
  bool column(size_t p, size_t q, int64_t& a, int64_t& b) const {
    const ArrayEntry& x = entries_[p];
    const ArrayEntry& y = entries_[q];
    if (sort_.column < 0 || sort_.column > kMaxKeys) return false;
    if (sort_.column == 0) {
      if (auto* n = std::get_if<int64_t>(&x.value)) {
        a = *n;
        b = std::get<int64_t>(y.value);
      } else if (auto* s = std::get_if<std::string>(&x.value)) {
        a = cStringCompare(*s, std::get<std::string>(y.value));
      } else {
        a = statSortValue(std::get<Stats>(x.value), sort_.aggregate);
        b = statSortValue(std::get<Stats>(y.value), sort_.aggregate);
      }
      return true;
    }
    size_t k = static_cast<size_t>(sort_.column - 1);
    if (k >= x.keys.size() || k >= y.keys.size()) return false;
    if (auto* n = std::get_if<int64_t>(&x.keys[k])) {
      a = *n;
      b = std::get<int64_t>(y.keys[k]);
    } else {
      a = cStringCompare(std::get<std::string>(x.keys[k]), std::get<std::string>(y.keys[k]));
    }
    return true;
  }

  const std::vector<ArrayEntry>& entries_;
  const ForeachSort& sort_;
  int dir_;  // the runtime's direction: 1 high-to-low, -1 low-to-high
};

// A circular doubly linked list of entry indices with a sentinel, to replay
// _stp_map_sortn's list surgery step by step.
class IndexList {
 public:
  // head <-> 0 <-> 1 <-> ... <-> n-1 <-> head
  explicit IndexList(size_t n) : head_(n), next_(n + 1), prev_(n + 1) {
    size_t before = head_;
    for (size_t i = 0; i < n; ++i) {
      next_[before] = i;
      prev_[i] = before;
      before = i;
    }
    next_[before] = head_;
    prev_[head_] = before;
  }
  size_t head() const { return head_; }
  size_t next(size_t i) const { return next_[i]; }
  size_t prev(size_t i) const { return prev_[i]; }
  void remove(size_t x) {
    next_[prev_[x]] = next_[x];
    prev_[next_[x]] = prev_[x];
  }
  void insertAfter(size_t x, size_t pos) {
    next_[x] = next_[pos];
    prev_[x] = pos;
    prev_[next_[pos]] = x;
    next_[pos] = x;
  }
  std::vector<size_t> order() const {
    std::vector<size_t> out;
    for (size_t i = next_[head_]; i != head_; i = next_[i]) out.push_back(i);
    return out;
  }

 private:
  size_t head_;
  std::vector<size_t> next_, prev_;
};

// _stp_map_sortn for n outside {0} and 31..: bubble sort of the first n, then insertion
// of every later element into the top n.
std::vector<size_t> partialSort(size_t count, int n, const Comparator& cmp) {
  IndexList list(count);
  const size_t head = list.head();
  if (count == 0) return {};
  size_t a = 0;
  for (bool swapped = true; swapped;) {
    swapped = false;
    int num = n;
    a = list.next(head);
    size_t c = list.next(list.next(a));
    while (list.next(a) != head && --num > 0) {
      size_t b = list.next(a);
      if (cmp.after(a, b)) {
        swapped = true;
        list.remove(a);  // _stp_swap: a goes after b
        list.insertAfter(a, b);
      }
      a = list.prev(c);
      c = list.next(c);
    }
  }
  size_t last = a;
  a = list.next(a);
  while (a != head) {
    size_t following = list.next(a);
    size_t c = last;
    while (c != head && cmp.after(c, a)) c = list.prev(c);
    if (c != last) {
      list.remove(a);
      list.insertAfter(a, c);
      last = list.prev(last);
    }
    a = following;
  }
  return list.order();
}

}  // namespace

ForeachOrder foreachOrder(const std::vector<ArrayEntry>& entries, const ForeachSort& sort) {
  ForeachOrder result;
  const size_t count = entries.size();
  if (sort.direction == 0) {
    for (size_t i = 0; i < count; ++i) result.listOrder.push_back(i);
  } else {
    Comparator cmp(entries, sort);
    // The translator passes the limit to _stp_map_sortn's int parameter.
    int n = sort.limit ? static_cast<int>(static_cast<uint32_t>(static_cast<uint64_t>(*sort.limit)))
                       : 0;
    if (n == 0 || n > 30) {
      for (size_t i = 0; i < count; ++i) result.listOrder.push_back(i);
      // The runtime's merge sort is stable: an element goes before an earlier one only
      // if the earlier one must come strictly after it.
      std::stable_sort(result.listOrder.begin(), result.listOrder.end(),
                       [&](size_t x, size_t y) { return cmp.after(y, x); });
    } else {
      result.listOrder = partialSort(count, n, cmp);
    }
  }
  size_t visits = count;
  if (sort.limit) visits = *sort.limit <= 0 ? 0 : std::min<uint64_t>(count, static_cast<uint64_t>(*sort.limit));
  result.visit.assign(result.listOrder.begin(), result.listOrder.begin() + static_cast<std::ptrdiff_t>(visits));
  return result;
}

}  // namespace stp2bpf::runtime::format
