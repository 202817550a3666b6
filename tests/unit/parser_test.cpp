// Front-end unit tests: SystemTap's precedence and parse-tree shapes.  Where an
// expectation states a parse tree, it is the tree `stap -p1` prints for the same input
// (checked on this machine with stap 4.8 and ../shared/tools/stap-kbuild-stub).
#include <gtest/gtest.h>

#include <sstream>

#include "ast/dump.h"
#include "ast/printer.h"
#include "frontend/parser.h"

namespace {

using namespace stp2bpf;

struct Parsed {
  std::string text;        // printed with minimal parentheses
  std::string structure;   // fully parenthesized
  std::string errors;
};

Parsed parse(const std::string& source, std::vector<std::string> args = {}, bool guru = false) {
  SourceManager sources;
  ast::AstContext ctx;
  Diagnostics diags;
  frontend::TargetFacts facts;
  facts.kernelRelease = "6.18.44-test";
  facts.kernelVersion = "6.18.44";
  facts.setConfig({{"CONFIG_SMP", "y"}, {"CONFIG_HZ", "250"}});
  frontend::ParseOptions options;
  options.preprocessor.facts = &facts;
  options.preprocessor.scriptArgs = std::move(args);
  options.preprocessor.guru = guru;
  const SourceFile* file = sources.addFile("t.stp", source);
  ast::Script* script = frontend::parseFile(*file, options, sources, ctx, diags);
  Parsed out;
  std::ostringstream err;
  diags.print(err);
  out.errors = err.str();
  if (script) {
    std::ostringstream a, b;
    ast::printScript(a, *script);
    ast::PrintOptions full;
    full.fullyParenthesized = true;
    ast::printScript(b, *script, full);
    out.text = a.str();
    out.structure = b.str();
  }
  return out;
}

// The fully parenthesized form of the single expression statement in `probe begin { E }`.
std::string shape(const std::string& expr) {
  Parsed p = parse("probe begin { " + expr + " }");
  EXPECT_EQ(p.errors, "") << expr;
  std::string s = p.structure;
  size_t open = s.find("{\n");
  size_t close = s.rfind("\n}");
  if (open == std::string::npos || close == std::string::npos) return s;
  std::string body = s.substr(open + 2, close - open - 2);
  while (!body.empty() && (body[0] == ' ')) body.erase(0, 1);
  if (!body.empty() && body.back() == ';') body.pop_back();
  return body;
}

}  // namespace

TEST(Precedence, ComparisonsShareOneLevel) {
  // stap -p1: (x) = (((a) == (b)) < (c))
  EXPECT_EQ(shape("x = a == b < c"), "x = ((a == b) < c)");
}

TEST(Precedence, InIsLooserThanComparison) {
  // stap -p1: (x) = ([(a) == (k)] in arr)
  EXPECT_EQ(shape("x = a == k in arr"), "x = ((a == k) in arr)");
  EXPECT_EQ(shape("y = [a, b] in arr"), "y = ([a, b] in arr)");
  EXPECT_EQ(shape("y = [*, b] in arr"), "y = ([*, b] in arr)");
}

TEST(Precedence, ConcatenationBetweenAdditiveAndShift) {
  EXPECT_EQ(shape("s = a . b + c"), "s = (a . (b + c))");
  EXPECT_EQ(shape("s = a . b << c"), "s = ((a . b) << c)");
}

TEST(Precedence, AssignmentTargetIsAConditional) {
  // stap 4.8: ((f)?(0):(h)) += (d) -- a conditional as the target (elaboration decides).
  EXPECT_EQ(shape("f?0:h+=d"), "(f ? 0 : h) += d");
  // The middle of ?: is a full expression: (c)?((S) = (1)):(T)
  EXPECT_EQ(shape("c?S=1:T"), "c ? (S = 1) : T");
}

TEST(Precedence, CrementAndMinus) {
  // stap -p1: (Z[j]) = (Z[((j)--) - (12)])
  EXPECT_EQ(shape("Z[j]=Z[j---12]"), "Z[j] = Z[((j--) - 12)]");
  // Only a '-' written directly before a number makes a negative literal.
  EXPECT_EQ(shape("x = - -5"), "x = (- -5)");
  EXPECT_EQ(shape("x = -9223372036854775808"), "x = -9223372036854775808");
  EXPECT_EQ(shape("x = 18446744073709551615"), "x = -1");
}

