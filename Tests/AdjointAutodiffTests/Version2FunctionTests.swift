import AdjointAutodiff
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Foundation
import Testing

/// Version 2's functions, label smoothing and number targets: values worked by hand (PyTorch's
/// and NumPy's definitions), and gradients against central differences in double.
@Suite struct Version2FunctionTests {
    /// The loss and the gradients of `text` at `bindings`.
    private func evaluate(_ text: String, _ bindings: [String: Tensor], dims: [String: Int] = [:]) throws -> (loss: Double, gradients: [String: [Double]]) {
        let program = try checkedProgram(text)
        let forward = program.forwardGraph()
        let gradient = ReverseMode.differentiate(forward)
        let values = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: dims)
        var gradients: [String: [Double]] = [:]
        for (param, node) in gradient.gradients { gradients[param] = values[node]!.scalars }
        return (values[forward.loss]!.scalar, gradients)
    }

    private func close(_ a: [Double], _ b: [Double], _ tolerance: Double = 1e-12) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) <= tolerance * max(1, abs($1)) }
    }

    @Test func roundSendsTiesToEvenAndFloorRoundsDown() {
        let ties = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6]
        #expect(ties.map(Elementwise.round.apply) == [0, 2, 2, -0, -2, -2, 2, -3])
        #expect(ties.map(Elementwise.floor.apply) == [0, 1, 2, -1, -2, -3, 2, -3])
        #expect([-2.0, 0, 3].map(Elementwise.sign.apply) == [-1, 0, 1])
    }

    @Test func functionsMatchTheirDefinitions() {
        // gelu(1) = Φ(1) = 0.8413447460685429; its tanh form 0.8411919906082768 (PyTorch's values).
        #expect(abs(Elementwise.gelu(approximate: false).apply(1) - 0.8413447460685429) < 1e-15)
        #expect(abs(Elementwise.gelu(approximate: true).apply(1) - 0.8411919906082768) < 1e-15)
        // Far in the left tail, no cancellation: gelu(-10) = -10 Φ(-10) = -7.619853024160527e-23.
        #expect(abs(Elementwise.gelu(approximate: false).apply(-10) / -7.619853024160527e-23 - 1) < 1e-12)
        #expect(abs(Elementwise.silu.apply(2) - 2 / (1 + exp(-2))) < 1e-15)
        #expect(Elementwise.silu.apply(-1e4) == -0.0 && Elementwise.silu.apply(1e4) == 1e4)
        #expect(abs(Elementwise.elu(alpha: 0.5).apply(-1) - 0.5 * (exp(-1) - 1)) < 1e-15)
        #expect(Elementwise.log1p.apply(1e-20) == 1e-20 && Elementwise.expm1.apply(1e-20) == 1e-20)
    }

    /// PyTorch's `cross_entropy(z, labels, label_smoothing = ε)`: per row
    /// (1 − ε)(lse − z_y) + ε (lse − mean z); with a probability target t the target (1 − ε) t + ε / C.
    @Test func labelSmoothingIsPyTorchs() throws {
        let z = Tensor(sizes: [2, 3], scalars: [1, 2, 0.5, -1, 0, 3])
        func lse(_ row: ArraySlice<Double>) -> Double { log(row.map { exp($0) }.reduce(0, +)) }
        let rows = [z.scalars[0..<3], z.scalars[3..<6]]
        let labels = [1, 0]
        let epsilon = 0.2
        var expected = 0.0
        for (row, label) in zip(rows, labels) {
            let mean = row.reduce(0, +) / 3
            expected += (1 - epsilon) * (lse(row) - row[row.startIndex + label]) + epsilon * (lse(row) - mean)
        }
        expected /= 2
        let indices = try evaluate(
            "input labels: int[2]\nparam z: [2, 3]\nminimize softmax_cross_entropy(z, labels, label_smoothing = 0.2)\n",
            ["z": z, "labels": Tensor(sizes: [2], scalars: labels.map(Double.init))])
        #expect(abs(indices.loss - expected) < 1e-14)
        // The same with the one-hot target, and its gradient (softmax(z) − smoothed target) / rows.
        let hot = Tensor(sizes: [2, 3], scalars: [0, 1, 0, 1, 0, 0])
        let probabilities = try evaluate(
            "input t: [2, 3]\nparam z: [2, 3]\nminimize softmax_cross_entropy(z, t, label_smoothing = 0.2)\n", ["z": z, "t": hot])
        #expect(abs(probabilities.loss - expected) < 1e-14)
        var gradient: [Double] = []
        for (index, row) in rows.enumerated() {
            let total = row.map { exp($0) }.reduce(0, +)
            for (k, value) in row.enumerated() { gradient.append((exp(value) / total - (0.8 * hot.scalars[index * 3 + k] + 0.2 / 3)) / 2) }
        }
        #expect(close(probabilities.gradients["z"]!, gradient))
        #expect(close(indices.gradients["z"]!, gradient))
    }

    /// bench/crosscheck's smallest model of a number target.
    @Test func aNumberTargetBroadcasts() throws {
        let z = Tensor(sizes: [3], scalars: [0.5, -1, 2])
        let bce = try evaluate("param z: [3]\nminimize sigmoid_binary_cross_entropy(z, 1)\n", ["z": z])
        #expect(abs(bce.loss - 0.6380888942471007) < 1e-15)
        #expect(close(bce.gradients["z"]!, [-0.12584689, -0.24368619, -0.03973431], 1e-8))
        let mse = try evaluate("param z: [3]\nminimize mse(z, 0)\n", ["z": z])
        #expect(mse.loss == 1.75)
        #expect(close(mse.gradients["z"]!, z.scalars.map { 2 * $0 / 3 }))
        let probability = try evaluate("param z: [3]\nminimize binary_cross_entropy(sigmoid(z), 1)\n", ["z": z])
        #expect(abs(probability.loss - 0.6380888942471007) < 1e-15)
    }

    @Test func traceDiagonalAndDiag() throws {
        let a = Tensor(sizes: [3, 3], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let v = Tensor(sizes: [3], scalars: [1, -1, 2])
        let result = try evaluate("param A: [3, 3]\nparam v: [3]\nminimize trace(A) + sum(diagonal(A) * v) + sum(diag(v) * A)\n", ["A": a, "v": v])
        // 15 + (1 − 5 + 18) + (1 − 5 + 18)
        #expect(result.loss == 43)
        #expect(result.gradients["A"]! == [3, 0, 0, 0, -1, 0, 0, 0, 5])
        #expect(result.gradients["v"]! == [2, 10, 18])
    }

    @Test func gradientsMatchCentralDifferences() throws {
        let text = """
            dim batch
            input x: [batch, 4]
            input labels: int[batch]
            param W: [4, 4]
            param A: [4, 4]
            param v: [4]
            h = gelu(x @ W) + gelu(x @ A, approximate = 1) + silu(x * v) + elu(x @ W - 0.3, alpha = 0.7)
            g = erf(h) + log1p(square(h)) + expm1(h / 4) + floor(x) * h + round(x) * h + sign(x) * h
            t = trace(A @ transpose(W)) + sum(diagonal(A @ A) * v) + sum(diag(v) @ W)
            minimize softmax_cross_entropy(g, labels, label_smoothing = 0.1) + softmax_cross_entropy(h, softmax(x), label_smoothing = 0.3) + t / 10 + mse(h, 0) + sigmoid_binary_cross_entropy(g, 1)
            """
        let program = try checkedProgram(text)
        let dims = ["batch": 3]
        var bindings = GradientCheck.randomBindings(program, seed: 3, dims: dims)
        var random = TestRandom(state: 7)
        for param in program.params { bindings[param.name] = random.tensor(param.shape.sizes(dims), -1, 1) }
        bindings["labels"] = Tensor(sizes: [3], scalars: [2, 0, 2])
        let reports = GradientCheck.run(ReverseMode.differentiate(program.forwardGraph()), bindings: bindings, dims: dims, seed: 5)
        #expect(reports.count == 3)
        for report in reports {
            #expect(report.passed, "\(report.param): error \(report.worstRelativeError), allowed \(report.allowedRelativeError)")
        }
    }
}
