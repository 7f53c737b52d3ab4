import AdjointIR
import AdjointSyntax

/// A model file that passed every check: declarations resolved, every expression typed with its
/// shape and its calls resolved to ops of the op table. The next stage builds the tensor graph
/// from it.
public struct CheckedProgram: Sendable {
    /// `dim batch` (size nil: known at run time) or `dim hidden = 32`.
    public struct DimDecl: Sendable {
        public var name: String
        public var size: Int?
        public var range: SourceRange
    }

    /// `input x: [batch, 64]`, `input tokens: int[batch, seq]`.
    public struct InputDecl: Sendable {
        public var name: String
        public var shape: Shape
        public var range: SourceRange
        /// `int` for ids and class labels (`const int32_t *` in C, `[Int32]` in Swift).
        public var element: ElementType = .real

        public init(name: String, shape: Shape, range: SourceRange, element: ElementType = .real) {
            self.name = name
            self.shape = shape
            self.range = range
            self.element = element
        }
    }

    /// `param W1: [64, 32] = he`, with the default initializer filled in.
    public struct ParamDecl: Sendable {
        public var name: String
        public var shape: Shape
        public var initializer: Initializer
        public var range: SourceRange
    }

    /// `const target = -10`, or a tensor constant `const causal: [seq, seq] = tril`.
    public struct ConstDecl: Sendable {
        public var name: String
        /// A scalar const's value (0 for a tensor constant).
        public var value: Double
        public var range: SourceRange
        /// A tensor constant's shape (static) and elements; nil for a scalar `const NAME = NUMBER`.
        public var tensor: (shape: Shape, pattern: ConstantPattern)? = nil

        public init(name: String, value: Double, range: SourceRange, tensor: (shape: Shape, pattern: ConstantPattern)? = nil) {
            self.name = name
            self.value = value
            self.range = range
            self.tensor = tensor
        }
    }

    /// `h = relu(x @ W1 + b1)`: the typed expression and the source it came from.
    public struct ValueDecl: Sendable {
        public var name: String
        public var expr: TypedExpr
        public var source: Expr
        public var range: SourceRange
        public var shape: Shape { expr.shape }
    }

    /// `minimize loss`: `name` is the minimized value's name, or `loss` for an unnamed expression.
    public struct Objective: Sendable {
        public var name: String
        public var expr: TypedExpr
        public var source: Expr
        /// Whether the file wrote a plain name after `minimize`.
        public var isNamed: Bool
    }

    public var dims: [DimDecl] = []
    public var inputs: [InputDecl] = []
    public var params: [ParamDecl] = []
    public var constants: [ConstDecl] = []
    /// Named intermediates in file order (each only uses names before it).
    public var values: [ValueDecl] = []
    /// What `predict` returns, in the order listed.
    public var outputs: [String] = []
    public var objective: Objective
    public var updateRule: UpdateRule
    /// Declarations that hide a version 2 built-in of the same name (a warning each).
    public var hiddenBuiltins: [Identifier] = []
}

/// A checked expression: what it computes and its shape.
public struct TypedExpr: Sendable {
    public indirect enum Kind: Sendable {
        /// A number, or a `const` (its name kept for printing).
        case constant(Double, name: String?)
        case input(String)
        /// A tensor constant (`const causal: [seq, seq] = tril`), by name.
        case tensorConstant(String)
        case param(String)
        /// A named intermediate (`h`), by name.
        case value(String)
        /// An op of the op table applied to its operands; axes are counted from 0.
        case apply(Op, [TypedExpr])
        /// `a + b - c`: binary ops applied left to right, each to the value so far and its link's
        /// operand. Flat like the source's chain, so that a long chain is not a deep tree.
        case chain(TypedExpr, [Link])
    }

    /// One step of a chain: `- c` in `a + b - c`.
    public struct Link: Sendable {
        public var op: Op
        public var operand: TypedExpr

        public init(_ op: Op, _ operand: TypedExpr) {
            self.op = op
            self.operand = operand
        }
    }

    public var kind: Kind
    public var shape: Shape
    /// `int` for ids and class labels (an `int` input, and what indexing, reshaping and
    /// concatenation make of one); every computation gives `real`.
    public var element: ElementType
    public var range: SourceRange

    public init(_ kind: Kind, shape: Shape, element: ElementType = .real, range: SourceRange) {
        self.kind = kind
        self.shape = shape
        self.element = element
        self.range = range
    }
}
