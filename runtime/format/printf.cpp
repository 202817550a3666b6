#include "format/printf.h"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace stp2bpf::runtime::format {

std::string toScriptString(const std::string& raw, int maxStringLen) {
  size_t n = raw.find('\0');
  if (n == std::string::npos) n = raw.size();
  if (maxStringLen > 0) n = std::min(n, static_cast<size_t>(maxStringLen - 1));
  return raw.substr(0, n);
}

namespace {

// vsprintf.h enum print_flag: the flags the generated code passes to number() and the
// _stp_vsprint_* functions.
enum Flag : unsigned {
  kZeroPad = 1,
  kSign = 2,
  kPlus = 4,
  kSpace = 8,
  kLeft = 16,
  kSpecial = 32,  // '#'
  kLarge = 64,    // %X
};

// The output of one printf/sprintf.  SystemTap writes through `str` into a buffer that
// ends at `end` (inclusive); writers either always advance `str` and store only while
// str <= end (number(), _stp_vsprint_char), or stop at the end (the memory and binary
// writers).  In counting mode (the size pass) there is no storage and no end.
class Buffer {
 public:
  static Buffer counting() { return Buffer(); }
  explicit Buffer(int64_t capacity) : counting_(false), end_(capacity - 1) {
    data_.assign(static_cast<size_t>(std::max<int64_t>(capacity, 0)), '\0');
  }

  bool room() const { return pos_ <= end_; }
  // Space left, as the generated code's `end - str + 1` (negative once past the end).
  int64_t remaining() const { return end_ - pos_ + 1; }
  int64_t pos() const { return pos_; }
  int64_t end() const { return end_; }

  // number()/_stp_vsprint_char style: store if there is room, advance anyway.
  void put(char c) {
    if (pos_ <= end_ && !counting_) data_[static_cast<size_t>(pos_)] = c;
    ++pos_;
  }
  // Write `n` bytes at once (the caller checked that they fit).
  void putBytes(const void* p, int n) {
    if (!counting_) std::memcpy(&data_[static_cast<size_t>(pos_)], p, static_cast<size_t>(n));
    pos_ += n;
  }
  std::string take() && { return std::move(data_); }

