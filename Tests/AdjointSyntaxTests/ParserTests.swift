import Testing

@testable import AdjointSyntax

/// Parses `NAME = EXPR` and prints EXPR back with only the parentheses it needs.
private func reprint(_ expression: String) -> String? {
    let (program, diagnostics) = Parser.parse(SourceFile(path: "t.adj", text: "v = " + expression))
    guard diagnostics.isEmpty, case .assign(_, let value)? = program.statements.first?.kind else { return nil }
    return ExprPrinter.print(value)
}

private func parseDiagnostics(_ text: String) -> [(DiagnosticID, String)] {
    let file = SourceFile(path: "t.adj", text: text)
    let (_, diagnostics) = Parser.parse(file)
    return diagnostics.map { ($0.id, $0.location(in: file).description) }
}

@Suite struct ParserTests {
    @Test(arguments: [
        ("-x^2", "-x^2"),
        ("(-x)^2", "(-x)^2"),
        ("a @ b * c", "a @ b * c"),
        ("a @ (b * c)", "a @ (b * c)"),
        ("2^3^2", "2^3^2"),
        ("(2^3)^2", "(2^3)^2"),
        ("x ^ -1", "x^-1"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a / (b * c)", "a / (b * c)"),
        ("(target - f)^2", "(target - f)^2"),
        ("relu(x @ W1 + b1)", "relu(x @ W1 + b1)"),
        ("sum(a, axis = -1)", "sum(a, axis = -1)"),
        ("- -x", "-(-x)"),
        ("-(a + b) * c", "-(a + b) * c"),
    ])
    func precedenceAndPrinting(source: String, printed: String) {
        #expect(reprint(source) == printed)
    }

    @Test func printedFormParsesToTheSameTree() {
        for source in ["-x^2 * (a + b) @ W", "2^-x^(3 - y)", "sum(max(a, -b) / c, axis = 0) - log(softmax(z))"] {
            let once = reprint(source)
            #expect(once != nil)
            #expect(once.flatMap(reprint) == once)
        }
    }

    @Test func everyStatementForm() throws {
        let text = """
            dim batch
            dim hidden = 32
            input x: [batch, 64]
            input t
            param W: [64, hidden] = normal(0, std = 0.01)
            param s = -2
            param b: [hidden]
            const c = 1e-3
            h = relu(x @ W + b)
            output h
            minimize sum(h) * c using adam(lr = 0.1, beta1 = 0.8)
            """
        let (program, diagnostics) = Parser.parse(SourceFile(path: "t.adj", text: text))
        #expect(diagnostics.isEmpty)
        try #require(program.statements.count == 11)
        guard case .param(_, _, .named(let name, let arguments?, _)) = program.statements[4].kind else {
            Issue.record("expected a param with an initializer call")
            return
        }
        #expect(name.name == "normal")
        #expect(arguments.map(\.value.value) == [0, 0.01])
        #expect(arguments.map { $0.label?.name } == [nil, "std"])
        guard case .param(_, nil, .number(let value)) = program.statements[5].kind else {
            Issue.record("expected a scalar param with a value")
            return
        }
        #expect(value.value == -2)
        guard case .minimize(_, let rule?) = program.statements[10].kind else {
            Issue.record("expected minimize with a rule")
            return
        }
        #expect(rule.name.name == "adam")
        #expect(rule.arguments.map { $0.label?.name } == ["lr", "beta1"])
    }

    @Test func sourceRangesCoverTheirText() {
        let file = SourceFile(path: "t.adj", text: "loss = (target - f)^2")
        let (program, _) = Parser.parse(file)
        guard case .assign(let name, let value)? = program.statements.first?.kind else {
            Issue.record("expected an assignment")
            return
        }
        #expect(file.location(of: name.range.start) == SourceLocation(line: 1, column: 1))
        #expect(file.location(of: value.range.start) == SourceLocation(line: 1, column: 8))
        #expect(value.range.end == file.bytes.count)
    }

    @Test func severalMistakesGiveSeveralDiagnosticsOnce() {
        let text = """
            h = relu(x @ W1
            z = a +
            dim = 3
            y = (a b)
            output
            minimize y using adam(0.1)
            """
        let found = parseDiagnostics(text)
        #expect(found.map(\.0) == [.expectedToken, .expectedExpression, .expectedIdentifier, .expectedToken, .expectedIdentifier, .expectedIdentifier])
        #expect(found.map(\.1) == ["1:16", "2:8", "3:5", "4:8", "5:7", "6:23"])
    }

    @Test func unclosedBracketIsReportedAtTheEndOfItsLine() {
        let found = parseDiagnostics("h = relu(x\nlogits = h @ W\nminimize logits\n")
        #expect(found.map(\.0) == [.expectedToken])
        #expect(found.map(\.1) == ["1:11"])
    }

    @Test func lexicalErrorIsNotReportedTwice() {
        #expect(parseDiagnostics("h = x $ y\nz = 1e + 2\n").map(\.0) == [.unexpectedCharacter, .malformedNumber])
    }

    /// `im hidden = 32`: the keyword is suggested, and `hidden` counts as declared so its uses
    /// are not reported again.
    @Test func misspelledKeywordIsSuggested() {
        let file = SourceFile(path: "t.adj", text: "im hidden = 32\nparm W: [hidden]\n")
        let (program, diagnostics) = Parser.parse(file)
        #expect(diagnostics.map { $0.location(in: file).description } == ["1:1", "2:1"])
        #expect(diagnostics[0].message.hasSuffix("found 'im'; did you mean 'dim'?"))
        #expect(diagnostics[1].message.hasSuffix("found 'parm'; did you mean 'param'?"))
        guard case .invalid(let name?) = program.statements.first?.kind else {
            Issue.record("expected an invalid statement that declares a name")
            return
        }
        #expect(name.name == "hidden")
    }

    @Test func extraTokensAndStrayStatements() {
        #expect(parseDiagnostics("h = x y").map(\.0) == [.extraTokens])
        #expect(parseDiagnostics(") = 2").map(\.0) == [.expectedStatement])
        #expect(parseDiagnostics("h relu(x)").map(\.0) == [.expectedToken])
    }

    @Test func deepNestingIsADiagnosticNotACrash() {
        let depth = 10_000
        let nested = "x = " + String(repeating: "(", count: depth) + "y" + String(repeating: ")", count: depth)
        #expect(parseDiagnostics(nested).map(\.0) == [.nestingTooDeep])
        let negations = "x = " + String(repeating: "-", count: depth) + "y"
        #expect(parseDiagnostics(negations).map(\.0) == [.nestingTooDeep])
        let powers = "x = y" + String(repeating: "^y", count: depth)
        #expect(parseDiagnostics(powers).map(\.0) == [.nestingTooDeep])
        let calls = "x = " + String(repeating: "exp(", count: depth) + "y" + String(repeating: ")", count: depth)
        #expect(parseDiagnostics(calls).map(\.0) == [.nestingTooDeep])
    }

    /// A sum or product of many terms is flat to the person who wrote it: any length parses (a
    /// loop reads it), and it prints back as written.
    @Test(arguments: [300, 100_000])
    func flatChainsOfAnyLengthParse(terms: Int) throws {
        let sum = "x = " + Array(repeating: "y", count: terms).joined(separator: " + ")
        let (program, diagnostics) = Parser.parse(SourceFile(path: "t.adj", text: sum))
        #expect(diagnostics.isEmpty)
        guard case .assign(_, let value)? = program.statements.first?.kind, case .chain(_, let links) = value.kind else {
            Issue.record("expected an assignment of a chain")
            return
        }
        #expect(links.count == terms - 1)
        #expect(value.height == 2)
        #expect("x = " + ExprPrinter.print(value) == sum)

        let operators = ["+", "-", "+", "-"]
        let products = ["a * b", "c / d", "a @ b * c", "-a / b ^ 2"]
        let mixed = "x = a" + (1..<terms).map { " \(operators[$0 % 4]) \(products[$0 % 4])" }.joined()
        #expect(parseDiagnostics(mixed).isEmpty)
    }

    /// Nesting beyond the limit is still a diagnostic, at the parenthesis or call that goes too
    /// deep, even after a long flat sum on the same line (which itself is fine).
    @Test func nestingBeyondTheLimitIsReportedWhereItGoesTooDeep() {
        let prefix = "x = " + String(repeating: "y + ", count: 300)
        let depth = Parser.maxNesting + 44
        let parentheses = prefix + String(repeating: "(", count: depth) + "y" + String(repeating: ")", count: depth)
        // The token after the 257th '(' (columns count from 1).
        let column = prefix.count + Parser.maxNesting + 2
        #expect(parseDiagnostics(parentheses).map(\.0) == [.nestingTooDeep])
        #expect(parseDiagnostics(parentheses).map(\.1) == ["1:\(column)"])
        let calls = prefix + String(repeating: "exp(", count: depth) + "y" + String(repeating: ")", count: depth)
        #expect(parseDiagnostics(calls).map(\.1) == ["1:\(prefix.count + 4 * (Parser.maxNesting + 1) + 1)"])
        // Under the limit, nesting and a long sum inside it parse.
        let inside = "x = " + String(repeating: "(", count: 200) + prefix.dropFirst(4) + "y" + String(repeating: ")", count: 200)
        #expect(parseDiagnostics(inside).isEmpty)
    }

    @Test func nestingJustUnderTheLimitParses() {
        let depth = Parser.maxNesting - 2
        let nested = "x = " + String(repeating: "(", count: depth) + "y" + String(repeating: ")", count: depth)
        #expect(parseDiagnostics(nested).isEmpty)
    }
}
