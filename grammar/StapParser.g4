// Parser for the SystemTap script language (as SystemTap 4.8 accepts it).
//
// Input is the token stream *after* preprocessing (translator/frontend/preprocessor.cpp):
// `%( cond %? a %: b %)` conditionals are resolved, `@define` macros expanded and `$1`,
// `@1`, `$#`, `@#` substituted, exactly as SystemTap does it on tokens before parsing.
// Only the conditional's condition is parsed by this grammar (`ppCondition`).
//
// The expression rules follow SystemTap's recursive-descent parser level by level, because
// SystemTap's precedence differs from C in places that real scripts depend on:
//   * all comparisons (`< <= > >= == !=`) share one left-associative level;
//   * `in` binds looser than comparisons: `a == k in arr` is `[a == k] in arr`;
//   * `.` (string concatenation) sits between `+ -` and `<< >>`;
//   * the middle of `c ? a : b` is a full expression (assignments allowed), the last part
//     only a conditional expression, and the target of an assignment is parsed as a
//     conditional: `f ? 0 : h += d` is `(f ? 0 : h) += d` (elaboration decides what that
//     means; see passes/compat_rewrite).
// Every rule is LL(1) or close to it, which keeps ANTLR in its fast SLL prediction mode.
parser grammar StapParser;

options { tokenVocab = StapLexer; }

@parser::members {
  // True when the next token directly follows the previous one, with no whitespace or
  // comment between them (see translator/frontend/token.h).
  bool nextTokenIsAdjacent();
}

// ===================================================================== file level
script
    : declaration* EOF
    ;

declaration
    : probeDeclaration
    | globalDeclaration
    | functionDeclaration
    | EMBEDDED_CODE                                     // top-level %{ ... %} (guru mode)
    ;

// `probe a, b {}`; `probe a = b, c {}` (alias with prologue); `probe a += b {}` (epilogue);
// `probe a = b { prologue }, { epilogue }`.
// The AST builder checks that only aliases have an epilogue block and a single name.
probeDeclaration
    : PROBE probePointList (aliasOperator probePointList)? block (COMMA block)?
    ;

aliasOperator
    : ASSIGN
    | ADD_ASSIGN
    ;

probePointList
    : probePoint (COMMA probePoint)*
    ;

// A probe point: dotted components, then `?` (optional) or `!` (sufficient), then an
// optional condition.  A component is a name (wildcards allowed, e.g. `*read*`,
// `sys_*`) with an optional literal argument, or a brace group `{a, b.c}` that expands
// to alternatives.
probePoint
    : probeComponent (DOT probeComponent)* probePointMark? probeCondition?
    ;

probePointMark
    : QUESTION
    | BANG
    ;

probeCondition
    : IF LPAREN expression RPAREN
    ;

probeComponent
    : LBRACE probePointList RBRACE                              # probeComponentGroup
    | componentNamePart ({nextTokenIsAdjacent()}? componentNamePart)*
      (LPAREN probeArgument RPAREN)?                            # probeComponentNamed
    ;

// The parts of a component name must be adjacent (`*read*` is one name; in `probe a *`
// the `*` is not part of `a`): SystemTap glues only tokens with no whitespace between
// them.  Keywords are allowed (`.function`, `.return`), except `if`, which starts a
// probe condition.
componentNamePart
    : IDENTIFIER
    | STAR
    | keywordAsName
    ;

probeArgument
    : MINUS? NUMBER
    | stringLiteral
    ;

// `global a, b[100], c%, d%[10], e = 5, f = "s";`
globalDeclaration
    : PRIVATE? GLOBAL globalVariable (COMMA globalVariable)* SEMICOLON?
    | PRIVATE globalVariable (COMMA globalVariable)* SEMICOLON?   // `private x` is `private global x`
    ;

globalVariable
    : IDENTIFIER PERCENT? (LBRACKET NUMBER RBRACKET)? (ASSIGN literal)?
    ;