 private:
  Buffer() : counting_(true), end_(INT64_MAX) {}
  bool counting_;
  int64_t pos_ = 0;
  int64_t end_;
  std::string data_;
};

// clamp_t(int, v, lo, hi): the value is first converted to int (a `*` argument is a long,
// so it is truncated), then clamped; if hi < lo the result is hi.
int clampInt(int64_t v, int lo, int64_t hi) {
  int x = static_cast<int>(static_cast<uint32_t>(static_cast<uint64_t>(v)));
  int h = static_cast<int>(hi);
  return std::min(std::max(x, lo), h);
}

// number(): the digits of `num` in `base` with sign, '#' prefix, precision (minimum
// digits) and width.
void writeNumber(Buffer& b, uint64_t num, int base, int size, int precision, unsigned flags) {
  static const char kSmall[] = "0123456789abcdef";
  static const char kLarge_[] = "0123456789ABCDEF";
  const char* digits = (flags & kLarge) ? kLarge_ : kSmall;
  if (flags & kLeft) flags &= ~kZeroPad;
  char sign = 0;
  if (flags & kSign) {
    if (static_cast<int64_t>(num) < 0) {
      sign = '-';
      num = 0 - num;  // INT64_MIN stays 2^63, printed as its magnitude
      --size;
    } else if (flags & kPlus) {
      sign = '+';
      --size;
    } else if (flags & kSpace) {
      sign = ' ';
      --size;
    }
  }
  int prefix = 0;
  if (flags & kSpecial) prefix = base == 16 ? 2 : base == 8 ? 1 : 0;
  size -= prefix;
  char tmp[66];
  int n = 0;
  do {
    tmp[n++] = digits[num % static_cast<unsigned>(base)];
    num /= static_cast<unsigned>(base);
  } while (num != 0);
  if (precision < n) precision = n;
  size -= precision;
  if (!(flags & (kZeroPad | kLeft)))
    for (; size > 0; --size) b.put(' ');
  if (sign) b.put(sign);
  if (prefix) {
    b.put('0');
    if (base == 16) b.put((flags & kLarge) ? 'X' : 'x');
  }
  if (!(flags & kLeft))
    for (; size > 0; --size) b.put((flags & kZeroPad) ? '0' : ' ');
  for (int z = n; z < precision; ++z) b.put('0');
  while (n > 0) b.put(tmp[--n]);
  for (; size > 0; --size) b.put(' ');
}

// The C escape letter of a byte that '#' escapes with two characters, or 0.
char escapeLetter(unsigned char c) {
  switch (c) {
    case '\a': return 'a';
    case '\b': return 'b';
    case '\f': return 'f';
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    case '\v': return 'v';
    case '\'': return '\'';
    case '\\': return '\\';
    default: return 0;
  }
}

// _stp_vsprint_char_size without the width: 1, or 2/4 for an escaped byte.  The kernel's
// isprint() && isascii() is 0x20..0x7e.
int charSize(unsigned char c, unsigned flags) {
  if (!(flags & kSpecial)) return 1;
  bool plain = c >= 0x20 && c < 0x7f && c != '\'' && c != '\\';
  if (plain) return 1;
  return escapeLetter(c) ? 2 : 4;
}

// _stp_vsprint_char.  The value arrives as a long and is stored in a char: its low byte.
void writeChar(Buffer& b, unsigned char c, int width, unsigned flags) {
  int size = charSize(c, flags);
  int pad = std::max(width - size, 0);
  if (!(flags & kLeft))
    for (int i = 0; i < pad; ++i) b.put(' ');
  if (size == 1) {
    b.put(static_cast<char>(c));
  } else {
    b.put('\\');
    if (char e = escapeLetter(c)) {
      b.put(e);
    } else {
      b.put(static_cast<char>('0' + ((c >> 6) & 3)));
      b.put(static_cast<char>('0' + ((c >> 3) & 7)));
      b.put(static_cast<char>('0' + (c & 7)));
    }
  }
  if (flags & kLeft)
    for (int i = 0; i < pad; ++i) b.put(' ');
}

// `while (have < width-- && str <= end) *str++ = fill;` as in _stp_vsprint_memory and
// _stp_vsprint_binary: width is decremented on every test of the first condition, also
// the failing one, and the loop stops at the end of the buffer.
void padWhileShorter(Buffer& b, int have, int& width, char fill) {
  for (;;) {
    bool shorter = have < width;
    --width;
    if (!shorter || !b.room()) return;
    b.put(fill);
  }
}

// _stp_vsprint_memory: %s (bytes up to NUL, at most `precision`), %m (raw bytes) and %M
// (hex).  Returns false on a read fault (fewer bytes given than %m/%M reads).
bool writeMemory(Buffer& b, const std::string& bytes, int width, int precision, char conv,
                 unsigned flags) {
  int len;
  if (conv == 's') {
    // clamp_t(size_t, precision, 0, STP_BUFFER_SIZE): an absent (-1) precision becomes
    // huge before the clamp, i.e. STP_BUFFER_SIZE.
    size_t limit = precision < 0 ? kStpBufferSize
                                 : std::min<size_t>(static_cast<size_t>(precision), kStpBufferSize);
    len = static_cast<int>(strnlen(bytes.data(), std::min(limit, bytes.size())));
  } else {
    len = precision > 0 ? precision : 1;
  }
  if (!(flags & kLeft)) padWhileShorter(b, conv == 'M' ? len * 2 : len, width, ' ');
  if (conv == 'M') {
    static const char kHex[] = "0123456789abcdef";
    // The hex loop tests str < end (room for both digits), not str <= end.
    for (int i = 0; i < len && b.pos() < b.end(); ++i) {
      if (static_cast<size_t>(i) >= bytes.size()) return false;
      unsigned char c = static_cast<unsigned char>(bytes[static_cast<size_t>(i)]);
      b.put(kHex[c >> 4]);
      b.put(kHex[c & 0xf]);
    }
    len *= 2;
  } else {
    for (int i = 0; i < len && b.room(); ++i) {
      if (static_cast<size_t>(i) >= bytes.size()) return false;  // only %m gets here short
      b.put(bytes[static_cast<size_t>(i)]);
    }
  }
  padWhileShorter(b, len, width, ' ');
  if ((flags & kZeroPad) && b.room()) b.put('\0');
  return true;
}

// check_binary_precision: only 1, 2, 4 and 8 byte values (or -1, unspecified).
int binaryPrecision(int p) { return (p == 1 || p == 2 || p == 4 || p == 8) ? p : -1; }

// _stp_vsprint_binary: the low `precision` bytes of the value in host byte order, padded
// with NUL bytes to the width.
void writeBinary(Buffer& b, int64_t num, int width, int precision, unsigned flags) {
  precision = binaryPrecision(precision);
  if (width == -1) {
    if (precision == -1) {
      width = 8;
      precision = 8;
    } else {
      width = precision;
    }
  } else if (precision == -1) {
    precision = binaryPrecision(width);
    if (precision == -1) precision = 8;
  }
  if (!(flags & kLeft)) padWhileShorter(b, precision, width, '\0');
  // All the bytes or none of them.
  if (b.pos() + precision - 1 <= b.end()) {
    int8_t v1 = static_cast<int8_t>(num);
    int16_t v2 = static_cast<int16_t>(num);
    int32_t v4 = static_cast<int32_t>(num);
    switch (precision) {
      case 1: b.putBytes(&v1, 1); break;
      case 2: b.putBytes(&v2, 2); break;
      case 4: b.putBytes(&v4, 4); break;
      default: b.putBytes(&num, 8); break;
    }
  }
  // The trailing loop only runs while both are non-negative.
  for (;;) {
    if (precision < 0 || width < 0) return;
    bool shorter = precision < width;
    --width;
    if (!shorter || !b.room()) return;
    b.put('\0');
  }
}

const Value& argAt(const std::vector<Value>& args, size_t i) {
  if (i >= args.size()) throw std::invalid_argument("printf: too few arguments");
  return args[i];
}

int64_t numberArg(const std::vector<Value>& args, size_t i) {
  const Value& v = argAt(args, i);
  if (const int64_t* n = std::get_if<int64_t>(&v)) return *n;
  throw std::invalid_argument("printf: argument " + std::to_string(i + 1) +
                              " should be a long");
}

const std::string& stringArg(const std::vector<Value>& args, size_t i) {
  const Value& v = argAt(args, i);
  if (const std::string* s = std::get_if<std::string>(&v)) return *s;
  throw std::invalid_argument("printf: argument " + std::to_string(i + 1) +
                              " should be a string");
}

unsigned specFlags(const FormatSpec& s) {
  unsigned f = 0;
  if (s.left) f |= kLeft;
  if (s.plus) f |= kPlus;
  if (s.space) f |= kSpace;
  if (s.alternate) f |= kSpecial;
  if (s.zeroPad) f |= kZeroPad;
  return f;
}

// One pass over the format: the size pass (counting buffer, widths clamped to
// STP_BUFFER_SIZE) or the write pass (widths clamped to the space left).  Returns false
// on a read fault.
bool runPass(Buffer& b, bool sizePass, const std::vector<FormatSpec>& specs,
             const std::vector<Value>& args) {
  using Conv = FormatSpec::Conv;
  size_t argi = 0;
  auto limit = [&]() -> int64_t { return sizePass ? kStpBufferSize : b.remaining(); };
  for (const FormatSpec& s : specs) {
    if (s.conv == Conv::Literal) {
      if (sizePass) {
        // sizeof("...") - 1 counts every byte, also those after a NUL.
        for (size_t i = 0; i < s.literal.size(); ++i) b.put(s.literal[i]);
      } else {
        for (size_t i = 0; i < s.literal.size() && s.literal[i] != '\0' && b.room(); ++i)
          b.put(s.literal[i]);
      }
      continue;
    }
    int width = -1, precision = -1;
    if (s.widthKind == FormatSpec::Size::Static) width = clampInt(s.width, 0, limit());
    if (s.widthKind == FormatSpec::Size::Dynamic)
      width = clampInt(numberArg(args, argi++), 0, limit());
    if (s.precisionKind == FormatSpec::Size::Static)
      precision = clampInt(s.precision, 0, limit());
    if (s.precisionKind == FormatSpec::Size::Dynamic)
      precision = clampInt(numberArg(args, argi++), 0, limit());
    unsigned flags = specFlags(s);
    size_t index = argi++;
    switch (s.conv) {
      case Conv::SignedDecimal:
        writeNumber(b, static_cast<uint64_t>(numberArg(args, index)), 10, width, precision,
                    flags | kSign);
        break;
      case Conv::UnsignedDecimal:
        writeNumber(b, static_cast<uint64_t>(numberArg(args, index)), 10, width, precision,
                    flags);
        break;
      case Conv::Octal:
        writeNumber(b, static_cast<uint64_t>(numberArg(args, index)), 8, width, precision,
                    flags);
        break;
      case Conv::HexLower:
        writeNumber(b, static_cast<uint64_t>(numberArg(args, index)), 16, width, precision,
                    flags);
        break;
      case Conv::HexUpper:
        writeNumber(b, static_cast<uint64_t>(numberArg(args, index)), 16, width, precision,
                    flags | kLarge);
        break;
      case Conv::Pointer:  // "Since stap 1.3, %p == %#x."
        writeNumber(b, static_cast<uint64_t>(numberArg(args, index)), 16, width, precision,
                    flags | kSpecial);
        break;
      case Conv::Char:
        writeChar(b, static_cast<unsigned char>(numberArg(args, index)), width, flags);
        break;
      case Conv::Binary:
        writeBinary(b, numberArg(args, index), width, precision, flags);
        break;
      case Conv::String:
        writeMemory(b, stringArg(args, index), width, precision, 's', flags);
        break;
      case Conv::Memory:
      case Conv::MemoryHex: {
        const std::string& bytes = stringArg(args, index);
        if (sizePass) {
          // The size pass reads no memory: count with placeholder bytes.
          std::string placeholder(static_cast<size_t>(precision > 0 ? precision : 1), '\0');
          writeMemory(b, placeholder, width, precision, s.conv == Conv::Memory ? 'm' : 'M',
                      flags);
        } else if (!writeMemory(b, bytes, width, precision, s.conv == Conv::Memory ? 'm' : 'M',
                                flags)) {
          return false;
        }
        break;
      }
      case Conv::Literal:
        break;
    }
  }
  if (argi != args.size()) throw std::invalid_argument("printf: too many arguments");
  return true;
}

}  // namespace

