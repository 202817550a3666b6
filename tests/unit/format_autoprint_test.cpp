// runtime/format auto-print of globals.  The formats are those of the probes stap 4.8
// generates for globals written but never read (stap -p3, e.g. for `global n, s, st, a;
// probe begin { n = -5; s = "x"; st <<< 3; a["k"] = "v"; exit() }`):
//   _stp_printf ("n=%lld\n", ...)                       number(..., 10, ..., flags 2)
//   _stp_printf ("s=\"%#s\"\n", ...)                    _stp_vsprint_memory(..., 's', 32)
//   _stp_print ("st @count=0x0\n") if @count == 0, else
//   _stp_printf ("st @count=%#lld @min=%#lld @max=%#lld @sum=%#lld @avg=%#lld\n", ...)
//   _stp_map_sort_ss (a, 0, 1) then _stp_printf ("a[\"%#s\"]=\"%#s\"\n", ...) per element,
//   `actionremaining -= 1` for the foreach and `-= 2` after each printf.
#include <gtest/gtest.h>

#include <algorithm>

#include "format/autoprint.h"

namespace fmt = stp2bpf::runtime::format;
using fmt::ArrayEntry;
using fmt::Stats;

namespace {

Stats statsOf(std::initializer_list<int64_t> values) {
  Stats s = fmt::makeStats(fmt::HistogramSpec::none());
  for (int64_t v : values) fmt::statAdd(s, fmt::HistogramSpec::none(), v);
  return fmt::aggregateStats({s});
}

}  // namespace

TEST(FormatAutoPrint, ScalarLongIsDecimal) {
  // "%lld": decimal (older SystemTap sources printed `%#x`; 4.8's generated code does not).
  EXPECT_EQ(fmt::autoPrintLong("n", -5), "n=-5\n");
  EXPECT_EQ(fmt::autoPrintLong("n", 0), "n=0\n");
  EXPECT_EQ(fmt::autoPrintLong("big", INT64_MIN), "big=-9223372036854775808\n");
}

TEST(FormatAutoPrint, ScalarStringIsRaw) {
  // '#' does nothing for %s: quotes, backslashes and newlines are printed as they are.
  EXPECT_EQ(fmt::autoPrintString("s", "x"), "s=\"x\"\n");
  EXPECT_EQ(fmt::autoPrintString("s", ""), "s=\"\"\n");
  EXPECT_EQ(fmt::autoPrintString("s", "a\"b\n\\"), "s=\"a\"b\n\\\"\n");
  EXPECT_EQ(fmt::autoPrintString("s", std::string("ab\0c", 4)), "s=\"ab\"\n");
}

TEST(FormatAutoPrint, ScalarStats) {
  // %#lld is decimal ('#' only matters for bases 8 and 16); @avg = 8 / 2.
  EXPECT_EQ(fmt::autoPrintStats("st", statsOf({3, 5})),
            "st @count=2 @min=3 @max=5 @sum=8 @avg=4\n");
  // @avg truncates toward zero: -7 / 2 = -3.
  EXPECT_EQ(fmt::autoPrintStats("st", statsOf({-8, 1})),
            "st @count=2 @min=-8 @max=1 @sum=-7 @avg=-3\n");
  // No values: the literal text the generated code prints instead of the extractors.
  EXPECT_EQ(fmt::autoPrintStats("st", Stats{}), "st @count=0x0\n");
}

TEST(FormatAutoPrint, ArrayOfLongsSortedByDecreasingValue) {
  // `a[1,"x"]=2; ...`: _stp_map_sort_isi(a, 0, 1) and "a[%#lld,\"%#s\"]=%lld\n"; the two
  // elements with value 2 keep their list (insertion) order.
  std::vector<ArrayEntry> a = {{{int64_t{1}, std::string("x")}, int64_t{2}},
                               {{int64_t{2}, std::string("y")}, int64_t{5}},
                               {{int64_t{-3}, std::string("z")}, int64_t{2}}};
  fmt::AutoPrintResult r = fmt::autoPrintArray("a", a);
  EXPECT_EQ(r.text, "a[2,\"y\"]=5\na[1,\"x\"]=2\na[-3,\"z\"]=2\n");
  EXPECT_FALSE(r.maxActionExceeded);
}

TEST(FormatAutoPrint, ArrayOfStrings) {
  // _stp_map_sort_ss(b, 0, 1): strcmp, high to low; "b[\"%#s\"]=\"%#s\"\n".
  std::vector<ArrayEntry> b = {{{std::string("q")}, std::string("w")},
                               {{std::string("r")}, std::string("z")},
                               {{std::string("s")}, std::string("W")}};
  EXPECT_EQ(fmt::autoPrintArray("b", b).text, "b[\"r\"]=\"z\"\nb[\"q\"]=\"w\"\nb[\"s\"]=\"W\"\n");
}

TEST(FormatAutoPrint, ArrayOfStatsSortedByCount) {
  // _stp_map_sort_ix(agg, SORT_COUNT, 1) and "hs[%#lld] @count=%#lld ... @avg=%#lld\n"
  // (no '=' after the brackets).
  std::vector<ArrayEntry> hs = {{{int64_t{1}}, statsOf({4})}, {{int64_t{2}}, statsOf({1, 2, 6})}};
  EXPECT_EQ(fmt::autoPrintArray("hs", hs).text,
            "hs[2] @count=3 @min=1 @max=6 @sum=9 @avg=3\n"
            "hs[1] @count=1 @min=4 @max=4 @sum=4 @avg=4\n");
  std::vector<ArrayEntry> f = {{{std::string("a"), std::string("b")}, statsOf({1})}};
  EXPECT_EQ(fmt::autoPrintArray("f", f).text,
            "f[\"a\",\"b\"] @count=1 @min=1 @max=1 @sum=1 @avg=1\n");
}

TEST(FormatAutoPrint, EmptyArrayPrintsNothing) {
  EXPECT_EQ(fmt::autoPrintArray("e", {}).text, "");
  EXPECT_FALSE(fmt::autoPrintArray("e", {}).maxActionExceeded);
}

TEST(FormatAutoPrint, ActionBudget) {
  std::vector<ArrayEntry> many;
  for (int64_t i = 0; i < 10; ++i) many.push_back({{i}, i});
  // Budget 8: 7 after the foreach, then 5, 3, 1, -1: the error comes after the 4th line.
  fmt::AutoPrintResult r = fmt::autoPrintArray("m", many, 8);
  EXPECT_EQ(r.text, "m[9]=9\nm[8]=8\nm[7]=7\nm[6]=6\n");
  EXPECT_TRUE(r.maxActionExceeded);
  // Budget 1: the foreach itself exceeds it.
  r = fmt::autoPrintArray("m", many, 1);
  EXPECT_EQ(r.text, "");
  EXPECT_TRUE(r.maxActionExceeded);
  // The default MAXACTION_INTERRUPTIBLE (10000): 4999 elements fit (9999 - 2 * 4999 = 1),
  // the 5000th is printed and then the probe fails.
  std::vector<ArrayEntry> big;
  for (int64_t i = 0; i < 5000; ++i) big.push_back({{i}, int64_t{0}});
  r = fmt::autoPrintArray("b", big);
  EXPECT_TRUE(r.maxActionExceeded);
  EXPECT_EQ(std::count(r.text.begin(), r.text.end(), '\n'), 5000);
  big.pop_back();
  r = fmt::autoPrintArray("b", big);
  EXPECT_FALSE(r.maxActionExceeded);
  EXPECT_EQ(std::count(r.text.begin(), r.text.end(), '\n'), 4999);
}
