/// Matrix products and transposition.
public enum LinearAlgebra: Hashable, Sendable {
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

    var arity: Int { self == .matmul ? 2 : 1 }

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
