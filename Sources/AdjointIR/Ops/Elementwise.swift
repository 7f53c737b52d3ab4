import Foundation

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
    /// 1 where a > 0, else 0 (the derivative of relu; used by derivative rules)
    case step
    /// `sign(a)`: −1, 0 or 1 (also the derivative of abs); no derivative (0)
    case sign
    /// `erf(a)` = 2/√π ∫₀ᵃ e^(−t²) dt (version 2)
    case erf
    /// `gelu(a)` = a Φ(a), Φ the standard normal's distribution function, written with erf;
    /// `gelu(a, approximate = true)` is the tanh form ½a(1 + tanh(√(2/π)(a + 0.044715a³))) (version 2)
    case gelu(approximate: Bool)
    /// `silu(a)` = a σ(a) (version 2)
    case silu
    /// `elu(a, alpha = 1)` = a if a > 0, alpha (eᵃ − 1) otherwise (version 2)
    case elu(alpha: Double)
    /// `log1p(a)` = log(1 + a), `expm1(a)` = eᵃ − 1, both accurate near 0 (version 2)
    case log1p, expm1
    /// `floor(a)`, and `round(a)` with ties to even (NumPy's); no derivative (0) (version 2)
    case floor, round

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
        case .step: return "step"
        case .sign: return "sign"
        case .erf: return "erf"
        case .gelu: return "gelu"
        case .silu: return "silu"
        case .elu: return "elu"
        case .log1p: return "log1p"
        case .expm1: return "expm1"
        case .floor: return "floor"
        case .round: return "round"
        }
    }

    /// The function on one number, computed stably (sigmoid and softplus never overflow).
    public func apply(_ x: Double) -> Double {
        switch self {
        case .negate: return -x
        case .exp: return Foundation.exp(x)
        case .log: return Foundation.log(x)
        case .sqrt: return x.squareRoot()
        case .abs: return Swift.abs(x)
        case .square: return x * x
        case .sin: return Foundation.sin(x)
        case .cos: return Foundation.cos(x)
        case .tanh: return Foundation.tanh(x)
        case .sigmoid: return x >= 0 ? 1 / (1 + Foundation.exp(-x)) : Foundation.exp(x) / (1 + Foundation.exp(x))
        case .relu: return x > 0 ? x : 0
        case .softplus: return Swift.max(x, 0) + Foundation.log1p(Foundation.exp(-Swift.abs(x)))
        case .leakyRelu(let slope): return x > 0 ? x : slope * x
        case .step: return x > 0 ? 1 : 0
        case .sign: return x > 0 ? 1 : x < 0 ? -1 : 0
        case .erf: return Foundation.erf(x)
        // ½a erfc(−a/√2), as JAX: no cancellation in 1 + erf for negative a.
        case .gelu(false): return 0.5 * x * Foundation.erfc(-x * Self.inverseSquareRootOfTwo)
        case .gelu(true):
            return 0.5 * x * (1 + Foundation.tanh(Self.squareRootOfTwoOverPi * (x + Self.geluCubic * x * x * x)))
        case .silu: return x * Elementwise.sigmoid.apply(x)
        case .elu(let alpha): return x > 0 ? x : alpha * Foundation.expm1(x)
        case .log1p: return Foundation.log1p(x)
        case .expm1: return Foundation.expm1(x)
        case .floor: return x.rounded(.down)
        case .round: return x.rounded(.toNearestOrEven)
        }
    }

    /// The built-in functions of this family (negation is the `-` operator, not a function).
    static var builtins: [Builtin] {
        let plain: [Elementwise] = [.exp, .log, .sqrt, .abs, .square, .sin, .cos, .tanh, .sigmoid, .relu, .softplus]
        return plain.map { op in Builtin(op.name, [.tensor("a")]) { _ in .elementwise(op) } }
            + [
                Builtin("leaky_relu", [.tensor("a"), .number("slope", default: defaultSlope)]) {
                    .elementwise(.leakyRelu(slope: $0["slope"]!))
                }
            ]
    }

    /// The functions version 2 added (a model file may declare one of these names, which hides it).
    static var version2Builtins: [Builtin] {
        let plain: [Elementwise] = [.erf, .silu, .log1p, .expm1, .sign, .floor, .round]
        return plain.map { op in Builtin(op.name, [.tensor("a")]) { _ in .elementwise(op) } }
            + [
                Builtin("gelu", [.tensor("a"), .flag("approximate")]) { .elementwise(.gelu(approximate: $0["approximate"]! != 0)) },
                Builtin("elu", [.tensor("a"), .number("alpha", default: defaultAlpha)]) { .elementwise(.elu(alpha: $0["alpha"]!)) },
            ]
    }
}

