// The elaborated program: what pass 2 produces and every later pass reads.
//
// Elaboration turns the parsed scripts into a list of derived probes (one per attach point,
// each with its own copy of the body, alias prologues and epilogues spliced in), the
// functions they call, and the globals they use.  Every variable reference is resolved to a
// Symbol, every call to a user function or a builtin, and every symbol has a type.  The
// maps from AST nodes to these results are side tables here; the AST itself only carries
// each expression's type.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "ast/ast.h"

namespace stp2bpf::tapset {
struct Builtin;
}

namespace stp2bpf::sema {

// ---------------------------------------------------------------- attach points

// Where a derived probe runs.  Names follow SystemTap's probe families; how each one is
// realised is the backends' business (probe tables in tapset/probe_points.*).
enum class ProbeKind : uint8_t {
  Begin,           // `begin`, `begin(N)`
  End,             // `end`, `end(N)`
  Error,           // `error`: after a run-time error
  Never,           // `never`: elaborated for its types, never run
  Timer,           // `timer.s/ms/us/ns/hz/jiffies(N)`: one system-wide timer
  Profile,         // `timer.profile`: every CPU at the tick rate
  Tracepoint,      // `kernel.trace("sys:name")`
  KernelFunction,  // `kernel.function("f")` (entry or `.return`)
  UserFunction,    // `process("path").function("f")` (entry or `.return`)
  Usdt,            // `process("path").mark("m")`
  PerfSoftware,    // `perf.sw.*`
  Unsupported,     // a point SystemTap knows but we cannot express (diagnosed)
};
const char* probeKindName(ProbeKind k);

struct AttachPoint {
  ProbeKind kind = ProbeKind::Unsupported;
  bool isReturn = false;       // `.return`
  bool rawTracepoint = false;  // Tracepoint: attached raw, $vars are the TP_PROTO arguments
  int64_t priority = 0;        // begin(N) / end(N)
  int64_t periodNs = 0;        // Timer: the interval; Profile: the tick
  std::string timerUnit;       // Timer: the unit as written ("ms", "s", ...)
  int64_t timerCount = 0;      // Timer: N as written
  std::string system, event;   // Tracepoint: "sched", "sched_switch"
  std::string path;            // UserFunction/Usdt: the binary
  std::string symbol;          // KernelFunction/UserFunction: the function; Usdt: "provider:name"
  std::string perfEvent;       // PerfSoftware: e.g. "cpu-clock"
  int64_t perfSample = 0;
  std::string unsupportedReason;  // Unsupported: why
  std::string text;            // the point as SystemTap prints it, for pp()
  bool optional = false;       // `?`: dropped if it cannot be resolved
  SourceLocation loc;          // the point in the user's probe
};

// is_return() of a probe point: a function's .return probe, or a syscall's exit
// tracepoint (SystemTap's syscall.*.return probes are return probes).
inline bool isReturnPoint(const AttachPoint& p) {
  if (p.kind == ProbeKind::KernelFunction || p.kind == ProbeKind::UserFunction) return p.isReturn;
  return p.kind == ProbeKind::Tracepoint && p.event.rfind("sys_exit", 0) == 0;
}

// ---------------------------------------------------------------- symbols

enum class SymbolKind : uint8_t { Global, Local, Parameter };

struct Symbol {
  SymbolKind kind = SymbolKind::Local;
  std::string name;
  ast::Type type = ast::Type::Unknown;
  bool isArray = false;
  std::vector<ast::Type> keyTypes;  // arrays: one per key position
  SourceLocation declLoc;           // first declaration or first use
  SourceLocation typeLoc;           // where the type was decided (for conflict messages)

