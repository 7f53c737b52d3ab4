/// Recursive-descent parser for the grammar in grammar/adjoint.ebnf. It never throws at its
/// caller: a statement with a mistake is reported once, skipped to the end of its line, and kept as
/// `.invalid`, and parsing goes on with the next statement.
public struct Parser {
    /// How deeply expressions may nest (parentheses, calls, unary minus, powers; an operator chain
    /// such as `a + b + c` is one level however long). Deeper input gets a diagnostic instead of
    /// exhausting the stack of this or any later pass.
    public static let maxNesting = 256

    /// Parses a whole file. With an `errorLimit` (0: none) the lexer and the parser each keep only
    /// their first `errorLimit + 1` diagnostics (see `Lexer.tokenize`).
    public static func parse(_ file: SourceFile, errorLimit: Int = 0) -> (program: Program, diagnostics: [Diagnostic]) {
        let (tokens, lexical) = Lexer.tokenize(file, errorLimit: errorLimit)
        var parser = Parser(tokens: tokens, file: file)
        parser.maxDiagnostics = Diagnostic.maxRecorded(errorLimit: errorLimit)
        parser.strayLines = Set(
            lexical.filter { $0.id == .unexpectedCharacter }.map { file.lineIndex(containing: $0.range.start) })
        let program = parser.parseProgram()
        return (program, lexical + parser.diagnostics)
    }

    /// Unwinds out of a statement whose mistake is already reported.
    private struct Abandon: Error {}

    private let tokens: [Token]
    private var index = 0
    private var depth = 0
    private var diagnostics: [Diagnostic] = []
    private var maxDiagnostics = Int.max
    /// The name the current statement declares, once read (kept if the statement fails).
    private var declaredName: Identifier?

    private let file: SourceFile
    /// Lines (0-based) holding a stray character. The lexer reported it and lexed on as though it
    /// were absent; a statement on such a line that still does not parse (`h = x $ y` reads as
    /// `h = x y`) is abandoned without a second diagnostic for the same mistake.
    private var strayLines: Set<Int> = []
    /// The first token of the statement being parsed.
    private var statementStart = 0

    private init(tokens: [Token], file: SourceFile) {
        self.tokens = tokens
        self.file = file
    }

    /// Whether a stray character on the current statement's lines, up to the error, explains it.
    private var strayCharacterExplainsError: Bool {
        guard !strayLines.isEmpty else { return false }
        let first = file.lineIndex(containing: tokens[statementStart].range.start)
        let last = file.lineIndex(containing: max(errorRange.end, tokens[statementStart].range.start))
        return (first...last).contains { strayLines.contains($0) }
    }

    // MARK: - Tokens

    private var current: Token { tokens[index] }

    private func peek(_ ahead: Int) -> Token { tokens[min(index + ahead, tokens.count - 1)] }

    @discardableResult
    private mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private mutating func consume(_ kind: TokenKind) -> Token? {
        current.kind == kind ? advance() : nil
    }

    /// Reports `message` at the current token and abandons the statement. An `.invalid` token was
    /// already reported by the lexer, so it only abandons.
    private mutating func fail(_ message: DiagnosticMessage, notes: [Diagnostic.Note] = []) -> Abandon {
        if current.kind != .invalid && !strayCharacterExplainsError && diagnostics.count < maxDiagnostics {
            diagnostics.append(Diagnostic(message, at: errorRange, notes: notes))
        }
        return Abandon()
    }

    /// Where a "expected X" diagnostic points: the current token, or, when the current token
    /// starts a later line (the statement ran on through a dropped line break), just after the
    /// last token of the statement's line, where the missing text belongs.
    private var errorRange: SourceRange {
        guard current.startsLine, index > statementStart else { return current.range }
        let end = tokens[index - 1].range.end
        return SourceRange(start: end, end: end)
    }

    private mutating func expect(_ kind: TokenKind, _ context: String, notes: [Diagnostic.Note] = []) throws -> Token {
        if let token = consume(kind) { return token }
        throw fail(.expectedToken(kind.spelling, context, found: found), notes: notes)
    }

