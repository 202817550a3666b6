#include "common/print_format.h"

#include <algorithm>
#include <cctype>

namespace stp2bpf {

int FormatSpec::argumentCount() const {
  if (conv == Conv::Literal) return 0;
  return 1 + (widthKind == Size::Dynamic) + (precisionKind == Size::Dynamic);
}

namespace {

struct ConversionChar {
  char c;
  FormatSpec::Conv conv;
};
constexpr ConversionChar kConversions[] = {
    {'d', FormatSpec::Conv::SignedDecimal}, {'i', FormatSpec::Conv::SignedDecimal},
    {'u', FormatSpec::Conv::UnsignedDecimal}, {'o', FormatSpec::Conv::Octal},
    {'x', FormatSpec::Conv::HexLower}, {'X', FormatSpec::Conv::HexUpper},
    {'p', FormatSpec::Conv::Pointer}, {'s', FormatSpec::Conv::String},
    {'c', FormatSpec::Conv::Char}, {'b', FormatSpec::Conv::Binary},
    {'m', FormatSpec::Conv::Memory}, {'M', FormatSpec::Conv::MemoryHex},
};

bool lookupConversion(char c, FormatSpec::Conv& out) {
  for (const auto& k : kConversions)
    if (k.c == c) {
      out = k.conv;
      return true;
    }
  return false;
}

char conversionChar(FormatSpec::Conv conv) {
  for (const auto& k : kConversions)
    if (k.conv == conv) return k.c;
  return '?';
}

}  // namespace

bool parsePrintFormat(const std::string& format, std::vector<FormatSpec>& out,
                      FormatParseError& error) {
  out.clear();
  FormatSpec literal;
  auto flushLiteral = [&]() {
    if (!literal.literal.empty()) out.push_back(literal);
    literal.literal.clear();
  };
  size_t i = 0;
  const size_t n = format.size();
  while (i < n) {
    if (format[i] != '%') {
      literal.literal += format[i++];
      continue;
    }
    if (i + 1 < n && format[i + 1] == '%') {
      literal.literal += '%';
      i += 2;
      continue;
    }
    size_t start = i++;
    FormatSpec spec;
    auto fail = [&](const std::string& what) {
      // Show the whole bad conversion, e.g. "%lld" rather than "%ll".
      size_t end = i;
      while (end < n && std::isalpha(static_cast<unsigned char>(format[end]))) ++end;
      if (end == i) end = std::min(i + 1, n);
      error.message = what + " '" + format.substr(start, end - start) + "'";
      error.offset = start;
      return false;
    };
    if (i < n) {
      switch (format[i]) {
        case '-': spec.left = true; ++i; break;
        case '+': spec.plus = true; ++i; break;
        case ' ': spec.space = true; ++i; break;
        case '#': spec.alternate = true; ++i; break;
        case '0': spec.zeroPad = true; ++i; break;
        default: break;
      }
    }
    if (i < n && format[i] == '*') {
      spec.widthKind = FormatSpec::Size::Dynamic;
      ++i;
    } else if (i < n && std::isdigit(static_cast<unsigned char>(format[i]))) {
      spec.widthKind = FormatSpec::Size::Static;
      while (i < n && std::isdigit(static_cast<unsigned char>(format[i])))
        spec.width = spec.width * 10 + (format[i++] - '0');
    }
    if (i < n && format[i] == '.') {
      ++i;
      if (i < n && format[i] == '*') {
        spec.precisionKind = FormatSpec::Size::Dynamic;
        ++i;
      } else if (i < n && std::isdigit(static_cast<unsigned char>(format[i]))) {
        spec.precisionKind = FormatSpec::Size::Static;
        while (i < n && std::isdigit(static_cast<unsigned char>(format[i])))
          spec.precision = spec.precision * 10 + (format[i++] - '0');
      }
    }
    if (i < n && format[i] == 'l') ++i;  // `%ld`: values are 64-bit anyway
    if (i >= n) {
      i = n;
      return fail("incomplete conversion at the end of the format:");
    }
    if (!lookupConversion(format[i], spec.conv))
      return fail("invalid printf conversion");
    ++i;
    flushLiteral();
    out.push_back(spec);
  }
  flushLiteral();
  return true;
}

std::string formatToString(const std::vector<FormatSpec>& specs) {
  std::string out;
  for (const FormatSpec& s : specs) {
    if (s.conv == FormatSpec::Conv::Literal) {
      for (char c : s.literal) {
        if (c == '%') out += '%';
        out += c;
      }
      continue;
    }
    out += '%';
    if (s.left) out += '-';
    if (s.plus) out += '+';
    if (s.space) out += ' ';
    if (s.alternate) out += '#';
    if (s.zeroPad) out += '0';
    if (s.widthKind == FormatSpec::Size::Dynamic) out += '*';
    if (s.widthKind == FormatSpec::Size::Static) out += std::to_string(s.width);
    if (s.precisionKind == FormatSpec::Size::Dynamic) out += ".*";
    if (s.precisionKind == FormatSpec::Size::Static) out += "." + std::to_string(s.precision);
    out += conversionChar(s.conv);
  }
  return out;
}

}  // namespace stp2bpf
