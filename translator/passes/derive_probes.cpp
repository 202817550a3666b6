// Derives the probes of the program: every probe point of every probe declaration is
// expanded through probe aliases (the user's, the -I tapsets', the bundled tapset's, then
// SystemTap's library) down to a built-in probe family, and becomes one DerivedProbe with
// its own copy of the body: alias prologues (innermost alias first), the user's body,
// then alias epilogues.  `?` drops a point that cannot be resolved; `!` stops at the first
// point of a list that resolves.
#include <fnmatch.h>

#include <algorithm>
#include <set>

#include "ast/clone.h"
#include "ast/rewriter.h"
#include "passes/derive.h"
#include "passes/pass_manager.h"
#include "tapset/probe_points.h"

namespace stp2bpf::passes {

namespace {

using namespace ast;
using sema::AttachPoint;
using sema::DerivedProbe;

constexpr int kMaxAliasDepth = 64;

struct Expansion {
  AttachPoint point;
  std::vector<const Block*> pre, post;
  std::vector<std::string> chain;
};

enum class Outcome { Resolved, Failed };

bool componentMatches(const ProbeComponent& user, const ProbeComponent& alias) {
  if (fnmatch(user.name.c_str(), alias.name.c_str(), 0) != 0) return false;
  if (!user.arg && !alias.arg) return true;
  if (!user.arg || !alias.arg) return false;
  auto* un = as<NumberLiteral>(user.arg);
  auto* an = as<NumberLiteral>(alias.arg);
  if (un && an) return un->value == an->value;
  auto* us = as<StringLiteral>(user.arg);
  auto* as_ = as<StringLiteral>(alias.arg);
  return us && as_ && fnmatch(us->value.c_str(), as_->value.c_str(), 0) == 0;
}

class Deriver {
 public:
  explicit Deriver(PassContext& ctx) : ctx_(ctx) {
    if (ctx.userScript)
      for (Decl* d : ctx.userScript->decls)
        if (auto* a = as<ProbeAliasDecl>(d))
          for (ProbePoint* n : a->names)
            if (!n->components.empty()) userAliases_[n->components[0].name].push_back(a);
  }

  void derive(const Decl* decl, const std::vector<ProbePoint*>& points, const Block* body,
              bool fromTapset) {
    bool stopped = false;
    for (const ProbePoint* pp : points) {
      if (stopped) break;
      std::vector<Expansion> found;
      std::string error;
      Outcome o = expand(*pp, 0, {}, found, error);
      if (o == Outcome::Failed) {
        if (!pp->optional)
          ctx_.diags.error(pp->loc, "cannot resolve probe point '" + tapset::probePointText(*pp) +
                                        "': " + error);
        continue;
      }
      for (Expansion& e : found) addProbe(decl, *pp, body, e, fromTapset);
      if (pp->sufficient && !found.empty()) stopped = true;
    }
  }