// `function name:type (p1:type, p2) { ... }` or with an embedded-C body `%{ ... %}`;
// an optional `: priority` may precede the body (tapset overrides).
functionDeclaration
    : PRIVATE? FUNCTION functionName (COLON typeName)?
      LPAREN (parameter (COMMA parameter)*)? RPAREN
      (COLON MINUS? NUMBER)?
      (block | EMBEDDED_CODE)
    ;

functionName
    : IDENTIFIER
    | STRING_KW
    | LONG_KW
    ;

parameter
    : IDENTIFIER (COLON typeName)?
    ;

typeName
    : STRING_KW
    | LONG_KW
    ;

// ===================================================================== statements
block
    : LBRACE statement* RBRACE
    ;

// After a statement that is not block-like, one `;` is absorbed (SystemTap does the same);
// any further `;` is an empty statement.
statement
    : block                                                           # blockStatement
    | SEMICOLON                                                       # emptyStatement
    | TRY block CATCH (LPAREN IDENTIFIER RPAREN)? block               # tryStatement
    | IF LPAREN expression RPAREN statement (ELSE statement)?         # ifStatement
    | FOR LPAREN init=expression? SEMICOLON cond=expression? SEMICOLON
          step=expression? RPAREN statement                           # forStatement
    | WHILE LPAREN expression RPAREN statement                        # whileStatement
    | FOREACH LPAREN foreachHead RPAREN statement                     # foreachStatement
    | RETURN expression? SEMICOLON?                                   # returnStatement
    | DELETE expression SEMICOLON?                                    # deleteStatement
    | NEXT SEMICOLON?                                                 # nextStatement
    | BREAK SEMICOLON?                                                # breakStatement
    | CONTINUE SEMICOLON?                                             # continueStatement
    | expression SEMICOLON?                                           # expressionStatement
    ;

// `foreach ([a, b+] in arr[1, *] @sum- limit 10)`, `foreach (v = k in arr)`
foreachHead
    : (valueVar=IDENTIFIER valueSort=sortMark? ASSIGN)?
      ( foreachKey
      | keysOpen=LBRACKET foreachKey (COMMA foreachKey)* RBRACKET )
      IN indexable (sliceOpen=LBRACKET sliceIndex (COMMA sliceIndex)* RBRACKET)?
      (statOperator? arraySort=sortMark)?
      (LIMIT expression)?
    ;

foreachKey
    : IDENTIFIER sortMark?
    ;

sortMark
    : PLUS
    | MINUS
    ;

sliceIndex
    : STAR
    | expression
    ;

// ===================================================================== expressions
expression
    : ternary (assignmentOperator expression)?
    ;

assignmentOperator
    : ASSIGN | AGGREGATE | ADD_ASSIGN | SUB_ASSIGN | MUL_ASSIGN | DIV_ASSIGN | MOD_ASSIGN
    | SHL_ASSIGN | SHR_ASSIGN | AND_ASSIGN | XOR_ASSIGN | OR_ASSIGN | CONCAT_ASSIGN
    ;

ternary
    : logicalOr (QUESTION expression COLON ternary)?
    ;

logicalOr
    : logicalAnd (LOGICAL_OR logicalAnd)*
    ;

logicalAnd
    : bitOr (LOGICAL_AND bitOr)*
    ;

bitOr
    : bitXor (PIPE bitXor)*
    ;

bitXor
    : bitAnd (CARET bitAnd)*
    ;

bitAnd
    : arrayIn (AMP arrayIn)*
    ;

// `k in arr`, `[a, b] in arr`, `[*, fd] in arr`
arrayIn
    : LBRACKET inKey (COMMA inKey)* RBRACKET IN indexable             # tupleIn
    | comparison (IN indexable)?                                       # singleIn
    ;

inKey
    : STAR
    | comparison
    ;

comparison
    : shift (regexOperator stringLiteral | (comparisonOperator shift)+)?
    ;

regexOperator
    : REGEX_MATCH
    | REGEX_NOMATCH
    ;

comparisonOperator
    : LT | LE | GT | GE | EQ | NE
    ;

shift
    : concatenation ((SHL | SHR | UNSIGNED_SHR) concatenation)*
    ;

concatenation
    : additive (DOT additive)*
    ;

additive
    : multiplicative ((PLUS | MINUS) multiplicative)*
    ;

