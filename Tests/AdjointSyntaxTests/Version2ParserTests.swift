import Testing

@testable import AdjointSyntax

/// Parses `NAME = EXPR` and prints EXPR back with only the parentheses it needs.
private func reprint(_ expression: String) -> String? {
    let (program, diagnostics) = Parser.parse(SourceFile(path: "t.adj", text: "v = " + expression))
    guard diagnostics.isEmpty, case .assign(_, let value)? = program.statements.first?.kind else { return nil }
    return ExprPrinter.print(value)
}

/// The expression of `v = EXPR`, or nil if it does not parse.
private func expression(_ text: String) -> Expr? {
    let (program, diagnostics) = Parser.parse(SourceFile(path: "t.adj", text: "v = " + text))
    guard diagnostics.isEmpty, case .assign(_, let value)? = program.statements.first?.kind else { return nil }
    return value
}

/// The parser's diagnostics as identifier and `LINE:COL`.
private func parseDiagnostics(_ text: String) -> [(DiagnosticID, String)] {
    let file = SourceFile(path: "t.adj", text: text)
    let (_, diagnostics) = Parser.parse(file)
    return diagnostics.map { ($0.id, $0.location(in: file).description) }
}

/// The statements of a file that must parse without diagnostics.
private func statements(_ text: String) -> [Statement.Kind] {
    let (program, diagnostics) = Parser.parse(SourceFile(path: "t.adj", text: text))
    #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
    return program.statements.map(\.kind)
}

// MARK: - Lexing

@Suite struct Version2LexerTests {
    private func kinds(_ text: String) -> [TokenKind] {
        Lexer.tokenize(SourceFile(path: "t.adj", text: text)).tokens.map(\.kind)
    }

    @Test func ellipsisIsOneToken() {
        #expect(kinds("h[..., -1]") == [
            .identifier, .leftBracket, .ellipsis, .comma, .minus, .number, .rightBracket, .end,
        ])
        let (tokens, _) = Lexer.tokenize(SourceFile(path: "t.adj", text: "x[...]"))
        #expect(tokens[2].range == SourceRange(start: 2, end: 5))
    }

    @Test func oneOrTwoDotsAreStillStrayAndNumbersKeepTheirDot() {
        #expect(Lexer.tokenize(SourceFile(path: "t.adj", text: "x = ..")).diagnostics.map(\.id) == [
            .unexpectedCharacter, .unexpectedCharacter,
        ])
        #expect(kinds(".5") == [.number, .end])
        #expect(kinds("....") == [.ellipsis, .invalid, .end])
    }

    @Test func intAndFloatAreNames() {
        #expect(kinds("input t: int[n]") == [
            .keyword(.input), .identifier, .colon, .identifier, .leftBracket, .identifier, .rightBracket, .end,
        ])
    }

    @Test func lineBreaksInsideAnIndexOrAListAreDropped() {
        #expect(kinds("v = x[0,\n1]\n") == [
            .identifier, .equal, .identifier, .leftBracket, .number, .comma, .number, .rightBracket, .newline, .end,
        ])
    }
}

// MARK: - Declarations

@Suite struct Version2DeclarationTests {
    @Test func elementTypes() throws {
        let kinds = statements(
            """
            dim batch
            input labels: int[batch]
            input x: float[batch, 64]
            input y: [batch, 10]
            input n: int
            input t
            """)
        try #require(kinds.count == 6)
        guard case .input(let labels, let int?, let intShape?) = kinds[1] else {
            Issue.record("expected an int input with a shape")
            return
        }
        #expect(labels.name == "labels")
        #expect(int.kind == .int)
        #expect(int.range == SourceRange(start: 24, end: 27))  // `int` on line 2
        #expect(intShape.sizes.count == 1)
        guard case .input(_, let float?, let floatShape?) = kinds[2] else {
            Issue.record("expected a float input with a shape")
            return
        }
        #expect(float.kind == .float)
        #expect(floatShape.sizes.count == 2)
        guard case .input(_, nil, _?) = kinds[3] else {
            Issue.record("expected an input without an element type")
            return
        }
        guard case .input(_, let scalarInt?, nil) = kinds[4] else {
            Issue.record("expected a scalar int input")
            return
        }
        #expect(scalarInt.kind == .int)
        guard case .input(_, nil, nil) = kinds[5] else {
            Issue.record("expected a scalar input")
            return
        }
    }

    /// `int` and `float` are contextual: still usable as names anywhere else.
    @Test func intAndFloatAreNotKeywords() {
        #expect(statements("dim int = 3\nfloat = int * 2\n").count == 2)
    }

