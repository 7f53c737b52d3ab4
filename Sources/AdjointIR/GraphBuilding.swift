/// Readable constructors for the derivative rules and the graph builder. Every one goes through
/// `add`, so the simplifier sees each node as it is made.
extension Graph {
    /// Adds `op` applied to `operands`, simplified by the rules of `Simplifier`.
    @discardableResult
    public mutating func add(_ op: Op, _ operands: [NodeID]) -> NodeID {
        if let simpler = Simplifier.simplify(op, operands, in: &self) { return simpler }
        return addRaw(op, operands)
    }

    public mutating func constant(_ value: Double) -> NodeID { add(.leaf(.constant(value)), []) }

    /// The product of `dims` as a scalar (sizes that are runtime dims become runtime values).
    public mutating func size(_ dims: [Dim]) -> NodeID {
        if let fixed = Shape(dims).isStatic ? Shape(dims).fixedElementCount : nil { return constant(Double(fixed)) }
        return add(.leaf(.size(dims)), [])
    }

    public mutating func apply(_ op: Elementwise, _ a: NodeID) -> NodeID { add(.elementwise(op), [a]) }
    public mutating func negate(_ a: NodeID) -> NodeID { apply(.negate, a) }

    public mutating func apply(_ op: Arithmetic, _ a: NodeID, _ b: NodeID) -> NodeID { add(.arithmetic(op), [a, b]) }
    public mutating func plus(_ a: NodeID, _ b: NodeID) -> NodeID { apply(.add, a, b) }
    public mutating func minus(_ a: NodeID, _ b: NodeID) -> NodeID { apply(.subtract, a, b) }
    public mutating func times(_ a: NodeID, _ b: NodeID) -> NodeID { apply(.multiply, a, b) }
    public mutating func divided(_ a: NodeID, _ b: NodeID) -> NodeID { apply(.divide, a, b) }

    public mutating func broadcast(_ a: NodeID, to shape: Shape) -> NodeID { add(.structural(.broadcast(shape)), [a]) }
    public mutating func sum(_ a: NodeID, to shape: Shape) -> NodeID { add(.structural(.sumTo(shape)), [a]) }
    public mutating func reshape(_ a: NodeID, to shape: Shape) -> NodeID { add(.structural(.reshape(shape)), [a]) }

    public mutating func reduce(_ op: Reduction, _ a: NodeID, axis: Int?) -> NodeID { add(.reduction(op, axis: axis), [a]) }
    public mutating func matmul(_ a: NodeID, _ b: NodeID) -> NodeID { add(.linearAlgebra(.matmul), [a, b]) }
    /// `transpose(a)`: every axis of `a` reversed (a matrix's transpose).
    public mutating func transpose(_ a: NodeID) -> NodeID {
        transpose(a, axes: LinearAlgebra.reversedAxes(rank: self[a].shape.rank))
    }
    /// `transpose(a, axes = [0, 2, 1])`: result axis `i` is axis `axes[i]` of `a` (a permutation).
    public mutating func transpose(_ a: NodeID, axes: [Int]) -> NodeID { add(.linearAlgebra(.transpose(axes: axes)), [a]) }

    /// A reduced value given back its lost axis as size 1, so that NumPy broadcasting lines it up
    /// with the unreduced shape again (`keepdims`). `axis` nil: a full reduction, already a scalar.
    public mutating func keepingAxis(_ reduced: NodeID, _ axis: Int?, of shape: Shape) -> NodeID {
        guard let axis else { return reduced }
        var dims = shape.dims
        dims[axis] = .fixed(1)
        return reshape(reduced, to: Shape(dims))
    }

    /// The scalar value of a constant, or of a constant broadcast to a shape.
    public func constantValue(_ id: NodeID) -> Double? {
        switch self[id].op {
        case .leaf(.constant(let value, _)): return value
        case .structural(.broadcast), .structural(.reshape): return constantValue(self[id].operands[0])
        default: return nil
        }
    }
}
