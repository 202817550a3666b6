# Writes OUTPUT: a C++ file defining stp2bpf::backends::bpfc::runtimeHeader() with the text
# of runtime/bpf/stp2bpf.bpf.h, so the binary needs no files at run time.  EXTRA_INPUTS
# (comma-separated: a ';' list would be split by add_custom_command) are appended to it,
# in order, as one header: generated programs include only stp2bpf.bpf.h.
file(READ "${INPUT}" text)
if(EXTRA_INPUTS)
  string(REPLACE "," ";" extra_list "${EXTRA_INPUTS}")
  foreach(extra ${extra_list})
    file(READ "${extra}" extra_text)
    string(APPEND text "\n${extra_text}")
  endforeach()
endif()
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
