// Target variables from BTF: `$param` of kernel functions, `$return`, the TP_PROTO
// arguments of kernel tracepoints (`$prev`, `$next` of sched_switch), and `@cast(p,
// "type")`, each with `->member` and `[index]` steps resolved against the running
// kernel's types.  The result is a TargetAccess per expression (sema/program.h), which
// the type pass reads (a char array is a string) and the backends translate.
//
// Tracepoints: SystemTap's kernel.trace probes see the tracepoint's TP_PROTO arguments.
// Where the body uses them (and the kernel has the btf_trace_EVENT type), the probe is
// attached raw; a body that uses the fields of the tracefs format instead keeps the
// classic tracepoint.  Problems are recorded in the access and reported by the backend
// only for code that survives dead-code removal (alias prologues read many variables a
// script never uses).
#include <algorithm>
#include <map>
#include <set>

#include "ast/visitor.h"
#include "passes/pass_manager.h"
#include "tapset/kernel_types.h"

namespace stp2bpf::passes {

namespace {

using namespace ast;
using sema::ProbeKind;
using sema::TargetAccess;
using sema::TargetStep;
using tapset::KernelType;

class TargetCollector : public Visitor {
 public:
  using Visitor::visit;
  std::vector<TargetExpr*> found;
  std::vector<AutoCast*> autoCasts;         // `v->member` on a local: typed afterwards
  std::vector<Assignment*> assignments;     // `v = ...`: where locals get their types
  std::vector<ReturnStmt*> returns;         // a function's typed result (autocast)
  void visit(ReturnStmt& n) override {
    if (n.value) returns.push_back(&n);
    Visitor::visit(n);
  }
  void visit(AutoCast& n) override {
    autoCasts.push_back(&n);
    Visitor::visit(n);
  }
  void visit(Assignment& n) override {
    if (n.op == AssignOp::Assign && as<Variable>(n.target)) assignments.push_back(&n);
    Visitor::visit(n);
  }
  void visit(TargetVariable& n) override {
    found.push_back(&n);
    Visitor::visit(n);
  }
  void visit(CastOp& n) override {
    found.push_back(&n);
    Visitor::visit(n);
  }
};

class TargetResolver {
 public:
  TargetResolver(PassContext& ctx) : ctx_(ctx), types_(ctx.kernel) {}

  void run() {
    // Functions first, so that probes know which of them return typed pointers; twice, for
    // functions that return what a later one returns.
    for (int round = 0; round < 2; ++round) {
      for (sema::Function* f : ctx_.program.functions) {
        if (!f->body) continue;
        TargetCollector c;
        c.visit(f->body);
        // Functions can only use @cast (resolution rejects $vars there).
        if (round == 0)
          for (TargetExpr* t : c.found)
            if (as<CastOp>(t)) resolve(nullptr, t);
        auto locals = autoCast(c);
        for (ReturnStmt* r : c.returns)
          if (int t = pointeeOf(r->value, locals)) returnPointee_[f] = t;
      }
    }
    for (sema::DerivedProbe& p : ctx_.program.probes) {
      TargetCollector c;
      c.visit(p.body);
      c.visit(p.condition);
      if (c.found.empty() && c.autoCasts.empty()) continue;
      if (p.point.kind == ProbeKind::Tracepoint) chooseRawTracepoint(p, c.found);
      for (TargetExpr* t : c.found) resolve(&p, t);
      autoCast(c);
    }
  }

