#include "tapset/kernel_types.h"

#include <bpf/btf.h>

#include "tapset/kernel_info.h"

namespace stp2bpf::tapset {

const struct btf* KernelTypes::btf() const { return kernel_.vmlinuxBtf(); }

int KernelTypes::strip(int id) const {
  for (int guard = 0; btf() && guard < 64; ++guard) {
    const struct btf_type* t = btf__type_by_id(btf(), id);
    if (!t) return id;
    switch (btf_kind(t)) {
      case BTF_KIND_TYPEDEF:
      case BTF_KIND_CONST:
      case BTF_KIND_VOLATILE:
      case BTF_KIND_RESTRICT:
      case BTF_KIND_TYPE_TAG: id = static_cast<int>(t->type); break;
      default: return id;
    }
  }
  return id;
}

KernelType KernelTypes::describe(int id) const {
  KernelType k;
  if (!btf()) return k;
  k.id = strip(id);
  if (k.id == 0) {
    k.kind = KernelType::Kind::Void;
    return k;
  }
  const struct btf_type* t = btf__type_by_id(btf(), k.id);
  if (!t) return k;
  k.name = btf__name_by_offset(btf(), t->name_off);
  switch (btf_kind(t)) {
    case BTF_KIND_INT:
      k.kind = KernelType::Kind::Int;
      k.size = t->size;
      k.isSigned = btf_int_encoding(t) & BTF_INT_SIGNED;
      break;
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64:
      k.kind = KernelType::Kind::Enum;
      k.size = t->size;
      k.isSigned = true;
      break;
    case BTF_KIND_PTR:
      k.kind = KernelType::Kind::Pointer;
      k.size = 8;
      k.target = static_cast<int>(t->type);
      break;
    case BTF_KIND_STRUCT:
      k.kind = KernelType::Kind::Struct;
      k.size = t->size;
      break;
    case BTF_KIND_UNION:
      k.kind = KernelType::Kind::Union;
      k.size = t->size;
      break;
    case BTF_KIND_ARRAY: {
      const struct btf_array* a = btf_array(t);
      k.kind = KernelType::Kind::Array;
      k.target = static_cast<int>(a->type);
      k.length = a->nelems;
      k.size = btf__resolve_size(btf(), k.id);
      break;
    }
    default: break;
  }
  return k;
}

std::optional<KernelMember> KernelTypes::member(int structId, const std::string& name) const {
  if (!btf()) return std::nullopt;
  const struct btf_type* t = btf__type_by_id(btf(), strip(structId));
  if (!t || !(btf_is_struct(t) || btf_is_union(t))) return std::nullopt;
  const struct btf_member* m = btf_members(t);
  for (unsigned i = 0; i < btf_vlen(t); ++i, ++m) {
    std::string n = btf__name_by_offset(btf(), m->name_off);
    int64_t offset = btf_member_bit_offset(t, i);
    if (n == name) return KernelMember{static_cast<int>(m->type), offset, static_cast<int>(btf_member_bitfield_size(t, i))};
    if (n.empty()) {  // anonymous struct or union: its members belong to this one
      if (auto inner = member(static_cast<int>(m->type), name)) {
        inner->bitOffset += offset;
        return inner;
      }
    }
  }
  return std::nullopt;
}

std::vector<std::string> KernelTypes::memberNames(int structId) const {
  std::vector<std::string> out;
  if (!btf()) return out;
  const struct btf_type* t = btf__type_by_id(btf(), strip(structId));
  if (!t || !(btf_is_struct(t) || btf_is_union(t))) return out;
  const struct btf_member* m = btf_members(t);
  for (unsigned i = 0; i < btf_vlen(t); ++i, ++m) {
    std::string n = btf__name_by_offset(btf(), m->name_off);
    if (!n.empty()) out.push_back(n);
    else
      for (const std::string& inner : memberNames(static_cast<int>(m->type))) out.push_back(inner);
  }
  return out;
}

std::vector<std::pair<std::string, int>> KernelTypes::params(int protoId) const {
  std::vector<std::pair<std::string, int>> out;
  const struct btf_type* proto = btf__type_by_id(btf(), protoId);
  if (!proto || !btf_is_func_proto(proto)) return out;
  const struct btf_param* p = btf_params(proto);
  for (unsigned i = 0; i < btf_vlen(proto); ++i)
    out.emplace_back(btf__name_by_offset(btf(), p[i].name_off), static_cast<int>(p[i].type));
  return out;
}

std::optional<std::pair<int, int>> KernelTypes::functionParam(const std::string& function,
                                                              const std::string& name) const {
  if (!btf()) return std::nullopt;
  int id = btf__find_by_name_kind(btf(), function.c_str(), BTF_KIND_FUNC);
  if (id <= 0) return std::nullopt;
  auto ps = params(static_cast<int>(btf__type_by_id(btf(), id)->type));
  for (size_t i = 0; i < ps.size(); ++i)
    if (ps[i].first == name) return std::make_pair(static_cast<int>(i), ps[i].second);
  return std::nullopt;
}

std::optional<int> KernelTypes::functionReturn(const std::string& function) const {
  if (!btf()) return std::nullopt;
  int id = btf__find_by_name_kind(btf(), function.c_str(), BTF_KIND_FUNC);
  if (id <= 0) return std::nullopt;
  const struct btf_type* proto = btf__type_by_id(btf(), btf__type_by_id(btf(), id)->type);
  if (!proto || !btf_is_func_proto(proto)) return std::nullopt;
  return static_cast<int>(proto->type);
}

// The prototype `void (void *__data, TP_PROTO args...)` with parameter names: those of
// __bpf_trace_EVENT, the kernel's raw-tracepoint stub for the event (the btf_trace_EVENT
// typedef has the same prototype, but its parameters are unnamed).
// The TP_PROTO of a tracepoint, with its parameter names: the per-event __traceiter_EVENT
// function's prototype (void *__data, then the arguments).  __bpf_trace_NAME exists only
// under the event class's name (sched_wakeup_template for sched_wakeup), so it is the
// fallback, for events that are their own class on kernels without __traceiter_.
static int tracepointProto(const struct btf* btf, const std::string& event) {
  if (!btf) return 0;
  int id = btf__find_by_name_kind(btf, ("__traceiter_" + event).c_str(), BTF_KIND_FUNC);
  if (id <= 0) id = btf__find_by_name_kind(btf, ("__bpf_trace_" + event).c_str(), BTF_KIND_FUNC);
  if (id <= 0) return 0;
  const struct btf_type* proto = btf__type_by_id(btf, btf__type_by_id(btf, id)->type);
  if (!proto || !btf_is_func_proto(proto)) return 0;
  return static_cast<int>(btf__type_by_id(btf, id)->type);
}

int KernelTypes::compositeByName(const std::string& name) const {
  if (!btf()) return 0;
  for (int kind : {BTF_KIND_STRUCT, BTF_KIND_UNION}) {
    int id = btf__find_by_name_kind(btf(), name.c_str(), static_cast<__u32>(kind));
    if (id > 0) return id;
  }
  return 0;
}

int KernelTypes::tracepointArgCount(const std::string& event) const {
  int proto = tracepointProto(btf(), event);
  return proto ? static_cast<int>(params(proto).size()) - 1 : 0;
}

bool KernelTypes::hasRawTracepoint(const std::string& event) const { return tracepointProto(btf(), event) != 0; }

std::optional<std::pair<int, int>> KernelTypes::tracepointArg(const std::string& event, const std::string& name) const {
  int proto = tracepointProto(btf(), event);
  if (!proto) return std::nullopt;
  auto ps = params(proto);
  for (size_t i = 1; i < ps.size(); ++i)
    if (ps[i].first == name) return std::make_pair(static_cast<int>(i - 1), ps[i].second);
  return std::nullopt;
}

}  // namespace stp2bpf::tapset