  // Globals only.
  const ast::GlobalDecl* decl = nullptr;
  ast::Expr* init = nullptr;
  int64_t maxEntries = 0;
  bool wrap = false;
  bool read = false;     // read anywhere (auto-print applies to written, never-read globals)
  bool written = false;
  bool fromTapset = false;
};

// ---------------------------------------------------------------- functions

struct Function {
  const ast::FunctionDecl* decl = nullptr;
  std::string name;
  std::vector<Symbol*> params;
  std::vector<Symbol*> locals;  // including params
  ast::Type returnType = ast::Type::Unknown;
  SourceLocation typeLoc;
  ast::Block* body = nullptr;   // null for embedded-C functions
  bool embeddedC = false;
  bool fromTapset = false;
  bool used = false;
};

// ---------------------------------------------------------------- probes

struct DerivedProbe {
  AttachPoint point;
  ast::Block* body = nullptr;       // prologues + the user's body + epilogues, own copy
  ast::Expr* condition = nullptr;   // `probe P if (cond)`: globals only
  std::vector<Symbol*> locals;
  const ast::Decl* userDecl = nullptr;  // the user's `probe` declaration
  SourceLocation loc;               // the user's probe
  std::vector<std::string> aliasChain;  // aliases expanded to reach this point
  bool fromTapset = false;          // a plain probe from a tapset file the program uses
};

// ---------------------------------------------------------------- target variables

// How a `$var`, `$var->a[i]->b` or `@cast(p, "type")->a` reads kernel data, resolved from
// BTF (passes/targets.cpp).  It starts from a value (an argument, the return value, or a
// cast address) and applies steps; each step leaves either a value in hand or the address
// of an object (`inMemory`), which the next step or the final read uses.
struct TargetStep {
  enum class Kind : uint8_t { Member, Index };
  Kind kind = Kind::Member;
  bool loadFirst = false;       // the current object is a pointer in memory: read it first
  // Member: the structure (its kernel name, BTF id, union or not) and the member.
  std::string structName, member;
  int structId = 0;
  bool isUnion = false;
  // Index: the index expression and the element size.
  ast::Expr* index = nullptr;
  int64_t elementSize = 0;
  int type = 0;                 // BTF id of what the step reaches
  int64_t rawByteOffset = -1;   // Member: this kernel's byte offset, where CO-RE cannot
                                // relocate (a bitfield's storage)
};

struct TargetAccess {
  enum class Source : uint8_t { Argument, ReturnValue, CastAddress };
  Source source = Source::Argument;
  int argument = 0;             // Argument: the raw argument index
  int type = 0;                 // BTF id of the starting value
  ast::Expr* castOperand = nullptr;  // CastAddress: the address expression
  std::vector<TargetStep> steps;
  bool inMemory = false;        // the last step left an address, not a value
  bool addressOnly = false;     // the result is that address (`&...`, arrays)
  // The result: a number of `size` bytes (signed or not), or a string from a char array
  // (`stringLength` bytes at most) in memory.
  int64_t size = 8;
  bool isSigned = false;
  bool isString = false;
  int64_t stringLength = 0;
  std::string error;            // why it cannot be read (reported only if the code is live)
  bool unresolved = false;      // the error is that it does not exist here (@defined is 0)
  int bitShift = 0, bitSize = 0;  // a bitfield: its bits, from the byte the last step reached
  int pointee = 0;              // BTF id of the structure the result points to, if any:
                                // a local assigned this value autocasts (`v->member`)
};

// A call's target: a user (or tapset script) function, or a builtin from the table.
struct CallTarget {
  Function* function = nullptr;
  const tapset::Builtin* builtin = nullptr;
};

struct Program {
  std::vector<DerivedProbe> probes;
  std::vector<Symbol*> globals;           // in declaration order
  std::vector<Function*> functions;       // every function of the session
  std::vector<Function*> calledFunctions; // after lowering: those that stay functions
  // Recursive functions (kept as calls): their group (mutually recursive functions share
  // one) and, per group, how many nesting levels are compiled (one copy each).
  std::map<const Function*, int> recursionGroup;
  std::map<int, int> recursionCopies;
  std::map<std::string, std::vector<Function*>> functionsByName;
  // Globals SystemTap prints at exit because the script wrote but never read them.
  std::vector<Symbol*> autoPrint;

  // Side tables filled by resolution.
  std::unordered_map<const ast::Node*, Symbol*> symbols;   // Variable / ArrayIndex base
  std::unordered_map<const ast::FunctionCall*, CallTarget> calls;
  // Filled by the targets pass (kernel functions, raw tracepoints, @cast).
  std::unordered_map<const ast::Node*, TargetAccess> targets;

  // Storage for symbols and functions.
  Symbol* newSymbol(SymbolKind kind, std::string name, SourceLocation loc);
  Function* newFunction();
  Symbol* global(const std::string& name) const;
  Symbol* symbolOf(const ast::Node* n) const {
    auto it = symbols.find(n);
    return it == symbols.end() ? nullptr : it->second;
  }

 private:
  std::vector<std::unique_ptr<Symbol>> symbolStore_;
  std::vector<std::unique_ptr<Function>> functionStore_;
};

}  // namespace stp2bpf::sema