    private mutating func expectIdentifier(_ what: String) throws -> Identifier {
        guard current.kind == .identifier else { throw fail(.expectedIdentifier(what, found: found)) }
        let token = advance()
        return Identifier(token.text, range: token.range)
    }

    /// How a message names the current token: `')'`, `'W1'`, `end of line`.
    private var found: String {
        if current.startsLine && index > 0 && current.kind != .end { return TokenKind.newline.spelling }
        switch current.kind {
        case .identifier, .number: return "'\(current.text)'"
        default: return current.kind.spelling
        }
    }

    // MARK: - Statements

    private mutating func parseProgram() -> Program {
        var statements: [Statement] = []
        while current.kind != .end {
            if consume(.newline) != nil { continue }
            let start = current.range.start
            let startIndex = index
            statementStart = index
            declaredName = nil
            do {
                let kind = try parseStatement()
                let end = tokens[max(index - 1, 0)].range.end
                try expectEndOfStatement()
                statements.append(Statement(kind, range: SourceRange(start: start, end: end)))
            } catch {
                let end = current.range.end
                synchronize(statementStart: startIndex)
                statements.append(Statement(.invalid(name: declaredName), range: SourceRange(start: start, end: end)))
            }
        }
        return Program(statements: statements)
    }

    /// A statement ends at a line break, the end of the file, or, after an unclosed bracket earlier
    /// in the file made the lexer drop line breaks, where the next line begins.
    private mutating func expectEndOfStatement() throws {
        if current.kind == .end || consume(.newline) != nil || current.startsLine { return }
        throw fail(.extraTokens(found: found))
    }

    /// Skips to the start of the next statement: the next line break, or a line that begins like
    /// a statement (`NAME =` or a keyword) inside an unclosed bracket of the broken statement.
    private mutating func synchronize(statementStart: Int) {
        depth = 0
        while current.kind != .end {
            if index != statementStart && current.startsLine && looksLikeStatementStart { return }
            if advance().kind == .newline { return }
        }
    }

    private var looksLikeStatementStart: Bool {
        switch current.kind {
        case .keyword(let keyword): return keyword != .using
        case .identifier: return peek(1).kind == .equal
        default: return false
        }
    }

    private mutating func parseStatement() throws -> Statement.Kind {
        switch current.kind {
        case .keyword(.dim):
            advance()
            let name = try declare("a dim name")
            let size = consume(.equal) != nil ? try parseSignedNumber("as the dim's size") : nil
            return .dim(name: name, size: size)
        case .keyword(.input):
            advance()
            let name = try declare("an input name")
            guard consume(.colon) != nil else { return .input(name: name, elementType: nil, shape: nil) }
            let elementType = try parseElementType()
            // `input n: int` is a scalar; without an element type the shape is required.
            let shape = elementType == nil || current.kind == .leftBracket ? try parseShape() : nil
            return .input(name: name, elementType: elementType, shape: shape)
        case .keyword(.param):
            advance()
            let name = try declare("a param name")
            var shape: ShapeSyntax?
            if consume(.colon) != nil {
                // `param W: float[3]` is `param W: [3]`; `int` is reported and read as float.
                if current.kind == .identifier, let kind = ElementTypeSyntax.Kind(rawValue: current.text) {
                    let word = advance()
                    if kind == .int && diagnostics.count < maxDiagnostics { diagnostics.append(Diagnostic(.intParam(name.name), at: word.range)) }
                    shape = current.kind == .leftBracket ? try parseShape() : nil
                } else {
                    shape = try parseShape()
                }
            }
            let initializer = consume(.equal) != nil ? try parseInitializer() : nil
            return .param(name: name, shape: shape, initializer: initializer)
        case .keyword(.const):
            advance()
            let name = try declare("a const name")
            let shape = consume(.colon) != nil ? try parseShape() : nil
            _ = try expect(.equal, shape == nil ? "after the const's name" : "after the const's shape")
            return .const(name: name, shape: shape, value: try parseConstInitializer())
        case .keyword(.output):
            advance()
            var names = [try expectIdentifier("an output name")]
            while consume(.comma) != nil { names.append(try expectIdentifier("an output name")) }
            return .output(names: names)
        case .keyword(.minimize):
            advance()
            let objective = try parseExpression()
            let rule = consume(.keyword(.using)) != nil ? try parseUpdateRule() : nil
            return .minimize(objective: objective, rule: rule)
        case .identifier where peek(1).kind == .equal:
            let name = try declare("a name")
            advance()
            return .assign(name: name, value: try parseExpression())
        case .identifier where peek(1).kind == .identifier
            && closestName(to: current.text, among: Keyword.statementKeywords) != nil:
            // `im hidden = 32`: a misspelled keyword. The second name is what the statement
            // declares, so later uses of it are not reported as undeclared.
            let keyword = closestName(to: current.text, among: Keyword.statementKeywords)
            declaredName = Identifier(peek(1).text, range: peek(1).range)
            throw fail(.expectedStatement(found: "'\(current.text)'", suggestion: keyword))
        case .identifier:
            let name = current.text
            declaredName = Identifier(name, range: current.range)
            advance()
            throw fail(.expectedToken("'='", "after '\(name)' to assign it", found: found))
        default:
            throw fail(.expectedStatement(found: found))
        }
    }

