import AdjointAutodiff
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Testing

/// One op under test: operand shapes and the interval each operand's values are drawn from.
struct OpCase: CustomTestStringConvertible, Sendable {
    var op: Op
    var shapes: [[Int]]
    var domains: [ClosedRange<Double>]
    /// Operands drawn as distributions: each row along the last axis scaled to sum to 1 (the
    /// targets of softmax_cross_entropy, whose fused gradient assumes it).
    var distributions: Set<Int>

    init(_ op: Op, _ shapes: [[Int]], _ domains: [ClosedRange<Double>]? = nil, distributions: Set<Int> = []) {
        self.op = op
        self.shapes = shapes
        self.domains = domains ?? shapes.map { _ in -2...2 }
        self.distributions = distributions
    }

    var testDescription: String { "\(op) on \(shapes)" }
}

private let positive: ClosedRange<Double> = 0.3...2
private let probability: ClosedRange<Double> = 0.1...0.9
private let matrix = [[2, 3]]

/// Every op of the op table, at shapes that exercise broadcasting and each axis.
let allOpCases: [OpCase] = {
    var cases: [OpCase] = []
    let unary: [Elementwise] = [.negate, .exp, .abs, .square, .sin, .cos, .tanh, .sigmoid, .relu, .softplus, .leakyRelu(slope: 0.1), .step, .sign]
    cases += unary.map { OpCase(.elementwise($0), matrix) }
    cases += [Elementwise.log, .sqrt].map { OpCase(.elementwise($0), matrix, [positive]) }
    // Version 2's functions (floor and round, piecewise constant, have no derivative: 0).
    let version2: [Elementwise] = [
        .erf, .gelu(approximate: false), .gelu(approximate: true), .silu, .elu(alpha: 1), .elu(alpha: 0.3), .expm1, .floor, .round,
    ]
    cases += version2.map { OpCase(.elementwise($0), matrix, [-3...3]) }
    cases.append(OpCase(.elementwise(.log1p), matrix, [-0.7...2]))
    for op in [Arithmetic.add, .subtract, .multiply, .maximum, .minimum, .greaterEqual] {
        cases.append(OpCase(.arithmetic(op), [[2, 3], [2, 3]]))
        cases.append(OpCase(.arithmetic(op), [[2, 3], [3]]))
        cases.append(OpCase(.arithmetic(op), [[2, 1], [1, 3]]))
        cases.append(OpCase(.arithmetic(op), [[], [2, 3]]))
    }
    cases.append(OpCase(.arithmetic(.divide), [[2, 3], [3]], [-2...2, positive]))
    cases.append(OpCase(.arithmetic(.divide), [[], [2, 3]], [-2...2, positive]))
    cases.append(OpCase(.arithmetic(.power), [[2, 3], [2, 3]], [positive, -2...2]))
    cases.append(OpCase(.arithmetic(.power), [[2, 3], []], [positive, -2...2]))
    for op in [Reduction.sum, .mean, .logsumexp] {
        for axis in [nil, 0, 1] as [Int?] { cases.append(OpCase(.reduction(op, axis: axis), [[3, 4]])) }
        cases.append(OpCase(.reduction(op, axis: 1), [[2, 3, 2]]))
        cases.append(OpCase(.reduction(op, axis: 0), [[5]]))
    }
    for op in [Normalizer.softmax, .logSoftmax] {
        for axis in [0, 1] { cases.append(OpCase(.normalizer(op, axis: axis), [[3, 4]])) }
        cases.append(OpCase(.normalizer(op, axis: 1), [[2, 3, 2]]))
    }
    cases += [
        OpCase(.linearAlgebra(.matmul), [[2, 3], [3, 4]]), OpCase(.linearAlgebra(.matmul), [[2, 3], [3]]),
        OpCase(.linearAlgebra(.matmul), [[3], [3, 4]]), OpCase(.linearAlgebra(.matmul), [[3], [3]]),
        OpCase(.linearAlgebra(.transpose(axes: [1, 0])), [[2, 3]]),
        OpCase(.linearAlgebra(.diagonal), [[3, 3]]), OpCase(.linearAlgebra(.diag), [[3]]),
    ]
    cases += [Loss.mse, .sse, .sigmoidBinaryCrossEntropy, .huber(delta: 0.5)].map {
        OpCase(.loss($0), [[2, 3], [2, 3]], [-2...2, probability])
    }
    cases.append(OpCase(.loss(.softmaxCrossEntropy), [[2, 3], [2, 3]], [-2...2, probability], distributions: [1]))
    cases.append(OpCase(.loss(.softmaxCrossEntropy), [[4], [4]], [-2...2, probability], distributions: [1]))
    cases.append(OpCase(.loss(.crossEntropy), [[2, 3], [2, 3]], [probability, probability]))
    cases.append(OpCase(.loss(.binaryCrossEntropy), [[2, 3], [2, 3]], [probability, probability]))
    cases += [
        OpCase(.structural(.broadcast([.fixed(4), .fixed(2), .fixed(3)])), [[2, 1]]),
        OpCase(.structural(.sumTo([.fixed(3)])), [[2, 3]]), OpCase(.structural(.sumTo([.fixed(2), .fixed(1)])), [[2, 3]]),
        OpCase(.structural(.reshape([.fixed(3), .fixed(2)])), [[2, 3]]),
    ]
    // Selection by position without ids (those with ids are in IndexingTests).
    let strided: [AxisSlice] = [.index(1), AxisSlice(start: 0, step: 2, count: .fixed(2))]
    cases += [
        OpCase(.indexing(.slice(strided)), [[3, 4]]),
        OpCase(.indexing(.unslice(strided, [.fixed(3), .fixed(4)])), [[2]]),
        OpCase(.indexing(.concat(axis: 1, count: 3)), [[2, 1], [2, 3], [2, 2]]),
        OpCase(.indexing(.concat(axis: 0, count: 2)), [[1, 3], [2, 3]]),
    ]
    return cases
}()

