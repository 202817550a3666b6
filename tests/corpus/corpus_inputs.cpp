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

bool startsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
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

bool shellWords(const std::string& line, std::vector<std::string>& words, std::string& error,
                const std::string& shellPid) {
  words.clear();
  std::string word;
  bool inWord = false;
  // `$$` and the unsupported `$NAME` forms; `i` points at the '$'.
  auto dollar = [&](size_t& i) {
    if (i + 1 < line.size() && line[i + 1] == '$') {
      word += shellPid;
      ++i;
      return true;
    }
    if (i + 1 < line.size() && (std::isalnum(static_cast<unsigned char>(line[i + 1])) ||
                                line[i + 1] == '_' || line[i + 1] == '{' || line[i + 1] == '(')) {
      error = "unsupported shell expansion at column " + std::to_string(i + 1) + " of: " + line;
      return false;
    }
    word += '$';
    return true;
  };
  for (size_t i = 0; i < line.size(); ++i) {
    char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (inWord) words.push_back(word);
      word.clear();
      inWord = false;
      continue;
    }
    inWord = true;
    if (c == '\'') {
      size_t end = line.find('\'', i + 1);
      if (end == std::string::npos) {
        error = "unterminated ' in: " + line;
        return false;
      }
      word += line.substr(i + 1, end - i - 1);
      i = end;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < line.size() && line[j] != '"'; ++j) {
        if (line[j] == '\\' && j + 1 < line.size() &&
            std::string("\"\\$`").find(line[j + 1]) != std::string::npos) {
          word += line[++j];
        } else if (line[j] == '$') {
          if (!dollar(j)) return false;
        } else {
          word += line[j];
        }
      }
      if (j >= line.size()) {
        error = "unterminated \" in: " + line;
        return false;
      }
      i = j;
    } else if (c == '`') {
      size_t end = line.find('`', i + 1);
      if (end == std::string::npos) {
        error = "unterminated ` in: " + line;
        return false;
      }
      word += line.substr(i, end - i + 1);  // kept as written: it cannot be run here
      i = end;
    } else if (c == '\\' && i + 1 < line.size()) {
      word += line[++i];
    } else if (c == '$') {
      if (!dollar(i)) return false;
    } else {
      word += c;
    }
  }
  if (inWord) words.push_back(word);
  return true;
}

bool parseStapCommand(const std::string& line, StapCommand& out, std::string& error) {
  out = StapCommand{};
  std::vector<std::string> words;
  if (!shellWords(line, words, error)) return false;
  if (words.empty() || words[0] != "stap") {
    error = "not a stap command: " + line;
    return false;
  }
  // stap 4.8's short options (`stap --help`): these take a value, attached (`-p4`,
  // `-Itapset/`) or as the next word (`-c CMD`); the others are flags.
  const std::string withValue = "pIDBGRrmoEcxSdTelLsa";
  const std::string flags = "hVvktuwWgPbFqi";
  // Long options that take the next word as their value (the others use `=`).
  const std::set<std::string> longWithValue = {"--modinfo", "--vp", "--remote"};
  bool optionsEnded = false;
  bool haveScript = false;
  for (size_t i = 1; i < words.size(); ++i) {
    const std::string& w = words[i];
    if (!optionsEnded && w == "--") {
      optionsEnded = true;
      continue;
    }
    if (!optionsEnded && w.size() > 1 && w[0] == '-') {
      if (startsWith(w, "--")) {
        if (w.find('=') == std::string::npos && longWithValue.count(w)) ++i;
        continue;
      }
      for (size_t j = 1; j < w.size(); ++j) {
        char opt = w[j];
        if (withValue.find(opt) != std::string::npos) {
          std::string value;
          if (j + 1 < w.size()) {
            value = w.substr(j + 1);
          } else if (i + 1 < words.size()) {
            value = words[++i];
          } else {
            error = std::string("option -") + opt + " needs a value in: " + line;
            return false;
          }
          if (opt == 'I') out.includeDirs.push_back(value);
          break;
        }
        if (flags.find(opt) == std::string::npos) {
          error = std::string("unknown stap option -") + opt + " in: " + line;
          return false;
        }
        if (opt == 'g') out.guru = true;
      }
      continue;
    }
    if (!haveScript) {
      out.script = w;
      haveScript = true;
    } else {
      out.args.push_back(w);
    }
  }
  if (!haveScript) {
    error = "no script in: " + line;
    return false;
  }
  return true;
}

std::string metaTestCheck(const std::string& metaPath) {
  std::ifstream in(metaPath);
  std::string line;
  const std::string key = "test_check:";
  while (std::getline(in, line)) {
    if (!startsWith(line, key)) continue;
    std::string command = line.substr(key.size());
    size_t first = command.find_first_not_of(" \t");
    size_t last = command.find_last_not_of(" \t\r");
    return first == std::string::npos ? "" : command.substr(first, last - first + 1);
  }
  return "";
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
    fs::path script(in.path);
    fs::path dir = script.parent_path();
    fs::path meta = dir / (script.stem().string() + ".meta");
    std::string command = fs::exists(meta) ? metaTestCheck(meta.string()) : "";
    bool usable = false;
    if (!command.empty()) {
      StapCommand cmd;
      std::string error;
      if (!parseStapCommand(command, cmd, error)) {
        problems.push_back(in.name + ": " + meta.filename().string() + ": " + error);
      } else if (cmd.script != script.filename().string()) {
        problems.push_back(in.name + ": " + meta.filename().string() + " runs '" + cmd.script +
                           "', not this script");
      } else {
        usable = std::none_of(cmd.args.begin(), cmd.args.end(), [](const std::string& a) {
          return a.find('`') != std::string::npos;  // a command substitution we cannot run
        });
        in.args = cmd.args;
        in.guru = cmd.guru;
        for (const std::string& d : cmd.includeDirs)
          in.includeDirs.push_back(fs::weakly_canonical(dir / d).string());
        in.argsFrom = meta.filename().string() + " test_check: " + command;
      }
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
