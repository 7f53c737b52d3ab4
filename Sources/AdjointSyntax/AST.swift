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
        /// `input x: [batch, 64]`, `input labels: int[batch]`; no shape is a scalar. `elementType` is
        /// nil when none is written (float).
        case input(name: Identifier, elementType: ElementTypeSyntax?, shape: ShapeSyntax?)
        /// `param W1: [64, hidden] = he`, `param x = -2`.
        case param(name: Identifier, shape: ShapeSyntax?, initializer: InitializerSyntax?)
        /// `const target = -10`, `const causal: [seq, seq] = tril`, `const I2: [2, 2] = [[1, 0], [0, 1]]`.
        /// The parser takes any initializer with or without a shape; the checker decides what fits.
        case const(name: Identifier, shape: ShapeSyntax?, value: ConstInitializerSyntax)
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

/// `int` or `float`, written before an input's shape: `input tokens: int[batch, seq]`. The two
/// words are not keywords; the parser recognizes them only in this place.
public struct ElementTypeSyntax: Sendable {
    /// The element types a model can write.
    public enum Kind: String, CaseIterable, Sendable {
        /// `int`: integers (class indices, token ids); no gradient.
        case int
        /// `float`: the `real` of the kernels; what an input without an element type holds.
        case float
    }

    public var kind: Kind
    /// The word as written.
    public var range: SourceRange

    public init(_ kind: Kind, range: SourceRange) {
        self.kind = kind
        self.range = range
    }
}

/// What follows `=` in a const declaration: `-10`, `[[1, 0], [0, 1]]`, `eye`.
public enum ConstInitializerSyntax: Sendable {
    /// `-10`: every element (or the scalar's value).
    case number(NumberLiteral)
    /// `[[1, 0], [0, 1]]`: the elements in row-major order.
    case list(NumberListSyntax)
    /// `zeros`, `ones`, `eye`, `tril`, `triu` (the checker knows which names exist).
    case named(Identifier)

    public var range: SourceRange {
        switch self {
        case .number(let literal): return literal.range
        case .list(let list): return list.range
        case .named(let name): return name.range
        }
    }
}

/// `[1, -2.5, 3]` or `[[1, 0], [0, 1]]`: a nested list of signed number literals.
public struct NumberListSyntax: Sendable {
    /// One element: a number, or a list one level deeper.
    public enum Element: Sendable {
        /// `-2.5`
        case number(NumberLiteral)
        /// `[1, 0]`
        case list(NumberListSyntax)

        public var range: SourceRange {
            switch self {
            case .number(let literal): return literal.range
            case .list(let list): return list.range
            }
        }
    }

    public var elements: [Element]
    /// From `[` through `]`.
    public var range: SourceRange

    public init(elements: [Element], range: SourceRange) {
        self.elements = elements
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
        /// `x[0]`, `x[:, 0:4]`, `h[..., -1]`, `E[tokens]`: postfix indexing of any primary, binding
        /// tighter than `^` and unary minus (`-x[0]` is `-(x[0])`). `x[0][1:]` nests.
        case index(Expr, [IndexItem])
        /// `[a, b]`, `[batch, -1]`: a list literal (may nest), only as a call argument's value
        /// (`concat([a, b], axis = 0)`); the parser reports it anywhere else.
        case list([Expr])
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
        case .index(let base, let items): height = max(base.height, items.map(\.height).max() ?? 0) + 1
        case .list(let elements): height = (elements.map(\.height).max() ?? 0) + 1
        }
    }
}

/// One item between the brackets of an index: `0`, `1:4`, `::2`, `...`, `tokens`.
public enum IndexItem: Sendable {
    /// `2`, `-1`, `k`, `tokens`: one position (removes the axis), or an `int` tensor to gather
    /// with. Kept a general expression; the checker decides what it may be.
    case expression(Expr)
    /// `start:stop:step`, each part optional: `1:4`, `:3`, `2:`, `::2`, `:`. `range` runs from the
    /// first character of the slice to its last (a lone `:` is its colon).
    case slice(start: Expr?, stop: Expr?, step: Expr?, range: SourceRange)
    /// `...`: as many `:` as the remaining axes need.
    case ellipsis(range: SourceRange)

    public var range: SourceRange {
        switch self {
        case .expression(let expr): return expr.range
        case .slice(_, _, _, let range), .ellipsis(let range): return range
        }
    }

    /// The height of the tallest expression in the item (0 for `...` and `:`).
    var height: Int {
        switch self {
        case .expression(let expr): return expr.height
        case .slice(let start, let stop, let step, _): return [start, stop, step].compactMap { $0?.height }.max() ?? 0
        case .ellipsis: return 0
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
    /// Version 2's comparisons, looser than `+ -`; they do not chain.
    case less = "<", lessEqual = "<=", greater = ">", greaterEqual = ">=", equal = "==", notEqual = "!="

    /// The comparisons.
    public static let comparisons: [BinaryOperator] = [.less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual]

    /// Binding strength: larger binds tighter. Unary minus sits between 2 and 3.
    public var precedence: Int {
        switch self {
        case .less, .lessEqual, .greater, .greaterEqual, .equal, .notEqual: return 0
        case .add, .subtract: return 1
        case .multiply, .divide, .matmul: return 2
        case .power: return 3
        }
    }
}
