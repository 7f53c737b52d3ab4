/// Where each element of a view comes from: the operand index that a result index reads. One
/// mechanism describes every structural op: reading through the map is the op (a gather, and in
/// generated code the reader's rewritten indices), and adding back through it is the op's
/// derivative (a scatter-add: `sum_to` is the scatter-add of `broadcast`'s map).
public enum IndexMap: Hashable, Sendable {
    /// Operand axis `k` takes the result's index on axis `axes[k]`, or 0 where nil (an axis of size
    /// 1 that a broadcast stretches or a reshape drops).
    case axes([Int?])
    /// The element at the same row-major offset: a reshape that regroups axes.
    case rowMajor
    /// Operand axis `k` reads `axes[k]`: an offset and a stride on a result axis, or a fixed
    /// index (a slice, `x[1:7:2, -1]`).
    case strided([StridedAxis])

    /// NumPy broadcasting of `operand` to `result`: leading axes are new, axes of size 1 stretch.
    public static func broadcast(from operand: Shape, to result: Shape) -> IndexMap {
        let offset = result.rank - operand.rank
        return .axes(operand.dims.indices.map { operand.dims[$0] == .fixed(1) ? nil : offset + $0 })
    }

    /// A reshape: axis by axis when the shapes differ only by axes of size 1 (a keepdims reshape),
    /// else through the row-major offset.
    public static func reshape(from operand: Shape, to result: Shape) -> IndexMap {
        let kept = result.dims.indices.filter { result.dims[$0] != .fixed(1) }
        guard kept.map({ result.dims[$0] }) == operand.dims.filter({ $0 != .fixed(1) }) else { return .rowMajor }
        var next = kept.makeIterator()
        return .axes(operand.dims.map { $0 == .fixed(1) ? nil : next.next()! })
    }

    /// The operand index read at result `index`; `zero` is index 0, `rowMajor` converts through
    /// the row-major offset (only a `.rowMajor` map calls it).
    public func operandIndex<Index>(_ index: [Index], zero: Index, rowMajor: ([Index]) -> [Index]) -> [Index] {
        switch self {
        case .axes(let axes): return axes.map { $0.map { index[$0] } ?? zero }
        case .rowMajor: return rowMajor(index)
        case .strided: preconditionFailure("internal error: a strided map is read with its offsets (stridedIndex)")
        }
    }
}

extension Op {
    /// A view's index map from an operand of shape `operand` to its result of shape `result`; nil
    /// for an op that computes (`lowering` is not `.view`).
    public func indexMap(from operand: Shape, to result: Shape) -> IndexMap? {
        switch self {
        case .structural(let op): return op.indexMap(from: operand, to: result)
        case .linearAlgebra(let op): return op.indexMap(rank: operand.rank)
        case .indexing(let op): return op.indexMap
        case .leaf, .elementwise, .arithmetic, .reduction, .normalizer, .loss: return nil
        }
    }
}

// MARK: - Reference evaluation
extension Tensor {
    /// The tensor of `sizes` whose every element is read from this one through `map`.
    public func gather(_ map: IndexMap, sizes: [Int]) -> Tensor {
        switch map {
        case .rowMajor: return Tensor(sizes: sizes, scalars: scalars)
        case .strided(let axes):
            let own = Tensor.strides(self.sizes)
            var result = [Double](repeating: 0, count: sizes.reduce(1, *))
            Tensor.forEachIndex(sizes) { flat, index in
                var source = 0
                for (axis, read) in axes.enumerated() { source += read.operandIndex(index, size: self.sizes[axis]) * own[axis] }
                result[flat] = scalars[source]
            }
            return Tensor(sizes: sizes, scalars: result)
        case .axes(let axes):
            let strides = resultStrides(axes, resultRank: sizes.count)
            var result = [Double](repeating: 0, count: sizes.reduce(1, *))
            Tensor.forEachIndex(sizes) { flat, index in
                var source = 0
                for axis in 0..<index.count { source += index[axis] * strides[axis] }
                result[flat] = scalars[source]
            }
            return Tensor(sizes: sizes, scalars: result)
        }
    }

    /// The tensor of `sizes` that `map` reads this one from, each of this tensor's elements added
    /// where the map reads it: the adjoint of `gather` (in row-major order of this tensor).
    public func scatterAdd(_ map: IndexMap, sizes: [Int]) -> Tensor {
        switch map {
        case .rowMajor: return Tensor(sizes: sizes, scalars: scalars)
        case .strided(let axes):
            let own = Tensor.strides(sizes)
            var result = [Double](repeating: 0, count: sizes.reduce(1, *))
            Tensor.forEachIndex(self.sizes) { flat, index in
                var destination = 0
                for (axis, read) in axes.enumerated() { destination += read.operandIndex(index, size: sizes[axis]) * own[axis] }
                result[destination] += scalars[flat]
            }
            return Tensor(sizes: sizes, scalars: result)
        case .axes(let axes):
            let target = Tensor(repeating: 0, sizes: sizes)
            let strides = target.resultStrides(axes, resultRank: rank)
            var result = target.scalars
            Tensor.forEachIndex(self.sizes) { flat, index in
                var destination = 0
                for axis in 0..<index.count { destination += index[axis] * strides[axis] }
                result[destination] += scalars[flat]
            }
            return Tensor(sizes: sizes, scalars: result)
        }
    }

    /// For each axis of a result that reads this tensor through `axes`, this tensor's stride along
    /// it (0 where no operand axis takes it: the result stretches there).
    private func resultStrides(_ axes: [Int?], resultRank: Int) -> [Int] {
        let own = Tensor.strides(sizes)
        var strides = [Int](repeating: 0, count: resultRank)
        for (axis, resultAxis) in axes.enumerated() {
            if let resultAxis { strides[resultAxis] += own[axis] }
        }
        return strides
    }
}

/// How one operand axis of a strided map is read: the result axis whose index it steps along
/// (nil: a fixed index), from its slice.
public struct StridedAxis: Hashable, Sendable {
    public var resultAxis: Int?
    public var slice: AxisSlice

    /// The operand index read at result `index`, on an operand axis of `size`.
    func operandIndex(_ index: [Int], size: Int) -> Int {
        slice.operandIndex(resultAxis.map { index[$0] } ?? 0, size: size)
    }

    /// The same in any index arithmetic (the loop IR's): `start + step * i`, with `start` counted
    /// from `size` when the slice counts from the end.
    public func operandIndex<Index>(_ index: [Index], size: Index, constant: (Int) -> Index, plus: (Index, Index) -> Index, times: (Index, Index) -> Index) -> Index {
        var start = constant(slice.start)
        if slice.fromEnd { start = plus(size, start) }
        guard let resultAxis else { return start }
        return plus(start, times(constant(slice.step), index[resultAxis]))
    }
}
