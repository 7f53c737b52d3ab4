import AdjointAutodiff
import AdjointDriver
import AdjointIR
import AdjointInterpreter
import AdjointSema
import AdjointSyntax
import Foundation
import Testing

/// `adjoint check`'s error model: correct gradients pass where one fixed step drowns in round-off
/// (a 25-step char RNN, a loss with logits minus 1e9), and a wrong derivative rule still fails.
@Suite struct GradientCheckTests {
    private let charRNN = Fixtures.path("char-rnn.adj")
    private let simclr = Fixtures.path("simclr.adj")

    @Test func fixturesAreWhatTheirGeneratorsWrite() {
        Fixtures.expectFile(Fixtures.charRNN(steps: 25, vocabulary: 65, hidden: 100), "char-rnn.adj")
        Fixtures.expectFile(Fixtures.simclrValues(), "simclr.values.json")
    }

    /// With h = 1e-5 and one batch row, the loss's rounding (about 1e-14 of 104) put the old check
    /// 1.1e-6 to 3e-6 off on Whh at every seed.
    @Test(arguments: [0, 1] as [UInt64])
    func charRNNPassesAtRandomPoints(seed: UInt64) {
        let result = CommandLineInterface.run(["check", charRNN, "--dim", "batch=1", "--seed", "\(seed)"])
        #expect(result.status == 0, "\(result.output)\(result.errors)")
        #expect(result.output.split(separator: "\n").dropFirst().count == 5)
    }

    @Test func charRNNPassesAtOneHotCharacters() throws {
        let values = try TemporaryFile(Fixtures.oneHotValues(steps: 25, vocabulary: 65, batch: 1, seed: 3), suffix: ".json")
        let result = CommandLineInterface.run(["check", charRNN, "--values", values.path])
        #expect(result.status == 0, "\(result.output)\(result.errors)")
        #expect(result.output.contains("(seed 0, batch = 1, at \(values.path))"))
    }

    @Test func simclrPassesAtItsValues() {
        let result = CommandLineInterface.run(["check", simclr, "--values", Fixtures.path("simclr.values.json")])
        #expect(result.status == 0, "\(result.output)\(result.errors)")
    }

    /// A random mask in (0.1, 0.9) times -1e9 makes logits near -5e8, whose rounding (6e-8) is
    /// noise in the loss that no step can difference through to 1e-4: the check says so, and its
    /// bound still covers the actual disagreement (which a single step of 1e-5 put at 0.03 to 0.49).
    @Test(arguments: [0, 1, 2] as [UInt64])
    func simclrAtRandomMasksIsInconclusiveButHonest(seed: UInt64) throws {
        let program = try Commands.load(simclr).get()
        let reports = GradientCheck.run(program, seed: seed, dims: ["views": 8])
        for report in reports {
            #expect(report.inconclusive)
            #expect(!report.passed)
            #expect(report.worstRelativeError <= report.allowedRelativeError)
        }
        let result = CommandLineInterface.run(["check", simclr])
        #expect(result.status == 1)
        #expect(result.errors.contains("cannot be made accurate to 0.0001 of the gradient"))
    }

