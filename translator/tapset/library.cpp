#include "tapset/library.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "common/cache_dir.h"
#include "tapset/embedded_c.h"

namespace stp2bpf::tapset {

namespace fs = std::filesystem;

namespace {

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> stpFiles(const std::string& dir) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".stp") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

bool identChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '$'; }

// Cheap textual index of a tapset file: the names after `function`, `probe` and `global`
// keywords.  It only has to find candidate files; parsing decides.
void scanNames(const std::string& text, std::vector<std::string>& functions,
               std::vector<std::string>& aliases, std::vector<std::string>& globals) {
  auto wordAt = [&](size_t i, const char* word) {
    size_t n = std::char_traits<char>::length(word);
    return text.compare(i, n, word) == 0 && (i == 0 || !identChar(text[i - 1])) &&
           i + n < text.size() && std::isspace(static_cast<unsigned char>(text[i + n]));
  };
  auto nameAfter = [&](size_t i) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i]))) ++i;
    size_t start = i;
    while (i < text.size() && identChar(text[i])) ++i;
    return text.substr(start, i - start);
  };
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c != 'f' && c != 'p' && c != 'g') continue;
    // For aliases only the first component matters (`probe syscall.read = ...`).
    if (wordAt(i, "function")) functions.push_back(nameAfter(i + 8));
    else if (wordAt(i, "probe")) aliases.push_back(nameAfter(i + 5));
    else if (wordAt(i, "global")) {
      // `global a, b = 1, c[10]`: index every name on the line.
      size_t end = text.find('\n', i);
      std::string line = text.substr(i + 6, end == std::string::npos ? std::string::npos : end - i - 6);
      std::string cur;
      for (char ch : line + " ") {
        if (identChar(ch)) {
          cur += ch;
        } else {
          if (!cur.empty() && !std::isdigit(static_cast<unsigned char>(cur[0]))) globals.push_back(cur);
          cur.clear();
        }
      }
    }
  }
}

}  // namespace

TapsetLibrary::TapsetLibrary(LibraryOptions options, const frontend::ParseOptions& parse,
                             SourceManager& sources, ast::AstContext& ctx, Diagnostics& diags)
    : options_(std::move(options)), parse_(parse), sources_(sources), ctx_(ctx), diags_(diags) {
  parse_.preprocessor.guru = true;  // tapset files are privileged, as in SystemTap
  parse_.preprocessor.scriptArgs.clear();

  Tier include;
  std::vector<std::pair<std::string, std::string>> files;
  for (const std::string& dir : options_.includeDirs)
    for (const std::string& path : stpFiles(dir)) files.emplace_back(path, readFile(path));
  loadEager(include, files);
  tiers_.push_back(std::move(include));

  Tier bundled;
  if (options_.useBundled) loadEager(bundled, bundledTapset());
  tiers_.push_back(std::move(bundled));

  Tier library;
  indexLazy(library, options_.libraryDirs);
  tiers_.push_back(std::move(library));
}

void TapsetLibrary::registerScript(ast::Script* s) {
  // Embedded-C expressions with a builtin equivalent (tapset/embedded_c.h) become calls.
  replaceKnownEmbeddedExprs(*s, ctx_);
  for (ast::Decl* d : s->decls) owner_[d] = s;
}

ast::Script* TapsetLibrary::parseTapset(const std::string& name, const std::string& text) {
  const SourceFile* file = sources_.addFile(name, text);
  ast::Script* script = frontend::parseFile(*file, parse_, sources_, ctx_, diags_);
  if (script) registerScript(script);
  return script;
}

void TapsetLibrary::loadEager(Tier& tier, const std::vector<std::pair<std::string, std::string>>& files) {
  for (const auto& [name, text] : files)
    if (ast::Script* s = parseTapset(name, text)) tier.scripts.push_back(s);
}

void TapsetLibrary::indexLazy(Tier& tier, const std::vector<std::string>& dirs) {
  tier.lazy = true;
  tier.dirs = dirs;
}

namespace {

// The names of the library files, cached between runs: reading and scanning ~600 files
// (5 MB) is most of a small script's start-up; checking their sizes and times is not.
// The cache is a text file of records `F path mtime size` followed by `f|a|g name` lines.
struct FileNames {
  int64_t mtime = 0, size = 0;
  std::vector<std::string> functions, aliases, globals;
};

std::string indexCachePath() { return cacheDirectory() + "/tapset-index-v1.txt"; }

std::map<std::string, FileNames> readIndexCache() {
  std::map<std::string, FileNames> out;
  std::ifstream in(indexCachePath());
  std::string kind, a;
  FileNames* cur = nullptr;
  while (in >> kind >> a) {
    if (kind == "F") {
      cur = &out[a];
      in >> cur->mtime >> cur->size;
    } else if (cur && kind == "f") {
      cur->functions.push_back(a);
    } else if (cur && kind == "a") {
      cur->aliases.push_back(a);
    } else if (cur && kind == "g") {
      cur->globals.push_back(a);
    }
  }
  return out;
}

void writeIndexCache(const std::map<std::string, FileNames>& files) {
  std::error_code ec;
  fs::create_directories(cacheDirectory(), ec);
  std::string tmp = indexCachePath() + ".tmp" + std::to_string(::getpid());
  {
    std::ofstream out(tmp);
    for (const auto& [path, n] : files) {
      if (path.find_first_of(" \t\n") != std::string::npos) continue;  // not representable; rescanned
      out << "F " << path << " " << n.mtime << " " << n.size << "\n";
      for (const auto& f : n.functions) if (!f.empty()) out << "f " << f << "\n";
      for (const auto& f : n.aliases) if (!f.empty()) out << "a " << f << "\n";
      for (const auto& f : n.globals) if (!f.empty()) out << "g " << f << "\n";
    }
    if (!out) {
      fs::remove(tmp, ec);
      return;
    }
  }
  fs::rename(tmp, indexCachePath(), ec);
  if (ec) fs::remove(tmp, ec);
}

}  // namespace

