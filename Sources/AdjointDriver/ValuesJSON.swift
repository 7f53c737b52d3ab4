import Foundation

/// The JSON of `eval`'s values file, read with every value's line and column, so that a
/// malformed file or a value of the wrong kind is reported where it is (`3:14: expected ','
/// or ']' after a list element`). Foundation's parsers give no line and accept some malformed
/// input (`[1, 2 3]`), hence this small strict reader of RFC 8259.
struct ValuesJSON {
    /// Where a value starts: 1-based line and column (in bytes).
    struct Position: CustomStringConvertible {
        var line: Int
        var column: Int
        var description: String { "\(line):\(column)" }
    }

    indirect enum Value {
        case object([(key: String, value: ValuesJSON)])
        case array([ValuesJSON])
        case number(Double)
        case string(String)
        case bool(Bool)
        case null
    }

    var value: Value
    var position: Position

    /// What `eval` prints for, and reads back as, numbers JSON cannot hold.
    static let nonFinite: [String: Double] = ["inf": .infinity, "-inf": -.infinity, "nan": .nan]

    /// The number this value stands for: a JSON number, or one of the strings "inf", "-inf" and
    /// "nan" (`eval`'s spelling of them).
    var number: Double? {
        switch value {
        case .number(let number): return number
        case .string(let text): return Self.nonFinite[text]
        default: return nil
        }
    }

    /// A syntax error, its position first.
    struct SyntaxError: Error, CustomStringConvertible {
        var position: Position
        var message: String
        var description: String { "\(position): \(message)" }
    }

    /// Nesting deeper than this is refused rather than recursed into (a values file is 3 deep).
    static let maxDepth = 64

