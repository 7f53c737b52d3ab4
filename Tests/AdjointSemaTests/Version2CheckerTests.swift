import AdjointIR
import AdjointSema
import AdjointSyntax
import Testing

private func checkedV2(_ text: String) throws -> CheckedProgram {
    let (program, parseDiagnostics) = Parser.parse(SourceFile(path: "t.adj", text: text))
    let (result, diagnostics) = Checker.check(program)
    #expect(parseDiagnostics.isEmpty && diagnostics.isEmpty, "\(parseDiagnostics + diagnostics)")
    return try #require(result)
}

/// A model with ints, a fixed and a runtime dim, to which each test adds lines.
private let header = """
    dim batch
    dim seq = 6
    dim vocab = 10
    input x: [batch, 4]
    input tokens: int[batch, seq]
    input labels: int[batch]
    param E: [vocab, 4]
    param W: [4, 3]

    """  // 8 lines; the line under test is line 9

private let footer = "\nminimize sum(x @ W) + sum(E)\n"

/// The value `name`'s checked expression.
private func value(_ program: CheckedProgram, _ name: String) throws -> TypedExpr {
    try #require(program.values.first { $0.name == name }).expr
}

/// The op at the top of a checked expression.
private func topOp(_ expr: TypedExpr) -> Op? {
    if case .apply(let op, _) = expr.kind { return op }
    return nil
}

@Suite struct ElementTypeTests {
    @Test func intInputsStayIntThroughMovesAndBecomeFloatInArithmetic() throws {
        let program = try checkedV2(
            header + """
                a = tokens[:, 1:]
                b = reshape(tokens, [batch, 2, 3])
                c = concat([tokens, tokens], axis = 1)
                d = stack([labels, labels], axis = 1)
                e = transpose(tokens)
                f = labels * 2
                g = sum(tokens)
                h = flatten(expand_dims(tokens, axis = 2))
                k = E[labels]
                """ + footer)
        #expect(program.inputs.map(\.element) == [.real, .int, .int])
        let elements = try ["a", "b", "c", "d", "e", "f", "g", "h"].map { try value(program, $0).element }
        #expect(elements == [.int, .int, .int, .int, .int, .real, .real, .int])
        #expect(try value(program, "k").element == .real)
    }

    @Test func intParamIsReportedAtTheWordAndFloatParamIsAccepted() throws {
        let found = errors("param W: int[3]\nparam V: float[3]\nminimize sum(W * V)\n")
        #expect(found.map(\.0) == ["int-param"])
        #expect(found.map(\.1) == ["1:10"])
        let program = try checkedV2("param V: float[3]\nparam s: float = 2\nminimize sum(V) * s\n")
        #expect(program.params.map(\.shape.description) == ["[3]", "[]"])
    }

    @Test func anIntIdsOperandCarriesNoGradient() throws {
        // The gradient reaches E through the gathered rows, not through the ids.
        let program = try checkedV2(header + "h = mean(E[tokens], axis = 1) @ W\nminimize sum(h)\n")
        #expect(try value(program, "h").shape.description == "[batch, 3]")
        #expect(errors(header + "h = tokens[0]\nminimize sum(h)\n").map(\.0) == ["minimize-no-param"])
    }
}

@Suite struct IndexingCheckTests {
    private func slices(_ line: String) throws -> (Shape, [AxisSlice]?) {
        let program = try checkedV2(header + "h = " + line + footer)
        let expr = try value(program, "h")
        guard case .indexing(.slice(let slices))? = topOp(expr) else { return (expr.shape, nil) }
        return (expr.shape, slices)
    }

