import AdjointAutodiff
import AdjointIR
import AdjointSema

/// Compares the reverse-mode gradient with central finite differences in double precision.
public enum GradientCheck {
    /// How one param fared.
    public struct Report: Sendable {
        public var param: String
        /// max |reverse − difference| over the checked elements, divided by the larger of the two
        /// gradients' largest magnitude (at least `absoluteFloor`, so that a vanishing gradient is
        /// compared absolutely rather than amplifying rounding noise).
        public var worstRelativeError: Double
        public var checkedElements: Int
        public var totalElements: Int
    }

    /// Gradients smaller than this are compared absolutely.
    public static let absoluteFloor = 1e-3
    /// The default tolerance of `adjoint check`.
    public static let tolerance = 1e-6

    /// Checks every param at its initial values (seeded) and at random inputs drawn uniformly from
    /// (0.1, 0.9) (inside the domain of log, sqrt and the probability losses); an input that is the
    /// target of `softmax_cross_entropy` has each row scaled to sum to 1, the loss's precondition.
    /// Params with more than `elementsPerParam` elements are checked at that many elements, chosen
    /// by the seed.
    public static func run(
        _ program: CheckedProgram, seed: UInt64, dims: [String: Int], elementsPerParam: Int = 16
    ) -> [Report] {
        let gradient = ReverseMode.differentiate(program.forwardGraph())
        let start = point(program, seed: seed, dims: dims)
        let bindings = start.bindings
        var random = start.random
        let reverse = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: dims)
        let lossGraph = gradient.forward.graph
        func loss(_ bindings: [String: Tensor]) -> Double {
            Interpreter.evaluate(lossGraph, bindings: bindings, dims: dims)[gradient.forward.loss]!.scalar
        }
        return gradient.gradients.map { param, node in
            let analytic = reverse[node]!.scalars
            let count = analytic.count
            var elements = Array(0..<count)
            if count > elementsPerParam {
                // Distinct elements: the first steps of a Fisher–Yates shuffle.
                for index in 0..<elementsPerParam {
                    elements.swapAt(index, index + Int(random.next() % UInt64(count - index)))
                }
                elements = Array(elements.prefix(elementsPerParam))
            }
            var worst = 0.0
            var scale = absoluteFloor
            var differences: [(Double, Double)] = []
            for element in elements {
                let value = bindings[param]!.scalars[element]
                let h = 1e-5 * max(1, abs(value))
                var plus = bindings
                var minus = bindings
                plus[param]!.scalars[element] = value + h
                minus[param]!.scalars[element] = value - h
                let difference = (loss(plus) - loss(minus)) / (2 * h)
                differences.append((analytic[element], difference))
                scale = max(scale, abs(analytic[element]), abs(difference))
            }
            for (a, d) in differences {
                let error = abs(a - d) / scale
                if !(error <= worst) { worst = error }  // keeps a NaN: it must fail the check, not hide
            }
            return Report(param: param, worstRelativeError: worst, checkedElements: elements.count, totalElements: count)
        }
    }

    /// The inputs used directly as targets of `softmax_cross_entropy`.
    static func distributionInputs(_ graph: Graph) -> Set<String> {
        var names: Set<String> = []
        for node in graph.nodes where node.op == .loss(.softmaxCrossEntropy) {
            if case .leaf(.input(let name, _)) = graph[node.operands[1]].op { names.insert(name) }
        }
        return names
    }
}

extension Tensor {
    /// Each row along the last axis divided by its sum: a distribution per row.
    func normalizingRows() -> Tensor {
        var result = self
        let width = max(sizes.last ?? 1, 1)
        for start in stride(from: 0, to: count, by: width) {
            let total = scalars[start..<start + width].reduce(0, +)
            for index in start..<start + width { result.scalars[index] /= total }
        }
        return result
    }
}
