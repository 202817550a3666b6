// runtime/format printf engine.  Every expectation is derived from SystemTap 4.8's sources
// (/usr/share/systemtap/runtime/vsprintf.c) as driven by the code stap -p3 generates for
// printf (stp_printf_N: a size pass with number_size/_stp_vsprint_*_size, the reservation
// clamped to STP_BUFFER_SIZE, a write pass with widths clamped to the space left) and for
// sprintf (stp_sprintf_N: a MAXSTRINGLEN buffer, NUL-terminated).
#include <gtest/gtest.h>

#include <cstring>

#include "common/print_format.h"
#include "format/printf.h"

namespace fmt = stp2bpf::runtime::format;
using fmt::Value;
using stp2bpf::FormatSpec;

namespace {

std::vector<FormatSpec> parse(const std::string& f) {
  std::vector<FormatSpec> specs;
  stp2bpf::FormatParseError error;
  EXPECT_TRUE(stp2bpf::parsePrintFormat(f, specs, error)) << f << ": " << error.message;
  return specs;
}

std::string pf(const std::string& f, const std::vector<Value>& args) {
  return fmt::formatPrintf(parse(f), args);
}

std::string spf(const std::string& f, const std::vector<Value>& args) {
  return fmt::formatSprintf(parse(f), args);
}

// A single conversion built by hand, for flag combinations SystemTap's parser rejects
// ("%-#x": it takes one flag) but whose number() behaviour the tests pin down.
FormatSpec conv(FormatSpec::Conv c) {
  FormatSpec s;
  s.conv = c;
  return s;
}

// The host-order bytes of an integer, as %b writes them (native endianness).
template <typename T>
std::string hostBytes(T v) {
  std::string s(sizeof(T), '\0');
  std::memcpy(&s[0], &v, sizeof(T));
  return s;
}

const Value kMin = INT64_MIN;

}  // namespace

// ---- integers: number() ----

TEST(FormatPrintf, SignedDecimal) {
  // number() with STP_SIGN: negative values print '-' and the magnitude; INT64_MIN's
  // negation wraps to 2^63, printed unsigned.
  EXPECT_EQ(pf("%d", {int64_t{42}}), "42");
  EXPECT_EQ(pf("%i", {int64_t{-42}}), "-42");
  EXPECT_EQ(pf("%d", {kMin}), "-9223372036854775808");
  EXPECT_EQ(pf("%d", {int64_t{INT64_MAX}}), "9223372036854775807");
  // The `l` qualifier is passed through as %lld, which changes nothing.
  EXPECT_EQ(pf("%ld|%li", {int64_t{-1}, int64_t{7}}), "-1|7");
}

TEST(FormatPrintf, UnsignedConversionsUseTwosComplement) {
  // %u %o %x %X: no STP_SIGN, number() prints the 64-bit value as unsigned.
  EXPECT_EQ(pf("%u", {int64_t{-1}}), "18446744073709551615");
  EXPECT_EQ(pf("%x", {int64_t{-1}}), "ffffffffffffffff");
  EXPECT_EQ(pf("%X", {int64_t{-2}}), "FFFFFFFFFFFFFFFE");
  EXPECT_EQ(pf("%o", {int64_t{-1}}), "1777777777777777777777");
  EXPECT_EQ(pf("%o|%x|%X", {int64_t{8}, int64_t{255}, int64_t{255}}), "10|ff|FF");
  EXPECT_EQ(pf("%lx|%lu", {int64_t{4096}, int64_t{3}}), "1000|3");
}

TEST(FormatPrintf, AlternateForm) {
  // STP_SPECIAL: "0x"/"0X" (digits[33]) for base 16, "0" for base 8, also for 0 (the
  // prefix is emitted before the digit loop, unconditionally); nothing for base 10.
  EXPECT_EQ(pf("%#x", {int64_t{0}}), "0x0");
  EXPECT_EQ(pf("%#x", {int64_t{255}}), "0xff");
  EXPECT_EQ(pf("%#X", {int64_t{255}}), "0XFF");
  EXPECT_EQ(pf("%#o", {int64_t{0}}), "00");
  EXPECT_EQ(pf("%#o", {int64_t{8}}), "010");
  EXPECT_EQ(pf("%#d|%#u", {int64_t{-5}, int64_t{5}}), "-5|5");
  // Width counts the prefix: size -= 2, then 6 spaces.
  EXPECT_EQ(pf("%#10x", {int64_t{255}}), "      0xff");
}

