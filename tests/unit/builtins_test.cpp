// The builtin tables: the signature table (tapset/builtins.cpp), the C backend's templates
// (backends/bpfc/builtins.cpp) and the embedded-C expressions that map to builtins
// (tapset/embedded_c.cpp).
#include <gtest/gtest.h>

#include <set>

#include "backends/bpfc/builtins.h"
#include "tapset/builtins.h"
#include "tapset/embedded_c.h"

namespace {

using namespace stp2bpf;

// Builtins with a signature but no BPF C template yet, each for a stated reason.  The test
// below fails when one gains a template (remove it here) or when a new signature comes
// without one (implement it, or add it here with the reason).
const std::set<std::string> kNotInC = {
    "pp", "ppfunc", "probefunc",  // the probe point's text: the backend knows it (pp() is done there)
    "is_return",                  // which probe kind is running: a backend decision
    // the probed context's registers: the backend reads its probe's or the saved copy
    "returnval", "user_mode", "addr", "uaddr", "_stp_arg2", "__set_syscall_pt_regs",
    "_stp_syscall_nr", "backtrace", "print_backtrace", "__stack_raw",  // and the probe's stack
    "exit", "error", "warn", "log",  // statements the backend emits itself
    "str_replace", "strpos", "stringat",  // not yet
};

TEST(Builtins, EverySignatureHasACTemplate) {
  for (const tapset::Builtin& b : tapset::allBuiltins()) {
    std::vector<std::string> args(b.params.size(), "x");
    std::string out, why;
    bool ok = b.result == ast::Type::String
                  ? backends::bpfc::translateStringBuiltin(b.name, "dst", args, out, why)
                  : backends::bpfc::translateLongBuiltin(b.name, args, out, why);
    if (kNotInC.count(b.name))
      EXPECT_FALSE(ok) << b.name << " has a C template now: remove it from kNotInC";
    else
      EXPECT_TRUE(ok) << b.name << " has a signature but no C template: " << why;
  }
}

TEST(Builtins, TemplatesTakeArgumentsAndTheDestination) {
  std::string out, why;
  ASSERT_TRUE(backends::bpfc::translateStringBuiltin("ctime", "F->s1", {"F->l_t"}, out, why));
  EXPECT_EQ(out, "stp_ctime(F->s1, (F->l_t));");
  // user_string_n's optional err_msg: missing, it expands to 0 (the helper's "<unknown>").
  ASSERT_TRUE(backends::bpfc::translateStringBuiltin("user_string_n", "d", {"a", "n"}, out, why));
  EXPECT_EQ(out, "stp_user_string_n(d, (a), (n), 0);");
  ASSERT_TRUE(backends::bpfc::translateStringBuiltin("user_string_n", "d", {"a", "n", "m"}, out, why));
  EXPECT_EQ(out, "stp_user_string_n(d, (a), (n), (m));");
  ASSERT_TRUE(backends::bpfc::translateLongBuiltin("MKDEV", {"8", "1"}, out, why));
  EXPECT_EQ(out, "(s64)(u32)(((u32)(8) << 20) | (u32)(1))");  // each argument parenthesized once
  EXPECT_FALSE(backends::bpfc::translateLongBuiltin("no_such_builtin", {}, out, why));
  EXPECT_EQ(why, "(no BPF C implementation yet)");
}

TEST(Builtins, ArgumentCounts) {
  EXPECT_NE(tapset::findBuiltin("user_string_n", 2), nullptr);
  EXPECT_NE(tapset::findBuiltin("user_string_n", 3), nullptr);
  EXPECT_EQ(tapset::findBuiltin("user_string_n", 1), nullptr);
  // ctime() without an argument stays the tapset's script function (ctime(gettimeofday_s())).
  EXPECT_EQ(tapset::findBuiltin("ctime", 0), nullptr);
  EXPECT_NE(tapset::findBuiltin("ctime", 1), nullptr);
}

TEST(EmbeddedC, KnownExpressionsIgnoreCommentsAndBlanks) {
  EXPECT_EQ(tapset::builtinForEmbeddedExpr(" /* pure */ _stp_is_compat_task() "), "_stp_is_compat_task");
  EXPECT_EQ(tapset::builtinForEmbeddedExpr("/* pure */\n\t(unsigned  long)current"), "task_current");
  EXPECT_EQ(tapset::builtinForEmbeddedExpr("_stp_is_compat_task() + 1"), "");
  EXPECT_EQ(tapset::builtinForEmbeddedExpr("/* unterminated"), "");
  // Every builtin the table names exists, with no arguments.
  for (const char* code : {"_stp_is_compat_task()", "(unsigned long)current"})
    EXPECT_NE(tapset::findBuiltin(tapset::builtinForEmbeddedExpr(code), 0), nullptr) << code;
}

TEST(EmbeddedC, ConstantsOfTheKernelAbi) {
  int64_t v = -1;
  std::string builtin;
  ASSERT_TRUE(tapset::constantFor("AF_INET6", v, builtin));
  EXPECT_EQ(v, 10);
  EXPECT_EQ(builtin, "");
  ASSERT_TRUE(tapset::constantFor(" SYS_ACCEPT4 ", v, builtin));
  EXPECT_EQ(v, 18);
  // A value of this translation (-D MAXSTRINGLEN): a builtin, which must exist.
  ASSERT_TRUE(tapset::constantFor("MAXSTRINGLEN", v, builtin));
  EXPECT_EQ(builtin, "_stp_maxstringlen");
  EXPECT_NE(tapset::findBuiltin(builtin, 0), nullptr);
  ASSERT_TRUE(tapset::constantFor("current->stime", v, builtin));
  EXPECT_NE(tapset::findBuiltin(builtin, 0), nullptr);
  EXPECT_FALSE(tapset::constantFor("NO_SUCH_CONSTANT", v, builtin));
}

}  // namespace
