#include "ast/dump.h"

#include <sstream>

#include "common/strings.h"

namespace stp2bpf::ast {

namespace {

const char* declTypeName(DeclType t) {
  switch (t) {
    case DeclType::Unspecified: return "unspecified";
    case DeclType::Long: return "long";
    case DeclType::String: return "string";
  }
  return "?";
}

const char* targetComponentKindName(TargetComponent::Kind k) {
  switch (k) {
    case TargetComponent::Kind::Member: return "member";
    case TargetComponent::Kind::Index: return "index";
    case TargetComponent::Kind::PrettyPrint: return "pretty-print";
  }
  return "?";
}

class Dumper {
 public:
  explicit Dumper(std::ostream& out) : out_(out) {}

  // One node on its own line ("role: Kind attributes"), then its children one level deeper.
  void node(const std::string& role, const Node* n) {
    start(role);
    if (!n) {
      out_ << "null\n";
      return;
    }
    out_ << kindName(n->kind);
    if (auto* e = as<Expr>(n); e && e->type != Type::Unknown) out_ << " type=" << typeName(e->type);
    ++depth_;
    contents(*n);
    --depth_;
  }

 private:
  void start(const std::string& role) {
    for (int i = 0; i < depth_; ++i) out_ << "  ";
    if (!role.empty()) out_ << role << ": ";
  }
  static std::string str(const std::string& s) { return quoteString(s); }
  static const char* flag(bool b) { return b ? "true" : "false"; }
  template <typename T>
  void list(const std::string& role, const std::vector<T*>& nodes) {
    for (size_t i = 0; i < nodes.size(); ++i) node(role + "[" + std::to_string(i) + "]", nodes[i]);
  }
  void targetComponents(const TargetExpr& t) {
    out_ << " addressOf=" << flag(t.addressOf) << '\n';
    for (size_t i = 0; i < t.components.size(); ++i) {
      const TargetComponent& c = t.components[i];
      start("component[" + std::to_string(i) + "]");
      out_ << targetComponentKindName(c.kind) << " name=" << str(c.name) << '\n';
      if (c.kind == TargetComponent::Kind::Index || c.index) {
        ++depth_;
        node("index", c.index);
        --depth_;
      }
    }
  }

