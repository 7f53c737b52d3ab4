/// How code generation computes an op, chosen in the op's family file so that a new op states its
/// lowering next to its other rules. Code generation switches over these strategies, not over
/// ops: an elementwise op needs nothing more than its scalar spelling.
public enum LoweringStrategy: Hashable, Sendable {
    /// Read from its buffer or written as a literal: the leaves.
    case leaf
    /// No computation: the reader's indices are rewritten (broadcast, reshape, transpose).
    case view
    /// Each element from the elements of its operands at the same (broadcast) index.
    case pointwise
    /// A sum of the operand over some axes; `mean` divides by the number of summed elements.
    case sum(SummedAxes, mean: Bool)
    /// Per slice along `axis` (every element when nil): the largest element, then the
    /// logsumexp; a normalizer then writes each element from it (logsumexp, softmax).
    case rows(axis: Int?, normalizer: Normalizer?)
    /// Per slice along `axis` (every element when nil): the first largest (or smallest) element,
    /// or its position along the slice (`position`; in row-major order over every element).
    case extremum(axis: Int?, largest: Bool, position: Bool)
    /// One running total of per-element terms of a prediction and a target, normalized.
    case loss(Loss)
    /// The matrix product's own (tiled) nest.
    case matmul
    /// Each element read from the first operand at a position that integer ids supply (a row
    /// copy for `take`), or (`oneHot`) 1 where the id is the index.
    case gather(GatherRule)
    /// A copy of the base, then each slice of the updates added at its id: a loop over the
    /// updates, serial so that repeated ids add in a fixed order.
    case scatterAdd(axis: Int)
    /// Zeros, then the operand stored where the op's index map reads (`unslice`).
    case scatter
    /// Each operand copied into its part of the result along `axis`.
    case concat(axis: Int)
}

/// What a gather reads, by the op: the family's rule in the lowering's terms.
public enum GatherRule: Hashable, Sendable {
    /// The id replaces the index on `axis` by the ids' axes: `take`.
    case take(axis: Int)
    /// The id chooses the index on `axis`, which the result lacks: `pick`.
    case pick(axis: Int)
    /// 1 where the index on `axis` equals the id at the other indices, else 0: `one_hot`.
    case oneHot(axis: Int)
}

/// Which axes a sum runs over, cheap to make (code generation asks for every node it visits).
public enum SummedAxes: Hashable, Sendable {
    /// One axis, which the result loses, or every axis (nil): `sum(a, axis = 1)`.
    case axis(Int?)
    /// The axes that broadcasting the result to the operand's shape would stretch: `sum_to`.
    case broadcastFrom(Shape)

    /// For each axis of the operand, whether the sum runs over it.
    public func reduced(_ operand: Shape) -> [Bool] {
        switch self {
        case .axis(let axis): return operand.dims.indices.map { axis == nil || axis == $0 }
        case .broadcastFrom(let target):  // leading axes, and those of size 1 in the target
            let offset = operand.rank - target.rank
            return operand.dims.indices.map { $0 < offset || target.dims[$0 - offset] == .fixed(1) }
        }
    }

    /// For each axis of the result, the operand axis whose index it takes (nil: index 0, an axis
    /// of size 1 that the sum keeps).
    public func resultAxes(_ operand: Shape) -> [Int?] {
        switch self {
        case .axis(let axis): return operand.dims.indices.filter { axis != nil && axis != $0 }
        case .broadcastFrom(let target):
            let offset = operand.rank - target.rank
            return target.dims.indices.map { target.dims[$0] == .fixed(1) ? nil : offset + $0 }
        }
    }
}

/// What an op costs: `perElement` flops for every element of `over`.
public struct FlopRule: Hashable, Sendable {
    public var over: Shape
    public var perElement: Int
}

extension Op {
    /// The op's lowering strategy.
    public var lowering: LoweringStrategy {
        switch self {
        case .leaf: return .leaf
        case .structural(let op): return op.lowering
        case .elementwise, .arithmetic: return .pointwise
        case .reduction(let op, let axis): return op.lowering(axis: axis)
        case .normalizer(let op, let axis): return .rows(axis: axis, normalizer: op)
        case .linearAlgebra(let op): return op.lowering
        case .loss(let op): return .loss(op)
        case .indexing(let op): return op.lowering
        }
    }

    /// The op's cost in flops for these operand and result shapes; nil for ops that only move data.
    public func flops(_ operands: [Shape], result: Shape) -> FlopRule? {
        switch self {
        case .leaf: return nil
        case .structural(let op): return op.flops(operands[0])
        case .elementwise, .arithmetic: return FlopRule(over: result, perElement: 1)
        case .reduction: return FlopRule(over: operands[0], perElement: 1)
        case .normalizer: return FlopRule(over: result, perElement: 4)
        case .linearAlgebra(let op): return op.flops(operands, result: result)
        case .loss: return FlopRule(over: operands[0], perElement: 4)
        case .indexing(let op): return op.flops(operands)
        }
    }
}
