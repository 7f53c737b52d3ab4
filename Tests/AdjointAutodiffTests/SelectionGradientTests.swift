import AdjointAutodiff
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Foundation
import Testing

/// Version 2's reductions and selection (`max`, `min`, `var`, axis lists, `keepdims`, `argmax`,
/// comparisons, `where`, `clip`, `inf`) differentiated in reverse mode, against extrapolated
/// central differences in double, and their values in the interpreter.
@Suite struct SelectionGradientTests {
    /// Checks every param's gradient at random params and inputs.
    private func gradientsMatch(_ text: String, dims: [String: Int] = ["batch": 3]) throws {
        let program = try checkedProgram(text)
        var bindings = GradientCheck.randomBindings(program, seed: 3, dims: dims)
        var random = TestRandom(state: 11)
        for param in program.params { bindings[param.name] = random.tensor(param.shape.sizes(dims), -1, 1) }
        let reports = GradientCheck.run(ReverseMode.differentiate(program.forwardGraph()), bindings: bindings, dims: dims, seed: 5)
        #expect(reports.count == program.params.count)
        for report in reports {
            #expect(report.passed, "\(report.param): error \(report.worstRelativeError), allowed \(report.allowedRelativeError)")
            #expect(report.scale > GradientCheck.absoluteFloor, "\(report.param): a vanishing gradient checks nothing")
        }
    }

    /// The forward values of a model's named values at given bindings.
    private func values(_ text: String, _ bindings: [String: Tensor], dims: [String: Int] = [:]) throws -> [String: Tensor] {
        let program = try checkedProgram(text)
        let forward = program.forwardGraph()
        let values = Interpreter.evaluate(forward.graph, bindings: bindings, dims: dims)
        var named: [String: Tensor] = [:]
        for root in forward.graph.roots { named[root.name] = values[root.node] }
        return named
    }

    @Test func maxMinAndTheirAxes() throws {
        try gradientsMatch(
            """
            dim batch
            input x: [batch, 4, 3]
            param W: [3, 5]
            h = x @ W
            minimize sum(max(h, axis = 1)) - sum(min(h, axis = [1, 2])) + max(h) * min(h) + sum(max(h, axis = -1, keepdims = true) * h)
            """)
    }

    @Test func sumMeanLogsumexpVarOverAxisLists() throws {
        try gradientsMatch(
            """
            dim batch
            input x: [batch, 4, 3]
            param W: [3, 5]
            param b: [5]
            h = x @ W + b
            a = sum(h, axis = [0, 2]) * mean(h, axis = [1, 2], keepdims = true)[0, 0]
            v = sum(var(h, axis = -1)) + sum(var(h, axis = [0, 1], keepdims = true)[0, 0]) + var(h)
            minimize sum(a * a) + sum(v) + sum(logsumexp(h, axis = [1, 2])) + sum(h - mean(h, axis = -1, keepdims = true))^2
            """)
    }

    @Test func argmaxSelectsWithoutDerivative() throws {
        // argmax has no derivative; the one-hot of it selects the scores of each row's best class.
        try gradientsMatch(
            """
            dim batch
            input x: [batch, 4]
            param W: [4, 3]
            logits = x @ W
            best = one_hot(argmax(logits, axis = 1), 3) * logits + one_hot(argmin(logits, axis = -1), 3) * logits
            minimize sum(best * best) + sum(argmax(W) * W)
            """)
    }

    @Test func comparisonsWhereAndClip() throws {
        try gradientsMatch(
            """
            dim batch
            input x: [batch, 4]
            param W: [4, 3]
            param low = -0.3
            param high: [3]
            h = x @ W
            gate = (h > 0) + (h <= 0.2) * (h != 0) - (h == h) + (h >= -1) * (h < 1)
            c = clip(h, low, high + 0.5)
            minimize sum(gate * h) + sum(where(h > 0, h * 2, x[:, 0:3] * h)) + sum(c * c) + sum(where(x[:, 0:3], c, 1))
            """)
    }

