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

    @Test func everyIdentifierIsDistinct() {
        let raw = DiagnosticID.allCases.map(\.rawValue)
        #expect(Set(raw).count == raw.count)
        #expect(raw.allSatisfy { $0.allSatisfy { $0.isLowercase || $0 == "-" } })
    }
}
