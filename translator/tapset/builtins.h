// The tapset and builtin functions stp2bpf implements itself, as a table: name, parameter
// and result types, and what the call does.  Backends map each entry to their own code
// (backends/*/builtins.*); elaboration only needs the signatures.
//
// Script-level tapset functions (written in SystemTap, e.g. ansi_clear_screen()) are not
// here: they are loaded from the tapset library and translated like user functions.
#pragma once

#include <string>
#include <vector>

#include "ast/ast.h"

namespace stp2bpf::tapset {

enum class BuiltinFlag : unsigned {
  None = 0,
  SideEffect = 1u << 0,   // never removed even if its value is unused (exit, warn, ...)
  Constant = 1u << 1,     // same value during a run (pid of target, ...); may be folded
  VarArgs = 1u << 2,      // accepts fewer arguments than listed (optional trailing ones)
};
inline bool has(unsigned flags, BuiltinFlag f) { return flags & static_cast<unsigned>(f); }

struct Builtin {
  std::string name;
  std::vector<ast::Type> params;  // Type::Unknown accepts either long or string
  ast::Type result;               // Type::Unknown for void
  unsigned flags = 0;
  size_t minArgs = 0;             // with VarArgs
  std::string summary;            // one line, for diagnostics and documentation
};

// The builtin called `name` with `argc` arguments, or null.
const Builtin* findBuiltin(const std::string& name, size_t argc);
// Any builtin of that name (for "wrong number of arguments" messages).
const Builtin* findBuiltinByName(const std::string& name);
const std::vector<Builtin>& allBuiltins();

}  // namespace stp2bpf::tapset
