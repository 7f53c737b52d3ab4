import Foundation

/// Normalizations along one axis; the result has the operand's shape.
public enum Normalizer: Hashable, Sendable, CaseIterable {
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

// MARK: - Reference evaluation
extension Normalizer {
    func evaluate(_ a: Tensor, axis: Int) -> Tensor {
        let (outer, length, inner) = a.split(at: axis)
        var result = a.scalars
        var slice = [Double](repeating: 0, count: length)
        for o in 0..<outer {
            for i in 0..<inner {
                for k in 0..<length { slice[k] = a.scalars[(o * length + k) * inner + i] }
                let lse = stableLogSumExp(slice)
                for k in 0..<length {
                    let logProbability = slice[k] - lse
                    result[(o * length + k) * inner + i] = self == .softmax ? Foundation.exp(logProbability) : logProbability
                }
            }
        }
        return Tensor(sizes: a.sizes, scalars: result)
    }
}

// MARK: - Derivative rules
extension Normalizer {
    func vjp(_ g: inout Graph, a: NodeID, y: NodeID, axis: Int, cotangent c: NodeID) -> NodeID? {
        let shape = g[a].shape
        switch self {
        case .softmax:  // d softmax: y ⊙ (c − Σ c ⊙ y) along the axis
            let dot = g.keepingAxis(g.reduce(.sum, g.times(c, y), axis: axis), axis, of: shape)
            return g.times(y, g.minus(c, dot))
        case .logSoftmax:  // d log_softmax: c − softmax(a) ⊙ Σ c along the axis
            let total = g.keepingAxis(g.reduce(.sum, c, axis: axis), axis, of: shape)
            return g.minus(c, g.times(g.apply(.exp, y), total))
        }
    }
}

// MARK: - Scalar spellings
extension Normalizer {
    /// One element `x` of the result, given logsumexp `lse` of its slice along the axis: the
    /// reference's `exp(x − lse)` or `x − lse`.
    public func spelling(_ x: String, logSumExp lse: String, _ s: some ScalarSyntax) -> String {
        switch self {
        case .softmax: return s.call(.exp, "(\(x) - \(lse))")
        case .logSoftmax: return "(\(x) - \(lse))"
        }
    }
}