// MARK: - Attributes
extension Elementwise {
    /// `leaky_relu`'s slope when a model leaves it out.
    static let defaultSlope = 0.01
    /// `elu`'s alpha when a model leaves it out (PyTorch's and JAX's).
    static let defaultAlpha = 1.0
    /// 1/√2, √(2/π), 1/√(2π), 2/√π and the cubic coefficient of gelu's tanh form.
    static let inverseSquareRootOfTwo = 0.7071067811865476
    static let squareRootOfTwoOverPi = 0.7978845608028654
    static let inverseSquareRootOfTwoPi = 0.3989422804014327
    static let twoOverSquareRootOfPi = 1.1283791670955126
    static let geluCubic = 0.044715

    /// Every op of the family, attributes at their defaults.
    static let all: [Elementwise] = [
        .negate, .exp, .log, .sqrt, .abs, .square, .sin, .cos, .tanh, .sigmoid, .relu, .softplus,
        .leakyRelu(slope: defaultSlope), .step, .sign, .erf, .gelu(approximate: false), .silu, .elu(alpha: defaultAlpha),
        .log1p, .expm1, .floor, .round,
    ]

    /// The name in the IR's text form (`-` is not a word there).
    var mnemonic: String { self == .negate ? "neg" : name }

    var attributes: [OpAttribute] {
        switch self {
        case .leakyRelu(let slope): return [OpAttribute("slope", .number(slope), default: .number(Self.defaultSlope))]
        case .gelu(let approximate): return [OpAttribute("approximate", .number(approximate ? 1 : 0), default: .number(0))]
        case .elu(let alpha): return [OpAttribute("alpha", .number(alpha), default: .number(Self.defaultAlpha))]
        case .negate, .exp, .log, .sqrt, .abs, .square, .sin, .cos, .tanh, .sigmoid, .relu, .softplus, .step, .sign,
            .erf, .silu, .log1p, .expm1, .floor, .round:
            return []
        }
    }

    func setting(_ values: [String: Double]) -> Elementwise {
        switch self {
        case .leakyRelu(let slope): return .leakyRelu(slope: values["slope"] ?? slope)
        case .gelu(let approximate): return .gelu(approximate: values["approximate"].map { $0 != 0 } ?? approximate)
        case .elu(let alpha): return .elu(alpha: values["alpha"] ?? alpha)
        case .negate, .exp, .log, .sqrt, .abs, .square, .sin, .cos, .tanh, .sigmoid, .relu, .softplus, .step, .sign,
            .erf, .silu, .log1p, .expm1, .floor, .round:
            return self
        }
    }
}

