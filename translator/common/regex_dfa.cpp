#include "common/regex_dfa.h"

#include <bitset>
#include <cctype>
#include <map>
#include <memory>
#include <set>

namespace stp2bpf {

namespace {

using Symbols = std::bitset<RegexDfa::kSymbols>;

// ---------------------------------------------------------------- syntax tree

struct Node {
  enum class Kind { Set, Cat, Alt, Repeat, Empty } kind = Kind::Empty;
  Symbols set;                                // Set
  std::vector<std::unique_ptr<Node>> parts;   // Cat, Alt; Repeat: parts[0]
  int min = 0, max = -1;                      // Repeat: -1 = unbounded
};
using NodePtr = std::unique_ptr<Node>;

NodePtr makeSet(const Symbols& s) {
  auto n = std::make_unique<Node>();
  n->kind = Node::Kind::Set;
  n->set = s;
  return n;
}

class Parser {
 public:
  explicit Parser(const std::string& p) : p_(p) {}
  std::string error;

  NodePtr parse() {
    NodePtr n = alternation();
    if (error.empty() && pos_ < p_.size()) fail("unmatched ')'");
    return error.empty() ? std::move(n) : nullptr;
  }

 private:
  void fail(const std::string& why) {
    if (error.empty()) error = why + " at offset " + std::to_string(pos_) + " of the regular expression";
  }
  bool more() const { return pos_ < p_.size(); }
  char peek() const { return p_[pos_]; }

  NodePtr alternation() {
    auto alt = std::make_unique<Node>();
    alt->kind = Node::Kind::Alt;
    alt->parts.push_back(concatenation());
    while (more() && peek() == '|') {
      ++pos_;
      alt->parts.push_back(concatenation());
    }
    if (alt->parts.size() == 1) return std::move(alt->parts[0]);
    return alt;
  }

  NodePtr concatenation() {
    auto cat = std::make_unique<Node>();
    cat->kind = Node::Kind::Cat;
    while (more() && peek() != '|' && peek() != ')' && error.empty()) cat->parts.push_back(repetition());
    if (cat->parts.empty()) return std::make_unique<Node>();  // Empty
    if (cat->parts.size() == 1) return std::move(cat->parts[0]);
    return cat;
  }

  NodePtr repetition() {
    NodePtr atom = this->atom();
    while (more() && error.empty()) {
      int min, max;
      char c = peek();
      if (c == '*') min = 0, max = -1;
      else if (c == '+') min = 1, max = -1;
      else if (c == '?') min = 0, max = 1;
      else if (c == '{' && bounds(min, max)) {
        // bounds() consumed the braces
        atom = repeat(std::move(atom), min, max);
        continue;
      } else break;
      ++pos_;
      atom = repeat(std::move(atom), min, max);
    }
    return atom;
  }

  NodePtr repeat(NodePtr child, int min, int max) {
    auto r = std::make_unique<Node>();
    r->kind = Node::Kind::Repeat;
    r->min = min;
    r->max = max;
    r->parts.push_back(std::move(child));
    return r;
  }

  // `{m}`, `{m,}`, `{m,n}`; a `{` that does not start bounds is a literal.
  bool bounds(int& min, int& max) {
    size_t save = pos_;
    ++pos_;
    auto number = [&](int& out) {
      size_t start = pos_;
      long v = 0;
      while (more() && std::isdigit(static_cast<unsigned char>(peek())) && v < 1000) v = v * 10 + (p_[pos_++] - '0');
      out = static_cast<int>(v);
      return pos_ > start;
    };
    if (!number(min)) {
      pos_ = save;
      return false;
    }
    max = min;
    if (more() && peek() == ',') {
      ++pos_;
      if (!number(max)) max = -1;
    }
    if (!more() || peek() != '}' || (max >= 0 && max < min) || min > 255 || max > 255) {
      pos_ = save;
      return false;
    }
    ++pos_;
    return true;
  }