 private:
  // SystemTap's autocast: a local assigned a typed pointer (`bdev = &@cast(b,
  // "block_device")`, `hd = bdev->bd_disk`) keeps that type, so `hd->first_minor` reads
  // like `@cast(hd, "gendisk")->first_minor`.  Types flow through plain assignments in
  // one probe or function, repeated until nothing changes (chains of locals).
  std::map<const sema::Symbol*, int> autoCast(const TargetCollector& c) {
    std::map<const sema::Symbol*, int> typeOfLocal;
    std::set<AutoCast*> done;
    for (bool changed = true; changed;) {
      changed = false;
      for (Assignment* as : c.assignments) {
        const sema::Symbol* s = ctx_.program.symbolOf(as->target);
        int t = pointeeOf(as->value, typeOfLocal);
        if (s && t && !typeOfLocal.count(s)) {
          typeOfLocal[s] = t;
          changed = true;
        }
      }
      for (AutoCast* ac : c.autoCasts) {
        if (done.count(ac)) continue;
        int t = pointeeOf(ac->operand, typeOfLocal);
        if (!t) continue;
        TargetAccess a;
        a.source = TargetAccess::Source::CastAddress;
        a.castOperand = ac->operand;
        a.type = t;
        a.inMemory = true;
        walk(ac, a);
        ctx_.program.targets[ac] = a;
        done.insert(ac);
        changed = true;
      }
    }
    for (AutoCast* ac : c.autoCasts) {
      if (done.count(ac)) continue;
      TargetAccess a;
      a.unresolved = true;
      a.error = "the type of this value is unknown (autocast needs a local assigned from a typed "
                "pointer, such as &@cast(p, \"type\"), in the same probe or function)";
      ctx_.program.targets[ac] = a;
    }
    return typeOfLocal;
  }

  // The structure a value points to, if known: a resolved target expression, a local
  // typed by autocast, either branch of a ternary, or a chained assignment.
  int pointeeOf(const Expr* e, const std::map<const sema::Symbol*, int>& typeOfLocal) const {
    if (!e) return 0;
    if (auto* t = as<Ternary>(e)) {
      int then = pointeeOf(t->thenExpr, typeOfLocal);
      return then ? then : pointeeOf(t->elseExpr, typeOfLocal);
    }
    if (auto* a = as<Assignment>(e)) return a->op == AssignOp::Assign ? pointeeOf(a->value, typeOfLocal) : 0;
    if (as<Variable>(e)) {
      auto it = typeOfLocal.find(ctx_.program.symbolOf(e));
      return it == typeOfLocal.end() ? 0 : it->second;
    }
    if (auto* call = as<FunctionCall>(e)) {
      auto target = ctx_.program.calls.find(call);
      const sema::Function* f = target == ctx_.program.calls.end() ? nullptr : target->second.function;
      if (f) {
        auto it = returnPointee_.find(f);
        return it == returnPointee_.end() ? 0 : it->second;
      }
      // Builtins standing for tapset functions whose result SystemTap types with @task
      // (linux/task.stp: task_current(), pid2task()).
      if (call->name == "task_current" || call->name == "pid2task") return types_.compositeByName("task_struct");
      return 0;
    }
    auto it = ctx_.program.targets.find(e);
    if (it == ctx_.program.targets.end() || !it->second.error.empty()) return 0;
    return it->second.pointee;
  }

  // Raw when some `$var` is a TP_PROTO argument and none is only a format field.
  void chooseRawTracepoint(sema::DerivedProbe& p, const std::vector<TargetExpr*>& found) {
    if (!types_.hasRawTracepoint(p.point.event)) return;
    const tapset::TracepointFormat* fmt = ctx_.kernel.tracepointFormat(p.point.system, p.point.event);
    bool anyArgument = false;
    for (TargetExpr* t : found) {
      auto* v = as<TargetVariable>(t);
      if (!v || v->name.rfind("$$", 0) == 0) continue;
      std::string name = v->name.substr(1);
      bool argument = types_.tracepointArg(p.point.event, name).has_value();
      bool field = fmt && fmt->field(name);
      if (argument) anyArgument = true;
      else if (field) return;
    }
    p.point.rawTracepoint = anyArgument;
  }