    @Test func unknownElementTypeIsReportedAtTheWord() {
        let found = parseDiagnostics("input x: double[3]\n")
        #expect(found.map(\.0) == [.unknownElementType])
        #expect(found.map(\.1) == ["1:10"])
        // A name that is not followed by '[' is a missing shape, as before.
        #expect(parseDiagnostics("input x: batch\n").map(\.0) == [.expectedToken])
    }

    @Test func tensorConsts() throws {
        let kinds = statements(
            """
            dim seq = 4
            const target = -10
            const causal: [seq, seq] = tril
            const I2: [2, 2] = [[1, 0],
                                [0, -1.5]]
            const half: [3] = 0.5
            const v: [3] = [1, 2, 3]
            """)
        try #require(kinds.count == 6)
        guard case .const(_, nil, .number(let target)) = kinds[1] else {
            Issue.record("expected a scalar const")
            return
        }
        #expect(target.value == -10)
        guard case .const(let causal, let shape?, .named(let initializer)) = kinds[2] else {
            Issue.record("expected a named initializer")
            return
        }
        #expect(causal.name == "causal")
        #expect(shape.sizes.count == 2)
        #expect(initializer.name == "tril")
        guard case .const(_, _?, .list(let rows)) = kinds[3] else {
            Issue.record("expected a list initializer")
            return
        }
        let values = rows.elements.map { row -> [Double] in
            guard case .list(let inner) = row else { return [] }
            return inner.elements.map { element in
                if case .number(let literal) = element { return literal.value }
                return .nan
            }
        }
        #expect(values == [[1, 0], [0, -1.5]])
        guard case .const(_, _?, .number(let half)) = kinds[4] else {
            Issue.record("expected a number initializer with a shape")
            return
        }
        #expect(half.value == 0.5)
        guard case .const(_, _?, .list(let flat)) = kinds[5] else {
            Issue.record("expected a flat list")
            return
        }
        #expect(flat.elements.count == 3)
    }

    @Test func constListRangeCoversItsBrackets() {
        let text = "const v: [2] = [1, 2]"
        let (program, _) = Parser.parse(SourceFile(path: "t.adj", text: text))
        guard case .const(_, _, let initializer)? = program.statements.first?.kind else {
            Issue.record("expected a const")
            return
        }
        #expect(initializer.range == SourceRange(start: 15, end: 21))
    }

    @Test func constMistakes() {
        #expect(parseDiagnostics("const v: [2] = [1, x]").map(\.1) == ["1:20"])
        #expect(parseDiagnostics("const v: [2] = [1, 2").map(\.0) == [.expectedToken])
        #expect(parseDiagnostics("const v: [2] 3").map(\.0) == [.expectedToken])
        #expect(parseDiagnostics("const v = -x").map(\.0) == [.expectedToken])
    }
}

// MARK: - Indexing

@Suite struct IndexingTests {
    @Test(arguments: [
        ("x[0]", "x[0]"),
        ("x[-1]", "x[-1]"),
        ("x[1:4]", "x[1:4]"),
        ("x[:3]", "x[:3]"),
        ("x[2:]", "x[2:]"),
        ("x[::2]", "x[::2]"),
        ("x[a:b:s]", "x[a:b:s]"),
        ("x[:]", "x[:]"),
        ("x[ : , 0 : 4 ]", "x[:, 0:4]"),
        ("h[..., -1]", "h[..., -1]"),
        ("x[0][1:]", "x[0][1:]"),
        ("E[tokens]", "E[tokens]"),
        ("x[batch - 1]", "x[batch - 1]"),
        ("x[1:n - 1]", "x[1:n - 1]"),
        ("relu(x)[0]", "relu(x)[0]"),
        ("(a + b)[0]", "(a + b)[0]"),
        ("(-x)[0]", "(-x)[0]"),
        ("(x)[0]", "x[0]"),
        ("-x[0]", "-x[0]"),
        ("a ^ b[0]", "a^b[0]"),
        ("x[0] ^ 2", "x[0]^2"),
        ("(x ^ 2)[0]", "(x^2)[0]"),
        ("a @ W[0] + b[1:]", "a @ W[0] + b[1:]"),
        ("x[y[0]]", "x[y[0]]"),
        ("x[1::]", "x[1:]"),
    ])
    func indexingPrintsBack(source: String, printed: String) {
        #expect(reprint(source) == printed)
    }

