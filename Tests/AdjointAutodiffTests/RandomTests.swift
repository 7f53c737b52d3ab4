import AdjointAutodiff
import AdjointIR
import AdjointInterpreter
import AdjointSema
import AdjointSyntax
import Testing

/// Randomness (issue 18): the checker's `dropout`, `normal` and `uniform`, their draws in the
/// interpreter, predict's values, and reverse mode against finite differences with the draws fixed.
@Suite struct RandomTests {
    static let model = """
        dim batch
        input x: [batch, 6]
        input y: [batch, 3]
        param W: [6, 3]
        param b: [3]
        h = dropout(x, 0.25) + 0.1 * uniform([batch, 6])
        z = h @ W + b + 0.5 * normal([batch, 3]) * b
        loss = mse(z, y)
        output z
        minimize loss using sgd(lr = 0.1)
        """

    static func checked(_ text: String) throws -> CheckedProgram {
        let (program, parse) = Parser.parse(SourceFile(path: "t.adj", text: text))
        let (checked, diagnostics) = Checker.check(program)
        #expect(parse.isEmpty && diagnostics.isEmpty, "\(parse + diagnostics)")
        return try #require(checked)
    }

    static func draws(_ graph: Graph) -> [RandomDraw] {
        graph.nodes.compactMap { if case .leaf(.random(let draw)) = $0.op { draw } else { nil } }.sorted { $0.stream < $1.stream }
    }

    @Test func eachCallGetsItsStreamInFileOrder() throws {
        let forward = try Self.checked(Self.model).forwardGraph()
        let draws = Self.draws(forward.graph)
        #expect(draws.map(\.name) == ["dropout_mask", "uniform", "normal"])
        #expect(draws.map(\.stream) == [0, 1, 2])
        #expect(draws[0].shape == Shape([.runtime("batch"), .fixed(6)]))
        #expect(draws[0].distribution == .keep(0.25))
    }

    @Test func predictDrawsNothingAndDropoutIsTheIdentity() throws {
        let program = try Self.checked(Self.model)
        let inference = program.forwardGraph(training: false)
        #expect(!inference.graph.draws)
        #expect(program.forwardGraph().graph.draws)
        let dropoutOnly = try Self.checked("dim batch\ninput x: [batch, 2]\nparam w: [2]\ny = dropout(x, 0.5) * w\noutput y\nminimize sum(y)")
        let graph = dropoutOnly.forwardGraph(training: false)
        let x = Tensor(sizes: [1, 2], scalars: [3, 4])
        let values = Interpreter.roots(graph.graph, bindings: ["x": x, "w": Tensor(sizes: [2], scalars: [1, 1])], dims: ["batch": 1])
        #expect(values["y"]!.scalars == [3, 4])
    }

    @Test func drawsDependOnSeedStepStreamAndElement() {
        let shape = Shape([.fixed(4), .fixed(5)])
        let normal = RandomDraw(.normal, stream: 0, shape: shape)
        let a = normal.evaluate(dims: [:], seed: 1, t: 0).scalars
        #expect(a == normal.evaluate(dims: [:], seed: 1, t: 0).scalars)
        #expect(a != normal.evaluate(dims: [:], seed: 2, t: 0).scalars)
        #expect(a != normal.evaluate(dims: [:], seed: 1, t: 1).scalars)
        #expect(a != RandomDraw(.normal, stream: 1, shape: shape).evaluate(dims: [:], seed: 1, t: 0).scalars)
        #expect(Set(a).count == a.count)
        let mask = RandomDraw(.keep(0.5), stream: 3, shape: Shape([.fixed(10_000)])).evaluate(dims: [:], seed: 9, t: 0).scalars
        #expect(Set(mask) == [0, 2])
        let kept = Double(mask.filter { $0 > 0 }.count) / 10_000
        #expect(abs(kept - 0.5) < 0.03)
        let uniform = RandomDraw(.uniform, stream: 0, shape: Shape([.fixed(10_000)])).evaluate(dims: [:], seed: 9, t: 0).scalars
        #expect(uniform.allSatisfy { $0 >= 0 && $0 < 1 })
        #expect(abs(uniform.reduce(0, +) / 10_000 - 0.5) < 0.02)
    }

    @Test func reverseModeMatchesDifferencesWithTheDrawsFixed() throws {
        let program = try Self.checked(Self.model)
        for seed: UInt64 in [0, 5] {
            let reports = GradientCheck.run(program, seed: seed, dims: ["batch": 4])
            for report in reports {
                #expect(report.passed, "\(report.param) seed \(seed): \(report.worstRelativeError) > \(report.allowedRelativeError)")
            }
        }
    }

    @Test func irTextRoundTripsDraws() throws {
        let forward = try Self.checked(Self.model).forwardGraph()
        let text = IRText.print(forward.graph)
        #expect(text.contains("dropout_mask p=0.25 stream=0 [batch, 6]"))
        #expect(IRText.print(try IRText.parse(text)) == text)
    }

    @Test func badArgumentsAreReported() {
        for (text, fragment) in [
            ("y = dropout(x, 1)", "dropout's 'p'"), ("y = dropout(x, -0.5)", "dropout's 'p'"),
            ("y = x + normal([batch, -1])", "needs every size"), ("y = x + uniform(3)", "takes a shape"),
        ] {
            let source = "dim batch\ninput x: [batch, 2]\nparam w: [2]\n\(text)\nminimize sum(y * w)"
            let (program, _) = Parser.parse(SourceFile(path: "t.adj", text: source))
            let (_, diagnostics) = Checker.check(program)
            #expect(diagnostics.count == 1 && diagnostics.first?.message.contains(fragment) == true, "\(text): \(diagnostics)")
        }
    }
}
