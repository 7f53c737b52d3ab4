import AdjointAutodiff
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Testing

/// One batched product or permutation under test: the op, its operand shapes (runtime dims by
/// name) and the sizes those dims take.
struct BatchedCase: CustomTestStringConvertible, Sendable {
    var op: Op
    var shapes: [Shape]
    var dims: [String: Int] = [:]
    var testDescription: String { "\(op) on \(shapes.map(\.description).joined(separator: ", ")) \(dims)" }
}

private func fixed(_ sizes: Int...) -> Shape { Shape(sizes.map(Dim.fixed)) }
private let batch = Dim.runtime("batch")
private let other = Dim.runtime("other")

/// NumPy's broadcasting of batch axes, vectors on either side, runtime batch dims, and
/// permutations of every rank.
let batchedCases: [BatchedCase] = [
    BatchedCase(op: .linearAlgebra(.matmul), shapes: [fixed(2, 3, 4, 5), fixed(2, 3, 5, 4)]),
    BatchedCase(op: .linearAlgebra(.matmul), shapes: [fixed(2, 3, 4), fixed(4, 5)]),
    BatchedCase(op: .linearAlgebra(.matmul), shapes: [fixed(4), fixed(2, 4, 5)]),
    BatchedCase(op: .linearAlgebra(.matmul), shapes: [fixed(2, 3, 4), fixed(4)]),
    BatchedCase(op: .linearAlgebra(.matmul), shapes: [fixed(3, 4), fixed(2, 4, 5)]),
    BatchedCase(op: .linearAlgebra(.matmul), shapes: [fixed(2, 1, 3, 4), fixed(1, 2, 4, 3)]),
    BatchedCase(op: .linearAlgebra(.matmul), shapes: [fixed(2, 3, 4), fixed(2, 1, 4, 2)]),
    BatchedCase(op: .linearAlgebra(.matmul), shapes: [Shape([batch, .fixed(3), .fixed(4)]), fixed(4, 2)], dims: ["batch": 3]),
    BatchedCase(
        op: .linearAlgebra(.matmul), shapes: [Shape([batch, .fixed(3), .fixed(4)]), Shape([batch, .fixed(4), .fixed(2)])], dims: ["batch": 2]),
    BatchedCase(
        op: .linearAlgebra(.matmul), shapes: [Shape([batch, .fixed(1), .fixed(3), .fixed(4)]), Shape([.fixed(2), .fixed(4), .fixed(2)])],
        dims: ["batch": 2]),
    BatchedCase(op: .linearAlgebra(.transpose(axes: [0, 2, 1])), shapes: [fixed(2, 3, 4)]),
    BatchedCase(op: .linearAlgebra(.transpose(axes: [2, 1, 0])), shapes: [fixed(2, 3, 4)]),
    BatchedCase(op: .linearAlgebra(.transpose(axes: [1, 3, 0, 2])), shapes: [fixed(2, 3, 4, 5)]),
    BatchedCase(op: .linearAlgebra(.transpose(axes: [0])), shapes: [fixed(3)]),
    BatchedCase(op: .linearAlgebra(.transpose(axes: [])), shapes: [.scalar]),
    BatchedCase(op: .linearAlgebra(.transpose(axes: [1, 0, 2])), shapes: [Shape([batch, .fixed(3), .fixed(2)])], dims: ["batch": 2]),
]

@Suite struct BatchedMatmulGradientTests {
    /// L = Σ v ⊙ op(p0, p1) for a fixed random v, so ∇L = Jᵀ v; every operand a param.
    private func probe(_ testCase: BatchedCase) -> GradientProgram {
        var graph = Graph()
        let operands = testCase.shapes.enumerated().map { index, shape in graph.add(.leaf(.param("p\(index)", shape)), []) }
        let y = graph.add(testCase.op, operands)
        let v = graph.add(.leaf(.input("v", graph[y].shape)), [])
        let loss = graph.reduce(.sum, graph.times(v, y), axis: nil)
        graph.roots = [Graph.Root(name: "L", node: loss)]
        let forward = ForwardGraph(
            graph: graph, params: operands.enumerated().map { ("p\($0.offset)", $0.element) }, inputs: [("v", v)],
            loss: loss, valueNames: [:])
        return ReverseMode.differentiate(forward)
    }

