/// Elementwise functions of two operands, with NumPy broadcasting.
public enum Arithmetic: Hashable, Sendable {
    /// `a + b`, `a - b`, `a * b`, `a / b`, `a ^ b`
    case add, subtract, multiply, divide, power
    /// `max(a, b)`, `min(a, b)`
    case maximum, minimum

    /// The spelling in model files.
    public var name: String {
        switch self {
        case .add: return "+"
        case .subtract: return "-"
        case .multiply: return "*"
        case .divide: return "/"
        case .power: return "^"
        case .maximum: return "max"
        case .minimum: return "min"
        }
    }

    /// Broadcasting: see `Shape.broadcast`.
    static func resultShape(_ a: Shape, _ b: Shape) -> Result<Shape, ShapeError> {
        Shape.broadcast(a, b).map { .success($0) } ?? .failure(.cannotBroadcast(a, b))
    }

    static var builtins: [Builtin] {
        [Arithmetic.maximum, .minimum].map { op in
            Builtin(op.name, [.tensor("a"), .tensor("b")]) { _ in .arithmetic(op) }
        }
    }
}
