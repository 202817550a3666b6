// Lexer for the SystemTap script language (as SystemTap 4.8 accepts it).
//
// The token set mirrors SystemTap's own hand-written lexer (parse.cxx):
//  * identifiers may contain '$' after the first character (`foo$bar`);
//  * words starting with '$' are target variables (`$fd`, `$$parms`, `$var$`),
//    words starting with '@' are operators or macro invocations (`@count`, `@mymacro`);
//  * `$1`/`@1` (script arguments) and `$#`/`@#` (their count) are separate tokens that the
//    preprocessor substitutes before parsing;
//  * `%( %? %: %)` are preprocessor tokens; `%{ ... %}` is one embedded-C token;
//  * numbers are a digit followed by any letters/digits: validity (`089`, `0b1`) is
//    checked when the AST is built, so the error points at the literal;
//  * comments: `#`, `//` to end of line, and `/* */` (which does not nest).
// Tokens that can never be valid (an unterminated string, an unterminated embedded-C
// block, a stray character) get their own token types so the parser front end can
// report them precisely instead of failing inside the lexer.
lexer grammar StapLexer;

// ---- keywords (SystemTap's reserved words) ----
PROBE    : 'probe';
GLOBAL   : 'global';
PRIVATE  : 'private';
FUNCTION : 'function';
IF       : 'if';
ELSE     : 'else';
FOR      : 'for';
FOREACH  : 'foreach';
IN       : 'in';
LIMIT    : 'limit';
RETURN   : 'return';
DELETE   : 'delete';
WHILE    : 'while';
BREAK    : 'break';
CONTINUE : 'continue';
NEXT     : 'next';
STRING_KW: 'string';
LONG_KW  : 'long';
TRY      : 'try';
CATCH    : 'catch';

// ---- @-operators that the parser knows; any other @word is a macro or an error ----
AT_CAST       : '@cast';
AT_VAR        : '@var';
AT_DEFINED    : '@defined';
AT_ENTRY      : '@entry';
AT_PERF       : '@perf';
AT_CONST      : '@const';
AT_PROBEWRITE : '@probewrite';
AT_KREGISTER  : '@kregister';
AT_UREGISTER  : '@uregister';
AT_KDEREF     : '@kderef';
AT_UDEREF     : '@uderef';
AT_COUNT      : '@count';
AT_SUM        : '@sum';
AT_MIN        : '@min';
AT_MAX        : '@max';
AT_AVG        : '@avg';
AT_VARIANCE   : '@variance';
AT_HIST_LOG   : '@hist_log';
AT_HIST_LINEAR: '@hist_linear';
AT_DEFINE     : '@define';

// ---- script arguments (substituted by the preprocessor) ----
SCRIPT_ARG      : [$@] [0-9]+;
SCRIPT_ARG_COUNT: [$@] '#';

// A lone `$`/`$$`: the pretty-print suffix written apart from its target (`$a[0]$`).
DOLLARS     : '$'+;
// `$name`, `$$vars`, `$var$`.
TARGET_NAME : '$' '$'* [a-zA-Z_] [a-zA-Z0-9_$]*;
AT_WORD     : '@' [a-zA-Z_] [a-zA-Z0-9_$]*;
IDENTIFIER  : [a-zA-Z_] [a-zA-Z0-9_$]*;
NUMBER      : [0-9] [a-zA-Z0-9]*;

// A backslash may escape any character, even a newline; a raw newline ends the token
// as an unterminated string.
STRING              : '"' ( '\\' . | ~["\\\n] )* '"';
UNTERMINATED_STRING : '"' ( '\\' . | ~["\\\n] )*;

// An embedded-C block that reaches the end of the file without '%}' is still this token
// (ANTLR prefers the longest match, so it cannot be a rule of its own); the preprocessor
// reports it.
EMBEDDED_CODE : '%{' .*? ('%}' | EOF);

// ---- preprocessor ----
PP_OPEN  : '%(';
PP_THEN  : '%?';
PP_ELSE  : '%:';
PP_CLOSE : '%)';

// ---- operators, longest first where it matters (ANTLR takes the longest match) ----
AGGREGATE   : '<<<';
UNSIGNED_SHR: '>>>';
SHL_ASSIGN  : '<<=';
SHR_ASSIGN  : '>>=';
EQ          : '==';
NE          : '!=';
LE          : '<=';
GE          : '>=';
REGEX_MATCH : '=~';
REGEX_NOMATCH: '!~';
ADD_ASSIGN  : '+=';
SUB_ASSIGN  : '-=';
MUL_ASSIGN  : '*=';
DIV_ASSIGN  : '/=';
MOD_ASSIGN  : '%=';
AND_ASSIGN  : '&=';
XOR_ASSIGN  : '^=';
OR_ASSIGN   : '|=';
CONCAT_ASSIGN: '.=';
LOGICAL_AND : '&&';
LOGICAL_OR  : '||';
INCREMENT   : '++';
DECREMENT   : '--';
ARROW       : '->';
SHL         : '<<';
SHR         : '>>';
LT          : '<';
GT          : '>';
ASSIGN      : '=';
PLUS        : '+';
MINUS       : '-';
STAR        : '*';
SLASH       : '/';
PERCENT     : '%';
AMP         : '&';
PIPE        : '|';
CARET       : '^';
TILDE       : '~';
BANG        : '!';
QUESTION    : '?';
COLON       : ':';
SEMICOLON   : ';';
COMMA       : ',';
DOT         : '.';
LPAREN      : '(';
RPAREN      : ')';
LBRACKET    : '[';
RBRACKET    : ']';
LBRACE      : '{';
RBRACE      : '}';

// ---- trivia ----
// `#!...` first lines and shell trampolines (`//usr/bin/stap ... $0; exit`) are comments.
HASH_COMMENT  : '#' ~[\n]* -> channel(HIDDEN);
LINE_COMMENT  : '//' ~[\n]* -> channel(HIDDEN);
// SystemTap silently accepts a block comment that runs to the end of the file.
BLOCK_COMMENT : '/*' .*? ('*/' | EOF) -> channel(HIDDEN);
WHITESPACE    : [ \t\r\n\f\u000B]+ -> channel(HIDDEN);

// Anything else (e.g. '`' or a lone '@') is reported by the parser front end.
STRAY_CHARACTER : .;
