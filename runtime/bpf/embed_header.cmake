# Writes OUTPUT: a C++ file defining stp2bpf::backends::bpfc::runtimeHeader() with the text
# of runtime/bpf/stp2bpf.bpf.h, so the binary needs no files at run time.
file(READ "${INPUT}" text)
file(WRITE "${OUTPUT}.tmp"
"// Generated from runtime/bpf/stp2bpf.bpf.h by embed_header.cmake: do not edit.
#include \"backends/bpfc/bpfc_backend.h\"

namespace stp2bpf::backends::bpfc {

const std::string& runtimeHeader() {
  static const std::string text = R\"stp2bpf_header(${text})stp2bpf_header\";
  return text;
}

}  // namespace stp2bpf::backends::bpfc
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