multiplicative
    : unary ((STAR | SLASH | PERCENT) unary)*
    ;

unary
    : (PLUS | MINUS | BANG | TILDE) unary                              # prefixUnary
    | (INCREMENT | DECREMENT) dwarfValue                               # preCrement
    | dwarfValue (INCREMENT | DECREMENT)?                              # postCrementOrValue
    ;

// A value, possibly with `&` and target components (`->member`, `[index]`, `$`/`$$`).
dwarfValue
    : AMP? value targetComponent*
    ;

targetComponent
    : ARROW memberName                                                 # memberComponent
    | LBRACKET expression RBRACKET                                     # indexComponent
    | DOLLARS                                                          # prettyPrintComponent
    ;

memberName
    : IDENTIFIER
    | keywordAsName
    ;

value
    : EMBEDDED_CODE                                                    # embeddedExpression
    | LPAREN expression RPAREN                                         # parenthesized
    | TARGET_NAME                                                      # targetSymbol
    | AT_CAST LPAREN expression COMMA stringLiteral (COMMA stringLiteral)? RPAREN   # castOperator
    | AT_VAR LPAREN stringLiteral (COMMA stringLiteral)? RPAREN         # atVarOperator
    | AT_DEFINED LPAREN expression RPAREN                              # definedOperator
    | AT_ENTRY LPAREN expression RPAREN                                # entryOperator
    | AT_PERF LPAREN stringLiteral RPAREN                              # perfOperator
    | AT_CONST LPAREN stringLiteral RPAREN                             # constOperator
    | AT_PROBEWRITE LPAREN IDENTIFIER RPAREN                           # probewriteOperator
    | (AT_KREGISTER | AT_UREGISTER) LPAREN MINUS? NUMBER RPAREN        # registerOperator
    | (AT_KDEREF | AT_UDEREF) LPAREN MINUS? NUMBER COMMA expression RPAREN        # derefOperator
    | statOperator LPAREN expression (COMMA MINUS? NUMBER)* RPAREN     # statistic
    | histogram (LBRACKET expression RBRACKET)?                        # histogramValue
    | IDENTIFIER LPAREN (expression (COMMA expression)*)? RPAREN       # functionCall
    | IDENTIFIER (LBRACKET arrayIndex (COMMA arrayIndex)* RBRACKET)?   # symbolOrArrayIndex
    | AT_WORD                                                          # unknownAtOperator
    | NUMBER                                                           # numberValue
    | stringLiteral                                                    # stringValue
    ;

arrayIndex
    : STAR
    | expression
    ;

statOperator
    : AT_COUNT | AT_SUM | AT_MIN | AT_MAX | AT_AVG | AT_VARIANCE
    ;

histogram
    : AT_HIST_LOG LPAREN expression RPAREN
    | AT_HIST_LINEAR LPAREN expression COMMA MINUS? NUMBER COMMA MINUS? NUMBER COMMA MINUS? NUMBER RPAREN
    ;

// The array (or histogram) after `in`.
indexable
    : IDENTIFIER
    | histogram
    ;

literal
    : stringLiteral
    | MINUS? NUMBER
    ;

// Adjacent string literals are concatenated: `"ab" "cd"` is `"abcd"`.
stringLiteral
    : STRING+
    ;

keywordAsName
    : PROBE | GLOBAL | PRIVATE | FUNCTION | ELSE | FOR | FOREACH | IN | LIMIT | RETURN
    | DELETE | WHILE | BREAK | CONTINUE | NEXT | STRING_KW | LONG_KW | TRY | CATCH
    ;

// ===================================================================== preprocessor
// The condition of `%( ... %?`: comparisons joined by `&&` / `||` (`&&` binds tighter),
// e.g. `kernel_v >= "2.6.30" && arch == "x86_64"`, `$# > 1`, `CONFIG_SMP == "y"`.
ppCondition
    : ppComparison ((LOGICAL_AND | LOGICAL_OR) ppComparison)* EOF
    ;

ppComparison
    : ppOperand comparisonOperator ppOperand
    ;

ppOperand
    : IDENTIFIER
    | STRING
    | NUMBER
    ;
