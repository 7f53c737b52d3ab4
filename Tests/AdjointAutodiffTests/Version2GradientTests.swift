import AdjointAutodiff
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Foundation
import Testing

/// Small models written with version 2's constructs, checked by the checker and differentiated in
/// reverse mode, against extrapolated central differences in double (`GradientCheck`) with the
/// integer inputs held fixed at valid ids.
@Suite struct Version2GradientTests {
    /// Checks every param's gradient at random params (not their initial values: zero biases would
    /// hide mistakes) and random float inputs, with `ints` bound as given.
    private func gradientsMatch(_ text: String, dims: [String: Int] = ["batch": 3], ints: [String: Tensor] = [:]) throws {
        let program = try checkedProgram(text)
        var bindings = GradientCheck.randomBindings(program, seed: 3, dims: dims)
        var random = TestRandom(state: 11)
        for param in program.params { bindings[param.name] = random.tensor(param.shape.sizes(dims), -1, 1) }
        for (name, value) in ints { bindings[name] = value }
        #expect(Interpreter.badId(program.forwardGraph().graph, values: Interpreter.evaluate(program.forwardGraph().graph, bindings: bindings, dims: dims), dims: dims) == nil)
        let reports = GradientCheck.run(ReverseMode.differentiate(program.forwardGraph()), bindings: bindings, dims: dims, seed: 5)
        #expect(reports.count == program.params.count)
        for report in reports {
            #expect(report.passed, "\(report.param): error \(report.worstRelativeError), allowed \(report.allowedRelativeError)")
            #expect(report.scale > GradientCheck.absoluteFloor, "\(report.param): a vanishing gradient checks nothing")
        }
    }

    private func ints(_ sizes: [Int], _ values: [Int]) -> Tensor { Tensor(sizes: sizes, scalars: values.map(Double.init)) }

    @Test func embeddingBag() throws {
        try gradientsMatch(
            """
            dim batch
            dim seq = 4
            dim vocab = 6
            input tokens: int[batch, seq]
            input y: [batch, 3]
            param E: [vocab, 5]
            param W: [5, 3]
            h = mean(E[tokens], axis = 1) @ W
            minimize mse(h, y) + sum(take(W, tokens[0, 2:4], axis = 1))
            """, ints: ["tokens": ints([3, 4], [1, 5, 1, 0, 2, 2, 2, 3, 5, 4, 1, 0])])
    }

    @Test func classIndexLossesAndPick() throws {
        try gradientsMatch(
            """
            dim batch
            input x: [batch, 4]
            input labels: int[batch]
            param W: [4, 3]
            param b: [3]
            logits = x @ W + b
            ce = softmax_cross_entropy(logits, labels)
            p = cross_entropy(softmax(logits), labels)
            margin = mean(pick(logits, labels)) + mean(labels * b[0]) + sum(one_hot(labels, 3) * logits)
            minimize ce + 0.5 * p - 0.1 * margin
            """, ints: ["labels": ints([3], [2, 0, 2])])
    }

    /// PyTorch's `cross_entropy(logits, labels)` at a point worked by hand: rows [0, ln 2] and
    /// [ln 3, 0] with classes 1 and 0.
    @Test func classIndexLossValue() throws {
        let program = try checkedProgram(
            "input labels: int[2]\nparam z: [2, 2]\nminimize softmax_cross_entropy(z, labels)\n")
        let z = Tensor(sizes: [2, 2], scalars: [0, log(2), log(3), 0])
        let graph = program.forwardGraph()
        let loss = Interpreter.evaluate(graph.graph, bindings: ["z": z, "labels": ints([2], [1, 0])], dims: [:])[graph.loss]!.scalar
        // Row 1: logsumexp = ln 3, picked ln 2; row 2: logsumexp = ln 4, picked ln 3.
        let expected: Double = ((log(3.0) - log(2.0)) + (log(4.0) - log(3.0))) / 2
        #expect(abs(loss - expected) < 1e-12)
    }

    @Test func slicesAndChainedIndexes() throws {
        try gradientsMatch(
            """
            dim batch
            dim n = 5
            input x: [batch, 4]
            param W: [4, n]
            param v: [6]
            h = tanh(x @ W)
            a = h[:, 1:4] * v[::2]
            b = h[..., -1] + h[0][-2] + h[-1, 0]
            c = W[1:][0] * v[-5:]
            minimize sum(a) + sum(square(b)) + sum(c * W[-1, ::1]) + v[5] * h[0, -n]
            """)
    }

    @Test func concatAndStack() throws {
        try gradientsMatch(
            """
            dim batch
            input x: [batch, 3]
            param A: [3, 2]
            param B: [3, 4]
            param u: [2]
            param w: [2]
            h = concat([x @ A, x @ B, x], axis = 1)
            s = stack([u, w, u * w], axis = 1)
            t = stack([u, w])
            minimize sum(square(h)) + sum(s @ concat([u, w[0:1]])) + sum(t * s[:, 0:2])
            """)
    }

    @Test func reshapeFlattenExpandAndSqueeze() throws {
        try gradientsMatch(
            """
            dim batch
            input images: [batch, 2, 3]
            param W: [6, 4]
            param V: [2, 3]
            param c: [4]
            h = flatten(images * V) @ W
            g = reshape(images * V, [batch, -1]) @ W
            k = squeeze(expand_dims(c, axis = 0), axis = 0) + reshape(W, [2, 3, 4])[1, 2]
            e = expand_dims(c, axis = -1) * transpose(W)
            minimize sum(square(h - g + k)) + sum(tanh(e)) + sum(reshape(V, [3, 2])[0])
            """)
    }

    @Test func tensorConstantsAsMasks() throws {
        try gradientsMatch(
            """
            dim seq = 3
            input x: [seq, 4]
            param Wq: [4, 2]
            param Wk: [4, 2]
            const causal: [seq, seq] = tril
            const M: [4, 2] = [[1, -1], [0.5, 2], [0, 1], [3, 0.25]]
            const I: [2, 2] = eye
            scores = (x @ Wq) @ transpose(x @ Wk)
            minimize sum(square(scores * causal)) + sum(M * Wq) + sum(Wk @ I * 0.5)
            """)
    }

    @Test func dimsAsValues() throws {
        try gradientsMatch(
            """
            dim batch
            dim hidden = 3
            input x: [batch, hidden]
            param w: [hidden]
            e = square(x * w - 1)
            minimize sum(e) / batch + hidden * sum(w * w) / (batch * hidden)
            """, dims: ["batch": 4])
        // The runtime size is read when the program runs.
        let program = try checkedProgram("dim batch\ninput x: [batch]\nparam w = 2\nminimize w * batch + sum(x) * 0\n")
        let graph = program.forwardGraph()
        let value = Interpreter.evaluate(graph.graph, bindings: ["w": Tensor(2), "x": Tensor(sizes: [5], scalars: [1, 1, 1, 1, 1])], dims: ["batch": 5])[graph.loss]!
        #expect(value.scalar == 10)
    }
}