TEST(Precedence, TernaryNestsToTheRight) {
  EXPECT_EQ(shape("d=K-105?K-106?0:1:-1"), "d = ((K - 105) ? ((K - 106) ? 0 : 1) : -1)");
}

TEST(Statements, OptionalSeparators) {
  // A statement absorbs one ';'; each further ';' is an empty statement.
  Parsed p = parse("probe begin { a = 1 b = 2 -c; ;; }");
  EXPECT_EQ(p.errors, "");
  EXPECT_EQ(p.text, "probe begin {\n  a = 1;\n  b = 2 - c;\n  ;\n  ;\n}\n");
}

TEST(Statements, ReturnOnlyInFunctions) {
  Parsed p = parse("probe begin { return }");
  EXPECT_NE(p.errors.find("t.stp:1:15: error: 'return' is only allowed in a function"),
            std::string::npos)
      << p.errors;
  EXPECT_EQ(parse("function f() { return\n x = 1 }").text, "function f () {\n  return x = 1;\n}\n");
}

TEST(Statements, Foreach) {
  Parsed p = parse("probe end { foreach ([a, b+] in arr[1, *] limit 5) print(a) "
                   "foreach (v = k in c @sum-) print(v) }");
  EXPECT_EQ(p.errors, "");
  EXPECT_NE(p.text.find("foreach ([a, b+] in arr[1, *] limit 5)"), std::string::npos) << p.text;
  EXPECT_NE(p.text.find("foreach (v = k in c @sum-)"), std::string::npos) << p.text;
  EXPECT_NE(parse("probe end { foreach ([a+, b-] in arr) ; }").errors.find("only one sort directive"),
            std::string::npos);
}

TEST(ProbePoints, WildcardsBracesOptionalAndConditions) {
  Parsed p = parse("probe syscall.*read*, kernel.function(\"f\").return?, "
                   "syscall.{open,close}!, timer.ms(10) if (x) {}");
  EXPECT_EQ(p.errors, "");
  EXPECT_EQ(p.text,
            "probe syscall.*read*, kernel.function(\"f\").return?, syscall.open!, syscall.close!, "
            "timer.ms(10) if (x) {\n}\n");
}

TEST(ProbePoints, Aliases) {
  Parsed p = parse("probe myread = syscall.read { who = execname() }, { done = 1 }\n"
                   "probe myread2 += syscall.read { n++ }\n");
  EXPECT_EQ(p.errors, "");
  EXPECT_EQ(p.text,
            "probe myread = syscall.read {\n  who = execname();\n}, {\n  done = 1;\n}\n\n"
            "probe myread2 += syscall.read {\n  n++;\n}\n");
}

TEST(Preprocessor, ConditionalsAndArguments) {
  EXPECT_EQ(parse("probe timer.s(%( $# > 0 %? $1 %: 5 %)) {}").text, "probe timer.s(5) {\n}\n");
  EXPECT_EQ(parse("probe timer.s(%( $# > 0 %? $1 %: 5 %)) {}", {"7"}).text, "probe timer.s(7) {\n}\n");
  EXPECT_EQ(parse("probe $1 { x = @1 }", {"begin"}).text, "probe begin {\n  x = \"begin\";\n}\n");
  EXPECT_EQ(parse("%( CONFIG_SMP == \"y\" && kernel_v >= \"6.0\" %? global a %: global b %)").text,
            "global a\n");
  EXPECT_EQ(parse("%( arch == \"i?86\" || CONFIG_HZ > 100 %? global a %: global b %)").text,
            "global a\n");
  // A missing argument in a skipped branch is no error (as in SystemTap).
  EXPECT_EQ(parse("global x = %( $# >= 2 %? $2 %: 0 %)").errors, "");
  EXPECT_NE(parse("global x = $2", {"1"}).errors.find("script argument '$2' is out of range"),
            std::string::npos);
}

TEST(Preprocessor, Macros) {
  // Expansion is textual (on tokens), as in SystemTap: (@x * @x) with x = `@two + 1`
  // is (2 + 1 * 2 + 1).
  EXPECT_EQ(parse("@define sq(x) %( (@x * @x) %)\n@define two %( 2 %)\n"
                  "probe begin { y = @sq(@two + 1) }").text,
            "probe begin {\n  y = 2 + 1 * 2 + 1;\n}\n");
  EXPECT_NE(parse("@define a %( 1 %)\n@define a %( 2 %)").errors.find("already defined"),
            std::string::npos);
}

