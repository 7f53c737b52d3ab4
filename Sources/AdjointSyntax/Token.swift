/// The kinds of token of the model language (grammar/adjoint.ebnf).
public enum TokenKind: Hashable, Sendable {
    /// `[A-Za-z_][A-Za-z0-9_]*` that is not a keyword.
    case identifier
    /// `12`, `0.5`, `.5`, `1e-3`, `2.5E+4`.
    case number
    /// `dim`, `input`, `param`, `const`, `output`, `minimize`, `using`.
    case keyword(Keyword)
    case leftParen, rightParen, leftBracket, rightBracket
    case comma, colon, equal
    /// `...`: all remaining axes, only inside an index (`h[..., -1]`).
    case ellipsis
    case plus, minus, star, slash, at, caret
    /// Comparisons (version 2): `<`, `<=`, `>`, `>=`, `==`, `!=`.
    case less, lessEqual, greater, greaterEqual, equalEqual, notEqual
    /// The end of a statement (line breaks inside brackets or after an operator are dropped).
    case newline
    /// The end of the file.
    case end
    /// Text the lexer could not read; its diagnostic is already reported.
    case invalid

    /// How a message names this kind of token: `'('`, `a name`, `end of line`.
    public var spelling: String {
        switch self {
        case .identifier: return "a name"
        case .number: return "a number"
        case .keyword(let keyword): return "'\(keyword.rawValue)'"
        case .leftParen: return "'('"
        case .rightParen: return "')'"
        case .leftBracket: return "'['"
        case .rightBracket: return "']'"
        case .comma: return "','"
        case .colon: return "':'"
        case .equal: return "'='"
        case .ellipsis: return "'...'"
        case .plus: return "'+'"
        case .minus: return "'-'"
        case .star: return "'*'"
        case .slash: return "'/'"
        case .at: return "'@'"
        case .caret: return "'^'"
        case .less: return "'<'"
        case .lessEqual: return "'<='"
        case .greater: return "'>'"
        case .greaterEqual: return "'>='"
        case .equalEqual: return "'=='"
        case .notEqual: return "'!='"
        case .newline: return "end of line"
        case .end: return "end of file"
        case .invalid: return "invalid text"
        }
    }

    /// Binary operators and the comma: a line that ends in one continues on the next line.
    var continuesLine: Bool {
        switch self {
        case .plus, .minus, .star, .slash, .at, .caret, .comma: return true
        case .less, .lessEqual, .greater, .greaterEqual, .equalEqual, .notEqual: return true
        default: return false
        }
    }
}

/// The reserved words. Built-in function names are not keywords.
public enum Keyword: String, CaseIterable, Sendable {
    /// The keywords a statement can start with, for "did you mean" suggestions.
    static let statementKeywords = allCases.filter(\.startsStatement).map(\.rawValue)

    case dim, input, param, const, output, minimize, using

    /// Keywords that begin a statement. A line starting with one always starts a new statement,
    /// which lets the parser recover from an unclosed bracket on the line before.
    var startsStatement: Bool { self != .using }
}

/// One token with its source range. Names and numbers keep their text.
public struct Token: Sendable {
    public var kind: TokenKind
    public var range: SourceRange
    public var text: String
    /// Whether this is the first token of its line (the line break before it may have been dropped
    /// as a continuation); the parser uses it to recover from unclosed brackets.
    public var startsLine = false

    public init(kind: TokenKind, range: SourceRange, text: String) {
        self.kind = kind
        self.range = range
        self.text = text
    }
}
