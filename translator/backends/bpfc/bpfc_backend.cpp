#include "backends/bpfc/bpfc_backend.h"

#include <algorithm>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <sstream>

#include "ast/visitor.h"
#include "backends/bpfc/builtins.h"
#include "common/print_format.h"
#include "common/regex_dfa.h"
#include "passes/string_values.h"
#include "tapset/builtins.h"
#include "tapset/kernel_info.h"
#include "tapset/kernel_types.h"

namespace stp2bpf::backends::bpfc {

using namespace ast;
using json = nlohmann::json;
using sema::Function;
using sema::DerivedProbe;
using sema::ProbeKind;
using sema::Symbol;

namespace {

int64_t nextPowerOfTwo(int64_t v) {
  int64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

std::string cIdent(const std::string& name) {
  std::string out;
  for (char c : name) out += c == '$' ? std::string("_S_") : std::string(1, c);
  return out;
}

std::string cString(const std::string& value) {
  std::string out = "\"";
  for (unsigned char c : value) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\%03o", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string fileLine(const SourceLocation& loc) {
  if (!loc.valid()) return "";
  std::string name = loc.file->name();
  size_t slash = name.rfind('/');
  if (slash != std::string::npos) name = name.substr(slash + 1);
  return name + ":" + std::to_string(loc.line);
}

// ---------------------------------------------------------------- struct layouts

// A field of a generated struct: 8-byte integers, or string buffers (multiples of 8).
struct Field {
  std::string name;
  std::string cType;   // "s64", "char", "struct stats_x"
  int64_t arrayLen = 0;  // for char buffers
  int64_t offset = 0;
  int64_t size = 8;
};

struct Layout {
  std::vector<Field> fields;
  int64_t size = 0;
  Field& add(const std::string& name, const std::string& cType, int64_t size, int64_t arrayLen = 0) {
    Field f;
    f.name = name;
    f.cType = cType;
    f.arrayLen = arrayLen;
    f.size = (size + 7) / 8 * 8;
    f.offset = this->size;
    this->size += f.size;
    fields.push_back(f);
    return fields.back();
  }
  const Field* find(const std::string& name) const {
    for (const Field& f : fields)
      if (f.name == name) return &f;
    return nullptr;
  }
  std::string declare(const std::string& structName) const {
    std::string out = "struct " + structName + " {\n";
    for (const Field& f : fields) {
      out += "  " + f.cType + " " + f.name;
      if (f.arrayLen) out += "[" + std::to_string(f.arrayLen) + "]";
      out += ";  /* offset " + std::to_string(f.offset) + " */\n";
    }
    if (fields.empty()) out += "  s64 __unused;\n";
    return out + "};\n";
  }
};

// Builtins that read the probed context's registers (struct stp_args: arguments, return
// value, instruction pointer, user mode), which SystemTap's tapset takes from CONTEXT->kregs
// or uregs in embedded C.
bool isRegisterBuiltin(const std::string& name) {
  return name == "returnval" || name == "user_mode" || name == "addr" || name == "uaddr" || name == "_stp_arg2" ||
         name == "__set_syscall_pt_regs" || name == "_stp_syscall_nr";
}

// What each part of the program needs, found before emitting.
class Survey : public Visitor {
 public:
  using Visitor::visit;
  explicit Survey(const sema::Program& p) : prog(p) {}
  const sema::Program& prog;
  bool exitCalled = false;
  std::map<const Symbol*, std::vector<const Histogram*>> histograms;
  std::map<const Symbol*, std::vector<const ArrayIndex*>> elements;  // every indexing of an array
  void visit(ArrayIndex& n) override {
    if (const Symbol* s = prog.symbolOf(n.base)) elements[s].push_back(&n);
    Visitor::visit(n);
  }
  bool registersRead = false;  // returnval(), user_mode(), addr(), uaddr(), *_arg(n)
  void visit(FunctionCall& n) override {
    if (n.name == "exit") exitCalled = true;
    if (isRegisterBuiltin(n.name)) registersRead = true;
    Visitor::visit(n);
  }
  void visit(Histogram& n) override {
    Expr* o = n.operand;
    if (auto* a = as<ArrayIndex>(o)) o = a->base;
    if (const Symbol* s = prog.symbolOf(o)) histograms[s].push_back(&n);
    Visitor::visit(n);
  }
  std::map<const Symbol*, std::vector<const StatOp*>> variances;  // @variance reads
  void visit(StatOp& n) override {
    Expr* o = n.operand;
    if (auto* a = as<ArrayIndex>(o)) o = a->base;
    if (n.stat == StatKind::Variance)
      if (const Symbol* s = prog.symbolOf(o)) variances[s].push_back(&n);
    Visitor::visit(n);
  }
};

// Where the emitted C gets what is only known once every program is written (scratch
// lists of foreach loops, the interned string table): before the first function or probe.
constexpr const char* kExtraMarker = "/*@stp2bpf-extra@*/\n";

class Emitter {
 public:
  Emitter(passes::PassContext& ctx, const Options& opt)
      : ctx_(ctx), prog_(ctx.program), opt_(opt), survey_(ctx.program),
        errorsAtStart_(ctx.diags.errorCount()), types_(ctx.kernel) {
    maxStr_ = ctx.limits.maxStringLen;
    strBuf_ = nextPowerOfTwo(std::max<int64_t>(maxStr_, 8));
  }

  Output run() {
    strings_ = passes::internStrings(ctx_);
    for (auto& p : prog_.probes) {
      survey_.visit(p.body);
      survey_.visit(p.condition);
    }
    // Functions too: a statistic printed as a histogram or read with @variance in a
    // function needs the fields for it in its layout.
    for (Function* f : prog_.calledFunctions) survey_.visit(f->body);
    layoutGlobals();
    std::ostringstream programs;
    if (!prog_.calledFunctions.empty()) {
      programs << "// Script functions: BPF-to-BPF calls (global subprograms, verified once each)\n";
      for (Function* f : prog_.calledFunctions)
        for (int d = 1; d <= copiesOf(f); ++d) programs << "int " << functionName(f, d) << "(void);\n";
      programs << "\n";
    }
    for (Function* f : prog_.calledFunctions)
      for (int d = 1; d <= copiesOf(f); ++d) programs << function(f, d);
    for (size_t i = 0; i < prog_.probes.size(); ++i) programs << probe(prog_.probes[i], i);

    Output out;
    if (ctx_.diags.errorCount() != errorsAtStart_) return out;
    out.header = header();
    std::ostringstream c;
    c << "// Generated by stp2bpf from " << opt_.scriptName << ": the kernel side of the script.\n"
      << "// Build: clang -target bpf -O2 -g -c " << opt_.baseName << ".bpf.c (with stp2bpf.bpf.h beside it).\n"
      << "// User space (stp2bpf run) loads it, attaches the programs listed in " << opt_.baseName
      << ".json, and\n// formats what arrives on the `events` ring buffer.\n"
      << "#define STP_MAXSTRINGLEN " << maxStr_ << "\n#define STP_STRBUF " << strBuf_ << "\n"
      << "#include \"stp2bpf.bpf.h\"\n#include \"" << opt_.baseName << ".h\"\n\n"
      << maps() << coreDeclarations() << tables() << kExtraMarker << programs.str();
    out.bpfC = c.str();
    out.manifest = manifest().dump(2) + "\n";
    return out;
  }

 private:
  // ================================================================ globals and maps

  struct ArrayInfo {
    std::string map;
    std::string keyStruct;
    Layout key;
    std::string valueType;  // "struct stp_long_elem", "struct stp_str_elem", "struct stats_X"
    int64_t valueSize = 8;
    int64_t seqOffset = 0;  // of the insertion number in the value
    bool stats = false;
  };

  void layoutGlobals() {
    globals_.add("__stp_lost", "s64", 8);  // events dropped because the ring buffer was full
    globals_.add("__stp_seq", "u64", 8);   // the next array element's insertion number
    // Set by exit() and by errors: as in SystemTap, no probe body but end and error ones
    // starts once the session is stopping (events already in flight finish).
    globals_.add("__stp_stopping", "s64", 8);
    for (const Symbol* g : prog_.globals) {
      if (!g->read && !g->written && !isAutoPrinted(g)) continue;
      std::string name = cIdent(g->name);
      if (g->type == Type::Stats) {
        statsLayouts_[g] = statsLayout(g);
      }
      if (g->keyTypes.empty() && g->type != Type::Stats) {
        if (isString(g)) globals_.add(name, "char", strBuf_, strBuf_);
        else globals_.add(name, "s64", 8);
        continue;
      }
      ArrayInfo a;
      a.map = "A_" + name;
      a.keyStruct = "key_" + name;
      for (size_t i = 0; i < g->keyTypes.size(); ++i) {
        if (g->keyTypes[i] == Type::String) {
          int64_t size = stringKeySize(g, i);
          a.key.add("k" + std::to_string(i), "char", size, size);
        } else {
          a.key.add("k" + std::to_string(i), "s64", 8);
        }
      }
      // Every element carries its insertion number (`seq`, after the value): SystemTap
      // visits unsorted arrays, and breaks ties of sorted ones, in insertion order.
      if (g->type == Type::Stats) {
        a.stats = true;
        a.valueType = "struct stats_" + name;
        a.valueSize = statsLayouts_[g].size;
        a.seqOffset = statsLayouts_[g].find("seq")->offset;
      } else if (isString(g)) {
        a.valueType = "struct stp_str_elem";
        a.valueSize = strBuf_ + 8;
        a.seqOffset = strBuf_;
      } else {
        a.valueType = "struct stp_long_elem";
        a.valueSize = 16;
        a.seqOffset = 8;
      }
      arrays_[g] = a;
    }
  }

  // A string key column as small as every string the script indexes it with: map keys
  // are hashed and compared in full, so `c[execname()]` is cheaper with 16 bytes than with
  // MAXSTRINGLEN.  Keys bound by foreach come out of the array itself.
  int64_t stringKeySize(const Symbol* g, size_t column) {
    int64_t size = 8;
    auto it = survey_.elements.find(g);
    if (it == survey_.elements.end()) return strBuf_;
    for (const ArrayIndex* a : it->second) {
      if (column >= a->indices.size() || !a->indices[column]) continue;  // `*` in a slice
      int64_t bound = stringBound(a->indices[column]);
      if (bound == 0) return strBuf_;
      size = std::max(size, (bound + 7) / 8 * 8);
    }
    return std::min(size, strBuf_);
  }

  // The most bytes (with the NUL) a string expression can have, or 0 if unknown.
  int64_t stringBound(const Expr* e) {
    if (auto* l = as<StringLiteral>(e)) return static_cast<int64_t>(std::min<size_t>(l->value.size(), maxStr_ - 1)) + 1;
    if (auto* c = as<FunctionCall>(e))
      if (c->name == "execname" && c->args.empty()) return kCommLen;
    if (strings_.isInterned(e)) {
      int64_t most = 1;
      for (int64_t id : valuesOf(const_cast<Expr*>(e)))
        most = std::max<int64_t>(most, static_cast<int64_t>(strings_.values[id].size()) + 1);
      return std::min<int64_t>(most, maxStr_);
    }
    return 0;
  }

  static constexpr int64_t kCommLen = 16;  // TASK_COMM_LEN: execname()

  Layout statsLayout(const Symbol* g) {
    Layout l;
    for (const char* f : {"count", "sum", "min", "max", "seq"}) l.add(f, "s64", 8);
    if (auto v = survey_.variances.find(g); v != survey_.variances.end()) {
      // Welford's running state, as runtime/stat-common.c keeps it per CPU (struct
      // stp_stats_variance in stp2bpf.bpf.h reads it at these offsets).  SystemTap allows
      // one bit shift per statistic (man stap, "Only one value of bit-shift").
      for (const char* f : {"avg_s", "m2", "var_s"}) l.add(f, "s64", 8);
      const StatOp* first = v->second.front();
      int64_t shift = first->params.empty() ? 0 : first->params[0];
      for (const StatOp* op : v->second) {
        int64_t other = op->params.empty() ? 0 : op->params[0];
        if (other < 0 || other > 62)
          ctx_.diags.error(op->loc, "@variance's bit shift must be 0 to 62 (man stap)");
        else if (other != shift)
          ctx_.diags.error(op->loc, "'" + g->name + "' is read with two different @variance bit shifts (" +
                                        std::to_string(shift) + " at " + first->loc.str() + ")");
      }
      varianceShift_[g] = static_cast<int>(std::clamp<int64_t>(shift, 0, 62));
    }
    auto it = survey_.histograms.find(g);
    if (it != survey_.histograms.end()) {
      bool logHist = false;
      const Histogram* linear = nullptr;
      for (const Histogram* h : it->second) {
        if (h->histKind == HistogramKind::Log) logHist = true;
        else if (!linear) linear = h;
        else if (h->start != linear->start || h->stop != linear->stop || h->interval != linear->interval)
          ctx_.diags.error(h->loc, "'" + g->name + "' is printed with two different @hist_linear ranges");
      }
      if (logHist) l.add("log", "s64", 8 * 128, 128);
      if (linear) {
        if (linear->interval <= 0 || linear->stop <= linear->start) {
          ctx_.diags.error(linear->loc, "@hist_linear needs start < stop and a positive interval");
        } else {
          int64_t buckets = (linear->stop - linear->start) / linear->interval + 3;
          if (buckets > 256) ctx_.diags.error(linear->loc, "@hist_linear has more than 256 buckets");
          else {
            // Room for the masked index (a power of two); user space reads `buckets`.
            l.add("linear", "s64", 8 * nextPowerOfTwo(buckets), nextPowerOfTwo(buckets));
            linearBuckets_[g] = buckets;
            linearParams_[g] = linear;
          }
        }
      }
    }
    return l;
  }

  bool isString(const Symbol* s) const { return s->type == Type::String && !strings_.isInterned(s); }
  bool isAutoPrinted(const Symbol* g) const {
    return std::find(prog_.autoPrint.begin(), prog_.autoPrint.end(), g) != prog_.autoPrint.end();
  }

  std::string header() {
    std::ostringstream h;
    h << "// Generated by stp2bpf from " << opt_.scriptName << ": structures shared by the BPF\n"
      << "// programs and user space (plain fixed-width fields; offsets also in the manifest).\n"
      << "#pragma once\n\n"
      << "struct stp_str {\n  char s[" << strBuf_ << "];\n};\n\n"
      << "// Array elements: the value, then the insertion number (SystemTap's element order)\n"
      << "struct stp_long_elem {\n  s64 v;\n  u64 seq;\n};\n"
      << "struct stp_str_elem {\n  char s[" << strBuf_ << "];\n  u64 seq;\n};\n\n";
    for (const auto& [g, l] : statsLayouts_) h << l.declare("stats_" + cIdent(g->name)) << "\n";
    h << "// Scalar globals (in .data)\n" << globals_.declare("stp_globals") << "\n";
    for (const auto& [g, a] : arrays_)
      if (!a.key.fields.empty()) h << a.key.declare(a.keyStruct) << "\n";
    for (const auto& [name, l] : frames_) h << "// Locals of " << name << "\n" << l.declare(name) << "\n";
    for (const auto& [site, l] : eventLayouts_) h << l.declare("ev_" + std::to_string(site)) << "\n";
    return h.str();
  }

  std::string maps() {
    std::ostringstream m;
    m << "// Scalar globals\nstruct stp_globals G SEC(\".data\") = {";
    bool first = true;
    for (const Symbol* g : prog_.globals) {
      if (!g->init || !globals_.find(cIdent(g->name))) continue;
      m << (first ? "\n" : ",\n") << "  ." << cIdent(g->name) << " = ";
      first = false;
      if (auto* n = as<NumberLiteral>(g->init)) m << literal(n->value);
      else if (auto* s = as<StringLiteral>(g->init))
        m << (strings_.isInterned(g) ? std::to_string(strings_.id(s->value)) : cString(s->value));
    }
    m << (first ? "};\n\n" : "\n};\n\n");
    for (const auto& [g, a] : arrays_) {
      int64_t max = g->maxEntries ? g->maxEntries : ctx_.limits.maxMapEntries;
      m << "// global " << g->name << " (" << fileLine(g->declLoc) << ")\nstruct {\n"
        << "  STP_MAP_UINT(type, " << (a.stats ? "STP_MAP_PERCPU_HASH" : "STP_MAP_HASH") << ");\n"
        << "  STP_MAP_UINT(max_entries, " << max << ");\n"
        << "  STP_MAP_TYPE(key, " << (a.key.fields.empty() ? std::string("u32") : "struct " + a.keyStruct) << ");\n"
        << "  STP_MAP_TYPE(value, " << a.valueType << ");\n} " << a.map << " SEC(\".maps\");\n\n";
    }
    for (const auto& [name, l] : frames_)
      m << "struct {\n  STP_MAP_UINT(type, STP_MAP_PERCPU_ARRAY);\n  STP_MAP_UINT(max_entries, 1);\n"
        << "  STP_MAP_TYPE(key, u32);\n  STP_MAP_TYPE(value, struct " << name << ");\n} map_" << name
        << " SEC(\".maps\");\n\n";
    if (probeArgsInFunctions_)
      m << "// The registers of the probe running on this CPU, for script functions that read them\n"
        << "struct {\n  STP_MAP_UINT(type, STP_MAP_PERCPU_ARRAY);\n  STP_MAP_UINT(max_entries, 1);\n"
        << "  STP_MAP_TYPE(key, u32);\n  STP_MAP_TYPE(value, struct stp_args);\n} stp_probe_args_map SEC(\".maps\");\n"
        << "STP_INLINE struct stp_args *stp_probe_args(void) {\n"
        << "  static struct stp_args none;\n  u32 zero = 0;\n"
        << "  struct stp_args *a = bpf_map_lookup_elem(&stp_probe_args_map, &zero);\n"
        << "  return a ? a : (struct stp_args *)&none;\n}\n\n";
    return m.str();
  }

  std::string tables() {
    std::ostringstream t;
    for (const std::string& l : tableLines_) t << l << "\n";
    if (!tableLines_.empty()) t << "\n";
    return t.str();
  }

  json manifest() {
    json m;
    m["format"] = 1;
    m["script"] = opt_.scriptName;
    m["maxstringlen"] = maxStr_;
    m["strbuf"] = strBuf_;
    m["strings"] = strings_.values;
    m["programs"] = programs_;
    m["prints"] = prints_;
    m["errors"] = errors_;
    json globals = json::array();
    for (const Symbol* g : prog_.globals) {
      json j;
      j["name"] = g->name;
      j["type"] = g->type == Type::Stats ? "stats" : g->type == Type::String ? (strings_.isInterned(g) ? "interned" : "string") : "long";
      j["autoprint"] = isAutoPrinted(g);
      if (const Field* f = globals_.find(cIdent(g->name))) {
        j["kind"] = "scalar";
        j["offset"] = f->offset;
        j["size"] = f->size;
      } else if (arrays_.count(g)) {
        const ArrayInfo& a = arrays_.at(g);
        j["kind"] = a.key.fields.empty() ? "statsscalar" : "array";
        j["map"] = a.map;
        j["key_size"] = a.key.fields.empty() ? 4 : a.key.size;
        j["value_size"] = a.valueSize;
        j["seq_offset"] = a.seqOffset;
        json keys = json::array();
        for (size_t i = 0; i < a.key.fields.size(); ++i)
          keys.push_back({{"type", g->keyTypes[i] == Type::String ? "string" : "long"},
                          {"offset", a.key.fields[i].offset}, {"size", a.key.fields[i].size}});
        j["keys"] = keys;
        if (a.stats) {
          const Layout& l = statsLayouts_.at(g);
          json fields;
          for (const Field& f : l.fields) {
            int64_t count = f.name == "linear" ? linearBuckets_.at(g) : f.arrayLen;  // not the padding
            fields[f.name] = {{"offset", f.offset}, {"count", count}};
          }
          j["stats"] = fields;
          if (linearParams_.count(g)) {
            const Histogram* h = linearParams_.at(g);
            j["linear"] = {{"start", h->start}, {"stop", h->stop}, {"interval", h->interval}};
          }
        }
      } else {
        continue;
      }
      globals.push_back(j);
    }
    m["globals"] = globals;
    m["globals_map"] = ".data";
    m["globals_size"] = globals_.size;
    m["lost_offset"] = globals_.find("__stp_lost")->offset;
    return m;
  }

  std::string literal(int64_t v) {
    if (v == INT64_MIN) return "(-9223372036854775807LL - 1)";
    return std::to_string(v) + "LL";
  }

  // ================================================================ probes

  // ================================================================ functions

  // A script function as a global BPF subprogram `int fn_NAME(void)`.  Its parameters,
  // locals and result live in its own per-CPU frame (one is enough: BPF has no recursion,
  // so a function is never active twice on a CPU); the caller writes the arguments there,
  // calls, and reads the result back.  It returns its abort state: 0, or an error (1) or
  // `next` (2) that the caller passes on.  `return` leaves through the function's loops
  // with state 3, cleared at the end.
  //
  // Recursion: BPF has none, so a recursive function is compiled once per nesting level
  // (fn_NAME_d1, fn_NAME_d2, ...), each calling the next; a call beyond the last level is
  // SystemTap's MAXNESTING error.
  std::string functionName(const Function* f, int depth = 1) {
    auto it = functionNames_.find(f);
    if (it == functionNames_.end()) {
      std::string base = "fn_" + cIdent(f->name), name = base;
      for (int n = 2; usedFunctionNames_.count(name); ++n) name = base + "_" + std::to_string(n);
      usedFunctionNames_.insert(name);
      it = functionNames_.emplace(f, name).first;
    }
    return prog_.recursionGroup.count(f) ? it->second + "_d" + std::to_string(depth) : it->second;
  }

  int copiesOf(const Function* f) const {
    auto g = prog_.recursionGroup.find(f);
    return g == prog_.recursionGroup.end() ? 1 : prog_.recursionCopies.at(g->second);
  }

  std::string function(Function* f, int depth) {
    function_ = f;
    functionDepth_ = depth;
    std::string name = functionName(f, depth);
    frameName_ = "frame_" + name;
    frame_ = Layout();
    for (const Symbol* s : f->params) frameField(s);
    std::vector<const Symbol*> locals;
    for (const Symbol* s : f->locals)
      if (std::find(f->params.begin(), f->params.end(), s) == f->params.end()) locals.push_back(s);
    int64_t firstLocal = frame_.size;
    for (const Symbol* s : locals) frameField(s);
    frame_.add("__abort", "s64", 8);
    frame_.add("__ret", "s64", 8);
    frame_.add("__errmsg", "char", strBuf_, strBuf_);  // an error's message, for the caller
    if (f->returnType == Type::String) frame_.add("__ret_s", "char", strBuf_, strBuf_);
    out_.str("");
    indent_ = 1;
    nextTemp_ = 0;
    maxDepth_ = 0;
    body(f->body);
    std::string bodyText = out_.str();
    frames_[frameName_] = frame_;
    std::ostringstream code;
    code << "// " << fileLine(f->decl->loc) << ": function " << f->name << "\n"
         << "__attribute__((noinline)) int " << name << "(void) {\n"
         << "  u32 zero = 0;\n"
         << "  struct " << frameName_ << " *F = bpf_map_lookup_elem(&map_" << frameName_ << ", &zero);\n"
         << "  if (!F) return 0;\n";
    for (size_t d = 0; d < maxDepth_; ++d) code << "  struct bpf_iter_num it" << d << ";\n";
    int64_t localBytes = frame_.find("__abort")->offset - firstLocal;
    if (localBytes > 0) {
      code << "  // locals start at 0 / \"\" on every call (the caller wrote the parameters)\n";
      maxZero_ = std::max(maxZero_, localBytes);
      code << "  stp_zero((char *)F + " << firstLocal << ", " << localBytes << ");\n";
    }
    code << "  F->__abort = 0;\n  F->__ret = 0;\n";
    if (f->returnType == Type::String) code << "  F->__ret_s[0] = 0;\n";
    code << bodyText << "done:\n  if (F->__abort == 3) F->__abort = 0;\n  return F->__abort;\n}\n\n";
    function_ = nullptr;
    return code.str();
  }

  // `return v` in a function.
  void returnStatement(ReturnStmt* r) {
    if (!function_) return;
    if (r->value) {
      if (function_->returnType == Type::String) line("stp_strcpy(F->__ret_s, " + strExpr(r->value) + ");");
      else line("F->__ret = " + longExpr(r->value) + ";");
    }
    line("F->__abort = 3;  // return");
    leave();
  }

  // A call of a script function: arguments into its frame, the call, its abort state
  // passed on, and its result (a number, or a string copied into `stringOut`).
  std::string scriptCall(FunctionCall* c, Function* f, std::string* stringOut = nullptr) {
    std::vector<std::string> args;
    for (Expr* a : c->args) args.push_back(a->type == Type::String ? strExpr(a) : longExpr(a));
    int depth = 1;
    auto group = prog_.recursionGroup.find(f);
    if (group != prog_.recursionGroup.end() && function_ && prog_.recursionGroup.count(function_) &&
        prog_.recursionGroup.at(function_) == group->second)
      depth = functionDepth_ + 1;
    if (depth > copiesOf(f)) {
      // SystemTap's message; the level count is min(MAXNESTING, what BPF's 8 call frames leave).
      error("MAXNESTING exceeded near identifier '" + f->name + "' at " + c->loc.str());
      if (stringOut) *stringOut = "\"\"";
      return "0";
    }
    std::string name = functionName(f, depth), callee = temp(), status = temp();
    line("struct frame_" + name + " *" + callee + " = bpf_map_lookup_elem(&map_frame_" + name + ", &zero);");
    line("s64 " + status + " = 1;");
    open("if (" + callee + ")");
    for (size_t i = 0; i < f->params.size() && i < args.size(); ++i) {
      std::string field = callee + "->" + local(f->params[i]);
      if (isString(f->params[i])) line("stp_strcpy(" + field + ", " + args[i] + ");");
      else line(field + " = " + args[i] + ";");
    }
    line(status + " = " + name + "();");
    close();
    open("if (" + status + ")");
    // An error in the callee: caught here, passed up from a function, or reported.
    open("if (" + status + " == 1 && " + callee + ")");
    std::string message = callee + "->__errmsg";
    if (caughtError([&](const std::string& var) { line("stp_strcpy(" + var + ", " + message + ");"); })) {
    } else if (function_) {
      line("stp_strcpy(F->__errmsg, " + message + ");");
    } else {
      line("G.__stp_stopping = 1;");
      reportError(message);
    }
    close();
    line("F->__abort = " + status + ";");
    leave();
    close();
    if (stringOut) {
      std::string t = "F->" + frameTemp(true);
      line("if (" + callee + ") stp_strcpy(" + t + ", " + callee + "->__ret_s); else " + t + "[0] = 0;");
      *stringOut = t;
      return "0";
    }
    return "(" + callee + " ? " + callee + "->__ret : 0)";
  }

  // `s =~ "re"`: the pattern compiled to an automaton now (common/regex_dfa.h); in BPF, a
  // matcher per pattern walks the string with one table lookup per byte.
  std::string regexMatch(RegexMatch* r) {
    RegexDfa dfa;
    std::string why;
    if (!compileRegex(r->pattern, dfa, why)) {
      unsupported(r, "this regular expression (" + why + ")");
      return "0";
    }
    if (auto* lit = as<StringLiteral>(r->subject)) return (dfa.matches(lit->value) != r->negated) ? "1" : "0";
    std::string matcher = regexMatcher(r, dfa);
    return std::string(r->negated ? "!" : "") + matcher + "(" + strExpr(r->subject) + ")";
  }

  std::string regexMatcher(RegexMatch* r, const RegexDfa& dfa) {
    auto known = regexMatchers_.find(r->pattern);
    if (known != regexMatchers_.end()) return known->second;
    std::string name = "stp_rx" + std::to_string(++counter_);
    size_t cells = dfa.states() * RegexDfa::kSymbols;
    int64_t size = nextPowerOfTwo(static_cast<int64_t>(cells)), states = nextPowerOfTwo(static_cast<int64_t>(dfa.states()));
    std::string next = "static const u16 STP_TABLE " + name + "_next[" + std::to_string(size) + "] = {";
    for (size_t st = 0; st < dfa.states(); ++st)
      for (int sym = 0; sym < RegexDfa::kSymbols; ++sym)
        next += (st || sym ? "," : "") + std::to_string(dfa.next[st][static_cast<size_t>(sym)]);
    std::string accept = "static const u8 STP_TABLE " + name + "_accept[" + std::to_string(states) + "] = {";
    for (size_t st = 0; st < dfa.states(); ++st) accept += (st ? "," : "") + std::string(dfa.accepting[st] ? "1" : "0");
    std::string cell = "stp_bound((u64)st * " + std::to_string(RegexDfa::kSymbols) + " + ";
    std::string mask = std::to_string(size - 1), amask = std::to_string(states - 1);
    tableLines_.push_back("// " + fileLine(r->loc) + ": =~ " + cString(r->pattern) + " (" +
                          std::to_string(dfa.states()) + " automaton states)");
    tableLines_.push_back(next + "};");
    tableLines_.push_back(accept + "};");
    tableLines_.push_back(
        "STP_NOINLINE s64 " + name + "(const char *s) {\n"
        "  u64 st = " + name + "_next[" + std::to_string(dfa.start * RegexDfa::kSymbols + RegexDfa::kBegin) +
        "];  // from the start state, on Begin\n"
        "  struct bpf_iter_num it;\n  int *i;\n"
        "  bpf_iter_num_new(&it, 0, STP_MAXSTRINGLEN);\n"
        "  while ((i = bpf_iter_num_next(&it))) {\n"
        "    if (" + name + "_accept[st & " + amask + "] || st == 0) break;  // matched, or cannot any more\n"
        "    u8 c = s[*i & (STP_STRBUF - 1)];\n"
        "    if (c == 0) break;\n"
        "    st = " + name + "_next[" + cell + "c, " + mask + ")];\n"
        "  }\n"
        "  bpf_iter_num_destroy(&it);\n"
        "  st = " + name + "_next[" + cell + std::to_string(RegexDfa::kEnd) + ", " + mask + ")];\n"
        "  return " + name + "_accept[st & " + amask + "];\n}");
    regexMatchers_[r->pattern] = name;
    return name;
  }

  // pp(), ppfunc() and probefunc(): constants of the probe being emitted (in a function,
  // which any probe may call, they are empty).  probefunc() is the probed function for
  // function probes; for others SystemTap symbolizes the probe's address, which BPF
  // cannot, so it is "" as for ppfunc().
  std::optional<std::string> probeConstant(const FunctionCall* c) {
    if (!c->args.empty() || scriptFunction(c)) return std::nullopt;
    bool functionProbe = probe_ && (probe_->point.kind == ProbeKind::KernelFunction ||
                                    probe_->point.kind == ProbeKind::UserFunction);
    bool text = c->name == "pp" || c->name == "ppfunc" || c->name == "probefunc";
    if (text && !probeOnly(c)) return "";
    if (c->name == "pp") return probe_ ? probe_->point.text : "";
    if (c->name == "ppfunc" || c->name == "probefunc") return functionProbe ? probe_->point.symbol : "";
    return std::nullopt;
  }

  // is_return() (sema::isReturnPoint).  Functions that call it are inlined.
  bool isReturnProbe(FunctionCall* c) {
    return probeOnly(c) && sema::isReturnPoint(probe_->point);
  }

  // The kernel stack where the probe hit, into the frame (bpf_get_stack; 0 frames where
  // the program has no context to unwind).  Returns the C expression of the frame count.
  // Taken once per probe hit, on first use (F->__stack_n is -1 until then), as SystemTap
  // caches the backtrace that stack(), caller_addr() and backtrace() share.
  std::string kernelStack(FunctionCall* c) {
    if (!probeOnly(c)) return "0";
    if (!frame_.find("__stack")) {
      frame_.add("__stack", "u64", 8 * kMaxBacktrace, kMaxBacktrace);
      frame_.add("__stack_n", "s64", 8);
    }
    std::string n = temp();
    open("if (F->__stack_n < 0)");
    // A raw tracepoint's program runs on the traced stack, under the BPF program's own
    // frame and bpf_trace_runN's: those two are skipped (the low bits of the flags), and
    // __traceiter_EVENT's too where the kernel called the tracepoint through it.
    bool raw = probe_->point.kind == ProbeKind::Tracepoint && probe_->point.rawTracepoint;
    line("s64 " + n + " = ctx ? bpf_get_stack(ctx, F->__stack, sizeof(F->__stack), " + (raw ? "2" : "0") +
         ") : 0;");
    if (raw) {
      ensureScratch();
      line("if (" + n + " > 0 && stp_is_traceiter(F->__stack[0], F->__scratch))");
      line("  " + n + " = bpf_get_stack(ctx, F->__stack, sizeof(F->__stack), 3);");
    }
    line("F->__stack_n = " + n + " > 0 ? (s64)((u64)" + n + " / 8) : 0;  /* bytes to frames; errors: none */");
    close();
    return "F->__stack_n";
  }

  // Builtins whose value belongs to the probe (its text, its kind, its stack): functions
  // that call them are inlined into their probes (passes/lower_effects.cpp), except
  // recursive ones, which stay shared and cannot have them.
  bool probeOnly(const FunctionCall* c) {
    if (probe_) return true;
    unsupported(c, "'" + c->name + "()' in a recursive function (shared by the probes that call it)");
    return false;
  }
  static constexpr int kMaxBacktrace = 32;  // >= SystemTap's MAXBACKTRACE (20)

  // print_backtrace(): one line per frame, as _stp_stack_kernel_print with _STP_SYM_FULL
  // prints it (runtime/stack.c, sym.c): " 0x%016lx : sym+0xoff/0xsize [module]\n".
  std::string printBacktrace(FunctionCall* c) {
    std::string n = kernelStack(c);
    ensureScratch();
    std::string text = "F->" + frameTemp(true);
    int site = static_cast<int>(prints_.size());
    Layout ev;
    ev.add("h", "struct stp_event_header", 8);
    const Field& f = ev.add("a0", "char", strBuf_, strBuf_);
    json info = {{"site", site}, {"kind", "printf"}, {"format", "%s"}, {"line", fileLine(c->loc)},
                 {"args", json::array({{{"type", "string"}, {"offset", f.offset}, {"size", f.size}}})},
                 {"size", ev.size}};
    prints_.push_back(info);
    eventLayouts_[site] = ev;
    std::string it = "it" + std::to_string(maxDepth_++);
    std::string i = temp();
    line("int *" + i + ";");
    line("bpf_iter_num_new(&" + it + ", 0, " + std::to_string(kMaxBacktrace) + ");");
    open("while ((" + i + " = bpf_iter_num_next(&" + it + ")))");
    line("if (*" + i + " >= " + n + ") break;");
    std::string sym = "F->" + frameTemp(true);
    line("stp_backtrace_line(" + text + ", F->__stack[*" + i + " & " + std::to_string(kMaxBacktrace - 1) + "], " + sym +
         ", F->__scratch);");
    submitEvent(site, "STP_EVENT_PRINT", {"stp_strcpy(e->a0, " + text + ");"}, true);
    close();
    line("bpf_iter_num_destroy(&" + it + ");");
    return "0";
  }

  Function* scriptFunction(const FunctionCall* c) {
    auto it = prog_.calls.find(c);
    return it == prog_.calls.end() ? nullptr : it->second.function;
  }

  // Keys up to this size are cleared with stores, larger ones with a helper call.
  static constexpr int64_t kKeyClearedByStores = 64;

  // Up to this many locals are cleared by plain stores at the start of a probe.
  static constexpr size_t kLocalsZeroedByStores = 8;

  std::string probe(DerivedProbe& p, size_t index) {
    probe_ = &p;
    std::string name = "probe_" + std::to_string(index);
    frameName_ = "frame_" + std::to_string(index);
    frame_ = Layout();
    for (const Symbol* s : p.locals) frameField(s);
    frame_.add("__abort", "s64", 8);
    out_.str("");
    indent_ = 1;
    nextTemp_ = 0;
    maxDepth_ = 0;
    json info;
    info["name"] = name;
    info["pp"] = p.point.text;
    info["line"] = fileLine(p.loc);
    std::string section, ctxType = "void *ctx", kind;
    std::string emulation;
    switch (p.point.kind) {
      case ProbeKind::Begin: kind = "begin"; section = "syscall"; info["priority"] = p.point.priority; break;
      case ProbeKind::End: kind = "end"; section = "syscall"; info["priority"] = p.point.priority; break;
      case ProbeKind::Error: kind = "error"; section = "syscall"; info["priority"] = p.point.priority; break;
      case ProbeKind::Never: kind = "never"; section = "syscall"; break;
      case ProbeKind::Timer:
        kind = "timer";
        section = "perf_event";
        info["period_ns"] = p.point.periodNs;
        break;
      case ProbeKind::Profile:
        kind = "profile";
        section = "perf_event";
        info["period_ns"] = p.point.periodNs;
        break;
      case ProbeKind::PerfSoftware:
        kind = "perf_software";
        section = "perf_event";
        info["event"] = p.point.perfEvent;
        info["sample"] = p.point.perfSample;
        break;
      case ProbeKind::Tracepoint:
        info["system"] = p.point.system;
        info["event"] = p.point.event;
        if (p.point.rawTracepoint) {
          // The TP_PROTO arguments, as SystemTap's kernel.trace probes see them.
          kind = "raw_tracepoint";
          section = "raw_tp/" + p.point.event;
          ctxType = "unsigned long long *ctx";
        } else {
          kind = "tracepoint";
          section = "tp/" + p.point.system + "/" + p.point.event;
          ctxType = "struct tp_" + std::to_string(index) + " *ctx";
        }
        break;
      case ProbeKind::KernelFunction:
        kind = "kprobe";
        section = std::string(p.point.isReturn ? "kretprobe/" : "kprobe/") + p.point.symbol;
        info["function"] = p.point.symbol;
        info["return"] = p.point.isReturn;
        info["params"] = ctx_.kernel.functionParams(p.point.symbol);
        ctxType = "struct pt_regs *ctx";
        emulation = name + "_emulated";
        info["emulation"] = emulation;
        break;
      case ProbeKind::UserFunction:
        kind = "uprobe";
        section = p.point.isReturn ? "uretprobe" : "uprobe";
        info["path"] = p.point.path;
        info["function"] = p.point.symbol;
        info["return"] = p.point.isReturn;
        ctxType = "struct pt_regs *ctx";
        break;
      default:
        ctx_.diags.error(p.point.loc, "probe point " + p.point.text + " cannot be expressed in BPF: " +
                                          (p.point.unsupportedReason.empty() ? "unsupported probe type"
                                                                             : p.point.unsupportedReason));
        return "";
    }
    info["kind"] = kind;
    info["section"] = section;

    // The body, written once into a static inline function; the program(s) call it.
    std::string args = "struct stp_args *A";
    body(p.body);
    std::string bodyText = out_.str();
    std::ostringstream code;
    std::string tpStruct;
    if (p.point.kind == ProbeKind::Tracepoint && !p.point.rawTracepoint) tpStruct = tracepointStruct(p, index);
    frames_[frameName_] = frame_;
    code << "// " << fileLine(p.loc) << ": probe " << p.point.text << "\n" << tpStruct;
    // `ctx` is the program's context for bpf_get_stack (backtraces), or 0 where the
    // program has none to unwind (begin/end probes, emulated kernel probes).
    code << "STP_INLINE int " << name << "_body(struct stp_args *A, void *ctx) {\n";
    if (p.point.kind != ProbeKind::End && p.point.kind != ProbeKind::Error)
      code << "  if (G.__stp_stopping) return 0;\n";
    code << "  u32 zero = 0;\n"
         << "  struct " << frameName_ << " *F = bpf_map_lookup_elem(&map_" << frameName_ << ", &zero);\n"
         << "  if (!F) return 0;\n";
    for (size_t d = 0; d < maxDepth_; ++d) code << "  struct bpf_iter_num it" << d << ";\n";
    code << "  // SystemTap locals start at 0 / \"\" on every hit\n";
    if (p.locals.size() <= kLocalsZeroedByStores) {
      for (const Symbol* s : p.locals) {
        if (isString(s)) code << "  F->" << local(s) << "[0] = 0;\n";
        else code << "  F->" << local(s) << " = 0;\n";
      }
    } else {
      // Many locals (inlined functions bring their own): one helper call clears them all.
      // Separate stores would be merged by clang into a memset larger than BPF can inline.
      int64_t bytes = frame_.find("__abort")->offset;
      maxZero_ = std::max(maxZero_, bytes);
      code << "  stp_zero(F, " << bytes << ");\n";
    }
    code << "  F->__abort = 0;\n";
    if (frame_.find("__stack_n")) code << "  F->__stack_n = -1;  // the kernel stack is not taken yet\n";
    if (probeArgsInFunctions_) {
      code << "  struct stp_args *saved = bpf_map_lookup_elem(&stp_probe_args_map, &zero);\n"
           << "  if (saved) *saved = *A;\n";
    }
    if (p.condition) {
      std::string c = longExprSimple(p.condition);
      code << "  if (!(" << c << ")) return 0;\n";
    }
    code << bodyText << "done:\n  return 0;\n}\n\n";
    std::string fill = "  struct stp_args A = {};\n";
    const char* registerArgs =
        "  A.arg[0] = STP_PARM1(ctx); A.arg[1] = STP_PARM2(ctx); A.arg[2] = STP_PARM3(ctx);\n"
        "  A.arg[3] = STP_PARM4(ctx); A.arg[4] = STP_PARM5(ctx); A.arg[5] = STP_PARM6(ctx);\n";
    switch (p.point.kind) {
      case ProbeKind::KernelFunction:
        fill += std::string(registerArgs) + "  A.ret = STP_RET(ctx);\n";
        if (survey_.registersRead) fill += "  A.ip = ctx->ip;\n";
        break;
      case ProbeKind::UserFunction:
        if (survey_.registersRead) fill += std::string(registerArgs) + "  A.ip = ctx->ip;\n  A.user_mode = 1;\n";
        fill += "  A.ret = STP_RET(ctx);\n";
        break;
      case ProbeKind::Timer:
      case ProbeKind::Profile:
      case ProbeKind::PerfSoftware:
        // A perf event's context starts with the interrupted registers (bpf_perf_event_data).
        if (survey_.registersRead)
          fill += "  struct pt_regs *regs = ctx;\n  A.ip = regs->ip;\n  A.user_mode = (regs->cs & 3) == 3;\n";
        break;
      case ProbeKind::Tracepoint:
        if (p.point.rawTracepoint) {
          int n = std::min(types_.tracepointArgCount(p.point.event), 6);
          for (int i = 0; i < n; ++i) fill += "  A.arg[" + std::to_string(i) + "] = ctx[" + std::to_string(i) + "];\n";
        } else {
          fill += "  A.tp = ctx;\n";
        }
        break;
      default: break;
    }
    code << "SEC(\"" << section << "\")\nint " << name << "(" << ctxType << ") {\n" << fill << "  "
         << name << "_body(&A, " << (section == "syscall" ? "0" : "ctx") << ");\n  return 0;\n}\n\n";
    if (!emulation.empty()) {
      // Run from user space with BPF_PROG_RUN when the kernel cannot attach the probe (no
      // kprobes here): the runtime passes the arguments, e.g. emulated key presses.
      code << "SEC(\"syscall\")\nint " << emulation << "(struct stp_args *ctx) {\n"
           << "  struct stp_args A = *ctx;\n  " << name << "_body(&A, 0);\n  return 0;\n}\n\n";
    }
    programs_.push_back(info);
    probe_ = nullptr;
    return code.str();
  }

  std::string tracepointStruct(DerivedProbe& p, size_t index) {
    const tapset::TracepointFormat* fmt = ctx_.kernel.tracepointFormat(p.point.system, p.point.event);
    std::ostringstream s;
    s << "struct tp_" << index << " {  // tracefs events/" << p.point.system << "/" << p.point.event << "/format\n"
      << "  u64 __common;\n";
    int offset = 8;
    if (fmt) {
      for (const auto& f : fmt->fields) {
        if (f.offset < offset) continue;
        if (f.offset > offset) s << "  char __pad" << offset << "[" << f.offset - offset << "];\n";
        std::string type = f.size == 8 ? (f.isSigned ? "s64" : "u64")
                           : f.size == 4 ? (f.isSigned ? "s32" : "u32")
                           : f.size == 2 ? (f.isSigned ? "s16" : "u16")
                           : f.size == 1 ? (f.isSigned ? "s8" : "u8") : "char";
        if (f.arrayLength > 0 || (f.size != 1 && f.size != 2 && f.size != 4 && f.size != 8))
          s << "  char " << cIdent(f.name) << "[" << f.size << "];\n";
        else if (f.isDataLoc)
          s << "  u32 " << cIdent(f.name) << ";  /* __data_loc: offset | length << 16 */\n";
        else
          s << "  " << type << " " << cIdent(f.name) << ";\n";
        offset = f.offset + f.size;
      }
    }
    s << "};\n";
    return s.str();
  }

  void frameField(const Symbol* s) {
    std::string name = local(s);
    if (frame_.find(name)) return;
    if (isString(s)) frame_.add(name, "char", strBuf_, strBuf_);
    else frame_.add(name, "s64", 8);
  }

  std::string local(const Symbol* s) {
    auto it = localNames_.find(s);
    if (it != localNames_.end()) return it->second;
    std::string base = "l_" + cIdent(s->name);
    std::string name = base;
    for (int n = 2; usedNames_.count(name); ++n) name = base + "_" + std::to_string(n);
    usedNames_.insert(name);
    localNames_[s] = name;
    return name;
  }

  // ================================================================ statements

  void line(const std::string& t) {
    for (int i = 0; i < indent_; ++i) out_ << "  ";
    out_ << t << "\n";
  }
  void open(const std::string& head) {
    line(head + " {");
    ++indent_;
  }
  void close() {
    --indent_;
    line("}");
  }

  void body(Stmt* s) {
    if (auto* b = as<Block>(s)) {
      for (Stmt* c : b->statements) statement(c);
    } else if (s) {
      statement(s);
    }
  }

  // Leaves the current probe (errors, `next`): through every open loop, so that each can
  // destroy its iterator.
  void leave() {
    if (!tries_.empty() && tries_.back().loopDepth == loops_.size()) line("goto " + tries_.back().label + ";");
    else if (loops_.empty()) line("goto done;");
    else line("break;");
  }

  // `try { } catch (msg) { }`: errors inside the body leave it (through its loops, like
  // leaving the probe) to the catch label, with the message in `msg` and nothing reported.
  // `next` (F->__abort == 2) passes through the handler to the enclosing level.
  struct TryFrame {
    std::string label;
    size_t loopDepth;
    std::string catchVar;  // the frame buffer of the catch variable, or ""
  };
  std::vector<TryFrame> tries_;

  void tryStatement(TryStmt* t) {
    std::string n = std::to_string(++counter_);
    TryFrame frame{"try" + n + "_catch", loops_.size(), ""};
    if (t->catchVar)
      if (const Symbol* v = prog_.symbolOf(t->catchVar)) frame.catchVar = "F->" + local(v);
    line("// " + fileLine(t->loc) + ": try");
    open("");
    tries_.push_back(frame);
    body(t->body);
    tries_.pop_back();
    line("goto try" + n + "_end;");
    close();
    line(frame.label + ":");
    line("// errors only: next (2) and return (3) pass through");
    open("if (F->__abort == 1)");
    line("F->__abort = 0;");
    body(t->handler);
    close();
    line("try" + n + "_end:;");
    open("if (F->__abort)");
    leave();
    close();
  }

  // Inside a try: the message goes to the catch variable instead of user space.
  bool caughtError(const std::function<void(const std::string&)>& storeMessage) {
    if (tries_.empty()) return false;
    if (!tries_.back().catchVar.empty()) storeMessage(tries_.back().catchVar);
    return true;
  }

  void statement(Stmt* s) {
    strTemps_ = 0;
    divisionChecks(s);
    switch (s->kind) {
      case Kind::Block: body(s); break;
      case Kind::ExprStmt: exprStatement(static_cast<ExprStmt*>(s)->expr); break;
      case Kind::IfStmt: {
        auto* i = static_cast<IfStmt*>(s);
        open("if (" + unparen(longExpr(i->cond)) + ")");
        body(i->thenStmt);
        if (i->elseStmt) {
          --indent_;
          line("} else {");
          ++indent_;
          body(i->elseStmt);
        }
        close();
        break;
      }
      case Kind::LoopStmt: loop(static_cast<LoopStmt*>(s)); break;
      case Kind::ForeachStmt: foreach(static_cast<ForeachStmt*>(s)); break;
      case Kind::DeleteStmt: deleteStatement(static_cast<DeleteStmt*>(s)); break;
      case Kind::BreakStmt: line("break;"); break;
      case Kind::ContinueStmt:
        if (!loops_.empty() && loops_.back().step) body(loops_.back().step);
        line("continue;");
        break;
      case Kind::NextStmt:
        line("F->__abort = 2;  // next");
        leave();
        break;
      case Kind::TryStmt: tryStatement(static_cast<TryStmt*>(s)); break;
      case Kind::ReturnStmt: returnStatement(static_cast<ReturnStmt*>(s)); break;
      case Kind::NullStmt: break;
      default:
        ctx_.diags.error(s->loc, std::string("internal: unexpected statement ") + kindName(s->kind));
    }
  }

  struct LoopFrame {
    Block* step;
  };

  // After a nested loop: leave the enclosing ones too if the probe is being left.
  void afterLoop() {
    open("if (F->__abort)");
    leave();
    close();
  }

  // Loops at the same depth never run at the same time, so they share one iterator slot:
  // the BPF stack is 512 bytes and inlined functions bring many loops.
  std::string iteratorForDepth() {
    size_t depth = loops_.size();
    maxDepth_ = std::max(maxDepth_, depth + 1);
    return "it" + std::to_string(depth);
  }

  void loop(LoopStmt* l) {
    std::string it = iteratorForDepth();
    line("// " + fileLine(l->loc) + ": " + l->origin + " loop, at most " + std::to_string(l->bound) +
         (l->boundIsExact ? " passes (proved)" : " passes (MAXACTION)"));
    open("");
    line("bpf_iter_num_new(&" + it + ", 0, " + std::to_string(l->bound) + ");");
    open("for (;;)");
    open("if (!bpf_iter_num_next(&" + it + "))");
    if (!l->boundIsExact) error("MAXACTION exceeded: a loop ran " + std::to_string(l->bound) + " times (at " +
                                l->loc.str() + "; -D MAXACTION=N raises the limit)", false);
    line("break;");
    close();
    loops_.push_back({l->step});
    body(l->body);
    if (l->step) body(l->step);
    loops_.pop_back();
    close();
    line("bpf_iter_num_destroy(&" + it + ");");
    close();
    afterLoop();
  }

  // Collects the array's entries into a per-CPU scratch list with bpf_for_each_map_elem,
  // then visits them with an iterator loop: in order for unsorted loops, by repeated
  // selection of the best unvisited entry for sorted ones.
  void foreach(ForeachStmt* f) {
    const Symbol* arr = prog_.symbolOf(f->array);
    if (!arr || !arrays_.count(arr)) {
      unsupported(f, "foreach over a histogram");
      return;
    }
    if (!f->slice.empty()) {
      unsupported(f, "foreach over an array slice");
      return;
    }
    const ArrayInfo& a = arrays_.at(arr);
    int index = ++counter_;
    std::string list = "fe" + std::to_string(index);
    int64_t cap = arr->maxEntries ? arr->maxEntries : ctx_.limits.maxMapEntries;
    foreachScratch(index, a, arr, cap, f);
    line("// " + fileLine(f->loc) + ": foreach over " + arr->name + (f->sortDirection ? ", sorted" : ""));
    open("");
    // Loop-carried values (the count, how many were visited) live in the frame, so the
    // verifier sees unknown values and the loop verifies in one pass.
    std::string N = std::to_string(index);
    frame_.add("__fe" + N + "_n", "s64", 8);
    frame_.add("__fe" + N + "_visited", "s64", 8);
    frame_.add("__fe" + N + "_best", "s64", 8);
    frame_.add("__fe" + N + "_bestkey", "s64", 8);
    frame_.add("__fe" + N + "_found", "s64", 8);
    frame_.add("__fe" + N + "_bestseq", "u64", 8);
    line("struct fe" + N + "_ctx C" + N + " = {};");
    line("bpf_for_each_map_elem(&" + a.map + ", fe" + N + "_collect, &C" + N + ", 0);");
    line("F->__fe" + N + "_n = C" + N + ".n;");
    line("F->__fe" + N + "_visited = 0;");
    if (f->limit) {
      frame_.add("__fe" + N + "_limit", "s64", 8);
      line("F->__fe" + N + "_limit = " + longExpr(f->limit) + ";");
    }
    std::string limit = f->limit ? "F->__fe" + N + "_limit" : std::to_string(cap);
    std::string it = iteratorForDepth();
    line("bpf_iter_num_new(&" + it + ", 0, " + std::to_string(cap) + ");");
    open("for (;;)");
    line("int *pos = bpf_iter_num_next(&" + it + ");");
    line("if (!pos) break;");
    line("if (F->__fe" + N + "_visited >= F->__fe" + N + "_n || F->__fe" + N + "_visited >= " + limit + ") break;");
    line("u32 slot = (u32)*pos;");
    line("slot = fe" + N + "_select(F->__fe" + N + "_n, &F->__fe" + N + "_best, &F->__fe" + N + "_bestkey, &F->__fe" +
         N + "_found, &F->__fe" + N + "_bestseq);");
    line("struct fe" + N + "_entry *E = bpf_map_lookup_elem(&fe" + N + "_list, &slot);");
    line("if (!E) break;");
    line("F->__fe" + N + "_visited++;");
    for (size_t i = 0; i < f->keys.size(); ++i) {
      const Symbol* k = prog_.symbolOf(f->keys[i]);
      if (!k) continue;
      std::string field = "E->key.k" + std::to_string(i);
      if (isString(k)) line("stp_strcpy(F->" + local(k) + ", " + field + ");");
      else line("F->" + local(k) + " = " + field + ";");
    }
    if (f->value)
      if (const Symbol* v = prog_.symbolOf(f->value)) {
        if (isString(v)) line("stp_strcpy(F->" + local(v) + ", E->value.s);");
        else if (a.stats) unsupported(f, "binding the value of a statistics array in foreach");
        else line("F->" + local(v) + " = E->value;");
      }
    loops_.push_back({nullptr});
    body(f->body);
    loops_.pop_back();
    close();
    line("bpf_iter_num_destroy(&" + it + ");");
    close();
    afterLoop();
  }

  void foreachScratch(int index, const ArrayInfo& a, const Symbol* arr, int64_t cap, ForeachStmt* f) {
    std::string n = std::to_string(index);
    std::ostringstream t;
    std::string keyType = a.key.fields.empty() ? "u32" : "struct " + a.keyStruct;
    bool stringValue = a.valueType == "struct stp_str_elem";
    std::string valueType = stringValue ? "struct stp_str" : "s64";
    t << "// foreach scratch list #" << n << " (global " << arr->name << ")\n"
      << "struct fe" << n << "_entry {\n  " << keyType << " key;\n  " << valueType << " value;\n  s64 sortkey;\n  u64 seq;\n  s64 used;\n};\n"
      << "struct {\n  STP_MAP_UINT(type, STP_MAP_PERCPU_ARRAY);\n  STP_MAP_UINT(max_entries, " << cap << ");\n"
      << "  STP_MAP_TYPE(key, u32);\n  STP_MAP_TYPE(value, struct fe" << n << "_entry);\n} fe" << n
      << "_list SEC(\".maps\");\n"
      << "struct fe" << n << "_ctx {\n  s64 n;\n};\n"
      << "static long fe" << n << "_collect(void *map, " << keyType << " *key, " << a.valueType
      << " *value, struct fe" << n << "_ctx *c) {\n"
      << "  u32 slot = (u32)c->n;\n  struct fe" << n << "_entry *e = bpf_map_lookup_elem(&fe" << n << "_list, &slot);\n"
      << "  if (!e) return 1;\n  e->key = *key;\n";
    if (a.stats) t << "  e->value = value->count;\n";
    else if (stringValue) t << "  bpf_probe_read_kernel(e->value.s, sizeof(e->value.s), value->s);\n";
    else t << "  e->value = value->v;\n";
    t << "  e->seq = value->seq;\n";
    // The sort key: the value (or an aggregate of it), or one key column.
    std::string sortKey = "0";
    std::string sortString;  // a string column: compared with stp_strcmp in the selection
    if (f->sortDirection) {
      if (f->sortColumn == 0) {
        if (a.stats) {
          const char* agg = f->sortAggregate == StatKind::Sum ? "sum" : f->sortAggregate == StatKind::Min ? "min"
                            : f->sortAggregate == StatKind::Max ? "max" : "count";
          sortKey = std::string("value->") + agg;
          if (f->sortAggregate == StatKind::Avg) sortKey = "(value->count ? stp_sdiv(value->sum, value->count) : 0)";
          if (f->sortAggregate == StatKind::Variance) unsupported(f, "sorting a foreach by @variance");
        } else if (!stringValue) {
          sortKey = "value->v";
        } else {
          sortString = "value.s";
        }
      } else {
        size_t col = static_cast<size_t>(f->sortColumn - 1);
        if (col < a.key.fields.size() && !a.key.fields[col].arrayLen) sortKey = "key->" + a.key.fields[col].name;
        else if (col < a.key.fields.size()) sortString = "key." + a.key.fields[col].name;
        else unsupported(f, "sorting by this key column");
      }
      if (f->sortDirection < 0) sortKey = "-(" + sortKey + ")";  // ascending selection below
    }
    t << "  e->sortkey = " << sortKey << ";\n  e->used = 0;\n  c->n++;\n  return 0;\n}\n";
    // Selection of the next entry: the unused one with the smallest sort key, ties (and
    // unsorted loops, whose keys are all 0) in insertion order.
    t << "STP_INLINE u32 fe" << n << "_select(s64 count, s64 *best, s64 *bestKey, s64 *found, u64 *bestSeq) {\n"
      << "  struct bpf_iter_num it;\n  int *i;\n  *best = 0;\n  *bestKey = 0;\n  *found = 0;\n  *bestSeq = 0;\n"
      << "  bpf_iter_num_new(&it, 0, " << cap << ");\n"
      << "  while ((i = bpf_iter_num_next(&it))) {\n"
      << "    u32 slot = (u32)*i;\n    if (slot >= count) break;\n"
      << "    struct fe" << n << "_entry *e = bpf_map_lookup_elem(&fe" << n << "_list, &slot);\n"
      << "    if (!e || e->used) continue;\n";
    if (sortString.empty()) {
      t << "    if (!*found || e->sortkey < *bestKey || (e->sortkey == *bestKey && e->seq < *bestSeq)) {\n";
    } else {
      // Strings: compared with the best so far (looked up again: map values are stable).
      t << "    u32 b1 = (u32)*best;\n"
        << "    struct fe" << n << "_entry *b = *found ? bpf_map_lookup_elem(&fe" << n << "_list, &b1) : 0;\n"
        << "    s64 c = b ? " << (f->sortDirection < 0 ? "-" : "") << "stp_strcmp(e->" << sortString << ", b->"
        << sortString << ") : 0;\n"
        << "    if (!*found || (b && (c < 0 || (c == 0 && e->seq < *bestSeq)))) {\n";
    }
    t << "      *best = slot; *bestKey = e->sortkey; *bestSeq = e->seq; *found = 1;\n    }\n"
      << "  }\n  bpf_iter_num_destroy(&it);\n"
      << "  u32 b0 = (u32)*best;\n"
      << "  struct fe" << n << "_entry *b = bpf_map_lookup_elem(&fe" << n << "_list, &b0);\n"
      << "  if (b) b->used = 1;\n  return b0;\n}\n";
    pendingForeachScratch_.push_back(t.str());
  }

  void deleteStatement(DeleteStmt* d) {
    if (auto* a = as<ArrayIndex>(d->target)) {
      const Symbol* s = prog_.symbolOf(a->base);
      if (!s || !arrays_.count(s)) return;
      for (Expr* k : a->indices)
        if (!k) {
          unsupported(d, "'delete' with a '*' wildcard key");
          return;
        }
      std::string key = buildKey(a);
      line("bpf_map_delete_elem(&" + arrays_.at(s).map + ", " + key + ");");
      return;
    }
    const Symbol* s = prog_.symbolOf(d->target);
    if (!s) return;
    if (s->kind != sema::SymbolKind::Global) {
      if (isString(s)) line("F->" + local(s) + "[0] = 0;");
      else line("F->" + local(s) + " = 0;");
      return;
    }
    if (const Field* f = globals_.find(cIdent(s->name))) {
      if (f->arrayLen) line("G." + f->name + "[0] = 0;");
      else line("G." + f->name + " = 0;");
      return;
    }
    if (arrays_.count(s)) {
      // Every element (or a statistic's per-CPU values): one map walk deleting as it goes.
      line("bpf_for_each_map_elem(&" + arrays_.at(s).map + ", stp_delete_elem_cb, 0, 0);");
      return;
    }
    unsupported(d, "deleting this variable");
  }

  void exprStatement(Expr* e) {
    switch (e->kind) {
      case Kind::Assignment: assignment(static_cast<Assignment*>(e)); break;
      case Kind::IncDec: {
        auto* i = static_cast<IncDec*>(e);
        storeLong(i->operand, [&](const std::string& old) { return old + (i->increment ? " + 1" : " - 1"); }, true,
                  i->increment ? "1" : "-1");
        break;
      }
      case Kind::PrintCall: print(static_cast<PrintCall*>(e)); break;
      case Kind::FunctionCall: callStatement(static_cast<FunctionCall*>(e)); break;
      default: break;
    }
  }

  void callStatement(FunctionCall* c) {
    if (c->name == "exit") {
      line("G.__stp_stopping = 1;");
      line("stp_exit();  // the probe still runs to its end");
      return;
    }
    if (c->name == "error") {
      errorWithMessage(c->args[0]);
      return;
    }
    if (c->name == "warn" || c->name == "log") {
      PrintCall* p = ctx_.ast.make<PrintCall>(c->loc, PrintKind::Printf);
      p->formatOrDelimiter = c->name == "warn" ? "%s\n" : "%s\n";
      p->args = c->args;
      printSite(p, c->name == "warn" ? "warn" : "printf");
      return;
    }
    line(longExpr(c) + ";");
  }

  // ---------------------------------------------------------------- assignment

  void assignment(Assignment* a) {
    if (a->op == AssignOp::Aggregate) {
      aggregate(a);
      return;
    }
    if (a->target->type == Type::String && !internedTarget(a->target)) {
      std::string dst = stringLvalue(a->target);
      if (dst.empty()) return;
      std::string src = strExpr(a->value);
      if (a->op == AssignOp::Concat) {
        ensureScratch();
        line("stp_strcat(" + dst + ", " + src + ", F->__scratch);");
      } else {
        line("stp_strcpy(" + dst + ", " + src + ");");
      }
      storeString(a->target, dst);
      return;
    }
    if (a->op == AssignOp::Concat) {
      std::string v = concatTable(a->target, a->value, a);
      storeLong(a->target, [&](const std::string&) { return v; }, false);
      return;
    }
    bool interned = a->target->type == Type::String;
    std::string v = interned ? idOf(a->value) : longExpr(a->value);
    switch (a->op) {
      case AssignOp::Assign: storeLong(a->target, [&](const std::string&) { return v; }, false); return;
      case AssignOp::Div: storeLong(a->target, [&](const std::string& o) { return "stp_sdiv(" + o + ", " + v + ")"; }); return;
      case AssignOp::Mod: storeLong(a->target, [&](const std::string& o) { return "stp_smod(" + o + ", " + v + ")"; }); return;
      default: {
        std::string op = assignOpSpelling(a->op);
        op.pop_back();  // "+=" -> "+"
        std::string addend = a->op == AssignOp::Add ? v : a->op == AssignOp::Sub ? "-(" + v + ")" : "";
        storeLong(a->target, [&](const std::string& o) { return o + " " + op + " " + v; }, true, addend);
        return;
      }
    }
  }

  bool internedTarget(Expr* target) {
    const Node* base = target;
    if (auto* a = as<ArrayIndex>(target)) base = a->base;
    const Symbol* s = prog_.symbolOf(base);
    return s && strings_.isInterned(s);
  }

  // Writes a long (or interned id) target: `value(old)` gives the new value from the old.
  void storeLong(Expr* target, const std::function<std::string(const std::string&)>& value,
                 bool needsOld = true, const std::string& addend = "") {
    if (auto* v = as<Variable>(target)) {
      const Symbol* s = prog_.symbolOf(v);
      std::string ref = s->kind == sema::SymbolKind::Global ? "G." + cIdent(s->name) : "F->" + local(s);
      line(ref + " = " + value(ref) + ";");
      return;
    }
    if (auto* a = as<ArrayIndex>(target)) {
      const Symbol* s = prog_.symbolOf(a->base);
      if (!s || !arrays_.count(s)) return;
      const ArrayInfo& info = arrays_.at(s);
      std::string key = buildKey(a);
      // An existing element is written in place (atomically for `+=`, `++`: the common
      // counter); a new one is inserted with its insertion number.  The new element is
      // built in the frame rather than on the stack: each stack variable would keep its
      // own slot for the whole (inlined) probe body, and a few hundred element writes
      // exceed 512 bytes.
      if (!frame_.find("__newlong")) frame_.add("__newlong", "struct stp_long_elem", 16);
      std::string t = temp();
      line("struct stp_long_elem *" + t + " = bpf_map_lookup_elem(&" + info.map + ", " + key + ");");
      open("if (" + t + ")");
      if (!addend.empty()) line("__sync_fetch_and_add(&" + t + "->v, " + addend + ");");
      else line(t + "->v = " + value(t + "->v") + ";");
      --indent_;
      line("} else {");
      ++indent_;
      line("F->__newlong.v = " + (needsOld ? value("0") : value("")) + ";");
      insertElement(info, key, "&F->__newlong", target);
      close();
      return;
    }
    unsupported(target, "assigning to this expression");
  }

  std::string stringLvalue(Expr* target) {
    if (auto* v = as<Variable>(target)) {
      const Symbol* s = prog_.symbolOf(v);
      return s->kind == sema::SymbolKind::Global ? "G." + cIdent(s->name) : "F->" + local(s);
    }
    if (as<ArrayIndex>(target)) {
      std::string t = "F->" + frameTemp(true);
      return t;
    }
    unsupported(target, "assigning to this expression");
    return "";
  }

  // After writing a string into `buffer`: store it in the array element, if the target is one.
  void storeString(Expr* target, const std::string& buffer) {
    auto* a = as<ArrayIndex>(target);
    if (!a) return;
    const Symbol* s = prog_.symbolOf(a->base);
    if (!s || !arrays_.count(s)) return;
    const ArrayInfo& info = arrays_.at(s);
    std::string key = buildKey(a);
    if (!frame_.find("__newstr")) frame_.add("__newstr", "struct stp_str_elem", strBuf_ + 8);
    std::string t = temp();
    line("struct stp_str_elem *" + t + " = bpf_map_lookup_elem(&" + info.map + ", " + key + ");");
    open("if (" + t + ")");
    line("stp_strcpy(" + t + "->s, " + buffer + ");");
    --indent_;
    line("} else {");
    ++indent_;
    line("stp_strcpy(F->__newstr.s, " + buffer + ");");
    insertElement(info, key, "&F->__newstr", target);
    close();
  }

  // Inserts a new element (its value already in `elem`), numbered in insertion order.  A
  // full array is SystemTap's "Array overflow" error.
  void insertElement(const ArrayInfo& info, const std::string& key, const std::string& elem, Expr* at) {
    line("(" + elem + ")->seq = __sync_fetch_and_add(&G.__stp_seq, 1);");
    open("if (stp_map_insert(&" + info.map + ", " + key + ", " + elem + "))");
    std::string name = "?";
    if (auto* a = as<ArrayIndex>(at))
      if (auto* v = as<Variable>(a->base)) name = v->name;
    error("Array overflow, check MAXMAPENTRIES near identifier '" + name + "' at " + at->loc.str());
    close();
  }

  // `x <<< v`: per-CPU count, sum, min, max and histogram buckets.
  void aggregate(Assignment* a) {
    const Symbol* s;
    std::string key;
    if (auto* ai = as<ArrayIndex>(a->target)) {
      s = prog_.symbolOf(ai->base);
      if (!s || !arrays_.count(s)) return;
      key = buildKey(ai);
    } else {
      s = prog_.symbolOf(a->target);
      if (!s || !arrays_.count(s)) return;
      line("u32 " + temp() + "k = 0;");
      key = "&" + lastTemp_ + "k";
    }
    const ArrayInfo& info = arrays_.at(s);
    std::string v = longExpr(a->value);
    std::string st = temp();
    line("struct stats_" + cIdent(s->name) + " *" + st + " = stp_stats_slot(&" + info.map + ", " + key + ", F->__statsbuf" + ");");
    ensureStatsBuffer(info.valueSize);
    open("if (" + st + ")");
    line("s64 v = " + v + ";");
    line("if (" + st + "->count == 0) " + st + "->seq = __sync_fetch_and_add(&G.__stp_seq, 1);");
    line("if (" + st + "->count == 0 || v < " + st + "->min) " + st + "->min = v;");
    line("if (" + st + "->count == 0 || v > " + st + "->max) " + st + "->max = v;");
    line(st + "->count++;");
    line(st + "->sum += v;");
    if (varianceShift_.count(s)) {
      // Welford's update in fixed point, as __stp_stat_add does it (runtime/stat-common.c),
      // including its `int delta`: the difference is truncated to 32 bits.
      std::string shifted = "(s64)((u64)v << " + std::to_string(varianceShift_.at(s)) + ")";
      open("if (" + st + "->count == 1)");
      line(st + "->avg_s = " + shifted + ";");
      line(st + "->m2 = 0;");
      close();
      open("else");
      line("s32 delta = (s32)(" + shifted + " - " + st + "->avg_s);");
      line(st + "->avg_s += stp_sdiv(delta, " + st + "->count);");
      line(st + "->m2 += (s64)delta * (" + shifted + " - " + st + "->avg_s);");
      line(st + "->var_s = stp_sdiv(" + st + "->m2, " + st + "->count - 1);");
      close();
    }
    if (statsLayouts_.at(s).find("log")) line(st + "->log[stp_bound(stp_log_bucket(v), 127)]++;");
    if (linearParams_.count(s)) {
      const Histogram* h = linearParams_.at(s);
      int64_t buckets = (h->stop - h->start) / h->interval + 3;
      line(st + "->linear[stp_bound(stp_linear_bucket(v, " + literal(h->start) + ", " + literal(h->interval) + ", " +
           std::to_string(buckets) + "), " + std::to_string(nextPowerOfTwo(buckets) - 1) + ")]++;");
    }
    close();
  }

  void ensureStatsBuffer(int64_t size) {
    if (!frame_.find("__statsbuf")) frame_.add("__statsbuf", "char", std::max<int64_t>(size, 8), std::max<int64_t>(size, 8));
    else if (frame_.find("__statsbuf")->size < size)
      ctx_.diags.error({}, "internal: statistics buffer too small");
  }

  // ---------------------------------------------------------------- output

  void print(PrintCall* p) {
    if (p->histogram) {
      histogramPrint(p);
      return;
    }
    printSite(p, printKindName(p->printKind));
  }

  // One print site: a ring buffer record with the arguments; user space formats it.
  void printSite(PrintCall* p, const std::string& kind) {
    if (printKindReturnsString(p->printKind)) {
      unsupported(p, std::string("'") + printKindName(p->printKind) + "' as a value (not yet)");
      return;
    }
    int site = static_cast<int>(prints_.size());
    Layout ev;
    ev.add("h", "struct stp_event_header", 8);
    json info;
    info["site"] = site;
    info["kind"] = kind;
    info["format"] = p->formatOrDelimiter;
    info["line"] = fileLine(p->loc);
    json args = json::array();
    std::vector<std::pair<std::string, std::string>> fills;  // field, statement template
    for (size_t i = 0; i < p->args.size(); ++i) {
      Expr* e = p->args[i];
      std::string field = "a" + std::to_string(i);
      json a;
      if (e->type == Type::String && !strings_.isInterned(e)) {
        const Field& f = ev.add(field, "char", strBuf_, strBuf_);
        a = {{"type", "string"}, {"offset", f.offset}, {"size", f.size}};
        fills.push_back({field, "stp_strcpy(e->" + field + ", " + strExpr(e) + ");"});
      } else {
        const Field& f = ev.add(field, "s64", 8);
        bool interned = e->type == Type::String;
        a = {{"type", interned ? "interned" : "long"}, {"offset", f.offset}};
        fills.push_back({field, "e->" + field + " = " + (interned ? idOf(e) : longExpr(e)) + ";"});
      }
      args.push_back(a);
    }
    info["args"] = args;
    info["size"] = ev.size;
    prints_.push_back(info);
    eventLayouts_[site] = ev;
    std::vector<std::string> statements;
    for (const auto& [field, stmt] : fills) statements.push_back(stmt);
    submitEvent(site, "STP_EVENT_PRINT", statements, true);
  }

  // One ring-buffer record of site `site`: reserved, filled by `fills` (which write
  // through `e`), submitted; a full buffer counts a lost event (output) or drops it.
  void submitEvent(int site, const char* kind, const std::vector<std::string>& fills, bool countLost) {
    open("");
    line("struct ev_" + std::to_string(site) + " *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);");
    open("if (e)");
    line(std::string("e->h.kind = ") + kind + ";");
    line("e->h.site = " + std::to_string(site) + ";");
    for (const std::string& f : fills) line(f);
    line("bpf_ringbuf_submit(e, 0);");
    if (countLost) {
      --indent_;
      line("} else {");
      ++indent_;
      line("__sync_fetch_and_add(&G.__stp_lost, 1);");
    }
    close();
    close();
  }

  // print(@hist_log(x)) / print(@hist_linear(x[k], ...)): the buckets summed over the CPUs
  // travel in the event, so user space prints the statistic as it was at the print.
  void histogramPrint(PrintCall* p) {
    Histogram* h = p->histogram;
    Expr* o = h->operand;
    const Symbol* s = nullptr;
    std::string key;
    if (auto* a = as<ArrayIndex>(o)) {
      s = prog_.symbolOf(a->base);
      if (!s || !arrays_.count(s)) return;
      key = buildKey(a);
    } else {
      s = prog_.symbolOf(o);
      if (!s || !arrays_.count(s)) return;
      line("u32 " + temp() + "k = 0;");
      key = "&" + lastTemp_ + "k";
    }
    bool log = h->histKind == HistogramKind::Log;
    const Field* buckets = statsLayouts_.at(s).find(log ? "log" : "linear");
    if (!buckets) return;  // a linear range refused by statsLayout
    int64_t count = log ? buckets->arrayLen : linearBuckets_.at(s);
    const std::string& map = arrays_.at(s).map;
    // SystemTap's generated code checks the count first and reports the print call
    // ("empty aggregate" near identifier 'print'; see tools/stap-c).
    std::string agg = temp();
    line("struct stp_agg " + agg + " = stp_aggregate(&" + map + ", " + key + ");");
    open("if (" + agg + ".count == 0)");
    error(std::string("empty aggregate near identifier '") + printKindName(p->printKind) + "' at " + p->loc.str());
    close();

    int site = static_cast<int>(prints_.size());
    Layout ev;
    ev.add("h", "struct stp_event_header", 8);
    const Field& countField = ev.add("count", "s64", 8);
    const Field& bucketsField = ev.add("b", "s64", 8 * buckets->arrayLen, buckets->arrayLen);
    json info;
    info["site"] = site;
    info["kind"] = log ? "hist_log" : "hist_linear";
    info["newline"] = printKindAddsNewline(p->printKind);
    info["global"] = s->name;
    info["count_offset"] = countField.offset;
    info["buckets_offset"] = bucketsField.offset;
    info["buckets"] = count;
    info["size"] = ev.size;
    prints_.push_back(info);
    eventLayouts_[site] = ev;
    submitEvent(site, "STP_EVENT_HIST",
                {"e->count = stp_hist_snapshot(&" + map + ", " + key + ", " + std::to_string(buckets->offset) + ", " +
                 std::to_string(count) + ", " + std::to_string(buckets->arrayLen - 1) + ", e->b);"},
                true);
  }

  // Reports an error whose message is in a C string buffer (one raised in a function).
  void reportError(const std::string& buffer) {
    int site = static_cast<int>(prints_.size());
    Layout ev;
    ev.add("h", "struct stp_event_header", 8);
    const Field& f = ev.add("a0", "char", strBuf_, strBuf_);
    json info = {{"site", site}, {"kind", "error"}, {"format", "%s\n"}, {"line", ""},
                 {"args", json::array({{{"type", "string"}, {"offset", f.offset}, {"size", f.size}}})},
                 {"size", ev.size}};
    prints_.push_back(info);
    eventLayouts_[site] = ev;
    submitEvent(site, "STP_EVENT_PRINT", {"stp_strcpy(e->a0, " + buffer + ");"}, false);
  }

  // A run-time error: reported to user space, which ends the session after running the
  // error and end probes; the probe stops here.
  void error(const std::string& message, bool leaveProbe = true) {
    if (caughtError([&](const std::string& var) { line("stp_strcpy(" + var + ", " + cString(message) + ");"); })) {
    } else if (function_) {
      // In a function: the message goes back to the caller, which may catch it.
      line("stp_strcpy(F->__errmsg, " + cString(message) + ");");
    } else {
      int site = static_cast<int>(errors_.size());
      errors_.push_back({{"site", site}, {"message", message}});
      line("G.__stp_stopping = 1;");
      line("stp_error(" + std::to_string(site) + ");");
    }
    line("F->__abort = 1;");
    if (leaveProbe) leave();
  }

  void errorWithMessage(Expr* message) {
    if (caughtError([&](const std::string& var) { line("stp_strcpy(" + var + ", " + strExpr(message) + ");"); })) {
    } else if (function_) {
      line("stp_strcpy(F->__errmsg, " + strExpr(message) + ");");
    } else {
      PrintCall* p = ctx_.ast.make<PrintCall>(message->loc, PrintKind::Printf);
      p->formatOrDelimiter = "%s\n";
      p->args = {message};
      line("G.__stp_stopping = 1;");
      printSite(p, "error");
    }
    line("F->__abort = 1;");
    leave();
  }

  void divisionChecks(Stmt* s) {
    struct F : Visitor {
      using Visitor::visit;
      std::vector<std::pair<Expr*, std::string>> divisors;
      void visit(Binary& b) override {
        if ((b.op == BinaryOp::Div || b.op == BinaryOp::Mod) && !as<NumberLiteral>(b.right))
          divisors.push_back({b.right, std::string("division by 0 near operator '") + binaryOpSpelling(b.op) +
                                           "' at " + b.loc.str()});
        Visitor::visit(b);
      }
      void visit(Assignment& a) override {
        if ((a.op == AssignOp::Div || a.op == AssignOp::Mod) && !as<NumberLiteral>(a.value))
          divisors.push_back({a.value, std::string("division by 0 near operator '") + assignOpSpelling(a.op) +
                                           "' at " + a.loc.str()});
        Visitor::visit(a);
      }
    } f;
    switch (s->kind) {
      case Kind::ExprStmt: f.visit(static_cast<ExprStmt*>(s)->expr); break;
      case Kind::IfStmt: f.visit(static_cast<IfStmt*>(s)->cond); break;
      case Kind::ForeachStmt: f.visit(static_cast<ForeachStmt*>(s)->limit); break;
      default: break;
    }
    for (auto& [divisor, message] : f.divisors) {
      open("if ((" + longExpr(divisor) + ") == 0)");
      error(message);
      close();
    }
  }

  // ================================================================ expressions

  // Builds the key struct of an array access in the frame and returns a pointer to it.
  std::string buildKey(ArrayIndex* a) {
    const Symbol* s = prog_.symbolOf(a->base);
    const ArrayInfo& info = arrays_.at(s);
    if (info.key.fields.empty()) {
      line("u32 " + temp() + "k = 0;");
      return "&" + lastTemp_ + "k";
    }
    std::string k = frameKey(info);
    // Hash keys compare all their bytes: clear the buffer (small ones with stores, large
    // ones with one helper call).
    if (info.key.size <= kKeyClearedByStores) {
      line("__builtin_memset(&F->" + k + ", 0, sizeof(F->" + k + "));");
    } else {
      line("stp_zero(&F->" + k + ", sizeof(F->" + k + "));");
      maxZero_ = std::max(maxZero_, info.key.size);
    }
    for (size_t i = 0; i < a->indices.size() && i < info.key.fields.size(); ++i) {
      Expr* e = a->indices[i];
      if (!e) continue;
      std::string field = "F->" + k + "." + info.key.fields[i].name;
      int64_t len = info.key.fields[i].arrayLen;
      auto* call = as<FunctionCall>(e);
      if (len >= kCommLen && call && call->name == "execname" && call->args.empty())
        line("bpf_get_current_comm(" + field + ", " + std::to_string(kCommLen) + ");");  // straight into the key
      else if (len) line("stp_strncpy(" + field + ", " + strExpr(e) + ", " + std::to_string(len) + ");");
      else line(field + " = " + longExpr(e) + ";");
    }
    return "&F->" + k;
  }

  // The key buffer of an array in the frame (keys can be larger than the BPF stack
  // allows).  One per array is enough: every access builds its key and completes its
  // lookup or update before the next access starts.
  std::string frameKey(const ArrayInfo& info) {
    std::string name = "__key_" + info.map;
    if (!frame_.find(name)) frame_.add(name, "struct " + info.keyStruct, info.key.size);
    return name;
  }

  std::string temp() {
    lastTemp_ = "t" + std::to_string(++nextTemp_);
    return lastTemp_;
  }

  // A string buffer in the frame for an intermediate string value.  Temporaries live for
  // one statement, so numbering restarts with each statement and buffers are reused.
  std::string frameTemp(bool) {
    std::string name = "__s" + std::to_string(++strTemps_);
    if (!frame_.find(name)) frame_.add(name, "char", strBuf_, strBuf_);
    return name;
  }

  // A long (or interned id) expression; reads of arrays and strings are computed into
  // temporaries by statements written before the current one.
  std::string longExpr(Expr* e) {
    switch (e->kind) {
      case Kind::NumberLiteral: return literal(static_cast<NumberLiteral*>(e)->value);
      case Kind::StringLiteral:
        if (strings_.isInterned(e)) return std::to_string(strings_.id(static_cast<StringLiteral*>(e)->value));
        unsupported(e, "a string where a number is expected");
        return "0";
      case Kind::Variable: {
        const Symbol* s = prog_.symbolOf(e);
        if (!s) return "0";
        return s->kind == sema::SymbolKind::Global ? "G." + cIdent(s->name) : "F->" + local(s);
      }
      case Kind::ArrayIndex: {
        auto* a = static_cast<ArrayIndex*>(e);
        if (as<Histogram>(a->base)) {
          unsupported(e, "reading a histogram bucket (not yet)");
          return "0";
        }
        const Symbol* s = prog_.symbolOf(a->base);
        if (!s || !arrays_.count(s)) return "0";
        std::string key = buildKey(a);
        std::string t = temp();
        line("struct stp_long_elem *" + t + "p = bpf_map_lookup_elem(&" + arrays_.at(s).map + ", " + key + ");");
        line("s64 " + t + " = " + t + "p ? " + t + "p->v : 0;");
        return t;
      }
      case Kind::Unary: {
        auto* u = static_cast<Unary*>(e);
        std::string o = longExpr(u->operand);
        switch (u->op) {
          case UnaryOp::Plus: return o;
          case UnaryOp::Minus: return "(-" + o + ")";
          case UnaryOp::Not: return "(!" + o + ")";
          case UnaryOp::BitNot: return "(~" + o + ")";
        }
        return o;
      }
      case Kind::Binary: return binary(static_cast<Binary*>(e));
      case Kind::Ternary: {
        auto* t = static_cast<Ternary*>(e);
        bool str = t->type == Type::String;
        std::string a = str ? idOf(t->thenExpr) : longExpr(t->thenExpr);
        std::string b = str ? idOf(t->elseExpr) : longExpr(t->elseExpr);
        return "(" + longExpr(t->cond) + " ? " + a + " : " + b + ")";
      }
      case Kind::ArrayIn: {
        ArrayIndex* el = static_cast<ArrayIn*>(e)->element;
        const Symbol* s = prog_.symbolOf(el->base);
        if (!s || !arrays_.count(s)) {
          unsupported(e, "'in' on a histogram");
          return "0";
        }
        for (Expr* k : el->indices)
          if (!k) {
            unsupported(e, "'in' with a '*' wildcard key");
            return "0";
          }
        // Looked up now: the array's key buffer is reused by the next access.
        std::string key = buildKey(el);
        std::string t = temp();
        line("s64 " + t + " = bpf_map_lookup_elem(&" + arrays_.at(s).map + ", " + key + ") != 0;");
        return t;
      }
      case Kind::RegexMatch: return regexMatch(static_cast<RegexMatch*>(e));
      case Kind::StatOp: return statistic(static_cast<StatOp*>(e));
      case Kind::FunctionCall: return call(static_cast<FunctionCall*>(e));
      case Kind::TargetVariable: return target(static_cast<TargetVariable*>(e));
      case Kind::CastOp:
      case Kind::AutoCast:
        if (const sema::TargetAccess* a = typedAccess(e)) return typedTarget(e, *a);
        unsupported(e, "this @cast");
        return "0";
      default: unsupported(e, std::string("expression ") + kindName(e->kind)); return "0";
    }
  }

  // For probe conditions (no statements can be written before them).
  static std::string unparen(const std::string& s) {
    if (s.size() < 2 || s.front() != '(' || s.back() != ')') return s;
    int depth = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      if (s[i] == '(') ++depth;
      if (s[i] == ')' && --depth == 0 && i + 1 != s.size()) return s;  // "(a) + (b)"
    }
    return s.substr(1, s.size() - 2);
  }

  std::string longExprSimple(Expr* e) {
    std::ostringstream saved;
    saved << out_.str();
    std::string r = longExpr(e);
    if (out_.str() != saved.str()) unsupported(e, "a probe condition that reads arrays or strings");
    out_.str(saved.str());
    out_.seekp(0, std::ios::end);
    return r;
  }

  std::string binary(Binary* b) {
    if (b->op == BinaryOp::Concat) {
      if (strings_.isInterned(b)) return concatTable(b->left, b->right, b);
      unsupported(b, "a string concatenation used as an interned value");
      return "0";
    }
    if (isComparison(b->op) && b->left->type == Type::String) {
      bool bothInterned = strings_.isInterned(b->left) && strings_.isInterned(b->right);
      if (bothInterned && (b->op == BinaryOp::Eq || b->op == BinaryOp::Ne))
        return "(" + idOf(b->left) + " " + binaryOpSpelling(b->op) + " " + idOf(b->right) + ")";
      std::string l = strExpr(b->left), r = strExpr(b->right);
      return "(stp_strcmp(" + l + ", " + r + ") " + binaryOpSpelling(b->op) + " 0)";
    }
    std::string l = longExpr(b->left), r = longExpr(b->right);
    switch (b->op) {
      case BinaryOp::Div: return "stp_sdiv(" + l + ", " + r + ")";
      case BinaryOp::Mod: return "stp_smod(" + l + ", " + r + ")";
      case BinaryOp::UShr: return "(s64)((u64)" + l + " >> (" + r + "))";
      case BinaryOp::Shl: return "(s64)((u64)" + l + " << (" + r + "))";
      default: return "(" + l + " " + binaryOpSpelling(b->op) + " " + r + ")";
    }
  }

  std::string statistic(StatOp* s) {
    Expr* o = s->operand;
    const Symbol* sym;
    std::string key;
    if (auto* a = as<ArrayIndex>(o)) {
      sym = prog_.symbolOf(a->base);
      if (!sym || !arrays_.count(sym)) return "0";
      key = buildKey(a);
    } else {
      sym = prog_.symbolOf(o);
      if (!sym || !arrays_.count(sym)) return "0";
      line("u32 " + temp() + "k = 0;");
      key = "&" + lastTemp_ + "k";
    }
    std::string t = temp();
    std::string map = arrays_.at(sym).map;
    const char* field = "count";
    switch (s->stat) {
      case StatKind::Count: field = "count"; break;
      case StatKind::Sum: field = "sum"; break;
      case StatKind::Min: field = "min"; break;
      case StatKind::Max: field = "max"; break;
      case StatKind::Avg: field = "avg"; break;
      case StatKind::Variance: field = "variance"; break;
      default: return "0";
    }
    if (s->stat == StatKind::Variance) {
      // A scalar and an array element aggregate their CPUs differently in SystemTap
      // (stat.c _stp_stat_get vs. map.c _stp_pmap_agg); so does stp_variance.
      line("struct stp_agg_variance " + t + " = stp_variance(&" + map + ", " + key + ", " +
           std::to_string(varianceShift_.count(sym) ? varianceShift_.at(sym) : 0) + ", " +
           (sym->keyTypes.empty() ? "0" : "1") + ");");
    } else {
      line("struct stp_agg " + t + " = stp_aggregate(&" + map + ", " + key + ");");
    }
    if (s->stat != StatKind::Count && s->stat != StatKind::Sum) {
      open("if (" + t + ".count == 0)");
      error(std::string("empty aggregate near operator '") + statKindSpelling(s->stat) +
            "' at " + s->loc.str());
      close();
    }
    if (s->stat == StatKind::Avg) return "stp_sdiv(" + t + ".sum, " + t + ".count)";
    return t + "." + field;
  }

  std::string call(FunctionCall* c) {
    if (Function* f = scriptFunction(c)) return scriptCall(c, f);
    if (auto text = probeConstant(c)) return internedLiteral(*text, c);
    if (isRegisterBuiltin(c->name)) return registerBuiltin(c);
    if (c->name == "is_return") return isReturnProbe(c) ? "1" : "0";
    if (c->name == "print_backtrace") return printBacktrace(c);
    if (c->name == "__stack_raw") {
      // context-symbols.stp stack(n)'s first try: frame n of the kernel stack, or 0 (then
      // it falls back to parsing backtrace(), which ends in its error).
      std::string depth = longExpr(c->args[0]);
      std::string n = kernelStack(c);
      std::string v = temp();
      line("s64 " + v + " = " + depth + ";");
      return "(" + v + " >= 0 && " + v + " < " + n + " ? (s64)F->__stack[" + v + " & " +
             std::to_string(kMaxBacktrace - 1) + "] : 0)";
    }
    if (c->name == "substr" && strings_.isInterned(c)) return substrTable(c);
    if (c->name == "strlen" && strings_.isInterned(c->args[0])) return strlenTable(c->args[0]);
    std::vector<std::string> args;
    for (Expr* a : c->args) args.push_back(a->type == Type::String ? strExpr(a) : longExpr(a));
    std::string out, why;
    if (translateLongBuiltin(c->name, args, out, why)) {
      if (out.find("F->__scratch") != std::string::npos) ensureScratch();
      return out;
    }
    unsupported(c, "'" + c->name + "()' " + why);
    return "0";
  }

  // The probed context's registers.  A probe body reads its own `A`; a script function
  // (a BPF subprogram, which cannot see it) reads the copy its probe left in the per-CPU
  // map stp_probe_args (see probeArgsMap()).
  std::string registerBuiltin(FunctionCall* c) {
    std::string regs = "A";
    if (function_) {
      probeArgsInFunctions_ = true;
      regs = "stp_probe_args()";
    } else if (probe_) {
      ProbeKind k = probe_->point.kind;
      bool function = k == ProbeKind::KernelFunction || k == ProbeKind::UserFunction;
      bool sampled = k == ProbeKind::Profile || k == ProbeKind::Timer || k == ProbeKind::PerfSoftware;
      // As SystemTap, which has no registers to read in begin/end or tracepoint probes
      // ("cannot access function args in this context"), but says so only at run time.
      bool tracepoint = k == ProbeKind::Tracepoint &&  // ($regs of raw_syscalls:sys_enter)
                        (c->name == "__set_syscall_pt_regs" || c->name == "_stp_syscall_nr");
      if (!function && !tracepoint && !(sampled && (c->name == "user_mode" || c->name == "addr" || c->name == "uaddr"))) {
        ctx_.diags.error(c->loc, "'" + c->name + "()' reads the registers of a probed function, which a " +
                                     probe_->point.text + " probe does not have");
        return "0";
      }
    }
    if (c->name == "returnval") return "(s64)" + regs + "->ret";
    if (c->name == "user_mode") return "(s64)" + regs + "->user_mode";
    if (c->name == "addr") return "(s64)" + regs + "->ip";
    if (c->name == "uaddr") return "(s64)(" + regs + "->user_mode ? " + regs + "->ip : 0)";
    std::vector<std::string> args;
    for (Expr* a : c->args) args.push_back(longExpr(a));
    // nd_syscall probes on a syscall's wrapper: the arguments are in the pt_regs it gets.
    if (c->name == "__set_syscall_pt_regs") return "(" + regs + "->sregs = (u64)(" + args[0] + "), 0)";
    if (c->name == "_stp_syscall_nr") return "stp_syscall_nr(" + regs + "->sregs)";
    // _stp_arg2(argnum, sign_extend, truncate, force64), behind int_arg(), pointer_arg()...
    if (auto* n = as<NumberLiteral>(c->args[0]); n && (n->value < 1 || n->value > 6))
      unsupported(c, "reading argument " + std::to_string(n->value) +
                         " (only the six passed in registers, 1 to 6, are read)");
    std::string rest = ", " + args[0] + ", " + args[1] + ", " + args[2] + ", " + args[3] + ")";
    return "(" + regs + "->sregs ? stp_syscall_arg(" + regs + "->sregs" + rest + " : stp_probe_arg(" + regs + "->arg" + rest +
           ")";
  }

  std::string internedLiteral(const std::string& v, Expr* at) {
    auto it = strings_.ids.find(v);
    if (it != strings_.ids.end()) return std::to_string(it->second);
    unsupported(at, "this string value here");
    return "0";
  }

  // ---------------------------------------------------------------- typed target access

  // A kernel structure as the program declares it for CO-RE: only the members it reads,
  // named `kernel_name___script` (runtime/bpf/tapset.bpf.h has its own `___stp` ones) and marked preserve_access_index, so that libbpf relocates
  // every member offset against the running kernel's BTF when it loads the program.
  struct CoreStruct {
    std::string localName;
    bool isUnion = false;
    std::map<std::string, std::string> members;  // name -> declaration
    std::set<int> embedded;                      // structures declared inside it
  };

  std::string coreStruct(int id, const std::string& kernelName, bool isUnion) {
    auto it = coreStructs_.find(id);
    if (it != coreStructs_.end()) return it->second.localName;
    CoreStruct c;
    // An anonymous structure's local name starts with "___": its essential name (before
    // the "___") is then empty, as the kernel's.
    c.localName = kernelName.empty() ? "___anon" + std::to_string(id) : kernelName + "___script";
    c.isUnion = isUnion;
    coreStructs_[id] = c;
    return c.localName;
  }

  // The declaration of a member of type `typeId` named `name`.
  std::string memberDeclaration(CoreStruct& owner, const std::string& name, int typeId) {
    tapset::KernelType k = types_.describe(typeId);
    using K = tapset::KernelType::Kind;
    switch (k.kind) {
      case K::Int:
      case K::Enum: return std::string(k.isSigned ? "s" : "u") + std::to_string(k.size * 8) + " " + name;
      case K::Pointer: return "void *" + name;
      case K::Struct:
      case K::Union: {
        std::string local = coreStruct(k.id, k.name, k.kind == K::Union);
        owner.embedded.insert(k.id);
        return std::string(k.kind == K::Union ? "union " : "struct ") + local + " " + name;
      }
      case K::Array: return memberDeclaration(owner, name + "[" + std::to_string(k.length) + "]", k.target);
      default: return "char " + name;  // not read through this member
    }
  }

  std::string coreDeclarations() {
    std::string out;
    std::set<int> done;
    std::function<void(int)> emit = [&](int id) {
      if (!done.insert(id).second) return;
      CoreStruct& c = coreStructs_.at(id);
      for (int inner : c.embedded) emit(inner);
      out += std::string(c.isUnion ? "union " : "struct ") + c.localName + " {\n";
      for (const auto& [name, decl] : c.members) out += "  " + decl + ";\n";
      if (c.members.empty()) out += "  char __unused;\n";
      out += "} __attribute__((preserve_access_index));\n";
    };
    for (const auto& [id, c] : coreStructs_) emit(id);
    return out.empty() ? "" : "// Kernel structures, as far as the script reads them (CO-RE: libbpf relocates the\n"
                              "// member offsets for the running kernel)\n" + out + "\n";
  }

  // A target read through its TargetAccess: a number (an expression), or a string in a
  // frame buffer (`stringOut`).  Each step keeps the current address or value in a u64.
  std::string typedTarget(const Expr* at, const sema::TargetAccess& a, std::string* stringOut = nullptr) {
    if (!a.error.empty()) {
      // What does not exist on this kernel is an error of the script (as in SystemTap);
      // the rest is a limit of this backend.
      if (a.unresolved) ctx_.diags.error(at->loc, a.error);
      else unsupported(at, "reading this target expression: " + a.error);
      return "0";
    }
    std::string cur = temp();
    switch (a.source) {
      case sema::TargetAccess::Source::Argument:
        if (a.argument >= 6) {
          unsupported(at, "an argument after the sixth");
          return "0";
        }
        line("u64 " + cur + " = A->arg[" + std::to_string(a.argument) + "];");
        break;
      case sema::TargetAccess::Source::ReturnValue: line("u64 " + cur + " = A->ret;"); break;
      case sema::TargetAccess::Source::CastAddress: {
        // The node's operand as lowering left it (the access recorded the original).
        Expr* address = a.castOperand;
        if (auto* c = as<CastOp>(at)) address = c->operand;
        if (auto* c = as<AutoCast>(at)) address = c->operand;
        line("u64 " + cur + " = (u64)" + longExpr(address) + ";");
        break;
      }
    }
    for (const sema::TargetStep& step : a.steps) {
      if (step.loadFirst) line("bpf_probe_read_kernel(&" + cur + ", 8, (void *)" + cur + ");");
      if (step.kind == sema::TargetStep::Kind::Member && step.rawByteOffset >= 0) {
        line(cur + " += " + std::to_string(step.rawByteOffset) + ";  /* ->" + step.member + " (bitfield) */");
      } else if (step.kind == sema::TargetStep::Kind::Member && step.structName.empty()) {
        // An anonymous structure (atomic_t's) cannot start a CO-RE relocation (libbpf
        // finds candidates by name): its member offset is this kernel's, from BTF.
        auto m = types_.member(step.structId, step.member);
        line(cur + " += " + std::to_string(m ? m->bitOffset / 8 : 0) + ";  /* ->" + step.member + " */");
      } else if (step.kind == sema::TargetStep::Kind::Member) {
        std::string local = coreStruct(step.structId, step.structName, step.isUnion);
        CoreStruct& c = coreStructs_.at(step.structId);
        if (!c.members.count(step.member)) c.members[step.member] = memberDeclaration(c, step.member, step.type);
        line(cur + " = (u64)&((" + std::string(step.isUnion ? "union " : "struct ") + local + " *)" + cur + ")->" +
             step.member + ";");
      } else {
        line(cur + " += (u64)(" + longExpr(step.index) + ") * " + std::to_string(step.elementSize) + ";");
      }
    }
    if (a.isString) {
      std::string t = "F->" + frameTemp(true);
      int64_t n = std::min<int64_t>(a.stringLength + 1, maxStr_);
      line("if (bpf_probe_read_kernel_str(" + t + ", " + std::to_string(std::max<int64_t>(n, 1)) + ", (void *)" + cur +
           ") <= 0) " + t + "[0] = 0;");
      if (stringOut) *stringOut = t;
      return "0";
    }
    if (a.addressOnly) return "(s64)" + cur;
    if (a.bitSize) {
      // The bytes holding the bitfield (little-endian: its low bit is `bitShift` bits into
      // the first), shifted down and masked, then sign-extended if the type is signed.
      std::string v = temp();
      int bytes = (a.bitShift + a.bitSize + 7) / 8;
      line("u64 " + v + " = 0;");
      line("bpf_probe_read_kernel(&" + v + ", " + std::to_string(bytes) + ", (void *)" + cur + ");");
      line(v + " = (" + v + " >> " + std::to_string(a.bitShift) + ") << " + std::to_string(64 - a.bitSize) + ";");
      return a.isSigned ? "((s64)" + v + " >> " + std::to_string(64 - a.bitSize) + ")"
                        : "(s64)(" + v + " >> " + std::to_string(64 - a.bitSize) + ")";
    }
    std::string type = std::string(a.isSigned ? "s" : "u") + std::to_string(a.size * 8);
    if (a.inMemory) {
      std::string v = temp();
      line(type + " " + v + " = 0;");
      line("bpf_probe_read_kernel(&" + v + ", " + std::to_string(a.size) + ", (void *)" + cur + ");");
      return "(s64)" + v;
    }
    return "(s64)(" + type + ")" + cur;  // an argument in a register: only its own bytes count
  }

  const sema::TargetAccess* typedAccess(const Expr* e) {
    auto it = prog_.targets.find(e);
    return it == prog_.targets.end() ? nullptr : &it->second;
  }

  std::string target(TargetVariable* t) {
    if (const sema::TargetAccess* a = typedAccess(t)) return typedTarget(t, *a);
    const DerivedProbe* p = probe_;
    std::string name = t->name.substr(1);
    if (!t->components.empty() || !p) {
      unsupported(t, "target variable '" + t->name + "' with '->' or '[]' (not yet)");
      return "0";
    }
    switch (p->point.kind) {
      case ProbeKind::Tracepoint: {
        const tapset::TracepointFormat* fmt = ctx_.kernel.tracepointFormat(p->point.system, p->point.event);
        const tapset::TracepointField* f = fmt ? fmt->field(name) : nullptr;
        if (!f) {
          unsupported(t, "'" + t->name + "': tracepoint " + p->point.system + ":" + p->point.event + " has no such field");
          return "0";
        }
        return "(s64)((struct tp_" + std::to_string(probeIndex(p)) + " *)A->tp)->" + cIdent(name);
      }
      case ProbeKind::KernelFunction: {
        if (name == "return") return "(s64)A->ret";
        auto params = ctx_.kernel.functionParams(p->point.symbol);
        for (size_t i = 0; i < params.size() && i < 6; ++i)
          if (params[i] == name) return "(s64)A->arg[" + std::to_string(i) + "]";
        unsupported(t, "'" + t->name + "': " + p->point.symbol + " has no parameter of that name in BTF");
        return "0";
      }
      case ProbeKind::UserFunction:
        if (name == "return") return "(s64)A->ret";
        unsupported(t, "'" + t->name + "': parameters of user functions need debuginfo");
        return "0";
      default:
        unsupported(t, "'" + t->name + "' in a " + std::string(sema::probeKindName(p->point.kind)) + " probe");
        return "0";
    }
  }

  size_t probeIndex(const DerivedProbe* p) { return static_cast<size_t>(p - &prog_.probes[0]); }

  // A string expression as a `char *` to a NUL-terminated buffer.
  std::string strExpr(Expr* e) {
    if (auto* s = as<StringLiteral>(e)) {
      if (!strings_.isInterned(e)) return literalBuffer(s->value);
    }
    if (strings_.isInterned(e)) {
      std::string t = "F->" + frameTemp(true);
      line("stp_intern_copy(" + t + ", " + idOf(e) + ");");
      needInternCopy_ = true;
      return t;
    }
    switch (e->kind) {
      case Kind::Variable: {
        const Symbol* s = prog_.symbolOf(e);
        return s->kind == sema::SymbolKind::Global ? "G." + cIdent(s->name) : "F->" + local(s);
      }
      case Kind::ArrayIndex: {
        auto* a = static_cast<ArrayIndex*>(e);
        const Symbol* s = prog_.symbolOf(a->base);
        if (!s || !arrays_.count(s)) return "\"\"";
        std::string key = buildKey(a);
        std::string t = "F->" + frameTemp(true);
        std::string p = temp();
        line("struct stp_str_elem *" + p + " = bpf_map_lookup_elem(&" + arrays_.at(s).map + ", " + key + ");");
        line("if (" + p + ") stp_strcpy(" + t + ", " + p + "->s); else " + t + "[0] = 0;");
        return t;
      }
      case Kind::Binary: {
        auto* b = static_cast<Binary*>(e);
        if (b->op != BinaryOp::Concat) break;
        std::string t = "F->" + frameTemp(true);
        std::string l = strExpr(b->left);
        line("stp_strcpy(" + t + ", " + l + ");");
        std::string r = strExpr(b->right);
        ensureScratch();
        line("stp_strcat(" + t + ", " + r + ", F->__scratch);");
        return t;
      }
      case Kind::Ternary: {
        auto* tn = static_cast<Ternary*>(e);
        std::string t = "F->" + frameTemp(true);
        std::string a = strExpr(tn->thenExpr), b2 = strExpr(tn->elseExpr);
        line("stp_strcpy(" + t + ", " + longExpr(tn->cond) + " ? " + a + " : " + b2 + ");");
        return t;
      }
      case Kind::FunctionCall: {
        auto* c = static_cast<FunctionCall*>(e);
        if (auto text = probeConstant(c)) return cString(*text);
        if (Function* f = scriptFunction(c)) {
          std::string out = "\"\"";
          scriptCall(c, f, &out);
          return out;
        }
        std::vector<std::string> args;
        for (Expr* a : c->args) args.push_back(a->type == Type::String ? strExpr(a) : longExpr(a));
        std::string t = "F->" + frameTemp(true);
        std::string code, why;
        if (c->name == "backtrace") {
          std::string n = kernelStack(c);
          line("stp_backtrace_hex(" + t + ", F->__stack, " + n + ", 0);");
          return t;
        }
        if (translateStringBuiltin(c->name, t, args, code, why)) {
          if (code.find("F->__scratch") != std::string::npos) ensureScratch();
          line(code);
          return t;
        }
        unsupported(c, "'" + c->name + "()' " + why);
        return "\"\"";
      }
      case Kind::CastOp:
      case Kind::AutoCast:
      case Kind::TargetVariable: {
        if (const sema::TargetAccess* a = typedAccess(e)) {
          std::string out = "\"\"";
          typedTarget(e, *a, &out);
          return out;
        }
        if (e->kind != Kind::TargetVariable) break;
        auto* tv = static_cast<TargetVariable*>(e);
        const DerivedProbe* p = probe_;
        if (p && p->point.kind == ProbeKind::Tracepoint) {
          std::string t = "F->" + frameTemp(true);
          line("stp_strcpy(" + t + ", ((struct tp_" + std::to_string(probeIndex(p)) + " *)A->tp)->" +
               cIdent(tv->name.substr(1)) + ");");
          return t;
        }
        break;
      }
      case Kind::PrintCall: {
        std::string t = "F->" + frameTemp(true);
        sprintInto(static_cast<PrintCall*>(e), t);
        return t;
      }
      default: break;
    }
    unsupported(e, std::string("this string expression (") + kindName(e->kind) + ")");
    return "\"\"";
  }

  // sprintf and the sprint family, formatted in BPF by the kernel's bpf_snprintf: its
  // conversions (d i u x X s c with flags - + space 0, width, precision) print as
  // SystemTap's do.  What it lacks (%o, %b, %m, %M, `#`, `*`) is reported.  The format is
  // a .rodata string, as the helper requires; the arguments go through the frame.
  void sprintInto(PrintCall* p, const std::string& dst) {
    std::string fmt;
    std::vector<std::string> values;  // u64 expressions, one per kernel conversion
    auto addArg = [&](Expr* e, const std::string& conv) {
      if (e->type == Type::String) {
        fmt += conv.empty() ? "%s" : conv;
        values.push_back("(u64)(" + strExpr(e) + ")");
      } else {
        fmt += conv.empty() ? "%lld" : conv;
        values.push_back("(u64)(" + longExpr(e) + ")");
      }
    };
    auto literal = [&](const std::string& text) {
      for (char c : text) fmt += c == '%' ? std::string("%%") : std::string(1, c);
    };
    if (printKindHasFormat(p->printKind)) {
      std::vector<FormatSpec> specs;
      FormatParseError err;
      if (!parsePrintFormat(p->formatOrDelimiter, specs, err)) {
        unsupported(p, "this format string (" + err.message + ")");
        return;
      }
      for (const FormatSpec& spec : specs)
        if (needsPieces(spec)) {
          sprintPieces(p, dst, specs);
          return;
        }
      size_t next = 0;
      for (const FormatSpec& spec : specs) {
        if (spec.conv == FormatSpec::Conv::Literal) {
          literal(spec.literal);
          continue;
        }
        std::string conv;
        if (!sprintConversion(p, spec, conv)) return;
        if (next >= p->args.size()) return;  // the type checker counted the arguments
        addArg(p->args[next++], conv);
      }
    } else {
      for (size_t i = 0; i < p->args.size(); ++i) {
        if (i && printKindHasDelimiter(p->printKind)) literal(p->formatOrDelimiter);
        addArg(p->args[i], "");
      }
      if (printKindAddsNewline(p->printKind)) fmt += "\n";
    }
    if (values.size() > kMaxSnprintfArgs) {
      unsupported(p, "sprintf with more than " + std::to_string(kMaxSnprintfArgs) +
                     " conversions (the kernel's bpf_snprintf takes at most that many)");
      return;
    }
    snprintfInto(p, dst, fmt, values);
  }

  // One bpf_snprintf call: the format in .rodata, the values through the frame.
  void snprintfInto(PrintCall* p, const std::string& dst, const std::string& fmt, const std::vector<std::string>& values) {
    std::string name = "stp_fmt" + std::to_string(++counter_);
    tableLines_.push_back("// " + fileLine(p->loc) + ": format of " + printKindName(p->printKind));
    tableLines_.push_back("static const char STP_TABLE " + name + "[] = " + cString(fmt) + ";");
    if (values.empty()) {
      line("bpf_snprintf(" + dst + ", STP_MAXSTRINGLEN, " + name + ", 0, 0);");
      return;
    }
    if (!frame_.find("__fmtargs")) frame_.add("__fmtargs", "u64", 8 * kMaxSnprintfArgs, kMaxSnprintfArgs);
    for (size_t i = 0; i < values.size(); ++i) line("F->__fmtargs[" + std::to_string(i) + "] = " + values[i] + ";");
    line("bpf_snprintf(" + dst + ", STP_MAXSTRINGLEN, " + name + ", F->__fmtargs, " +
         std::to_string(8 * values.size()) + ");");
  }

  // sprintf with `*` widths (thread_indent's "%-*s"), which bpf_snprintf lacks: the
  // format is cut at each such conversion; the runs between are formatted as usual and
  // appended, and the `*` conversion is formatted alone and padded with spaces to its
  // run-time width (a negative width left-justifies, as in C).  A `*` precision cuts a
  // string (%.*s).
  void sprintPieces(PrintCall* p, const std::string& dst, const std::vector<FormatSpec>& specs) {
    ensureScratch();
    std::string piece = "F->" + frameTemp(true);
    line(dst + "[0] = 0;");
    std::string fmt;
    std::vector<std::string> values;
    auto flush = [&]() {
      if (fmt.empty()) return;
      snprintfInto(p, piece, fmt, values);
      line("stp_strcat(" + dst + ", " + piece + ", F->__scratch);");
      fmt.clear();
      values.clear();
    };
    auto value = [&](Expr* e) {
      return e->type == Type::String ? "(u64)(" + strExpr(e) + ")" : "(u64)(" + longExpr(e) + ")";
    };
    size_t next = 0;
    for (const FormatSpec& spec : specs) {
      if (spec.conv == FormatSpec::Conv::Literal) {
        for (char c : spec.literal) fmt += c == '%' ? std::string("%%") : std::string(1, c);
        continue;
      }
      bool dynamicWidth = spec.widthKind == FormatSpec::Size::Dynamic;
      bool dynamicPrecision = spec.precisionKind == FormatSpec::Size::Dynamic;
      if (!needsPieces(spec)) {
        std::string conv;
        if (!sprintConversion(p, spec, conv)) return;
        if (next >= p->args.size()) return;
        fmt += conv;
        values.push_back(value(p->args[next++]));
        if (values.size() == kMaxSnprintfArgs) flush();
        continue;
      }
      // Formatted alone without its width (padded afterwards, once a `*` precision has
      // cut the string), keeping a static precision.
      FormatSpec alone = spec;
      alone.widthKind = FormatSpec::Size::None;
      alone.left = false;
      alone.precisionKind = FormatSpec::Size::None;
      if (spec.zeroPad && spec.widthKind != FormatSpec::Size::None) {
        unsupported(p, "sprintf with '0' and a '*' width or precision");
        return;
      }
      std::string conv;
      if (!sprintConversion(p, alone, conv)) return;
      flush();
      // As SystemTap's generated code (stap -p3, tools/stap-c): `*` values are C ints
      // clamped to 0 and up (clamp_t(int, v, 0, ...)), so a negative width is 0 (no
      // left-justification, unlike C) and a negative precision cuts to nothing.
      std::string width, precision;
      if (dynamicWidth && next < p->args.size()) {
        width = temp();
        line("s64 " + width + " = (s32)(" + longExpr(p->args[next++]) + ");");
      } else if (spec.widthKind == FormatSpec::Size::Static) {
        width = std::to_string(spec.width);
      }
      if (dynamicPrecision && next < p->args.size()) {
        precision = temp();
        line("s64 " + precision + " = (s32)(" + longExpr(p->args[next++]) + ");");
      } else if (spec.precisionKind == FormatSpec::Size::Static) {
        precision = std::to_string(spec.precision);
      }
      if (next >= p->args.size()) return;
      snprintfInto(p, piece, conv, {value(p->args[next++])});
      if (!precision.empty())
        line("if (" + precision + " < STP_MAXSTRINGLEN) " + piece + "[(" + precision + " < 0 ? 0 : " + precision +
             ") & (STP_STRBUF - 1)] = 0;");
      if (width.empty()) {
        line("stp_strcat(" + dst + ", " + piece + ", F->__scratch);");
      } else {
        line("stp_pad_append(" + dst + ", " + piece + ", " + width + ", " + (spec.left ? "1" : "0") +
             ", F->__scratch);");
      }
    }
    flush();
  }

  static constexpr size_t kMaxSnprintfArgs = 12;  // MAX_BPRINTF_VARARGS in the kernel

  // The kernel conversion for one of sprintf's, or false once what it lacks is reported.
  bool sprintConversion(PrintCall* p, const FormatSpec& spec, std::string& conv) {
    std::string why = kernelConversion(spec, conv);
    if (why.empty()) return true;
    unsupported(p, "sprintf with " + why + " (the C backend formats sprintf with the kernel's bpf_snprintf, "
                   "which lacks it; printf has it)");
    return false;
  }

  // Conversions bpf_snprintf cannot format as written (it has no precision, and no `*`):
  // sprintPieces formats them alone and cuts and pads the result itself.
  static bool needsPieces(const FormatSpec& spec) {
    return spec.widthKind == FormatSpec::Size::Dynamic || spec.precisionKind == FormatSpec::Size::Dynamic ||
           (spec.precisionKind == FormatSpec::Size::Static && spec.conv == FormatSpec::Conv::String);
  }

  // The kernel conversion for one SystemTap conversion, or why there is none.
  static std::string kernelConversion(const FormatSpec& spec, std::string& out) {
    using Conv = FormatSpec::Conv;
    if (spec.widthKind == FormatSpec::Size::Dynamic || spec.precisionKind == FormatSpec::Size::Dynamic)
      return "a '*' width or precision";
    // The kernel's format checker (bpf_bprintf_prepare) takes flags and a width, no
    // precision; a string's is handled by sprintPieces, a number's (minimum digits) not.
    if (spec.precisionKind != FormatSpec::Size::None) return "a precision on a number";
    if (spec.alternate) return "the '#' flag";
    std::string flags;
    if (spec.left) flags += '-';
    if (spec.plus) flags += '+';
    if (spec.space) flags += ' ';
    if (spec.zeroPad) flags += '0';
    std::string width = spec.widthKind == FormatSpec::Size::Static ? std::to_string(spec.width) : "";
    std::string precision;
    switch (spec.conv) {
      case Conv::SignedDecimal: out = "%" + flags + width + precision + "lld"; return "";
      case Conv::UnsignedDecimal: out = "%" + flags + width + precision + "llu"; return "";
      case Conv::HexLower: out = "%" + flags + width + precision + "llx"; return "";
      case Conv::HexUpper: out = "%" + flags + width + precision + "llX"; return "";
      case Conv::String: out = "%" + flags + width + precision + "s"; return "";
      case Conv::Char: out = "%" + flags + width + "c"; return "";
      case Conv::Pointer:
        // SystemTap prints a pointer as 0x and 16 hex digits; the kernel's %p would hash it.
        if (!flags.empty() || !width.empty() || !precision.empty()) return "a width or flag on %p";
        out = "0x%016llx";
        return "";
      case Conv::Octal: return "%o";
      case Conv::Binary: return "%b";
      case Conv::Memory: return "%m";
      case Conv::MemoryHex: return "%M";
      case Conv::Literal: return "";
    }
    return "";
  }

  void ensureScratch() {
    if (!frame_.find("__scratch")) frame_.add("__scratch", "char", strBuf_, strBuf_);
  }

  std::string idOf(Expr* e) {
    if (auto* s = as<StringLiteral>(e)) return internedLiteral(s->value, e);
    if (strings_.isInterned(e)) return longExpr(e);
    unsupported(e, "this string value (it cannot be interned)");
    return "0";
  }

  std::set<int64_t> valuesOf(Expr* e) {
    auto it = strings_.expressions.find(e);
    if (it != strings_.expressions.end()) return it->second;
    if (auto* s = as<StringLiteral>(e)) return {strings_.id(s->value)};
    return {};
  }

  // Concatenation of interned strings: a table indexed by the operands' positions in
  // their value sets.
  std::string concatTable(Expr* left, Expr* right, Expr* whole) {
    auto lv = valuesOf(left), rv = valuesOf(right);
    std::string name = "stp_concat" + std::to_string(++counter_);
    int64_t n = static_cast<int64_t>(strings_.values.size());
    int64_t mask = nextPowerOfTwo(n) - 1;
    std::vector<int64_t> li(nextPowerOfTwo(n), 0), ri(nextPowerOfTwo(n), 0);
    std::vector<int64_t> lids(lv.begin(), lv.end()), rids(rv.begin(), rv.end());
    for (size_t i = 0; i < lids.size(); ++i) li[lids[i]] = static_cast<int64_t>(i);
    for (size_t i = 0; i < rids.size(); ++i) ri[rids[i]] = static_cast<int64_t>(i);
    int64_t cols = nextPowerOfTwo(std::max<int64_t>(rids.size(), 1));
    int64_t rows = nextPowerOfTwo(std::max<int64_t>(lids.size(), 1));
    std::vector<int64_t> result(rows * cols, 0);
    for (size_t a = 0; a < lids.size(); ++a)
      for (size_t b = 0; b < rids.size(); ++b) {
        auto it = strings_.ids.find(strings_.values[lids[a]] + strings_.values[rids[b]]);
        if (it == strings_.ids.end()) {
          unsupported(whole, "this concatenation (a result was not interned)");
          return "0";
        }
        result[a * cols + b] = it->second;
      }
    auto array = [](const std::string& nm, const std::vector<int64_t>& v) {
      std::string s = "static const s64 STP_TABLE " + nm + "[" + std::to_string(v.size()) + "] = {";
      for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
      return s + "};";
    };
    tableLines_.push_back("// " + fileLine(whole->loc) + ": concatenation of interned strings");
    tableLines_.push_back(array(name + "_left", li));
    tableLines_.push_back(array(name + "_right", ri));
    tableLines_.push_back(array(name + "_result", result));
    std::string l = idOf(left), r = idOf(right);
    return name + "_result[((" + name + "_left[(" + l + ") & " + std::to_string(mask) + "] * " +
           std::to_string(cols) + ") + " + name + "_right[(" + r + ") & " + std::to_string(mask) + "]) & " +
           std::to_string(rows * cols - 1) + "]";
  }

  // substr(s, start, len) of an interned s: a table over (s, start, len), with start and
  // len clamped to the longest value (out-of-range arguments give "", id 0, as SystemTap's
  // substr gives "").
  std::string substrTable(FunctionCall* c) {
    std::set<int64_t> ids = valuesOf(c->args[0]);
    std::vector<int64_t> sids(ids.begin(), ids.end());
    int64_t longest = 0;
    for (int64_t id : sids) longest = std::max<int64_t>(longest, static_cast<int64_t>(strings_.values[id].size()));
    int64_t dim = nextPowerOfTwo(longest + 1);
    int64_t rows = nextPowerOfTwo(std::max<int64_t>(sids.size(), 1));
    int64_t n = nextPowerOfTwo(static_cast<int64_t>(strings_.values.size()));
    std::string name = "stp_substr" + std::to_string(++counter_);
    std::vector<int64_t> index(n, 0), result(rows * dim * dim, 0);
    for (size_t i = 0; i < sids.size(); ++i) {
      index[sids[i]] = static_cast<int64_t>(i);
      const std::string& v = strings_.values[sids[i]];
      for (int64_t start = 0; start < dim; ++start)
        for (int64_t len = 0; len < dim; ++len) {
          std::string sub = start < static_cast<int64_t>(v.size()) && len > 0 ? v.substr(start, len) : "";
          auto it = strings_.ids.find(sub);
          result[(i * dim + start) * dim + len] = it == strings_.ids.end() ? 0 : it->second;
        }
    }
    auto array = [](const std::string& nm, const std::vector<int64_t>& v) {
      std::string s = "static const s64 STP_TABLE " + nm + "[" + std::to_string(v.size()) + "] = {";
      for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
      return s + "};";
    };
    tableLines_.push_back("// " + fileLine(c->loc) + ": substr of interned strings");
    tableLines_.push_back(array(name + "_index", index));
    tableLines_.push_back(array(name + "_result", result));
    std::string s = idOf(c->args[0]);
    std::string start = longExpr(c->args[1]);
    std::string len = c->args.size() > 2 ? longExpr(c->args[2]) : std::to_string(longest);
    std::string t = temp();
    line("s64 " + t + "s = " + start + ", " + t + "l = " + len + ";");
    line("s64 " + t + " = 0;");
    open("if (" + t + "s >= 0 && " + t + "s <= " + std::to_string(longest) + " && " + t + "l > 0)");
    line("if (" + t + "l > " + std::to_string(longest) + ") " + t + "l = " + std::to_string(longest) + ";");
    line(t + " = " + name + "_result[((" + name + "_index[(" + s + ") & " + std::to_string(n - 1) + "] * " +
         std::to_string(dim) + " + " + t + "s) * " + std::to_string(dim) + " + " + t + "l) & " +
         std::to_string(rows * dim * dim - 1) + "];");
    close();
    return t;
  }

  std::string strlenTable(Expr* s) {
    std::string name = "stp_strlen_table";
    if (!strlenTable_) {
      strlenTable_ = true;
      std::string line2 = "static const s64 STP_TABLE " + name + "[" + std::to_string(nextPowerOfTwo(strings_.values.size())) + "] = {";
      for (size_t i = 0; i < strings_.values.size(); ++i) line2 += (i ? ", " : "") + std::to_string(strings_.values[i].size());
      tableLines_.push_back(line2 + "};");
    }
    return name + "[(" + idOf(s) + ") & " + std::to_string(nextPowerOfTwo(strings_.values.size()) - 1) + "]";
  }

  // Once per place and message: a recursive function is written once per nesting level.
  void unsupported(const Node* n, const std::string& what) {
    SourceLocation loc = n ? n->loc : SourceLocation{};
    if (!reportedUnsupported_.insert(loc.str() + "\n" + what).second) return;
    ctx_.diags.error(loc, what + " is not supported by the C backend");
  }
  std::set<std::string> reportedUnsupported_;

 public:
  // Code that must precede the programs but is only known after emitting them.
  std::string foreachScratch() {
    std::string out;
    for (const std::string& s : pendingForeachScratch_) out += s + "\n";
    return out;
  }
  bool needsInternCopy() const { return needInternCopy_; }
  const std::map<std::string, std::string>& literals() const { return literals_; }

  // A string literal as a whole string buffer in .rodata: the string helpers read up to
  // STP_STRBUF bytes (masked indexes), which a C literal of its own length would not
  // hold.  Longer literals are cut to MAXSTRINGLEN, as SystemTap's strings are.
  std::string literalBuffer(const std::string& value) {
    std::string v = value.substr(0, static_cast<size_t>(strBuf_ - 1));
    auto it = literals_.find(v);
    if (it != literals_.end()) return it->second;
    std::string name = "stp_literal" + std::to_string(literals_.size());
    literals_[v] = name;
    return name;
  }
  const passes::InternedStrings& strings() const { return strings_; }
  int64_t strBuf() const { return strBuf_; }

 private:
  passes::PassContext& ctx_;
  sema::Program& prog_;
  Options opt_;
  Survey survey_;
  size_t errorsAtStart_;
  passes::InternedStrings strings_;
  int64_t maxStr_ = 128, strBuf_ = 128;
  Layout globals_;
  std::map<const Symbol*, ArrayInfo> arrays_;
  std::map<const Symbol*, Layout> statsLayouts_;
  std::map<const Symbol*, int> varianceShift_;  // statistics read with @variance(x, shift)
  std::map<const Symbol*, const Histogram*> linearParams_;
  std::map<int, CoreStruct> coreStructs_;  // by BTF id
  std::map<std::string, std::string> regexMatchers_;  // pattern -> matcher function
  const Function* function_ = nullptr;     // the function being emitted (null in probes)
  bool probeArgsInFunctions_ = false;      // a function reads registers: probes save theirs
  std::map<std::string, std::string> literals_;  // string literal -> its buffer in .rodata
  int functionDepth_ = 1;                  // its nesting level (recursive functions)
  std::map<const Function*, std::string> functionNames_;
  std::set<std::string> usedFunctionNames_;
  tapset::KernelTypes types_;
  std::map<const Symbol*, int64_t> linearBuckets_;  // @hist_linear: buckets in use
  std::map<std::string, Layout> frames_;
  std::map<int, Layout> eventLayouts_;
  json programs_ = json::array(), prints_ = json::array(), errors_ = json::array();
  std::vector<std::string> tableLines_;
  std::vector<std::string> pendingForeachScratch_;
  const DerivedProbe* probe_ = nullptr;
  std::string frameName_;
  Layout frame_;
  std::ostringstream out_;
  int indent_ = 1;
  int counter_ = 0, strTemps_ = 0, nextTemp_ = 0;
  size_t maxDepth_ = 0;
  bool strlenTable_ = false;
  std::string lastTemp_;
  std::vector<LoopFrame> loops_;
  std::map<const Symbol*, std::string> localNames_;
  std::set<std::string> usedNames_;
  bool needInternCopy_ = false;
  int64_t maxZero_ = 8;

 public:
  int64_t maxZero() const { return maxZero_; }
};

}  // namespace

Output emit(passes::PassContext& ctx, const Options& options) {
  Emitter e(ctx, options);
  Output out = e.run();
  if (out.bpfC.empty()) return out;
  // Insert what was discovered while emitting: foreach scratch lists and the interned
  // string table, before the first program.
  std::string extra = "// Zeros for clearing key buffers with one helper call\nstatic const char STP_TABLE stp_zeros[" +
                      std::to_string(std::max<int64_t>(e.maxZero(), e.strBuf())) +
                      "];\n#define stp_zero(p, n) bpf_probe_read_kernel((p), (n), stp_zeros)\n"
                      "#define stp_map_update(m, k, v) bpf_map_update_elem((m), (k), (v), 0)\n\n";
  extra += e.foreachScratch();
  if (!e.literals().empty()) {
    extra += "// String literals as whole string buffers (the string helpers read STP_STRBUF bytes)\n";
    for (const auto& [value, name] : e.literals())
      extra += "static const char STP_TABLE " + name + "[" + std::to_string(e.strBuf()) + "] = " + cString(value) + ";\n";
    extra += "\n";
  }
  if (e.needsInternCopy()) {
    const auto& values = e.strings().values;
    extra += "// Interned strings, for the places that need their bytes\n";
    extra += "static const char STP_TABLE stp_interned[" + std::to_string(nextPowerOfTwo(values.size())) + "][" +
             std::to_string(e.strBuf()) + "] = {";
    for (size_t i = 0; i < values.size(); ++i) extra += (i ? ", " : "") + cString(values[i]);
    extra += "};\nSTP_INLINE void stp_intern_copy(char *dst, s64 id) {\n  stp_strcpy(dst, stp_interned[id & " +
             std::to_string(nextPowerOfTwo(values.size()) - 1) + "]);\n}\n\n";
  }
  size_t at = out.bpfC.find(kExtraMarker);
  if (at != std::string::npos) out.bpfC.replace(at, std::string(kExtraMarker).size(), extra);
  return out;
}

}  // namespace stp2bpf::backends::bpfc
