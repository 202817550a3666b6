// The BPF C backend: the lowered program as CO-RE-free, self-contained BPF C in the style
// of libbpf-tools, with a shared header of plain fixed-width structs and a JSON manifest
// the native runtime reads (programs and how to attach them, maps, print sites and their
// argument layouts, error messages, interned strings, globals to auto-print).
//
// Code shape (checked on this kernel, see ../shared/docs/runtime-notes.md): every loop is
// an open-coded iterator (bpf_iter_num_*) whose first statement is the script's own exit
// test; a probe's locals live in a per-CPU "frame" map value, not on the BPF stack, so the
// verifier sees them as unknown values and loop states converge after one pass; globals
// are a struct in .data; arrays are hash maps; statistics are per-CPU maps.  Output goes
// through one ring buffer; user space formats it.
#pragma once

#include <string>

#include "passes/pass_context.h"

namespace stp2bpf::backends::bpfc {

struct Options {
  std::string scriptName;   // for comments and the manifest
  std::string baseName = "program";  // file names: BASE.bpf.c, BASE.h
};

struct Output {
  std::string bpfC;      // BASE.bpf.c
  std::string header;    // BASE.h (structs shared with user space)
  std::string manifest;  // BASE.json
};

// Returns an empty Output (bpfC empty) when diagnostics were recorded.
Output emit(passes::PassContext& ctx, const Options& options);

// The BPF-side runtime header the generated code includes ("stp2bpf.bpf.h").
const std::string& runtimeHeader();

}  // namespace stp2bpf::backends::bpfc
