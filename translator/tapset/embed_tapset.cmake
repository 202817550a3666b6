# Writes OUTPUT: a C++ file defining stp2bpf::tapset::bundledTapset() with the text of
# every .stp file in INPUT_DIR (sorted), so the binary needs no files at run time.
file(GLOB files "${INPUT_DIR}/*.stp")
list(SORT files)
set(body "")
foreach(f ${files})
  file(READ "${f}" text)
  get_filename_component(name "${f}" NAME)
  string(APPEND body "      {\"<stp2bpf tapset>/${name}\", R\"stp2bpf_tapset(${text})stp2bpf_tapset\"},\n")
endforeach()
file(WRITE "${OUTPUT}.tmp"
"// Generated from translator/tapset/bundled/*.stp by embed_tapset.cmake: do not edit.
#include \"tapset/library.h\"

namespace stp2bpf::tapset {

const std::vector<std::pair<std::string, std::string>>& bundledTapset() {
  static const std::vector<std::pair<std::string, std::string>> files = {
${body}  };
  return files;
}

}  // namespace stp2bpf::tapset
")
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
