// What the translator needs to know about the target kernel: which tracepoints exist and
// their fields, and which probe types can attach.  Read from the running kernel (tracefs,
// /proc/config.gz, /sys/kernel/btf) unless overridden, e.g. by --kernel-features for
// translating for another kernel.
#pragma once

#include <unordered_set>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

struct btf;

namespace stp2bpf::tapset {

struct TracepointField {
  std::string type;   // C type as in the format file, e.g. "unsigned int", "char *"
  std::string name;   // e.g. "fd"; arrays keep only the name ("prev_comm")
  int arrayLength = 0;  // "char prev_comm[16]" -> 16
  int offset = 0;
  int size = 0;
  bool isSigned = false;
  bool isDataLoc = false;  // __data_loc (variable-length string)
};

struct TracepointFormat {
  std::string system, event;
  std::vector<TracepointField> fields;  // without the common_* fields
  const TracepointField* field(const std::string& name) const;
};

struct KernelFeatures {
  bool kprobes = false;  // kprobe/kretprobe attach (needs CONFIG_KPROBES and kprobe_events)
  bool fentry = false;   // fentry/fexit (kfunc in bpftrace)
  bool uprobes = true;
  bool tracepoints = true;
};

class KernelInfo {
 public:
  // The running machine.
  static KernelInfo& host();

  const KernelFeatures& features() const { return features_; }
  void setFeatures(const KernelFeatures& f) { features_ = f; }

  // "sys:name" or "name" (the system is looked up); wildcards allowed. Returns
  // "system:event" pairs, sorted.
  std::vector<std::pair<std::string, std::string>> findTracepoints(const std::string& spec);
  // The format of one tracepoint, or null if it does not exist or cannot be read.
  const TracepointFormat* tracepointFormat(const std::string& system, const std::string& event);

  // Parameter names of a kernel function, from BTF (/sys/kernel/btf/vmlinux); empty if the
  // function is unknown.  Also tells whether the function exists.
  std::vector<std::string> functionParams(const std::string& function, bool* exists = nullptr);

  // Whether the running kernel has a function of this name (a BTF function, else a text
  // symbol of /proc/kallsyms: static functions pahole left out).  True when neither can
  // be read: then the kernel decides at attach time.
  bool kernelFunctionExists(const std::string& function);

  // The kernel's BTF (/sys/kernel/btf/vmlinux), loaded on first use; null if absent.
  const struct btf* vmlinuxBtf();

  // For tests: a fixed event list and formats instead of tracefs.
  void setTracepoints(std::vector<TracepointFormat> formats);

  std::string tracefsRoot() const { return tracefs_; }

 private:
  void loadEventList();

  KernelFeatures features_;
  std::optional<std::unordered_set<std::string>> kallsymsText_;  // loaded on first use
  std::string tracefs_;
  bool eventsLoaded_ = false;
  bool fixed_ = false;
  std::vector<std::pair<std::string, std::string>> events_;
  std::map<std::string, std::optional<TracepointFormat>> formats_;
  struct BtfHandle;
  std::shared_ptr<BtfHandle> btf_;
};

// Parses a tracefs `format` file.
std::optional<TracepointFormat> parseTracepointFormat(const std::string& system,
                                                      const std::string& event,
                                                      const std::string& text);

}  // namespace stp2bpf::tapset
