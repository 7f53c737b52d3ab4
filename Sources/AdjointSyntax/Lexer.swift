/// Turns a `SourceFile` into tokens. Lexical mistakes become diagnostics and `.invalid` tokens, so
/// the parser can skip the statement without reporting the same mistake a second time.
public struct Lexer {
    private let file: SourceFile
    private var offset = 0
    private var tokens: [Token] = []
    private var diagnostics: [Diagnostic] = []

    /// Lexes the whole file. Line breaks that do not end a statement (inside brackets, after a
    /// trailing operator or comma) are already removed from the result.
    public static func tokenize(_ file: SourceFile) -> (tokens: [Token], diagnostics: [Diagnostic]) {
        var lexer = Lexer(file: file)
        lexer.lexAll()
        return (joinContinuedLines(lexer.tokens), lexer.diagnostics)
    }

    private init(file: SourceFile) { self.file = file }

    private var bytes: [UInt8] { file.bytes }

    private func peek(_ ahead: Int = 0) -> UInt8? {
        offset + ahead < bytes.count ? bytes[offset + ahead] : nil
    }

    private mutating func lexAll() {
        while let byte = peek() {
            let start = offset
            switch byte {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"):
                offset += 1
            case UInt8(ascii: "#"):
                while let next = peek(), next != UInt8(ascii: "\n") { offset += 1 }
            case UInt8(ascii: "\n"):
                offset += 1
                add(.newline, from: start)
            case _ where Self.isIdentifierStart(byte):
                while let next = peek(), Self.isIdentifierStart(next) || Self.isDigit(next) { offset += 1 }
                let text = String(decoding: bytes[start..<offset], as: UTF8.self)
                add(Keyword(rawValue: text).map(TokenKind.keyword) ?? .identifier, from: start)
            case _ where Self.isDigit(byte) || (byte == UInt8(ascii: ".") && peek(1).map(Self.isDigit) == true):
                lexNumber()
            default:
                if let kind = Self.punctuation[byte] {
                    offset += 1
                    add(kind, from: start)
                } else {
                    lexUnexpectedCharacter()
                }
            }
        }
        add(.end, from: offset)
    }

    /// digits [. digits] [(e|E) [+|-] digits], or . digits [exponent]. Anything glued to a number
    /// (`1e`, `1.2.3`, `3abc`) makes the whole run one malformed number.
    private mutating func lexNumber() {
        let start = offset
        var wellFormed = true
        while let next = peek(), Self.isDigit(next) { offset += 1 }
        if peek() == UInt8(ascii: ".") {
            offset += 1
            while let next = peek(), Self.isDigit(next) { offset += 1 }
        }
        if let marker = peek(), marker == UInt8(ascii: "e") || marker == UInt8(ascii: "E") {
            offset += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { offset += 1 }
            if peek().map(Self.isDigit) != true { wellFormed = false }
            while let next = peek(), Self.isDigit(next) { offset += 1 }
        }
        while let next = peek(), Self.isIdentifierStart(next) || Self.isDigit(next) || next == UInt8(ascii: ".") {
            wellFormed = false
            offset += 1
        }
        let text = String(decoding: bytes[start..<offset], as: UTF8.self)
        let range = SourceRange(start: start, end: offset)
        guard wellFormed else {
            report(.malformedNumber(text), at: range)
            tokens.append(Token(kind: .invalid, range: range, text: text))
            return
        }
        guard let value = Double(text), value.isFinite else {
            report(.numberOutOfRange(text), at: range)
            tokens.append(Token(kind: .invalid, range: range, text: text))
            return
        }
        tokens.append(Token(kind: .number, range: range, text: text))
    }

    private mutating func lexUnexpectedCharacter() {
        let start = offset
        let length = SourceFile.sequenceLength(bytes[start])
        let end = min(start + max(length, 1), bytes.count)
        offset = end
        let slice = bytes[start..<end]
        let shown: String
        if let text = String(validating: slice, as: UTF8.self), let scalar = text.unicodeScalars.first,
            scalar.value >= 0x20, scalar.value != 0x7F
        {
            shown = "'\(text)'"
        } else {
            shown = "byte 0x" + String(bytes[start], radix: 16, uppercase: true)
        }
        let range = SourceRange(start: start, end: end)
        report(.unexpectedCharacter(shown), at: range)
        tokens.append(Token(kind: .invalid, range: range, text: ""))
    }

    private mutating func add(_ kind: TokenKind, from start: Int) {
        // Blank and comment lines give one line break, not many.
        if kind == .newline, tokens.last?.kind == .newline || tokens.isEmpty { return }
        let range = SourceRange(start: start, end: offset)
        let text: String
        switch kind {
        case .identifier, .number: text = String(decoding: bytes[start..<offset], as: UTF8.self)
        default: text = ""
        }
        tokens.append(Token(kind: kind, range: range, text: text))
    }

    private mutating func report(_ message: DiagnosticMessage, at range: SourceRange) {
        diagnostics.append(Diagnostic(message, at: range))
    }

    /// Drops the line breaks that do not end a statement: repeated ones, those inside `( )` and
    /// `[ ]`, and those after a trailing binary operator or comma. A line that starts with a
    /// statement keyword always ends the statement before it.
    static func joinContinuedLines(_ raw: [Token]) -> [Token] {
        var result: [Token] = []
        result.reserveCapacity(raw.count)
        var depth = 0
        var atLineStart = true
        for (index, original) in raw.enumerated() {
            var token = original
            if token.kind != .newline {
                token.startsLine = atLineStart
                atLineStart = false
            } else {
                atLineStart = true
            }
            switch token.kind {
            case .leftParen, .leftBracket:
                depth += 1
            case .rightParen, .rightBracket:
                depth = max(0, depth - 1)
            case .newline:
                guard let previous = result.last, previous.kind != .newline else { continue }
                let next = index + 1 < raw.count ? raw[index + 1] : nil  // line breaks come one at a time
                if case .keyword(let keyword)? = next?.kind, keyword.startsStatement {
                    depth = 0
                } else if depth > 0 || previous.kind.continuesLine {
                    continue
                }
            default:
                break
            }
            result.append(token)
        }
        return result
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    static func isIdentifierStart(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "_")
    }

    static let punctuation: [UInt8: TokenKind] = [
        UInt8(ascii: "("): .leftParen, UInt8(ascii: ")"): .rightParen,
        UInt8(ascii: "["): .leftBracket, UInt8(ascii: "]"): .rightBracket,
        UInt8(ascii: ","): .comma, UInt8(ascii: ":"): .colon, UInt8(ascii: "="): .equal,
        UInt8(ascii: "+"): .plus, UInt8(ascii: "-"): .minus, UInt8(ascii: "*"): .star,
        UInt8(ascii: "/"): .slash, UInt8(ascii: "@"): .at, UInt8(ascii: "^"): .caret,
    ]
}