    private mutating func declare(_ what: String) throws -> Identifier {
        let name = try expectIdentifier(what)
        declaredName = name
        return name
    }

    /// `int` or `float` before an input's shape, or nil when the shape comes first. The words are
    /// not keywords: only here, after `input NAME:`, do they name an element type. Another name
    /// followed by `[` (`double[3]`) is an unknown element type.
    private mutating func parseElementType() throws -> ElementTypeSyntax? {
        guard current.kind == .identifier else { return nil }
        if let kind = ElementTypeSyntax.Kind(rawValue: current.text) {
            return ElementTypeSyntax(kind, range: advance().range)
        }
        guard peek(1).kind == .leftBracket else { return nil }  // parseShape reports the missing '['
        throw fail(.unknownElementType(current.text))
    }

    /// `[d, d, ...]`
    private mutating func parseShape() throws -> ShapeSyntax {
        let open = try expect(.leftBracket, "to start a shape")
        var sizes: [ShapeSyntax.Size] = []
        if current.kind != .rightBracket {
            repeat {
                if current.kind == .identifier {
                    let token = advance()
                    sizes.append(.name(Identifier(token.text, range: token.range)))
                } else if current.kind == .number || current.kind == .minus {
                    sizes.append(.literal(try parseSignedNumber("as a size")))
                } else if current.kind == .ellipsis {
                    throw fail(.ellipsisPosition)
                } else {
                    throw fail(.expectedToken("a size (an integer or a dim name)", "in the shape", found: found))
                }
            } while consume(.comma) != nil
        }
        let close = try expect(
            .rightBracket, "to close the shape", notes: [Diagnostic.Note("'[' opened here", at: open.range)])
        return ShapeSyntax(sizes: sizes, range: open.range.union(close.range))
    }

    /// `-2`, `he`, `normal(0, 0.01)`
    private mutating func parseInitializer() throws -> InitializerSyntax {
        if current.kind == .number || current.kind == .minus {
            return .number(try parseSignedNumber("as the initial value"))
        }
        let name = try expectIdentifier("an initializer (a number, zeros, ones, glorot, he, normal or uniform)")
        guard let open = consume(.leftParen) else { return .named(name, arguments: nil, range: name.range) }
        let arguments = try parseLabeledNumbers(open: open, labelsRequired: false, context: "initializer")
        return .named(name, arguments: arguments, range: name.range.union(tokens[index - 1].range))
    }

    /// `-10`, `[[1, 0], [0, 1]]`, `eye`
    private mutating func parseConstInitializer() throws -> ConstInitializerSyntax {
        switch current.kind {
        case .leftBracket: return .list(try parseNumberList())
        case .identifier: return .named(try expectIdentifier("an initializer"))
        default: return .number(try parseSignedNumber("as the const's value"))
        }
    }