    @Test func basicIndexingLowersToOneSlice() throws {
        let fixed = AxisSlice.all(.fixed(4))
        let batch = AxisSlice.all(.runtime("batch"))
        #expect(try slices("x[0]") == ([.fixed(4)], [.index(0), fixed]))
        #expect(try slices("x[-1]") == ([.fixed(4)], [.index(-1, fromEnd: true), fixed]))
        #expect(try slices("x[:, 1:3]") == ([.runtime("batch"), .fixed(2)], [batch, AxisSlice(start: 1, count: .fixed(2))]))
        #expect(try slices("x[:, -3:]") == ([.runtime("batch"), .fixed(3)], [batch, AxisSlice(start: 1, count: .fixed(3))]))
        #expect(try slices("x[:, ::2]") == ([.runtime("batch"), .fixed(2)], [batch, AxisSlice(start: 0, step: 2, count: .fixed(2))]))
        #expect(try slices("x[:, 1::2]") == ([.runtime("batch"), .fixed(2)], [batch, AxisSlice(start: 1, step: 2, count: .fixed(2))]))
        #expect(try slices("x[..., -1]") == ([.runtime("batch")], [batch, .index(3)]))
        #expect(try slices("x[-1, ...]") == ([.fixed(4)], [.index(-1, fromEnd: true), fixed]))
        #expect(try slices("E[seq]") == ([.fixed(4)], [.index(6), fixed]))
        #expect(try slices("E[-vocab]") == ([.fixed(4)], [.index(0), fixed]))
        #expect(try slices("x[0:batch, :-1]") == ([.runtime("batch"), .fixed(3)], [batch, AxisSlice(start: 0, count: .fixed(3))]))
        // Selecting everything is the operand itself.
        #expect(try slices("x[:, :]") == ([.runtime("batch"), .fixed(4)], nil))
        #expect(try slices("x[...]") == ([.runtime("batch"), .fixed(4)], nil))
    }

    @Test func indexesChainAndApplyToInts() throws {
        let program = try checkedV2(header + "h = tokens[0][1:]\ng = E[tokens][-1, 0, 2]" + footer)
        let h = try value(program, "h")
        #expect(h.shape.description == "[5]" && h.element == .int)
        guard case .apply(.indexing(.slice(let outer)), let operands) = h.kind else { Issue.record("\(h.kind)"); return }
        #expect(outer == [AxisSlice(start: 1, count: .fixed(5))])
        #expect(topOp(operands[0]) == .indexing(.slice([.index(0), .all(.fixed(6))])))
        #expect(try value(program, "g").shape.isScalar)
    }

    @Test func gatherIsTakeOnAxisZero() throws {
        let program = try checkedV2(header + "h = E[tokens]\ng = E[labels]\nk = x[labels[0]]" + footer)
        #expect(try value(program, "h").shape.description == "[batch, 6, 4]")
        #expect(try topOp(value(program, "h")) == .indexing(.take(axis: 0)))
        #expect(try value(program, "g").shape.description == "[batch, 4]")
        #expect(try value(program, "k").shape.description == "[4]")
    }

    @Test(arguments: [
        ("h = x[0, 4]", "index-out-of-range", 10),
        ("h = x[0, -5]", "index-out-of-range", 10),
        ("h = x[0, 0:5]", "index-out-of-range", 12),
        ("h = x[batch]", "index-out-of-range", 7),
        ("h = x[:, 3:1]", "empty-slice", 10),
        ("h = x[:, -1:-1]", "empty-slice", 10),
        ("h = x[1]", "runtime-size-index", 7),
        ("h = x[-2]", "runtime-size-index", 7),
        ("h = x[1:, 0]", "runtime-size-index", 7),
        ("h = x[::2]", "runtime-size-index", 7),
        ("h = x[0, batch]", "invalid-index", 10),
        ("h = x[0, 0, 0]", "too-many-indices", 13),
        ("h = labels[0][0]", "too-many-indices", 15),
        ("h = x[..., 0, ...]", "invalid-index", 15),
        ("h = x[0.5]", "invalid-index", 7),
        ("h = x[:, ::0]", "invalid-index", 12),
        ("h = x[:, W:]", "invalid-index", 10),
        ("h = E[x]", "float-index", 7),
        ("h = E[seq - 1]", "float-index", 7),
        ("h = E[tokens, 0]", "mixed-gather", 7),
        ("h = E[0, labels]", "mixed-gather", 10),
    ] as [(String, String, Int)])
    func indexingMistakes(line: String, id: String, column: Int) {
        let found = errors(header + line + footer)
        #expect(found.map(\.0) == [id], "\(found)")
        #expect(found.first?.1 == "9:\(column)", "\(found)")
    }
}

@Suite struct ShapeFunctionTests {
    private func shape(_ line: String) throws -> String {
        try value(checkedV2(header + "h = " + line + footer), "h").shape.description
    }