  NodePtr atom() {
    char c = p_[pos_++];
    Symbols s;
    switch (c) {
      case '(': {
        NodePtr inner = alternation();
        if (!more() || peek() != ')') {
          fail("unclosed '('");
          return inner;
        }
        ++pos_;
        return inner;
      }
      case '[': return bracket();
      case '.':
        for (int b = 1; b < 256; ++b) s.set(b);
        return makeSet(s);
      case '^': s.set(RegexDfa::kBegin); return makeSet(s);
      case '$': s.set(RegexDfa::kEnd); return makeSet(s);
      case '*':
      case '+':
      case '?': fail(std::string("'") + c + "' with nothing to repeat"); return std::make_unique<Node>();
      case '\\':
        if (!more()) {
          fail("'\\' at the end");
          return std::make_unique<Node>();
        }
        c = p_[pos_++];
        [[fallthrough]];
      default:
        s.set(static_cast<unsigned char>(c));
        return makeSet(s);
    }
  }

  NodePtr bracket() {
    Symbols s;
    bool negate = more() && peek() == '^';
    if (negate) ++pos_;
    bool first = true;
    while (more() && (peek() != ']' || first)) {
      first = false;
      if (p_.compare(pos_, 2, "[:") == 0) {
        size_t end = p_.find(":]", pos_ + 2);
        if (end == std::string::npos) {
          fail("unclosed '[:'");
          return makeSet(s);
        }
        std::string name = p_.substr(pos_ + 2, end - pos_ - 2);
        if (!addClass(name, s)) fail("unknown character class [:" + name + ":]");
        pos_ = end + 2;
        continue;
      }
      unsigned char lo = static_cast<unsigned char>(p_[pos_++]);
      unsigned char hi = lo;
      if (pos_ + 1 < p_.size() && peek() == '-' && p_[pos_ + 1] != ']') {
        hi = static_cast<unsigned char>(p_[pos_ + 1]);
        pos_ += 2;
        if (hi < lo) fail("range out of order in a bracket expression");
      }
      for (int b = lo; b <= hi; ++b) s.set(b);
    }
    if (!more()) {
      fail("unclosed '['");
      return makeSet(s);
    }
    ++pos_;  // ']'
    if (negate) {
      Symbols all;
      for (int b = 1; b < 256; ++b) all.set(b);
      s = all & ~s;
    }
    s.reset(0);
    return makeSet(s);
  }

  static bool addClass(const std::string& name, Symbols& s) {
    static const std::map<std::string, int (*)(int)> classes = {
        {"alpha", std::isalpha}, {"digit", std::isdigit}, {"alnum", std::isalnum}, {"space", std::isspace},
        {"upper", std::isupper}, {"lower", std::islower}, {"punct", std::ispunct}, {"xdigit", std::isxdigit},
        {"blank", std::isblank}, {"cntrl", std::iscntrl}, {"graph", std::isgraph}, {"print", std::isprint}};
    auto it = classes.find(name);
    if (it == classes.end()) return false;
    for (int b = 1; b < 128; ++b)  // the C locale: ASCII only
      if (it->second(b)) s.set(b);
    return true;
  }

  const std::string& p_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------- NFA (Thompson)

struct Nfa {
  struct State {
    std::vector<std::pair<Symbols, int>> edges;
    std::vector<int> epsilon;
  };
  std::vector<State> states;
  int add() {
    states.emplace_back();
    return static_cast<int>(states.size()) - 1;
  }

