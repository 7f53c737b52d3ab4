import Foundation

/// Losses: a prediction and a target of the same shape in, a scalar out.
public enum Loss: Hashable, Sendable {
    /// `mse(pred, target)` = mean of (pred − target)² over all elements
    case mse
    /// `sse(pred, target)` = Σ (pred − target)²
    case sse
    /// `cross_entropy(prob, target)` = mean over rows of −Σ target ⊙ log(prob) along the last axis
    case crossEntropy
    /// `softmax_cross_entropy(logits, target)` = cross_entropy(softmax(logits), target), computed stably
    case softmaxCrossEntropy
    /// `binary_cross_entropy(prob, target)` = mean of −(t log p + (1 − t) log(1 − p))
    case binaryCrossEntropy
    /// `sigmoid_binary_cross_entropy(logits, target)` = binary_cross_entropy(sigmoid(logits), target), stably
    case sigmoidBinaryCrossEntropy
    /// `huber(pred, target, delta)` = mean of ½d² where |d| ≤ delta, delta (|d| − ½delta) elsewhere
    case huber(delta: Double)

    /// The spelling in model files.
    public var name: String {
        switch self {
        case .mse: return "mse"
        case .sse: return "sse"
        case .crossEntropy: return "cross_entropy"
        case .softmaxCrossEntropy: return "softmax_cross_entropy"
        case .binaryCrossEntropy: return "binary_cross_entropy"
        case .sigmoidBinaryCrossEntropy: return "sigmoid_binary_cross_entropy"
        case .huber: return "huber"
        }
    }

    /// Whether the loss works row by row along the last axis (and so needs rank >= 1).
    var isRowwise: Bool { self == .crossEntropy || self == .softmaxCrossEntropy }

    /// Same shapes, no broadcasting: a silent broadcast of `[n]` against `[n, 1]` is a classic bug.
    func resultShape(_ prediction: Shape, _ target: Shape) -> Result<Shape, ShapeError> {
        if isRowwise && prediction.isScalar {
            return .failure(.rank(operand: 0, needs: "rank 1 or more (rows along the last axis)", got: prediction))
        }
        return prediction == target ? .success(.scalar) : .failure(.shapesDiffer(prediction, target))
    }

    static var builtins: [Builtin] {
        let plain: [Loss] = [.mse, .sse, .crossEntropy, .softmaxCrossEntropy, .binaryCrossEntropy, .sigmoidBinaryCrossEntropy]
        let names: [Loss: (String, String)] = [
            .crossEntropy: ("prob", "target"), .binaryCrossEntropy: ("prob", "target"),
            .softmaxCrossEntropy: ("logits", "target"), .sigmoidBinaryCrossEntropy: ("logits", "target"),
        ]
        return plain.map { op in
            let (first, second) = names[op] ?? ("pred", "target")
            // PyTorch's label smoothing, which the checker lowers to the target (1 − ε) t + ε/C,
            // or for class indices to (1 − ε) of the picked logit and ε of the row's mean (version 2).
            let smoothing: [Builtin.Parameter] = op == .softmaxCrossEntropy ? [.fraction("label_smoothing", default: 0)] : []
            return Builtin(op.name, [.tensor(first), .tensor(second)] + smoothing) { _ in .loss(op) }
        } + [
            Builtin("huber", [.tensor("pred"), .tensor("target"), .positiveNumber("delta", default: defaultDelta)]) {
                .loss(.huber(delta: $0["delta"]!))
            }
        ]
    }
}

// MARK: - Attributes
extension Loss {
    /// `huber`'s delta when a model leaves it out.
    static let defaultDelta = 1.0

    /// Every op of the family, attributes at their defaults.
    static let all: [Loss] = [
        .mse, .sse, .crossEntropy, .softmaxCrossEntropy, .binaryCrossEntropy, .sigmoidBinaryCrossEntropy,
        .huber(delta: defaultDelta),
    ]

    var attributes: [OpAttribute] {
        switch self {
        case .huber(let delta): return [OpAttribute("delta", .number(delta), default: .number(Self.defaultDelta))]
        case .mse, .sse, .crossEntropy, .softmaxCrossEntropy, .binaryCrossEntropy, .sigmoidBinaryCrossEntropy: return []
        }
    }

    func setting(_ values: [String: Double]) -> Loss {
        switch self {
        case .huber(let delta): return .huber(delta: values["delta"] ?? delta)
        case .mse, .sse, .crossEntropy, .softmaxCrossEntropy, .binaryCrossEntropy, .sigmoidBinaryCrossEntropy: return self
        }
    }
}

