// Source files and source locations.
//
// Every AST node and every diagnostic carries a SourceLocation.  Files are owned by a
// SourceManager and never move, so locations can hold plain pointers to them.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace stp2bpf {

class SourceFile {
 public:
  SourceFile(std::string name, std::string text);

  const std::string& name() const { return name_; }
  const std::string& text() const { return text_; }

  // 1-based line number of a byte offset, and the text of a 1-based line without its
  // line terminator.
  uint32_t lineOf(size_t offset) const;
  std::string_view lineText(uint32_t line) const;
  uint32_t lineCount() const { return static_cast<uint32_t>(lineStarts_.size()); }

 private:
  std::string name_;
  std::string text_;
  std::vector<size_t> lineStarts_;
};

struct MacroExpansion;

// A half-open range of source text: [line:column, endLine:endColumn).  Lines and columns
// are 1-based; columns count characters (UTF-8 code points; a tab is one column).
struct SourceLocation {
  const SourceFile* file = nullptr;
  uint32_t line = 0;
  uint32_t column = 0;
  uint32_t endLine = 0;
  uint32_t endColumn = 0;
  // Set when the text came from a macro body or a script argument: where it was expanded.
  const MacroExpansion* expansion = nullptr;

  bool valid() const { return file != nullptr && line != 0; }
  // "file:line:col"
  std::string str() const;
  // The smallest range covering both.
  static SourceLocation span(const SourceLocation& first, const SourceLocation& last);
};

// Where a macro body or a script argument was substituted, so diagnostics inside the
// expansion can say "expanded from ...".
struct MacroExpansion {
  std::string description;  // e.g. "macro '@foo'" or "script argument $1"
  SourceLocation site;
};

// Owns every source file and expansion record of a translation.
class SourceManager {
 public:
  const SourceFile* addFile(std::string name, std::string text);
  // Reads a file from disk; returns nullptr (and sets `error`) if it cannot be read.
  const SourceFile* loadFile(const std::string& path, std::string& error);
  const MacroExpansion* addExpansion(std::string description, SourceLocation site);

 private:
  std::vector<std::unique_ptr<SourceFile>> files_;
  std::vector<std::unique_ptr<MacroExpansion>> expansions_;
};

}  // namespace stp2bpf
