#include "backends/bpftrace/printf.h"

#include <cstdio>

namespace stp2bpf::backends::bpftrace {

bool translateConversion(const FormatSpec& s, std::string& out, std::string& why) {
  using C = FormatSpec::Conv;
  if (s.plus || s.space) {
    why = std::string("the printf flag '") + (s.plus ? "+" : " ") + "' (bpftrace 0.17's printf lacks it)";
    return false;
  }
  if (s.widthKind == FormatSpec::Size::Dynamic || s.precisionKind == FormatSpec::Size::Dynamic) {
    why = "a '*' width or precision in printf (bpftrace 0.17's printf lacks it)";
    return false;
  }
  std::string flags;
  if (s.left) flags += '-';
  if (s.zeroPad) flags += '0';
  if (s.widthKind == FormatSpec::Size::Static) flags += std::to_string(s.width);
  if (s.precisionKind == FormatSpec::Size::Static) flags += "." + std::to_string(s.precision);
  std::string prefix;
  switch (s.conv) {
    case C::SignedDecimal: out = "%" + flags + "ld"; break;
    case C::UnsignedDecimal: out = "%" + flags + "lu"; break;
    case C::Octal: out = "%" + flags + "lo"; if (s.alternate) prefix = "0"; break;
    case C::HexLower: out = "%" + flags + "lx"; if (s.alternate) prefix = "0x"; break;
    case C::HexUpper: out = "%" + flags + "lX"; if (s.alternate) prefix = "0X"; break;
    // SystemTap's %p is %#x (runtime/vsprintf.c): "0x" and the hex digits.
    case C::Pointer: out = "%" + flags + "lx"; prefix = "0x"; break;
    case C::String: out = "%" + flags + "s"; break;
    case C::Char: out = "%" + flags + "c"; break;
    default:
      why = "the printf conversions %b, %m and %M (bpftrace 0.17's printf lacks them)";
      return false;
  }
  if (!prefix.empty() && (s.widthKind == FormatSpec::Size::Static)) {
    why = "a width on a '#' or %p conversion (bpftrace 0.17 cannot pad the '0x' prefix)";
    return false;
  }
  out = prefix + out;
  return true;
}

std::string escapeFormat(const std::string& text) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '%': out += "%%"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

}  // namespace stp2bpf::backends::bpftrace
