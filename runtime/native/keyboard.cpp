#include "runtime/native/keyboard.h"

#include <termios.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>
#include <map>

namespace stp2bpf::runtime {

namespace {

termios gSaved;
bool gChanged = false;

void restoreTerminal() {
  if (gChanged) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &gSaved);
    gChanged = false;
  }
}

// Linux input key codes (include/uapi/linux/input-event-codes.h) for what a terminal sends.
const std::map<char, int>& letterCodes() {
  static const std::map<char, int> codes = {
      {'1', 2},  {'2', 3},  {'3', 4},  {'4', 5},  {'5', 6},  {'6', 7},  {'7', 8},  {'8', 9},
      {'9', 10}, {'0', 11}, {'-', 12}, {'=', 13}, {'\t', 15}, {'q', 16}, {'w', 17}, {'e', 18},
      {'r', 19}, {'t', 20}, {'y', 21}, {'u', 22}, {'i', 23}, {'o', 24}, {'p', 25}, {'\n', 28},
      {'\r', 28}, {'a', 30}, {'s', 31}, {'d', 32}, {'f', 33}, {'g', 34}, {'h', 35}, {'j', 36},
      {'k', 37}, {'l', 38}, {'z', 44}, {'x', 45}, {'c', 46}, {'v', 47}, {'b', 48}, {'n', 49},
      {'m', 50}, {' ', 57}, {127, 14},
  };
  return codes;
}

}  // namespace

bool isKeyboardFunction(const std::string& function) {
  return function == "kbd_event" || function == "input_event" || function == "input_handle_event";
}

Keyboard::Keyboard() {
  if (!isatty(STDIN_FILENO)) return;
  if (tcgetattr(STDIN_FILENO, &gSaved) != 0) return;
  termios raw = gSaved;
  raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);  // ISIG stays: Ctrl-C is SIGINT
  raw.c_cc[VMIN] = 0;
  raw.c_cc[VTIME] = 0;
  if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) != 0) return;
  static bool registered = false;
  if (!registered) {
    std::atexit(restoreTerminal);
    registered = true;
  }
  gChanged = true;
  active_ = true;
}

Keyboard::~Keyboard() { restoreTerminal(); }

std::vector<int> Keyboard::decode(const std::string& bytes, std::string& rest) {
  std::vector<int> out;
  std::string in = rest + bytes;
  rest.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '\033') {
      if (i + 1 >= in.size()) {
        rest = in.substr(i);  // maybe the start of a sequence
        break;
      }
      if (in[i + 1] == '[' || in[i + 1] == 'O') {
        if (i + 2 >= in.size()) {
          rest = in.substr(i);
          break;
        }
        switch (in[i + 2]) {
          case 'A': out.push_back(103); break;  // KEY_UP
          case 'B': out.push_back(108); break;  // KEY_DOWN
          case 'C': out.push_back(106); break;  // KEY_RIGHT
          case 'D': out.push_back(105); break;  // KEY_LEFT
          default: break;
        }
        i += 2;
        continue;
      }
      out.push_back(1);  // KEY_ESC
      continue;
    }
    auto it = letterCodes().find(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    if (it != letterCodes().end()) out.push_back(it->second);
  }
  return out;
}

std::vector<int> Keyboard::readKeys() {
  std::string bytes;
  char buf[64];
  ssize_t n;
  while ((n = read(STDIN_FILENO, buf, sizeof buf)) > 0) bytes.append(buf, static_cast<size_t>(n));
  if (bytes.find('\003') != std::string::npos) interrupted_ = true;
  return decode(bytes, pending_);
}

}  // namespace stp2bpf::runtime
