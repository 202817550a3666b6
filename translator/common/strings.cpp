#include "common/strings.h"

#include <cstdio>

namespace stp2bpf {

namespace {
bool isOctal(char c) { return c >= '0' && c <= '7'; }
int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::string decodeStringEscapes(std::string_view raw) {
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c != '\\' || i + 1 >= raw.size()) {
      out += c;
      continue;
    }
    char e = raw[++i];
    switch (e) {
      case 'a': out += '\a'; break;
      case 'b': out += '\b'; break;
      case 't': out += '\t'; break;
      case 'n': out += '\n'; break;
      case 'v': out += '\v'; break;
      case 'f': out += '\f'; break;
      case 'r': out += '\r'; break;
      case 'x': {
        int value = 0, digits = 0;
        while (digits < 2 && i + 1 < raw.size() && hexValue(raw[i + 1]) >= 0) {
          value = value * 16 + hexValue(raw[++i]);
          ++digits;
        }
        out += digits ? static_cast<char>(value) : 'x';
        break;
      }
      default:
        if (isOctal(e)) {
          int value = e - '0', digits = 1;
          while (digits < 3 && i + 1 < raw.size() && isOctal(raw[i + 1])) {
            value = value * 8 + (raw[++i] - '0');
            ++digits;
          }
          out += static_cast<char>(value & 0xff);
        } else {
          out += e;  // `\\`, `\"` and unknown escapes: the character itself
        }
    }
  }
  return out;
}

std::string quoteString(std::string_view value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      case '\a': out += "\\a"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\v': out += "\\v"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\%03o", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace stp2bpf