    /// `[1, -2.5]`, `[[1, 0], [0, 1]]`: signed numbers and lists of them. May span lines, since
    /// the lexer drops line breaks inside brackets.
    private mutating func parseNumberList() throws -> NumberListSyntax {
        let open = try expect(.leftBracket, "to start a list")
        try enter()
        defer { depth -= 1 }
        var elements: [NumberListSyntax.Element] = []
        if current.kind != .rightBracket {
            repeat {
                if current.kind == .leftBracket {
                    elements.append(.list(try parseNumberList()))
                } else {
                    elements.append(.number(try parseSignedNumber("in the list")))
                }
            } while consume(.comma) != nil
        }
        let close = try expect(
            .rightBracket, "to close the list", notes: [Diagnostic.Note("'[' opened here", at: open.range)])
        return NumberListSyntax(elements: elements, range: open.range.union(close.range))
    }

    /// `adam`, `adam()`, `adam(lr = 0.001, beta1 = 0.9)`
    private mutating func parseUpdateRule() throws -> UpdateRuleSyntax {
        let name = try expectIdentifier("an update rule name after 'using'")
        guard let open = consume(.leftParen) else { return UpdateRuleSyntax(name: name, arguments: [], range: name.range) }
        let arguments = try parseLabeledNumbers(open: open, labelsRequired: true, context: "update rule")
        return UpdateRuleSyntax(name: name, arguments: arguments, range: name.range.union(tokens[index - 1].range))
    }

    /// The argument list after `(`, through `)`: numbers, each optionally `label = `.
    private mutating func parseLabeledNumbers(open: Token, labelsRequired: Bool, context: String) throws
        -> [LabeledNumber]
    {
        var arguments: [LabeledNumber] = []
        if current.kind != .rightParen {
            repeat {
                var label: Identifier?
                if current.kind == .identifier, peek(1).kind == .equal || labelsRequired {
                    label = try expectIdentifier("a hyper-parameter name")
                    _ = try expect(.equal, "after '\(label!.name)'")
                } else if labelsRequired {
                    throw fail(.expectedIdentifier("a hyper-parameter name (as in 'lr = 0.01')", found: found))
                }
                arguments.append(LabeledNumber(label: label, value: try parseSignedNumberOrFlag("as a value")))
            } while consume(.comma) != nil
        }
        _ = try expect(
            .rightParen, "to close the \(context)'s arguments", notes: [Diagnostic.Note("'(' opened here", at: open.range)])
        return arguments
    }

    /// A signed number, or `true` or `false` (1 and 0, version 2: `nesterov = true`).
    private mutating func parseSignedNumberOrFlag(_ context: String) throws -> NumberLiteral {
        guard current.kind == .identifier, current.text == "true" || current.text == "false" else {
            return try parseSignedNumber(context)
        }
        let token = advance()
        return NumberLiteral(value: token.text == "true" ? 1 : 0, text: token.text, isInteger: true, range: token.range)
    }

    /// `[-] NUMBER`, with the sign folded into the literal.
    private mutating func parseSignedNumber(_ context: String) throws -> NumberLiteral {
        let minus = consume(.minus)
        guard current.kind == .number else { throw fail(.expectedToken("a number", context, found: found)) }
        let token = advance()
        let isInteger = token.text.allSatisfy(\.isNumber)
        let magnitude = Double(token.text) ?? .nan  // the lexer only makes .number from valid text
        guard let minus else {
            return NumberLiteral(value: magnitude, text: token.text, isInteger: isInteger, range: token.range)
        }
        return NumberLiteral(
            value: -magnitude, text: "-" + token.text, isInteger: isInteger, range: minus.range.union(token.range))
    }

    // MARK: - Expressions

    /// expression = sum [ ("<" | "<=" | ">" | ">=" | "==" | "!=") sum ]   (version 2; a comparison
    /// does not chain: a second one is `chained-comparison`, at its operator)
    private mutating func parseExpression() throws -> Expr {
        let left = try parseSum()
        guard let op = binaryOperator(in: BinaryOperator.comparisons) else { return left }
        advance()
        let right = try parseSum()
        if let second = binaryOperator(in: BinaryOperator.comparisons) {
            throw fail(.chainedComparison(second.rawValue))
        }
        return try checked(Expr(.chain(left, [ChainLink(op, right)]), range: left.range.union(right.range)))
    }