// MARK: - Derivative rules
extension Elementwise {
    /// y = f(a); returns c ⊙ f'(a), reusing y where f' is written in terms of it.
    func vjp(_ g: inout Graph, a: NodeID, y: NodeID, cotangent c: NodeID) -> NodeID? {
        let one = g.constant(1)
        switch self {
        case .negate: return g.negate(c)  // d/da −a = −1
        case .exp: return g.times(c, y)  // d/da eᵃ = eᵃ
        case .log: return g.divided(c, a)  // d/da log a = 1/a
        case .sqrt: return g.divided(c, g.times(g.constant(2), y))  // d/da √a = 1/(2√a)
        case .abs: return g.times(c, g.apply(.sign, a))  // d/da |a| = sign(a), 0 at 0
        case .square: return g.times(c, g.times(g.constant(2), a))  // d/da a² = 2a
        case .sin: return g.times(c, g.apply(.cos, a))  // d/da sin a = cos a
        case .cos: return g.negate(g.times(c, g.apply(.sin, a)))  // d/da cos a = −sin a
        case .tanh: return g.times(c, g.minus(one, g.apply(.square, y)))  // d/da tanh a = 1 − tanh² a
        case .sigmoid: return g.times(c, g.times(y, g.minus(one, y)))  // d/da σ(a) = σ(a)(1 − σ(a))
        case .relu: return g.times(c, g.apply(.step, a))  // d/da relu a = 1 if a > 0, else 0 (also at 0)
        case .softplus: return g.times(c, g.apply(.sigmoid, a))  // d/da log(1 + eᵃ) = σ(a)
        case .leakyRelu(let slope):  // d/da = 1 if a > 0, else slope
            let derivative = g.plus(g.constant(slope), g.times(g.constant(1 - slope), g.apply(.step, a)))
            return g.times(c, derivative)
        case .erf:  // d/da erf a = (2/√π) e^(−a²)
            return g.times(c, g.times(g.constant(Self.twoOverSquareRootOfPi), g.apply(.exp, g.negate(g.apply(.square, a)))))
        case .gelu(false):  // d/da a Φ(a) = Φ(a) + a φ(a), Φ(a) = ½(1 + erf(a/√2)), φ(a) = e^(−a²/2)/√(2π)
            let distribution = g.times(g.constant(0.5), g.plus(one, g.apply(.erf, g.times(g.constant(Self.inverseSquareRootOfTwo), a))))
            let density = g.times(g.constant(Self.inverseSquareRootOfTwoPi), g.apply(.exp, g.times(g.constant(-0.5), g.apply(.square, a))))
            return g.times(c, g.plus(distribution, g.times(a, density)))
        case .gelu(true):  // d/da ½a(1 + tanh u) = ½(1 + tanh u) + ½a(1 − tanh² u) u', u = k(a + 0.044715a³), u' = k(1 + 3·0.044715a²)
            let k = g.constant(Self.squareRootOfTwoOverPi)
            let square = g.apply(.square, a)
            let t = g.apply(.tanh, g.times(k, g.plus(a, g.times(g.constant(Self.geluCubic), g.times(square, a)))))
            let inner = g.times(k, g.plus(one, g.times(g.constant(3 * Self.geluCubic), square)))
            let derivative = g.times(
                g.constant(0.5), g.plus(g.plus(one, t), g.times(g.times(a, g.minus(one, g.apply(.square, t))), inner)))
            return g.times(c, derivative)
        case .silu:  // d/da a σ(a) = σ(a)(1 + a(1 − σ(a)))
            let s = g.apply(.sigmoid, a)
            return g.times(c, g.times(s, g.plus(one, g.times(a, g.minus(one, s)))))
        case .elu(let alpha):  // d/da = 1 if a > 0, else alpha eᵃ = elu(a) + alpha
            let positive = g.apply(.step, a)
            return g.times(c, g.plus(positive, g.times(g.minus(one, positive), g.plus(y, g.constant(alpha)))))
        case .log1p: return g.divided(c, g.plus(one, a))  // d/da log(1 + a) = 1/(1 + a)
        case .expm1: return g.times(c, g.plus(y, one))  // d/da (eᵃ − 1) = eᵃ
        case .step, .sign, .floor, .round: return nil  // piecewise constant: zero almost everywhere
        }
    }
}

// MARK: - Scalar spellings
/// The math functions that the scalar spellings call; a printer names them for its language and
/// element type (C `expf` for `float`, `fabs` for `abs`; Swift `exp`, `abs`).
public enum MathFunction: String, Hashable, Sendable, CaseIterable {
    /// eˣ, the natural logarithm, the square root, |x|
    case exp, log, sqrt, abs
    /// sin x, cos x, tanh x
    case sin, cos, tanh
    /// log(1 + x), accurate near 0; xʸ; the larger of two
    case log1p, pow, max
    /// The error function, its complement 1 − erf x (accurate where erf x is near 1), eˣ − 1
    /// accurate near 0
    case erf, erfc, expm1
    /// The largest integer not above x; the nearest integer, ties to even (C's `rint` in the
    /// default rounding mode)
    case floor, rint
}

/// How a printer writes the pieces of a scalar expression: calls of math functions and number
/// literals of its element type. The spellings below only combine these with operators and `?:`,
/// which C and Swift write alike, so one spelling serves both printers.
public protocol ScalarSyntax {
    /// A call of a math function on spelled arguments: `expf(x)`.
    func call(_ function: MathFunction, _ arguments: String...) -> String
    /// A number of the element type: `0.5f`, `(-1.0)`.
    func literal(_ value: Double) -> String
}

