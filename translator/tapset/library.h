// The tapset files a translation can draw on, in priority order:
//   1. the -I directories (e.g. the stapgames tapset), parsed up front;
//   2. stp2bpf's bundled tapset (tapset/bundled/*.stp, built into the binary): aliases
//      that reach probe points BPF can attach to, replacing SystemTap's debuginfo-based ones;
//   3. SystemTap's installed tapset library, indexed by name and parsed only when one of
//      its functions, globals or probe aliases is needed.
// When any symbol of a tapset file is used, the file's globals and plain probes (such as
// gmtty.stp's `probe begin(-100)`) become part of the program, as in SystemTap.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "ast/context.h"
#include "common/diagnostics.h"
#include "frontend/parser.h"

namespace stp2bpf::tapset {

struct LibraryOptions {
  std::vector<std::string> includeDirs;  // -I
  std::vector<std::string> libraryDirs;  // installed library directories, in search order
  bool useBundled = true;
};

class TapsetLibrary {
 public:
  TapsetLibrary(LibraryOptions options, const frontend::ParseOptions& parse,
                SourceManager& sources, ast::AstContext& ctx, Diagnostics& diags);

  // Alias definitions whose name could match a probe point starting with `first`
  // (the first component), from the highest-priority tier that has any.
  std::vector<ast::ProbeAliasDecl*> aliases(const std::string& first);
  // Function definitions named `name`, from the highest-priority tier that has any.
  std::vector<ast::FunctionDecl*> functions(const std::string& name);
  // A global named `name` from a tapset file, or null.
  ast::GlobalDecl* global(const std::string& name);

  // Parses generated tapset text (e.g. synthesized syscall aliases) and registers it; the
  // same name returns the script parsed the first time.
  ast::Script* addGenerated(const std::string& name, const std::string& text);

  // The tapset file a declaration came from (null for the user's script).
  ast::Script* fileOf(const ast::Node* decl) const;
  // Files whose symbols were used; their plain probes and globals join the program.
  void markUsed(ast::Script* file) { used_.insert(file); }
  const std::set<ast::Script*>& usedFiles() const { return used_; }

 private:
  struct Tier {
    std::vector<ast::Script*> scripts;
    // Lazy tier: name -> file paths mentioning it, and the files parsed so far.
    bool lazy = false;
    bool indexed = false;              // the index is built on the first lookup
    std::vector<std::string> dirs;     // what it indexes
    std::map<std::string, std::vector<std::string>> functionIndex, aliasIndex, globalIndex;
    std::map<std::string, ast::Script*> parsed;
  };
  void loadEager(Tier& tier, const std::vector<std::pair<std::string, std::string>>& files);
  void indexLazy(Tier& tier, const std::vector<std::string>& dirs);
  void buildIndex(Tier& tier);
  ast::Script* parseTapset(const std::string& name, const std::string& text);
  std::vector<ast::Script*> scriptsFor(Tier& tier, const std::map<std::string, std::vector<std::string>>& index,
                                       const std::string& name);
  void registerScript(ast::Script* s);

  LibraryOptions options_;
  frontend::ParseOptions parse_;
  SourceManager& sources_;
  ast::AstContext& ctx_;
  Diagnostics& diags_;
  std::vector<Tier> tiers_;
  std::map<const ast::Node*, ast::Script*> owner_;
  std::set<ast::Script*> used_;
  std::map<std::string, ast::Script*> generated_;
};

// The bundled tapset sources: (file name, text) pairs compiled into the binary.
const std::vector<std::pair<std::string, std::string>>& bundledTapset();

}  // namespace stp2bpf::tapset
