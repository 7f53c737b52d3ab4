import AdjointAutodiff
import AdjointIR
import AdjointInterpreter
import Testing

/// The stable functions forward and backward at adversarial values: ±1e4 with the largest value
/// first, in the middle and last, ties, and −inf where the result is still defined. Every value
/// and gradient is compared with its exact value worked out by hand (with its finite exactness:
/// no NaN or inf where the exact result is finite).
@Suite struct NumericalStabilityTests {
    /// The loss and its gradient with respect to the param `a`, at `a` and the given inputs.
    static func run(_ body: String, a: [Double], inputs: [String: [Double]] = [:]) throws -> (loss: Double, gradient: [Double]) {
        var text = "param a: [\(a.count)]\n"
        for name in inputs.keys.sorted() { text += "input \(name): [\(inputs[name]!.count)]\n" }
        text += "loss = \(body)\nminimize loss\n"
        let program = try checkedProgram(text)
        let gradient = ReverseMode.differentiate(program.forwardGraph())
        var bindings = ["a": Tensor(sizes: [a.count], scalars: a)]
        for (name, values) in inputs { bindings[name] = Tensor(sizes: [values.count], scalars: values) }
        let values = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: [:])
        return (values[gradient.forward.loss]!.scalar, values[gradient.gradients[0].node]!.scalars)
    }

    /// Every ordering of the three positions.
    static let orders = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]]

    static func permuted(_ values: [Double], _ order: [Int]) -> [Double] { order.map { values[$0] } }

    static func expectClose(_ actual: Double, _ expected: Double, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let close = actual == expected || abs(actual - expected) <= 1e-12 * max(1, abs(expected))
        #expect(close, "\(what): \(actual), expected \(expected)", sourceLocation: sourceLocation)
    }

    static func expectClose(_ actual: [Double], _ expected: [Double], _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(actual.count == expected.count)
        for (index, (x, y)) in zip(actual, expected).enumerated() {
            expectClose(x, y, "\(what)[\(index)]", sourceLocation: sourceLocation)
        }
    }

    /// lse(1e4, 0, −1e4) = 1e4 (the other terms vanish in double); its gradient is softmax = (1, 0, 0).
    @Test(arguments: orders)
    func logsumexpOfExtremes(order: [Int]) throws {
        let (loss, gradient) = try Self.run("logsumexp(a)", a: Self.permuted([1e4, 0, -1e4], order))
        Self.expectClose(loss, 1e4, "value")
        Self.expectClose(gradient, Self.permuted([1, 0, 0], order), "gradient")
    }

    /// Σ c ⊙ softmax(a) with c = (1, 2, 3): softmax = (1, 0, 0), so the value is c₁ and the
    /// gradient s ⊙ (c − Σ c s) is 0. Σ c ⊙ log_softmax(a): log_softmax = (0, −1e4, −2e4) and the
    /// gradient is c − softmax Σ c = (1 − 6, 2, 3).
    @Test(arguments: orders)
    func normalizersOfExtremes(order: [Int]) throws {
        let a = Self.permuted([1e4, 0, -1e4], order)
        let c = Self.permuted([1, 2, 3], order)
        let soft = try Self.run("sum(c * softmax(a))", a: a, inputs: ["c": c])
        Self.expectClose(soft.loss, 1, "softmax value")
        Self.expectClose(soft.gradient, [0, 0, 0], "softmax gradient")
        let log = try Self.run("sum(c * log_softmax(a))", a: a, inputs: ["c": c])
        Self.expectClose(log.loss, -2e4 - 6e4, "log_softmax value")
        Self.expectClose(log.gradient, Self.permuted([-5, 2, 3], order), "log_softmax gradient")
    }

    /// softmax_cross_entropy(z, t) = lse(z) − Σ t z with the fused gradient softmax(z) − t: for
    /// z = (1e4, 0, −1e4), the target on the smallest logit costs 2e4, on the largest 0.
    @Test(arguments: orders)
    func softmaxCrossEntropyOfExtremes(order: [Int]) throws {
        let z = Self.permuted([1e4, 0, -1e4], order)
        let worst = try Self.run("softmax_cross_entropy(a, t)", a: z, inputs: ["t": Self.permuted([0, 0, 1], order)])
        Self.expectClose(worst.loss, 2e4, "loss, target on the smallest")
        Self.expectClose(worst.gradient, Self.permuted([1, 0, -1], order), "gradient, target on the smallest")
        let best = try Self.run("softmax_cross_entropy(a, t)", a: z, inputs: ["t": Self.permuted([1, 0, 0], order)])
        Self.expectClose(best.loss, 0, "loss, target on the largest")
        Self.expectClose(best.gradient, [0, 0, 0], "gradient, target on the largest")
    }

    /// Ties at ±1e4: lse = 1e4 + log 3 and softmax = 1/3 each; −inf entries drop out exactly.
    @Test func tiesAndMinusInfinity() throws {
        let tie = try Self.run("logsumexp(a)", a: [1e4, 1e4, 1e4])
        Self.expectClose(tie.loss, 1e4 + 1.0986122886681098, "lse of a tie")
        Self.expectClose(tie.gradient, [1.0 / 3, 1.0 / 3, 1.0 / 3], "softmax of a tie")
        let low = try Self.run("logsumexp(a)", a: [-1e4, -1e4])
        Self.expectClose(low.loss, -1e4 + 0.6931471805599453, "lse of −1e4, −1e4")
        let masked = try Self.run("logsumexp(a)", a: [-.infinity, 0, 0])
        Self.expectClose(masked.loss, 0.6931471805599453, "lse with −inf")
        Self.expectClose(masked.gradient, [0, 0.5, 0.5], "gradient with −inf")
        let logSoftmax = Op.normalizer(.logSoftmax, axis: 0).evaluate([Tensor(sizes: [3], scalars: [-.infinity, 0, 0])], dims: [:])
        Self.expectClose(logSoftmax.scalars, [-.infinity, -0.6931471805599453, -0.6931471805599453], "log_softmax with −inf")
        let softmax = try Self.run("sum(c * softmax(a))", a: [-.infinity, 0, 0], inputs: ["c": [5, 1, 3]])
        Self.expectClose(softmax.loss, 2, "softmax with −inf")
        Self.expectClose(softmax.gradient, [0, -0.5, 0.5], "softmax gradient with −inf")
        // A masked logit (−inf) with target 0 contributes nothing, not 0 · ∞.
        let crossEntropy = try Self.run("softmax_cross_entropy(a, t)", a: [-.infinity, 0, 0], inputs: ["t": [0, 1, 0]])
        Self.expectClose(crossEntropy.loss, 0.6931471805599453, "cross-entropy with a masked logit")
        Self.expectClose(crossEntropy.gradient, [0, -0.5, 0.5], "its gradient")
    }

    /// sigmoid, softplus and tanh saturate without overflow; their derivatives go to exactly 0.
    @Test func saturatingElementwiseFunctions() throws {
        let sigmoid = try Self.run("sum(sigmoid(a))", a: [1e4, -1e4, .infinity, -.infinity, 0])
        Self.expectClose(sigmoid.loss, 2.5, "Σ sigmoid")
        Self.expectClose(sigmoid.gradient, [0, 0, 0, 0, 0.25], "sigmoid'")
        let softplus = try Self.run("sum(softplus(a))", a: [1e4, -1e4, -.infinity, 0])
        Self.expectClose(softplus.loss, 1e4 + 0.6931471805599453, "Σ softplus")
        Self.expectClose(softplus.gradient, [1, 0, 0, 0.5], "softplus'")
        let tanh = try Self.run("sum(tanh(a))", a: [1e4, -1e4, .infinity, -.infinity, 0])
        Self.expectClose(tanh.loss, 0, "Σ tanh")
        Self.expectClose(tanh.gradient, [0, 0, 0, 0, 1], "tanh'")
    }

    /// sigmoid_binary_cross_entropy(z, t) = mean(softplus(z) − t z): 0 where the logit is right
    /// however large, |z| where it is wrong; gradient (σ(z) − t)/N. At ±inf with the right label the
    /// loss is still exactly 0.
    @Test func sigmoidBinaryCrossEntropyOfExtremes() throws {
        let finite = try Self.run("sigmoid_binary_cross_entropy(a, t)", a: [1e4, -1e4, 1e4, -1e4], inputs: ["t": [1, 0, 0, 1]])
        Self.expectClose(finite.loss, 5e3, "loss")
        Self.expectClose(finite.gradient, [0, 0, 0.25, -0.25], "gradient")
        let infinite = try Self.run("sigmoid_binary_cross_entropy(a, t)", a: [.infinity, -.infinity], inputs: ["t": [1, 0]])
        Self.expectClose(infinite.loss, 0, "loss at ±inf, labels right")
        Self.expectClose(infinite.gradient, [0, 0], "gradient at ±inf")
        // The same through binary_cross_entropy(sigmoid(z)), which the simplifier makes stable.
        let composed = try Self.run("binary_cross_entropy(sigmoid(a), t)", a: [1e4, -1e4, 1e4, -1e4], inputs: ["t": [1, 0, 0, 1]])
        Self.expectClose(composed.loss, 5e3, "bce(sigmoid) loss")
        Self.expectClose(composed.gradient, [0, 0, 0.25, -0.25], "bce(sigmoid) gradient")
    }

    /// Probability losses at certain predictions: 0 log 0 = 0, so a certain, right prediction
    /// costs exactly 0 rather than NaN.
    @Test func certainPredictionsCostNothing() {
        let crossEntropy = Op.loss(.crossEntropy).evaluate(
            [Tensor(sizes: [2, 3], scalars: [1, 0, 0, 0, 0, 1]), Tensor(sizes: [2, 3], scalars: [1, 0, 0, 0, 0, 1])], dims: [:])
        Self.expectClose(crossEntropy.scalar, 0, "cross_entropy of certain, right rows")
        let binary = Op.loss(.binaryCrossEntropy).evaluate(
            [Tensor(sizes: [3], scalars: [1, 0, 0.5]), Tensor(sizes: [3], scalars: [1, 0, 1])], dims: [:])
        Self.expectClose(binary.scalar, 0.6931471805599453 / 3, "binary_cross_entropy with certain, right predictions")
    }
}
