#include "corpus_inputs.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace stp2bpf::corpus {

namespace fs = std::filesystem;

namespace {

// Scripts that need arguments (or guru mode) that no usable `.meta` test_check line gives.
// Keyed by the path under the examples directory.  Keep this small: every entry says why
// its values fit the script.
struct Placeholder {
  std::vector<std::string> args;
  bool guru;
  const char* why;
};
const std::map<std::string, Placeholder>& placeholders() {
  static const std::map<std::string, Placeholder> table = {
      // `probe $1.module("pyexample")...`: $1 is the Python probe provider.  There is no
      // pyexample.meta; general/py3example.meta (name: pyexample.stp) runs
      // `stap -p4 pyexample.stp python3`.
      {"general/pyexample.stp", {{"python3"}, false, "py3example.meta's test_check"}},
      // `probe kernel.data($1).rw`: $1 is a kernel address.  Its test_check computes one
      // with a command substitution (`grep vm_dirty_ratio /proc/kallsyms ...`), which
      // cannot run here; any address of the kernel's text range has the same syntax.
      {"memory/hw_watch_addr.stp", {{"0xffffffff81000000"}, false, "placeholder address"}},
      // `probe process(@1).function(@2).call`: a program and one of its functions.  No .meta.
      {"profiling/graphcall.stp", {{"/bin/ls", "main"}, false, "placeholder program/function"}},
      // Embedded C (`%{ ... %}`); its `#!` line runs `stap -g`.  No .meta.
      {"security-band-aids/cve-2016-0728-templatized.stp", {{}, true, "#! line: stap -g"}},
  };
  return table;
}

}  // namespace

bool readFile(const std::string& path, std::string& text) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buf;
  buf << in.rdbuf();
  text = buf.str();
  return !in.bad();
}

std::vector<Input> exampleInputs(const std::string& examplesDir,
                                 std::vector<std::string>& problems) {
  std::vector<Input> inputs;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(examplesDir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file() || it->path().extension() != ".stp") continue;
    Input in;
    in.path = it->path().string();
    in.name = fs::relative(it->path(), examplesDir).string();
    inputs.push_back(std::move(in));
  }
  if (ec) problems.push_back("cannot list " + examplesDir + ": " + ec.message());
  std::sort(inputs.begin(), inputs.end(),
            [](const Input& a, const Input& b) { return a.path < b.path; });

  std::set<std::string> usedPlaceholders;
  for (Input& in : inputs) {
    fs::path dir = fs::path(in.path).parent_path();
    driver::MetaCommand meta = driver::metaCommandFor(in.path);
    const std::string& command = meta.command;
    bool usable = meta.usable;
    if (meta.parsed) {
      in.args = meta.args;
      in.guru = meta.guru;
      in.includeDirs = meta.includeDirs;
      in.argsFrom = meta.metaName + " test_check: " + command;
    } else if (!command.empty()) {
      problems.push_back(in.name + ": " + meta.problem);
    }
    auto p = placeholders().find(in.name);
    if (p != placeholders().end()) {
      usedPlaceholders.insert(p->first);
      if (usable)
        problems.push_back(in.name + ": has a placeholder entry, but its .meta test_check "
                           "line already gives usable arguments");
      in.args = p->second.args;
      in.guru = p->second.guru;
      in.argsFrom = std::string("placeholder (") + p->second.why + ")";
    } else if (!command.empty() && !usable) {
      problems.push_back(in.name + ": its test_check line cannot be used (" + command +
                         ") and it has no placeholder entry");
    }
    // The stapgames keep their shared functions in a `tapset` directory beside the
    // scripts, which their test_check lines pass with `-Itapset/`.
    fs::path tapset = dir / "tapset";
    if (fs::is_directory(tapset)) {
      std::string t = fs::weakly_canonical(tapset).string();
      if (std::find(in.includeDirs.begin(), in.includeDirs.end(), t) == in.includeDirs.end())
        in.includeDirs.push_back(t);
    }
    // Files in a tapset directory are library files, in which stap allows embedded C.
    if (dir.filename() == "tapset") {
      in.guru = true;
      if (in.argsFrom.empty()) in.argsFrom = "tapset file (guru)";
    }
    if (in.argsFrom.empty()) in.argsFrom = "no .meta test_check line: no arguments";
  }
  for (const auto& [name, entry] : placeholders())
    if (!usedPlaceholders.count(name))
      problems.push_back("placeholder entry for " + name + " matches no example script");
  return inputs;
}

std::vector<Input> tapsetInputs(const std::string& tapsetDir) {
  std::vector<Input> inputs;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(tapsetDir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (!it->is_regular_file()) continue;
    std::string ext = it->path().extension().string();
    if (ext != ".stp" && ext != ".stpm") continue;
    Input in;
    in.path = it->path().string();
    in.name = fs::relative(it->path(), tapsetDir).string();
    in.guru = true;
    in.argsFrom = "tapset library (guru)";
    inputs.push_back(std::move(in));
  }
  std::sort(inputs.begin(), inputs.end(),
            [](const Input& a, const Input& b) { return a.path < b.path; });
  return inputs;
}

}  // namespace stp2bpf::corpus