void TapsetLibrary::buildIndex(Tier& tier) {
  tier.indexed = true;
  std::map<std::string, FileNames> cached = readIndexCache();
  bool changed = false;
  for (const std::string& dir : tier.dirs) {
    for (const std::string& path : stpFiles(dir)) {
      std::error_code ec;
      auto size = static_cast<int64_t>(fs::file_size(path, ec));
      auto mtime = static_cast<int64_t>(fs::last_write_time(path, ec).time_since_epoch().count());
      FileNames& names = cached[path];
      if (names.size != size || names.mtime != mtime || ec) {
        names = FileNames{mtime, size, {}, {}, {}};
        scanNames(readFile(path), names.functions, names.aliases, names.globals);
        changed = true;
      }
      const std::vector<std::string>& fns = names.functions;
      const std::vector<std::string>& aliases = names.aliases;
      const std::vector<std::string>& globals = names.globals;
      // A file names the same first component many times (`probe nfsd.proc.read`,
      // `probe nfsd.proc.write`, ...): list it once, or its aliases would be found as
      // many times and multiply through every level of expansion.
      auto add = [&](std::map<std::string, std::vector<std::string>>& index, const std::string& n) {
        std::vector<std::string>& paths = index[n];
        if (paths.empty() || paths.back() != path) paths.push_back(path);
      };
      for (auto& n : fns) add(tier.functionIndex, n);
      for (auto& n : aliases) add(tier.aliasIndex, n);
      for (auto& n : globals) add(tier.globalIndex, n);
    }
  }
  if (changed) writeIndexCache(cached);
}

std::vector<ast::Script*> TapsetLibrary::scriptsFor(
    Tier& tier, const std::map<std::string, std::vector<std::string>>& index, const std::string& name) {
  if (!tier.lazy) return tier.scripts;
  if (!tier.indexed) buildIndex(tier);
  std::vector<ast::Script*> out;
  auto it = index.find(name);
  if (it == index.end()) return out;
  for (const std::string& path : it->second) {
    auto p = tier.parsed.find(path);
    if (p == tier.parsed.end()) {
      // A library file that does not parse must not stop the translation; it is reported
      // as a warning naming the file.
      Diagnostics local;
      const SourceFile* file = sources_.addFile(path, readFile(path));
      ast::Script* s = frontend::parseFile(*file, parse_, sources_, ctx_, local);
      for (const Diagnostic& d : local.all())
        if (d.severity == Severity::Error) diags_.warning(d.location, "in tapset library: " + d.message);
      if (s && local.hasErrors()) s = nullptr;
      if (s) registerScript(s);
      p = tier.parsed.emplace(path, s).first;
    }
    if (p->second) out.push_back(p->second);
  }
  return out;
}

std::vector<ast::ProbeAliasDecl*> TapsetLibrary::aliases(const std::string& first) {
  for (Tier& tier : tiers_) {
    std::vector<ast::ProbeAliasDecl*> found;
    for (ast::Script* s : scriptsFor(tier, tier.aliasIndex, first))
      for (ast::Decl* d : s->decls)
        if (auto* a = ast::as<ast::ProbeAliasDecl>(d))
          for (ast::ProbePoint* n : a->names)
            if (!n->components.empty() && n->components[0].name == first) {
              found.push_back(a);
              break;
            }
    if (!found.empty()) return found;
  }
  return {};
}

std::vector<ast::FunctionDecl*> TapsetLibrary::functions(const std::string& name) {
  for (Tier& tier : tiers_) {
    std::vector<ast::FunctionDecl*> found;
    for (ast::Script* s : scriptsFor(tier, tier.functionIndex, name))
      for (ast::Decl* d : s->decls)
        if (auto* f = ast::as<ast::FunctionDecl>(d))
          if (f->name == name) found.push_back(f);
    if (!found.empty()) return found;
  }
  return {};
}

ast::GlobalDecl* TapsetLibrary::global(const std::string& name) {
  // Public globals first.  A private global belongs to its file; tapset files name theirs
  // distinctly (`_indent_counters`), so a private one is found by name when no public one
  // exists rather than by tracking which file each piece of a spliced probe body came from.
  ast::GlobalDecl* privateMatch = nullptr;
  for (Tier& tier : tiers_)
    for (ast::Script* s : scriptsFor(tier, tier.globalIndex, name))
      for (ast::Decl* d : s->decls)
        if (auto* g = ast::as<ast::GlobalDecl>(d)) {
          if (g->name != name) continue;
          if (!g->isPrivate) return g;
          if (!privateMatch) privateMatch = g;
        }
  return privateMatch;
}

ast::Script* TapsetLibrary::addGenerated(const std::string& name, const std::string& text) {
  auto it = generated_.find(name);
  if (it == generated_.end()) it = generated_.emplace(name, parseTapset(name, text)).first;
  return it->second;
}

ast::Script* TapsetLibrary::fileOf(const ast::Node* decl) const {
  auto it = owner_.find(decl);
  return it == owner_.end() ? nullptr : it->second;
}

}  // namespace stp2bpf::tapset