    @Test func shapes() throws {
        #expect(try shape("take(E, tokens)") == "[batch, 6, 4]")
        #expect(try shape("take(W, labels, axis = 1)") == "[4, batch]")
        #expect(try shape("take(W, labels, axis = -1)") == "[4, batch]")
        #expect(try shape("pick(x, labels)") == "[batch]")
        #expect(try shape("pick(E[tokens], tokens[:, 0:4], axis = 1)") == "[batch, 4]")
        #expect(try shape("one_hot(labels, vocab)") == "[batch, 10]")
        #expect(try shape("one_hot(tokens, 3)") == "[batch, 6, 3]")
        #expect(try shape("one_hot(labels, batch)") == "[batch, batch]")
        #expect(try shape("reshape(E[tokens], [batch, -1])") == "[batch, 24]")
        #expect(try shape("reshape(E[tokens], [-1, 6, 4])") == "[batch, 6, 4]")
        #expect(try shape("reshape(E[tokens], [batch, 2, 12])") == "[batch, 2, 12]")
        #expect(try shape("reshape(E, [40])") == "[40]")
        #expect(try shape("flatten(E[tokens])") == "[batch, 24]")
        #expect(try shape("flatten(labels)") == "[batch, 1]")
        #expect(try shape("expand_dims(x, axis = 1)") == "[batch, 1, 4]")
        #expect(try shape("expand_dims(x, axis = -1)") == "[batch, 4, 1]")
        #expect(try shape("squeeze(expand_dims(x, axis = 0), axis = 0)") == "[batch, 4]")
        #expect(try shape("squeeze(reshape(W, [1, 4, 1, 3]))") == "[4, 3]")
        #expect(try shape("concat([W, W], axis = 0)") == "[8, 3]")
        #expect(try shape("concat([x, x @ W], axis = -1)") == "[batch, 7]")
        #expect(try shape("concat([x])") == "[batch, 4]")
        #expect(try shape("stack([x, x], axis = 1)") == "[batch, 2, 4]")
        #expect(try shape("stack([x, x, x], axis = -1)") == "[batch, 4, 3]")
        #expect(try shape("stack([W[0, 0], W[1, 1]])") == "[2]")
    }

    @Test func opsThatComeOut() throws {
        let program = try checkedV2(
            header + "a = reshape(E, [40])\nb = stack([x, x], axis = 1)\nc = one_hot(labels, vocab)\nd = pick(x, labels)" + footer)
        #expect(try topOp(value(program, "a")) == .structural(.reshape([.fixed(40)])))
        let b = try value(program, "b")
        #expect(topOp(b) == .indexing(.concat(axis: 1, count: 2)))
        if case .apply(_, let operands) = b.kind {
            #expect(operands.map { topOp($0) } == Array(repeating: .structural(.reshape([.runtime("batch"), .fixed(1), .fixed(4)])), count: 2))
        }
        #expect(try topOp(value(program, "c")) == .indexing(.oneHot(.fixed(10), axis: 1)))
        #expect(try topOp(value(program, "d")) == .indexing(.pick(axis: 1)))
    }