  // Builds `n` between the new states it returns: {entry, exit}.
  std::pair<int, int> build(const Node& n) {
    switch (n.kind) {
      case Node::Kind::Empty: {
        int a = add(), b = add();
        states[a].epsilon.push_back(b);
        return {a, b};
      }
      case Node::Kind::Set: {
        int a = add(), b = add();
        states[a].edges.push_back({n.set, b});
        return {a, b};
      }
      case Node::Kind::Cat: {
        auto first = build(*n.parts[0]);
        int end = first.second;
        for (size_t i = 1; i < n.parts.size(); ++i) {
          auto next = build(*n.parts[i]);
          states[end].epsilon.push_back(next.first);
          end = next.second;
        }
        return {first.first, end};
      }
      case Node::Kind::Alt: {
        int a = add(), b = add();
        for (const auto& part : n.parts) {
          auto f = build(*part);
          states[a].epsilon.push_back(f.first);
          states[f.second].epsilon.push_back(b);
        }
        return {a, b};
      }
      case Node::Kind::Repeat: {
        // min copies in a row, then (max - min) optional ones, or a loop when unbounded.
        int a = add(), end = a;
        for (int i = 0; i < n.min; ++i) {
          auto f = build(*n.parts[0]);
          states[end].epsilon.push_back(f.first);
          end = f.second;
        }
        if (n.max < 0) {
          auto f = build(*n.parts[0]);
          int b = add();
          states[end].epsilon.push_back(f.first);
          states[end].epsilon.push_back(b);
          states[f.second].epsilon.push_back(f.first);
          states[f.second].epsilon.push_back(b);
          return {a, b};
        }
        int b = add();
        for (int i = n.min; i < n.max; ++i) {
          auto f = build(*n.parts[0]);
          states[end].epsilon.push_back(f.first);
          states[end].epsilon.push_back(b);
          end = f.second;
        }
        states[end].epsilon.push_back(b);
        return {a, b};
      }
    }
    return {add(), add()};
  }

  void closure(std::set<int>& set) const {
    std::vector<int> work(set.begin(), set.end());
    while (!work.empty()) {
      int s = work.back();
      work.pop_back();
      for (int t : states[s].epsilon)
        if (set.insert(t).second) work.push_back(t);
    }
  }
};

}  // namespace

bool RegexDfa::matches(const std::string& text) const {
  int s = next[start][kBegin];
  for (unsigned char c : text) {
    if (c == 0) break;
    s = next[s][c];
  }
  s = next[s][kEnd];
  return accepting[s];
}

bool compileRegex(const std::string& pattern, RegexDfa& out, std::string& error, size_t maxStates) {
  Parser parser(pattern);
  NodePtr tree = parser.parse();
  if (!tree) {
    error = parser.error;
    return false;
  }
  // Search semantics: before the pattern, any prefix (Begin, then any bytes); after it,
  // anything (the match stays found).
  Nfa nfa;
  int q0 = nfa.add(), q1 = nfa.add();
  auto body = nfa.build(*tree);
  int done = nfa.add();
  Symbols bytes, all;
  for (int b = 1; b < 256; ++b) bytes.set(b);
  all = bytes;
  all.set(RegexDfa::kEnd);
  Symbols begin;
  begin.set(RegexDfa::kBegin);
  nfa.states[q0].edges.push_back({begin, q1});
  nfa.states[q1].edges.push_back({bytes, q1});
  nfa.states[q0].epsilon.push_back(body.first);
  nfa.states[q1].epsilon.push_back(body.first);
  nfa.states[body.second].epsilon.push_back(done);
  nfa.states[done].edges.push_back({all, done});

  // Subset construction; state 0 is the empty set (dead).
  std::map<std::set<int>, int> ids;
  std::vector<std::set<int>> sets;
  auto idOf = [&](std::set<int> s) {
    nfa.closure(s);
    auto it = ids.find(s);
    if (it != ids.end()) return it->second;
    int id = static_cast<int>(sets.size());
    ids.emplace(s, id);
    sets.push_back(s);
    return id;
  };
  idOf({});
  out.start = idOf({q0});
  out.next.clear();
  out.accepting.clear();
  for (size_t i = 0; i < sets.size(); ++i) {
    if (sets.size() > maxStates) {
      error = "the regular expression needs more than " + std::to_string(maxStates) +
              " automaton states, too many for a BPF table";
      return false;
    }
    std::vector<uint16_t> row(RegexDfa::kSymbols, 0);
    const std::set<int> current = sets[i];  // a copy: idOf() below grows `sets`
    for (int sym = 0; sym < RegexDfa::kSymbols; ++sym) {
      std::set<int> target;
      for (int s : current)
        for (const auto& [on, to] : nfa.states[s].edges)
          if (on.test(static_cast<size_t>(sym))) target.insert(to);
      row[static_cast<size_t>(sym)] = static_cast<uint16_t>(target.empty() ? 0 : idOf(target));
    }
    out.next.push_back(row);
    out.accepting.push_back(current.count(done) > 0);
  }
  return true;
}

}  // namespace stp2bpf
