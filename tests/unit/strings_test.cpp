// String literal escapes: SystemTap's rules (parse.cxx lexer and the C compiler that
// interprets the escapes it passes through): known escapes decode, unknown ones lose
// the backslash.
#include <gtest/gtest.h>

#include "common/strings.h"

using stp2bpf::decodeStringEscapes;
using stp2bpf::quoteString;

TEST(StringEscapes, KnownEscapes) {
  EXPECT_EQ(decodeStringEscapes(R"(a\tb\n)"), "a\tb\n");
  EXPECT_EQ(decodeStringEscapes(R"(\a\b\f\r\v)"), "\a\b\f\r\v");
  EXPECT_EQ(decodeStringEscapes(R"(\\ \")"), "\\ \"");
}

TEST(StringEscapes, OctalTakesAtMostThreeDigits) {
  EXPECT_EQ(decodeStringEscapes(R"(\033[1m)"), "\033[1m");
  EXPECT_EQ(decodeStringEscapes(R"(\0331)"), std::string("\033") + "1");
  EXPECT_EQ(decodeStringEscapes(R"(\12)"), "\n");
  EXPECT_EQ(decodeStringEscapes(R"(\0)"), std::string(1, '\0'));
}

TEST(StringEscapes, HexTakesAtMostTwoDigits) {
  EXPECT_EQ(decodeStringEscapes(R"(\x1b[0m)"), "\x1b[0m");
  EXPECT_EQ(decodeStringEscapes(R"(\x41B)"), "AB");
  EXPECT_EQ(decodeStringEscapes(R"(\xq)"), "xq");
}

TEST(StringEscapes, UnknownEscapeDropsBackslash) {
  EXPECT_EQ(decodeStringEscapes(R"(\q\%)"), "q%");
  EXPECT_EQ(decodeStringEscapes("a\\\nb"), "a\nb");  // backslash-newline: the newline
}

TEST(StringEscapes, QuoteRoundTrips) {
  const std::string values[] = {"", "plain", "tab\there", "\033[47m  \033[m", "q\"uote\\",
                                std::string("nul\0x", 5), "\x7f\x01", "utf-8 \xc3\xa9"};
  for (const std::string& v : values) {
    std::string quoted = quoteString(v);
    ASSERT_GE(quoted.size(), 2u);
    EXPECT_EQ(decodeStringEscapes(quoted.substr(1, quoted.size() - 2)), v) << quoted;
  }
  EXPECT_EQ(quoteString("a\nb"), "\"a\\nb\"");
  EXPECT_EQ(quoteString("\033"), "\"\\033\"");
}