// MARK: - Reference evaluation
extension Loss {
    func evaluate(_ prediction: Tensor, _ target: Tensor) -> Tensor {
        let (p, t) = (prediction.scalars, target.scalars)
        let count = Double(p.count)
        switch self {
        case .mse: return Tensor(zip(p, t).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / count)
        case .sse: return Tensor(zip(p, t).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) })
        case .crossEntropy:
            let rows = Double(p.count / prediction.sizes.last!)
            return Tensor(-zip(p, t).reduce(0) { $0 + zeroTimesAnything($1.1, Foundation.log($1.0)) } / rows)
        case .softmaxCrossEntropy:
            // Per row: −Σ t (z − lse(z)) = lse(z) Σ t − Σ t z, with lse shifted by the row's maximum.
            let length = prediction.sizes.last!
            let rows = p.count / length
            var total = 0.0
            for row in 0..<rows {
                let z = Array(p[row * length..<(row + 1) * length])
                let y = t[row * length..<(row + 1) * length]
                let lse = stableLogSumExp(z)
                total += zip(z, y).reduce(0) { $0 + zeroTimesAnything($1.1, lse - $1.0) }
            }
            return Tensor(total / Double(rows))
        case .binaryCrossEntropy:
            // 0 log 0 = 0: a certain prediction of the right label costs nothing.
            return Tensor(
                -zip(p, t).reduce(0) {
                    $0 + zeroTimesAnything($1.1, Foundation.log($1.0)) + zeroTimesAnything(1 - $1.1, Foundation.log(1 - $1.0))
                } / count)
        case .sigmoidBinaryCrossEntropy:
            // softplus(z) − t z = (1 − t) z + log(1 + e⁻ᶻ) for z ≥ 0, −t z + log(1 + eᶻ) below: exp
            // never overflows, and a saturated logit with the right label costs exactly 0.
            return Tensor(
                zip(p, t).reduce(0) { total, pair in
                    let (z, t) = pair
                    let linear = z >= 0 ? zeroTimesAnything(1 - t, z) : zeroTimesAnything(-t, z)
                    return total + linear + Foundation.log1p(Foundation.exp(-Swift.abs(z)))
                } / count)
        case .huber(let delta):
            return Tensor(
                zip(p, t).reduce(0) { total, pair in
                    let d = Swift.abs(pair.0 - pair.1)
                    return total + (d <= delta ? 0.5 * d * d : delta * (d - 0.5 * delta))
                } / count)
        }
    }
}

/// `a · b` with `0 · ∞ = 0`: a term whose weight (a target) is exactly 0 contributes nothing,
/// the convention of cross-entropy (`0 log 0 = 0`).
func zeroTimesAnything(_ a: Double, _ b: Double) -> Double { a == 0 ? 0 : a * b }

// MARK: - Derivative rules
extension Loss {
    /// ℓ(p, t) a scalar; c its (scalar) cotangent. N counts all elements, R the rows of a row-wise loss.
    func vjp(_ g: inout Graph, p: NodeID, t: NodeID, index: Int, cotangent c: NodeID) -> NodeID? {
        let shape = g[p].shape
        let count = g.size(shape.dims)
        let rows = g.size(Array(shape.dims.dropLast()))
        /// (k c / n) ⊙ x: a scalar factor in front, as a textbook writes it.
        func scaled(_ k: Double, _ n: NodeID, _ x: NodeID) -> NodeID {
            g.times(g.divided(g.times(g.constant(k), c), n), x)
        }
        switch (self, index) {
        case (.mse, 0): return scaled(2, count, g.minus(p, t))  // ∂/∂p = (2/N)(p − t)
        case (.mse, _): return scaled(-2, count, g.minus(p, t))  // ∂/∂t = −(2/N)(p − t)
        case (.sse, 0): return g.times(g.times(g.constant(2), c), g.minus(p, t))  // ∂/∂p = 2(p − t)
        case (.sse, _): return g.times(g.times(g.constant(-2), c), g.minus(p, t))  // ∂/∂t = −2(p − t)
        case (.crossEntropy, 0): return scaled(-1, rows, g.divided(t, p))  // ∂/∂p = −t/(R p)
        case (.crossEntropy, _): return scaled(-1, rows, g.apply(.log, p))  // ∂/∂t = −log(p)/R
        case (.softmaxCrossEntropy, 0):
            // ∂/∂z = (softmax(z) − t)/R, the fused form, exact when each target row sums to 1
            // (one-hot or probabilities: the loss's precondition, as in TensorFlow's fused kernel).
            let probabilities = g.add(.normalizer(.softmax, axis: shape.rank - 1), [p])
            return g.divided(g.times(c, g.minus(probabilities, t)), rows)
        case (.softmaxCrossEntropy, _):  // ∂/∂t = −log_softmax(z)/R
            return scaled(-1, rows, g.add(.normalizer(.logSoftmax, axis: shape.rank - 1), [p]))
        case (.binaryCrossEntropy, 0):  // ∂/∂p = (p − t)/(p(1 − p) N)
            return scaled(1, count, g.divided(g.minus(p, t), g.times(p, g.minus(g.constant(1), p))))
        case (.binaryCrossEntropy, _):  // ∂/∂t = (log(1 − p) − log p)/N
            return scaled(1, count, g.minus(g.apply(.log, g.minus(g.constant(1), p)), g.apply(.log, p)))
        case (.sigmoidBinaryCrossEntropy, 0): return scaled(1, count, g.minus(g.apply(.sigmoid, p), t))  // ∂/∂z = (σ(z) − t)/N
        case (.sigmoidBinaryCrossEntropy, _): return scaled(-1, count, p)  // ∂/∂t = −z/N
        case (.huber(let delta), _):  // ∂/∂p = clamp(p − t, −δ, δ)/N, and ∂/∂t its negation
            let clamped = g.apply(.minimum, g.apply(.maximum, g.minus(p, t), g.constant(-delta)), g.constant(delta))
            return scaled(index == 0 ? 1 : -1, count, clamped)
        }
    }
}

