// The order in which SystemTap 4.8's `foreach` visits an array (map.c _stp_map_sort,
// _stp_map_sortn and _stp_cmp, called as the translator's visit_foreach_loop emits them).
//
// SystemTap keeps every array's elements on a list in insertion order (a new element goes
// to the tail; deleting and re-adding moves it to the tail).  A sorted foreach sorts that
// list in place, so:
//   * Sorting looks at one column only: the value, one key, or for statistics one
//     aggregate.  Elements equal in that column keep their current list order; there is
//     no secondary key.  Numbers compare as signed 64-bit, strings with strcmp (unsigned
//     bytes, up to the first NUL).
//   * `foreach (... in a-)`/`[k-]` is the runtime's dir = 1 (high to low), `+` is dir = -1.
//   * A statistics array sorted on its value (`foreach (k in s-)`) sorts on @count;
//     `foreach (k in s @sum+)` etc. on that aggregate (@avg = sum / count, truncated).
//   * Without `limit`, or with a limit of 0 or above 30, the whole list is merge-sorted
//     (stable).  With a limit n in 1..30 (and, oddly, n < 0) the runtime bubble-sorts the
//     first n elements and then inserts each later element into that top n, which leaves
//     the first n as a stable sort would but the rest in another order.  The list keeps
//     that order, which matters for the ties of the next sort.  The limit is converted to
//     a C int for the sort; the loop visits min(limit, size) elements (none if limit <= 0).
//   * An unsorted foreach walks the list as it is.
// This library does not know the list: callers pass the elements in their current list
// order (insertion order, or the listOrder a previous sort returned) and get both the
// visiting order and the new list order.  Given elements in another order (e.g. a BPF hash
// map's iteration order), the result is SystemTap's result for that list order: sorted
// output is the same except for the order of ties.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "format/stats.h"
#include "format/value.h"

namespace stp2bpf::runtime::format {

// An array element's value: long, string, or (for arrays of statistics) the element's
// aggregated Stats.
using EntryValue = std::variant<int64_t, std::string, Stats>;

struct ArrayEntry {
  std::vector<Value> keys;
  EntryValue value;
};

// map.c SORT_COUNT .. SORT_AVG: which aggregate a statistics array sorts on.
enum class StatAggregate { Count, Sum, Min, Max, Avg };

struct ForeachSort {
  int column = 0;     // 0: the value; 1..n: that key
  int direction = 0;  // 0: unsorted; +1: ascending (`+`); -1: descending (`-`)
  StatAggregate aggregate = StatAggregate::Count;  // for column 0 of a statistics array
  std::optional<int64_t> limit;
};

struct ForeachOrder {
  std::vector<size_t> visit;      // indices into the entries, in the order foreach visits
  std::vector<size_t> listOrder;  // every entry, in the array's list order after the sort
};

ForeachOrder foreachOrder(const std::vector<ArrayEntry>& entries, const ForeachSort& sort);

// The value a statistics element sorts on for `aggregate`.
int64_t statSortValue(const Stats& stats, StatAggregate aggregate);

}  // namespace stp2bpf::runtime::format