    @Test func printedIndexingParsesToTheSameText() {
        for source in ["-x[0]^2 * (a + b)[..., 1:]", "sum(x[:, 0:4], axis = 1)[0]", "a ^ -b[::2][0]"] {
            let once = reprint(source)
            #expect(once != nil)
            #expect(once.flatMap(reprint) == once)
        }
    }

    /// `-x[0]` is `-(x[0])`: the index is inside the negation.
    @Test func indexBindsTighterThanUnaryMinus() throws {
        let value = try #require(expression("-x[0]"))
        guard case .negate(let inner) = value.kind, case .index(let base, let items) = inner.kind else {
            Issue.record("expected -(x[0])")
            return
        }
        guard case .name(let name) = base.kind, case .expression(let position) = items.first else {
            Issue.record("expected x indexed by an expression")
            return
        }
        #expect(name.name == "x")
        #expect(position.range == SourceRange(start: 7, end: 8))
    }

    /// `a ^ b[0]` is `a ^ (b[0])`, and `x[0] ^ 2` is `(x[0]) ^ 2`.
    @Test func indexBindsTighterThanPower() throws {
        let value = try #require(expression("a ^ b[0]"))
        guard case .power(_, let exponent) = value.kind, case .index = exponent.kind else {
            Issue.record("expected a ^ (b[0])")
            return
        }
        let other = try #require(expression("x[0] ^ 2"))
        guard case .power(let base, _) = other.kind, case .index = base.kind else {
            Issue.record("expected (x[0]) ^ 2")
            return
        }
    }

    /// `x[0][1:]` is `(x[0])[1:]`.
    @Test func indexesChainFromTheLeft() throws {
        let value = try #require(expression("x[0][1:]"))
        guard case .index(let inner, let outer) = value.kind, case .index(_, let first) = inner.kind else {
            Issue.record("expected (x[0])[1:]")
            return
        }
        guard case .slice(let start?, nil, nil, _) = outer.first, case .expression = first.first else {
            Issue.record("expected [0] then [1:]")
            return
        }
        #expect(start.range == SourceRange(start: 9, end: 10))
        #expect(value.range == SourceRange(start: 4, end: 12))
        #expect(value.height == 3)
    }

    @Test func sliceAndEllipsisRanges() throws {
        let value = try #require(expression("x[::2, ..., 1:, :]"))
        guard case .index(_, let items) = value.kind else {
            Issue.record("expected an index")
            return
        }
        #expect(items.map(\.range) == [
            SourceRange(start: 6, end: 9), SourceRange(start: 11, end: 14), SourceRange(start: 16, end: 18),
            SourceRange(start: 20, end: 21),
        ])
        guard case .slice(nil, nil, let step?, _) = items[0], case .ellipsis = items[1],
            case .slice(_?, nil, nil, _) = items[2], case .slice(nil, nil, nil, _) = items[3]
        else {
            Issue.record("expected ::2, ..., 1: and :")
            return
        }
        #expect(step.range == SourceRange(start: 8, end: 9))
    }

    @Test func heightCountsIndexes() throws {
        #expect(try #require(expression("x[0]")).height == 2)
        #expect(try #require(expression("x[y[0]]")).height == 3)
        #expect(try #require(expression("x[:]")).height == 2)
        #expect(try #require(expression("x[1:a + b]")).height == 3)
    }

    @Test func indexingMayContinueOnTheNextLine() {
        #expect(reprint("x[0,\n  1:3]") == "x[0, 1:3]")
    }

    @Test func unclosedIndexIsReportedAtTheEndOfItsLine() {
        let found = parseDiagnostics("h = x[0\nloss = sum(h)\nminimize loss\n")
        #expect(found.map(\.0) == [.expectedToken])
        #expect(found.map(\.1) == ["1:8"])
        let file = SourceFile(path: "t.adj", text: "h = x[0\nminimize h\n")
        let diagnostic = Parser.parse(file).diagnostics[0]
        #expect(diagnostic.message == "expected ']' to close the index, found end of line")
        #expect(diagnostic.notes.map { file.location(of: $0.range.start).description } == ["1:6"])
        #expect(parseDiagnostics("h = x[1:\n").map(\.1) == ["1:9"])
    }

    @Test func sliceWithTooManyColonsIsReportedAtTheThirdColon() {
        let found = parseDiagnostics("h = x[1:2:3:4]")
        #expect(found.map(\.0) == [.invalidSlice])
        #expect(found.map(\.1) == ["1:12"])
        #expect(parseDiagnostics("h = x[::::]").map(\.1) == ["1:9"])
    }

    @Test func emptyIndexIsAnError() {
        let found = parseDiagnostics("h = x[]")
        #expect(found.map(\.0) == [.expectedToken])
        #expect(found.map(\.1) == ["1:7"])
    }

    @Test func ellipsisOutsideAnIndexIsAnError() {
        #expect(parseDiagnostics("h = ... + x").map(\.0) == [.ellipsisPosition])
        #expect(parseDiagnostics("h = x + ...").map(\.1) == ["1:9"])
        #expect(parseDiagnostics("h = f(...)").map(\.1) == ["1:7"])
        #expect(parseDiagnostics("h = x[1:...]").map(\.1) == ["1:9"])
        #expect(parseDiagnostics("input x: [batch, ...]").map(\.0) == [.ellipsisPosition])
        // Inside an index it is an item of its own, not part of a larger expression.
        #expect(parseDiagnostics("h = x[... + 1]").map(\.0) == [.expectedToken])
    }

    @Test func deepIndexingIsADiagnosticNotACrash() {
        let depth = 10_000
        let chained = "x = y" + String(repeating: "[0]", count: depth)
        #expect(parseDiagnostics(chained).map(\.0) == [.nestingTooDeep])
        let nested = "x = " + String(repeating: "y[", count: depth) + "0" + String(repeating: "]", count: depth)
        #expect(parseDiagnostics(nested).map(\.0) == [.nestingTooDeep])
        let underTheLimit = "x = y" + String(repeating: "[0]", count: Parser.maxNesting - 2)
        #expect(parseDiagnostics(underTheLimit).isEmpty)
    }
}

