/// Functions applied to each element: the result has the operand's shape.
public enum Elementwise: Hashable, Sendable {
    /// `-a`
    case negate
    /// `exp(a)`, `log(a)`, `sqrt(a)`, `abs(a)`, `square(a)`
    case exp, log, sqrt, abs, square
    /// `sin(a)`, `cos(a)`, `tanh(a)`
    case sin, cos, tanh
    /// `sigmoid(a)` = 1 / (1 + e^-a), `relu(a)` = max(a, 0), `softplus(a)` = log(1 + e^a)
    case sigmoid, relu, softplus
    /// `leaky_relu(a, slope)` = a if a > 0, slope * a otherwise
    case leakyRelu(slope: Double)

    /// The spelling in model files.
    public var name: String {
        switch self {
        case .negate: return "-"
        case .exp: return "exp"
        case .log: return "log"
        case .sqrt: return "sqrt"
        case .abs: return "abs"
        case .square: return "square"
        case .sin: return "sin"
        case .cos: return "cos"
        case .tanh: return "tanh"
        case .sigmoid: return "sigmoid"
        case .relu: return "relu"
        case .softplus: return "softplus"
        case .leakyRelu: return "leaky_relu"
        }
    }

    /// The built-in functions of this family (negation is the `-` operator, not a function).
    static var builtins: [Builtin] {
        let plain: [Elementwise] = [.exp, .log, .sqrt, .abs, .square, .sin, .cos, .tanh, .sigmoid, .relu, .softplus]
        return plain.map { op in Builtin(op.name, [.tensor("a")]) { _ in .elementwise(op) } }
            + [
                Builtin("leaky_relu", [.tensor("a"), .number("slope", default: 0.01)]) {
                    .elementwise(.leakyRelu(slope: $0["slope"]!))
                }
            ]
    }
}