    @Test func maskedSoftmaxWithMinusInfinity() throws {
        try gradientsMatch(
            """
            dim batch
            dim seq = 4
            input x: [batch, seq, 3]
            const causal: [seq, seq] = tril
            param Wq: [3, 3]
            param Wk: [3, 3]
            s = (x @ Wq) @ transpose(x @ Wk, axes = [0, 2, 1])
            att = softmax(where(causal, s, -inf))
            minimize sum(att * s) + sum(where(causal, log_softmax(where(causal, s, -inf)), 0))
            """)
    }

    @Test func reductionValuesFollowNumPy() throws {
        let x = Tensor(sizes: [2, 3], scalars: [1, 5, 5, -2, -2, 0])
        let named = try values(
            """
            input x: [2, 3]
            param w = 1
            mx = max(x, axis = 1)
            mn = min(x, axis = 0)
            am = argmax(x, axis = 1)
            an = argmin(x, axis = -1)
            flat = argmax(x)
            v = var(x, axis = 1)
            k = sum(x, axis = [0, 1], keepdims = true)
            e = (x > 0) + (x == 5)
            output mx, mn, am, an, flat, v, k, e
            minimize w * sum(x)
            """, ["x": x, "w": Tensor(1)])
        #expect(named["mx"]!.scalars == [5, 0])
        #expect(named["mn"]!.scalars == [-2, -2, 0])
        #expect(named["am"]!.scalars == [1, 2], "first index on ties")
        #expect(named["an"]!.scalars == [0, 0], "first index on ties")
        #expect(named["flat"]!.scalars == [1])
        #expect(abs(named["v"]!.scalars[0] - 32.0 / 9) < 1e-12 && abs(named["v"]!.scalars[1] - 8.0 / 9) < 1e-12)
        #expect(named["k"]!.sizes == [1, 1] && named["k"]!.scalars == [7])
        #expect(named["e"]!.scalars == [1, 2, 2, 0, 0, 0])
    }

    @Test func maxSendsTheGradientToTheFirstLargestElement() throws {
        let program = try checkedProgram(
            """
            param w: [2, 3]
            minimize sum(max(w, axis = 1)) + max(w)
            """)
        let gradient = ReverseMode.differentiate(program.forwardGraph())
        let w = Tensor(sizes: [2, 3], scalars: [1, 5, 5, 5, 0, 5])
        let values = Interpreter.evaluate(gradient.graph, bindings: ["w": w], dims: [:])
        // Row maxima at (0, 1) and (1, 0); the overall maximum's first position is (0, 1).
        #expect(values[gradient.gradients.first { $0.param == "w" }!.node]!.scalars == [0, 2, 0, 1, 0, 0])
    }

    @Test func minusInfinityGivesExactZerosInSoftmax() throws {
        let s = Tensor(sizes: [3, 3], scalars: [0.5, 2, -1, 1, 3, 0.25, -4, 2, 1])
        let named = try values(
            """
            const causal: [3, 3] = tril
            input s: [3, 3]
            param w = 1
            att = softmax(where(causal, s * w, -inf))
            m = where(causal, s, -inf)
            output att, m
            minimize w * sum(att)
            """, ["s": s, "w": Tensor(1)])
        let att = named["att"]!.scalars
        #expect(!att.contains { $0.isNaN })
        #expect(att[1] == 0 && att[2] == 0 && att[5] == 0 && att[0] == 1)
        #expect(named["m"]!.scalars[1] == -.infinity && named["m"]!.scalars[3] == 1)
        let program = try checkedProgram(
            """
            const causal: [3, 3] = tril
            input s: [3, 3]
            param w = 1
            minimize sum(softmax(where(causal, s * w, -inf)) * s)
            """)
        let gradient = ReverseMode.differentiate(program.forwardGraph())
        let g = Interpreter.evaluate(gradient.graph, bindings: ["s": s, "w": Tensor(1)], dims: [:])[gradient.gradients.first { $0.param == "w" }!.node]!
        #expect(g.scalar.isFinite)
    }
}