    /// A loss that is NaN or infinite at the point (log of a negative, a label on a position
    /// masked with -inf) has no derivative there: one clear error, not a NaN on every param's line.
    @Test func aLossThatIsNotFiniteAtThePointIsAnError() throws {
        let model = try TemporaryFile(
            "dim batch\ninput x: [batch, 3]\nparam W: [3, 2]\nminimize mean(log(x @ W - 10))\n", suffix: ".adj")
        let result = CommandLineInterface.run(["check", model.path])
        #expect(result.status == 1)
        #expect(result.output.isEmpty)
        #expect(result.errors.contains("the loss is NaN at the point drawn with seed 0, batch = 3"), "\(result.errors)")
        let masked = try TemporaryFile(
            """
            dim n = 3
            input ids: int[n]
            const self: [n, n] = eye
            param W: [n, n]
            minimize softmax_cross_entropy(where(self, -inf, W), ids)
            """, suffix: ".adj")
        let values = try TemporaryFile(#"{"params": {"W": [1, 2, 3, 4, 5, 6, 7, 8, 9]}, "inputs": {"ids": [0, 2, 1]}}"#, suffix: ".json")
        let onDiagonal = CommandLineInterface.run(["check", masked.path, "--values", values.path])
        #expect(onDiagonal.status == 1)
        #expect(onDiagonal.errors.contains("the loss is inf at the values in \(values.path)"), "\(onDiagonal.errors)")
        let offDiagonal = try TemporaryFile(#"{"params": {"W": [1, 2, 3, 4, 5, 6, 7, 8, 9]}, "inputs": {"ids": [1, 2, 0]}}"#, suffix: ".json")
        let passes = CommandLineInterface.run(["check", masked.path, "--values", offDiagonal.path])
        #expect(passes.status == 0, "\(passes.output)\(passes.errors)")
    }

    // MARK: Wrong derivative rules

    /// A derivative rule with one mistake, the op table's everywhere else.
    struct WrongRule: CustomTestStringConvertible, Sendable {
        var name: String
        var op: Op
        var operand: Int
        /// The wrong contribution, from the right one.
        var mistake: @Sendable (_ graph: inout Graph, _ right: NodeID, _ result: NodeID, _ cotangent: NodeID) -> NodeID?
        var testDescription: String { name }

        func rule(
            _ op: Op, _ graph: inout Graph, _ result: NodeID, _ operands: [NodeID], _ index: Int, _ cotangent: NodeID
        ) -> NodeID? {
            let right = ReverseMode.opTableRule(op, &graph, result, operands, index, cotangent)
            guard op == self.op, index == operand, let right else { return right }
            return mistake(&graph, right, result, cotangent)
        }
    }

    static let wrongRules: [WrongRule] = [
        // d/da tanh a = 1 + tanh² a: a wrong sign.
        WrongRule(name: "tanh with 1 + y²", op: .elementwise(.tanh), operand: 0) { graph, _, y, c in
            graph.times(c, graph.plus(graph.constant(1), graph.apply(.square, y)))
        },
        // The product's gradient to its right factor twice over.
        WrongRule(name: "matmul times 2", op: .linearAlgebra(.matmul), operand: 1) { graph, right, _, _ in
            graph.times(graph.constant(2), right)
        },
        // A sum's second term dropped: the recurrence (h @ Whh) and the biases lose their gradient.
        WrongRule(name: "add drops its second term", op: .arithmetic(.add), operand: 1) { _, _, _, _ in nil },
        // The loss's gradient to its logits with the wrong sign.
        WrongRule(name: "softmax cross-entropy negated", op: .loss(.softmaxCrossEntropy), operand: 0) { graph, right, _, _ in
            graph.negate(right)
        },
    ]

    /// A short char RNN with each wrong rule: the check fails, definitely (not for want of accurate
    /// differences), while the op table's rules pass at the same point.
    @Test(arguments: wrongRules)
    func aWrongRuleFailsTheCheck(wrong: WrongRule) throws {
        let text = Fixtures.charRNN(steps: 4, vocabulary: 7, hidden: 5)
        let program = try #require(Frontend.check(SourceFile(path: "rnn.adj", text: text)).checked)
        let dims = ["batch": 2]
        let bindings = GradientCheck.randomBindings(program, seed: 5, dims: dims)
        let right = GradientCheck.run(
            ReverseMode.differentiate(program.forwardGraph()), bindings: bindings, dims: dims, seed: 5)
        #expect(right.allSatisfy { $0.passed }, "\(right)")
        let mistaken = GradientCheck.run(
            ReverseMode.differentiate(program.forwardGraph(), rule: wrong.rule), bindings: bindings, dims: dims, seed: 5)
        let failed = mistaken.filter { !$0.passed }
        #expect(!failed.isEmpty)
        // Definitely: the differences were accurate, and reverse mode fell outside their bound. (At
        // weights of 0.01, tanh's 1 + y² is off by only about 2y² ≈ 1e-4.)
        #expect(failed.allSatisfy { !$0.inconclusive && $0.worstRelativeError > $0.allowedRelativeError }, "\(failed)")
    }

    // MARK: Command line

    @Test func valuesAndDimsDoNotMix() {
        let result = CommandLineInterface.run(["check", simclr, "--values", Fixtures.path("simclr.values.json"), "--dim", "views=8"])
        #expect(result.status == 2)
        #expect(result.errors.contains("give the dims in the values file"))
    }

    @Test func badValuesFilesAreUsageErrors() throws {
        #expect(CommandLineInterface.run(["check", simclr, "--values", "/nonexistent.json"]).status == 2)
        let missing = try TemporaryFile(#"{"dims": {"views": 2}, "inputs": {"x": [1]}}"#, suffix: ".json")
        let result = CommandLineInterface.run(["check", simclr, "--values", missing.path])
        #expect(result.status == 2)
        #expect(result.errors.contains("'x' has shape [2, 6] and needs 12 numbers, got 1"), "\(result.errors)")
    }
}
