import AdjointIR
import AdjointSema
import AdjointSyntax
import Testing

/// Version 2's functions (`erf gelu silu elu log1p expm1 sign floor round`, `diagonal diag
/// trace`), label smoothing and number targets of losses, as the checker types them.
@Suite struct Version2FunctionCheckerTests {
    private func checked(_ text: String) throws -> CheckedProgram {
        let (program, parse) = Parser.parse(SourceFile(path: "t.adj", text: text))
        let (result, diagnostics) = Checker.check(program)
        #expect(parse.isEmpty && diagnostics.isEmpty, "\(parse + diagnostics)")
        return try #require(result)
    }

    private func top(_ program: CheckedProgram, _ name: String) throws -> (op: Op, shape: Shape) {
        let expr = try #require(program.values.first { $0.name == name }).expr
        guard case .apply(let op, _) = expr.kind else { throw CheckFailure() }
        return (op, expr.shape)
    }

    private struct CheckFailure: Error {}

    @Test func functionsAreElementwiseWithTheirAttributes() throws {
        let program = try checked(
            """
            param x: [2, 3]
            a = erf(x)
            b = gelu(x)
            c = gelu(x, approximate = 1)
            d = gelu(x, 0)
            e = silu(x)
            f = elu(x)
            g = elu(x, alpha = 0.5)
            h = log1p(x) + expm1(x) + sign(x) + floor(x) + round(x)
            minimize sum(a + b + c + d + e + f + g + h)
            """)
        let expected: [(String, Elementwise)] = [
            ("a", .erf), ("b", .gelu(approximate: false)), ("c", .gelu(approximate: true)), ("d", .gelu(approximate: false)),
            ("e", .silu), ("f", .elu(alpha: 1)), ("g", .elu(alpha: 0.5)),
        ]
        for (name, op) in expected {
            let (found, shape) = try top(program, name)
            #expect(found == .elementwise(op), "\(name)")
            #expect(shape == [.fixed(2), .fixed(3)])
        }
    }

    @Test func diagonalDiagAndTrace() throws {
        let program = try checked(
            """
            dim n
            input A: [n, n]
            param v: [4]
            d = diagonal(A)
            D = diag(v)
            t = trace(A)
            minimize sum(D @ v) + t + sum(d)
            """)
        #expect(try top(program, "d") == (.linearAlgebra(.diagonal), [.runtime("n")]))
        #expect(try top(program, "D") == (.linearAlgebra(.diag), [.fixed(4), .fixed(4)]))
        // trace(A) is sum(diagonal(A)).
        let trace = try #require(program.values.first { $0.name == "t" }).expr
        guard case .apply(.reduction(.sum, axis: nil), let operands) = trace.kind, case .apply(.linearAlgebra(.diagonal), _) = operands[0].kind else {
            Issue.record("trace(A) is \(trace.kind)")
            return
        }
        #expect(trace.shape == .scalar)
    }

    @Test func squareMatricesAndVectorsOnly() {
        let base = "param W: [4, 3]\nparam v: [3]\nparam S: [2, 3, 3]\n"
        #expect(errors(base + "minimize trace(W)\n").map(\.0) == ["invalid-rank"])
        #expect(errors(base + "minimize sum(diagonal(S))\n").map(\.0) == ["invalid-rank"])
        #expect(errors(base + "minimize sum(diag(W))\n").map(\.0) == ["invalid-rank"])
        #expect(errors(base + "minimize sum(diag(v))\n").isEmpty)
    }

    @Test func flagsAreZeroOrOne() {
        let base = "input x: [3]\nparam w: [3]\n"
        #expect(errors(base + "minimize sum(gelu(x * w, approximate = 2))\n").map(\.0) == ["invalid-argument"])
        #expect(errors(base + "minimize sum(gelu(x * w, approximate = w))\n").map(\.0) == ["invalid-argument"])
        #expect(errors(base + "minimize sum(gelu(x * w, approximate = 1))\n").isEmpty)
    }

    @Test func aNumberTargetBroadcastsAndATensorOfAnotherShapeDoesNot() throws {
        let base = "param z: [3]\nparam s = 0\nconst one = 1\n"
        for loss in ["mse(z, 0)", "sigmoid_binary_cross_entropy(z, 1)", "binary_cross_entropy(sigmoid(z), 1)", "huber(z, 0)", "mse(z, -2.5)", "sse(z, one)"] {
            #expect(errors(base + "minimize \(loss) + s * s\n").isEmpty, "\(loss)")
        }
        #expect(errors(base + "minimize mse(z, s)\n").map(\.0) == ["shape-mismatch"])
        #expect(errors(base + "minimize mse(z, sum(z))\n").map(\.0) == ["shape-mismatch"])
        #expect(errors("param z: [2, 3]\nparam t: [3]\nminimize mse(z, t)\n").map(\.0) == ["shape-mismatch"])
    }

    @Test func labelSmoothingIsAFraction() {
        let base = "dim batch\ninput x: [batch, 3]\ninput labels: int[batch]\ninput y: [batch, 3]\nparam W: [3, 3]\n"
        #expect(errors(base + "minimize softmax_cross_entropy(x @ W, labels, label_smoothing = 0.1)\n").isEmpty)
        #expect(errors(base + "minimize softmax_cross_entropy(x @ W, y, label_smoothing = 1)\n").isEmpty)
        #expect(errors(base + "minimize softmax_cross_entropy(x @ W, y, label_smoothing = -0.1)\n").map(\.0) == ["invalid-argument"])
        #expect(errors(base + "minimize cross_entropy(x @ W, y, label_smoothing = 0.1)\n").map(\.0) == ["unknown-argument"])
    }

    /// A version 1 file that declares a name version 2 made a function keeps its meaning, with a
    /// warning; calling the name is then an error.
    @Test func declarationsHideTheNewFunctions() throws {
        let program = try checked("param gelu = 1\nparam diag: [2]\ntrace = gelu * 2\nminimize trace * sum(diag)\n")
        let warnings = Checker.warnings(program).map(\.id.rawValue)
        #expect(warnings == ["hides-builtin", "hides-builtin", "hides-builtin"])
        #expect(errors("param erf = 1\nminimize erf(erf)\n").map(\.0) == ["unknown-function"])
    }

    @Test func callsPrintBackAsWritten() {
        let text = "y = gelu(x, approximate = 1) + elu(x, alpha = 0.5) + trace(diag(v))\n"
        let (program, diagnostics) = Parser.parse(SourceFile(path: "t.adj", text: text))
        #expect(diagnostics.isEmpty)
        guard case .assign(_, let expr) = program.statements[0].kind else {
            Issue.record("not an assignment")
            return
        }
        #expect(ExprPrinter.print(expr) == "gelu(x, approximate = 1) + elu(x, alpha = 0.5) + trace(diag(v))")
    }
}