    /// sum = term { ("+" | "-") term }
    private mutating func parseSum() throws -> Expr {
        try parseChain(of: [.add, .subtract]) { try $0.parseTerm() }
    }

    /// term = unary { ("*" | "/" | "@") unary }
    private mutating func parseTerm() throws -> Expr {
        try parseChain(of: [.multiply, .divide, .matmul]) { try $0.parseUnary() }
    }

    /// One operand, or a flat chain of operands joined by `operators`. A loop, not a recursion,
    /// reads the chain, and it counts as one level of nesting however long it is: a sum of many
    /// terms is flat to the person who wrote it.
    private mutating func parseChain(
        of operators: [BinaryOperator], operand: (inout Parser) throws -> Expr
    ) throws -> Expr {
        let first = try operand(&self)
        var links: [ChainLink] = []
        while let op = binaryOperator(in: operators) {
            advance()
            links.append(ChainLink(op, try operand(&self)))
        }
        guard let last = links.last else { return first }
        return try checked(Expr(.chain(first, links), range: first.range.union(last.operand.range)))
    }

    /// unary = "-" unary | power
    private mutating func parseUnary() throws -> Expr {
        guard let minus = consume(.minus) else { return try parsePower() }
        try enter()
        defer { depth -= 1 }
        let operand = try parseUnary()
        return try checked(Expr(.negate(operand), range: minus.range.union(operand.range)))
    }

    /// power = postfix [ "^" unary ]   (right-associative: the exponent is itself a unary)
    private mutating func parsePower() throws -> Expr {
        let base = try parsePostfix()
        guard consume(.caret) != nil else { return base }
        try enter()
        defer { depth -= 1 }
        let exponent = try parseUnary()
        return try checked(Expr(.power(base, exponent), range: base.range.union(exponent.range)))
    }

    /// postfix = primary { "[" index item { "," index item } "]" }
    ///
    /// Indexing binds tighter than `^` and unary minus (`-x[0]` is `-(x[0])`) and chains
    /// (`x[0][1:]`). Each index is one level of nesting.
    private mutating func parsePostfix() throws -> Expr {
        var expr = try parsePrimary()
        while let open = consume(.leftBracket) {
            try enter()
            defer { depth -= 1 }
            let items = try parseIndexItems(open: open)
            expr = try checked(Expr(.index(expr, items), range: expr.range.union(tokens[index - 1].range)))
        }
        return expr
    }

    /// The items after `[`, through `]`: at least one.
    private mutating func parseIndexItems(open: Token) throws -> [IndexItem] {
        let note = Diagnostic.Note("'[' opened here", at: open.range)
        if current.kind == .rightBracket {
            throw fail(
                .expectedToken("an index (a position, a slice such as 1:4, or '...')", "inside '[ ]'", found: found))
        }
        var items: [IndexItem] = []
        repeat { items.append(try parseIndexItem()) } while consume(.comma) != nil
        _ = try expect(.rightBracket, "to close the index", notes: [note])
        return items
    }

    /// index item = "..." | [ expression ] ":" [ expression ] [ ":" [ expression ] ] | expression
    private mutating func parseIndexItem() throws -> IndexItem {
        if let ellipsis = consume(.ellipsis) { return .ellipsis(range: ellipsis.range) }
        var start: Expr?
        if current.kind != .colon {
            let expr = try parseExpression()
            guard current.kind == .colon else { return .expression(expr) }
            start = expr
        }
        let firstColon = advance()
        let stop = endsSliceBound ? nil : try parseExpression()
        var last = stop?.range ?? firstColon.range
        var step: Expr?
        if let secondColon = consume(.colon) {
            step = endsSliceBound ? nil : try parseExpression()
            last = step?.range ?? secondColon.range
        }
        if current.kind == .colon { throw fail(.sliceTooManyColons) }
        return .slice(start: start, stop: stop, step: step, range: (start?.range ?? firstColon.range).union(last))
    }

    /// Whether the current token ends a slice's bound rather than starting one (`:3`, `2:`, `::2`).
    /// A token on a later line does too, so that `x[1:` at the end of a line reports the missing `]`.
    private var endsSliceBound: Bool {
        switch current.kind {
        case .colon, .comma, .rightBracket, .newline, .end: return true
        default: return current.startsLine
        }
    }