TEST(FormatPrintf, PointerIsAlternateHex) {
  // vsprintf.c 'p': "Since stap 1.3, %p == %#x" (translator emits "%#p", flags 32, base 16).
  EXPECT_EQ(pf("%p", {int64_t{0}}), "0x0");
  EXPECT_EQ(pf("%p", {static_cast<int64_t>(0xffffffff81000000ull)}), "0xffffffff81000000");
  EXPECT_EQ(pf("%20p|", {int64_t{4096}}), "              0x1000|");
  EXPECT_EQ(pf("%-10p|", {int64_t{4096}}), "0x1000    |");
}

TEST(FormatPrintf, WidthAndAlignment) {
  EXPECT_EQ(pf("%5d|", {int64_t{42}}), "   42|");
  EXPECT_EQ(pf("%-5d|", {int64_t{42}}), "42   |");
  EXPECT_EQ(pf("%2d", {int64_t{12345}}), "12345");  // width is a minimum
  EXPECT_EQ(pf("%5x", {int64_t{-1}}), "ffffffffffffffff");
  // "%-05d": SystemTap's parser takes one flag, so this is '-' with width "05".
  EXPECT_EQ(pf("%-05d|", {int64_t{42}}), "42   |");
}

TEST(FormatPrintf, ZeroPadding) {
  // STP_ZEROPAD: zeros go after the sign and the prefix.
  EXPECT_EQ(pf("%05d", {int64_t{42}}), "00042");
  EXPECT_EQ(pf("%05d", {int64_t{-42}}), "-0042");
  EXPECT_EQ(pf("%05x", {int64_t{255}}), "000ff");
  // '#' and '0' together (not parseable, but number() orders them: prefix, zeros, digits).
  FormatSpec s = conv(FormatSpec::Conv::HexLower);
  s.alternate = s.zeroPad = true;
  s.widthKind = FormatSpec::Size::Static;
  s.width = 10;
  EXPECT_EQ(fmt::formatPrintf({s}, {int64_t{255}}), "0x000000ff");
  // '-' clears STP_ZEROPAD (number(): `if (type & STP_LEFT) type &= ~STP_ZEROPAD`).
  s.left = true;
  EXPECT_EQ(fmt::formatPrintf({s}, {int64_t{255}}), "0xff      ");
}

TEST(FormatPrintf, SignFlags) {
  // STP_PLUS / STP_SPACE only matter together with STP_SIGN (%d %i).
  EXPECT_EQ(pf("%+d|%+d|%+d", {int64_t{5}, int64_t{-5}, int64_t{0}}), "+5|-5|+0");
  EXPECT_EQ(pf("% d|% d", {int64_t{5}, int64_t{-5}}), " 5|-5");
  EXPECT_EQ(pf("%+5d|", {int64_t{5}}), "   +5|");
  EXPECT_EQ(pf("%+u|% x|%+o", {int64_t{5}, int64_t{255}, int64_t{8}}), "5|ff|10");
}

TEST(FormatPrintf, PrecisionIsMinimumDigits) {
  EXPECT_EQ(pf("%.3d", {int64_t{5}}), "005");
  EXPECT_EQ(pf("%.3d", {int64_t{-5}}), "-005");
  EXPECT_EQ(pf("%.4x", {int64_t{255}}), "00ff");
  EXPECT_EQ(pf("%#.4x", {int64_t{255}}), "0x00ff");
  // number() always produces at least the digit '0' (unlike C's "%.0d" of 0).
  EXPECT_EQ(pf("%.0d|%.0x", {int64_t{0}, int64_t{0}}), "0|0");
  EXPECT_EQ(pf("%8.3d|", {int64_t{-5}}), "    -005|");
  EXPECT_EQ(pf("%-8.3d|", {int64_t{-5}}), "-005    |");
  // With '0' the zero flag is NOT dropped when there is a precision (unlike C): zeros for
  // the width, then zeros for the precision.
  EXPECT_EQ(pf("%08.3d", {int64_t{-5}}), "-0000005");
}

