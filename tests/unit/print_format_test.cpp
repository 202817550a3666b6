// printf formats as SystemTap 4.8 accepts them.  Expectations were checked against
// `stap -p1 -e 'probe begin { printf("...") }'` on this machine: %ld/%lx/%lb... parse;
// %lld, %hd, %e, %f, %5%, and two flags such as "%-+d" are parse errors.
#include <gtest/gtest.h>

#include "common/print_format.h"

using stp2bpf::FormatParseError;
using stp2bpf::FormatSpec;
using stp2bpf::parsePrintFormat;

namespace {
std::vector<FormatSpec> parse(const std::string& f) {
  std::vector<FormatSpec> out;
  FormatParseError error;
  EXPECT_TRUE(parsePrintFormat(f, out, error)) << f << ": " << error.message;
  return out;
}
bool rejects(const std::string& f) {
  std::vector<FormatSpec> out;
  FormatParseError error;
  return !parsePrintFormat(f, out, error);
}
}  // namespace

TEST(PrintFormat, LiteralsAndPercent) {
  auto specs = parse("100%% done\n");
  ASSERT_EQ(specs.size(), 1u);
  EXPECT_EQ(specs[0].conv, FormatSpec::Conv::Literal);
  EXPECT_EQ(specs[0].literal, "100% done\n");
}

TEST(PrintFormat, FlagsWidthPrecision) {
  auto specs = parse("%-10s|%5d|%.*s|%*d|%#lx|%05d");
  ASSERT_EQ(specs.size(), 11u);
  EXPECT_TRUE(specs[0].left);
  EXPECT_EQ(specs[0].width, 10);
  EXPECT_EQ(specs[0].conv, FormatSpec::Conv::String);
  EXPECT_EQ(specs[2].widthKind, FormatSpec::Size::Static);
  EXPECT_EQ(specs[4].precisionKind, FormatSpec::Size::Dynamic);
  EXPECT_EQ(specs[4].argumentCount(), 2);
  EXPECT_EQ(specs[6].widthKind, FormatSpec::Size::Dynamic);
  EXPECT_TRUE(specs[8].alternate);
  EXPECT_EQ(specs[8].conv, FormatSpec::Conv::HexLower);
  EXPECT_TRUE(specs[10].zeroPad);
  EXPECT_EQ(specs[10].width, 5);
}

TEST(PrintFormat, AllConversions) {
  auto specs = parse("%d%i%u%o%x%X%p%s%c%b%m%M");
  const FormatSpec::Conv want[] = {
      FormatSpec::Conv::SignedDecimal, FormatSpec::Conv::SignedDecimal,
      FormatSpec::Conv::UnsignedDecimal, FormatSpec::Conv::Octal, FormatSpec::Conv::HexLower,
      FormatSpec::Conv::HexUpper, FormatSpec::Conv::Pointer, FormatSpec::Conv::String,
      FormatSpec::Conv::Char, FormatSpec::Conv::Binary, FormatSpec::Conv::Memory,
      FormatSpec::Conv::MemoryHex};
  ASSERT_EQ(specs.size(), std::size(want));
  for (size_t i = 0; i < specs.size(); ++i) EXPECT_EQ(specs[i].conv, want[i]) << i;
}

TEST(PrintFormat, RejectsWhatStapRejects) {
  for (const char* f : {"%lld", "%llu", "%hd", "%e", "%f", "%z", "%", "%5", "%5%", "%-+d", "%1$d", "%Lx", "%jd"})
    EXPECT_TRUE(rejects(f)) << f;
}

TEST(PrintFormat, ErrorNamesTheConversion) {
  std::vector<FormatSpec> out;
  FormatParseError error;
  ASSERT_FALSE(parsePrintFormat("x=%lld\n", out, error));
  EXPECT_EQ(error.message, "invalid printf conversion '%lld'");
  EXPECT_EQ(error.offset, 2u);
}
