/// A problem in the user's model file, with where it is and the places related to it.
/// Passes return diagnostics instead of throwing, so that one run reports every mistake once.
public struct Diagnostic: Sendable {
    /// `error` stops compilation; `note` only appears attached to an error.
    public enum Severity: String, Sendable {
        case error, note
    }

    /// A related place: where a name was declared, the other operand's shape.
    public struct Note: Sendable {
        public var message: String
        public var range: SourceRange

        public init(_ message: String, at range: SourceRange) {
            self.message = message
            self.range = range
        }
    }

    /// The stable identifier (`shape-mismatch`); tests and fixtures match it, not the wording.
    public var id: DiagnosticID
    public var message: String
    public var range: SourceRange
    public var notes: [Note]

    public init(_ message: DiagnosticMessage, at range: SourceRange, notes: [Note] = []) {
        self.id = message.id
        self.message = message.text
        self.range = range
        self.notes = notes
    }

    /// Where the diagnostic points.
    public func location(in file: SourceFile) -> SourceLocation { file.location(of: range.start) }
}

/// Prints diagnostics the way compilers and editors expect:
///
///     samples/digits.adj:12:14: error: cannot multiply [batch, 64] by [32, 10] [shape-mismatch]
///     h      = relu(x @ W1 + b1)
///                   ^~~~~~
///     samples/digits.adj:7:1: note: 'W1' is declared here
///     ...
public enum DiagnosticRenderer {
    /// The full text of one diagnostic with its notes, ending in a line break.
    public static func render(_ diagnostic: Diagnostic, in file: SourceFile) -> String {
        var text = block(
            severity: .error, message: "\(diagnostic.message) [\(diagnostic.id.rawValue)]",
            range: diagnostic.range, in: file)
        for note in diagnostic.notes where !note.range.isSynthesized {
            text += block(severity: .note, message: note.message, range: note.range, in: file)
        }
        return text
    }

    /// Every diagnostic in source order.
    public static func render(_ diagnostics: [Diagnostic], in file: SourceFile) -> String {
        sorted(diagnostics).map { render($0, in: file) }.joined()
    }

    /// Diagnostics in source order (stable for equal positions).
    public static func sorted(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        diagnostics.enumerated().sorted { ($0.element.range.start, $0.offset) < ($1.element.range.start, $1.offset) }
            .map(\.element)
    }

    private static func block(
        severity: Diagnostic.Severity, message: String, range: SourceRange, in file: SourceFile
    ) -> String {
        let start = file.location(of: range.start)
        let line = file.lineText(start.line)
        // The marked part ends at the range's end or the end of the line, whichever comes first.
        let end = file.location(of: range.end)
        let endColumn = end.line == start.line ? end.column : line.count + 1
        let width = max(1, endColumn - start.column)
        let caret = String(repeating: " ", count: start.column - 1) + "^" + String(repeating: "~", count: width - 1)
        return "\(file.path):\(start): \(severity.rawValue): \(message)\n\(line)\n\(caret)\n"
    }
}
