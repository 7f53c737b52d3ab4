/// A constant argument that is part of an op: `sum`'s axis, `leaky_relu`'s slope, `huber`'s delta.
/// The IR text, the loop-nest comments and the closed forms all print an op's attributes from here,
/// and the IR parser sets them through `Op.setting`, so no printer can drop or misspell one.
public struct OpAttribute: Hashable, Sendable {
    /// What kind of value an attribute holds, which decides how it prints.
    public enum Value: Hashable, Sendable {
        /// An axis of the operand (negative counts from the end).
        case axis(Int)
        /// A number known at compile time.
        case number(Double)

        var asDouble: Double {
            switch self {
            case .axis(let axis): return Double(axis)
            case .number(let value): return value
            }
        }
    }

    /// The parameter's name in model files: `axis`, `slope`, `delta`.
    public var name: String
    public var value: Value
    /// The value a model file gets when it leaves the argument out (nil: it has no default).
    public var defaultValue: Value?

    init(_ name: String, _ value: Value, default defaultValue: Value? = nil) {
        self.name = name
        self.value = value
        self.defaultValue = defaultValue
    }

    /// `axis=1`, `slope=0.1`: the IR text form (an exact Double, so the text round-trips).
    public var irText: String {
        switch value {
        case .axis(let axis): return "\(name)=\(axis)"
        case .number(let number): return "\(name)=\(number)"
        }
    }

    /// `axis = 1`, `0.1`: as the last argument of a call in the model language (a number by
    /// position, as users write `leaky_relu(a, 0.1)`; an axis by keyword, as `sum(a, axis = 1)`).
    public var argumentText: String {
        switch value {
        case .axis(let axis): return "axis = \(axis)"
        case .number(let number): return formatNumber(number)
        }
    }

    /// `slope = 0.1`, `axis = 0`: by keyword, as the closed forms write a non-default attribute.
    public var keywordText: String {
        switch value {
        case .axis(let axis): return "\(name) = \(axis)"
        case .number(let number): return "\(name) = \(formatNumber(number))"
        }
    }

    /// Whether the attribute has the value a model file gets by leaving it out, for an operand of
    /// `rank` (an axis default of −1 means the last axis).
    public func isDefault(operandRank rank: Int) -> Bool {
        switch (value, defaultValue) {
        case (_, nil): return false
        case (.axis(let axis), .axis(let fallback)?):
            return (axis < 0 ? axis + rank : axis) == (fallback < 0 ? fallback + rank : fallback)
        case (.number(let number), .number(let fallback)?): return number == fallback
        case (.axis, .number?), (.number, .axis?): return false
        }
    }
}

// MARK: - The whole table
extension Op {
    /// Every op that computes (not leaves or structural ops, whose attributes are names and
    /// shapes), with its attributes at their defaults: what the IR parser looks mnemonics up in.
    public static let computations: [Op] =
        Elementwise.all.map(Op.elementwise) + Arithmetic.allCases.map(Op.arithmetic)
        + Reduction.allCases.map { .reduction($0, axis: nil) } + Normalizer.allCases.map { .normalizer($0, axis: -1) }
        + LinearAlgebra.allCases.map(Op.linearAlgebra) + Loss.all.map(Op.loss)

    /// The op's name in the IR's text form: one word per op (`neg`, `add`, `matmul`).
    public var mnemonic: String {
        switch self {
        case .leaf(let leaf): return leaf.name
        case .structural(let op): return op.name
        case .elementwise(let op): return op.mnemonic
        case .arithmetic(let op): return op.mnemonic
        case .reduction(let op, _): return op.name
        case .normalizer(let op, _): return op.name
        case .linearAlgebra(let op): return op.mnemonic
        case .loss(let op): return op.name
        case .indexing(let op): return op.name
        }
    }

    /// The op's constant numeric arguments, in order (leaves' names and structural ops' shapes are
    /// part of the op but not attributes).
    public var attributes: [OpAttribute] {
        switch self {
        case .leaf, .structural, .arithmetic, .linearAlgebra, .indexing: return []
        case .elementwise(let op): return op.attributes
        case .reduction(_, let axis): return axis.map { [OpAttribute("axis", .axis($0))] } ?? []
        case .normalizer(_, let axis): return [OpAttribute("axis", .axis(axis), default: .axis(-1))]
        case .loss(let op): return op.attributes
        }
    }

    /// The same op with the attributes named in `values` set (others keep their values).
    public func setting(_ values: [String: Double]) -> Op {
        switch self {
        case .leaf, .structural, .arithmetic, .linearAlgebra, .indexing: return self
        case .elementwise(let op): return .elementwise(op.setting(values))
        case .reduction(let op, let axis): return .reduction(op, axis: values["axis"].map { Int($0) } ?? axis)
        case .normalizer(let op, let axis): return .normalizer(op, axis: values["axis"].map { Int($0) } ?? axis)
        case .loss(let op): return .loss(op.setting(values))
        }
    }

    /// The computation whose mnemonic is `mnemonic` with exactly the attributes `values` (by
    /// name, in the order the op lists them), or nil when there is none or an attribute is
    /// missing or unknown.
    public static func computation(mnemonic: String, attributes values: [(name: String, value: Double)]) -> Op? {
        guard let template = computations.first(where: { $0.mnemonic == mnemonic }) else { return nil }
        let op = template.setting(Dictionary(values.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first }))
        let attributes = op.attributes
        guard attributes.map(\.name) == values.map(\.name),
            zip(attributes, values).allSatisfy({ $0.value.asDouble == $1.value })
        else { return nil }
        return op
    }
}
