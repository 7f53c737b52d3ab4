import Testing

@testable import AdjointSyntax

/// Version 2's comparisons, `true`, `false` and `inf`, and the reductions' new arguments, as the
/// lexer and parser read them.
@Suite struct ComparisonParserTests {
    private func kinds(_ text: String) -> [TokenKind] {
        Lexer.tokenize(SourceFile(path: "t.adj", text: text)).tokens.map(\.kind)
    }

    private func parsed(_ text: String) -> (Expr?, [(DiagnosticID, String)]) {
        let file = SourceFile(path: "t.adj", text: "v = " + text)
        let (program, diagnostics) = Parser.parse(file)
        guard diagnostics.isEmpty, case .assign(_, let value)? = program.statements.first?.kind else {
            return (nil, diagnostics.map { ($0.id, $0.location(in: file).description) })
        }
        return (value, [])
    }

    private func reprint(_ text: String) -> String? { parsed(text).0.map(ExprPrinter.print) }

    @Test func comparisonTokens() {
        #expect(kinds("a < b <= c > d >= e == f != g = h") == [
            .identifier, .less, .identifier, .lessEqual, .identifier, .greater, .identifier, .greaterEqual, .identifier,
            .equalEqual, .identifier, .notEqual, .identifier, .equal, .identifier, .end,
        ])
        let (tokens, _) = Lexer.tokenize(SourceFile(path: "t.adj", text: "a!=b"))
        #expect(tokens[1].range == SourceRange(start: 1, end: 3))
        #expect(Lexer.tokenize(SourceFile(path: "t.adj", text: "v = !a")).diagnostics.map(\.id) == [.unexpectedCharacter])
    }

    @Test func comparisonsBindMoreLooselyThanArithmetic() throws {
        let expr = try #require(parsed("a + b * c < d - e").0)
        guard case .chain(let left, let links) = expr.kind, links.count == 1 else {
            Issue.record("not one comparison: \(expr.kind)")
            return
        }
        #expect(links[0].op == .less)
        #expect(ExprPrinter.print(left) == "a + b * c")
        #expect(ExprPrinter.print(links[0].operand) == "d - e")
        #expect(reprint("(a + 1) >= -b") == "a + 1 >= -b")
        #expect(reprint("(a < b) == (c != d)") == "(a < b) == (c != d)")
        #expect(reprint("where(x > 0, x, -inf)") == "where(x > 0, x, -inf)")
        #expect(reprint("(a < b) * c") == "(a < b) * c")
    }

    @Test func aComparisonMayEndALine() {
        let (program, diagnostics) = Parser.parse(SourceFile(path: "t.adj", text: "v = a <=\n    b\nminimize v\n"))
        #expect(diagnostics.isEmpty)
        #expect(program.statements.count == 2)
    }

    @Test func chainedComparisonIsReportedAtItsSecondOperator() {
        #expect(parsed("a < b < c").1.map(\.0) == [.chainedComparison])
        #expect(parsed("a < b < c").1.map(\.1) == ["1:11"])
        #expect(parsed("a == b != c").1.map(\.1) == ["1:12"])
        #expect(parsed("(a < b) < c").1.isEmpty)
    }

    @Test func flagsAndNumbersAreNames() throws {
        #expect(kinds("true false inf") == [.identifier, .identifier, .identifier, .end])
        let file = SourceFile(path: "t.adj", text: "param w = 1\nminimize w using momentum(nesterov = true, momentum = 0.5)\n")
        let (program, diagnostics) = Parser.parse(file)
        #expect(diagnostics.isEmpty)
        guard case .minimize(_, let rule?)? = program.statements.last?.kind else {
            Issue.record("no update rule")
            return
        }
        #expect(rule.arguments.map(\.value.value) == [1, 0.5])
        #expect(rule.arguments[0].value.text == "true")
    }

    @Test func reductionArguments() {
        #expect(reprint("sum(x, axis = [0, 2], keepdims = true)") == "sum(x, axis = [0, 2], keepdims = true)")
        #expect(reprint("max(x)") == "max(x)")
        #expect(reprint("clip(x, -1, inf)") == "clip(x, -1, inf)")
    }
}
