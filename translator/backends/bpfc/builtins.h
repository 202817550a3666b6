// SystemTap builtins in BPF C, as tables (builtins.cpp).
#pragma once

#include <string>
#include <vector>

namespace stp2bpf::backends::bpfc {

// A builtin with a long result: the C expression, from already-translated arguments
// (strings as `char *`).  False with `why` if there is none.
bool translateLongBuiltin(const std::string& name, const std::vector<std::string>& args,
                          std::string& out, std::string& why);

// A builtin with a string result: a C statement that writes the result into `dst`.
bool translateStringBuiltin(const std::string& name, const std::string& dst,
                            const std::vector<std::string>& args, std::string& out, std::string& why);

}  // namespace stp2bpf::backends::bpfc