// MARK: - List literals

@Suite struct ListLiteralTests {
    @Test(arguments: [
        ("concat([a, b], axis = 0)", "concat([a, b], axis = 0)"),
        ("stack([a, b, c])", "stack([a, b, c])"),
        ("transpose(x, axes = [0, 2, 1])", "transpose(x, axes = [0, 2, 1])"),
        ("reshape(x, [batch, -1])", "reshape(x, [batch, -1])"),
        ("reshape(x, [])", "reshape(x, [])"),
        ("sum(x, axis = [0, 1])", "sum(x, axis = [0, 1])"),
        ("f([[a, b], [c, d + 1]])", "f([[a, b], [c, d + 1]])"),
        ("concat([x[0], x[1:]])", "concat([x[0], x[1:]])"),
        ("f([\n  a,\n  b\n])", "f([a, b])"),
    ])
    func listArgumentsPrintBack(source: String, printed: String) {
        #expect(reprint(source) == printed)
    }

    @Test func listIsAnArgumentValue() throws {
        let value = try #require(expression("concat([a, b], axis = 0)"))
        guard case .call(_, let arguments) = value.kind, case .list(let elements) = arguments[0].value.kind else {
            Issue.record("expected a call with a list argument")
            return
        }
        #expect(elements.count == 2)
        #expect(arguments[0].value.range == SourceRange(start: 11, end: 17))
        #expect(arguments[0].value.height == 2)
        #expect(value.height == 3)
    }

    @Test(arguments: [
        ("h = [a, b]", "1:5"),
        ("h = x + [1, 2]", "1:9"),
        ("h = -[a]", "1:6"),
        ("minimize [a]", "1:10"),
        ("h = f(([a, b]))", "1:8"),
        ("h = f(x[[0, 1]])", "1:9"),
    ])
    func listOutsideACallArgumentIsReportedAtItsBracket(source: String, location: String) {
        let found = parseDiagnostics(source)
        #expect(found.map(\.0) == [.listLiteralPosition])
        #expect(found.map(\.1) == [location])
    }

    /// A list is the whole value of an argument: what follows it must end the argument.
    @Test func listArgumentIsNotAnOperand() {
        let found = parseDiagnostics("h = f([a, b] + [c])")
        #expect(found.map(\.0) == [.expectedToken])
        #expect(found.map(\.1) == ["1:14"])
    }

    @Test func listMessageQuotesTheRule() {
        let file = SourceFile(path: "t.adj", text: "h = [a, b]\n")
        let rendered = DiagnosticRenderer.render(Parser.parse(file).diagnostics, in: file)
        #expect(
            rendered == """
                t.adj:1:5: error: a list literal is allowed only as a call argument or a const's value [list-literal-position]
                h = [a, b]
                    ^

                """)
    }

    @Test func unclosedListIsReported() {
        let found = parseDiagnostics("h = concat([a, b, axis = 0)")
        #expect(found.map(\.0) == [.expectedToken])
    }
}
