/// The op table: every tensor operation of the model language. Each family lives in its own file
/// with everything about its ops: shape rule, surface spelling and built-in functions, reference
/// evaluation, derivative rule, attributes, scalar C and Swift spellings, notation in formulas
/// (`Notation.swift`), lowering strategy and flop cost (`Lowering.swift`), and for views the index
/// map (`IndexMap.swift`). Those three files define the shared vocabulary and dispatch over the
/// families; the printers, the lowering and the flop count switch over that vocabulary, not over
/// ops. Adding an op touches its family's file, and the exhaustive switches make a missing rule
/// a compile error.
public enum Op: Hashable, Sendable {
    /// Inputs, params, constants and sizes: the nodes without operands.
    case leaf(Leaf)
    /// Broadcasting, summing to a shape and reshaping, which the graph builder and derivative rules use.
    case structural(Structural)
    /// Shape-preserving functions of one operand: `-a`, `exp(a)`, `leaky_relu(a, 0.1)`.
    case elementwise(Elementwise)
    /// Broadcasting functions of two operands: `a + b`, `max(a, b)`.
    case arithmetic(Arithmetic)
    /// `sum(a)`, `mean(a, axis = 1)`, `logsumexp(a, axis = -1)`; `axis` nil reduces every axis.
    case reduction(Reduction, axis: Int?)
    /// `softmax(a, axis = -1)`, `log_softmax(a)`.
    case normalizer(Normalizer, axis: Int)
    /// `a @ b`, `transpose(a)`.
    case linearAlgebra(LinearAlgebra)
    /// Scalar losses of a prediction and a target: `mse(pred, y)`.
    case loss(Loss)
    /// Selection by position: `x[1:4]`, `E[tokens]`, `pick(logits, labels)`, `concat([a, b])`.
    case indexing(Indexing)

    /// How many tensor operands the op takes.
    public var arity: Int {
        switch self {
        case .leaf: return 0
        case .elementwise, .reduction, .normalizer, .structural: return 1
        case .arithmetic, .loss: return 2
        case .linearAlgebra(let op): return op.arity
        case .indexing(let op): return op.arity
        }
    }

    /// The spelling in model files: `+`, `relu`, `softmax_cross_entropy`.
    public var name: String {
        switch self {
        case .leaf(let leaf): return leaf.name
        case .structural(let op): return op.name
        case .elementwise(let op): return op.name
        case .arithmetic(let op): return op.name
        case .reduction(let op, _): return op.name
        case .normalizer(let op, _): return op.name
        case .linearAlgebra(let op): return op.name
        case .loss(let op): return op.name
        case .indexing(let op): return op.name
        }
    }

    /// The shape rule: the result's shape, or why these operand shapes are wrong.
    public func resultShape(_ operands: [Shape]) -> Result<Shape, ShapeError> {
        precondition(operands.count == arity, "\(name) takes \(arity) operands")
        switch self {
        case .leaf(let leaf): return .success(leaf.shape)
        case .structural(let op): return op.resultShape(operands[0])
        case .elementwise: return .success(operands[0])
        case .arithmetic: return Arithmetic.resultShape(operands[0], operands[1])
        case .reduction(_, let axis): return Reduction.resultShape(operands[0], axis: axis)
        case .normalizer(_, let axis): return Normalizer.resultShape(operands[0], axis: axis)
        case .linearAlgebra(let op): return op.resultShape(operands)
        case .loss(let op): return op.resultShape(operands[0], operands[1])
        case .indexing(let op): return op.resultShape(operands)
        }
    }

    /// The element type of the result, from the operands': `int` only for leaves that read
    /// integers and for ops that move elements without arithmetic.
    public func resultElement(_ operands: [ElementType]) -> ElementType {
        switch self {
        case .leaf(.intInput): return .int
        case .structural(.broadcast), .structural(.reshape): return operands[0]
        case .linearAlgebra(.transpose): return operands[0]
        case .indexing(let op): return op.resultElement(operands)
        case .reduction(let op, _) where op.givesPosition: return .int
        case .leaf, .structural, .elementwise, .arithmetic, .reduction, .normalizer, .linearAlgebra, .loss: return .real
        }
    }

    /// The same op with a negative axis counted from the front, for operands of `rank`, so that
    /// `sum(a, axis = -1)` and `sum(a, axis = 1)` of a matrix are one op. Call after `resultShape`
    /// has accepted the axis.
    public func normalizingAxis(forRank rank: Int) -> Op {
        switch self {
        case .reduction(let op, let axis?) where axis < 0: return .reduction(op, axis: axis + rank)
        case .normalizer(let op, let axis) where axis < 0: return .normalizer(op, axis: axis + rank)
        case .linearAlgebra(let op): return .linearAlgebra(op.normalizing(forRank: rank))
        default: return self
        }
    }
}

// MARK: - Reference evaluation
extension Op {
    /// The op's value on concrete operands, in double precision: the reference every generated
    /// kernel is checked against. Inputs and params are bound by the interpreter, not here.
    public func evaluate(_ operands: [Tensor], dims: [String: Int]) -> Tensor {
        switch self {
        case .leaf(let leaf):
            guard let value = leaf.evaluate(dims: dims) else { preconditionFailure("internal error: unbound \(leaf)") }
            return value
        case .structural(let op): return op.evaluate(operands[0], dims: dims)
        case .elementwise(let op): return operands[0].map(op.apply)
        case .arithmetic(let op): return Tensor.zip(operands[0], operands[1], op.apply)
        case .reduction(let op, let axis): return op.evaluate(operands[0], axis: axis)
        case .normalizer(let op, let axis): return op.evaluate(operands[0], axis: axis)
        case .linearAlgebra(let op): return op.evaluate(operands)
        case .loss(let op): return op.evaluate(operands[0], operands[1])
        case .indexing(let op): return op.evaluate(operands, dims: dims)
        }
    }
}

// MARK: - Derivative rules
extension Op {
    /// The vector-Jacobian product for one operand: given the cotangent `c` of the node `y`
    /// (this op applied to `operands`), the cotangent it sends to `operands[index]`, built in
    /// `graph` with that operand's shape. nil: the op is locally constant in that operand.
    public func vjp(_ graph: inout Graph, result y: NodeID, operands: [NodeID], index: Int, cotangent c: NodeID) -> NodeID? {
        switch self {
        case .leaf: return nil
        case .structural(let op): return op.vjp(&graph, operand: operands[0], cotangent: c)
        case .elementwise(let op): return op.vjp(&graph, a: operands[0], y: y, cotangent: c)
        case .arithmetic(let op): return op.vjp(&graph, a: operands[0], b: operands[1], y: y, index: index, cotangent: c)
        case .reduction(let op, let axis): return op.vjp(&graph, a: operands[0], y: y, axis: axis, cotangent: c)
        case .normalizer(let op, let axis): return op.vjp(&graph, a: operands[0], y: y, axis: axis, cotangent: c)
        case .linearAlgebra(let op): return op.vjp(&graph, operands: operands, index: index, cotangent: c)
        case .loss(let op): return op.vjp(&graph, p: operands[0], t: operands[1], index: index, cotangent: c)
        case .indexing(let op): return op.vjp(&graph, operands: operands, index: index, cotangent: c)
        }
    }
}
