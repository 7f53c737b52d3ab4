/// Turns a `SourceFile` into tokens. A stray character (one that can start no token) is reported
/// and then lexed as though it were absent, so `app$le` is one mistake and still the name `apple`
/// rather than a cascade of errors about a name that went missing. Malformed and out-of-range
/// numbers become diagnostics and `.invalid` tokens, so the parser can skip the statement without
/// reporting the same mistake a second time.
public struct Lexer {
    /// The file's bytes without its stray characters; offsets below index this array.
    private let bytes: [UInt8]
    /// For each byte of `bytes`, its offset in the file: token ranges are file offsets.
    private let origin: [Int]
    private let fileLength: Int
    private var offset = 0
    private var tokens: [Token] = []
    private var diagnostics: [Diagnostic] = []
    private var maxDiagnostics = Int.max

    /// Lexes the whole file. Line breaks that do not end a statement (inside brackets, after a
    /// trailing operator or comma) are already removed from the result. With an `errorLimit`
    /// (`--error-limit`; 0: none), only the first `errorLimit + 1` diagnostics are kept: enough to
    /// print the limit and know there were more, without a diagnostic made per byte of a megabyte
    /// of stray characters.
    public static func tokenize(_ file: SourceFile, errorLimit: Int = 0) -> (tokens: [Token], diagnostics: [Diagnostic]) {
        let maxDiagnostics = Diagnostic.maxRecorded(errorLimit: errorLimit)
        let (bytes, origin, strays) = removingStrayCharacters(file.bytes, maxDiagnostics: maxDiagnostics)
        var lexer = Lexer(bytes: bytes, origin: origin, fileLength: file.bytes.count)
        lexer.maxDiagnostics = maxDiagnostics
        lexer.diagnostics = strays
        // About one token per four bytes in practice: reserved once rather than grown by copying.
        lexer.tokens.reserveCapacity(bytes.count / 4 + 16)
        lexer.lexAll()
        return (joinContinuedLines(lexer.tokens), lexer.diagnostics)
    }

    private init(bytes: [UInt8], origin: [Int], fileLength: Int) {
        self.bytes = bytes
        self.origin = origin
        self.fileLength = fileLength
    }

    /// The bytes that can be part of a token, whitespace or a comment, each with its file offset,
    /// and a diagnostic for every other character (a whole UTF-8 sequence, or one invalid byte).
    private static func removingStrayCharacters(_ file: [UInt8], maxDiagnostics: Int) -> ([UInt8], [Int], [Diagnostic]) {
        var kept: [UInt8] = []
        var origin: [Int] = []
        var diagnostics: [Diagnostic] = []
        kept.reserveCapacity(file.count)
        origin.reserveCapacity(file.count)
        var inComment = false
        var offset = 0
        while offset < file.count {
            let byte = file[offset]
            if byte == UInt8(ascii: "#") { inComment = true }
            if byte == UInt8(ascii: "\n") { inComment = false }
            let length = inComment || canAppear(byte) ? 1 : min(max(SourceFile.sequenceLength(byte), 1), file.count - offset)
            if length == 1 && (inComment || canAppear(byte)) {
                kept.append(byte)
                origin.append(offset)
            } else if diagnostics.count < maxDiagnostics {
                diagnostics.append(Diagnostic(.unexpectedCharacter(shown(file[offset..<offset + length])),
                    at: SourceRange(start: offset, end: offset + length)))
            }
            offset += length
        }
        return (kept, origin, diagnostics)
    }

    /// Whether `byte` can be part of a token or of the space between tokens.
    private static func canAppear(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"), UInt8(ascii: "#"), UInt8(ascii: "."),
            UInt8(ascii: "!"):
            return true
        default:
            return isIdentifierStart(byte) || isDigit(byte) || punctuation[Int(byte)] != nil
        }
    }

    /// How a message quotes a stray character: `'$'`, or `byte 0xFF` when it is not printable UTF-8.
    private static func shown(_ slice: ArraySlice<UInt8>) -> String {
        if let text = String(validating: slice, as: UTF8.self), let scalar = text.unicodeScalars.first,
            scalar.value >= 0x20, scalar.value != 0x7F
        {
            return "'\(text)'"
        }
        return "byte 0x" + String(slice.first!, radix: 16, uppercase: true)
    }

    /// The file range of `bytes[start..<end]`.
    private func range(_ start: Int, _ end: Int) -> SourceRange {
        guard start < end else {
            let at = start < origin.count ? origin[start] : fileLength
            return SourceRange(start: at, end: at)
        }
        return SourceRange(start: origin[start], end: origin[end - 1] + 1)
    }

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
            case UInt8(ascii: ".") where peek(1) == UInt8(ascii: ".") && peek(2) == UInt8(ascii: "."):
                offset += 3
                add(.ellipsis, from: start)
            case UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "="), UInt8(ascii: "!"):
                // `<` `<=` `>` `>=` `==` `!=` (version 2) and `=`; a `!` alone is a stray character.
                let equals = peek(1) == UInt8(ascii: "=")
                offset += equals ? 2 : 1
                switch (byte, equals) {
                case (UInt8(ascii: "<"), false): add(.less, from: start)
                case (UInt8(ascii: "<"), true): add(.lessEqual, from: start)
                case (UInt8(ascii: ">"), false): add(.greater, from: start)
                case (UInt8(ascii: ">"), true): add(.greaterEqual, from: start)
                case (UInt8(ascii: "="), false): add(.equal, from: start)
                case (UInt8(ascii: "="), true): add(.equalEqual, from: start)
                case (_, true): add(.notEqual, from: start)
                default:
                    report(.unexpectedCharacter("'!'"), at: range(start, offset))
                    tokens.append(Token(kind: .invalid, range: range(start, offset), text: ""))
                }
            default:
                // Stray characters were removed, so this is punctuation or a `.` that starts no number.
                offset += 1
                if let kind = Self.punctuation[Int(byte)] {
                    add(kind, from: start)
                } else {
                    report(.unexpectedCharacter("'.'"), at: range(start, offset))
                    tokens.append(Token(kind: .invalid, range: range(start, offset), text: ""))
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
        let range = range(start, offset)
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

    private mutating func add(_ kind: TokenKind, from start: Int) {
        // Blank and comment lines give one line break, not many.
        if kind == .newline, tokens.last?.kind == .newline || tokens.isEmpty { return }
        let range = range(start, offset)
        let text: String
        switch kind {
        case .identifier, .number: text = String(decoding: bytes[start..<offset], as: UTF8.self)
        default: text = ""
        }
        tokens.append(Token(kind: kind, range: range, text: text))
    }

    private mutating func report(_ message: DiagnosticMessage, at range: SourceRange) {
        guard diagnostics.count < maxDiagnostics else { return }
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

    /// The token of each punctuation byte, by byte value: every byte of a file is looked up.
    static let punctuation: [TokenKind?] = {
        var table = [TokenKind?](repeating: nil, count: 256)
        let kinds: [(Character, TokenKind)] = [
            ("(", .leftParen), (")", .rightParen), ("[", .leftBracket), ("]", .rightBracket), (",", .comma),
            (":", .colon), ("=", .equal), ("+", .plus), ("-", .minus), ("*", .star), ("/", .slash), ("@", .at),
            ("^", .caret), ("<", .less), (">", .greater),
        ]
        for (character, kind) in kinds { table[Int(character.asciiValue!)] = kind }
        return table
    }()
}
