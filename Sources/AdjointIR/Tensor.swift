/// A dense tensor of doubles with concrete sizes, row-major: the values the reference interpreter
/// computes with and the op table's reference evaluations take and return.
public struct Tensor: Hashable, Sendable, CustomStringConvertible {
    public var sizes: [Int]
    public var scalars: [Double]

    public init(sizes: [Int], scalars: [Double]) {
        precondition(sizes.reduce(1, *) == scalars.count, "tensor of sizes \(sizes) needs \(sizes.reduce(1, *)) scalars")
        self.sizes = sizes
        self.scalars = scalars
    }

    /// A scalar.
    public init(_ value: Double) { self.init(sizes: [], scalars: [value]) }

    /// Every element `value`.
    public init(repeating value: Double, sizes: [Int]) {
        self.init(sizes: sizes, scalars: [Double](repeating: value, count: sizes.reduce(1, *)))
    }

    public var rank: Int { sizes.count }
    public var count: Int { scalars.count }

    /// The only element of a scalar (or one-element) tensor.
    public var scalar: Double {
        precondition(scalars.count == 1)
        return scalars[0]
    }

    /// Row-major strides.
    public static func strides(_ sizes: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: sizes.count)
        var step = 1
        for axis in (0..<sizes.count).reversed() {
            strides[axis] = step
            step *= sizes[axis]
        }
        return strides
    }

    public var description: String { "Tensor(\(sizes), \(scalars))" }

    /// Applies `f` to each element.
    public func map(_ f: (Double) -> Double) -> Tensor { Tensor(sizes: sizes, scalars: scalars.map(f)) }

    /// NumPy broadcasting of both to a common shape, then `f` elementwise.
    public static func zip(_ a: Tensor, _ b: Tensor, _ f: (Double, Double) -> Double) -> Tensor {
        if a.sizes == b.sizes {
            return Tensor(sizes: a.sizes, scalars: Swift.zip(a.scalars, b.scalars).map(f))
        }
        let sizes = broadcastSizes(a.sizes, b.sizes)
        let x = a.broadcast(to: sizes)
        let y = b.broadcast(to: sizes)
        return Tensor(sizes: sizes, scalars: Swift.zip(x.scalars, y.scalars).map(f))
    }

    /// The common shape of NumPy broadcasting (the shapes were checked to broadcast).
    public static func broadcastSizes(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = max(a.count, b.count)
        return (0..<rank).map { position in
            let x = position - (rank - a.count) >= 0 ? a[position - (rank - a.count)] : 1
            let y = position - (rank - b.count) >= 0 ? b[position - (rank - b.count)] : 1
            return x == 1 ? y : x
        }
    }

    /// This tensor stretched to `target` by NumPy broadcasting.
    public func broadcast(to target: [Int]) -> Tensor {
        if sizes == target { return self }
        return gather(.broadcast(from: Shape(sizes.map(Dim.fixed)), to: Shape(target.map(Dim.fixed))), sizes: target)
    }

    /// Sums away the axes that broadcasting to this tensor's sizes would have stretched from
    /// `target`: the adjoint of `broadcast(to:)`, a scatter-add through its index map.
    public func sum(to target: [Int]) -> Tensor {
        if sizes == target { return self }
        return scatterAdd(.broadcast(from: Shape(target.map(Dim.fixed)), to: Shape(sizes.map(Dim.fixed))), sizes: target)
    }

    /// Visits every index of `sizes` in row-major order with its flat position.
    public static func forEachIndex(_ sizes: [Int], _ body: (Int, [Int]) -> Void) {
        let count = sizes.reduce(1, *)
        guard count > 0 else { return }
        var index = [Int](repeating: 0, count: sizes.count)
        for flat in 0..<count {
            body(flat, index)
            var axis = sizes.count - 1
            while axis >= 0 {
                index[axis] += 1
                if index[axis] < sizes[axis] { break }
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
