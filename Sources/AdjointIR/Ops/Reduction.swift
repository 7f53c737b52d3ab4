import Foundation

/// Reductions over one axis (which the result loses) or over every element (a scalar result).
public enum Reduction: Hashable, Sendable, CaseIterable {
    /// `sum(a)`, `sum(a, axis = k)`
    case sum
    /// `mean(a)`, `mean(a, axis = k)`
    case mean
    /// `logsumexp(a, axis = k)` = log Σ exp(a), computed stably; without an axis, over every element
    case logsumexp
    /// `max(a)`, `max(a, axis = k)`, `min(a, axis = k)` (version 2; one tensor: with two, `max`
    /// is the elementwise `Arithmetic.maximum`). The derivative goes to the first extreme element
    /// in row-major order.
    case max, min
    /// `argmax(a, axis = k)`, `argmin(a, axis = k)` (version 2): the position of the first
    /// extreme element along the axis (without an axis, in the flattened tensor, as NumPy), an
    /// `int`; no derivative.
    case argmax, argmin

    /// The spelling in model files.
    public var name: String {
        switch self {
        case .sum: return "sum"
        case .mean: return "mean"
        case .logsumexp: return "logsumexp"
        case .max: return "max"
        case .min: return "min"
        case .argmax: return "argmax"
        case .argmin: return "argmin"
        }
    }

    /// The name in the IR's text form (`reduce_max`: `max` is the elementwise maximum there).
    var mnemonic: String {
        switch self {
        case .max, .min: return "reduce_" + name
        default: return name
        }
    }

    /// Whether the result is the position of an element (an `int`).
    public var givesPosition: Bool { self == .argmax || self == .argmin }

    /// For `max`, `min`, `argmax`, `argmin`: whether the extreme is the largest.
    public var seeksLargest: Bool? {
        switch self {
        case .max, .argmax: return true
        case .min, .argmin: return false
        case .sum, .mean, .logsumexp: return nil
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

    /// Version 2: the reductions that take `axis = [k1, k2]` and `keepdims = true` (version 1's
    /// `sum`, `mean`, `logsumexp`, and `max`, `min` with one tensor, take them too), `var` (the
    /// population variance, `mean(square(a - mean(a, keepdims)))`), and `argmax`, `argmin`. The
    /// checker builds a reduction over several axes as one reduction per axis, and `keepdims` as a
    /// reshape (CheckReductions.swift).
    static var version2Builtins: [ShapeBuiltin] { ["var", "argmax", "argmin"].map(version2Signature) }

    /// A reduction's signature in version 2: `name(a, axis = k or [k1, k2], keepdims = false)`.
    public static func version2Signature(_ name: String) -> ShapeBuiltin {
        ShapeBuiltin(name, [.init("a", .tensor), .init("axis", .axisOrAxes, isOptional: true), .init("keepdims", .flag, isOptional: true)])
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
        case .max, .min, .argmax, .argmin:
            // The first extreme element: a later one replaces it only when strictly beyond it.
            let largest = seeksLargest!
            // An empty slice: position 0 and the extreme's identity (-inf for max), as the kernels.
            guard !values.isEmpty else { return givesPosition ? 0 : largest ? -.infinity : .infinity }
            var position = 0
            for (k, x) in values.enumerated() where largest ? x > values[position] : x < values[position] { position = k }
            return givesPosition ? Double(position) : values[position]
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
        case .max, .min:  // d/daᵢ max a = 1 at the first largest element (i = argmax a), else 0
            let position = Reduction(rawPosition: self)
            guard let axis else {
                // Over every element: the position in the flattened tensor.
                let count = shape.fixedElementCount.map(Dim.fixed) ?? Self.flatCount(shape)
                let flat = g.add(.structural(.reshape(Shape([count]))), [a])
                let chosen = g.add(.indexing(.oneHot(count, axis: 0)), [g.reduce(position, flat, axis: 0)])
                return g.times(spread, g.add(.structural(.reshape(shape)), [chosen]))
            }
            let chosen = g.add(.indexing(.oneHot(shape.dims[axis], axis: axis)), [g.reduce(position, a, axis: axis)])
            return g.times(spread, chosen)
        case .argmax, .argmin: return nil  // piecewise constant
        }
    }
}

extension Reduction {
    /// `argmax` for `max`, `argmin` for `min`.
    init(rawPosition extreme: Reduction) { self = extreme == .max ? .argmax : .argmin }

    /// The element count of a shape with one runtime dim and otherwise sizes 1 (the only flattening
    /// a shape with a runtime dim has as one size).
    static func flatCount(_ shape: Shape) -> Dim {
        let runtime = shape.dims.filter { $0 != .fixed(1) }
        precondition(runtime.count == 1, "internal error: \(shape) flattens to no single size")
        return runtime[0]
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
        case .mean, .logsumexp, .max, .min, .argmax, .argmin: return .reduce(name)
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
        case .max, .min, .argmax, .argmin:
            return .extremum(axis: axis, largest: seeksLargest!, position: givesPosition)
        }
    }
}