    @Test(arguments: [
        ("h = reshape(x, [4])", "reshape-count", 16),
        ("h = reshape(x, [batch, 3])", "reshape-count", 16),
        ("h = reshape(x, [batch, -1, 3])", "reshape-count", 16),
        ("h = reshape(E, [-1, -1])", "invalid-argument", 21),
        ("h = reshape(E, [0, 40])", "invalid-argument", 17),
        ("h = reshape(E, 40)", "invalid-argument", 16),
        ("h = reshape(E, [1, 1, 1, 1, 40])", "rank-too-high", 16),
        ("h = take(E, x)", "float-index", 13),
        ("h = take(E, labels, axis = 2)", "axis-out-of-range", 28),
        ("h = pick(x, tokens)", "shape-mismatch", 5),
        ("h = one_hot(labels, 0)", "invalid-argument", 21),
        ("h = one_hot(labels, 2.5)", "invalid-argument", 21),
        ("h = one_hot(x, 3)", "float-index", 13),
        ("h = concat([W, E], axis = 1)", "shape-mismatch", 16),
        ("h = concat([W, x], axis = 0)", "shape-mismatch", 16),
        ("h = concat([x, x], axis = 0)", "invalid-argument", 13),
        ("h = concat(W, axis = 0)", "invalid-argument", 12),
        ("h = concat([], axis = 0)", "invalid-argument", 12),
        ("h = concat([sum(W)])", "invalid-rank", 13),
        ("h = concat([W, W], axis = 2)", "axis-out-of-range", 27),
        ("h = stack([W, E])", "shape-mismatch", 15),
        ("h = stack([W, W], axis = 3)", "axis-out-of-range", 26),
        ("h = squeeze(W, axis = 0)", "invalid-rank", 23),
        ("h = squeeze(W, axis = 2)", "axis-out-of-range", 23),
        ("h = expand_dims(W, axis = 3)", "axis-out-of-range", 27),
        ("h = expand_dims(W)", "argument-count", 5),
        ("h = flatten(sum(W))", "invalid-rank", 13),
        ("h = relu([x])", "invalid-argument", 10),
        ("h = take(E, labels, axis = 0, extra = 1)", "unknown-argument", 31),
    ] as [(String, String, Int)])
    func shapeFunctionMistakes(line: String, id: String, column: Int) {
        let found = errors(header + line + footer)
        #expect(found.map(\.0) == [id], "\(found)")
        #expect(found.first?.1 == "9:\(column)", "\(found)")
    }

    @Test func reshapeMessageNamesBothCounts() {
        let (program, _) = Parser.parse(SourceFile(path: "t.adj", text: "dim batch\ninput i: [batch, 28, 28]\nparam w = 1\nh = reshape(i, [784])\nminimize sum(h) * w\n"))
        let diagnostic = Checker.check(program).diagnostics.first
        #expect(diagnostic?.message == "cannot reshape [batch, 28, 28] (batch * 784 elements) to [784] (784 elements)")
    }
}

@Suite struct ConstantAndDimValueTests {
    @Test func tensorConstants() throws {
        let program = try checkedV2(
            header + """
                const causal: [seq, seq] = tril
                const upper: [2, 3, 3] = triu
                const I: [4, 4] = eye
                const half: [4] = 0.5
                const z: [2] = zeros
                const o: [2, 2] = ones
                const M: [2, 2] = [[1, -2], [3.5, 4]]
                const v = [1, 2, 3]
                const s: [] = 3
                h = x @ I * half
                m = causal * (E[tokens][0] @ transpose(E[tokens][0]))
                """ + footer)
        let tensors = program.constants.compactMap { constant in constant.tensor.map { (constant.name, $0.shape.description, $0.pattern) } }
        #expect(tensors.map(\.0) == ["causal", "upper", "I", "half", "z", "o", "M", "v"])
        #expect(tensors.map(\.1) == ["[6, 6]", "[2, 3, 3]", "[4, 4]", "[4]", "[2]", "[2, 2]", "[2, 2]", "[3]"])
        #expect(tensors.map(\.2) == [.tril, .triu, .eye, .fill(0.5), .fill(0), .fill(1), .values([1, -2, 3.5, 4]), .values([1, 2, 3])])
        #expect(program.constants.last?.tensor == nil && program.constants.last?.value == 3)
        #expect(try value(program, "m").shape.description == "[6, 6]")
        // The forward graph makes a tensor-constant leaf.
        let graph = program.forwardGraph().graph
        #expect(graph.nodes.contains { $0.op == .leaf(.tensorConstant("causal", [.fixed(6), .fixed(6)], .tril)) })
    }

    @Test(arguments: [
        ("const c: [batch] = 1", "invalid-const", 11),
        ("const c: [2, 2] = [[1, 2], [3]]", "const-shape-mismatch", 28),
        ("const c: [2] = [[1], [2]]", "const-shape-mismatch", 17),
        ("const c: [2, 1] = [1, 2]", "const-shape-mismatch", 20),
        ("const c: [3] = [1, 2]", "const-shape-mismatch", 16),
        ("const c = [[1, 2], [3]]", "const-shape-mismatch", 20),
        ("const c = []", "const-shape-mismatch", 11),
        ("const c: [2] = eye", "invalid-const", 16),
        ("const c: [2, 3] = eye", "invalid-const", 19),
        ("const c: [3] = tril", "invalid-const", 16),
        ("const c = eye", "invalid-const", 11),
        ("const c: [2] = glorot", "invalid-const", 16),
        ("const c: [0] = 1", "invalid-size", 11),
    ] as [(String, String, Int)])
    func constantMistakes(line: String, id: String, column: Int) {
        let found = errors(header + line + footer)
        #expect(found.map(\.0) == [id], "\(found)")
        #expect(found.first?.1 == "9:\(column)", "\(found)")
    }

