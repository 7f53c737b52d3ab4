/// Reductions over one axis (which the result loses) or over every element (a scalar result).
public enum Reduction: Hashable, Sendable {
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
