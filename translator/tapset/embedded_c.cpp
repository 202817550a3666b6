#include "tapset/embedded_c.h"

#include <cctype>
#include <fstream>
#include <map>
#include <sstream>

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
      // linux/conversions.stp kernel_buffer_quoted: the string limit (-D MAXSTRINGLEN).
      {"MAXSTRINGLEN", "_stp_maxstringlen"},
  };
  return t;
}

// @const("NAME") -> the value of a C constant: kernel ABI numbers from the uapi headers, or
// a builtin where the value is the translation's own (MAXSTRINGLEN).
struct Constant {
  int64_t value;
  const char* builtin;  // non-null: a call of this builtin instead of the value
};
const std::map<std::string, Constant>& constants() {
  static const std::map<std::string, Constant> t = {
      {"MAXSTRINGLEN", {0, "_stp_maxstringlen"}},
      // linux/socket.h address families
      {"AF_UNIX", {1, nullptr}}, {"AF_INET", {2, nullptr}}, {"AF_INET6", {10, nullptr}},
      // linux/magic.h
      {"PIPEFS_MAGIC", {0x50495045, nullptr}}, {"SOCKFS_MAGIC", {0x534F434B, nullptr}},
      {"ANON_INODE_FS_MAGIC", {0x09041934, nullptr}}, {"NSFS_MAGIC", {0x6e736673, nullptr}},
      // linux/task_time.stp: the current task's CPU times, in nanoseconds
      {"current->utime", {0, "_stp_current_utime"}}, {"current->stime", {0, "_stp_current_stime"}},
      // linux/net.h: the socketcall(2) sub-calls
      {"SYS_SOCKET", {1, nullptr}}, {"SYS_BIND", {2, nullptr}}, {"SYS_CONNECT", {3, nullptr}},
      {"SYS_LISTEN", {4, nullptr}}, {"SYS_ACCEPT", {5, nullptr}}, {"SYS_GETSOCKNAME", {6, nullptr}},
      {"SYS_GETPEERNAME", {7, nullptr}}, {"SYS_SOCKETPAIR", {8, nullptr}}, {"SYS_SEND", {9, nullptr}},
      {"SYS_RECV", {10, nullptr}}, {"SYS_SENDTO", {11, nullptr}}, {"SYS_RECVFROM", {12, nullptr}},
      {"SYS_SHUTDOWN", {13, nullptr}}, {"SYS_SETSOCKOPT", {14, nullptr}}, {"SYS_GETSOCKOPT", {15, nullptr}},
      {"SYS_SENDMSG", {16, nullptr}}, {"SYS_RECVMSG", {17, nullptr}}, {"SYS_ACCEPT4", {18, nullptr}},
      {"SYS_RECVMMSG", {19, nullptr}}, {"SYS_SENDMMSG", {20, nullptr}},
      // include/linux/mm_types_task.h: the mm's rss counters, in this order since Linux 4.5
      // (every kernel with BTF)
      {"MM_FILEPAGES", {0, nullptr}}, {"MM_ANONPAGES", {1, nullptr}},
      {"MM_SWAPENTS", {2, nullptr}}, {"MM_SHMEMPAGES", {3, nullptr}},
  };
  return t;
}

// Syscall numbers, as the tapset's @const("__NR_open") and @const("__NR_compat_open") ask
// for them: x86-64's from the uapi header asm/unistd_64.h, the 32-bit (ia32 compat) ones
// from asm/unistd_32.h (Debian's linux-libc-dev), read once.
const std::map<std::string, int64_t>& syscallNumbers() {
  static const std::map<std::string, int64_t> t = [] {
    std::map<std::string, int64_t> numbers;
    const std::pair<const char*, const char*> headers[] = {
        {"/usr/include/x86_64-linux-gnu/asm/unistd_64.h", "__NR_"},
        {"/usr/include/x86_64-linux-gnu/asm/unistd_32.h", "__NR_compat_"}};
    for (const auto& [path, prefix] : headers) {
      std::ifstream in(path);
      for (std::string line; std::getline(in, line);) {
        std::istringstream words(line);
        std::string define, name;
        int64_t value;
        if (words >> define >> name >> value && define == "#define" && name.rfind("__NR_", 0) == 0)
          numbers[prefix + name.substr(5)] = value;
      }
    }
    return numbers;
  }();
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
    if (auto* c = ast::as<ast::ConstOp>(slot)) {
      int64_t value = 0;
      std::string builtin;
      if (constantFor(c->code, value, builtin)) {
        if (!builtin.empty())
          slot = ctx_.make<ast::FunctionCall>(c->loc, builtin, std::vector<ast::Expr*>{});
        else
          slot = ctx_.make<ast::NumberLiteral>(c->loc, value);
        ++replaced;
        return;
      }
    }
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

bool constantFor(const std::string& name, int64_t& value, std::string& builtin) {
  auto it = constants().find(normalize(name));
  if (it == constants().end()) {
    auto nr = syscallNumbers().find(normalize(name));
    if (nr == syscallNumbers().end()) return false;
    value = nr->second;
    builtin.clear();
    return true;
  }
  value = it->second.value;
  builtin = it->second.builtin ? it->second.builtin : "";
  return true;
}

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