// MARK: - Scalar spellings
extension Loss {
    /// What the accumulated total of `termSpelling` is divided by, and its sign.
    public enum Normalization: Sendable {
        /// The number of elements (a mean).
        case count
        /// The number of rows along the last axis.
        case rows
        /// Nothing (a plain sum).
        case none
    }

    /// loss = sign × Σ term / normalization.
    public var normalization: (sign: Double, over: Normalization) {
        switch self {
        case .mse, .sigmoidBinaryCrossEntropy, .huber: return (1, .count)
        case .binaryCrossEntropy: return (-1, .count)
        case .sse: return (1, .none)
        case .crossEntropy: return (-1, .rows)
        case .softmaxCrossEntropy: return (1, .rows)
        }
    }

    /// The summand for one element of prediction `p` and target `t` (names, literals or loads;
    /// each may be used twice). `softmax_cross_entropy` needs its row's logsumexp `lse`: its
    /// summand is t (lse − z), as the reference evaluation computes it.
    public func termSpelling(_ p: String, _ t: String, logSumExp lse: String? = nil, _ s: some ScalarSyntax) -> String {
        let (zero, one) = (s.literal(0), s.literal(1))
        // A number target (`sigmoid_binary_cross_entropy(z, 1)`) is a literal: its weights are
        // folded here, so that no generated branch tests a constant.
        let known = s.value(ofLiteral: t)
        /// `w · x` with 0 · ∞ = 0, as `zeroTimesAnything`.
        func weighted(_ w: String, _ value: Double?, _ x: String) -> String {
            guard let value else { return "(\(w) == \(zero) ? \(zero) : \(w) * \(x))" }
            return value == 0 ? zero : "\(s.literal(value)) * \(x)"
        }
        let complement = "(\(one) - \(t))"
        switch self {
        case .mse, .sse: return "((\(p) - \(t)) * (\(p) - \(t)))"
        case .crossEntropy:  // 0 log 0 = 0, as `zeroTimesAnything`
            return weighted(t, known, s.call(.log, p))
        case .softmaxCrossEntropy:  // 0 · ∞ = 0, as `zeroTimesAnything`
            return weighted(t, known, "(\(lse ?? zero) - \(p))")
        case .binaryCrossEntropy:  // 0 log 0 = 0, as `zeroTimesAnything`
            let positive = weighted(t, known, s.call(.log, p))
            let negative = weighted(complement, known.map { 1 - $0 }, s.call(.log, "(\(one) - \(p))"))
            return "(\(positive) + \(negative))"
        case .sigmoidBinaryCrossEntropy:  // (1 − t) z or −t z by the sign of z, 0 · ∞ = 0, as `evaluate`
            let positive = weighted(complement, known.map { 1 - $0 }, p)
            let negative = weighted("(-\(t))", known.map { -$0 }, p)
            let softplus = s.call(.log1p, s.call(.exp, "(-\(s.call(.abs, p)))"))
            return "((\(p) >= \(zero) ? \(positive) : \(negative)) + \(softplus))"
        case .huber(let delta):
            let d = s.call(.abs, "(\(p) - \(t))")
            let (k, half) = (s.literal(delta), s.literal(0.5))
            return "(\(d) <= \(k) ? \(half) * \(d) * \(d) : \(k) * (\(d) - \(half) * \(k)))"
        }
    }
}

// MARK: - Lowering and cost
extension Loss {
    /// Whether the lowering computes each row's logsumexp of the prediction first (whose
    /// summands need it), reading the prediction's rows twice.
    public var needsRowLogSumExp: Bool {
        switch self {
        case .softmaxCrossEntropy: return true
        case .mse, .sse, .crossEntropy, .binaryCrossEntropy, .sigmoidBinaryCrossEntropy, .huber: return false
        }
    }
}