@Suite struct OpGradientTests {
    /// L(a, b) = Σ v ⊙ op(a, b) for a fixed random v, so ∇L = Jᵀ v.
    private func probe(_ testCase: OpCase) -> (program: GradientProgram, outputSizes: [Int]) {
        var graph = Graph()
        let operands = testCase.shapes.enumerated().map { index, sizes in
            graph.add(.leaf(.param("p\(index)", Shape(sizes.map { Dim.fixed($0) }))), [])
        }
        let y = graph.addRaw(testCase.op, operands)
        let v = graph.add(.leaf(.input("v", graph[y].shape)), [])
        let loss = graph.reduce(.sum, graph.times(v, y), axis: nil)
        graph.roots = [Graph.Root(name: "L", node: loss)]
        let forward = ForwardGraph(
            graph: graph, params: operands.enumerated().map { ("p\($0.offset)", $0.element) }, inputs: [("v", v)],
            loss: loss, valueNames: [:])
        let outputSizes = graph[y].shape.dims.map { if case .fixed(let size) = $0 { size } else { 0 } }
        return (ReverseMode.differentiate(forward), outputSizes)
    }

    @Test(arguments: allOpCases)
    func reverseModeMatchesCentralDifferences(testCase: OpCase) {
        let (program, outputSizes) = probe(testCase)
        var random = TestRandom(state: 42)
        var bindings: [String: Tensor] = ["v": random.tensor(outputSizes, -1, 1)]
        for (index, sizes) in testCase.shapes.enumerated() {
            var tensor = random.tensor(sizes, testCase.domains[index].lowerBound, testCase.domains[index].upperBound)
            if testCase.distributions.contains(index) { tensor = normalizingRows(tensor) }
            bindings["p\(index)"] = tensor
        }
        let reverse = Interpreter.roots(program.graph, bindings: bindings, dims: [:])
        func loss(_ bindings: [String: Tensor]) -> Double {
            Interpreter.roots(program.forward.graph, bindings: bindings, dims: [:])["L"]!.scalar
        }
        let h = 1e-6
        var directional = 0.0  // <v, J u> by central differences along a random direction u
        var adjointDot = 0.0  // <Jᵀ v, u> from reverse mode
        var shifted = bindings
        for (index, _) in testCase.shapes.enumerated() {
            let name = "p\(index)"
            let gradient = reverse["∂L/∂\(name)"]!
            let point = bindings[name]!
            var differences: [Double] = []
            for element in 0..<point.count {
                var plus = bindings
                var minus = bindings
                plus[name]!.scalars[element] += h
                minus[name]!.scalars[element] -= h
                differences.append((loss(plus) - loss(minus)) / (2 * h))
            }
            #expect(relativeError(gradient.scalars, differences) <= 1e-6, "\(name): reverse \(gradient.scalars), differences \(differences)")
            let u = random.tensor(point.sizes, -1, 1)
            adjointDot += dot(gradient, u)
            shifted[name] = u
        }
        var plus = bindings
        var minus = bindings
        for index in testCase.shapes.indices {
            let name = "p\(index)"
            plus[name]!.scalars = zip(bindings[name]!.scalars, shifted[name]!.scalars).map { $0 + h * $1 }
            minus[name]!.scalars = zip(bindings[name]!.scalars, shifted[name]!.scalars).map { $0 - h * $1 }
        }
        directional = (loss(plus) - loss(minus)) / (2 * h)
        #expect(abs(directional - adjointDot) <= 1e-6 * max(1, abs(adjointDot)), "<v, J u> = \(directional), <Jᵀ v, u> = \(adjointDot)")
    }

    @Test func everyOpFamilyIsCovered() {
        var families = Set<String>()
        for testCase in allOpCases {
            switch testCase.op {
            case .elementwise(let op): families.insert("elementwise.\(op.name)")
            case .arithmetic(let op): families.insert("arithmetic.\(op.name)")
            case .reduction(let op, _): families.insert("reduction.\(op.name)")
            case .normalizer(let op, _): families.insert("normalizer.\(op.name)")
            case .linearAlgebra(let op): families.insert("linear.\(op.name)")
            case .loss(let op): families.insert("loss.\(op.name)")
            case .structural(let op): families.insert("structural.\(op.name)")
            case .indexing(let op): families.insert("indexing.\(op.name)")
            case .leaf: break
            }
        }
        // 23 elementwise, 8 arithmetic, 3 reductions, 2 normalizers, 4 linear, 7 losses, 3 structural,
        // 3 indexing without ids (take, pick, one_hot and scatter_add are in IndexingTests).
        #expect(families.count == 53, "\(families.sorted())")
    }
}

/// Each row along the last axis divided by its sum.
func normalizingRows(_ tensor: Tensor) -> Tensor {
    var result = tensor
    let width = tensor.sizes.last ?? 1
    for start in stride(from: 0, to: tensor.count, by: width) {
        let total = tensor.scalars[start..<start + width].reduce(0, +)
        for index in start..<start + width { result.scalars[index] /= total }
    }
    return result
}
