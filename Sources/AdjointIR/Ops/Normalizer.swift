/// Normalizations along one axis; the result has the operand's shape.
public enum Normalizer: Hashable, Sendable {
    /// `softmax(a, axis = -1)` = exp(a) / Σ exp(a) along the axis
    case softmax
    /// `log_softmax(a, axis = -1)` = a − logsumexp(a) along the axis
    case logSoftmax

    /// The spelling in model files.
    public var name: String {
        switch self {
        case .softmax: return "softmax"
        case .logSoftmax: return "log_softmax"
        }
    }

    static func resultShape(_ a: Shape, axis: Int) -> Result<Shape, ShapeError> {
        a.normalizedAxis(axis) == nil ? .failure(.axis(axis, rank: a.rank)) : .success(a)
    }

    static var builtins: [Builtin] {
        [Normalizer.softmax, .logSoftmax].map { op in
            Builtin(op.name, [.tensor("a"), .axis("axis", default: -1)]) { .normalizer(op, axis: Int($0["axis"]!)) }
        }
    }
}
