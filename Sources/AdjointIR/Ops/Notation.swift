/// How formulas write an op, in two notations: the model language's, which the comments above
/// generated loop nests use (`relu(x @ W1 + b1)`), and a textbook's, which the closed forms use
/// (`xᵀ δ₂`, `Σ_batch`, `[a > 0]`). Each family states both, so a new function such as `erf`
/// prints everywhere as `erf(a)` without touching a printer.
public enum SourceNotation: Hashable, Sendable {
    /// `name(a, b, attributes)`.
    case call
    /// `-a`.
    case prefix(String)
    /// `a + b`; `binding` decides where its operands need parentheses.
    case infix(String, binding: InfixBinding)
}

/// How tightly an infix operator binds, for the parentheses the loop-nest comments print: every
/// infix operand is parenthesized except a matrix product under `+` or `-` (`x @ W1 + b1`, as
/// models write it).
public enum InfixBinding: Hashable, Sendable {
    /// `+`, `-`.
    case additive
    /// `@`.
    case matrixProduct
    /// `*`, `/`, `^`, `>=`.
    case other
}

/// How a textbook writes the op.
public enum MathNotation: Hashable, Sendable {
    /// `name(a, b)`, then the attributes that differ from their defaults by keyword.
    case call
    /// `−a`.
    case negation
    /// `a + b`, `a − b`, `a / b`, `aᵇ`.
    case sum, difference, quotient, power
    /// `s a` when an operand is a scalar, else the elementwise `a ⊙ b`.
    case product
    /// `a²`.
    case square
    /// `[a > 0]` with one operand (compared with 0), `[a ≥ b]` with two.
    case indicator(String)
    /// `𝟙(c) ⊙ a`: `a` where the condition holds, else 0 (half of `where`).
    case masked
    /// `Σ_axis a`: a big operator over the op's axis attribute (every element without one).
    case reduce(String)
    /// `A B`.
    case matrixProduct
    /// `Aᵀ`.
    case transpose
    /// `x[1:4]`, `E[ids]`: selection by position, written as the selected operand's index.
    case subscripted
    /// `Σ_{i: ids_i = r} δ_i`: a scatter-add, the adjoint of a selection.
    case scatter
}

extension Op {
    /// How the model language writes the op (leaves and structural ops are the printers' own:
    /// they are names, and views that print as their operand).
    public var sourceNotation: SourceNotation {
        switch self {
        case .leaf, .structural, .reduction, .normalizer, .loss, .indexing: return .call
        case .elementwise(let op): return op.sourceNotation
        case .arithmetic(let op): return op.sourceNotation
        case .linearAlgebra(let op): return op.sourceNotation
        }
    }

    /// How a textbook writes the op (leaves and structural ops are the printers' own).
    public var mathNotation: MathNotation {
        switch self {
        case .leaf, .structural, .normalizer, .loss: return .call
        case .indexing(let op): return op.mathNotation
        case .elementwise(let op): return op.mathNotation
        case .arithmetic(let op): return op.mathNotation
        case .reduction(let op, _): return op.mathNotation
        case .linearAlgebra(let op): return op.mathNotation
        }
    }
}