std::string formatPrintf(const std::vector<FormatSpec>& specs, const std::vector<Value>& args,
                         bool* memoryFault) {
  if (memoryFault) *memoryFault = false;
  Buffer size = Buffer::counting();
  runPass(size, true, specs, args);
  // num_bytes = clamp(num_bytes, 0, STP_BUFFER_SIZE); _stp_reserve_bytes(0) gives NULL
  // and nothing is written.
  int64_t reserved = std::min<int64_t>(size.pos(), kStpBufferSize);
  if (reserved <= 0) return std::string();
  // The reservation is what reaches the output, whatever the write pass filled in (bytes
  // it skips, e.g. after a NUL in a literal, are left as zeros here).
  Buffer out(reserved);
  if (!runPass(out, false, specs, args)) {
    if (memoryFault) *memoryFault = true;
    return std::string();  // _stp_unreserve_bytes: the printf prints nothing
  }
  return std::move(out).take();
}

std::string formatSprintf(const std::vector<FormatSpec>& specs, const std::vector<Value>& args,
                          bool* memoryFault, int maxStringLen) {
  if (memoryFault) *memoryFault = false;
  // stp_sprintf_N: str = the MAXSTRINGLEN return buffer, end = str + MAXSTRINGLEN - 1,
  // then a NUL at str (or at end if the output ran past it).
  Buffer out(maxStringLen);
  if (!runPass(out, false, specs, args)) {
    if (memoryFault) *memoryFault = true;
    return std::string();
  }
  return toScriptString(std::move(out).take(), maxStringLen);
}

