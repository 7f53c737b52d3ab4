import Foundation

/// Elementwise functions of two operands, with NumPy broadcasting.
public enum Arithmetic: Hashable, Sendable, CaseIterable {
    /// `a + b`, `a - b`, `a * b`, `a / b`, `a ^ b`
    case add, subtract, multiply, divide, power
    /// `max(a, b)`, `min(a, b)`
    case maximum, minimum
    /// 1 where a >= b, else 0 (routes max's and min's gradient; used by derivative rules). With
    /// the other comparisons, `a >= b` in model files (version 2): 1.0 or 0.0, no derivative.
    case greaterEqual
    /// `a < b`, `a <= b`, `a > b`, `a == b`, `a != b` (version 2): 1.0 where the relation holds,
    /// else 0.0; no derivative.
    case less, lessEqual, greater, equal, notEqual
    /// `a` where `c` is not zero, else exactly 0, whatever `a` holds there (an infinity too): the
    /// two halves of `where(c, a, b)` = `masked(c, a) + masked(c == 0, b)`, which adds an exact
    /// zero to the element chosen, so `where(causal, s, -inf)` is `s` or `-inf`, never NaN.
    /// Operands `[c, a]`.
    case masked

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
        case .greaterEqual: return ">="
        case .less: return "<"
        case .lessEqual: return "<="
        case .greater: return ">"
        case .equal: return "=="
        case .notEqual: return "!="
        case .masked: return "where"
        }
    }

    /// Whether the op compares (a result of 1.0 or 0.0, no derivative).
    public var isComparison: Bool {
        switch self {
        case .greaterEqual, .less, .lessEqual, .greater, .equal, .notEqual: return true
        default: return false
        }
    }

    /// The name in the IR's text form: one word per op.
    var mnemonic: String {
        switch self {
        case .add: return "add"
        case .subtract: return "sub"
        case .multiply: return "mul"
        case .divide: return "div"
        case .power: return "pow"
        case .maximum: return "max"
        case .minimum: return "min"
        case .greaterEqual: return "ge"
        case .less: return "lt"
        case .lessEqual: return "le"
        case .greater: return "gt"
        case .equal: return "eq"
        case .notEqual: return "ne"
        case .masked: return "mask"
        }
    }

    /// The function on two numbers. `max` and `min` pick `a` on ties, as their gradients do.
    public func apply(_ a: Double, _ b: Double) -> Double {
        switch self {
        case .add: return a + b
        case .subtract: return a - b
        case .multiply: return a * b
        case .divide: return a / b
        case .power: return Foundation.pow(a, b)
        case .maximum: return a >= b ? a : b
        case .minimum: return a <= b ? a : b
        case .greaterEqual: return a >= b ? 1 : 0
        case .less: return a < b ? 1 : 0
        case .lessEqual: return a <= b ? 1 : 0
        case .greater: return a > b ? 1 : 0
        case .equal: return a == b ? 1 : 0
        case .notEqual: return a != b ? 1 : 0
        case .masked: return a != 0 ? b : 0
        }
    }

    /// The op that `self` becomes when the rest of a chain after `leading` is put in parentheses:
    /// `(x leading y) self z == x leading (y result z)`, as `(x - y) + z == x - (y - z)` and
    /// `(x / y) / z == x / (y * z)`. nil: the two do not regroup. Broadcasting regroups too: the
    /// operands' sizes along each axis are 1 or one common size, whichever pairs go first.
    public func regrouped(after leading: Arithmetic) -> Arithmetic? {
        switch (leading, self) {
        case (.add, .add), (.subtract, .subtract): return .add
        case (.add, .subtract), (.subtract, .add): return .subtract
        case (.multiply, .multiply), (.divide, .divide): return .multiply
        case (.multiply, .divide), (.divide, .multiply): return .divide
        default: return nil
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

    /// Version 2: `where(c, a, b)` (all three broadcast together) is `masked(c, a) + masked(c ==
    /// 0, b)`; `clip(a, low, high)` is `min(max(a, low), high)`, whose tie rule gives derivative 1
    /// inside and at a bound, 0 outside (PyTorch's `clamp`).
    static var version2Builtins: [ShapeBuiltin] {
        [
            ShapeBuiltin("where", [.init("c", .tensor), .init("a", .tensor), .init("b", .tensor)]),
            ShapeBuiltin("clip", [.init("a", .tensor), .init("low", .tensor), .init("high", .tensor)]),
        ]
    }
}

// MARK: - Derivative rules
extension Arithmetic {
    /// y = a ∘ b with broadcasting; each cotangent is summed back to its operand's shape.
    func vjp(_ g: inout Graph, a: NodeID, b: NodeID, y: NodeID, index: Int, cotangent c: NodeID) -> NodeID? {
        let shape = g[index == 0 ? a : b].shape
        let local: NodeID
        switch (self, index) {
        case (.add, _): local = c  // d/da a+b = 1, d/db a+b = 1
        case (.subtract, 0): local = c  // d/da a−b = 1
        case (.subtract, _): local = g.negate(c)  // d/db a−b = −1
        case (.multiply, 0): local = g.times(c, b)  // d/da ab = b
        case (.multiply, _): local = g.times(c, a)  // d/db ab = a
        case (.divide, 0): local = g.divided(c, b)  // d/da a/b = 1/b
        case (.divide, _): local = g.negate(g.divided(g.times(c, y), b))  // d/db a/b = −a/b² = −y/b
        case (.power, 0):  // d/da aᵇ = b aᵇ⁻¹
            local = g.times(c, g.times(b, g.apply(.power, a, g.minus(b, g.constant(1)))))
        case (.power, _): local = g.times(c, g.times(y, g.apply(.log, a)))  // d/db aᵇ = aᵇ log a
        case (.maximum, 0): local = g.times(c, g.apply(.greaterEqual, a, b))  // d/da max(a,b) = 1 if a ≥ b (ties go to a)
        case (.maximum, _): local = g.times(c, g.minus(g.constant(1), g.apply(.greaterEqual, a, b)))  // d/db = 1 if a < b
        case (.minimum, 0): local = g.times(c, g.apply(.greaterEqual, b, a))  // d/da min(a,b) = 1 if a ≤ b (ties go to a)
        case (.minimum, _): local = g.times(c, g.minus(g.constant(1), g.apply(.greaterEqual, b, a)))  // d/db = 1 if b < a
        case (.greaterEqual, _), (.less, _), (.lessEqual, _), (.greater, _), (.equal, _), (.notEqual, _):
            return nil  // piecewise constant
        case (.masked, 0): return nil  // the condition only chooses
        case (.masked, _): local = g.apply(.masked, a, c)  // d/da masked(c, a) = 1 where c ≠ 0, else 0
        }
        return g.sum(local, to: shape)
    }
}

// MARK: - Scalar spellings
extension Arithmetic {
    /// The C or Swift expression for one element, given the operands' spellings (names, literals or
    /// element loads: `max` and `min` use each twice).
    public func spelling(_ a: String, _ b: String, _ s: some ScalarSyntax) -> String {
        switch self {
        case .add: return "(\(a) + \(b))"
        case .subtract: return "(\(a) - \(b))"
        case .multiply: return "(\(a) * \(b))"
        case .divide: return "(\(a) / \(b))"
        case .power: return s.call(.pow, a, b)
        case .maximum: return "(\(a) >= \(b) ? \(a) : \(b))"  // ties pick a, as `apply`
        case .minimum: return "(\(a) <= \(b) ? \(a) : \(b))"
        case .greaterEqual, .less, .lessEqual, .greater, .equal, .notEqual:
            return "(\(a) \(name) \(b) ? \(s.literal(1)) : \(s.literal(0)))"
        case .masked: return "(\(a) != \(s.literal(0)) ? \(b) : \(s.literal(0)))"
        }
    }
}

// MARK: - Notation
extension Arithmetic {
    var sourceNotation: SourceNotation {
        switch self {
        case .add, .subtract: return .infix(name, binding: .additive)
        case .multiply, .divide, .power, .greaterEqual, .less, .lessEqual, .greater, .equal, .notEqual:
            return .infix(name, binding: .other)
        case .maximum, .minimum, .masked: return .call
        }
    }

    var mathNotation: MathNotation {
        switch self {
        case .add: return .sum
        case .subtract: return .difference
        case .multiply: return .product
        case .divide: return .quotient
        case .power: return .power
        case .maximum, .minimum: return .call
        case .greaterEqual: return .indicator("≥")
        case .less: return .indicator("<")
        case .lessEqual: return .indicator("≤")
        case .greater: return .indicator(">")
        case .equal: return .indicator("=")
        case .notEqual: return .indicator("≠")
        case .masked: return .masked
        }
    }
}
