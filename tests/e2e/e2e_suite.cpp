#include "e2e_suite.h"

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

#include "support/process.h"

namespace stp2bpf::e2e {

namespace {

// Keywords whose text may span several lines (when nothing follows the keyword).
const std::set<std::string> kBodyKeywords = {"PROG", "EXPECT", "EXPECT_REGEX"};
const std::set<std::string> kLineKeywords = {"NAME",        "COMMENT",  "ARGS",     "PARAMS",
                                             "STDERR_REGEX", "EXIT_STATUS", "TIMEOUT", "INTERRUPT_AFTER",
                                             "REQUIRES",     "BACKENDS"};
// What may be given before the first NAME, as defaults for the whole suite.
const std::set<std::string> kSuiteKeywords = {"REQUIRES", "TIMEOUT", "BACKENDS", "COMMENT"};
const std::set<std::string> kBackends = {"bpftrace", "native"};

bool isKeywordLine(const std::string& line, std::string& keyword, std::string& rest) {
  size_t end = line.find(' ');
  std::string word = line.substr(0, end);
  if (!kBodyKeywords.count(word) && !kLineKeywords.count(word)) return false;
  keyword = word;
  rest = end == std::string::npos ? "" : line.substr(end + 1);
  return true;
}

bool parseNumber(const std::string& s, double& out) {
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return !s.empty() && end && *end == '\0' && out >= 0;
}

}  // namespace

bool splitWords(const std::string& text, std::vector<std::string>& out) {
  std::string word;
  bool inWord = false;
  char quote = 0;
  for (char c : text) {
    if (quote) {
      if (c == quote) quote = 0;
      else word += c;
      continue;
    }
    if (c == '\'' || c == '"') {
      quote = c;
      inWord = true;
    } else if (c == ' ' || c == '\t') {
      if (inWord) out.push_back(word);
      word.clear();
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) return false;
  if (inWord) out.push_back(word);
  return true;
}

bool parseSuite(const std::string& path, const std::string& text, std::vector<Case>& out, std::string& error) {
  std::string suite = path.substr(path.rfind('/') + 1);
  suite = suite.substr(0, suite.find('.'));
  std::vector<std::string> lines;
  {
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) lines.push_back(l);
  }
  Case defaults;
  defaults.suite = suite;
  defaults.file = path;
  std::vector<Case> tests;
  std::set<std::string> names;
  auto fail = [&](size_t lineNo, const std::string& message) {
    error = path + ":" + std::to_string(lineNo + 1) + ": " + message;
    return false;
  };

  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string& l = lines[i];
    std::string keyword, rest;
    if (!isKeywordLine(l, keyword, rest)) {
      if (l.empty() || l[0] == '#') continue;
      return fail(i, "expected a keyword (NAME, PROG, EXPECT, ...), found '" + l + "'");
    }
    if (keyword == "NAME") {
      if (!std::regex_match(rest, std::regex("[A-Za-z0-9_]+")))
        return fail(i, "a test NAME is letters, digits and '_'");
      if (!names.insert(rest).second) return fail(i, "duplicate test name '" + rest + "'");
      tests.push_back(defaults);
      tests.back().name = rest;
      tests.back().line = static_cast<int>(i + 1);
      tests.back().comments.clear();
      continue;
    }
    if (tests.empty() && !kSuiteKeywords.count(keyword))
      return fail(i, keyword + " before the first NAME (only REQUIRES, TIMEOUT, BACKENDS and COMMENT may be)");
    Case& t = tests.empty() ? defaults : tests.back();

    if (kBodyKeywords.count(keyword)) {
      std::string body;
      if (!rest.empty()) {
        body = rest + "\n";
      } else {
        // The body: every line up to the next keyword line, less trailing blank lines.
        std::vector<std::string> bodyLines;
        size_t j = i + 1;
        std::string k2, r2;
        for (; j < lines.size() && !isKeywordLine(lines[j], k2, r2); ++j) bodyLines.push_back(lines[j]);
        while (!bodyLines.empty() && bodyLines.back().empty()) bodyLines.pop_back();
        for (const std::string& b : bodyLines) body += b + "\n";
        i = j - 1;
      }
      if (keyword == "PROG") {
        if (!t.prog.empty()) return fail(i, "a second PROG");
        t.prog = body;
      } else if (keyword == "EXPECT") {
        if (t.hasExpect || t.hasExpectRegex) return fail(i, "a second EXPECT/EXPECT_REGEX");
        t.hasExpect = true;
        t.expect = body;
      } else {
        if (t.hasExpect || t.hasExpectRegex) return fail(i, "a second EXPECT/EXPECT_REGEX");
        t.hasExpectRegex = true;
        std::istringstream in(body);
        std::string r;
        while (std::getline(in, r)) {
          try {
            std::regex check(r.rfind("+ ", 0) == 0 ? r.substr(2) : r);  // "+ REGEX": one or more lines
          } catch (const std::regex_error& e) {
            return fail(i, "bad regular expression '" + r + "': " + e.what());
          }
          t.expectRegex.push_back(r);
        }
      }
      continue;
    }
    if (keyword == "COMMENT") {
      t.comments.push_back(rest);
    } else if (keyword == "ARGS" || keyword == "PARAMS") {
      std::vector<std::string> words;
      if (!splitWords(rest, words)) return fail(i, "unbalanced quote");
      auto& dest = keyword == "ARGS" ? t.args : t.params;
      dest.insert(dest.end(), words.begin(), words.end());
    } else if (keyword == "STDERR_REGEX") {
      try {
        std::regex check(rest);
      } catch (const std::regex_error& e) {
        return fail(i, "bad regular expression '" + rest + "': " + e.what());
      }
      t.stderrRegex.push_back(rest);
    } else if (keyword == "EXIT_STATUS") {
      double v;
      if (!parseNumber(rest, v) || v != static_cast<int>(v) || v > 255) return fail(i, "EXIT_STATUS takes 0..255");
      t.exitStatus = static_cast<int>(v);
    } else if (keyword == "TIMEOUT" || keyword == "INTERRUPT_AFTER") {
      double v;
      if (!parseNumber(rest, v) || v <= 0) return fail(i, keyword + " takes a number of seconds");
      (keyword == "TIMEOUT" ? t.timeout : t.interruptAfter) = v;
    } else if (keyword == "REQUIRES") {
      std::vector<std::string> words;
      splitWords(rest, words);
      if (words.empty()) return fail(i, "REQUIRES what?");
      Requirement r{words[0], words.size() > 1 ? words[1] : ""};
      bool ok = (r.kind == "root" || r.kind == "bpftrace") ? words.size() == 1
                : (r.kind == "tracepoint" || r.kind == "command") ? words.size() == 2
                : false;
      if (!ok) return fail(i, "REQUIRES root | bpftrace | tracepoint SYSTEM:EVENT | command NAME");
      t.requires.push_back(r);
    } else if (keyword == "BACKENDS") {
      std::vector<std::string> words;
      splitWords(rest, words);
      for (const std::string& b : words)
        if (!kBackends.count(b)) return fail(i, "unknown backend '" + b + "' (bpftrace, native)");
      if (words.empty()) return fail(i, "BACKENDS needs at least one backend");
      t.backends = words;
    }
  }
  for (const Case& t : tests) {
    if (t.prog.empty()) return fail(t.line - 1, "test " + t.name + " has no PROG");
    if (!t.hasExpect && !t.hasExpectRegex) return fail(t.line - 1, "test " + t.name + " has no EXPECT or EXPECT_REGEX");
    if (t.comments.empty())
      return fail(t.line - 1, "test " + t.name + " has no COMMENT saying where its expectation comes from");
  }
  out.insert(out.end(), tests.begin(), tests.end());
  return true;
}

