import AdjointIR

/// A formula as a person writes it, in matrix notation: what closed forms print.
public indirect enum Formula: Sendable, Equatable {
    /// `x`, `W1`, `batch`, `δ₁` (a bound subexpression)
    case symbol(String)
    case number(Double)
    case add(Formula, Formula)
    case subtract(Formula, Formula)
    case negate(Formula)
    /// Juxtaposition: a scalar times anything (`2 x`), or a matrix product (`x W`).
    case product(Formula, Formula)
    /// The elementwise product of two tensors: `a ⊙ b`.
    case hadamard(Formula, Formula)
    case quotient(Formula, Formula)
    case power(Formula, Formula)
    /// `xᵀ`
    case transpose(Formula)
    /// `relu(a)`, `max(a, b)`, `softmax(a, axis = 0)`, and `broadcast(1, [3, 3])` where a shape must show
    case call(String, [Formula])
    /// `𝟙(a > 0)`: 1 where the comparison holds, else 0.
    case indicator(Formula, String, Formula)
    /// `Σ_batch a`, `mean_axis1 a`: a reduction, over the axes named by `over` (nil: every element).
    case reduce(String, over: String?, Formula)
    /// `E[tokens]`, `x[1:4, −1]`: selection by position; each item is an index formula or a
    /// slice's text (`1:4`, `:`, `::2`).
    case subscripted(Formula, [Formula])
    /// `[a, b]`: the list argument of `concat`.
    case list([Formula])
    /// `Σ_{i: ids_i = r} u[i]` over rows `r < rows`: the scatter-add of the rows of `u` (one per
    /// id) into the rows the ids name, the adjoint of `E[ids]`.
    case scatter(ids: Formula, rows: String, Formula)

    /// How many formula nodes it has (the measure of expression swell).
    public var size: Int {
        switch self {
        case .symbol, .number: return 1
        case .negate(let a), .transpose(let a), .reduce(_, _, let a): return 1 + a.size
        case .subscripted(let a, let items): return 1 + a.size + items.reduce(0) { $0 + $1.size }
        case .list(let items): return 1 + items.reduce(0) { $0 + $1.size }
        case .scatter(let ids, _, let a): return 1 + ids.size + a.size
        case .add(let a, let b), .subtract(let a, let b), .product(let a, let b), .hadamard(let a, let b),
            .quotient(let a, let b), .power(let a, let b), .indicator(let a, _, let b):
            return 1 + a.size + b.size
        case .call(_, let arguments): return 1 + arguments.reduce(0) { $0 + $1.size }
        }
    }
}
