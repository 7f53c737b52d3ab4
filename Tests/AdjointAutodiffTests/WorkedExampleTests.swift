import AdjointAutodiff
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Foundation
import Testing

/// The textbook examples, with gradients worked out by hand.
@Suite struct WorkedExampleTests {
    private func lossAndGradients(_ text: String) throws -> (Double, [String: Double]) {
        let program = try checkedProgram(text)
        let gradient = ReverseMode.differentiate(program.forwardGraph())
        var bindings: [String: Tensor] = [:]
        for param in program.params {
            guard case .constant(let value) = param.initializer else { throw CancellationError() }
            bindings[param.name] = Tensor(value)
        }
        let values = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: [:])
        let grads = Dictionary(uniqueKeysWithValues: gradient.gradients.map { ($0.param, values[$0.node]!.scalar) })
        return (values[gradient.forward.loss]!.scalar, grads)
    }

    @Test func backpropagationExample() throws {
        // f = (x + y) z = 3 · −4 = −12; loss = (−10 − f)² = 4;
        // ∂loss/∂f = −2(target − f) = −4; ∂f/∂x = ∂f/∂y = z = −4, ∂f/∂z = x + y = 3.
        let (loss, gradients) = try lossAndGradients(
            """
            param x = -2
            param y = 5
            param z = -4
            const target = -10
            f = (x + y) * z
            loss = (target - f)^2
            minimize loss using sgd(lr = 0.01)
            """)
        #expect(loss == 4)
        #expect(gradients == ["x": 16, "y": 16, "z": -12])
    }

    @Test func applesAndOranges() throws {
        // price = (2 · 100 + 3 · 150) · 1.1 = 715; ∂/∂apple = count · tax, ∂/∂count = price · tax,
        // ∂/∂tax = 2 · 100 + 3 · 150 = 650.
        let (price, gradients) = try lossAndGradients(
            """
            param apple = 100
            param apples = 2
            param orange = 150
            param oranges = 3
            param tax = 1.1
            price = (apple * apples + orange * oranges) * tax
            minimize price
            """)
        #expect(abs(price - 715) < 1e-12)
        let expected: [String: Double] = ["apple": 2.2, "apples": 110, "orange": 3.3, "oranges": 165, "tax": 650]
        for (name, value) in expected {
            #expect(abs(gradients[name]! - value) < 1e-12, "\(name)")
        }
    }

    @Test func linearRegressionByHand() throws {
        // loss = mean((a x + b − y)²); ∂/∂a = (2/n) Σ (a x + b − y) x, ∂/∂b = (2/n) Σ (a x + b − y).
        let program = try checkedProgram(
            """
            dim n
            input x: [n]
            input y: [n]
            param a = 0.5
            param b = -1
            loss = mse(a * x + b, y)
            minimize loss
            """)
        let gradient = ReverseMode.differentiate(program.forwardGraph())
        let x = [1.0, 2, 3], y = [2.0, 2.5, 5]
        let values = Interpreter.roots(
            gradient.graph,
            bindings: ["a": Tensor(0.5), "b": Tensor(-1), "x": Tensor(sizes: [3], scalars: x), "y": Tensor(sizes: [3], scalars: y)],
            dims: ["n": 3])
        let residuals = zip(x, y).map { 0.5 * $0 - 1 - $1 }  // −2.5, −2.5, −4.5
        #expect(abs(values["loss"]!.scalar - residuals.map { $0 * $0 }.reduce(0, +) / 3) < 1e-12)
        #expect(abs(values["∂loss/∂a"]!.scalar - 2.0 / 3 * zip(residuals, x).map(*).reduce(0, +)) < 1e-12)
        #expect(abs(values["∂loss/∂b"]!.scalar - 2.0 / 3 * residuals.reduce(0, +)) < 1e-12)
    }

    @Test func softmaxCrossEntropyGradientIsSoftmaxMinusTargetOverRows() throws {
        let program = try checkedProgram(
            """
            input y: [2, 3]
            param z: [2, 3] = 0
            loss = softmax_cross_entropy(z, y)
            minimize loss
            """)
        let gradient = ReverseMode.differentiate(program.forwardGraph())
        let z = Tensor(sizes: [2, 3], scalars: [1, 2, 3, 1e4, -1e4, 0])
        let y = Tensor(sizes: [2, 3], scalars: [0, 0, 1, 1, 0, 0])
        let values = Interpreter.roots(gradient.graph, bindings: ["z": z, "y": y], dims: [:])
        let e = [exp(1.0 - 3), exp(2.0 - 3), 1]
        let softmax0 = e.map { $0 / e.reduce(0, +) }
        // Row 0: (softmax − y)/2; row 1 is saturated: softmax = (1, 0, 0) = y, so zero.
        let expected = [softmax0[0] / 2, softmax0[1] / 2, (softmax0[2] - 1) / 2, 0, 0, 0]
        #expect(relativeError(values["∂loss/∂z"]!.scalars, expected) < 1e-14)
        #expect(values["loss"]!.scalar.isFinite)
        #expect(abs(values["loss"]!.scalar - (-log(softmax0[2]) / 2)) < 1e-12)
    }
}
