#include "frontend/preprocessor.h"

#include <fnmatch.h>
#include <sys/utsname.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>

#include "ListTokenSource.h"
#include "CommonTokenStream.h"
#include "StapLexer.h"
#include "StapParser.h"
#include "common/strings.h"
#include "frontend/syntax_errors.h"
#include "frontend/token.h"

namespace stp2bpf::frontend {

using grammar::StapLexer;
using grammar::StapParser;

// ====================================================================== target facts

namespace {

std::map<std::string, std::string> readKernelConfig(const std::string& path) {
  std::map<std::string, std::string> values;
  gzFile f = gzopen(path.c_str(), "rb");  // also reads uncompressed files
  if (!f) return values;
  char line[4096];
  while (gzgets(f, line, sizeof line)) {
    std::string s(line);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
    if (s.rfind("CONFIG_", 0) != 0) continue;
    size_t eq = s.find('=');
    if (eq == std::string::npos) continue;
    std::string value = s.substr(eq + 1);
    if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
      value = value.substr(1, value.size() - 2);
    values[s.substr(0, eq)] = value;
  }
  gzclose(f);
  return values;
}

}  // namespace

const std::map<std::string, std::string>& TargetFacts::config() const {
  if (!config_) config_ = readKernelConfig(configPath);
  return *config_;
}

void TargetFacts::setConfig(std::map<std::string, std::string> values) {
  config_ = std::move(values);
}

TargetFacts TargetFacts::host() {
  TargetFacts facts;
  struct utsname u {};
  if (uname(&u) == 0) {
    facts.kernelRelease = u.release;
    // kernel_v is the release without its local suffix: "6.18.44-fc" -> "6.18.44".
    std::string base = u.release;
    size_t dash = base.find_first_of("-+");
    facts.kernelVersion = dash == std::string::npos ? base : base.substr(0, dash);
    facts.arch = u.machine;
  }
  return facts;
}

// ====================================================================== the preprocessor

namespace {

bool isAtName(const RawToken& t) { return t.text.size() > 1 && t.text[0] == '@'; }
// "character '`'", or "byte 0x01" for what would not show in a message.
std::string describeCharacter(const std::string& text) {
  unsigned char c = text.empty() ? 0 : static_cast<unsigned char>(text[0]);
  if (text.size() == 1 && (c < 0x20 || c >= 0x7F)) {
    static const char digits[] = "0123456789abcdef";
    return std::string("byte 0x") + digits[c >> 4] + digits[c & 15];
  }
  return "character '" + text + "'";
}

bool isKeyword(const RawToken& t) {
  return t.type >= StapLexer::PROBE && t.type <= StapLexer::CATCH;
}
bool is(const RawToken& t, size_t type) { return t.type == type; }

// Macros expand textually, so a macro that invokes itself, directly or through others,
// expands forever, and a few macros that each invoke the next twice expand to billions of
// tokens (SystemTap itself runs out of memory on both).  Expansion stops with an error
// past these limits.  The corpus tests' files stay far below them: at most 18 nested
// expansions (macros and their parameters) and 18300 tokens read from macro bodies in
// one file (tapset python3.stp).
constexpr size_t kMaxExpansionDepth = 200;
constexpr size_t kMaxExpandedTokens = 100000;

// One macro (or macro-parameter) expansion being read.
struct Activation {
  const std::vector<RawToken>* body;
  size_t cursor = 0;
  // Parameters visible to `@name` references inside this body.
  std::shared_ptr<std::map<std::string, std::vector<RawToken>>> scope;
  const MacroExpansion* expansion;
  bool library;  // body of a library macro: file-local macros are not visible
  // Keeps the parameter token lists of this invocation alive.
  std::shared_ptr<std::map<std::string, std::vector<RawToken>>> ownParams;
};

class Preprocessor {
 public:
  Preprocessor(const SourceFile& file, const PreprocessorOptions& options,
               SourceManager& sources, Diagnostics& diags, bool libraryMode)
      : file_(file), options_(options), sources_(sources), diags_(diags),
        libraryMode_(libraryMode) {}

  PreprocessedTokens run();
  std::map<std::string, MacroDefinition>& macros() { return macros_; }

