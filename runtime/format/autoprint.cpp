#include "format/autoprint.h"

#include "format/printf.h"

namespace stp2bpf::runtime::format {

namespace {

using Conv = FormatSpec::Conv;

// Builds the format of one auto-print line, component by component, as the translator
// does, and the argument list that goes with it.
class Line {
 public:
  void text(const std::string& s) {
    if (!specs_.empty() && specs_.back().conv == Conv::Literal) {
      specs_.back().literal += s;
      return;
    }
    FormatSpec spec;
    spec.literal = s;
    specs_.push_back(spec);
  }
  // %#d (what the translator writes for keys and statistics) or %d (long values).
  void number(int64_t v, bool alternate) {
    FormatSpec spec;
    spec.conv = Conv::SignedDecimal;
    spec.alternate = alternate;
    specs_.push_back(spec);
    args_.emplace_back(v);
  }
  // "%#s", quotes included.
  void quoted(const std::string& s) {
    text("\"");
    FormatSpec spec;
    spec.conv = Conv::String;
    spec.alternate = true;
    specs_.push_back(spec);
    args_.emplace_back(s);
    text("\"");
  }
  void stats(const Stats& s) {
    const struct {
      const char* label;
      int64_t value;
    } fields[] = {{" @count=", s.count}, {" @min=", s.min}, {" @max=", s.max},
                  {" @sum=", s.sum},     {" @avg=", statAvg(s)}};
    for (const auto& f : fields) {
      text(f.label);
      number(f.value, true);
    }
  }
  std::string print() {
    text("\n");
    return formatPrintf(specs_, args_);
  }

 private:
  std::vector<FormatSpec> specs_;
  std::vector<Value> args_;
};

}  // namespace

std::string autoPrintLong(const std::string& name, int64_t value) {
  Line line;
  line.text(name + "=");
  line.number(value, false);
  return line.print();
}

std::string autoPrintString(const std::string& name, const std::string& value) {
  Line line;
  line.text(name + "=");
  line.quoted(value);
  return line.print();
}

std::string autoPrintStats(const std::string& name, const Stats& stats) {
  // The generated code tests @count first and prints a fixed text for an empty
  // statistic (its @min/@max/@avg would be "empty aggregate" errors).
  if (stats.count == 0) return name + " @count=0x0\n";
  Line line;
  line.text(name);
  line.stats(stats);
  return line.print();
}

AutoPrintResult autoPrintArray(const std::string& name, const std::vector<ArrayEntry>& entries,
                               int64_t maxAction) {
  AutoPrintResult result;
  ForeachSort sort;
  sort.column = 0;
  sort.direction = -1;  // `in name-`
  sort.aggregate = StatAggregate::Count;
  ForeachOrder order = foreachOrder(entries, sort);

  int64_t remaining = maxAction - 1;  // the foreach statement
  if (remaining <= 0) {
    result.maxActionExceeded = true;
    return result;
  }
  for (size_t index : order.visit) {
    const ArrayEntry& e = entries[index];
    Line line;
    line.text(name + "[");
    for (size_t k = 0; k < e.keys.size(); ++k) {
      if (k > 0) line.text(",");
      if (auto* n = std::get_if<int64_t>(&e.keys[k]))
        line.number(*n, true);
      else
        line.quoted(std::get<std::string>(e.keys[k]));
    }
    line.text("]");
    if (auto* n = std::get_if<int64_t>(&e.value)) {
      line.text("=");
      line.number(*n, false);
    } else if (auto* s = std::get_if<std::string>(&e.value)) {
      line.text("=");
      line.quoted(*s);
    } else {
      line.stats(std::get<Stats>(e.value));
    }
    result.text += line.print();
    remaining -= 2;  // the printf statement, checked after it ran
    if (remaining <= 0) {
      result.maxActionExceeded = true;
      break;
    }
  }
  return result;
}

}  // namespace stp2bpf::runtime::format