 private:
  // Expands one probe point into attach points, following aliases.
  Outcome expand(const ProbePoint& pp, int depth, std::vector<std::string> chain,
                 std::vector<Expansion>& out, std::string& error) {
    std::string text = tapset::probePointText(pp);
    if (depth > kMaxAliasDepth) {
      error = "probe alias expansion of '" + text + "' does not terminate (recursive alias?)";
      return Outcome::Failed;
    }
    if (pp.components.empty()) {
      error = "empty probe point";
      return Outcome::Failed;
    }
    const std::string& first = pp.components[0].name;

    // Aliases: the user's script first, then the tapset tiers.
    std::vector<ProbeAliasDecl*> candidates;
    auto user = userAliases_.find(first);
    if (user != userAliases_.end()) candidates = user->second;
    bool hasWildcard = first.find_first_of("*?[") != std::string::npos;
    if (hasWildcard) {
      error = "a wildcard in the first component of a probe point ('" + text + "') is not supported";
      return Outcome::Failed;
    }
    // Synthesized aliases (syscall.* from the syscall tracepoints) come before the tapset
    // library, whose versions need debuginfo or kprobes.
    // Exact alias matches win; then the built-in families; only then aliases that match a
    // prefix of the point (the rest is pushed onto the alias's points, e.g. `.return`).
    std::vector<std::pair<ProbeAliasDecl*, size_t>> matches;
    // The built-in families no tapset alias extends (checked against SystemTap 4.8's
    // library, where `timer.profile` is an alias, so timer is not one of them) skip the
    // library: looking there would index every tapset file, most of a small script's
    // start-up.
    static const std::set<std::string> kBuiltinOnly = {"begin",  "end",    "error",   "never", "kernel",
                                                       "kprobe", "module", "process", "procfs"};
    bool builtinOnly = kBuiltinOnly.count(first) > 0;
    std::vector<std::vector<ProbeAliasDecl*>> tiers = {candidates};
    if (!builtinOnly) {
      tiers.push_back(synthesizeAliases(ctx_, pp));
      tiers.push_back(ctx_.library.aliases(first));
    }
    for (const auto& tier : tiers)
      if (matches.empty()) matches = matchAliases(pp, tier, /*exact=*/true);
    std::vector<AttachPoint> builtinPoints;
    std::string builtinError;
    tapset::MatchResult builtin = tapset::MatchResult::Unknown;
    if (matches.empty()) {
      builtin = tapset::mapProbePoint(pp, ctx_.kernel, builtinPoints, builtinError);
      if (builtin == tapset::MatchResult::Unknown)
        for (const auto& tier : tiers)
          if (matches.empty()) matches = matchAliases(pp, tier, /*exact=*/false);
    }

    if (!matches.empty()) {
      size_t before = out.size();
      std::string lastError;
      for (auto [alias, nameLen] : matches) {
        // An alias that (indirectly) expands to itself is a cycle: skip it.
        if (std::find(active_.begin(), active_.end(), alias) != active_.end()) {
          lastError = "probe alias '" + tapset::probePointText(*alias->names[0]) + "' expands to itself";
          continue;
        }
        active_.push_back(alias);
        if (ast::Script* file = ctx_.library.fileOf(alias)) ctx_.library.markUsed(file);
        std::vector<std::string> sub = chain;
        sub.push_back(tapset::probePointText(*alias->names[0]));
        bool stopped = false;
        for (const ProbePoint* q : alias->points) {
          if (stopped) break;
          ProbePoint* target = clone(ctx_.ast, q);
          for (size_t i = nameLen; i < pp.components.size(); ++i)
            target->components.push_back(pp.components[i]);
          std::vector<Expansion> inner;
          std::string innerError;
          if (expand(*target, depth + 1, sub, inner, innerError) == Outcome::Failed) {
            if (!q->optional) lastError = innerError;
            continue;
          }
          for (Expansion& e : inner) {
            if (alias->epilogueStyle) {
              e.post.insert(e.post.begin(), alias->body);
            } else {
              e.pre.push_back(alias->body);
              if (alias->epilogue) e.post.insert(e.post.begin(), alias->epilogue);
            }
            out.push_back(std::move(e));
          }
          if (q->sufficient && !inner.empty()) stopped = true;
        }
        active_.pop_back();
      }
      if (out.size() == before) {
        // Report the innermost reason; the caller names the user's point.
        error = lastError.empty() ? "no point of alias '" + text + "' resolves here" : lastError;
        return Outcome::Failed;
      }
      return Outcome::Resolved;
    }

    error = builtinError;
    switch (builtin) {
      case tapset::MatchResult::Matched:
        for (AttachPoint& p : builtinPoints) {
          Expansion e;
          e.point = p;
          e.chain = chain;
          out.push_back(std::move(e));
        }
        return Outcome::Resolved;
      case tapset::MatchResult::NotFound:
      case tapset::MatchResult::Invalid:
        if (depth > 0) error = "'" + text + "': " + error;
        return Outcome::Failed;
      case tapset::MatchResult::Unknown:
        error = depth > 0 ? "'" + text + "' is not a known probe point" : "no such probe point or alias";
        return Outcome::Failed;
    }
    return Outcome::Failed;
  }