extension ScalarSyntax {
    /// The number `text` spells when it is one of this syntax's literals (exactly as `literal`
    /// writes it), else nil: lets a spelling fold a constant that the lowering passes as a literal.
    public func value(ofLiteral text: String) -> Double? {
        var digits = Substring(text)
        if digits.hasPrefix("("), digits.hasSuffix(")") { digits = digits.dropFirst().dropLast() }
        if digits.hasSuffix("f") { digits = digits.dropLast() }
        guard let value = Double(digits), literal(value) == text else { return nil }
        return value
    }
}

extension Elementwise {
    /// The C or Swift expression for one element, given its operand's spelling `a`, which must be a
    /// name, a literal or an element load (the lowering binds anything larger to a name first,
    /// because some spellings use `a` twice).
    public func spelling(_ a: String, _ s: some ScalarSyntax) -> String {
        let (zero, one) = (s.literal(0), s.literal(1))
        switch self {
        case .negate: return "(-\(a))"
        case .exp: return s.call(.exp, a)
        case .log: return s.call(.log, a)
        case .sqrt: return s.call(.sqrt, a)
        case .abs: return s.call(.abs, a)
        case .square: return "(\(a) * \(a))"
        case .sin: return s.call(.sin, a)
        case .cos: return s.call(.cos, a)
        case .tanh: return s.call(.tanh, a)
        case .sigmoid:  // stable on both sides, as `apply`
            let negative = s.call(.exp, a)
            return "(\(a) >= \(zero) ? \(one) / (\(one) + \(s.call(.exp, "(-\(a))"))) : \(negative) / (\(one) + \(negative)))"
        case .relu: return "(\(a) > \(zero) ? \(a) : \(zero))"
        case .softplus: return "(\(s.call(.max, a, zero)) + \(s.call(.log1p, s.call(.exp, "(-\(s.call(.abs, a)))"))))"
        case .leakyRelu(let slope): return "(\(a) > \(zero) ? \(a) : \(s.literal(slope)) * \(a))"
        case .step: return "(\(a) > \(zero) ? \(one) : \(zero))"
        case .sign: return "(\(a) > \(zero) ? \(one) : (\(a) < \(zero) ? \(s.literal(-1)) : \(zero)))"
        case .erf: return s.call(.erf, a)
        case .gelu(false):  // ½a erfc(−a/√2), as `apply`
            return "(\(s.literal(0.5)) * \(a) * \(s.call(.erfc, "(-\(a) * \(s.literal(Self.inverseSquareRootOfTwo)))")))"
        case .gelu(true):
            let cubic = "(\(a) + \(s.literal(Self.geluCubic)) * \(a) * \(a) * \(a))"
            return "(\(s.literal(0.5)) * \(a) * (\(one) + \(s.call(.tanh, "\(s.literal(Self.squareRootOfTwoOverPi)) * \(cubic)"))))"
        case .silu: return "(\(a) * \(Elementwise.sigmoid.spelling(a, s)))"
        case .elu(let alpha): return "(\(a) > \(zero) ? \(a) : \(s.literal(alpha)) * \(s.call(.expm1, a)))"
        case .log1p: return s.call(.log1p, a)
        case .expm1: return s.call(.expm1, a)
        case .floor: return s.call(.floor, a)
        case .round: return s.call(.rint, a)
        }
    }
}

// MARK: - Notation
extension Elementwise {
    var sourceNotation: SourceNotation {
        switch self {
        case .negate: return .prefix("-")
        case .exp, .log, .sqrt, .abs, .square, .sin, .cos, .tanh, .sigmoid, .relu, .softplus, .leakyRelu, .step, .sign,
            .erf, .gelu, .silu, .elu, .log1p, .expm1, .floor, .round:
            return .call
        }
    }

    var mathNotation: MathNotation {
        switch self {
        case .negate: return .negation
        case .square: return .square
        case .step: return .indicator(">")
        case .exp, .log, .sqrt, .abs, .sin, .cos, .tanh, .sigmoid, .relu, .softplus, .leakyRelu, .sign, .erf, .gelu, .silu, .elu,
            .log1p, .expm1, .floor, .round:
            return .call
        }
    }
}