std::string unmetRequirement(const Requirement& r) {
  if (r.kind == "root") return geteuid() == 0 ? "" : "needs root (BPF programs are loaded into the kernel)";
  if (r.kind == "bpftrace") return testing::onPath("bpftrace") ? "" : "needs bpftrace on PATH";
  if (r.kind == "command") return testing::onPath(r.arg) ? "" : "needs the command '" + r.arg + "' on PATH";
  if (r.kind == "tracepoint") {
    size_t colon = r.arg.find(':');
    std::string rel = "events/" + r.arg.substr(0, colon) + "/" + r.arg.substr(colon + 1);
    struct stat st;
    // tracefs may not be mounted yet on a fresh machine; stp2bpf mounts it itself when
    // root, so do the same before deciding.
    if (stat("/sys/kernel/tracing/events", &st) != 0 && geteuid() == 0)
      mount("nodev", "/sys/kernel/tracing", "tracefs", 0, nullptr);
    for (const char* root : {"/sys/kernel/tracing/", "/sys/kernel/debug/tracing/"})
      if (stat((std::string(root) + rel).c_str(), &st) == 0) return "";
    return "needs the tracepoint " + r.arg + " (not in tracefs here)";
  }
  return "unknown requirement " + r.text();
}

}  // namespace stp2bpf::e2e