  // The node's own values on the current line (ending it), then its children.
  void contents(const Node& n) {
    switch (n.kind) {
      // ---------------------------------------------------------------- expressions
      case Kind::NumberLiteral:
        out_ << " value=" << static_cast<const NumberLiteral&>(n).value << '\n';
        break;
      case Kind::StringLiteral:
        out_ << " value=" << str(static_cast<const StringLiteral&>(n).value) << '\n';
        break;
      case Kind::Variable:
        out_ << " name=" << static_cast<const Variable&>(n).name << '\n';
        break;
      case Kind::ArrayIndex: {
        auto& a = static_cast<const ArrayIndex&>(n);
        out_ << '\n';
        node("base", a.base);
        list("index", a.indices);  // null entries are `*`
        break;
      }
      case Kind::FunctionCall: {
        auto& c = static_cast<const FunctionCall&>(n);
        out_ << " name=" << c.name << '\n';
        list("arg", c.args);
        break;
      }
      case Kind::PrintCall: {
        auto& p = static_cast<const PrintCall&>(n);
        out_ << " function=" << printKindName(p.printKind)
             << " formatOrDelimiter=" << str(p.formatOrDelimiter) << '\n';
        node("histogram", p.histogram);
        list("arg", p.args);
        break;
      }
      case Kind::Unary: {
        auto& u = static_cast<const Unary&>(n);
        out_ << " op=" << unaryOpSpelling(u.op) << '\n';
        node("operand", u.operand);
        break;
      }
      case Kind::IncDec: {
        auto& i = static_cast<const IncDec&>(n);
        out_ << " op=" << (i.increment ? "++" : "--") << " prefix=" << flag(i.prefix) << '\n';
        node("operand", i.operand);
        break;
      }
      case Kind::Binary: {
        auto& b = static_cast<const Binary&>(n);
        out_ << " op=" << binaryOpSpelling(b.op) << '\n';
        node("left", b.left);
        node("right", b.right);
        break;
      }
      case Kind::RegexMatch: {
        auto& r = static_cast<const RegexMatch&>(n);
        out_ << " negated=" << flag(r.negated) << " pattern=" << str(r.pattern) << '\n';
        node("subject", r.subject);
        break;
      }
      case Kind::Ternary: {
        auto& t = static_cast<const Ternary&>(n);
        out_ << '\n';
        node("cond", t.cond);
        node("then", t.thenExpr);
        node("else", t.elseExpr);
        break;
      }
      case Kind::Assignment: {
        auto& a = static_cast<const Assignment&>(n);
        out_ << " op=" << assignOpSpelling(a.op) << '\n';
        node("target", a.target);
        node("value", a.value);
        break;
      }
      case Kind::ArrayIn:
        out_ << '\n';
        node("element", static_cast<const ArrayIn&>(n).element);
        break;
      case Kind::StatOp: {
        auto& s = static_cast<const StatOp&>(n);
        out_ << " stat=" << statKindSpelling(s.stat);
        for (int64_t p : s.params) out_ << " param=" << p;
        out_ << '\n';
        node("operand", s.operand);
        break;
      }
      case Kind::Histogram: {
        auto& h = static_cast<const Histogram&>(n);
        out_ << " kind=" << (h.histKind == HistogramKind::Log ? "log" : "linear")
             << " start=" << h.start << " stop=" << h.stop << " interval=" << h.interval << '\n';
        node("operand", h.operand);
        break;
      }
      case Kind::TargetVariable: {
        auto& t = static_cast<const TargetVariable&>(n);
        out_ << " name=" << t.name;
        targetComponents(t);
        break;
      }
      case Kind::CastOp: {
        auto& c = static_cast<const CastOp&>(n);
        out_ << " typeName=" << str(c.typeName) << " module=" << str(c.module);
        targetComponents(c);
        node("operand", c.operand);
        break;
      }
      case Kind::AtVar: {
        auto& v = static_cast<const AtVar&>(n);
        out_ << " name=" << str(v.name) << " module=" << str(v.module);
        targetComponents(v);
        break;
      }
      case Kind::AutoCast: {
        auto& a = static_cast<const AutoCast&>(n);
        targetComponents(a);
        node("operand", a.operand);
        break;
      }
      case Kind::DefinedOp:
        out_ << '\n';
        node("operand", static_cast<const DefinedOp&>(n).operand);
        break;
      case Kind::EntryOp:
        out_ << '\n';
        node("operand", static_cast<const EntryOp&>(n).operand);
        break;
      case Kind::PerfOp:
        out_ << " counter=" << str(static_cast<const PerfOp&>(n).counter) << '\n';
        break;
      case Kind::ConstOp:
        out_ << " code=" << str(static_cast<const ConstOp&>(n).code) << '\n';
        break;
      case Kind::ProbewriteOp:
        out_ << " name=" << static_cast<const ProbewriteOp&>(n).name << '\n';
        break;
      case Kind::RegisterOp: {
        auto& r = static_cast<const RegisterOp&>(n);
        out_ << " user=" << flag(r.userSpace) << " regno=" << r.regno << '\n';
        break;
      }
      case Kind::DerefOp: {
        auto& d = static_cast<const DerefOp&>(n);
        out_ << " user=" << flag(d.userSpace) << " size=" << d.size << '\n';
        node("address", d.address);
        break;
      }
      case Kind::EmbeddedExpr:
        out_ << " code=" << str(static_cast<const EmbeddedExpr&>(n).code) << '\n';
        break;

      // ---------------------------------------------------------------- statements
      case Kind::Block:
        out_ << '\n';
        list("stmt", static_cast<const Block&>(n).statements);
        break;
      case Kind::ExprStmt:
        out_ << '\n';
        node("expr", static_cast<const ExprStmt&>(n).expr);
        break;
      case Kind::NullStmt:
      case Kind::NextStmt:
      case Kind::BreakStmt:
      case Kind::ContinueStmt:
        out_ << '\n';
        break;
      case Kind::IfStmt: {
        auto& i = static_cast<const IfStmt&>(n);
        out_ << '\n';
        node("cond", i.cond);
        node("then", i.thenStmt);
        node("else", i.elseStmt);
        break;
      }
      case Kind::ForStmt: {
        auto& f = static_cast<const ForStmt&>(n);
        out_ << " while=" << flag(f.isWhile) << '\n';
        node("init", f.init);
        node("cond", f.cond);
        node("step", f.step);
        node("body", f.body);
        break;
      }
      case Kind::ForeachStmt: {
        auto& f = static_cast<const ForeachStmt&>(n);
        out_ << " bracketedKeys=" << flag(f.bracketedKeys) << " sortColumn=" << f.sortColumn
             << " sortDirection=" << f.sortDirection
             << " sortAggregate=" << statKindSpelling(f.sortAggregate) << '\n';
        node("value", f.value);
        list("key", f.keys);
        node("array", f.array);
        list("slice", f.slice);  // null entries are `*`
        node("limit", f.limit);
        node("body", f.body);
        break;
      }
      case Kind::ReturnStmt:
        out_ << '\n';
        node("value", static_cast<const ReturnStmt&>(n).value);
        break;
      case Kind::DeleteStmt:
        out_ << '\n';
        node("target", static_cast<const DeleteStmt&>(n).target);
        break;
      case Kind::LoopStmt: {
        auto& lp = static_cast<const LoopStmt&>(n);
        out_ << " origin=" << lp.origin << " bound=" << lp.bound
             << " exact=" << flag(lp.boundIsExact) << '\n';
        node("body", lp.body);
        node("step", lp.step);
        break;
      }
      case Kind::TryStmt: {
        auto& t = static_cast<const TryStmt&>(n);
        out_ << '\n';
        node("body", t.body);
        node("catchVar", t.catchVar);
        node("handler", t.handler);
        break;
      }

      // ---------------------------------------------------------------- declarations
      case Kind::GlobalDecl: {
        auto& g = static_cast<const GlobalDecl&>(n);
        out_ << " name=" << g.name << " private=" << flag(g.isPrivate) << " wrap=" << flag(g.wrap)
             << " maxEntries=" << g.maxEntries << '\n';
        node("init", g.init);
        break;
      }
      case Kind::FunctionDecl: {
        auto& f = static_cast<const FunctionDecl&>(n);
        out_ << " name=" << f.name << " private=" << flag(f.isPrivate)
             << " returnType=" << declTypeName(f.returnType);
        if (f.hasPriority) out_ << " priority=" << f.priority;
        out_ << '\n';
        for (size_t i = 0; i < f.params.size(); ++i) {
          start("param[" + std::to_string(i) + "]");
          out_ << f.params[i].name << " type=" << declTypeName(f.params[i].type) << '\n';
        }
        node("body", f.body);
        node("embedded", f.embedded);
        break;
      }
      case Kind::ProbePoint: {
        auto& p = static_cast<const ProbePoint&>(n);
        out_ << " optional=" << flag(p.optional) << " sufficient=" << flag(p.sufficient) << '\n';
        for (size_t i = 0; i < p.components.size(); ++i) {
          start("component[" + std::to_string(i) + "]");
          out_ << p.components[i].name << '\n';
          if (p.components[i].arg) {
            ++depth_;
            node("arg", p.components[i].arg);
            --depth_;
          }
        }
        node("condition", p.condition);
        break;
      }
      case Kind::ProbeDecl: {
        auto& p = static_cast<const ProbeDecl&>(n);
        out_ << '\n';
        list("point", p.points);
        node("body", p.body);
        break;
      }
      case Kind::ProbeAliasDecl: {
        auto& a = static_cast<const ProbeAliasDecl&>(n);
        out_ << " epilogueStyle=" << flag(a.epilogueStyle) << '\n';
        list("name", a.names);
        list("point", a.points);
        node("body", a.body);
        node("epilogue", a.epilogue);
        break;
      }
      case Kind::EmbeddedCode:
        out_ << " code=" << str(static_cast<const EmbeddedCode&>(n).code) << '\n';
        break;
      case Kind::Script:
        out_ << '\n';
        list("decl", static_cast<const Script&>(n).decls);
        break;
    }
  }

  std::ostream& out_;
  int depth_ = 0;
};

}  // namespace

void dump(std::ostream& out, const Node& node) { Dumper(out).node("", &node); }

std::string dump(const Node& node) {
  std::ostringstream out;
  dump(out, node);
  return out.str();
}

}  // namespace stp2bpf::ast
