#include "common/source.h"

#include <algorithm>
#include <fstream>
#include <sstream>

namespace stp2bpf {

SourceFile::SourceFile(std::string name, std::string text)
    : name_(std::move(name)), text_(std::move(text)) {
  lineStarts_.push_back(0);
  for (size_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n' && i + 1 < text_.size()) lineStarts_.push_back(i + 1);
}

uint32_t SourceFile::lineOf(size_t offset) const {
  auto it = std::upper_bound(lineStarts_.begin(), lineStarts_.end(), offset);
  return static_cast<uint32_t>(it - lineStarts_.begin());
}

std::string_view SourceFile::lineText(uint32_t line) const {
  if (line == 0 || line > lineStarts_.size()) return {};
  size_t start = lineStarts_[line - 1];
  size_t end = text_.find('\n', start);
  if (end == std::string::npos) end = text_.size();
  if (end > start && text_[end - 1] == '\r') --end;
  return std::string_view(text_).substr(start, end - start);
}

std::string SourceLocation::str() const {
  std::string out = file ? file->name() : std::string("<unknown>");
  out += ':' + std::to_string(line) + ':' + std::to_string(column);
  return out;
}

SourceLocation SourceLocation::span(const SourceLocation& first, const SourceLocation& last) {
  SourceLocation out = first;
  if (last.file == first.file && last.valid() &&
      (last.endLine > first.endLine ||
       (last.endLine == first.endLine && last.endColumn > first.endColumn))) {
    out.endLine = last.endLine;
    out.endColumn = last.endColumn;
  }
  return out;
}

const SourceFile* SourceManager::addFile(std::string name, std::string text) {
  files_.push_back(std::make_unique<SourceFile>(std::move(name), std::move(text)));
  return files_.back().get();
}

const SourceFile* SourceManager::loadFile(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot open '" + path + "'";
    return nullptr;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    error = "cannot read '" + path + "'";
    return nullptr;
  }
  return addFile(path, text.str());
}

const MacroExpansion* SourceManager::addExpansion(std::string description, SourceLocation site) {
  expansions_.push_back(
      std::make_unique<MacroExpansion>(MacroExpansion{std::move(description), site}));
  return expansions_.back().get();
}

}  // namespace stp2bpf