 private:
  // --- stage 1: script arguments
  std::vector<RawToken> substituteArguments(std::vector<RawToken> raw);
  // --- stage 2: macros
  std::optional<RawToken> nextRaw();  // next token of the current source, no expansion
  std::optional<RawToken> nextExpanded(bool processDefines);
  void defineMacro(const RawToken& defineToken);
  bool startInvocation(const RawToken& at);
  // --- stage 3: conditionals
  void openConditional(const RawToken& open);
  bool evaluateCondition(const RawToken& open, std::vector<RawToken>& condition,
                         const RawToken& then);
  bool compare(const RawToken& left, const RawToken& op, const RawToken& right);
  // Skips the tokens of an inactive branch; returns the `%:`/`%)` that ends it.
  std::optional<RawToken> skipBranch();
  void emit(const RawToken& t);
  // Records an error; returns null once the file has too many (see kMaxErrors).
  Diagnostic* error(const SourceLocation& loc, const std::string& message);
  void reportMissingArgument(const RawToken& t);
  // Error recovery: a made-up token standing for something that failed (a missing script
  // argument, a bad macro invocation).  It is marked suspect, so syntax errors it causes
  // are not shown on top of the error already reported.
  static RawToken placeholder(const RawToken& at, bool string = false);
  void skipMacroBody();
  void skipInvocationArguments();

  const SourceFile& file_;
  const PreprocessorOptions& options_;
  SourceManager& sources_;
  Diagnostics& diags_;
  bool libraryMode_;

  std::vector<RawToken> input_;
  size_t pos_ = 0;
  // Tokens read too far or made up by error recovery; nextRaw() returns them first (last
  // pushed, first returned).
  std::vector<RawToken> pending_;
  // The next emitted token follows a bad token that was dropped (see StapToken::suspect).
  bool nextIsSuspect_ = false;
  bool lastWasStray_ = false;
  size_t errors_ = 0;
  // Lines with a lexical error (a stray character, an unterminated string), with the
  // error's column: syntax errors after it on that line are consequences, so those tokens
  // are marked suspect.
  std::map<std::pair<const SourceFile*, uint32_t>, uint32_t> badLines_;
  std::vector<Activation> stack_;
  std::map<std::string, MacroDefinition> macros_;

  enum class Branch { KeepThen, SkipThen, KeepElse, SkipElse };
  struct Conditional {
    RawToken open;
    Branch branch;
    // Its '%?' was missing (reported): the rest of it ('%?', '%:', '%)') is not checked.
    bool broken = false;
  };
  std::vector<Conditional> conditionals_;