TEST(Literals, NumbersAndStrings) {
  EXPECT_EQ(shape("x = 0x1F + 010 + 7"), "x = ((31 + 8) + 7)");
  EXPECT_NE(parse("probe begin { x = 089 }").errors.find("invalid number '089'"), std::string::npos);
  EXPECT_NE(parse("probe begin { x = 0b101 }").errors.find("invalid number '0b101'"), std::string::npos);
  EXPECT_EQ(shape("s = \"ab\" \"cd\""), "s = \"abcd\"");
  EXPECT_EQ(shape("s = 1 . 5"), "s = (1 . 5)");
}

TEST(Print, FormatMustBeALiteral) {
  EXPECT_NE(parse("probe begin { printf(fmt, 1) }").errors.find("the format of 'printf' must be a string literal"),
            std::string::npos);
  EXPECT_NE(parse("probe begin { printf(\"%lld\", 1) }").errors.find("invalid printf conversion '%lld'"),
            std::string::npos);
  EXPECT_EQ(parse("global h probe end { print(@hist_log(h)) }").errors, "");
  EXPECT_NE(parse("global h probe end { x = @hist_log(h) }").errors.find("a histogram can only be printed"),
            std::string::npos);
}

TEST(Targets, ComponentsAndPrettyPrinting) {
  EXPECT_EQ(shape("x = $file->f_path->dentry"), "x = $file->f_path->dentry");
  EXPECT_EQ(shape("x = &$p->next[2]$"), "x = (&$p->next[2]$)");
  EXPECT_EQ(shape("x = $var$$"), "x = $var$$");
  EXPECT_EQ(shape("x = @cast(p, \"task_struct\", \"kernel\")->tgid"),
            "x = @cast(p, \"task_struct\", \"kernel\")->tgid");
  EXPECT_EQ(shape("x = task_current()->pid"), "x = task_current()->pid");
}

TEST(Guru, EmbeddedCodeNeedsGuruMode) {
  EXPECT_NE(parse("%{ #include <linux/fs.h> %}").errors.find("needs guru mode (-g)"), std::string::npos);
  EXPECT_EQ(parse("%{ #include <linux/fs.h> %}", {}, true).errors, "");
  EXPECT_EQ(parse("function f:long () %{ STAP_RETVALUE = 1; %}", {}, true).text,
            "function f:long () %{ STAP_RETVALUE = 1; %}\n");
}

// ------------------------------------------------------------------ regressions
// Bugs found by the corpus round trip (tests/corpus) and the fuzzer (tests/fuzz).

namespace {

// parse -> print -> parse -> print: "" if both parses succeed and give the same AST
// (ast::dump) and the same text, else what went wrong.
std::string roundTrip(const std::string& source, bool guru = false) {
  SourceManager sources;
  ast::AstContext ctx;
  Diagnostics diags;
  frontend::TargetFacts facts;
  frontend::ParseOptions options;
  options.preprocessor.facts = &facts;
  options.preprocessor.guru = guru;
  ast::Script* first = frontend::parseFile(*sources.addFile("t.stp", source), options, sources, ctx, diags);
  std::ostringstream err;
  diags.print(err);
  if (!first || diags.hasErrors()) return "first parse: " + err.str();
  std::ostringstream text1;
  ast::printScript(text1, *first);
  ast::Script* second =
      frontend::parseFile(*sources.addFile("printed.stp", text1.str()), options, sources, ctx, diags);
  diags.print(err);
  if (!second || diags.hasErrors()) return "reparse of:\n" + text1.str() + err.str();
  std::ostringstream text2;
  ast::printScript(text2, *second);
  if (ast::dump(*first) != ast::dump(*second))
    return "AST changed:\n" + ast::dump(*first) + "---\n" + ast::dump(*second);
  if (text1.str() != text2.str()) return "text changed:\n" + text1.str() + "---\n" + text2.str();
  return "";
}

}  // namespace

