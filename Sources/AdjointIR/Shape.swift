/// One size of a shape: fixed at compile time (`64`, or a `dim hidden = 32`) or a runtime `dim`.
public enum Dim: Hashable, Sendable, CustomStringConvertible {
    case fixed(Int)
    case runtime(String)

    public var description: String {
        switch self {
        case .fixed(let size): return String(size)
        case .runtime(let name): return name
        }
    }
}

/// A tensor shape, row-major (the last index varies fastest). `[]` is a scalar.
public struct Shape: Hashable, Sendable, CustomStringConvertible, ExpressibleByArrayLiteral {
    /// The largest rank the language allows.
    public static let maxRank = 4

    public var dims: [Dim]

    public init(_ dims: [Dim]) { self.dims = dims }
    public init(arrayLiteral dims: Dim...) { self.dims = dims }

    public static let scalar = Shape([])

    public var rank: Int { dims.count }
    public var isScalar: Bool { dims.isEmpty }

    /// `[batch, 32]`, `[]`.
    public var description: String { "[" + dims.map(\.description).joined(separator: ", ") + "]" }

    /// The product of the fixed sizes, or nil if it overflows `Int` (runtime sizes count as 1).
    public var fixedElementCount: Int? {
        var count = 1
        for case .fixed(let size) in dims {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            if overflow { return nil }
            count = product
        }
        return count
    }

    /// Whether every size is known at compile time.
    public var isStatic: Bool { dims.allSatisfy { if case .fixed = $0 { true } else { false } } }

    /// NumPy broadcasting: align at the right; equal sizes match, a fixed 1 stretches, a missing axis
    /// stretches. Two different runtime dims never match (they may differ at run time).
    public static func broadcast(_ a: Shape, _ b: Shape) -> Shape? {
        let rank = max(a.rank, b.rank)
        var dims: [Dim] = []
        dims.reserveCapacity(rank)
        for position in 0..<rank {
            let x = position - (rank - a.rank) >= 0 ? a.dims[position - (rank - a.rank)] : Dim.fixed(1)
            let y = position - (rank - b.rank) >= 0 ? b.dims[position - (rank - b.rank)] : Dim.fixed(1)
            if x == y || y == .fixed(1) {
                dims.append(x)
            } else if x == .fixed(1) {
                dims.append(y)
            } else {
                return nil
            }
        }
        return Shape(dims)
    }

    /// `axis` counted from 0, or from the end when negative; nil when out of range.
    public func normalizedAxis(_ axis: Int) -> Int? {
        let normalized = axis < 0 ? axis + rank : axis
        return normalized >= 0 && normalized < rank ? normalized : nil
    }

    /// This shape without one axis (what a reduction along it leaves).
    public func removing(axis: Int) -> Shape {
        var copy = dims
        copy.remove(at: axis)
        return Shape(copy)
    }
}

/// Why an op cannot take operands of these shapes. The front end turns it into a diagnostic that
/// points at the source; the IR knows nothing of source text.
public enum ShapeError: Error, Hashable, Sendable {
    /// Elementwise operands that do not broadcast.
    case cannotBroadcast(Shape, Shape)
    /// `a @ b` whose contracted sizes differ.
    case matmulInner(Shape, Shape)
    /// `a @ b` whose batch axes (those before the last two) do not broadcast together.
    case matmulBatch(Shape, Shape)
    /// `transpose(a, axes = ...)` whose axes are not a permutation of the operand's `rank` axes.
    case permutation([Int], rank: Int)
    /// An operand whose rank the op does not accept; `needs` says what it accepts ("rank 2").
    case rank(operand: Int, needs: String, got: Shape)
    /// An axis outside `[-rank, rank)`.
    case axis(Int, rank: Int)
    /// Operands that must have the same shape (a loss's prediction and target) but do not.
    case shapesDiffer(Shape, Shape)
    /// An index or slice (`AxisSlice`'s text) that does not fit an axis of this size.
    case index(axis: Int, String, size: Dim)
}
