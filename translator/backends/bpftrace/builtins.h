// SystemTap builtins in bpftrace, as a table (builtins.cpp).
#pragma once

#include <string>
#include <vector>

namespace stp2bpf::backends::bpftrace {

// Writes the bpftrace expression for builtin `name` applied to already-translated
// arguments.  Returns false with `why` ("has no bpftrace 0.17 equivalent", ...) if there is
// none.
bool translateBuiltin(const std::string& name, const std::vector<std::string>& args,
                      std::string& out, std::string& why);

}  // namespace stp2bpf::backends::bpftrace
