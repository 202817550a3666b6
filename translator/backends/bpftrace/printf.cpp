#include "backends/bpftrace/printf.h"

#include <cstdio>

namespace stp2bpf::backends::bpftrace {

namespace {

using C = FormatSpec::Conv;

// Width and precision as SystemTap's translator passes them on: a 0 width or precision
// is dropped (staptree.cxx components_to_string writes them only when > 0).
int widthOf(const FormatSpec& s) { return s.widthKind == FormatSpec::Size::Static && s.width > 0 ? s.width : -1; }
int precisionOf(const FormatSpec& s) {
  return s.precisionKind == FormatSpec::Size::Static && s.precision > 0 ? s.precision : -1;
}

std::string num(int v) { return std::to_string(v); }

}  // namespace

std::string digitCount(const std::string& m, int base) {
  // Branch-free, so that the verifier follows one path: for 0 <= m < 2^63 and each power
  // p = base^k (k >= 1) that fits, (m - p) >> 63 (a logical shift in bpftrace) is 1 exactly
  // when m < p; the digit count is the number of powers m reaches, plus one.
  std::string sum;
  unsigned long long p = 1;
  int terms = 0;
  while (p <= 0x7fffffffffffffffULL / static_cast<unsigned long long>(base)) {
    p *= static_cast<unsigned long long>(base);
    sum += " - ((" + m + " - " + std::to_string(p) + ") >> 63)";
    ++terms;
  }
  // A negative m is an unsigned value of 2^63 or more.
  std::string top;
  if (base == 10) top = "(" + m + " >= -8446744073709551616 ? 20 : 19)";  // 10^19 as int64
  else if (base == 16) top = "16";
  else top = "22";
  return "(" + m + " < 0 ? " + top + " : " + num(terms + 1) + sum + ")";
}

std::string literalFormat(const std::string& text, std::vector<std::string>& args) {
  std::string out;
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '%':
        out += "%c";
        args.push_back("37");
        break;
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

bool translateConversion(const FormatSpec& s, ConversionText& out, std::string& why) {
  out = ConversionText{};
  if (s.widthKind == FormatSpec::Size::Dynamic || s.precisionKind == FormatSpec::Size::Dynamic) {
    why = "a '*' width or precision in printf (bpftrace 0.17's printf lacks it)";
    return false;
  }
  const int w = widthOf(s), p = precisionOf(s);
  auto sizes = [&](int width, int precision) {
    std::string t;
    if (width > 0) t += num(width);
    if (precision > 0) t += "." + num(precision);
    return t;
  };
  switch (s.conv) {
    case C::String:
      out.format = "%" + std::string(s.left ? "-" : "") + sizes(w, p) + "s";
      out.args = {"$V"};
      return true;
    case C::Char:
      if (s.alternate) {
        why = "the '#' flag on %c (escaped characters; bpftrace 0.17 cannot build them)";
        return false;
      }
      out.format = "%" + std::string(s.left ? "-" : "") + sizes(w, -1) + "c";
      out.args = {"$V"};
      return true;
    case C::Binary:
    case C::Memory:
    case C::MemoryHex:
      why = "the printf conversions %b, %m and %M (bpftrace 0.17's printf lacks them)";
      return false;
    default: break;
  }

  int base = 10;
  std::string letter;  // for the plain form
  std::string unsignedLetter;
  switch (s.conv) {
    case C::SignedDecimal: letter = "ld"; unsignedLetter = "lu"; break;
    case C::UnsignedDecimal: letter = unsignedLetter = "lu"; break;
    case C::Octal: base = 8; letter = unsignedLetter = "lo"; break;
    case C::HexLower: case C::Pointer: base = 16; letter = unsignedLetter = "lx"; break;
    case C::HexUpper: base = 16; letter = unsignedLetter = "lX"; break;
    default: why = "this printf conversion"; return false;
  }
  // The prefix number() puts before the digits: a sign ('+'/' ' flags, STP_SIGN only for
  // %d), or "0"/"0x"/"0X" for '#' on %o/%x/%X and for %p (STP_SPECIAL).
  bool signPrefix = s.conv == C::SignedDecimal && (s.plus || s.space);
  std::string fixedPrefix;
  if (s.conv == C::Pointer || (s.alternate && base == 16)) fixedPrefix = s.conv == C::HexUpper ? "0X" : "0x";
  else if (s.alternate && base == 8) fixedPrefix = "0";

  if (!signPrefix && fixedPrefix.empty()) {
    if (s.zeroPad && !s.left && p > 0) {
      // number(): zeros to the width and to the precision (C drops '0' here).
      out.format = "%" + (w > p ? "0" + num(w) : "." + num(p)) + letter;
    } else {
      out.format = "%" + std::string(s.left ? "-" : s.zeroPad ? "0" : "") + sizes(w, p) + letter;
    }
    out.args = {"$V"};
    return true;
  }

  // The prefix, then the magnitude unsigned.
  int prefixLen = signPrefix ? 1 : static_cast<int>(fixedPrefix.size());
  std::string prefixFormat;
  out.magnitude = "$V";
  std::vector<std::string> prefixArgs;
  if (signPrefix) {
    prefixFormat = "%c";
    prefixArgs.push_back(std::string("($V < 0 ? 45 : ") + (s.plus ? "43" : "32") + ")");  // '-', '+', ' '
    out.magnitude = "($V < 0 ? -$V : $V)";
    out.valueReused = true;
  } else {
    prefixFormat = fixedPrefix;
  }
  int rest = w > 0 ? w - prefixLen : -1;  // the width left for the digits
  if (s.left) {
    out.format = prefixFormat + "%-" + sizes(rest, p) + unsignedLetter;
  } else if (s.zeroPad) {
    int n = std::max(rest, p);
    out.format = prefixFormat + "%" + (n > 0 ? "0" + num(n) : "") + unsignedLetter;
  } else if (rest > 0) {
    // Blanks in front of the prefix: rest - max(precision, digits) of them.
    if (rest > kMaxSpaces) {
      why = "a printf width over " + num(kMaxSpaces) + " with a sign or '#' prefix";
      return false;
    }
    std::string digits = digitCount(out.magnitude == "$V" ? "$V" : "$M", base);
    if (p > 0) digits = "(" + digits + " > " + num(p) + " ? " + digits + " : " + num(p) + ")";
    out.pad = num(rest) + " - " + digits;
    out.format = "%s" + prefixFormat + "%" + sizes(-1, p) + unsignedLetter;
    out.args.push_back("$SPACES[$PAD]");
    out.needsSpaces = true;
    out.valueReused = true;
  } else {
    out.format = prefixFormat + "%" + sizes(-1, p) + unsignedLetter;
  }
  out.args.insert(out.args.end(), prefixArgs.begin(), prefixArgs.end());
  out.args.push_back(out.magnitude == "$V" ? "$V" : "$M");
  return true;
}

}  // namespace stp2bpf::backends::bpftrace