// tapset linux/s390/sysc_compat_fadvise64.stp:51: `&(__args)[0]` indexes the value of the
// variable (an autocast); printed as `&__args[0]` it read back as an array element.  `(a)$`
// printed as `a$` read back as the variable `a$`.
TEST(Regression, ParenthesizedVariableBeforeIndexOrDollar) {
  EXPECT_EQ(roundTrip("probe begin { x = &(a)[0] }"), "");
  EXPECT_EQ(roundTrip("probe begin { x = (a)$ }"), "");
  EXPECT_EQ(shape("x = &(a)[0]"), "x = (&(a)[0])");
  EXPECT_EQ(shape("x = (a)->b"), "x = a->b");
}

// Fuzzer: thousands of nested parentheses, `if`s or signs overflowed the stack (the parser,
// the AST builder, the printer and the AST dump all recurse).  Nesting deeper than the
// parser's limit (1000 rule levels; the corpus needs about 300) is a located error.
TEST(Regression, DeepNestingIsAnErrorNotACrash) {
  std::string parens = "probe begin { x = " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }";
  std::string errors = parse(parens).errors;
  EXPECT_NE(errors.find("error: the script is nested too deeply here"), std::string::npos) << errors;
  std::string ifs = "probe begin {";
  for (int i = 0; i < 5000; ++i) ifs += " if (x)";
  EXPECT_NE(parse(ifs + " y = 1 }").errors.find("t.stp:1:"), std::string::npos);
  // 50 levels of parentheses and 500 nested `if`s are fine.
  EXPECT_EQ(parse("probe begin { x = " + std::string(50, '(') + "1" + std::string(50, ')') + " }").errors, "");
  std::string fine = "probe begin {";
  for (int i = 0; i < 500; ++i) fine += " if (x)";
  EXPECT_EQ(roundTrip(fine + " y = 1 }"), "");
}

// Fuzzer: printing `- - - ... x` took time exponential in the number of signs (each level
// printed its operand twice).  64 signs finish at once now.
TEST(Regression, NestedSignsPrintInLinearTime) {
  std::string signs;
  for (int i = 0; i < 64; ++i) signs += "- + ";
  EXPECT_EQ(roundTrip("probe begin { x = " + signs + "y }"), "");
}

// Fuzzer: a macro that invokes itself expanded forever (stap 4.8 runs out of memory too);
// macros that each invoke the next twice expanded to billions of tokens.  Both are now
// errors at the invocation in the file.
TEST(Regression, RunawayMacroExpansionIsAnError) {
  std::string self = parse("@define a %( 1 + @a %)\nprobe begin { x = @a }").errors;
  EXPECT_EQ(self.rfind("t.stp:2:19: error: the expansion of macro '@a' is nested more than 200 "
                       "levels deep: does a macro invoke itself?", 0), 0u)
      << self;
  std::string doubling;
  for (int i = 0; i < 30; ++i)
    doubling += "@define m" + std::to_string(i) + " %( @m" + std::to_string(i + 1) + " @m" +
                std::to_string(i + 1) + " %)\n";
  doubling += "@define m30 %( 1 %)\nprobe begin { x = @m0 }";
  std::string big = parse(doubling).errors;
  EXPECT_EQ(big.rfind("t.stp:32:19: error: the expansion of macro '@m0' is too large", 0), 0u) << big;
}

// Fuzzer (a timeout): every syntax error between two declarations listed all declarations
// of the file so far, so a file of N junk tokens each followed by a declaration took time
// quadratic in N.  20000 of them take minutes that way; now well under a second.
TEST(Regression, JunkBetweenDeclarationsIsLinear) {
  std::string junk;
  for (int i = 0; i < 20000; ++i) junk += "}\nprobe begin {}\n";
  std::string errors = parse(junk).errors;
  EXPECT_EQ(errors.rfind("t.stp:1:1: error: unexpected '}'", 0), 0u) << errors.substr(0, 300);
}

// The lexer maps bytes that are not UTF-8 to U+F780-U+F7FF and used to map those code
// points back to bytes in token texts, so a real U+F780 (EF 9E 80) in a string literal
// became the single byte 0x80.  Token texts are now the file's own bytes.
TEST(Regression, PrivateUseCharactersKeepTheirBytes) {
  Parsed p = parse("probe begin { s = \"\xef\x9e\x80|\x80\" }");
  EXPECT_EQ(p.errors, "");
  EXPECT_EQ(p.text, "probe begin {\n  s = \"\xef\x9e\x80|\x80\";\n}\n");
}