TEST(FormatPrintf, DynamicWidthAndPrecision) {
  EXPECT_EQ(pf("%*d|", {int64_t{6}, int64_t{42}}), "    42|");
  EXPECT_EQ(pf("%.*d", {int64_t{4}, int64_t{42}}), "0042");
  EXPECT_EQ(pf("%*.*d|", {int64_t{6}, int64_t{4}, int64_t{42}}), "  0042|");
  // The generated code clamps `*` values with clamp_t(int, v, 0, ...): a negative width
  // is 0 (no left alignment, unlike C and _stp_vsnprintf's own parser).
  EXPECT_EQ(pf("%*d|", {int64_t{-6}, int64_t{42}}), "42|");
  EXPECT_EQ(pf("%.*d", {int64_t{-3}, int64_t{42}}), "42");
  // clamp_t converts to int first: 2^32 + 6 is 6.
  EXPECT_EQ(pf("%*d|", {int64_t{(int64_t{1} << 32) + 6}, int64_t{42}}), "    42|");
}

// ---- strings: _stp_vsprint_memory 's' ----

TEST(FormatPrintf, Strings) {
  EXPECT_EQ(pf("%s", {std::string("abc")}), "abc");
  EXPECT_EQ(pf("%5s|", {std::string("abc")}), "  abc|");
  EXPECT_EQ(pf("%-5s|", {std::string("abc")}), "abc  |");
  EXPECT_EQ(pf("%2s", {std::string("abc")}), "abc");
  EXPECT_EQ(pf("%3s|", {std::string("")}), "   |");
  EXPECT_EQ(pf("%ls", {std::string("x")}), "x");
}

TEST(FormatPrintf, StringPrecisionIsMaximumBytes) {
  // len = strnlen(ptr, precision).
  EXPECT_EQ(pf("%.2s", {std::string("abc")}), "ab");
  EXPECT_EQ(pf("%5.2s|", {std::string("abc")}), "   ab|");
  EXPECT_EQ(pf("%-5.2s|", {std::string("abc")}), "ab   |");
  EXPECT_EQ(pf("%.0s|", {std::string("abc")}), "|");
  EXPECT_EQ(pf("%.*s", {int64_t{1}, std::string("abc")}), "a");
  // A negative `*` precision clamps to 0: nothing is printed.
  EXPECT_EQ(pf("%.*s|", {int64_t{-1}, std::string("abc")}), "|");
  // A negative `*` width clamps to 0.
  EXPECT_EQ(pf("%*s|", {int64_t{-5}, std::string("abc")}), "abc|");
}

TEST(FormatPrintf, StringsEndAtNul) {
  // strnlen stops at the first NUL byte.
  EXPECT_EQ(pf("[%s]", {std::string("ab\0cd", 5)}), "[ab]");
}

TEST(FormatPrintf, AlternateStringIsRaw) {
  // _stp_vsprint_memory never looks at STP_SPECIAL for 's' (the translator passes flags
  // 32 for "%#s"): no quoting, no escaping.
  EXPECT_EQ(pf("%#s", {std::string("a\"b\n\\")}), "a\"b\n\\");
}

TEST(FormatPrintf, ZeroFlagOnStringAppendsNul) {
  // _stp_vsprint_memory: spaces pad as usual, then `if (flags & STP_ZEROPAD) *str++ =
  // '\0'`, and _stp_vsprint_memory_size counts that byte.
  EXPECT_EQ(pf("%05s|", {std::string("ab")}), std::string("   ab\0|", 7));
  EXPECT_EQ(pf("%0s|", {std::string("ab")}), std::string("ab\0|", 4));
}

// ---- %c: _stp_vsprint_char ----

TEST(FormatPrintf, Char) {
  EXPECT_EQ(pf("%c", {int64_t{'A'}}), "A");
  // The long is stored in a char: only the low byte counts.
  EXPECT_EQ(pf("%c", {int64_t{0x141}}), "A");
  EXPECT_EQ(pf("%3c|", {int64_t{'A'}}), "  A|");
  EXPECT_EQ(pf("%-3c|", {int64_t{'A'}}), "A  |");
  EXPECT_EQ(pf("%c", {int64_t{0}}), std::string("\0", 1));
  EXPECT_EQ(pf("%c", {int64_t{-1}}), "\xff");
  // '0' does nothing for %c.
  EXPECT_EQ(pf("%0c", {int64_t{'B'}}), "B");
}

