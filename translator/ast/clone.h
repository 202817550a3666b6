// Deep copies of AST subtrees, made in the same context.  Elaboration gives every derived
// probe its own copy of the body (the same user body behind two probe points can resolve
// differently), and inlining copies function bodies.
#pragma once

#include "ast/context.h"

namespace stp2bpf::ast {

Node* cloneNode(AstContext& ctx, const Node* node);

template <typename T>
T* clone(AstContext& ctx, const T* node) {
  return static_cast<T*>(cloneNode(ctx, node));
}

}  // namespace stp2bpf::ast
