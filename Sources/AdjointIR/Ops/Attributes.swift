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
        /// A permutation of the operand's axes: `transpose`'s `axes = [0, 2, 1]`.
        case axes([Int])

        /// Whether a value as the IR text gives it (a number for an axis, or a list) is this one.
        func matches(_ other: Value) -> Bool {
            switch (self, other) {
            case (.axes(let mine), .axes(let theirs)): return mine == theirs
            case (.axes, _), (_, .axes): return false
            case (.axis(let axis), .number(let number)), (.number(let number), .axis(let axis)): return Double(axis) == number
            case (.axis(let mine), .axis(let theirs)): return mine == theirs
            case (.number(let mine), .number(let theirs)): return mine == theirs
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
        case .axes(let axes): return "\(name)=[" + axes.map(String.init).joined(separator: ",") + "]"
        }
    }

    /// `axis = 1`, `0.1`: as the last argument of a call in the model language (a number by
    /// position, as users write `leaky_relu(a, 0.1)`; an axis by keyword, as `sum(a, axis = 1)`).
    public var argumentText: String {
        switch value {
        case .axis(let axis): return "axis = \(axis)"
        case .number(let number): return formatNumber(number)
        case .axes(let axes): return "\(name) = " + Self.listText(axes)
        }
    }

    /// `slope = 0.1`, `axis = 0`: by keyword, as the closed forms write a non-default attribute.
    public var keywordText: String {
        switch value {
        case .axis(let axis): return "\(name) = \(axis)"
        case .number(let number): return "\(name) = \(formatNumber(number))"
        case .axes(let axes): return "\(name) = " + Self.listText(axes)
        }
    }

    /// `[0, 2, 1]`, as model files write a list.
    static func listText(_ values: [Int]) -> String { "[" + values.map(String.init).joined(separator: ", ") + "]" }

    /// Whether the attribute has the value a model file gets by leaving it out, for an operand of
    /// `rank` (an axis default of −1 means the last axis).
    public func isDefault(operandRank rank: Int) -> Bool {
        // A permutation's default is every axis reversed (`transpose(a)`).
        if case .axes(let axes) = value { return axes.isEmpty || axes == LinearAlgebra.reversedAxes(rank: rank) }
        switch (value, defaultValue) {
        case (_, nil): return false
        case (.axis(let axis), .axis(let fallback)?):
            return (axis < 0 ? axis + rank : axis) == (fallback < 0 ? fallback + rank : fallback)
        case (.number(let number), .number(let fallback)?): return number == fallback
        case (.axis, .number?), (.number, .axis?), (_, .axes?), (.axes, _): return false
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
        + LinearAlgebra.all.map(Op.linearAlgebra) + Loss.all.map(Op.loss)

    /// The op's name in the IR's text form: one word per op (`neg`, `add`, `matmul`).
    public var mnemonic: String {
        switch self {
        case .leaf(let leaf): return leaf.name
        case .structural(let op): return op.name
        case .elementwise(let op): return op.mnemonic
        case .arithmetic(let op): return op.mnemonic
        case .reduction(let op, _): return op.mnemonic
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
        case .leaf, .structural, .arithmetic, .indexing: return []
        case .linearAlgebra(let op): return op.attributes
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
        computation(mnemonic: mnemonic, values: values.map { ($0.name, OpAttribute.Value.number($0.value)) })
    }

    /// As `computation(mnemonic:attributes:)`, with list attributes (`axes=[0,2,1]`) too; a
    /// number stands for an axis.
    public static func computation(mnemonic: String, values: [(name: String, value: OpAttribute.Value)]) -> Op? {
        guard let template = computations.first(where: { $0.mnemonic == mnemonic }) else { return nil }
        var numbers: [String: Double] = [:]
        var lists: [String: [Int]] = [:]
        for (name, value) in values {
            switch value {
            case .axis(let axis): numbers[name] = numbers[name] ?? Double(axis)
            case .number(let number): numbers[name] = numbers[name] ?? number
            case .axes(let axes): lists[name] = lists[name] ?? axes
            }
        }
        var op = template.setting(numbers)
        if case .linearAlgebra(let linear) = op { op = .linearAlgebra(linear.setting(axes: lists)) }
        let attributes = op.attributes
        guard attributes.map(\.name) == values.map(\.name),
            zip(attributes, values).allSatisfy({ $0.value.matches($1.value) })
        else { return nil }
        return op
    }
}
