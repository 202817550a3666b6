#include "driver/stap_command.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <set>

namespace stp2bpf::driver {

namespace fs = std::filesystem;

namespace {

bool startsWith(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

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

MetaCommand metaCommandFor(const std::string& scriptPath) {
  MetaCommand meta;
  fs::path script(scriptPath);
  fs::path dir = script.parent_path();
  fs::path metaPath = dir / (script.stem().string() + ".meta");
  if (!fs::exists(metaPath)) return meta;
  meta.metaName = metaPath.filename().string();
  meta.command = metaTestCheck(metaPath.string());
  if (meta.command.empty()) return meta;
  StapCommand cmd;
  std::string error;
  if (!parseStapCommand(meta.command, cmd, error)) {
    meta.problem = meta.metaName + ": " + error;
    return meta;
  }
  if (cmd.script != script.filename().string()) {
    meta.problem = meta.metaName + " runs '" + cmd.script + "', not this script";
    return meta;
  }
  meta.parsed = true;
  meta.args = cmd.args;
  meta.guru = cmd.guru;
  for (const std::string& d : cmd.includeDirs)
    meta.includeDirs.push_back(fs::weakly_canonical(dir / d).string());
  for (const std::string& a : cmd.args)
    if (a.find('`') != std::string::npos) {
      meta.problem = meta.metaName + ": an argument is a command substitution, which cannot be run here: " + a;
      return meta;
    }
  meta.usable = true;
  return meta;
}

}  // namespace stp2bpf::driver
