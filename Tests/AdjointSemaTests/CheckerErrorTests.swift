import AdjointIR
import AdjointSema
import AdjointSyntax
import Testing

/// Every error of the front end as `(identifier, "LINE:COL")`, in source order.
func errors(_ text: String) -> [(String, String)] {
    let file = SourceFile(path: "t.adj", text: text)
    let (program, parseDiagnostics) = Parser.parse(file)
    let (_, checkDiagnostics) = Checker.check(program)
    return DiagnosticRenderer.sorted(parseDiagnostics + checkDiagnostics).map {
        ($0.id.rawValue, $0.location(in: file).description)
    }
}

/// A small valid model to which each test adds one mistake.
private let prelude = """
    dim batch
    dim hidden = 4
    input x: [batch, 3]
    input y: [batch, 2]
    param W: [3, hidden]
    param V: [hidden, 2]

    """  // 6 lines; the line under test is line 7

private let tail = "\nminimize mse(x @ W @ V, y)\n"

@Suite struct CheckerErrorTests {
    /// One mistake on line 7 of an otherwise valid model: the identifier and the column.
    @Test(arguments: [
        ("h = relu(z)", "undeclared-name", 10),
        ("h = relu(later)\nlater = x", "used-before-assignment", 10),
        ("x = relu(x @ W)", "redeclaration", 1),
        ("param W: [2]", "redeclaration", 7),
        ("relu = x", "shadows-builtin", 1),
        ("param Z: [x]", "not-a-size", 11),
        ("param Z: [2.5]", "non-integer-size", 11),
        ("param Z: [1e2]", "non-integer-size", 11),
        ("dim m = 0", "invalid-size", 9),
        ("param Z: [-3]", "invalid-size", 11),
        ("param Z: [99999999999999999999]", "size-overflow", 11),
        ("param Z: [4294967296, 4294967296]", "size-overflow", 10),
        ("param Z: [2, 2, 2, 2, 2]", "rank-too-high", 10),
        ("param Z: [batch, 2]", "runtime-dim-in-param", 11),
        ("h = x @ W + y", "shape-mismatch", 5),
        ("h = x @ V", "shape-mismatch", 5),
        ("h = mse(x, y)", "shape-mismatch", 5),
        ("h = sum(x) @ W", "invalid-rank", 5),
        ("h = sum(x, axis = 2)", "axis-out-of-range", 19),
        ("h = softmax(x, axis = -3)", "axis-out-of-range", 23),
        ("h = rleu(x)", "unknown-function", 5),
        ("h = W(x)", "unknown-function", 5),
        ("h = relu(x, y)", "argument-count", 5),
        ("h = mse(x)", "argument-count", 5),
        ("h = sum(x, axes = 1)", "unknown-argument", 12),
        ("h = sum(x, axis = 1, axis = 0)", "duplicate-argument", 22),
        ("h = mse(target = y)", "missing-argument", 5),
        ("h = sum(x, axis = 1.5)", "invalid-argument", 19),
        ("h = leaky_relu(x, slope = x)", "invalid-argument", 27),
        ("h = huber(x, x, delta = 0)", "invalid-argument", 25),
        ("h = sum(axis = 0, x)", "invalid-argument", 19),
        ("param Z: [3, 3] = xavier", "unknown-initializer", 19),
        ("param Z: [3] = glorot", "invalid-initializer", 16),
        ("param Z: [3] = he", "invalid-initializer", 16),
        ("param Z: [3] = normal(0, -1)", "invalid-initializer", 16),
        ("param Z: [3] = uniform(1, 1)", "invalid-initializer", 16),
        ("param Z: [3] = normal(0)", "argument-count", 16),
        ("output x", "invalid-output", 8),
    ] as [(String, String, Int)])
    func oneMistake(line: String, id: String, column: Int) {
        let found = errors(prelude + line + tail)
        #expect(found.map(\.0) == [id], "\(found)")
        #expect(found.first?.1 == "7:\(column)", "\(found)")
    }

    @Test(arguments: [
        ("minimize x @ W", "minimize-not-scalar", 10),
        ("minimize sum(x)", "minimize-no-param", 10),
        ("minimize mse(x @ W @ V, y) using adamm", "unknown-update-rule", 34),
        ("minimize mse(x @ W @ V, y) using adam(learning_rate = 0.1)", "unknown-hyperparameter", 39),
        ("minimize mse(x @ W @ V, y) using sgd(lr = 0.1, lr = 0.2)", "duplicate-hyperparameter", 48),
        ("minimize mse(x @ W @ V, y) using sgd(lr = -0.1)", "hyperparameter-out-of-range", 38),
        ("minimize mse(x @ W @ V, y) using momentum(momentum = 1)", "hyperparameter-out-of-range", 43),
        ("minimize mse(x @ W @ V, y) using adam(beta2 = 1.5)", "hyperparameter-out-of-range", 39),
        ("minimize mse(x @ W @ V, y) using rmsprop(eps = 0)", "hyperparameter-out-of-range", 42),
        ("minimize mse(x @ W @ V, y) using momentum(nesterov = 0.5)", "hyperparameter-out-of-range", 43),
        ("minimize mse(x @ W @ V, y) using momentum(nesterov = 1, momentum = 0)", "hyperparameter-out-of-range", 43),
        ("minimize mse(x @ W @ V, y) using adagrad(weight_decay = 0.1)", "unknown-hyperparameter", 42),
        ("minimize mse(x @ W @ V, y) using adam(clip_norm = 0)", "hyperparameter-out-of-range", 39),
    ] as [(String, String, Int)])
    func minimizeAndUpdateRuleMistakes(line: String, id: String, column: Int) {
        let found = errors(prelude + line + "\n")
        #expect(found.map(\.0) == [id], "\(found)")
        #expect(found.first?.1 == "7:\(column)", "\(found)")
    }

