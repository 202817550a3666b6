// Kernel types from BTF, for target variables: the parameters of kernel functions, the
// arguments of raw tracepoints (TP_PROTO), and walking `->member` / `[index]` through the
// structures they point to.  Types are BTF ids of the running kernel's vmlinux BTF.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

struct btf;

namespace stp2bpf::tapset {

// A type with typedefs and qualifiers (const, volatile, restrict, type tags) stripped.
struct KernelType {
  enum class Kind { Void, Int, Enum, Pointer, Struct, Union, Array, Other };
  Kind kind = Kind::Other;
  int id = 0;           // BTF id of the stripped type
  int64_t size = 0;     // bytes (pointers: 8; arrays: the whole array)
  bool isSigned = false;
  int target = 0;       // Pointer: the pointee; Array: the element (unstripped ids)
  int64_t length = 0;   // Array: element count
  std::string name;     // Struct/Union/Int/Enum name ("" if anonymous)
  bool isChar() const { return kind == Kind::Int && size == 1; }
};

struct KernelMember {
  int type = 0;            // unstripped id
  int64_t bitOffset = 0;   // from the start of the outer structure
  int bitfieldSize = 0;    // 0 unless a bitfield
};

class KernelInfo;

// Loads the kernel's BTF on first use: most scripts never need it, and reading the 6 MB
// of /sys/kernel/btf/vmlinux would dominate their start-up.
class KernelTypes {
 public:
  explicit KernelTypes(KernelInfo& kernel) : kernel_(kernel) {}
  bool available() const { return btf() != nullptr; }

  KernelType describe(int id) const;
  // A member of a struct or union, looking through anonymous members (offsets add up).
  std::optional<KernelMember> member(int structId, const std::string& name) const;
  // Member names, for "no such member" messages.
  std::vector<std::string> memberNames(int structId) const;

  // Kernel function parameters: index and type; the return type.
  std::optional<std::pair<int, int>> functionParam(const std::string& function, const std::string& name) const;
  std::optional<int> functionReturn(const std::string& function) const;
  // A raw tracepoint's TP_PROTO argument (from __bpf_trace_EVENT in BTF, whose first
  // parameter is the tracepoint's private data): index among the raw arguments, and type.
  std::optional<std::pair<int, int>> tracepointArg(const std::string& event, const std::string& name) const;
  bool hasRawTracepoint(const std::string& event) const;
  int tracepointArgCount(const std::string& event) const;
  // A struct or union by its kernel name (for @cast); 0 if there is none.
  int compositeByName(const std::string& name) const;

 private:
  int strip(int id) const;
  std::vector<std::pair<std::string, int>> params(int protoId) const;
  const struct btf* btf() const;
  KernelInfo& kernel_;
};

}  // namespace stp2bpf::tapset