  PreprocessedTokens out_;
  size_t expandedTokens_ = 0;  // tokens read from macro bodies so far
  bool expansionLimitReported_ = false;
};

std::vector<RawToken> Preprocessor::substituteArguments(std::vector<RawToken> raw) {
  const auto& args = options_.scriptArgs;
  std::vector<RawToken> out;
  out.reserve(raw.size());
  for (RawToken& t : raw) {
    if (!is(t, StapLexer::SCRIPT_ARG) && !is(t, StapLexer::SCRIPT_ARG_COUNT)) {
      out.push_back(std::move(t));
      continue;
    }
    bool quoted = t.text[0] == '@';
    if (is(t, StapLexer::SCRIPT_ARG_COUNT)) {
      std::string count = std::to_string(args.size());
      out.push_back(RawToken{quoted ? size_t(StapLexer::STRING) : size_t(StapLexer::NUMBER),
                             quoted ? quoteString(count) : count, t.loc, t.spaceBefore});
      continue;
    }
    unsigned long index = std::strtoul(t.text.c_str() + 1, nullptr, 10);
    if (index == 0 || index > args.size()) {
      // Reported only if the token survives the conditionals: `%( $# >= 2 %? $2 %)` is
      // fine with one argument, as in SystemTap.
      out.push_back(std::move(t));
      continue;
    }
    const std::string& arg = args[index - 1];
    if (quoted) {
      out.push_back(RawToken{StapLexer::STRING, quoteString(arg), t.loc, t.spaceBefore});
      continue;
    }
    std::vector<RawToken> pieces = lexText(arg, &file_, t.loc);
    auto nested = std::find_if(pieces.begin(), pieces.end(), [](const RawToken& p) {
      return is(p, StapLexer::SCRIPT_ARG) || is(p, StapLexer::SCRIPT_ARG_COUNT);
    });
    if (nested != pieces.end()) {
      error(t.loc, "script argument '" + t.text + "' contains '" + nested->text +
                              "': arguments are not substituted inside arguments");
      out.push_back(placeholder(t));
      continue;
    }
    for (size_t i = 0; i < pieces.size(); ++i) {
      if (i == 0) pieces[i].spaceBefore = t.spaceBefore;
      out.push_back(std::move(pieces[i]));
    }
  }
  return out;
}

std::optional<RawToken> Preprocessor::nextRaw() {
  if (!pending_.empty()) {
    RawToken t = std::move(pending_.back());
    pending_.pop_back();
    return t;
  }
  while (!stack_.empty()) {
    Activation& a = stack_.back();
    if (a.cursor < a.body->size()) {
      RawToken t = (*a.body)[a.cursor++];
      ++expandedTokens_;
      // The token keeps its own location (in the macro body) and records the expansion.
      if (!t.loc.expansion) t.loc.expansion = a.expansion;
      if (a.cursor == 1) t.spaceBefore = true;
      return t;
    }
    stack_.pop_back();
  }
  if (pos_ < input_.size()) return input_[pos_++];
  return std::nullopt;
}

std::optional<RawToken> Preprocessor::nextExpanded(bool processDefines) {
  for (;;) {
    std::optional<RawToken> t = nextRaw();
    if (!t) return t;
    if (is(*t, StapLexer::AT_DEFINE)) {
      if (!processDefines) return t;
      if (!stack_.empty()) {
        error(t->loc, "'@define' is not allowed inside a macro body");
        continue;
      }
      defineMacro(*t);
      continue;
    }
    if (isAtName(*t) && startInvocation(*t)) continue;
    return t;
  }
}

// Reads `@define name(params) %( body %)`.  After the first error the rest of the
// definition is skipped without further messages and the name is still defined (as
// broken), so one mistake gives one diagnostic, not one per use of the macro.
void Preprocessor::defineMacro(const RawToken& defineToken) {
  std::optional<RawToken> name = nextRaw();
  if (!name || is(*name, StapLexer::PP_OPEN)) {
    error(name ? name->loc : defineToken.loc, "expected the macro name after '@define'");
    if (name) {
      pending_.push_back(*name);
      skipMacroBody();
    }
    return;
  }
  MacroDefinition def;
  def.name = name->text;
  def.loc = name->loc;
  def.fromLibrary = libraryMode_;
  auto fail = [&](const SourceLocation& loc, const std::string& message) {
    if (!def.broken) error(loc, message);
    def.broken = true;
  };
  // SystemTap rejects reserved words as macro names, like any other name.
  if (isKeyword(*name))
    fail(name->loc, "'" + name->text + "' is a reserved word and cannot be the name of a macro");
  else if (!is(*name, StapLexer::IDENTIFIER))
    fail(name->loc, "expected the macro name after '@define'");

  std::optional<RawToken> t = nextRaw();
  if (t && is(*t, StapLexer::LPAREN)) {
    for (;;) {
      std::optional<RawToken> p = nextRaw();
      if (p && is(*p, StapLexer::IDENTIFIER)) {
        def.params.push_back(p->text);
        t = nextRaw();
        if (t && is(*t, StapLexer::COMMA)) continue;
        if (t && is(*t, StapLexer::RPAREN)) {
          t = nextRaw();
          break;
        }
        fail(t ? t->loc : p->loc, "expected ',' or ')' after parameter '" + p->text +
                                      "' of macro '@" + def.name + "'");
      } else {
        t = p;
        fail(p ? p->loc : name->loc,
             "expected a parameter name in the definition of macro '@" + def.name + "'");
      }
      // Skip the rest of the parameter list, up to its ')' or the body's '%('.
      while (t && !is(*t, StapLexer::PP_OPEN) && !is(*t, StapLexer::AT_DEFINE)) {
        bool close = is(*t, StapLexer::RPAREN);
        t = nextRaw();
        if (close) break;
      }
      break;
    }
  }
  if (!t || !is(*t, StapLexer::PP_OPEN)) {
    fail(t ? t->loc : name->loc, "expected '%(' to start the body of macro '@" + def.name + "'");
    // The rest of the `@define` line was most likely meant as the body (`@define N 10`).
    while (t && !is(*t, StapLexer::AT_DEFINE) && t->loc.file == name->loc.file &&
           t->loc.line == name->loc.line)
      t = nextRaw();
    if (t) pending_.push_back(*t);
  } else {
    int depth = 0;
    for (;;) {
      std::optional<RawToken> b = nextRaw();
      if (!b) {
        fail(name->loc, "macro '@" + def.name + "' has no closing '%)'");
        break;
      }
      if (is(*b, StapLexer::PP_OPEN)) ++depth;
      if (is(*b, StapLexer::PP_CLOSE) && depth-- == 0) break;
      def.body.push_back(std::move(*b));
    }
  }
  // What follows a broken definition may be what it failed to swallow.
  if (def.broken) nextIsSuspect_ = true;
  auto existing = macros_.find(def.name);
  if (existing == macros_.end()) {
    macros_.emplace(def.name, std::move(def));
  } else if (existing->second.broken) {
    existing->second = std::move(def);
  } else if (!def.broken) {
    if (Diagnostic* d = error(def.loc, "macro '@" + def.name + "' is already defined in this file"))
      Diagnostics::note(*d, existing->second.loc, "first defined here");
  }
}

// Skips a `%( ... %)` macro body whose '%(' is the next token.
void Preprocessor::skipMacroBody() {
  int depth = 0;
  while (std::optional<RawToken> t = nextRaw()) {
    if (is(*t, StapLexer::PP_OPEN)) ++depth;
    else if (is(*t, StapLexer::PP_CLOSE) && --depth <= 0) return;
  }
}

// Skips the parenthesized arguments of an invocation, if the next token opens them.
void Preprocessor::skipInvocationArguments() {
  std::optional<RawToken> t = nextRaw();
  if (!t) return;
  if (!is(*t, StapLexer::LPAREN)) {
    pending_.push_back(*t);
    return;
  }
  for (int depth = 1; depth > 0;) {
    t = nextRaw();
    if (!t) return;
    if (is(*t, StapLexer::LPAREN)) ++depth;
    else if (is(*t, StapLexer::RPAREN)) --depth;
  }
}

RawToken Preprocessor::placeholder(const RawToken& at, bool string) {
  RawToken t{string ? size_t(StapLexer::STRING) : size_t(StapLexer::NUMBER),
             string ? "\"\"" : "0", at.loc, at.spaceBefore};
  t.suspect = true;
  return t;
}

bool Preprocessor::startInvocation(const RawToken& at) {
  std::string name = at.text.substr(1);
  const std::vector<RawToken>* body = nullptr;
  const MacroDefinition* def = nullptr;
  std::shared_ptr<std::map<std::string, std::vector<RawToken>>> scope;
  Activation* current = stack_.empty() ? nullptr : &stack_.back();

  // A macro parameter is expanded in the scope of the invocation that bound it.
  if (current && current->scope) {
    auto it = current->scope->find(name);
    if (it != current->scope->end()) {
      Activation a{&it->second, 0, nullptr, current->expansion, current->library, nullptr};
      // The parameter's own tokens were written in the invoker's context: find its scope.
      for (size_t i = stack_.size(); i-- > 0;) {
        if (stack_[i].ownParams == current->scope) {
          a.scope = i > 0 ? stack_[i - 1].scope : nullptr;
          a.library = i > 0 ? stack_[i - 1].library : false;
          break;
        }
      }
      stack_.push_back(a);
      return true;
    }
  }
  if (!(current && current->library)) {
    auto it = macros_.find(name);
    if (it != macros_.end()) def = &it->second;
  }
  if (!def && options_.library && is(at, StapLexer::AT_WORD))
    def = options_.library->find(name, diags_);
  if (!def) return false;  // an ordinary @operator (or an unknown one, reported by the parser)
  if (stack_.size() >= kMaxExpansionDepth || expandedTokens_ > kMaxExpandedTokens) {
    // Reported once, at the outermost invocation (the one in the file), and the expansions
    // in progress are dropped.
    if (!expansionLimitReported_) {
      const MacroExpansion* outer = stack_.empty() ? nullptr : stack_.front().expansion;
      std::string what = outer ? outer->description : "macro '@" + name + "'";
      error(outer ? outer->site : at.loc,
            stack_.size() >= kMaxExpansionDepth
                ? "the expansion of " + what + " is nested more than " +
                      std::to_string(kMaxExpansionDepth) + " levels deep: does a macro invoke itself?"
                : "the expansion of " + what + " is too large (more than " +
                      std::to_string(kMaxExpandedTokens) + " tokens)");
      expansionLimitReported_ = true;
    }
    bool inFile = stack_.empty();  // else its arguments are in a body dropped here
    stack_.clear();
    if (inFile && !def->params.empty()) skipInvocationArguments();
    pending_.push_back(placeholder(at));
    return true;
  }
  body = &def->body;

  if (def->broken) {  // already reported where it was defined
    if (!def->params.empty()) skipInvocationArguments();
    pending_.push_back(placeholder(at));
    return true;
  }

  const MacroExpansion* expansion = sources_.addExpansion("macro '@" + name + "'", at.loc);
  auto params = std::make_shared<std::map<std::string, std::vector<RawToken>>>();
  if (!def->params.empty()) {
    const size_t count = def->params.size();
    const std::string takes = std::to_string(count);
    std::optional<RawToken> open = nextRaw();
    if (!open || !is(*open, StapLexer::LPAREN)) {
      error(open ? open->loc : at.loc,
                   "expected '(' after '@" + name + "', which takes " + takes +
                       (count == 1 ? " parameter" : " parameters"));
      if (open) pending_.push_back(*open);
      pending_.push_back(placeholder(at));
      return true;
    }
    // Split the arguments at top-level commas, up to the matching ')'.
    std::vector<std::vector<RawToken>> values(1);
    std::optional<RawToken> extraComma;  // the comma that starts one argument too many
    int depth = 0;
    std::optional<RawToken> t;
    for (;;) {
      t = nextRaw();
      if (!t) break;
      if (is(*t, StapLexer::LPAREN) || is(*t, StapLexer::LBRACKET)) {
        ++depth;
      } else if (depth && (is(*t, StapLexer::RPAREN) || is(*t, StapLexer::RBRACKET))) {
        --depth;
      } else if (!depth && is(*t, StapLexer::RPAREN)) {
        break;
      } else if (!depth && is(*t, StapLexer::COMMA)) {
        if (values.size() == count && !extraComma) extraComma = t;
        values.emplace_back();
        continue;
      }
      values.back().push_back(std::move(*t));
    }
    std::string problem;
    SourceLocation where = at.loc;
    if (!t) {
      problem = "missing ')' to end the invocation of macro '@" + name + "' started at " +
                std::to_string(open->loc.line) + ":" + std::to_string(open->loc.column);
    } else if (values.size() > count) {
      problem = "too many arguments for macro '@" + name + "' (it takes " + takes + ")";
      where = extraComma->loc;
    } else if (values.size() < count) {
      problem = "too few arguments for macro '@" + name + "' (it takes " + takes + ")";
      where = t->loc;
    }
    if (!problem.empty()) {
      error(where, problem);
      pending_.push_back(placeholder(at));
      return true;
    }
    for (size_t i = 0; i < count; ++i) (*params)[def->params[i]] = std::move(values[i]);
  }
  scope = params;
  stack_.push_back(Activation{body, 0, scope, expansion, def->fromLibrary, params});
  return true;
}

void Preprocessor::reportMissingArgument(const RawToken& t) {
  size_t count = options_.scriptArgs.size();
  std::string msg = "script argument '" + t.text + "' is out of range: ";
  msg += count == 0 ? std::string("no arguments were given")
                    : "arguments are numbered 1 to " + std::to_string(count);
  error(t.loc, msg);
}

Diagnostic* Preprocessor::error(const SourceLocation& loc, const std::string& message) {
  // Junk input (a binary file, say) must not print an error per byte.
  constexpr size_t kMaxErrors = 20;
  if (++errors_ > kMaxErrors) return nullptr;
  return &diags_.error(loc, errors_ < kMaxErrors ? message
                                                 : message + " (further preprocessing errors "
                                                             "in this file are not shown)");
}

void Preprocessor::emit(const RawToken& t) {
  if (t.type != StapLexer::STRAY_CHARACTER) lastWasStray_ = false;
  size_t type = t.type;
  std::string text = t.text;
  switch (type) {
    case StapLexer::UNTERMINATED_STRING:
      if (!badLines_.count({t.loc.file, t.loc.line})) {
        error(t.loc, "missing '\"' at the end of this string (a string cannot span lines)");
        out_.lexicalErrors.push_back(t.loc);
      }
      badLines_.emplace(std::make_pair(t.loc.file, t.loc.line), t.loc.column);
      type = StapLexer::STRING;
      text += '"';
      break;
    case StapLexer::EMBEDDED_CODE:
      if (text.size() < 4 || text.compare(text.size() - 2, 2, "%}") != 0) {
        error(t.loc, "missing '%}' to close this embedded C block");
        text += "%}";
      }
      break;
    case StapLexer::STRAY_CHARACTER:
      // A run of junk characters, or junk repeated on one line, is one mistake.
      if (!lastWasStray_ && !badLines_.count({t.loc.file, t.loc.line})) {
        error(t.loc, "unexpected " + describeCharacter(text));
        out_.lexicalErrors.push_back(t.loc);
      }
      badLines_.emplace(std::make_pair(t.loc.file, t.loc.line), t.loc.column);
      lastWasStray_ = true;
      nextIsSuspect_ = true;
      return;
    case StapLexer::AT_DEFINE:
      error(t.loc, "'@define' is not allowed here");
      nextIsSuspect_ = true;
      return;
    case StapLexer::SCRIPT_ARG:
      reportMissingArgument(t);
      emit(placeholder(t, /*string=*/t.text[0] == '@'));
      return;
    default: break;
  }
  if (libraryMode_) {
    error(t.loc, "unexpected " + describeToken(type, text) +
                            " in a library macro file: only '@define' is allowed");
    return;
  }
  bool suspect = t.suspect || nextIsSuspect_;
  nextIsSuspect_ = false;
  out_.tokens.push_back(
      std::make_unique<StapToken>(type, std::move(text), t.loc, t.spaceBefore, suspect));
}

std::optional<RawToken> Preprocessor::skipBranch() {
  int depth = 0;
  for (;;) {
    std::optional<RawToken> t = nextRaw();
    if (!t) return t;
    if (is(*t, StapLexer::PP_OPEN)) {
      ++depth;
    } else if (depth && is(*t, StapLexer::PP_CLOSE)) {
      --depth;
    } else if (!depth && (is(*t, StapLexer::PP_ELSE) || is(*t, StapLexer::PP_THEN) ||
                          is(*t, StapLexer::PP_CLOSE))) {
      return t;
    }
  }
}

PreprocessedTokens Preprocessor::run() {
  std::vector<RawToken> raw = lexText(file_.text(), &file_);
  out_.hadTokensBeforePreprocessing = !raw.empty();
  input_ = substituteArguments(std::move(raw));

  for (;;) {
    bool skipping = !conditionals_.empty() &&
                    (conditionals_.back().branch == Branch::SkipThen ||
                     conditionals_.back().branch == Branch::SkipElse);
    bool broken = !conditionals_.empty() && conditionals_.back().broken;
    std::optional<RawToken> t = skipping ? skipBranch() : nextExpanded(true);
    if (!t) break;
    if (is(*t, StapLexer::PP_THEN)) {
      if (broken) continue;  // the late '%?' of a broken conditional
      error(t->loc, "'%?' without a '%( condition' before it");
      nextIsSuspect_ = true;
      continue;
    }
    if (is(*t, StapLexer::PP_ELSE)) {
      if (conditionals_.empty()) {
        error(t->loc, "'%:' without a '%( condition %?' before it");
        nextIsSuspect_ = true;
        continue;
      }
      Branch& b = conditionals_.back().branch;
      if (b == Branch::KeepElse || b == Branch::SkipElse) {
        if (broken) continue;
        if (Diagnostic* d = error(t->loc, "second '%:' in one conditional"))
          Diagnostics::note(*d, conditionals_.back().open.loc, "the conditional starts here");
        continue;
      }
      b = b == Branch::KeepThen ? Branch::SkipElse : Branch::KeepElse;
      continue;
    }
    if (is(*t, StapLexer::PP_CLOSE)) {
      if (conditionals_.empty()) {
        error(t->loc, "'%)' without a '%(' before it");
        nextIsSuspect_ = true;
        continue;
      }
      conditionals_.pop_back();
      continue;
    }
    if (is(*t, StapLexer::PP_OPEN)) {
      openConditional(*t);
      continue;
    }
    emit(*t);
  }
  for (const Conditional& c : conditionals_)
    if (!c.broken) error(c.open.loc, "missing '%)' to close this conditional");
  if (!badLines_.empty())
    for (auto& token : out_.tokens) {
      auto* st = static_cast<StapToken*>(token.get());
      auto bad = badLines_.find({st->location().file, st->location().line});
      if (bad != badLines_.end() && st->location().column >= bad->second) st->setSuspect();
    }

  // The parser's end of file sits just after the last token (or at the end of the file).
  SourceLocation eofLoc;
  eofLoc.file = &file_;
  eofLoc.line = file_.lineCount();
  eofLoc.column = static_cast<uint32_t>(file_.lineText(eofLoc.line).size()) + 1;
  eofLoc.endLine = eofLoc.line;
  eofLoc.endColumn = eofLoc.column;
  out_.tokens.push_back(
      std::make_unique<StapToken>(antlr4::Token::EOF, "<EOF>", eofLoc, true));
  return std::move(out_);
}

void Preprocessor::openConditional(const RawToken& open) {
  std::vector<RawToken> condition;
  std::optional<RawToken> t;
  for (;;) {
    t = nextExpanded(false);
    if (!t) {
      // No '%?' (nor anything else of a conditional) up to the end of the file: the '%(' is
      // the mistake, so the tokens read as its condition are given back to the parser.
      error(open.loc, "incomplete conditional: no '%?' after this '%(' before the end of the file");
      for (auto it = condition.rbegin(); it != condition.rend(); ++it) pending_.push_back(*it);
      nextIsSuspect_ = true;
      return;
    }
    if (is(*t, StapLexer::PP_OPEN) || is(*t, StapLexer::PP_ELSE) || is(*t, StapLexer::PP_CLOSE)) {
      error(t->loc, "expected '%?' after the condition of the conditional started at " +
                        std::to_string(open.loc.line) + ":" + std::to_string(open.loc.column));
      // Recover: treat the rest as the then-branch of a false condition.
      if (is(*t, StapLexer::PP_CLOSE)) return;
      conditionals_.push_back({open, Branch::SkipThen, /*broken=*/true});
      if (is(*t, StapLexer::PP_OPEN)) pending_.push_back(*t);  // skipped with its own '%)'
      return;
    }
    if (is(*t, StapLexer::PP_THEN)) break;
    condition.push_back(std::move(*t));
  }
  bool value = evaluateCondition(open, condition, *t);
  conditionals_.push_back({open, value ? Branch::KeepThen : Branch::SkipThen});
}

bool Preprocessor::evaluateCondition(const RawToken& open, std::vector<RawToken>& condition,
                                     const RawToken& then) {
  if (condition.empty()) {
    error(then.loc, "expected a condition between '%(' and '%?'");
    return false;
  }
  for (const RawToken& t : condition)
    if (is(t, StapLexer::SCRIPT_ARG)) {
      reportMissingArgument(t);
      return false;
    }
  // Parse with the grammar's ppCondition rule.
  std::vector<std::unique_ptr<antlr4::Token>> tokens;
  for (const RawToken& t : condition)
    tokens.push_back(std::make_unique<StapToken>(t.type, t.text, t.loc, t.spaceBefore));
  // The condition ends at its '%?', which is what messages call the end of the input.
  tokens.push_back(std::make_unique<StapToken>(antlr4::Token::EOF, "<EOF>", then.loc, true));
  antlr4::ListTokenSource source(std::move(tokens));
  antlr4::CommonTokenStream stream(&source);
  StapParser parser(&stream);
  Diagnostics conditionErrors;
  SyntaxErrorReporter reporter(conditionErrors, &file_);
  reporter.setEndName("'%?'");
  reporter.attach(parser);
  StapParser::PpConditionContext* tree = parser.ppCondition();
  for (const Diagnostic& d : conditionErrors.all()) error(d.location, d.message);
  if (reporter.reported() > 0) return false;

  // `&&` binds tighter than `||`: OR over runs of ANDed comparisons.
  bool result = false, run = true;
  auto comparisons = tree->ppComparison();
  for (size_t i = 0; i < comparisons.size(); ++i) {
    auto* c = comparisons[i];
    auto operands = c->ppOperand();
    auto token = [&](antlr4::ParserRuleContext* ctx) {
      auto* st = dynamic_cast<StapToken*>(ctx->getStart());
      return RawToken{st->getType(), st->getText(), st->location(), st->spaceBefore()};
    };
    RawToken left = token(operands[0]), right = token(operands[1]);
    RawToken op = token(c->comparisonOperator());
    run = compare(left, op, right) && run;
    bool orNext = i + 1 < comparisons.size() &&
                  tree->children[2 * i + 1]->getText() == "||";
    if (i + 1 == comparisons.size() || orNext) {
      result = result || run;
      run = true;
    }
  }
  return result;
}

template <typename T>
bool applyComparison(const T& a, const std::string& op, const T& b) {
  if (op == "<") return a < b;
  if (op == "<=") return a <= b;
  if (op == ">") return a > b;
  if (op == ">=") return a >= b;
  if (op == "==") return a == b;
  return a != b;
}

bool parseConfigNumber(const std::string& s, int64_t& out) {
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  out = static_cast<int64_t>(std::strtoll(s.c_str(), &end, 0));
  return errno == 0 && end && *end == '\0';
}

bool Preprocessor::compare(const RawToken& left, const RawToken& op, const RawToken& right) {
  const TargetFacts& facts = *options_.facts;
  const std::string& o = op.text;
  bool equality = o == "==" || o == "!=";
  auto stringValue = [](const RawToken& t) { return decodeStringEscapes(t.text.substr(1, t.text.size() - 2)); };
  auto needString = [&]() {
    if (!is(right, StapLexer::STRING)) {
      error(right.loc, "expected a string literal to compare '" + left.text + "' with");
      return false;
    }
    return true;
  };
  auto wildcardMatch = [&](const std::string& have, const std::string& pattern) {
    bool match = fnmatch(pattern.c_str(), have.c_str(), FNM_NOESCAPE) == 0;
    return o == "==" ? match : !match;
  };
  auto needEquality = [&]() {
    if (!equality) error(op.loc, "'" + left.text + "' can only be compared with '==' or '!='");
    return equality;
  };

  if (is(left, StapLexer::IDENTIFIER)) {
    const std::string& name = left.text;
    if (name == "kernel_v" || name == "kernel_vr" || name == "systemtap_v") {
      if (!needString()) return false;
      std::string have = name == "kernel_v"    ? facts.kernelVersion
                         : name == "kernel_vr" ? facts.kernelRelease
                                               : facts.systemtapVersion;
      std::string want = stringValue(right);
      if (want.find_first_of("*?[") != std::string::npos) {
        if (!equality) {
          error(op.loc, "a version with wildcards can only be compared with '==' or '!='");
          return false;
        }
        return wildcardMatch(have, want);
      }
      int c = strverscmp(have.c_str(), want.c_str());
      return applyComparison(c, o, 0);
    }
    if (name == "arch" || name == "runtime" || name == "systemtap_privilege") {
      if (!needString() || !needEquality()) return false;
      std::string have = name == "arch" ? facts.arch : name == "runtime" ? facts.runtime : facts.privilege;
      if (name == "systemtap_privilege") return applyComparison(have, o, stringValue(right));
      return wildcardMatch(have, stringValue(right));
    }
    if (name == "guru_mode") {
      if (!is(right, StapLexer::NUMBER) || (right.text != "0" && right.text != "1")) {
        error(right.loc, "'guru_mode' can only be compared with 0 or 1");
        return false;
      }
      if (!needEquality()) return false;
      return applyComparison<int64_t>(options_.guru ? 1 : 0, o, right.text == "1" ? 1 : 0);
    }
    if (name.rfind("CONFIG_", 0) == 0) {
      const auto& config = facts.config();
      auto lookup = [&](const std::string& key) {
        auto it = config.find(key);
        return it == config.end() ? std::string() : it->second;
      };
      std::string have = lookup(name);
      if (is(right, StapLexer::STRING)) {
        if (!needEquality()) return false;
        return wildcardMatch(have, stringValue(right));
      }
      if (is(right, StapLexer::NUMBER)) {
        int64_t a = 0;
        if (!parseConfigNumber(have, a)) {
          error(left.loc, "kernel option " + name + " is not a number here ('" + have + "')");
          return false;
        }
        return applyComparison<int64_t>(a, o, std::strtoll(right.text.c_str(), nullptr, 0));
      }
      if (is(right, StapLexer::IDENTIFIER) && right.text.rfind("CONFIG_", 0) == 0) {
        std::string other = lookup(right.text);
        int64_t a = 0, b = 0;
        if (parseConfigNumber(have, a) && parseConfigNumber(other, b)) return applyComparison(a, o, b);
        return applyComparison(have, o, other);
      }
      error(right.loc, "expected a string, a number or another CONFIG_ option");
      return false;
    }
  }
  if (is(left, StapLexer::STRING) && is(right, StapLexer::STRING))
    return applyComparison(stringValue(left), o, stringValue(right));
  if (is(left, StapLexer::NUMBER) && is(right, StapLexer::NUMBER))
    return applyComparison<int64_t>(std::strtoll(left.text.c_str(), nullptr, 0), o,
                                    std::strtoll(right.text.c_str(), nullptr, 0));
  if (is(left, StapLexer::STRING) || is(left, StapLexer::NUMBER)) {
    error(right.loc, std::string("expected a ") +
                                (is(left, StapLexer::STRING) ? "string" : "number") +
                                " to compare with " + left.text);
    return false;
  }
  error(left.loc,
               "unknown preprocessor condition '" + left.text +
                   "': expected arch, kernel_v, kernel_vr, systemtap_v, runtime, "
                   "systemtap_privilege, guru_mode, CONFIG_..., or a comparison of two "
                   "strings or two numbers");
  return false;
}

}  // namespace

PreprocessedTokens preprocess(const SourceFile& file, const PreprocessorOptions& options,
                              SourceManager& sources, Diagnostics& diags) {
  Preprocessor pp(file, options, sources, diags, /*libraryMode=*/false);
  return pp.run();
}

void collectLibraryMacros(const SourceFile& file, const PreprocessorOptions& options,
                          SourceManager& sources, Diagnostics& diags,
                          std::map<std::string, MacroDefinition>& out) {
  Preprocessor pp(file, options, sources, diags, /*libraryMode=*/true);
  pp.run();
  for (auto& [name, def] : pp.macros()) out.emplace(name, std::move(def));
}

// ====================================================================== macro library

MacroLibrary::MacroLibrary(std::vector<std::string> directories, SourceManager& sources,
                           const TargetFacts& facts)
    : directories_(std::move(directories)), sources_(sources), facts_(facts) {}

const MacroDefinition* MacroLibrary::find(const std::string& name, Diagnostics& diags) {
  if (!loaded_) load(diags);
  auto it = macros_.find(name);
  return it == macros_.end() ? nullptr : &it->second;
}

void MacroLibrary::load(Diagnostics& diags) {
  loaded_ = true;
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  for (const std::string& dir : directories_) {
    std::error_code ec;
    std::vector<std::string> here;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.is_regular_file() && entry.path().extension() == ".stpm")
        here.push_back(entry.path().string());
    std::sort(here.begin(), here.end());
    files.insert(files.end(), here.begin(), here.end());
  }
  PreprocessorOptions options;
  options.facts = &facts_;
  options.guru = true;
  for (const std::string& path : files) {
    std::string error;
    const SourceFile* file = sources_.loadFile(path, error);
    if (!file) continue;
    Diagnostics local;
    std::map<std::string, MacroDefinition> defs;
    collectLibraryMacros(*file, options, sources_, local, defs);
    if (local.hasErrors()) {
      // A broken library file must not break every script: report it as a warning.
      for (const Diagnostic& d : local.all())
        diags.warning(d.location, "in library macro file: " + d.message);
      continue;
    }
    for (auto& [name, def] : defs) {
      def.fromLibrary = true;
      macros_.emplace(name, std::move(def));  // the first directory wins
    }
  }
}

}  // namespace stp2bpf::frontend
