#include "tapset/embedded_c.h"

#include <cctype>
#include <map>

#include "ast/rewriter.h"

namespace stp2bpf::tapset {

namespace {

// Normalized embedded-C expression -> builtin (tapset/builtins.cpp) of the same meaning.
const std::map<std::string, std::string>& table() {
  static const std::map<std::string, std::string> t = {
      // macros.stpm @__compat_task: is the current syscall a 32-bit (ia32) one?
      {"_stp_is_compat_task()", "_stp_is_compat_task"},
      // linux/task.stp and others: the current task_struct's address.
      {"(unsigned long)current", "task_current"},
  };
  return t;
}

// The code without C comments, with runs of blanks as one space, trimmed.
std::string normalize(const std::string& code) {
  std::string out;
  bool blank = false;
  for (size_t i = 0; i < code.size(); ++i) {
    if (code.compare(i, 2, "/*") == 0) {
      size_t end = code.find("*/", i + 2);
      i = end == std::string::npos ? code.size() : end + 1;
      blank = true;
      continue;
    }
    if (std::isspace(static_cast<unsigned char>(code[i]))) {
      blank = true;
      continue;
    }
    if (blank && !out.empty()) out += ' ';
    blank = false;
    out += code[i];
  }
  return out;
}

class Replacer : public ast::ExprRewriter {
 public:
  explicit Replacer(ast::AstContext& ctx) : ctx_(ctx) {}
  using ast::ExprRewriter::visit;

  void rewrite(ast::Expr*& slot) override {
    if (auto* e = ast::as<ast::EmbeddedExpr>(slot)) {
      std::string builtin = builtinForEmbeddedExpr(e->code);
      if (!builtin.empty()) {
        slot = ctx_.make<ast::FunctionCall>(e->loc, builtin, std::vector<ast::Expr*>{});
        ++replaced;
        return;
      }
    }
    ast::ExprRewriter::rewrite(slot);
  }

  size_t replaced = 0;

 private:
  ast::AstContext& ctx_;
};

}  // namespace

std::string builtinForEmbeddedExpr(const std::string& code) {
  auto it = table().find(normalize(code));
  return it == table().end() ? "" : it->second;
}

size_t replaceKnownEmbeddedExprs(ast::Script& script, ast::AstContext& ctx) {
  Replacer r(ctx);
  script.accept(r);
  return r.replaced;
}

}  // namespace stp2bpf::tapset