  // Aliases whose name matches the whole point (`exact`), or a prefix of it (the remaining
  // components are then pushed onto the alias's points).
  std::vector<std::pair<ProbeAliasDecl*, size_t>> matchAliases(
      const ProbePoint& pp, const std::vector<ProbeAliasDecl*>& candidates, bool exactOnly) {
    std::vector<std::pair<ProbeAliasDecl*, size_t>> exact, prefix;
    for (ProbeAliasDecl* a : candidates) {
      for (const ProbePoint* name : a->names) {
        size_t m = name->components.size();
        if (m > pp.components.size()) continue;
        bool ok = true;
        for (size_t i = 0; i < m && ok; ++i)
          ok = componentMatches(pp.components[i], name->components[i]);
        if (!ok) continue;
        (m == pp.components.size() ? exact : prefix).push_back({a, m});
        break;
      }
    }
    return exactOnly ? exact : prefix;
  }

  void addProbe(const Decl* decl, const ProbePoint& userPoint, const Block* body, Expansion& e,
                bool fromTapset) {
    DerivedProbe p;
    p.point = e.point;
    p.point.loc = userPoint.loc;
    p.point.optional = userPoint.optional;
    p.userDecl = decl;
    p.loc = decl->loc;
    p.aliasChain = e.chain;
    p.fromTapset = fromTapset;
    p.condition = userPoint.condition ? clone(ctx_.ast, userPoint.condition) : nullptr;
    auto* combined = ctx_.ast.make<Block>(body->loc);
    for (const Block* pre : e.pre) combined->statements.push_back(clone(ctx_.ast, pre));
    combined->statements.push_back(clone(ctx_.ast, body));
    for (const Block* post : e.post) combined->statements.push_back(clone(ctx_.ast, post));
    foldProbewrite(combined, body);
    if (p.point.kind == sema::ProbeKind::Tracepoint && sema::isReturnPoint(p.point)) {
      // A syscall's return value is `$return` in SystemTap's syscall return probes (they are
      // kretprobes there); its exit tracepoints call the field `ret`.
      struct Rename : Visitor {
        using Visitor::visit;
        void visit(TargetVariable& n) override {
          if (n.name == "$return") n.name = "$ret";
          Visitor::visit(n);
        }
      } rename;
      combined->accept(rename);
    }
    p.body = combined;
    ctx_.program.probes.push_back(std::move(p));
  }

  // @probewrite(v) in an alias (man stap: whether "the probe handler" writes v): 1 if the
  // user's body assigns the variable, else 0.  The tapset's nd_syscall epilogues store
  // written arguments back with guru functions only when this is 1.
  void foldProbewrite(Block* combined, const Block* userBody) {
    struct Writes : Visitor {
      using Visitor::visit;
      std::set<std::string> names;
      void visit(Assignment& n) override {
        if (auto* v = as<Variable>(n.target)) names.insert(v->name);
        Visitor::visit(n);
      }
      void visit(IncDec& n) override {
        if (auto* v = as<Variable>(n.operand)) names.insert(v->name);
        Visitor::visit(n);
      }
    } writes;
    const_cast<Block*>(userBody)->accept(writes);
    struct Fold : ExprRewriter {
      AstContext& ast;
      const std::set<std::string>& written;
      Fold(AstContext& a, const std::set<std::string>& w) : ast(a), written(w) {}
      void rewrite(Expr*& slot) override {
        if (auto* pw = as<ProbewriteOp>(slot)) {
          slot = ast.make<NumberLiteral>(pw->loc, written.count(pw->name) ? 1 : 0);
          return;
        }
        ExprRewriter::rewrite(slot);
      }
    } fold(ctx_.ast, writes.names);
    combined->accept(fold);
  }

  PassContext& ctx_;
  std::map<std::string, std::vector<ProbeAliasDecl*>> userAliases_;
  std::vector<const ProbeAliasDecl*> active_;  // aliases being expanded (cycle detection)
};

}  // namespace

void deriveProbesOf(PassContext& ctx, const ast::Script& script, bool fromTapset) {
  Deriver deriver(ctx);
  for (ast::Decl* d : script.decls)
    if (auto* p = ast::as<ast::ProbeDecl>(d)) deriver.derive(p, p->points, p->body, fromTapset);
}

void deriveProbes(PassContext& ctx) {
  if (!ctx.userScript) return;
  deriveProbesOf(ctx, *ctx.userScript, false);
  bool any = false;
  for (const auto& p : ctx.program.probes)
    if (!p.fromTapset) any = true;
  if (!any && !ctx.diags.hasErrors())
    ctx.diags.error(ctx.userScript->loc, "no probes found: the script must have at least one probe");
}

}  // namespace stp2bpf::passes
