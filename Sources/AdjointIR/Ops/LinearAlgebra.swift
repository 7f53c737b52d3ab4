/// Matrix products and transposition.
public enum LinearAlgebra: Hashable, Sendable, CaseIterable {
    /// `a @ b`: `[m,k] @ [k,n] -> [m,n]`, `[m,k] @ [k] -> [m]`, `[k] @ [k,n] -> [n]`, `[k] @ [k] -> []`
    case matmul
    /// `transpose(a)`: `[m,n] -> [n,m]`
    case transpose

    /// The spelling in model files.
    public var name: String {
        switch self {
        case .matmul: return "@"
        case .transpose: return "transpose"
        }
    }

    /// The name in the IR's text form (`@` is not a word there).
    var mnemonic: String {
        switch self {
        case .matmul: return "matmul"
        case .transpose: return "transpose"
        }
    }

    var arity: Int {
        switch self {
        case .matmul: return 2
        case .transpose: return 1
        }
    }

    func resultShape(_ operands: [Shape]) -> Result<Shape, ShapeError> {
        switch self {
        case .matmul:
            let (a, b) = (operands[0], operands[1])
            guard a.rank == 1 || a.rank == 2 else { return .failure(.rank(operand: 0, needs: "rank 1 or 2", got: a)) }
            guard b.rank == 1 || b.rank == 2 else { return .failure(.rank(operand: 1, needs: "rank 1 or 2", got: b)) }
            // The contracted size: a's last, b's first.
            guard a.dims[a.rank - 1] == b.dims[0] else { return .failure(.matmulInner(a, b)) }
            return .success(Shape(a.dims.dropLast() + b.dims.dropFirst()))
        case .transpose:
            let a = operands[0]
            guard a.rank == 2 else { return .failure(.rank(operand: 0, needs: "rank 2", got: a)) }
            return .success(Shape(a.dims.reversed()))
        }
    }

    static var builtins: [Builtin] {
        [Builtin("transpose", [.tensor("a")]) { _ in .linearAlgebra(.transpose) }]
    }
}

// MARK: - Reference evaluation
extension LinearAlgebra {
    func evaluate(_ operands: [Tensor]) -> Tensor {
        switch self {
        case .matmul:
            let (a, b) = (operands[0], operands[1])
            // A vector on the left is one row, on the right one column.
            let m = a.rank == 2 ? a.sizes[0] : 1
            let k = a.sizes[a.rank - 1]
            let n = b.rank == 2 ? b.sizes[1] : 1
            var result = [Double](repeating: 0, count: m * n)
            for i in 0..<m {
                for p in 0..<k {
                    let left = a.scalars[i * k + p]
                    for j in 0..<n { result[i * n + j] += left * b.scalars[p * n + j] }
                }
            }
            return Tensor(sizes: Array(a.sizes.dropLast() + b.sizes.dropFirst()), scalars: result)
        case .transpose: return operands[0].gather(indexMap!, sizes: operands[0].sizes.reversed())
        }
    }
}

// MARK: - Derivative rules
extension LinearAlgebra {
    func vjp(_ g: inout Graph, operands: [NodeID], index: Int, cotangent c: NodeID) -> NodeID? {
        switch self {
        case .matmul: return Self.matmulVJP(&g, a: operands[0], b: operands[1], index: index, cotangent: c)
        case .transpose: return g.transpose(c)  // d/dA Aᵀ: transpose the cotangent
        }
    }

    /// y = a @ b for each combination of ranks; `index` picks the operand.
    private static func matmulVJP(_ g: inout Graph, a: NodeID, b: NodeID, index: Int, cotangent c: NodeID) -> NodeID? {
        let (aShape, bShape) = (g[a].shape, g[b].shape)
        switch (aShape.rank, bShape.rank, index) {
        case (2, 2, 0): return g.matmul(c, g.transpose(b))  // d/dA AB = C Bᵀ
        case (2, 2, _): return g.matmul(g.transpose(a), c)  // d/dB AB = Aᵀ C
        case (2, 1, 0):  // A[m,k] b[k]: d/dA = c bᵀ (an outer product)
            return g.matmul(g.reshape(c, to: [aShape.dims[0], .fixed(1)]), g.reshape(b, to: [.fixed(1), bShape.dims[0]]))
        case (2, 1, _): return g.matmul(g.transpose(a), c)  // d/db Ab = Aᵀ c
        case (1, 2, 0): return g.matmul(b, c)  // a[k] B[k,n]: d/da = B c
        case (1, 2, _):  // d/dB aᵀB = a cᵀ (an outer product)
            return g.matmul(g.reshape(a, to: [aShape.dims[0], .fixed(1)]), g.reshape(c, to: [.fixed(1), bShape.dims[1]]))
        case (_, _, 0): return g.times(c, b)  // a·b: d/da = c b
        default: return g.times(c, a)  // d/db a·b = c a
        }
    }
}

// MARK: - Notation
extension LinearAlgebra {
    var sourceNotation: SourceNotation {
        switch self {
        case .matmul: return .infix(name, binding: .matrixProduct)
        case .transpose: return .call
        }
    }

    var mathNotation: MathNotation {
        switch self {
        case .matmul: return .matrixProduct
        case .transpose: return .transpose
        }
    }
}

// MARK: - Lowering and cost
extension LinearAlgebra {
    var lowering: LoweringStrategy {
        switch self {
        case .matmul: return .matmul
        case .transpose: return .view
        }
    }

    func flops(_ operands: [Shape], result: Shape) -> FlopRule? {
        switch self {
        case .matmul:  // 2 flops per multiply-add: each result element is a sum over k
            let a = operands[0]
            return FlopRule(over: Shape(result.dims + [a.dims[a.rank - 1]]), perElement: 2)
        case .transpose: return nil
        }
    }
}

// MARK: - Index map
extension LinearAlgebra {
    var indexMap: IndexMap? {
        switch self {
        case .transpose: return .axes([1, 0])  // a[i, j] is result[j, i]
        case .matmul: return nil
        }
    }
}