TEST(FormatPrintf, AlternateCharEscapes) {
  // _stp_vsprint_char_size/_stp_vsprint_char: with '#', bytes that are not
  // isprint()&&isascii(), and ' and \, are escaped: C escapes, else 3 octal digits.
  EXPECT_EQ(pf("%#c", {int64_t{'A'}}), "A");
  EXPECT_EQ(pf("%#c", {int64_t{' '}}), " ");
  EXPECT_EQ(pf("%#c", {int64_t{'"'}}), "\"");  // printable, not in the escape list
  EXPECT_EQ(pf("%#c", {int64_t{'\n'}}), "\\n");
  EXPECT_EQ(pf("%#c", {int64_t{'\t'}}), "\\t");
  EXPECT_EQ(pf("%#c", {int64_t{'\a'}}), "\\a");
  EXPECT_EQ(pf("%#c", {int64_t{'\v'}}), "\\v");
  EXPECT_EQ(pf("%#c", {int64_t{'\''}}), "\\'");
  EXPECT_EQ(pf("%#c", {int64_t{'\\'}}), "\\\\");
  EXPECT_EQ(pf("%#c", {int64_t{0}}), "\\000");
  EXPECT_EQ(pf("%#c", {int64_t{0x1b}}), "\\033");
  EXPECT_EQ(pf("%#c", {int64_t{0x7f}}), "\\177");
  EXPECT_EQ(pf("%#c", {int64_t{0xff}}), "\\377");
  EXPECT_EQ(pf("%#c", {int64_t{0xe9}}), "\\351");
  // Width pads around the escape (size 2 or 4).
  FormatSpec s = conv(FormatSpec::Conv::Char);
  s.alternate = true;
  s.widthKind = FormatSpec::Size::Static;
  s.width = 6;
  EXPECT_EQ(fmt::formatPrintf({s}, {int64_t{'\n'}}), "    \\n");
  s.left = true;
  EXPECT_EQ(fmt::formatPrintf({s}, {int64_t{0}}), "\\000  ");
}

// ---- %b: _stp_vsprint_binary ----

TEST(FormatPrintf, BinaryDefaultIsEightBytes) {
  const int64_t v = 0x0102030405060708;
  EXPECT_EQ(pf("%b", {v}), hostBytes<int64_t>(v));
  EXPECT_EQ(pf("%lb", {int64_t{-2}}), hostBytes<int64_t>(-2));
}

TEST(FormatPrintf, BinarySizeFromPrecisionOrWidth) {
  const int64_t v = 0x0102030405060708;
  // Width 1/2/4/8 without precision is the size.
  EXPECT_EQ(pf("%1b", {int64_t{0x41}}), "A");
  EXPECT_EQ(pf("%2b", {v}), hostBytes<int16_t>(0x0708));
  EXPECT_EQ(pf("%4b", {v}), hostBytes<int32_t>(0x05060708));
  EXPECT_EQ(pf("%8b", {v}), hostBytes<int64_t>(v));
  // Precision 1/2/4/8 is the size, the width defaults to it.
  EXPECT_EQ(pf("%.2b", {v}), hostBytes<int16_t>(0x0708));
  // Another width (3) is not a size: 8 bytes, and 3 < 8 pads nothing.
  EXPECT_EQ(pf("%3b", {v}), hostBytes<int64_t>(v));
  // Another precision (3, or 0) is ignored: width and precision default to 8.
  EXPECT_EQ(pf("%.3b", {v}), hostBytes<int64_t>(v));
  EXPECT_EQ(pf("%.0b", {v}), hostBytes<int64_t>(v));
  // '0' and '#' change nothing.
  EXPECT_EQ(pf("%0b", {v}), hostBytes<int64_t>(v));
  EXPECT_EQ(pf("%#b", {v}), hostBytes<int64_t>(v));
  // `*` width.
  EXPECT_EQ(pf("%*b", {int64_t{4}, v}), hostBytes<int32_t>(0x05060708));
}

TEST(FormatPrintf, BinaryPadsWithNulBytes) {
  // Wider widths pad with '\0': before the value, or after it with '-'.
  EXPECT_EQ(pf("%10b", {int64_t{1}}), std::string(2, '\0') + hostBytes<int64_t>(1));
  EXPECT_EQ(pf("%-10b", {int64_t{1}}), hostBytes<int64_t>(1) + std::string(2, '\0'));
  EXPECT_EQ(pf("%4.2b", {int64_t{0x4142}}), std::string(2, '\0') + hostBytes<int16_t>(0x4142));
  EXPECT_EQ(pf("%-4.2b|", {int64_t{0x4142}}), hostBytes<int16_t>(0x4142) + std::string(2, '\0') + "|");
}