    @Test func dimsAreTheirSizes() throws {
        let program = try checkedV2(header + "h = sum(x) / batch * vocab\n" + footer)
        guard case .chain(let first, let links) = try value(program, "h").kind else { Issue.record("not a chain"); return }
        #expect(links.count == 2)
        #expect(topOp(links[0].operand) == .leaf(.size([.runtime("batch")])))
        #expect(topOp(links[1].operand) == .leaf(.size([.fixed(10)])))
        #expect(first.shape.isScalar)
    }
}

@Suite struct ClassIndexLossTests {
    @Test func softmaxCrossEntropyWithClassIndices() throws {
        let program = try checkedV2(header + "loss = softmax_cross_entropy(x @ W, labels)\nminimize loss\n")
        let loss = try value(program, "loss")
        #expect(loss.shape.isScalar)
        guard case .apply(.reduction(.mean, axis: nil), let mean) = loss.kind,
            case .apply(.arithmetic(.subtract), let parts) = mean[0].kind
        else { Issue.record("\(loss.kind)"); return }
        #expect(topOp(parts[0]) == .reduction(.logsumexp, axis: 1))
        #expect(topOp(parts[1]) == .indexing(.pick(axis: 1)))
    }

    @Test func crossEntropyWithClassIndicesAndHigherRank() throws {
        let program = try checkedV2(
            header + "p = softmax(E[tokens])\nloss = cross_entropy(p, tokens)\nv = cross_entropy(softmax(x), x)\nminimize loss + v\n")
        let loss = try value(program, "loss")
        guard case .apply(.reduction(.mean, axis: nil), let mean) = loss.kind,
            case .apply(.elementwise(.negate), let negated) = mean[0].kind,
            case .apply(.elementwise(.log), let logged) = negated[0].kind
        else { Issue.record("\(loss.kind)"); return }
        #expect(topOp(logged[0]) == .indexing(.pick(axis: 2)))
        // A float target keeps version 1's meaning.
        #expect(try topOp(value(program, "v")) == .loss(.crossEntropy))
    }

    @Test func targetShapeMistakes() {
        #expect(errors(header + "loss = softmax_cross_entropy(x, tokens)\nminimize loss * sum(W)\n").map(\.0) == ["shape-mismatch"])
        #expect(errors(header + "loss = cross_entropy(x[0], labels)\nminimize loss * sum(W)\n").map(\.0) == ["shape-mismatch"])
    }
}

@Suite struct HiddenBuiltinTests {
    @Test func aDeclarationHidesAVersion2BuiltinWithAWarning() throws {
        let text = "param take = 2\nconst stack = 3\nreshape = take * stack\nminimize reshape\n"
        let program = try checkedV2(text)
        let file = SourceFile(path: "t.adj", text: text)
        let warnings = Checker.warnings(program)
        #expect(warnings.map(\.id.rawValue) == ["hides-builtin", "hides-builtin", "hides-builtin"])
        #expect(warnings.map { $0.location(in: file).description } == ["1:7", "2:7", "3:1"])
        #expect(warnings.allSatisfy { $0.severity == .warning })
        // Calling a hidden built-in calls the value: an error, as for any value.
        #expect(errors("param take = 2\nh = take(take)\nminimize take\n").map(\.0) == ["unknown-function"])
    }

    @Test func version1BuiltinsStayReserved() {
        #expect(errors("param relu = 2\nminimize sum(W)\nparam W: [2]\n").map(\.0).first == "shadows-builtin")
    }
}

