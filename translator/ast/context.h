// AstContext owns every AST node of a translation (an arena).  Passes hold plain pointers.
#pragma once

#include <memory>
#include <utility>
#include <vector>

#include "ast/ast.h"

namespace stp2bpf::ast {

class AstContext {
 public:
  template <typename T, typename... Args>
  T* make(Args&&... args) {
    auto node = std::make_unique<T>(std::forward<Args>(args)...);
    T* raw = node.get();
    nodes_.push_back(std::move(node));
    return raw;
  }

  size_t nodeCount() const { return nodes_.size(); }

  // The parsed files, in the order they were added (user script first, then tapsets).
  std::vector<Script*> scripts;

 private:
  std::vector<std::unique_ptr<Node>> nodes_;
};

}  // namespace stp2bpf::ast
