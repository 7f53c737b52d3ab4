import Foundation

/// Reductions over one axis (which the result loses) or over every element (a scalar result).
public enum Reduction: Hashable, Sendable, CaseIterable {
    /// `sum(a)`, `sum(a, axis = k)`
    case sum
    /// `mean(a)`, `mean(a, axis = k)`
    case mean
    /// `logsumexp(a, axis = k)` = log Σ exp(a), computed stably; without an axis, over every element
    case logsumexp

    /// The spelling in model files.
    public var name: String {
        switch self {
        case .sum: return "sum"
        case .mean: return "mean"
        case .logsumexp: return "logsumexp"
        }
    }

    static func resultShape(_ a: Shape, axis: Int?) -> Result<Shape, ShapeError> {
        guard let axis else { return .success(.scalar) }
        guard let normalized = a.normalizedAxis(axis) else { return .failure(.axis(axis, rank: a.rank)) }
        return .success(a.removing(axis: normalized))
    }

    static var builtins: [Builtin] {
        [Reduction.sum, .mean, .logsumexp].map { op in
            Builtin(op.name, [.tensor("a"), .axis("axis", default: nil)]) {
                .reduction(op, axis: $0["axis"].map { Int($0) })
            }
        }
    }
}

// MARK: - Reference evaluation
extension Reduction {
    func evaluate(_ a: Tensor, axis: Int?) -> Tensor {
        guard let axis else { return Tensor(reduce(a.scalars)) }
        let (outer, length, inner) = a.split(at: axis)
        var result = [Double](repeating: 0, count: outer * inner)
        var slice = [Double](repeating: 0, count: length)
        for o in 0..<outer {
            for i in 0..<inner {
                for k in 0..<length { slice[k] = a.scalars[(o * length + k) * inner + i] }
                result[o * inner + i] = reduce(slice)
            }
        }
        var sizes = a.sizes
        sizes.remove(at: axis)
        return Tensor(sizes: sizes, scalars: result)
    }

    func reduce(_ values: [Double]) -> Double {
        switch self {
        case .sum: return values.reduce(0, +)
        case .mean: return values.reduce(0, +) / Double(values.count)
        case .logsumexp: return stableLogSumExp(values)
        }
    }
}

/// log Σ exp(x), shifted by the largest element so that nothing overflows; −inf for all −inf.
func stableLogSumExp(_ values: [Double]) -> Double {
    guard let largest = values.max(), largest.isFinite else { return values.max() ?? -.infinity }
    return largest + Foundation.log(values.reduce(0) { $0 + Foundation.exp($1 - largest) })
}

extension Tensor {
    /// The element counts before, along and after `axis`.
    func split(at axis: Int) -> (outer: Int, length: Int, inner: Int) {
        (sizes[..<axis].reduce(1, *), sizes[axis], sizes[(axis + 1)...].reduce(1, *))
    }
}

// MARK: - Derivative rules
extension Reduction {
    /// y = reduce(a) along `axis` (nil: every element); the cotangent spreads back over the axis.
    func vjp(_ g: inout Graph, a: NodeID, y: NodeID, axis: Int?, cotangent c: NodeID) -> NodeID? {
        let shape = g[a].shape
        let spread = g.broadcast(g.keepingAxis(c, axis, of: shape), to: shape)
        switch self {
        case .sum: return spread  // d/daᵢ Σ a = 1
        case .mean:  // d/daᵢ (Σ a)/n = 1/n
            let count = g.size(axis.map { [shape.dims[$0]] } ?? shape.dims)
            return g.divided(spread, count)
        case .logsumexp:  // d/daᵢ log Σ eᵃ = eᵃⁱ⁻ʸ = softmax(a)ᵢ
            let shifted = g.minus(a, g.keepingAxis(y, axis, of: shape))
            return g.times(spread, g.apply(.exp, shifted))
        }
    }
}

// MARK: - Scalar spellings
extension Reduction {
    /// `sum` and `mean` add with `+` (`mean` divides once at the end); `logsumexp` takes two passes,
    /// the largest element and then Σ exp(x − m), which this finishes:
    /// log Σ exp(x) from the largest element `m` and Σ exp(x − m) `shiftedSum`; the largest
    /// element itself when it is not finite, as `stableLogSumExp`.
    public static func logSumExpSpelling(largest m: String, shiftedSum: String, _ s: some ScalarSyntax) -> String {
        "(\(m) - \(m) == \(s.literal(0)) ? \(m) + \(s.call(.log, shiftedSum)) : \(m))"
    }
}

// MARK: - Notation
extension Reduction {
    var mathNotation: MathNotation {
        switch self {
        case .sum: return .reduce("Σ")
        case .mean, .logsumexp: return .reduce(name)
        }
    }
}

// MARK: - Lowering and cost
extension Reduction {
    func lowering(axis: Int?) -> LoweringStrategy {
        switch self {
        case .sum: return .sum(.axis(axis), mean: false)
        case .mean: return .sum(.axis(axis), mean: true)
        case .logsumexp: return .rows(axis: axis, normalizer: nil)
        }
    }
}
