#include "common/diagnostics.h"

#include <vector>

#include <algorithm>

namespace stp2bpf {

namespace {

const char* severityName(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

const char* severityColour(Severity s) {
  switch (s) {
    case Severity::Error: return "\033[1;31m";
    case Severity::Warning: return "\033[1;35m";
    case Severity::Note: return "\033[1;36m";
  }
  return "";
}

// The source line, then a caret under the first column and '~' under the rest of the
// range on that line.  Tabs in the line are repeated in the marker line so the caret
// lines up whatever the terminal's tab width.
void printSourceExcerpt(std::ostream& out, const SourceLocation& loc, bool colour) {
  if (!loc.valid()) return;
  std::string_view line = loc.file->lineText(loc.line);
  if (line.empty() && loc.column <= 1) return;
  out << line << '\n';
  // Columns count characters (UTF-8 code points, as the lexer does), not bytes.
  std::vector<char> chars;  // per character: '\t' for a tab, else ' '
  for (size_t i = 0; i < line.size(); ++i)
    if ((static_cast<unsigned char>(line[i]) & 0xC0) != 0x80) chars.push_back(line[i] == '\t' ? '\t' : ' ');
  std::string marker;
  uint32_t col = std::max<uint32_t>(loc.column, 1);
  for (uint32_t i = 1; i < col; ++i) marker += i - 1 < chars.size() ? chars[i - 1] : ' ';
  uint32_t endCol = loc.endLine == loc.line ? loc.endColumn
                                            : static_cast<uint32_t>(chars.size()) + 1;
  uint32_t width = endCol > col ? endCol - col : 1;
  if (colour) marker += "\033[1;32m";
  marker += '^';
  for (uint32_t i = 1; i < width; ++i) marker += '~';
  if (colour) marker += "\033[0m";
  out << marker << '\n';
}

}  // namespace

Diagnostic& Diagnostics::error(const SourceLocation& loc, std::string message) {
  ++errors_;
  diagnostics_.push_back(Diagnostic{Severity::Error, loc, std::move(message), {}});
  return diagnostics_.back();
}

Diagnostic& Diagnostics::warning(const SourceLocation& loc, std::string message) {
  ++warnings_;
  diagnostics_.push_back(Diagnostic{Severity::Warning, loc, std::move(message), {}});
  return diagnostics_.back();
}

void Diagnostics::note(Diagnostic& to, const SourceLocation& loc, std::string message) {
  to.notes.push_back(Diagnostic{Severity::Note, loc, std::move(message), {}});
}

void Diagnostics::clear() {
  diagnostics_.clear();
  errors_ = warnings_ = 0;
}

void Diagnostics::printOne(std::ostream& out, const Diagnostic& d, bool colour) {
  if (colour) out << "\033[1m";
  if (d.location.valid()) out << d.location.str() << ": ";
  if (colour) out << severityColour(d.severity);
  out << severityName(d.severity) << ": ";
  if (colour) out << "\033[0m\033[1m";
  out << d.message;
  if (colour) out << "\033[0m";
  out << '\n';
  printSourceExcerpt(out, d.location, colour);
  // Expansion chain: where the macro body or script argument was used.
  for (const MacroExpansion* e = d.location.expansion; e; e = e->site.expansion) {
    Diagnostic n{Severity::Note, e->site, "expanded from " + e->description, {}};
    n.location.expansion = nullptr;
    printOne(out, n, colour);
  }
  for (const Diagnostic& n : d.notes) printOne(out, n, colour);
}

void Diagnostics::print(std::ostream& out, bool colour) const {
  for (const Diagnostic& d : diagnostics_) printOne(out, d, colour);
}

}  // namespace stp2bpf
