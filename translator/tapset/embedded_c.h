// Embedded-C expressions of SystemTap's tapset that stp2bpf knows the meaning of.
//
// Some tapset macros expand to a C expression, e.g. macros.stpm's
//     @define __compat_task %( %{ /* pure */ _stp_is_compat_task() %} %)
// which syscall_name() uses.  BPF cannot run embedded C, but these few expressions have
// a builtin with the same meaning; a table maps the expression's text to it.  Likewise
// @const("NAME") of the kernel ABI constants a second table knows (AF_INET, SYS_SOCKET,
// ...).  Tapset files are rewritten when the library parses them, before anything
// resolves names.
#pragma once

#include <cstdint>
#include <string>

#include "ast/ast.h"
#include "ast/context.h"

namespace stp2bpf::tapset {

// The builtin an embedded-C expression means ("" if none): its code with comments
// removed and blanks collapsed is looked up in the table.
std::string builtinForEmbeddedExpr(const std::string& code);

// What @const("NAME") means: a number (`value`) or a call of `builtin`; false if unknown.
bool constantFor(const std::string& name, int64_t& value, std::string& builtin);

// Replaces the known embedded-C expressions and @const()s of a parsed file by calls of
// their builtins or by numbers.
// Returns how many it replaced.
size_t replaceKnownEmbeddedExprs(ast::Script& script, ast::AstContext& ctx);

}  // namespace stp2bpf::tapset