@Suite struct HiddenBuiltinOrderTests {
    /// The hiding holds for the whole file, also before the declaration.
    @Test func aLaterDeclarationHidesTheBuiltinEarlierToo() {
        let found = errors("input ids: int[2]\nparam E: [3, 2]\nh = take(E, ids)\ntake = 1\nminimize sum(h)\n")
        #expect(found.map(\.0) == ["unknown-function"], "\(found)")
        #expect(found.map(\.1) == ["3:5"])
    }
}

@Suite struct ReductionAndSelectionCheckTests {
    private func typed(_ line: String) throws -> TypedExpr {
        try value(checkedV2(header + "v = " + line + footer), "v")
    }

    @Test func reductionShapes() throws {
        #expect(try typed("max(x)").shape == .scalar)
        #expect(try typed("max(x, axis = 1)").shape == Shape([.runtime("batch")]))
        #expect(try typed("min(x, axis = 0, keepdims = true)").shape == Shape([.fixed(1), .fixed(4)]))
        #expect(try typed("sum(E[tokens], axis = [1, 2])").shape == Shape([.runtime("batch")]))
        #expect(try typed("mean(E[tokens], axis = [0, -1], keepdims = true)").shape == Shape([.fixed(1), .fixed(6), .fixed(1)]))
        #expect(try typed("var(x, axis = -1)").shape == Shape([.runtime("batch")]))
        #expect(try typed("logsumexp(x, keepdims = true)").shape == Shape([.fixed(1), .fixed(1)]))
        #expect(try typed("max(x, W[0, 0])").shape == Shape([.runtime("batch"), .fixed(4)]), "two tensors: elementwise")
        #expect(try topOp(typed("max(x, W[0, 0])")) == .arithmetic(.maximum))
    }

    @Test func argmaxIsAnInt() throws {
        let best = try typed("argmax(x, axis = 1)")
        #expect(best.element == .int && best.shape == Shape([.runtime("batch")]))
        let flat = try typed("argmin(W)")
        #expect(flat.element == .int && flat.shape == .scalar)
        #expect(try typed("argmax(x, axis = 1) == labels").element == .real)
    }

    @Test func comparisonsWhereClipAndNumbers() throws {
        func comparison(_ line: String) throws -> Op? {
            guard case .chain(_, let links) = try typed(line).kind else { return nil }
            return links.first?.op
        }
        #expect(try comparison("x < 1") == .arithmetic(.less))
        #expect(try comparison("x != labels[0]") == .arithmetic(.notEqual))
        #expect(try typed("where(labels > 0, x[:, 0], -inf)").shape == Shape([.runtime("batch")]))
        #expect(try typed("clip(x, -1, W[:, 0])").shape == Shape([.runtime("batch"), .fixed(4)]))
        guard case .constant(let value, _) = try typed("inf").kind else {
            Issue.record("inf is not a number")
            return
        }
        #expect(value == .infinity)
        #expect(try typed("true + false").shape == .scalar)
    }

    @Test func mistakes() {
        func found(_ line: String) -> [String] { errors(header + "v = " + line + footer).map(\.0) }
        #expect(found("argmax(x)") == ["invalid-argument"], "a runtime dim does not flatten with others")
        #expect(found("argmax(x, axis = [0, 1])") == ["invalid-argument"])
        #expect(found("sum(x, keepdims = yes)") == ["invalid-argument"])
        #expect(found("sum(x, axis = [0, 0])") == ["invalid-argument"])
        #expect(found("var(x, axis = 2)") == ["axis-out-of-range"])
        #expect(found("where(x, W, 0)") == ["shape-mismatch"])
        #expect(found("clip(x, W, 1)") == ["shape-mismatch"])
        #expect(found("argmax(W[0, 0])") == ["invalid-rank"])
    }

    /// A version 1 file that declares `inf`, `true` or `where` keeps its meaning, with a warning.
    @Test func declarationsHideTheNewNames() throws {
        let text = "param inf = 2\nconst true = 3\nwhere = inf * true\nminimize where\n"
        let program = try checkedV2(text)
        #expect(Checker.warnings(program).map(\.id.rawValue) == ["hides-builtin", "hides-builtin", "hides-builtin"])
        #expect(errors("param var = 2\nv = var(var)\nminimize var\n").map(\.0) == ["unknown-function"])
    }
}
