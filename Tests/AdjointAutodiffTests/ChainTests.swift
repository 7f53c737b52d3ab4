import AdjointAutodiff
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Foundation
import Testing

/// Flat chains of 10,000 to 100,000 terms: they differentiate, their gradients are the ones
/// worked out by hand, and their graphs stay about log2(n) deep (forward and adjoint), so that
/// no pass that follows operands recursively runs out of stack.
@Suite struct ChainTests {
    /// The longest path from a leaf to any node, counted in nodes (a loop over the topological order).
    static func depth(_ graph: Graph) -> Int {
        var depth = [Int](repeating: 1, count: graph.nodes.count)
        for (index, node) in graph.nodes.enumerated() {
            depth[index] = 1 + (node.operands.map { depth[$0.index] }.max() ?? 0)
        }
        return depth.max() ?? 0
    }

    /// At most the first block, the tree over the blocks and a little for the ops around it.
    static func maxDepth(terms: Int) -> Int { Graph.chainBlock + Int(log2(Double(terms))) + 8 }

    /// The loss and each param's gradient in the interpreter, at the params' declared values.
    static func evaluate(_ program: CheckedProgram, inputs: [String: Tensor] = [:], dims: [String: Int] = [:]) throws
        -> (loss: Double, gradients: [String: Tensor], program: GradientProgram)
    {
        let gradient = ReverseMode.differentiate(program.forwardGraph())
        var bindings = inputs
        for param in program.params {
            guard case .constant(let value) = param.initializer else { throw CancellationError() }
            bindings[param.name] = Tensor(value)
        }
        let values = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: dims)
        let grads = Dictionary(uniqueKeysWithValues: gradient.gradients.map { ($0.param, values[$0.node]!) })
        return (values[gradient.forward.loss]!.scalar, grads, gradient)
    }

    /// `a + a + ... + a`, n terms: the loss is n a and the gradient n, exactly.
    @Test func aSumOfOneParamHasGradientN() throws {
        let terms = 100_000
        let program = try checkedProgram("param a = 0.5\nloss = " + Array(repeating: "a", count: terms).joined(separator: " + ") + "\nminimize loss\n")
        let (loss, gradients, gradient) = try Self.evaluate(program)
        #expect(loss == 0.5 * Double(terms))
        #expect(gradients["a"]?.scalar == Double(terms))
        #expect(Self.depth(gradient.graph) <= Self.maxDepth(terms: terms))
        // Equal blocks are equal nodes: a few per level of the tree, not one per term.
        #expect(gradient.graph.nodes.count < 200, "\(gradient.graph.nodes.count) nodes")
        let closedForms = ClosedForms(gradient)
        #expect(closedForms.gradients.map { FormulaPrinter.print($0.formula) } == ["\(terms)"])
    }

    /// `a + a b - c / a + a b c - a / b + a b - ...`: four kinds of term in turn, after the first
    /// `a`, with `+` and `-` alternating, so a long chain mixes `+ - * /` at two levels.
    @Test func aMixedChainHasItsHandComputedGradient() throws {
        let terms = 20_000
        let operators = [" + ", " - "]
        let products = ["a * b", "c / a", "b * c * a", "a / b"]
        let chain = "a" + (1..<terms).map { operators[$0 % 2] + products[$0 % 4] }.joined()
        let program = try checkedProgram("param a = 0.5\nparam b = 0.25\nparam c = 2\nminimize " + chain + "\n")
        let (loss, gradients, gradient) = try Self.evaluate(program)
        // Counts of each kind among terms 1..<n: term i is products[i % 4], added when i is even.
        let count = (0..<4).map { kind in (1..<terms).filter { $0 % 4 == kind }.count }
        let (a, b, c) = (0.5, 0.25, 2.0)
        let n = count.map(Double.init)
        // loss = a + n0 ab − n1 c/a + n2 abc − n3 a/b
        let expectedLoss = a + n[0] * a * b - n[1] * c / a + n[2] * a * b * c - n[3] * a / b
        // ∂/∂a = 1 + n0 b + n1 c/a² + n2 bc − n3/b;  ∂/∂b = n0 a + n2 ac + n3 a/b²;  ∂/∂c = −n1/a + n2 ab
        let expected = [
            "a": 1 + n[0] * b + n[1] * c / (a * a) + n[2] * b * c - n[3] / b,
            "b": n[0] * a + n[2] * a * c + n[3] * a / (b * b),
            "c": -n[1] / a + n[2] * a * b,
        ]
        #expect(relativeError([loss], [expectedLoss]) < 1e-12)
        for (param, value) in expected {
            #expect(relativeError(gradients[param]?.scalars ?? [], [value]) < 1e-12, "∂/∂\(param)")
        }
        #expect(Self.depth(gradient.graph) <= Self.maxDepth(terms: terms))
        #expect(ClosedForms(gradient).gradients.count == 3)
    }

    /// Distinct terms over a vector input, each using `a`: the adjoint of `a` sums 10,000
    /// contributions, as a balanced tree too, and matches the hand-computed value.
    @Test func aParamUsedInEveryTermGetsABalancedAdjoint() throws {
        let terms = 10_000
        let chain = (1...terms).map { "a * x / \($0)" }.joined(separator: " + ")
        let program = try checkedProgram("dim n\ninput x: [n]\nparam a = 0.5\nminimize sum(" + chain + ")\n")
        let x = Tensor(sizes: [3], scalars: [0.5, -1, 2])
        let (loss, gradients, gradient) = try Self.evaluate(program, inputs: ["x": x], dims: ["n": 3])
        // loss = a Σx H(n), ∂/∂a = Σx H(n) with H the harmonic number.
        let harmonic = (1...terms).reduce(0.0) { $0 + 1 / Double($1) }
        let total = x.scalars.reduce(0, +)
        #expect(relativeError([loss], [0.5 * total * harmonic]) < 1e-10)
        #expect(relativeError(gradients["a"]?.scalars ?? [], [total * harmonic]) < 1e-10)
        #expect(Self.depth(gradient.graph) <= Self.maxDepth(terms: terms))
    }
}
