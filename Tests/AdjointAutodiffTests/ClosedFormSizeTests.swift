import AdjointAutodiff
import AdjointIR
import AdjointSema
import Testing

/// No expression swell: shared subexpressions in closed forms are bound by name, so deep models
/// give formulas whose size grows linearly with depth, not quadratically or exponentially.
@Suite struct ClosedFormSizeTests {
    /// `sin(cos(sin(... x)))`, `depth` calls deep, as one expression.
    static func alternation(_ depth: Int) -> String {
        var expression = "x"
        for level in 0..<depth { expression = (level % 2 == 0 ? "sin(" : "cos(") + expression + ")" }
        return "param x = 0.5\nminimize \(expression)\n"
    }

    /// `depth` layers of `h = tanh(h @ W)` under a mean squared error.
    static func tanhNetwork(_ depth: Int) -> String {
        var lines = ["dim batch", "input x: [batch, 4]", "input y: [batch, 4]"]
        lines += (1...depth).map { "param W\($0): [4, 4]" }
        lines += (1...depth).map { "h\($0) = tanh(\($0 == 1 ? "x" : "h\($0 - 1)") @ W\($0))" }
        lines += ["loss = mse(h\(depth), y)", "minimize loss"]
        return lines.joined(separator: "\n") + "\n"
    }

    static func closedFormSize(_ source: String) throws -> Int {
        let program = try checkedProgram(source)
        return ClosedForms(ReverseMode.differentiate(program.forwardGraph())).size
    }

    @Test func sinCosAlternationStaysLinear() throws {
        let half = try Self.closedFormSize(Self.alternation(25))
        let full = try Self.closedFormSize(Self.alternation(50))
        // Each level adds a binding (v = sin(v')) and a factor of the chain rule: a few nodes.
        #expect(full <= 8 * 50, "size \(full) at depth 50")
        // Linear: doubling the depth at most doubles the size (plus a constant).
        #expect(full <= 2 * half + 10, "size \(half) at depth 25, \(full) at depth 50")
    }

    @Test func tanhNetworkStaysLinear() throws {
        let half = try Self.closedFormSize(Self.tanhNetwork(10))
        let full = try Self.closedFormSize(Self.tanhNetwork(20))
        // Per layer: h = tanh(h W), δ = (δ Wᵀ) ⊙ (1 − h²) and ∂loss/∂W = c hᵀ δ.
        #expect(full <= 30 * 20, "size \(full) for 20 layers")
        #expect(full <= 2 * half + 40, "size \(half) for 10 layers, \(full) for 20")
    }

    /// The closed form of the tanh network reads as backpropagation: every layer's error term is
    /// bound once by name and used twice (for its own weight and for the layer below).
    @Test func tanhNetworkBindsEachErrorTermOnce() throws {
        let program = try checkedProgram(Self.tanhNetwork(20))
        let forms = ClosedForms(ReverseMode.differentiate(program.forwardGraph()))
        #expect(forms.gradients.count == 20)
        let deltas = forms.bindings.filter { $0.name.hasPrefix("δ") }
        #expect(deltas.count == 19)
        let hiddens = forms.bindings.filter { $0.name.hasPrefix("h") }
        #expect(hiddens.count == 20)
    }
}