// ---- %m / %M: _stp_vsprint_memory 'm' / 'M' ----

TEST(FormatPrintf, Memory) {
  // Without a precision (or with 0) one byte is read.
  EXPECT_EQ(pf("%m", {std::string("xyz")}), "x");
  EXPECT_EQ(pf("%.0m", {std::string("xyz")}), "x");
  EXPECT_EQ(pf("%.3m", {std::string("xyz")}), "xyz");
  // The bytes are raw: NULs included.
  EXPECT_EQ(pf("%.3m", {std::string("a\0b", 3)}), std::string("a\0b", 3));
  EXPECT_EQ(pf("%5.2m|", {std::string("ab")}), "   ab|");
  EXPECT_EQ(pf("%-5.2m|", {std::string("ab")}), "ab   |");
  // '#' selects user memory in SystemTap: the same bytes here.
  EXPECT_EQ(pf("%#.2m", {std::string("ab")}), "ab");
  // '0' appends a NUL as for %s.
  EXPECT_EQ(pf("%05.2m|", {std::string("ab")}), std::string("   ab\0|", 7));
}

TEST(FormatPrintf, MemoryHex) {
  // Two lower-case hex digits per byte; the width counts the digits (actlen = len * 2).
  EXPECT_EQ(pf("%M", {std::string("\xab")}), "ab");
  EXPECT_EQ(pf("%.2M", {std::string("\x01\xab")}), "01ab");
  EXPECT_EQ(pf("%6.2M|", {std::string("\x01\x02")}), "  0102|");
  EXPECT_EQ(pf("%-6.2M|", {std::string("\x01\x02")}), "0102  |");
  EXPECT_EQ(pf("%.4M", {std::string("\0\x10\xff\x7f", 4)}), "0010ff7f");
}

TEST(FormatPrintf, MemoryReadFaultPrintsNothing) {
  // Fewer bytes than %m reads: SystemTap's kread faults, _stp_vsprint_memory returns
  // NULL and the generated code unreserves the whole printf.
  bool fault = false;
  EXPECT_EQ(fmt::formatPrintf(parse("x=%.4m\n"), {std::string("ab")}, &fault), "");
  EXPECT_TRUE(fault);
  EXPECT_EQ(fmt::formatPrintf(parse("x=%.2m\n"), {std::string("ab")}, &fault), "x=ab\n");
  EXPECT_FALSE(fault);
}

// ---- literals ----

TEST(FormatPrintf, Literals) {
  EXPECT_EQ(pf("100%% done\n", {}), "100% done\n");
  EXPECT_EQ(pf("", {}), "");
  EXPECT_EQ(pf("a%db%sc", {int64_t{1}, std::string("x")}), "a1bxc");
}

TEST(FormatPrintf, NulInLiteral) {
  // The size pass counts sizeof("a\000b") - 1 = 3 bytes, the write pass stops copying at
  // the NUL and the next conversion follows it; the reserved bytes never written stay in
  // the output (stale buffer contents in SystemTap, zeros here).
  FormatSpec lit;
  lit.literal = std::string("a\0b", 3);
  FormatSpec d = conv(FormatSpec::Conv::SignedDecimal);
  FormatSpec nl;
  nl.literal = "\n";
  EXPECT_EQ(fmt::formatPrintf({lit, d, nl}, {int64_t{1}}), std::string("a1\n\0\0", 5));
}

// ---- the STP_BUFFER_SIZE limit ----

TEST(FormatPrintf, OutputIsLimitedToTheBuffer) {
  // Size pass: width clamped to 8192; write pass: clamped to the 8192 bytes left.
  std::string out = pf("%9000d", {int64_t{5}});
  EXPECT_EQ(out, std::string(8191, ' ') + "5");
  // "ab" then the width is clamped to the 8190 bytes left: the digit is still printed.
  out = pf("ab%8192d", {int64_t{5}});
  EXPECT_EQ(out, "ab" + std::string(8189, ' ') + "5");
  // number() advances past the end and stores only what fits.
  std::string big(8191, 'a');
  out = pf("%s%d", {big, int64_t{12345}});
  EXPECT_EQ(out, big + "1");
  // Precisions too: 5000 digits, then 3192 for the second number.
  out = pf("%.5000d%.5000d", {int64_t{1}, int64_t{2}});
  EXPECT_EQ(out, std::string(4999, '0') + "1" + std::string(3191, '0') + "2");
  // Nothing fits after a full first field.
  out = pf("%8192s%s", {std::string("x"), std::string("yz")});
  EXPECT_EQ(out, std::string(8191, ' ') + "x");
}

