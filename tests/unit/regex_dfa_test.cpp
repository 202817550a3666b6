// The regex automaton against the C library's POSIX extended regular expressions
// (regcomp/regexec with REG_EXTENDED | REG_NOSUB: a search, as SystemTap's =~ is), over
// every short string of a small alphabet, for a set of patterns covering the syntax.
#include <regex.h>

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/regex_dfa.h"

namespace stp2bpf {
namespace {

bool posixSearch(const std::string& pattern, const std::string& text) {
  regex_t re;
  if (regcomp(&re, pattern.c_str(), REG_EXTENDED | REG_NOSUB) != 0) return false;
  bool found = regexec(&re, text.c_str(), 0, nullptr, 0) == 0;
  regfree(&re);
  return found;
}

std::vector<std::string> allStrings(const std::string& alphabet, size_t maxLength) {
  std::vector<std::string> out{""};
  for (size_t start = 0, len = 1; len <= maxLength; ++len) {
    size_t end = out.size();
    for (size_t i = start; i < end; ++i)
      for (char c : alphabet) out.push_back(out[i] + c);
    start = end;
  }
  return out;
}

TEST(RegexDfa, AgreesWithPosixRegexec) {
  const std::vector<std::string> patterns = {
      "a",      "ab",          "^ab",        "ab$",     "^ab$",   "a|b",        "^(a|bc)+$", "a*",
      "^a*$",   "a+b",         "a?b?c",      "(ab)*c",  "[ab]c",  "[^a]",       "^[a-c]+$",  "a{2}",
      "a{2,}",  "^a{1,3}$",    "b(a|c){2}b", "a.c",     "^.$",    "(^a|c$)",    "a|",        "[[:alpha:]]b",
      "x\\.y",  "^[[:digit:]]+$", "c[a-b]*a$",  "(a|b)*abb"};
  const std::vector<std::string> texts = allStrings("abc.x1", 4);
  for (const std::string& p : patterns) {
    RegexDfa dfa;
    std::string error;
    ASSERT_TRUE(compileRegex(p, dfa, error)) << p << ": " << error;
    for (const std::string& t : texts)
      ASSERT_EQ(dfa.matches(t), posixSearch(p, t)) << "pattern '" << p << "' on '" << t << "'";
  }
}

TEST(RegexDfa, ReportsWhatItCannotCompile) {
  RegexDfa dfa;
  std::string error;
  EXPECT_FALSE(compileRegex("(ab", dfa, error));
  EXPECT_NE(error.find("unclosed '('"), std::string::npos) << error;
  EXPECT_FALSE(compileRegex("[[:nope:]]", dfa, error));
  EXPECT_NE(error.find("unknown character class"), std::string::npos) << error;
  EXPECT_FALSE(compileRegex("*a", dfa, error));
  EXPECT_NE(error.find("nothing to repeat"), std::string::npos) << error;
  EXPECT_FALSE(compileRegex("(a|b)*a(a|b){12}", dfa, error, 64));
  EXPECT_NE(error.find("more than 64"), std::string::npos) << error;
}

}  // namespace
}  // namespace stp2bpf
