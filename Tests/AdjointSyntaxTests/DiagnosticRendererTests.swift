import Testing

@testable import AdjointSyntax

@Suite struct DiagnosticRendererTests {
    @Test func rendersLocationLineCaretTildesAndNotes() {
        let file = SourceFile(path: "m.adj", text: "param W: [3, 2]\nh = x @ W\n")
        let diagnostic = Diagnostic(
            .shapeMismatch("cannot multiply"), at: SourceRange(start: 20, end: 25),
            notes: [Diagnostic.Note("'W' is declared here", at: SourceRange(start: 6, end: 7))])
        #expect(
            DiagnosticRenderer.render(diagnostic, in: file) == """
                m.adj:2:5: error: cannot multiply [shape-mismatch]
                h = x @ W
                    ^~~~~
                m.adj:1:7: note: 'W' is declared here
                param W: [3, 2]
                      ^

                """)
    }

    @Test func rangeRunningPastTheLineStopsAtItsEnd() {
        let file = SourceFile(path: "m.adj", text: "h = relu(x\n  + 1)\n")
        let diagnostic = Diagnostic(.shapeMismatch("m"), at: SourceRange(start: 4, end: 17))
        #expect(DiagnosticRenderer.render(diagnostic, in: file).contains("\n    ^~~~~~\n"))
    }

    @Test func emptyRangeAtEndOfLineGetsOneCaret() {
        let file = SourceFile(path: "m.adj", text: "h = (x\n")
        let diagnostic = Diagnostic(.expectedToken("')'", "here", found: "end of line"), at: SourceRange(start: 6, end: 6))
        #expect(DiagnosticRenderer.render(diagnostic, in: file).hasSuffix("h = (x\n      ^\n"))
    }

    @Test func tabsAreShownAsSpacesSoCaretsAlign() {
        let file = SourceFile(path: "m.adj", text: "\th = $")
        #expect(file.lineText(1) == " h = $")
        #expect(file.location(of: 5) == SourceLocation(line: 1, column: 6))
    }

    // MARK: - Long lines

    /// The quoted line and the caret line of a rendered diagnostic.
    private func quoted(_ rendered: String) -> (line: [Character], caret: [Character]) {
        let lines = rendered.split(separator: "\n", omittingEmptySubsequences: false)
        return (Array(lines[1]), Array(lines[2]))
    }

    /// `x = a + a + ... + $ + a + ...`: the diagnostic points at the `$` after `before` terms.
    private func longLine(before: Int, after: Int, term: String = "a") -> (file: SourceFile, offset: Int) {
        let head = "x = " + String(repeating: "\(term) + ", count: before)
        let text = head + "$" + String(repeating: " + \(term)", count: after) + "\n"
        return (SourceFile(path: "m.adj", text: text), head.utf8.count)
    }

    @Test func longLineIsQuotedAsAWindowAroundTheCaret() {
        let (file, offset) = longLine(before: 5000, after: 5000)
        let rendered = DiagnosticRenderer.render(
            Diagnostic(.unexpectedCharacter("'$'"), at: SourceRange(start: offset, end: offset + 1)), in: file)
        #expect(rendered.hasPrefix("m.adj:1:\(offset + 1): error: "))
        let (line, caret) = quoted(rendered)
        #expect(line.count <= DiagnosticRenderer.maxQuotedColumns + 6)
        #expect(String(line).hasPrefix("...") && String(line).hasSuffix("..."))
        #expect(caret.last == "^")
        #expect(line[caret.count - 1] == "$")
        #expect(rendered.utf8.count < 500)
    }

    @Test func windowAtEitherEndOfALongLineHasOneEllipsis() {
        let (start, startOffset) = longLine(before: 1, after: 5000)
        let first = quoted(DiagnosticRenderer.render(
            Diagnostic(.unexpectedCharacter("'$'"), at: SourceRange(start: startOffset, end: startOffset + 1)), in: start))
        #expect(!String(first.line).hasPrefix("...") && String(first.line).hasSuffix("..."))
        #expect(first.line[first.caret.count - 1] == "$")

        let (end, endOffset) = longLine(before: 5000, after: 1)
        let last = quoted(DiagnosticRenderer.render(
            Diagnostic(.unexpectedCharacter("'$'"), at: SourceRange(start: endOffset, end: endOffset + 1)), in: end))
        #expect(String(last.line).hasPrefix("...") && !String(last.line).hasSuffix("..."))
        #expect(String(last.line).hasSuffix("$ + a"))
        #expect(last.line.count == DiagnosticRenderer.maxQuotedColumns + 3)
        #expect(last.line[last.caret.count - 1] == "$")
    }

    /// Multi-byte characters take one column each, in the reported column and in the window.
    @Test func windowCaretAlignsAfterMultiByteCharacters() {
        let (file, offset) = longLine(before: 3000, after: 3000, term: "é")
        let rendered = DiagnosticRenderer.render(
            Diagnostic(.unexpectedCharacter("'$'"), at: SourceRange(start: offset, end: offset + 1)), in: file)
        #expect(rendered.hasPrefix("m.adj:1:\(4 + 3000 * 4 + 1): error: "))
        let (line, caret) = quoted(rendered)
        #expect(line[caret.count - 1] == "$")
        #expect(line.contains("é"))
    }

    /// A range longer than the window is underlined to the window's end, not beyond.
    @Test func longRangeIsUnderlinedToTheWindowEnd() {
        let (file, offset) = longLine(before: 10, after: 5000)
        let rendered = DiagnosticRenderer.render(
            Diagnostic(.shapeMismatch("m"), at: SourceRange(start: offset, end: file.bytes.count - 1)), in: file)
        let (line, caret) = quoted(rendered)
        #expect(caret.count == line.count - 3)
        #expect(rendered.utf8.count < 500)
    }

    /// Columns on a long line with multi-byte characters agree with counting them one by one.
    @Test func columnsAgreeWithCountingCharacters() {
        let text = String(repeating: "aé€😀\t", count: 300) + "\n" + String(repeating: "b€", count: 400)
        let file = SourceFile(path: "m.adj", text: text)
        var line = 1
        var column = 1
        for (offset, byte) in file.bytes.enumerated() where byte & 0xC0 != 0x80 {
            #expect(file.location(of: offset) == SourceLocation(line: line, column: column))
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        #expect(file.location(of: file.bytes.count) == SourceLocation(line: 2, column: 801))
    }

    /// Many diagnostics on one megabyte-long line cost each a bounded amount of work: neither the
    /// column nor the quoted window rescans the line from its start (that took minutes).
    @Test func manyDiagnosticsOnOneHugeLineAreCheap() {
        let (file, _) = longLine(before: 125_000, after: 125_000, term: "é")
        let clock = ContinuousClock()
        var total = 0
        let elapsed = clock.measure {
            for offset in stride(from: 4, to: file.bytes.count - 1, by: file.bytes.count / 500) {
                total += DiagnosticRenderer.render(
                    Diagnostic(.unexpectedCharacter("'$'"), at: SourceRange(start: offset, end: offset + 1)), in: file
                ).utf8.count
            }
        }
        #expect(total < 500 * 500)
        #expect(elapsed < .seconds(5), "\(elapsed)")
    }

    /// Quoted source text in a message is shortened too: a 1,000-digit number stays one line.
    @Test func longQuotedTextInAMessageIsShortened() {
        let number = String(repeating: "9", count: 1000) + "e999"
        let message = DiagnosticMessage.numberOutOfRange(number).text
        #expect(message.count < 120)
        #expect(message.hasPrefix("number '9999") && message.hasSuffix("99e999' is too large"))
        #expect(message.contains("..."))
    }

    @Test func warningsRenderAsWarnings() {
        let file = SourceFile(path: "m.adj", text: "param v = 1\n")
        let diagnostic = Diagnostic(.unusedParam("v", loss: "loss"), at: SourceRange(start: 6, end: 7))
        #expect(diagnostic.severity == .warning)
        #expect(
            DiagnosticRenderer.render(diagnostic, in: file) == """
                m.adj:1:7: warning: param 'v' does not affect the loss 'loss'; its gradient is always zero [unused-param]
                param v = 1
                      ^

                """)
    }

    @Test func everyIdentifierIsDistinct() {
        let raw = DiagnosticID.allCases.map(\.rawValue)
        #expect(Set(raw).count == raw.count)
        #expect(raw.allSatisfy { $0.allSatisfy { $0.isLowercase || $0 == "-" } })
    }
}