    @Test func missingAndDuplicateMinimize() {
        #expect(errors(prelude).map(\.0) == ["missing-minimize"])
        let twice = errors(prelude + "minimize mse(x @ W @ V, y)\nminimize mse(x @ W @ V, y)\n")
        #expect(twice.map(\.0) == ["duplicate-minimize"])
        #expect(twice.map(\.1) == ["8:10"])
        let outputTwice = errors(prelude + "h = relu(x)\noutput h, h" + tail)
        #expect(outputTwice.map(\.0) == ["duplicate-output"])
        #expect(outputTwice.map(\.1) == ["8:11"])
    }

    @Test func severalMistakesAreEachReportedOnce() {
        let text = prelude + """
            h = relu(x @ V)
            g = h + 1
            k = sum(x, axis = 5) + rleu(x)
            minimize mse(h @ V, y) using adam(lr = -1)
            """
        #expect(errors(text).map(\.0) == ["shape-mismatch", "axis-out-of-range", "unknown-function", "hyperparameter-out-of-range"])
    }

    /// An unknown call does not hide the mistakes in its arguments: each unknown name in the
    /// expression is reported once, however the unknown calls nest.
    @Test func argumentsOfUnknownCallsAreStillChecked() {
        let nested = errors(prelude + "h = log(det(W)) + norm(inverse(W) @ V)" + tail)
        #expect(nested.map(\.0) == ["unknown-function", "unknown-function", "unknown-function"])
        #expect(nested.map(\.1) == ["7:9", "7:19", "7:24"])
        let names = errors(prelude + "h = foo(bar(q), axis = 1) + W(z)" + tail)
        #expect(names.map(\.0) == ["unknown-function", "unknown-function", "undeclared-name", "unknown-function", "undeclared-name"])
        #expect(names.map(\.1) == ["7:5", "7:9", "7:13", "7:29", "7:31"])
        let misfit = errors(prelude + "h = relu(x, zz)" + tail)
        #expect(misfit.map(\.0) == ["argument-count", "undeclared-name"])
    }

    @Test func aBrokenStatementDoesNotCascade() {
        let text = prelude + "h = relu(x @ W $\nlogits = h @ V\nminimize mse(logits, y)\n"
        #expect(errors(text).map(\.0) == ["unexpected-character"])
    }

    @Test func shapeMismatchNamesBothShapesAndPointsAtDeclarations() {
        let file = SourceFile(path: "t.adj", text: prelude + "h = x @ V" + tail)
        let (program, _) = Parser.parse(file)
        let (_, diagnostics) = Checker.check(program)
        let diagnostic = diagnostics[0]
        #expect(diagnostic.message.contains("[batch, 3]"))
        #expect(diagnostic.message.contains("[4, 2]"))
        #expect(diagnostic.notes.map { file.location(of: $0.range.start).description } == ["3:7", "6:7"])
    }

    @Test func suggestionsForTypos() {
        let file = SourceFile(path: "t.adj", text: prelude + "h = relu(x @ Ww)" + tail)
        let (program, _) = Parser.parse(file)
        let (_, diagnostics) = Checker.check(program)
        #expect(diagnostics.first?.message == "'Ww' is not declared; did you mean 'W'?")
    }

    /// A long chain is checked left to right as written: every operand's own mistakes are
    /// reported, and a shape mismatch is reported once, at the prefix where it happens, with a
    /// note on the chain so far and on the operand that does not fit.
    @Test func longChainsReportMistakesWhereTheyHappen() {
        let before = String(repeating: "x @ W + ", count: 500)
        let line = "h = " + before + "y + " + String(repeating: "x @ W + ", count: 500) + "x @ W"
        let file = SourceFile(path: "t.adj", text: prelude + line + tail)
        let (program, parseDiagnostics) = Parser.parse(file)
        let (checked, diagnostics) = Checker.check(program)
        #expect(parseDiagnostics.isEmpty && checked == nil)
        #expect(diagnostics.map(\.id) == [.shapeMismatch])
        let diagnostic = diagnostics[0]
        #expect(file.location(of: diagnostic.range.start).description == "7:5")
        #expect(file.location(of: diagnostic.range.end).description == "7:\(5 + before.count + 1)")
        #expect(diagnostic.notes.map { file.location(of: $0.range.start).description } == ["7:5", "4:7"])
        #expect(diagnostic.notes.first?.message.contains("[batch, 4]") == true)

        let undeclared = "h = " + before + "z + " + before + "zz"
        #expect(errors(prelude + undeclared + tail).map(\.1) == ["7:\(5 + before.count)", "7:\(5 + 2 * before.count + 4)"])
    }
}
