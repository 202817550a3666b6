// runtime/format foreach order.  Expectations follow SystemTap 4.8's map.c: _stp_cmp (one
// column, strcmp for strings, SORT_COUNT..SORT_AVG for statistics, dir 1 = high to low),
// _stp_map_sort (stable list merge sort) and _stp_map_sortn (bubble sort of the first n,
// then insertion into the top n), called as the translator emits them (stap -p3:
// `foreach (x in a+ limit 5)` is _stp_map_sortn_isi(a, 5, 0, -1); `a-` is dir 1; a
// statistics array sorted on its value uses SORT_COUNT).
#include <gtest/gtest.h>

#include "format/sort.h"

namespace fmt = stp2bpf::runtime::format;
using fmt::ArrayEntry;
using fmt::ForeachSort;
using fmt::StatAggregate;
using fmt::Stats;
using Order = std::vector<size_t>;

namespace {

std::vector<ArrayEntry> longValues(std::initializer_list<int64_t> values) {
  std::vector<ArrayEntry> out;
  int64_t key = 0;
  for (int64_t v : values) out.push_back({{fmt::Value(key++)}, v});
  return out;
}

ForeachSort sortOn(int column, int direction, std::optional<int64_t> limit = std::nullopt) {
  ForeachSort s;
  s.column = column;
  s.direction = direction;
  s.limit = limit;
  return s;
}

Stats stats(int64_t count, int64_t sum, int64_t min, int64_t max) {
  Stats s;
  s.count = count;
  s.sum = sum;
  s.min = min;
  s.max = max;
  return s;
}

}  // namespace

TEST(FormatSort, ValuesDescendingAndAscendingKeepTies) {
  // Merge sort takes the left element unless _stp_cmp says it must come strictly after:
  // equal values keep their list order, in both directions.
  auto e = longValues({3, 1, 3, 2});
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(0, -1)).visit, (Order{0, 2, 3, 1}));
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(0, +1)).visit, (Order{1, 3, 0, 2}));
}

TEST(FormatSort, NumbersAreSigned) {
  auto e = longValues({-1, INT64_MAX, INT64_MIN, 0});
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(0, +1)).visit, (Order{2, 0, 3, 1}));
}

TEST(FormatSort, StringsCompareWithStrcmp) {
  // strcmp: unsigned bytes, so 'B' < 'a' < "ab" < 'b' < 0xe9; a NUL ends the string.
  std::vector<ArrayEntry> e = {{{}, std::string("b")},    {{}, std::string("a")},
                               {{}, std::string("\xe9")}, {{}, std::string("B")},
                               {{}, std::string("ab")},   {{}, std::string("a\0z", 3)}};
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(0, +1)).visit, (Order{3, 1, 5, 4, 0, 2}));
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(0, -1)).visit, (Order{2, 0, 4, 1, 5, 3}));
}

TEST(FormatSort, KeyColumnsWithoutSecondaryKey) {
  // One column only: entries with equal first keys stay in list order whatever their
  // other keys or values.
  std::vector<ArrayEntry> e = {{{int64_t{2}, std::string("x")}, int64_t{10}},
                               {{int64_t{1}, std::string("y")}, int64_t{30}},
                               {{int64_t{2}, std::string("a")}, int64_t{20}}};
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(1, +1)).visit, (Order{1, 0, 2}));
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(1, -1)).visit, (Order{0, 2, 1}));
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(2, +1)).visit, (Order{2, 0, 1}));
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(0, -1)).visit, (Order{1, 2, 0}));
  // A column beyond the keys is END in map_get_key: all equal, nothing moves.
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(3, +1)).visit, (Order{0, 1, 2}));
}