// ---- sprintf ----

TEST(FormatSprintf, Basics) {
  EXPECT_EQ(spf("%d%s", {int64_t{42}, std::string("x")}), "42x");
  EXPECT_EQ(spf("%#x", {int64_t{0}}), "0x0");
}

TEST(FormatSprintf, StringEndsAtFirstNul) {
  // The result is a C string.
  EXPECT_EQ(spf("%05s|", {std::string("ab")}), "   ab");
  EXPECT_EQ(spf("a%cb", {int64_t{0}}), "a");
  EXPECT_EQ(spf("%2b", {int64_t{0x4100}}), std::string(hostBytes<int16_t>(0x4100).c_str()));
}

TEST(FormatSprintf, TruncatedToMaxStringLen) {
  // stp_sprintf_N: end = str + MAXSTRINGLEN - 1; past the end the NUL goes at *end.
  std::string a(300, 'a'), b(300, 'b');
  EXPECT_EQ(spf("%s%s", {a, b}), a + std::string(211, 'b'));
  // The width is clamped to the 512 bytes left: 511 spaces and the digit in the last
  // byte, which the terminating NUL then overwrites.
  EXPECT_EQ(spf("%600d", {int64_t{1}}), std::string(511, ' '));
  EXPECT_EQ(fmt::formatSprintf(parse("%s"), {std::string("abcdef")}, nullptr, 4), "abc");
}

// ---- print, println, printd, printdln, sprint* ----

TEST(FormatPrint, PrintFamily) {
  // The translator compiles print(n, s) to "%lld%s", println adds "\n", printd puts the
  // delimiter between arguments ("%lld,%s"), printdln both ("%lld,%s\n").
  EXPECT_EQ(fmt::formatPrint({int64_t{5}, std::string("x")}), "5x");
  EXPECT_EQ(fmt::formatPrint({int64_t{-3}}), "-3");
  EXPECT_EQ(fmt::formatPrint({}), "");
  EXPECT_EQ(fmt::formatPrintln({std::string("s")}), "s\n");
  EXPECT_EQ(fmt::formatPrintln({}), "\n");
  EXPECT_EQ(fmt::formatPrintd(",", {int64_t{1}, std::string("a"), int64_t{2}}), "1,a,2");
  EXPECT_EQ(fmt::formatPrintd("%", {int64_t{1}, int64_t{2}}), "1%2");
  EXPECT_EQ(fmt::formatPrintdln(", ", {int64_t{1}, std::string("a")}), "1, a\n");
  EXPECT_EQ(fmt::formatPrintdln(",", {int64_t{1}}), "1\n");
  // Strings are %s: they end at a NUL.
  EXPECT_EQ(fmt::formatPrint({std::string("q\0r", 3)}), "q");
}

TEST(FormatPrint, SprintFamily) {
  EXPECT_EQ(fmt::formatSprint({int64_t{5}, std::string("x")}), "5x");
  EXPECT_EQ(fmt::formatSprintln({int64_t{5}}), "5\n");
  EXPECT_EQ(fmt::formatSprintd("-", {int64_t{1}, int64_t{2}}), "1-2");
  EXPECT_EQ(fmt::formatSprintdln("-", {int64_t{1}, int64_t{2}}), "1-2\n");
  EXPECT_EQ(fmt::formatSprint({std::string(600, 'z')}), std::string(511, 'z'));
}

TEST(FormatPrintf, ArgumentMismatchThrows) {
  EXPECT_THROW(pf("%d", {std::string("x")}), std::invalid_argument);
  EXPECT_THROW(pf("%s", {int64_t{1}}), std::invalid_argument);
  EXPECT_THROW(pf("%d %d", {int64_t{1}}), std::invalid_argument);
  EXPECT_THROW(pf("%d", {int64_t{1}, int64_t{2}}), std::invalid_argument);
  EXPECT_THROW(pf("%.2m", {int64_t{1}}), std::invalid_argument);
}
