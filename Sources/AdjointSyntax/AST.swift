/// The syntax tree of a model file. Every node carries its source range.

/// A whole `.adj` file: its statements in order.
public struct Program: Sendable {
    public var statements: [Statement]

    public init(statements: [Statement]) { self.statements = statements }
}

/// A name as written: `W1`.
public struct Identifier: Hashable, Sendable {
    public var name: String
    public var range: SourceRange

    public init(_ name: String, range: SourceRange) {
        self.name = name
        self.range = range
    }
}

/// A number literal, with a leading minus folded in where the grammar allows one (`-2`).
public struct NumberLiteral: Hashable, Sendable {
    public var value: Double
    /// The text as written, sign included: `-2`, `1e-3`.
    public var text: String
    /// Digits only (no `.`, no exponent): the form sizes and axes must take.
    public var isInteger: Bool
    public var range: SourceRange

    public init(value: Double, text: String, isInteger: Bool, range: SourceRange) {
        self.value = value
        self.text = text
        self.isInteger = isInteger
        self.range = range
    }
}

/// One statement (one logical line).
public struct Statement: Sendable {
    public enum Kind: Sendable {
        /// `dim batch` (runtime) or `dim hidden = 32` (compile time).
        case dim(name: Identifier, size: NumberLiteral?)
        /// `input x: [batch, 64]`; no shape is a scalar.
        case input(name: Identifier, shape: ShapeSyntax?)
        /// `param W1: [64, hidden] = he`, `param x = -2`.
        case param(name: Identifier, shape: ShapeSyntax?, initializer: InitializerSyntax?)
        /// `const target = -10`.
        case const(name: Identifier, value: NumberLiteral)
        /// `h = relu(x @ W1 + b1)`.
        case assign(name: Identifier, value: Expr)
        /// `output logits, probs`.
        case output(names: [Identifier])
        /// `minimize loss using adam(lr = 0.001)`.
        case minimize(objective: Expr, rule: UpdateRuleSyntax?)
        /// A statement that did not parse (already reported). `name` is what it would have
        /// declared, if that much was read, so later uses of it are not reported again.
        case invalid(name: Identifier?)
    }

    public var kind: Kind
    public var range: SourceRange

    public init(_ kind: Kind, range: SourceRange) {
        self.kind = kind
        self.range = range
    }
}

/// `[batch, 64]`.
public struct ShapeSyntax: Sendable {
    /// One size: an integer literal or a dim name.
    public enum Size: Sendable {
        case literal(NumberLiteral)
        case name(Identifier)

        public var range: SourceRange {
            switch self {
            case .literal(let literal): return literal.range
            case .name(let identifier): return identifier.range
            }
        }
    }

    public var sizes: [Size]
    public var range: SourceRange

    public init(sizes: [Size], range: SourceRange) {
        self.sizes = sizes
        self.range = range
    }
}

/// What follows `=` in a param declaration: `-2`, `he`, `normal(0, 0.01)`.
public enum InitializerSyntax: Sendable {
    case number(NumberLiteral)
    /// `arguments` is nil when the name has no parentheses.
    case named(Identifier, arguments: [LabeledNumber]?, range: SourceRange)

    public var range: SourceRange {
        switch self {
        case .number(let literal): return literal.range
        case .named(_, _, let range): return range
        }
    }
}

/// `std = 0.01` or a positional `0.01` (label nil).
public struct LabeledNumber: Sendable {
    public var label: Identifier?
    public var value: NumberLiteral

    public var range: SourceRange { label.map { $0.range.union(value.range) } ?? value.range }

    public init(label: Identifier?, value: NumberLiteral) {
        self.label = label
        self.value = value
    }
}

/// `adam(lr = 0.001, beta1 = 0.9)`; hyper-parameters are always labelled.
public struct UpdateRuleSyntax: Sendable {
    public var name: Identifier
    public var arguments: [LabeledNumber]
    public var range: SourceRange

    public init(name: Identifier, arguments: [LabeledNumber], range: SourceRange) {
        self.name = name
        self.arguments = arguments
        self.range = range
    }
}

/// An expression with its source range.
public struct Expr: Sendable {
    public indirect enum Kind: Sendable {
        /// `0.5`
        case number(NumberLiteral)
        /// `W1`
        case name(Identifier)
        /// `-a`
        case negate(Expr)
        /// `a + b - c`, `x @ W * s`: operators of one precedence level (`+ -` or `* / @`), applied
        /// left to right, at least one. Kept flat rather than as nested binary nodes, so that a
        /// 100,000-term sum is as shallow as it looks, to the nesting limit and to every pass.
        case chain(Expr, [ChainLink])
        /// `x ^ 2` (right-associative: `a ^ b ^ c` is `a ^ (b ^ c)`)
        case power(Expr, Expr)
        /// `relu(h)`, `sum(a, axis = 1)`
        case call(callee: Identifier, arguments: [Argument])
    }

    public var kind: Kind
    public var range: SourceRange
    /// Height of the tree below this node (a leaf is 1); the parser caps it so that later passes
    /// can recurse without running out of stack.
    public var height: Int

    public init(_ kind: Kind, range: SourceRange) {
        self.kind = kind
        self.range = range
        switch kind {
        case .number, .name: height = 1
        case .negate(let operand): height = operand.height + 1
        case .chain(let first, let links): height = max(first.height, links.map(\.operand.height).max() ?? 0) + 1
        case .power(let base, let exponent): height = max(base.height, exponent.height) + 1
        case .call(_, let arguments): height = (arguments.map(\.value.height).max() ?? 0) + 1
        }
    }
}

/// One step of a chain: `+ b` in `a + b`.
public struct ChainLink: Sendable {
    /// One of `+ -` or `* / @`, the same precedence level throughout a chain.
    public var op: BinaryOperator
    public var operand: Expr

    public init(_ op: BinaryOperator, _ operand: Expr) {
        self.op = op
        self.operand = operand
    }
}

/// A call argument: positional (label nil) or `axis = 1`.
public struct Argument: Sendable {
    public var label: Identifier?
    public var value: Expr

    public var range: SourceRange { label.map { $0.range.union(value.range) } ?? value.range }

    public init(label: Identifier?, value: Expr) {
        self.label = label
        self.value = value
    }
}

/// The infix operators, loosest first: `+ -`, then `* / @`, then `^`.
public enum BinaryOperator: String, CaseIterable, Sendable {
    case add = "+", subtract = "-", multiply = "*", divide = "/", matmul = "@", power = "^"

    /// Binding strength: larger binds tighter. Unary minus sits between 2 and 3.
    public var precedence: Int {
        switch self {
        case .add, .subtract: return 1
        case .multiply, .divide, .matmul: return 2
        case .power: return 3
        }
    }
}