std::vector<FormatSpec> printSpecs(const std::vector<Value>& args, const std::string* delimiter,
                                   bool newline) {
  std::vector<FormatSpec> specs;
  auto literal = [&](const std::string& text) {
    FormatSpec s;
    s.conv = FormatSpec::Conv::Literal;
    s.literal = text;
    specs.push_back(s);
  };
  for (size_t i = 0; i < args.size(); ++i) {
    if (i > 0 && delimiter && !delimiter->empty()) literal(*delimiter);
    FormatSpec s;
    s.conv = std::holds_alternative<int64_t>(args[i]) ? FormatSpec::Conv::SignedDecimal
                                                      : FormatSpec::Conv::String;
    specs.push_back(s);
  }
  if (newline) literal("\n");
  return specs;
}

std::string formatPrint(const std::vector<Value>& args) {
  return formatPrintf(printSpecs(args, nullptr, false), args);
}
std::string formatPrintln(const std::vector<Value>& args) {
  return formatPrintf(printSpecs(args, nullptr, true), args);
}
std::string formatPrintd(const std::string& delimiter, const std::vector<Value>& args) {
  return formatPrintf(printSpecs(args, &delimiter, false), args);
}
std::string formatPrintdln(const std::string& delimiter, const std::vector<Value>& args) {
  return formatPrintf(printSpecs(args, &delimiter, true), args);
}

std::string formatSprint(const std::vector<Value>& args, int maxStringLen) {
  return formatSprintf(printSpecs(args, nullptr, false), args, nullptr, maxStringLen);
}
std::string formatSprintln(const std::vector<Value>& args, int maxStringLen) {
  return formatSprintf(printSpecs(args, nullptr, true), args, nullptr, maxStringLen);
}
std::string formatSprintd(const std::string& delimiter, const std::vector<Value>& args,
                          int maxStringLen) {
  return formatSprintf(printSpecs(args, &delimiter, false), args, nullptr, maxStringLen);
}
std::string formatSprintdln(const std::string& delimiter, const std::vector<Value>& args,
                            int maxStringLen) {
  return formatSprintf(printSpecs(args, &delimiter, true), args, nullptr, maxStringLen);
}

}  // namespace stp2bpf::runtime::format