    /// Parses a whole document.
    static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> ValuesJSON {
        var parser = Parser(bytes: bytes)
        parser.skipBlanks()
        let value = try parser.value(depth: 0)
        parser.skipBlanks()
        guard parser.offset == bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var offset = 0
        var line = 1
        var lineStart = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
                offset = 3
                lineStart = 3
            }
        }

        var position: Position { Position(line: line, column: offset - lineStart + 1) }

        func error(_ message: String) -> SyntaxError { SyntaxError(position: position, message: message) }

        var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

        mutating func skipBlanks() {
            while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
                offset += 1
                if byte == 0x0A {
                    line += 1
                    lineStart = offset
                }
            }
        }

        /// What stands at the current position, for messages.
        var found: String {
            guard let byte = current else { return "the end of the file" }
            if byte >= 0x21 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
            return String(format: "byte 0x%02X", byte)
        }

        mutating func value(depth: Int) throws(SyntaxError) -> ValuesJSON {
            guard depth < maxDepth else { throw error("nested deeper than \(maxDepth) levels") }
            let start = position
            guard let byte = current else { throw error("expected a value, found the end of the file") }
            switch byte {
            case UInt8(ascii: "{"):
                offset += 1
                var members: [(key: String, value: ValuesJSON)] = []
                skipBlanks()
                if current == UInt8(ascii: "}") {
                    offset += 1
                    return ValuesJSON(value: .object(members), position: start)
                }
                while true {
                    skipBlanks()
                    guard current == UInt8(ascii: "\"") else { throw error("expected a name in quotes, found \(found)") }
                    let key = try string()
                    skipBlanks()
                    guard current == UInt8(ascii: ":") else { throw error("expected ':' after the name \"\(key)\", found \(found)") }
                    offset += 1
                    skipBlanks()
                    members.append((key, try value(depth: depth + 1)))
                    skipBlanks()
                    if current == UInt8(ascii: ",") {
                        offset += 1
                        continue
                    }
                    guard current == UInt8(ascii: "}") else { throw error("expected ',' or '}' after a member, found \(found)") }
                    offset += 1
                    return ValuesJSON(value: .object(members), position: start)
                }
            case UInt8(ascii: "["):
                offset += 1
                var elements: [ValuesJSON] = []
                skipBlanks()
                if current == UInt8(ascii: "]") {
                    offset += 1
                    return ValuesJSON(value: .array(elements), position: start)
                }
                while true {
                    skipBlanks()
                    elements.append(try value(depth: depth + 1))
                    skipBlanks()
                    if current == UInt8(ascii: ",") {
                        offset += 1
                        continue
                    }
                    guard current == UInt8(ascii: "]") else { throw error("expected ',' or ']' after a list element, found \(found)") }
                    offset += 1
                    return ValuesJSON(value: .array(elements), position: start)
                }
            case UInt8(ascii: "\""):
                return ValuesJSON(value: .string(try string()), position: start)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return ValuesJSON(value: .number(try number()), position: start)
            default:
                for (word, value) in [("true", Value.bool(true)), ("false", .bool(false)), ("null", .null)]
                where bytes[offset...].starts(with: word.utf8) {
                    offset += word.utf8.count
                    return ValuesJSON(value: value, position: start)
                }
                throw error("expected a value, found \(found)")
            }
        }

        /// `-? (0 | [1-9] digits) (. digits)? ([eE] [+-]? digits)?`, finite in double.
        mutating func number() throws(SyntaxError) -> Double {
            let start = offset
            let startPosition = position
            func digits() -> Int {
                let first = offset
                while let byte = current, byte >= 0x30 && byte <= 0x39 { offset += 1 }
                return offset - first
            }
            if current == UInt8(ascii: "-") { offset += 1 }
            let integerStart = offset
            let integerDigits = digits()
            guard integerDigits > 0 else { throw error("expected a digit after '-', found \(found)") }
            guard integerDigits == 1 || bytes[integerStart] != UInt8(ascii: "0") else {
                throw SyntaxError(position: startPosition, message: "a JSON number has no leading zeros")
            }
            if current == UInt8(ascii: ".") {
                offset += 1
                guard digits() > 0 else { throw error("expected a digit after '.', found \(found)") }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                offset += 1
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { offset += 1 }
                guard digits() > 0 else { throw error("expected a digit in the exponent, found \(found)") }
            }
            let text = String(decoding: bytes[start..<offset], as: UTF8.self)
            guard let value = Double(text), value.isFinite else {
                throw SyntaxError(position: startPosition, message: "\(text) is out of the range of double; write \"inf\" or \"-inf\"")
            }
            return value
        }

        /// A string in quotes, escapes undone.
        mutating func string() throws(SyntaxError) -> String {
            let start = position
            offset += 1
            var text = ""
            var run = offset
            while true {
                guard let byte = current else { throw SyntaxError(position: start, message: "the string has no closing '\"'") }
                if byte == UInt8(ascii: "\"") {
                    text += String(decoding: bytes[run..<offset], as: UTF8.self)
                    offset += 1
                    return text
                }
                guard byte >= 0x20 else { throw error("a control character inside a string; write it as an escape") }
                guard byte == UInt8(ascii: "\\") else {
                    offset += 1
                    continue
                }
                text += String(decoding: bytes[run..<offset], as: UTF8.self)
                offset += 1
                guard let escape = current else { throw SyntaxError(position: start, message: "the string has no closing '\"'") }
                offset += 1
                let simple: [UInt8: String] = [
                    UInt8(ascii: "\""): "\"", UInt8(ascii: "\\"): "\\", UInt8(ascii: "/"): "/", UInt8(ascii: "b"): "\u{8}",
                    UInt8(ascii: "f"): "\u{C}", UInt8(ascii: "n"): "\n", UInt8(ascii: "r"): "\r", UInt8(ascii: "t"): "\t",
                ]
                if let replacement = simple[escape] {
                    text += replacement
                } else if escape == UInt8(ascii: "u") {
                    guard offset + 4 <= bytes.count, let code = UInt32(String(decoding: bytes[offset..<offset + 4], as: UTF8.self), radix: 16)
                    else { throw error("expected 4 hexadecimal digits after '\\u'") }
                    offset += 4
                    // A surrogate alone is no character: it becomes U+FFFD, as a UTF-8 decoder makes it.
                    text.unicodeScalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                } else {
                    offset -= 1
                    throw error("unknown escape '\\\(Character(Unicode.Scalar(escape)))' in a string")
                }
                run = offset
            }
        }
    }
}
