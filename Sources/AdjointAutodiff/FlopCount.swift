import AdjointIR

/// Floating-point operations as a polynomial in the runtime dims: `4384 batch + 10`.
public struct FlopCount: Sendable, Equatable, CustomStringConvertible {
    /// Coefficient of each monomial; a monomial is the sorted list of runtime dims multiplied.
    public var terms: [[String]: Int] = [:]

    public init() {}

    /// The count for `elements` of `shape`'s elements, each costing `cost`.
    init(_ shape: Shape, cost: Int) {
        guard cost > 0 else { return }
        var monomial: [String] = []
        var coefficient = cost
        for dim in shape.dims {
            switch dim {
            // Saturating: a fuzzed model's sizes may overflow the count (it is only reported).
            case .fixed(let size):
                let (product, overflow) = coefficient.multipliedReportingOverflow(by: size)
                coefficient = overflow ? Int.max : product
            case .runtime(let name): monomial.append(name)
            }
        }
        terms[monomial.sorted()] = coefficient
    }

    public static func + (a: FlopCount, b: FlopCount) -> FlopCount {
        var result = a
        for (monomial, coefficient) in b.terms {
            let (sum, overflow) = result.terms[monomial, default: 0].addingReportingOverflow(coefficient)
            result.terms[monomial] = overflow ? Int.max : sum
        }
        return result
    }

    /// The value when every runtime dim has the size given (missing ones count as `default`).
    public func evaluate(_ dims: [String: Int], default value: Int = 1) -> Double {
        terms.reduce(0) { total, term in
            total + Double(term.value) * term.key.reduce(1.0) { $0 * Double(dims[$1] ?? value) }
        }
    }

    /// The terms of the highest degree: what dominates as the runtime dims grow.
    public var leading: FlopCount {
        let degree = terms.keys.map(\.count).max() ?? 0
        var result = FlopCount()
        result.terms = terms.filter { $0.key.count == degree }
        return result
    }

    /// `4384 batch + 10`, highest degree first.
    public var description: String {
        guard !terms.isEmpty else { return "0" }
        let ordered = terms.sorted { ($0.key.count, $0.key.joined()) > ($1.key.count, $1.key.joined()) }
        return ordered.map { term in ([String(term.value)] + term.key).joined(separator: " ") }.joined(separator: " + ")
    }

    /// The flops of one node: matrix products 2mkn, normalizers and losses a few per element,
    /// everything else one per element it reads or writes; leaves, broadcasts, reshapes and
    /// transposes move data and cost nothing.
    public static func of(_ node: Node, in graph: Graph) -> FlopCount {
        let operands = node.operands.map { graph[$0].shape }
        guard let rule = node.op.flops(operands, result: node.shape) else { return FlopCount() }
        return FlopCount(rule.over, cost: rule.perElement)
    }
}

extension GradientProgram {
    /// Flops of the forward program (what the loss needs) and of the reverse pass (the nodes it
    /// added that the gradients need).
    public var flops: (forward: FlopCount, reverse: FlopCount) {
        var forward = FlopCount()
        var forwardOnly = graph
        forwardOnly.roots = [Graph.Root(name: "loss", node: self.forward.loss)]
        for id in forwardOnly.live() { forward = forward + FlopCount.of(graph[id], in: graph) }
        var reverse = FlopCount()
        for id in graph.live() where id.index >= forwardNodeCount { reverse = reverse + FlopCount.of(graph[id], in: graph) }
        return (forward, reverse)
    }
}
