import AdjointIR
import AdjointSema
import AdjointSyntax
import Testing

private func checked(_ text: String) throws -> CheckedProgram {
    let (program, parseDiagnostics) = Parser.parse(SourceFile(path: "t.adj", text: text))
    let (result, diagnostics) = Checker.check(program)
    #expect(parseDiagnostics.isEmpty && diagnostics.isEmpty, "\(parseDiagnostics + diagnostics)")
    return try #require(result)
}

@Suite struct CheckedProgramTests {
    @Test func digitsShapesAndDefaults() throws {
        let program = try checked(
            """
            dim batch
            dim hidden = 32
            input x: [batch, 64]
            input y: [batch, 10]
            param W1: [64, hidden] = he
            param b1: [hidden]
            param W2: [hidden, 10]
            param b2: [10]
            h = relu(x @ W1 + b1)
            logits = h @ W2 + b2
            loss = softmax_cross_entropy(logits, y)
            output logits
            minimize loss using adam(lr = 0.001)
            """)
        #expect(program.values.map(\.shape.description) == ["[batch, 32]", "[batch, 10]", "[]"])
        #expect(program.params.map(\.initializer) == [.he, .zeros, .glorot, .zeros])
        #expect(program.dims.map(\.size) == [nil, 32])
        #expect(program.outputs == ["logits"])
        #expect(program.objective.name == "loss")
        #expect(program.updateRule.kind == .adam)
        #expect(program.updateRule["beta2"] == 0.999)
    }

    @Test func scalarTextbookExample() throws {
        let program = try checked(
            """
            param x = -2
            param y = 5
            param z = -4
            const target = -10
            f = (x + y) * z
            loss = (target - f)^2
            minimize loss using sgd(lr = 0.01)
            """)
        #expect(program.params.map(\.initializer) == [.constant(-2), .constant(5), .constant(-4)])
        #expect(program.params.allSatisfy { $0.shape.isScalar })
        #expect(program.constants.map(\.value) == [-10])
        #expect(program.updateRule.description == "sgd(lr = 0.01, weight_decay = 0)")
    }

    @Test func noUsingMeansSGDWithDefaults() throws {
        let program = try checked("param a = 1\nminimize a * a\n")
        #expect(program.updateRule == .defaults(.sgd))
        #expect(program.objective.name == "loss")
        #expect(!program.objective.isNamed)
    }

    /// An unnamed objective is called `loss` in printed formulas only when no declared name is
    /// `loss`: `minimize sum(q) + loss` must not print two different things as `loss`.
    @Test func unnamedObjectiveNeverTakesADeclaredName() throws {
        let program = try checked("param w = 2\nloss = w * w\nminimize w + loss\n")
        #expect(program.objective.name == "objective")
        #expect(!program.objective.isNamed)
        let both = try checked("param w = 2\nloss = w * w\nobjective = w\nminimize objective + loss\n")
        #expect(both.objective.name == "loss_2")
    }

    @Test func axesAreNormalizedAndCallsResolved() throws {
        let program = try checked(
            """
            dim n
            input x: [n, 5]
            param w: [5]
            s = log_softmax(x * w)
            r = sum(s, axis = -1)
            m = mean(r)
            minimize m + huber(x * w, x, delta = 0.5) using momentum(nesterov = 1)
            """)
        guard case .apply(let op, _) = program.values[0].expr.kind else {
            Issue.record("expected an op")
            return
        }
        #expect(op == .normalizer(.logSoftmax, axis: 1))
        guard case .apply(let sum, _) = program.values[1].expr.kind else {
            Issue.record("expected an op")
            return
        }
        #expect(sum == .reduction(.sum, axis: 1))
        #expect(program.values[1].shape == [.runtime("n")])
        #expect(program.updateRule["nesterov"] == 1)
    }

    @Test func broadcastingWithRuntimeDims() throws {
        let program = try checked(
            """
            dim n
            input x: [n, 1]
            input y: [n]
            param b: [1, 3]
            z = x + b
            minimize sum(z) + sum(y)
            """)
        #expect(program.values[0].shape == [.runtime("n"), .fixed(3)])
    }

    @Test func continuationLinesAndComments() throws {
        let program = try checked(
            """
            param W: [2, 2] = uniform(low = -1,
                                      high = 1)   # wrapped inside parentheses
            h = W +
                W * 2                            # wrapped after an operator
            output h
            minimize sum(h)
            """)
        #expect(program.params[0].initializer == .uniform(low: -1, high: 1))
        #expect(program.values[0].shape == [.fixed(2), .fixed(2)])
    }
}

/// `Checker.warnings`: a param the minimized value does not use, however indirectly.
@Suite struct UnusedParamWarningTests {
    private func warnings(_ text: String) throws -> [(String, String)] {
        let file = SourceFile(path: "t.adj", text: text)
        let program = try checked(text)
        return Checker.warnings(program).map { ("\($0.id.rawValue) \($0.severity)", $0.location(in: file).description) }
    }

    @Test func aParamTheLossDoesNotUseIsNamed() throws {
        let found = try warnings("param w = 1\nparam v: [2] = 0.5\nloss = w * w\nminimize loss\n")
        #expect(found.map(\.0) == ["unused-param warning"])
        #expect(found.map(\.1) == ["2:7"])
        let diagnostic = try #require(Checker.warnings(try checked("param w = 1\nparam v = 2\nminimize w * w\n")).first)
        #expect(diagnostic.message == "param 'v' does not affect the loss; its gradient is always zero")
    }

    @Test func usesThroughNamedValuesCountAndOutputsDoNot() throws {
        #expect(try warnings("param a = 1\nparam b = 2\nh = a * b\ng = h + 1\nminimize g\n").isEmpty)
        let onlyInOutput = try warnings("param a = 1\nparam b = 2\np = b * 3\noutput p\nminimize a * a\n")
        #expect(onlyInOutput.map(\.1) == ["2:7"])
        // Cancelling uses still count: only the autodiff result knows the gradient is zero.
        #expect(try warnings("param a = 1\nparam b = 2\nminimize a * a + (b - b)\n").isEmpty)
    }
}