    /// `[a, b]`, `[[a, b], [c, d]]`: a list literal, read only where one is allowed (a call
    /// argument's value). Its elements are expressions or lists.
    private mutating func parseList() throws -> Expr {
        let open = try expect(.leftBracket, "to start a list")
        try enter()
        defer { depth -= 1 }
        var elements: [Expr] = []
        if current.kind != .rightBracket {
            repeat {
                elements.append(current.kind == .leftBracket ? try parseList() : try parseExpression())
            } while consume(.comma) != nil
        }
        let close = try expect(
            .rightBracket, "to close the list", notes: [Diagnostic.Note("'[' opened here", at: open.range)])
        return try checked(Expr(.list(elements), range: open.range.union(close.range)))
    }

    /// primary = NUMBER | NAME | NAME "(" arguments ")" | "(" expression ")"
    private mutating func parsePrimary() throws -> Expr {
        switch current.kind {
        case .number:
            let literal = try parseSignedNumber("")
            return Expr(.number(literal), range: literal.range)
        case .identifier:
            let token = advance()
            let name = Identifier(token.text, range: token.range)
            guard let open = consume(.leftParen) else { return Expr(.name(name), range: name.range) }
            try enter()
            defer { depth -= 1 }
            let arguments = try parseArguments(of: name, open: open)
            let call = Expr(.call(callee: name, arguments: arguments), range: name.range.union(tokens[index - 1].range))
            return try checked(call)
        case .leftParen:
            let open = advance()
            try enter()
            defer { depth -= 1 }
            var inner = try parseExpression()
            let close = try expect(
                .rightParen, "to close the parenthesis", notes: [Diagnostic.Note("'(' opened here", at: open.range)])
            inner.range = open.range.union(close.range)
            return inner
        case .leftBracket:
            // A list literal is read by the places that allow one (call arguments).
            throw fail(.listLiteralPosition)
        case .ellipsis:
            throw fail(.ellipsisPosition)
        default:
            throw fail(.expectedExpression(found: found))
        }
    }

    private mutating func parseArguments(of callee: Identifier, open: Token) throws -> [Argument] {
        var arguments: [Argument] = []
        if current.kind != .rightParen {
            repeat {
                var label: Identifier?
                if current.kind == .identifier, peek(1).kind == .equal {
                    label = try expectIdentifier("an argument name")
                    advance()
                }
                let value = current.kind == .leftBracket ? try parseList() : try parseExpression()
                arguments.append(Argument(label: label, value: value))
            } while consume(.comma) != nil
        }
        _ = try expect(
            .rightParen, "to close the arguments of '\(callee.name)'",
            notes: [Diagnostic.Note("'(' opened here", at: open.range)])
        return arguments
    }

    private func binaryOperator(in candidates: [BinaryOperator]) -> BinaryOperator? {
        let op: BinaryOperator
        switch current.kind {
        case .plus: op = .add
        case .minus: op = .subtract
        case .star: op = .multiply
        case .slash: op = .divide
        case .at: op = .matmul
        case .caret: op = .power
        case .less: op = .less
        case .lessEqual: op = .lessEqual
        case .greater: op = .greater
        case .greaterEqual: op = .greaterEqual
        case .equalEqual: op = .equal
        case .notEqual: op = .notEqual
        default: return nil
        }
        return candidates.contains(op) ? op : nil
    }

    /// Caps the height of expression trees, which can grow faster than the recursion `enter`
    /// counts: each parenthesis of `((x * a + b) * a + b) ...` adds a product and a sum.
    private mutating func checked(_ expr: Expr) throws -> Expr {
        guard expr.height <= Self.maxNesting else {
            diagnostics.append(Diagnostic(.nestingTooDeep(limit: Self.maxNesting), at: expr.range))
            throw Abandon()
        }
        return expr
    }

    /// Counts one level of recursion; too deep a nesting is reported where it goes too deep.
    private mutating func enter() throws {
        depth += 1
        if depth > Self.maxNesting {
            throw fail(.nestingTooDeep(limit: Self.maxNesting))
        }
    }
}