TEST(FormatSort, StatisticsSortOnAnAggregate) {
  std::vector<ArrayEntry> e = {{{std::string("a")}, stats(2, -7, -5, -2)},
                               {{std::string("b")}, stats(5, 10, 1, 3)},
                               {{std::string("c")}, stats(1, -3, -3, -3)}};
  ForeachSort s = sortOn(0, -1);  // `foreach (k in h-)`: SORT_COUNT
  EXPECT_EQ(fmt::foreachOrder(e, s).visit, (Order{1, 0, 2}));
  s.aggregate = StatAggregate::Sum;
  EXPECT_EQ(fmt::foreachOrder(e, s).visit, (Order{1, 2, 0}));
  s.aggregate = StatAggregate::Min;
  EXPECT_EQ(fmt::foreachOrder(e, s).visit, (Order{1, 2, 0}));
  s.aggregate = StatAggregate::Max;
  EXPECT_EQ(fmt::foreachOrder(e, s).visit, (Order{1, 0, 2}));
  // @avg is _stp_div64(sum, count): -7 / 2 = -3 (truncated) ties with -3 / 1.
  s.aggregate = StatAggregate::Avg;
  EXPECT_EQ(fmt::foreachOrder(e, s).visit, (Order{1, 0, 2}));
  s.direction = +1;
  EXPECT_EQ(fmt::foreachOrder(e, s).visit, (Order{0, 2, 1}));
  EXPECT_EQ(fmt::statSortValue(stats(2, -7, 0, 0), StatAggregate::Avg), -3);
}

TEST(FormatSort, SmallLimitSortsOnlyTheTop) {
  // _stp_map_sortn(map, 2, 0, 1) on values 1 5 3 5 4 (list order e0..e4):
  //   bubble pass over the first 2: swap e0/e1 -> e1 e0 e2 e3 e4; second pass: no swap.
  //   insertion: e2 (3) goes before e0 (1) -> e1 e2 e0 e3 e4, last = e2;
  //              e3 (5) goes after e1 (5, not strictly smaller) -> e1 e3 e2 e0 e4,
  //              last = e3; e4 (4) is not above e3: stays.
  // The top 2 are what a full sort gives; the rest is not sorted.
  auto e = longValues({1, 5, 3, 5, 4});
  fmt::ForeachOrder o = fmt::foreachOrder(e, sortOn(0, -1, 2));
  EXPECT_EQ(o.visit, (Order{1, 3}));
  EXPECT_EQ(o.listOrder, (Order{1, 3, 2, 0, 4}));
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(0, -1)).listOrder, (Order{1, 3, 4, 2, 0}));
}

TEST(FormatSort, LimitEdges) {
  auto e = longValues({1, 5, 3, 5, 4});
  // The loop runs while its counter (from 0) is below the limit.
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(0, -1, 0)).visit, Order{});
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(0, -1, -3)).visit, Order{});
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(0, -1, 9)).visit, (Order{1, 3, 4, 2, 0}));
  // limit 0 and limits above 30 sort everything with the merge sort.
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(0, -1, 0)).listOrder, (Order{1, 3, 4, 2, 0}));
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(0, -1, 31)).listOrder, (Order{1, 3, 4, 2, 0}));
  // The sort gets the limit as a C int (2^32 + 2 -> 2) while the loop compares longs:
  // every element is visited, in the partial order.
  fmt::ForeachOrder o = fmt::foreachOrder(e, sortOn(0, -1, (int64_t{1} << 32) + 2));
  EXPECT_EQ(o.visit, (Order{1, 3, 2, 0, 4}));
}

TEST(FormatSort, UnsortedIsListOrder) {
  auto e = longValues({3, 1, 2});
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(0, 0)).visit, (Order{0, 1, 2}));
  EXPECT_EQ(fmt::foreachOrder(e, sortOn(0, 0, 2)).visit, (Order{0, 1}));
  EXPECT_EQ(fmt::foreachOrder({}, sortOn(0, -1)).visit, Order{});
  EXPECT_EQ(fmt::foreachOrder({}, sortOn(0, -1, 3)).visit, Order{});
}
