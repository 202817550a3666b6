// SystemTap's `=~` / `!~` regular expressions (POSIX extended syntax) compiled to a
// deterministic automaton at translation time, so that BPF can match with one table
// lookup per byte.
//
// Supported: literals and `\` escapes, `.`, bracket expressions (ranges, negation, the
// POSIX classes [:alpha:] [:digit:] [:alnum:] [:space:] [:upper:] [:lower:] [:punct:]
// [:xdigit:] [:blank:] [:cntrl:] [:graph:] [:print:]), grouping, `|`, `*` `+` `?`
// `{m}` `{m,}` `{m,n}`, and the anchors `^` `$`.  Matching is a search (the pattern may
// match anywhere), as SystemTap's is.
//
// The automaton reads the symbol Begin, then the string's bytes, then End; `^` and `$`
// are transitions on Begin and End.  State 0 is dead (no match possible any more);
// `accepting` states have matched (a search can stop there).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace stp2bpf {

struct RegexDfa {
  static constexpr int kBegin = 256, kEnd = 257, kSymbols = 258;
  std::vector<std::vector<uint16_t>> next;  // [state][symbol]
  std::vector<bool> accepting;
  int start = 1;

  size_t states() const { return next.size(); }
  // For tests: runs the automaton over `text`.
  bool matches(const std::string& text) const;
};

// Compiles `pattern`; false with `error` (a message naming the problem) if the syntax is
// not supported or the automaton would exceed `maxStates`.
bool compileRegex(const std::string& pattern, RegexDfa& out, std::string& error, size_t maxStates = 512);

}  // namespace stp2bpf
