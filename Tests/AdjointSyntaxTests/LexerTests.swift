import Testing

@testable import AdjointSyntax

@Suite struct LexerTests {
    private func kinds(_ text: String) -> [TokenKind] {
        Lexer.tokenize(SourceFile(path: "t.adj", text: text)).tokens.map(\.kind)
    }

    private func diagnostics(_ text: String) -> [DiagnosticID] {
        Lexer.tokenize(SourceFile(path: "t.adj", text: text)).diagnostics.map(\.id)
    }

    @Test(arguments: ["12", "0.5", ".5", "1e-3", "2.5E+4", "7e2"])
    func wellFormedNumbers(text: String) {
        let (tokens, diagnostics) = Lexer.tokenize(SourceFile(path: "t.adj", text: text))
        #expect(diagnostics.isEmpty)
        #expect(tokens.map(\.kind) == [.number, .end])
        #expect(tokens[0].text == text)
    }

    @Test(arguments: ["1e", "1.2.3", "3abc", "1e+", "2.5E"])
    func malformedNumbers(text: String) {
        #expect(diagnostics("x = " + text) == [.malformedNumber])
        #expect(kinds("x = " + text) == [.identifier, .equal, .invalid, .end])
    }

    @Test func hugeNumberIsOutOfRange() {
        #expect(diagnostics("x = 1e999") == [.numberOutOfRange])
    }

    @Test func keywordsAndIdentifiers() {
        #expect(kinds("param W_1 using dimension") == [.keyword(.param), .identifier, .keyword(.using), .identifier, .end])
    }

    @Test func commentsAndBlankLinesGiveOneLineBreak() {
        #expect(kinds("a = 1 # note\n\n# only a comment\n\nb = 2\n") == [
            .identifier, .equal, .number, .newline, .identifier, .equal, .number, .newline, .end,
        ])
    }

    @Test func lineContinuesInsideBracketsAndAfterOperators() {
        #expect(kinds("h = relu(x @\n W)\n") == [.identifier, .equal, .identifier, .leftParen, .identifier, .at, .identifier, .rightParen, .newline, .end])
        #expect(kinds("h = a +\n b\n").filter { $0 == .newline }.count == 1)
        #expect(kinds("h = a\n+ b\n").filter { $0 == .newline }.count == 2)
        #expect(kinds("output a,\n b\n").filter { $0 == .newline }.count == 1)
        #expect(kinds("input x: [n,\n 3]\n").filter { $0 == .newline }.count == 1)
    }

    @Test func keywordLineEndsAnUnclosedStatement() {
        let tokens = kinds("h = relu(x\nminimize h\n")
        #expect(tokens.filter { $0 == .newline }.count == 2)
    }

    @Test func unexpectedCharactersAndNonUTF8Bytes() {
        let source = SourceFile(path: "t.adj", bytes: Array("a = b $ c\n".utf8) + [0xFF, 0x0A] + Array("é = 1".utf8))
        let (_, diagnostics) = Lexer.tokenize(source)
        #expect(diagnostics.map(\.id) == [.unexpectedCharacter, .unexpectedCharacter, .unexpectedCharacter])
        #expect(diagnostics.map { $0.location(in: source) } == [
            SourceLocation(line: 1, column: 7), SourceLocation(line: 2, column: 1), SourceLocation(line: 3, column: 1),
        ])
        #expect(diagnostics[1].message.contains("0xFF"))
        #expect(diagnostics[2].message.contains("'é'"))
    }

    /// A stray character is reported and then lexed as though absent, so the name around it
    /// survives: one mistake, one diagnostic, not a cascade about a missing `apple`.
    @Test func strayCharacterInsideATokenIsSkipped() {
        let source = SourceFile(path: "t.adj", text: "app$le = 1$00 .")
        let (tokens, diagnostics) = Lexer.tokenize(source)
        #expect(tokens.map(\.kind) == [.identifier, .equal, .number, .invalid, .end])
        #expect(tokens[0].text == "apple")
        #expect(tokens[0].range == SourceRange(start: 0, end: 6))
        #expect(tokens[2].text == "100")
        #expect(diagnostics.map { $0.location(in: source).description } == ["1:4", "1:11", "1:15"])
        #expect(diagnostics.map(\.id) == [.unexpectedCharacter, .unexpectedCharacter, .unexpectedCharacter])
    }

    @Test func nonASCIIInCommentsIsFine() {
        #expect(diagnostics("# ∂loss/∂W — ünïcödé\nx = 1") == [])
    }

    @Test func columnsCountCharactersNotBytes() {
        let file = SourceFile(path: "t.adj", text: "x = 1 # é\ny = é")
        #expect(file.location(of: 15) == SourceLocation(line: 2, column: 5))
        let (_, diagnostics) = Lexer.tokenize(file)
        #expect(diagnostics.map { $0.location(in: file) } == [SourceLocation(line: 2, column: 5)])
    }
}