    /// Reverse mode against central differences in double, element by element for every operand.
    @Test(arguments: batchedCases)
    func reverseModeMatchesCentralDifferences(testCase: BatchedCase) throws {
        let program = probe(testCase)
        #expect(program.graph.verify().isEmpty)
        var random = TestRandom(state: 7)
        let outputSizes = try testCase.op.resultShape(testCase.shapes).get().sizes(testCase.dims)
        var bindings: [String: Tensor] = ["v": random.tensor(outputSizes, -1, 1)]
        for (index, shape) in testCase.shapes.enumerated() { bindings["p\(index)"] = random.tensor(shape.sizes(testCase.dims), -2, 2) }
        let reverse = Interpreter.roots(program.graph, bindings: bindings, dims: testCase.dims)
        func loss(_ bindings: [String: Tensor]) -> Double {
            Interpreter.roots(program.forward.graph, bindings: bindings, dims: testCase.dims)["L"]!.scalar
        }
        let h = 1e-6
        for index in testCase.shapes.indices {
            let name = "p\(index)"
            let gradient = try #require(reverse["∂L/∂\(name)"])
            #expect(gradient.sizes == bindings[name]!.sizes)
            var differences: [Double] = []
            for element in 0..<bindings[name]!.count {
                var (plus, minus) = (bindings, bindings)
                plus[name]!.scalars[element] += h
                minus[name]!.scalars[element] -= h
                differences.append((loss(plus) - loss(minus)) / (2 * h))
            }
            #expect(relativeError(gradient.scalars, differences) <= 1e-6, "\(name): reverse \(gradient.scalars), differences \(differences)")
        }
    }

    /// By hand: A[2, 1, 2] = ([[1, 2]], [[3, 4]]), B = [[1, 2], [3, 4]] shared by both batch
    /// elements. C = A @ B = ([[7, 10]], [[15, 22]]); for L = Σ C, ∂L/∂A[b] = 1 Bᵀ = [[3, 7]]
    /// and ∂L/∂B = Σ_b A[b]ᵀ 1 = [[4, 4], [6, 6]].
    @Test func aSmallBatchedProductByHand() throws {
        let program = try checkedProgram(
            """
            param A: [2, 1, 2]
            param B: [2, 2]
            C = A @ B
            loss = sum(C)
            output C
            minimize loss using sgd(lr = 0.1)
            """)
        let forward = program.forwardGraph()
        let gradient = ReverseMode.differentiate(forward)
        let bindings = ["A": Tensor(sizes: [2, 1, 2], scalars: [1, 2, 3, 4]), "B": Tensor(sizes: [2, 2], scalars: [1, 2, 3, 4])]
        let values = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: [:])
        let c = Interpreter.evaluate(forward.graph, bindings: bindings, dims: [:])[forward.graph.root("C")!]!
        #expect(c == Tensor(sizes: [2, 1, 2], scalars: [7, 10, 15, 22]))
        #expect(values[forward.loss]!.scalar == 54)
        #expect(values[gradient.gradients.first { $0.0 == "A" }!.1]! == Tensor(sizes: [2, 1, 2], scalars: [3, 7, 3, 7]))
        #expect(values[gradient.gradients.first { $0.0 == "B" }!.1]! == Tensor(sizes: [2, 2], scalars: [4, 4, 6, 6]))
    }

    /// `transpose(x)` of any rank from a model file reverses the axes, and its gradient is the
    /// reverse permutation (its own inverse).
    @Test func transposeOfAnyRankFromAModelFile() throws {
        let program = try checkedProgram(
            """
            param T: [2, 3, 4]
            param s = 2
            U = transpose(T)
            loss = sum(U * U) + transpose(s)
            output U
            minimize loss using sgd(lr = 0.1)
            """)
        let forward = program.forwardGraph()
        let u = forward.graph.root("U")!
        #expect(forward.graph[u].op == .linearAlgebra(.transpose(axes: [2, 1, 0])))
        #expect(forward.graph[u].shape == fixed(4, 3, 2))
        let gradient = ReverseMode.differentiate(forward)
        let t = Tensor(sizes: [2, 3, 4], scalars: (0..<24).map(Double.init))
        let values = Interpreter.evaluate(gradient.graph, bindings: ["T": t, "s": Tensor(2)], dims: [:])
        #expect(values[gradient.gradients.first { $0.0 == "T" }!.1]! == Tensor(sizes: [2, 3, 4], scalars: t.scalars.map { 2 * $0 }))
        let transposed = Interpreter.evaluate(forward.graph, bindings: ["T": t, "s": Tensor(2)], dims: [:])[u]!
        // U[k, j, i] = T[i, j, k]
        #expect(transposed.scalars[(3 * 3 + 2) * 2 + 1] == t.scalars[(1 * 3 + 2) * 4 + 3])
    }
}