  void resolve(sema::DerivedProbe* p, TargetExpr* t) {
    TargetAccess a;
    if (!types_.available()) {
      a.unresolved = true;
      a.error = "the kernel's BTF (/sys/kernel/btf/vmlinux) is not available";
    } else if (!start(p, t, a)) {
      if (a.error.empty()) return;  // not ours: the backend's own handling (format fields, uprobes)
    } else if (a.error.empty()) {  // (start's own error, such as a missing parameter, stays)
      walk(t, a);
    }
    ctx_.program.targets[t] = a;
  }

  // Where the access starts; false when this is not a BTF-typed access.
  bool start(sema::DerivedProbe* p, TargetExpr* t, TargetAccess& a) {
    if (auto* c = as<CastOp>(t)) {
      std::string type = c->typeName;
      for (const char* prefix : {"struct ", "union "})
        if (type.rfind(prefix, 0) == 0) type = type.substr(std::char_traits<char>::length(prefix));
      int id = types_.compositeByName(type);
      if (!id) {
        a.unresolved = true;
        a.error = "@cast type '" + c->typeName + "' is not a structure or union of this kernel's BTF";
        return true;
      }
      a.source = TargetAccess::Source::CastAddress;
      a.castOperand = c->operand;
      a.type = id;
      a.inMemory = true;  // the operand is the address of an object of that type
      return true;
    }
    auto* v = as<TargetVariable>(t);
    if (!v || !p || v->name.rfind("$$", 0) == 0) return false;
    std::string name = v->name.substr(1);
    const sema::AttachPoint& pt = p->point;
    if (pt.kind == ProbeKind::KernelFunction) {
      if (name == "return") {
        if (!pt.isReturn) {
          a.unresolved = true;
          a.error = "$return is only available in a '.return' probe";
          return true;
        }
        auto r = types_.functionReturn(pt.symbol);
        if (!r) return false;
        a.source = TargetAccess::Source::ReturnValue;
        a.type = *r;
        return true;
      }
      auto param = types_.functionParam(pt.symbol, name);
      if (!param) {
        a.unresolved = true;
        a.error = "kernel function " + pt.symbol + " has no parameter '" + name + "'";
        return true;
      }
      a.source = TargetAccess::Source::Argument;
      a.argument = param->first;
      a.type = param->second;
      return true;
    }
    if (pt.kind == ProbeKind::Tracepoint && pt.rawTracepoint) {
      auto arg = types_.tracepointArg(pt.event, name);
      if (!arg) {
        a.unresolved = true;
        a.error = "tracepoint " + pt.event + " has no argument '" + name + "'";
        return true;
      }
      a.source = TargetAccess::Source::Argument;
      a.argument = arg->first;
      a.type = arg->second;
      return true;
    }
    return false;
  }

