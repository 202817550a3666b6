// `-p2` output: the elaborated program, in SystemTap syntax with types in comments.
#pragma once

#include <ostream>

#include "sema/program.h"

namespace stp2bpf::sema {

void printProgram(std::ostream& out, const Program& program);
std::string typeSignature(const Symbol& s);  // e.g. "string[long, long]" or "long"

}  // namespace stp2bpf::sema
