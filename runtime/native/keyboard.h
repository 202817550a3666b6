// Keyboard input for SystemTap games on kernels without kprobes.
//
// SystemTap games read keys with kernel.function("kbd_event") or the stapgames alias
// game.input (kernel.function("input_event")).  Where such a probe cannot attach, the
// runtime reads the terminal instead: stdin in cbreak mode (no echo, no line editing;
// Ctrl-C still interrupts), arrow keys and letters decoded to Linux input key codes
// (103 up, 105 left, 106 right, 108 down, 57 space, ...), each delivered to the probe's
// body as a press and a release.  The terminal is restored on every exit path.
#pragma once

#include <string>
#include <vector>

namespace stp2bpf::runtime {

// Kernel functions whose probes the terminal can stand in for.
bool isKeyboardFunction(const std::string& function);

class Keyboard {
 public:
  Keyboard();
  ~Keyboard();
  Keyboard(const Keyboard&) = delete;
  Keyboard& operator=(const Keyboard&) = delete;

  // False when stdin is not a terminal (nothing to read).
  bool active() const { return active_; }
  // Reads what is available and returns the key codes typed.
  std::vector<int> readKeys();
  bool interrupted() const { return interrupted_; }

  // Decodes terminal bytes (escape sequences for arrows) to key codes; `rest` keeps an
  // incomplete escape sequence for the next call.  Exposed for tests.
  static std::vector<int> decode(const std::string& bytes, std::string& rest);

 private:
  bool active_ = false;
  bool interrupted_ = false;
  std::string pending_;
};

}  // namespace stp2bpf::runtime