  // Applies `->member` and `[index]` and decides how the result is read.
  void walk(TargetExpr* t, TargetAccess& a) {
    int current = a.type;
    bool inMemory = a.inMemory;
    for (const TargetComponent& comp : t->components) {
      KernelType k = types_.describe(current);
      TargetStep step;
      if (comp.kind == TargetComponent::Kind::PrettyPrint) {
        a.error = "pretty-printing a target ('" + comp.name + "')";
        return;
      }
      // A pointer (in hand or in memory) leads to the object it points to.
      bool throughPointer = k.kind == KernelType::Kind::Pointer;
      if (throughPointer) {
        step.loadFirst = inMemory;
        KernelType pointee = types_.describe(k.target);
        if (comp.kind == TargetComponent::Kind::Member) {
          k = pointee;
        } else {
          step.kind = TargetStep::Kind::Index;
          step.index = comp.index;
          step.elementSize = pointee.kind == KernelType::Kind::Void ? 1 : pointee.size;
          step.type = k.target;
          a.steps.push_back(step);
          current = step.type;
          inMemory = true;
          continue;
        }
      } else if (!inMemory) {
        a.unresolved = true;
        a.error = "'" + comp.name + "' applied to a value that is not a pointer";
        return;
      } else if (comp.kind == TargetComponent::Kind::Index && k.kind != KernelType::Kind::Array &&
                 a.source == TargetAccess::Source::CastAddress && a.steps.empty()) {
        // `@cast(p, "T")[i]`: p as an array of T (sizeof.stpm's `&@cast(0, T)[1]`).
        step.kind = TargetStep::Kind::Index;
        step.index = comp.index;
        step.elementSize = k.size;
        step.type = k.id;
        a.steps.push_back(step);
        continue;
      }
      if (comp.kind == TargetComponent::Kind::Member) {
        if (k.kind != KernelType::Kind::Struct && k.kind != KernelType::Kind::Union) {
          a.unresolved = true;
          a.error = "'->" + comp.name + "' on a value that is not a structure or union";
          return;
        }
        auto m = types_.member(k.id, comp.name);
        if (!m) {
          a.unresolved = true;
          a.error = (k.name.empty() ? std::string("the structure") : "struct " + k.name) + " has no member '" +
                    comp.name + "'";
          return;
        }
        if (m->bitfieldSize) {
          // Read from the bytes holding it, at this kernel's offset (libbpf relocates
          // bitfields only through its own BPF_CORE_READ_BITFIELD macros).
          if (&comp != &t->components.back()) {
            a.error = "'" + comp.name + "' is a bitfield: it has no members or elements";
            return;
          }
          step.rawByteOffset = m->bitOffset / 8;
          a.bitShift = static_cast<int>(m->bitOffset % 8);
          a.bitSize = m->bitfieldSize;
          if (a.bitShift + a.bitSize > 64) {
            a.error = "bitfield member '" + comp.name + "' wider than 64 bits with its offset";
            return;
          }
        }
        step.kind = TargetStep::Kind::Member;
        step.structName = k.name;
        step.structId = k.id;
        step.isUnion = k.kind == KernelType::Kind::Union;
        step.member = comp.name;
        step.type = m->type;
      } else {
        if (k.kind != KernelType::Kind::Array) {
          a.unresolved = true;
          a.error = "'[...]' on a value that is not an array or pointer";
          return;
        }
        step.kind = TargetStep::Kind::Index;
        step.index = comp.index;
        step.elementSize = types_.describe(k.target).size;
        step.type = k.target;
      }
      a.steps.push_back(step);
      current = step.type;
      inMemory = true;
    }
    a.inMemory = inMemory;
    KernelType result = types_.describe(current);
    // `&...` and arrays (SystemTap passes `$tty->name` to kernel_string as an address)
    // are the address of what was reached.
    if (t->addressOf || result.kind == KernelType::Kind::Array) {
      if (!inMemory) {
        a.error = "'&' of a value that is not in memory";
        return;
      }
      a.addressOnly = true;
      a.size = 8;
      if (result.kind == KernelType::Kind::Struct || result.kind == KernelType::Kind::Union) a.pointee = result.id;
      return;
    }
    switch (result.kind) {
      case KernelType::Kind::Int:
      case KernelType::Kind::Enum:
      case KernelType::Kind::Pointer:
        if (result.kind == KernelType::Kind::Pointer) {
          KernelType pointee = types_.describe(result.target);
          if (pointee.kind == KernelType::Kind::Struct || pointee.kind == KernelType::Kind::Union)
            a.pointee = pointee.id;
        }
        a.size = result.size;
        a.isSigned = result.isSigned;
        if (a.size != 1 && a.size != 2 && a.size != 4 && a.size != 8) a.error = "a " + std::to_string(a.size) + "-byte number";
        return;
      case KernelType::Kind::Struct:
      case KernelType::Kind::Union:
        a.error = "a whole structure (use one of its members)";
        return;
      default:
        a.error = "a value of this type";
        return;
    }
  }

  PassContext& ctx_;
  tapset::KernelTypes types_;
  std::map<const sema::Function*, int> returnPointee_;  // functions returning typed pointers
};

}  // namespace

void resolveTargets(PassContext& ctx) { TargetResolver(ctx).run(); }

}  // namespace stp2bpf::passes
