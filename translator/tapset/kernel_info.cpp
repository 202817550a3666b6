#include "tapset/kernel_info.h"

#include <bpf/btf.h>
#include <fnmatch.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace stp2bpf::tapset {

namespace {

bool fileExists(const std::string& path) { return access(path.c_str(), F_OK) == 0; }

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// tracefs is usually at /sys/kernel/tracing; mount it there if it is not (as root), else
// try the debugfs location.
std::string findTracefs() {
  const std::string primary = "/sys/kernel/tracing";
  if (fileExists(primary + "/available_events")) return primary;
  if (geteuid() == 0 && fileExists(primary) &&
      mount("nodev", primary.c_str(), "tracefs", 0, nullptr) == 0 &&
      fileExists(primary + "/available_events"))
    return primary;
  const std::string legacy = "/sys/kernel/debug/tracing";
  if (fileExists(legacy + "/available_events")) return legacy;
  return primary;
}

}  // namespace

const TracepointField* TracepointFormat::field(const std::string& name) const {
  for (const auto& f : fields)
    if (f.name == name) return &f;
  return nullptr;
}

KernelInfo& KernelInfo::host() {
  static KernelInfo info = [] {
    KernelInfo k;
    k.tracefs_ = findTracefs();
    k.features_.kprobes = fileExists(k.tracefs_ + "/kprobe_events");
    // fentry needs a kernel that supports BPF trampolines; a load test decides for real at
    // run time.  For translation, follow the kprobe availability unless overridden.
    k.features_.fentry = false;
    return k;
  }();
  return info;
}

void KernelInfo::setTracepoints(std::vector<TracepointFormat> formats) {
  fixed_ = true;
  eventsLoaded_ = true;
  events_.clear();
  formats_.clear();
  for (auto& f : formats) {
    events_.emplace_back(f.system, f.event);
    formats_[f.system + ":" + f.event] = std::move(f);
  }
  std::sort(events_.begin(), events_.end());
}

void KernelInfo::loadEventList() {
  if (eventsLoaded_) return;
  eventsLoaded_ = true;
  std::istringstream in(readFile(tracefs_ + "/available_events"));
  std::string line;
  while (std::getline(in, line)) {
    size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    events_.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  std::sort(events_.begin(), events_.end());
}

std::vector<std::pair<std::string, std::string>> KernelInfo::findTracepoints(const std::string& spec) {
  loadEventList();
  std::string system = "*", event = spec;
  size_t colon = spec.find(':');
  if (colon != std::string::npos) {
    system = spec.substr(0, colon);
    event = spec.substr(colon + 1);
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [sys, ev] : events_)
    if (fnmatch(system.c_str(), sys.c_str(), 0) == 0 && fnmatch(event.c_str(), ev.c_str(), 0) == 0)
      out.emplace_back(sys, ev);
  return out;
}

const TracepointFormat* KernelInfo::tracepointFormat(const std::string& system, const std::string& event) {
  std::string key = system + ":" + event;
  auto it = formats_.find(key);
  if (it == formats_.end()) {
    std::optional<TracepointFormat> f;
    if (!fixed_) {
      std::string path = tracefs_ + "/events/" + system + "/" + event + "/format";
      if (fileExists(path)) f = parseTracepointFormat(system, event, readFile(path));
    }
    it = formats_.emplace(key, std::move(f)).first;
  }
  return it->second ? &*it->second : nullptr;
}

struct KernelInfo::BtfHandle {
  struct btf* btf = nullptr;
  ~BtfHandle() {
    if (btf) btf__free(btf);
  }
};

const struct btf* KernelInfo::vmlinuxBtf() {
  if (!btf_) {
    btf_ = std::make_shared<BtfHandle>();
    btf_->btf = btf__load_vmlinux_btf();  // NULL (errno set) on failure in libbpf 1.x
    if (!btf_->btf || (reinterpret_cast<long>(btf_->btf) < 0 && reinterpret_cast<long>(btf_->btf) > -4096))
      btf_->btf = nullptr;
  }
  return btf_->btf;
}

std::vector<std::string> KernelInfo::functionParams(const std::string& function, bool* exists) {
  if (exists) *exists = false;
  std::vector<std::string> names;
  const struct btf* btf = vmlinuxBtf();
  if (!btf) return names;
  int id = btf__find_by_name_kind(btf, function.c_str(), BTF_KIND_FUNC);
  if (id <= 0) return names;
  if (exists) *exists = true;
  const struct btf_type* fn = btf__type_by_id(btf, id);
  const struct btf_type* proto = btf__type_by_id(btf, fn->type);
  if (!proto || !btf_is_func_proto(proto)) return names;
  const struct btf_param* params = btf_params(proto);
  for (unsigned i = 0; i < btf_vlen(proto); ++i)
    names.push_back(btf__name_by_offset(btf, params[i].name_off));
  return names;
}

bool KernelInfo::kernelFunctionExists(const std::string& function) {
  bool inBtf = false;
  functionParams(function, &inBtf);
  if (inBtf) return true;
  if (!kallsymsText_) {
    std::ifstream in("/proc/kallsyms");
    if (!in) return true;
    kallsymsText_.emplace();
    std::string address, type, name;
    while (in >> address >> type >> name) {
      if (type == "t" || type == "T") kallsymsText_->insert(name);
      in.ignore(1 << 20, '\n');  // the [module] column, if any
    }
  }
  // Without addresses (kptr_restrict) the list still has the names; an empty one means
  // the file could not be read usefully, and the kernel is left to decide.
  return kallsymsText_->empty() || kallsymsText_->count(function) > 0;
}

std::optional<TracepointFormat> parseTracepointFormat(const std::string& system,
                                                      const std::string& event,
                                                      const std::string& text) {
  TracepointFormat fmt;
  fmt.system = system;
  fmt.event = event;
  std::istringstream in(text);
  std::string line;
  bool sawFormat = false;
  while (std::getline(in, line)) {
    if (line.rfind("format:", 0) == 0) sawFormat = true;
    size_t f = line.find("field:");
    if (f == std::string::npos) continue;
    // "field:unsigned int fd;\toffset:16;\tsize:8;\tsigned:0;"
    size_t semi = line.find(';', f);
    if (semi == std::string::npos) continue;
    std::string decl = line.substr(f + 6, semi - f - 6);
    TracepointField field;
    if (decl.rfind("__data_loc ", 0) == 0) {
      field.isDataLoc = true;
      decl = decl.substr(11);
    }
    size_t bracket = decl.find('[');
    if (bracket != std::string::npos) {
      field.arrayLength = std::atoi(decl.c_str() + bracket + 1);
      decl = decl.substr(0, bracket);
    }
    size_t nameStart = decl.find_last_of(" *");
    if (nameStart == std::string::npos) continue;
    field.name = decl.substr(nameStart + 1);
    field.type = decl.substr(0, nameStart + 1);
    while (!field.type.empty() && field.type.back() == ' ') field.type.pop_back();
    auto number = [&](const char* key) {
      size_t k = line.find(key);
      return k == std::string::npos ? 0 : std::atoi(line.c_str() + k + std::string(key).size());
    };
    field.offset = number("offset:");
    field.size = number("size:");
    field.isSigned = number("signed:") != 0;
    if (field.name.rfind("common_", 0) == 0) continue;
    fmt.fields.push_back(field);
  }
  if (!sawFormat) return std::nullopt;
  return fmt;
}

}  // namespace stp2bpf::tapset
