/// Constructors that write a formula the way a person would: `2 δ₁` for `δ₁ + δ₁`, `0.5` for
/// `−(−0.5)`, `a − 0.5` for `a + −0.5`, `0.5` for `−0.5 −1`. Each rewrite is exact (signs, a
/// product with 1, doubling) or folds numbers the graph folds too, so a tidied formula evaluates
/// to the value of the graph it came from; the closed forms use them where they build formulas.
extension Formula {
    /// `a + b`
    static func sum(_ a: Formula, _ b: Formula) -> Formula {
        if case .number(let x) = a, case .number(let y) = b { return .number(x + y) }
        if a == b { return scaled(.number(2), a) }  // δ₁ + δ₁ -> 2 δ₁
        if let positive = b.withoutSign { return .subtract(a, positive) }  // a + −b -> a − b
        return .add(a, b)
    }

    /// `a − b`
    static func difference(_ a: Formula, _ b: Formula) -> Formula {
        if case .number(let x) = a, case .number(let y) = b { return .number(x - y) }
        if let positive = b.withoutSign { return sum(a, positive) }  // a − −b -> a + b
        return .subtract(a, b)
    }

    /// `−a`
    static func negation(_ a: Formula) -> Formula {
        a.withoutSign ?? .negate(a)  // −(−a) -> a, −(0.5) -> −0.5
    }

    /// `s a`, a scalar times anything: numbers multiply, a factor 1 goes, −1 is a sign.
    static func scaled(_ s: Formula, _ a: Formula) -> Formula {
        switch (s, a) {
        case (.number(let x), .number(let y)): return .number(x * y)
        case (.number(1), _): return a
        case (_, .number(1)): return s
        case (.number(-1), _): return negation(a)
        case (.number(let x), .product(.number(let y), let b)): return scaled(.number(x * y), b)
        case (.number(let x), _):
            // 2 (−b) -> −2 b: the sign joins the number rather than print as `2 −b`.
            if let positive = a.withoutSign { return scaled(.number(-x), positive) }
            return .product(s, a)
        default:
            if let positive = a.withoutSign { return negation(.product(s, positive)) }
            return .product(s, a)
        }
    }

    /// `a ⊙ b`, or a scalar product when one side is a number.
    static func elementwiseProduct(_ a: Formula, _ b: Formula) -> Formula {
        if case .number = a { return scaled(a, b) }
        if case .number = b { return scaled(b, a) }
        return .hadamard(a, b)
    }

    /// The formula with its leading minus sign removed, if it has one: `−a` -> `a`, `−0.5` ->
    /// `0.5`, `−2 x` -> `2 x`, `(−a) ⊙ b` -> `a ⊙ b`.
    var withoutSign: Formula? {
        switch self {
        case .negate(let a): return a
        case .number(let value) where value < 0: return .number(-value)
        case .product(.number(let value), let b) where value < 0: return Formula.scaled(.number(-value), b)
        case .product(let a, let b):
            if let positive = a.withoutSign { return .product(positive, b) }
            return nil
        case .hadamard(let a, let b):
            if let positive = a.withoutSign { return .hadamard(positive, b) }
            if let positive = b.withoutSign { return .hadamard(a, positive) }
            return nil
        case .quotient(let a, let b):
            if let positive = a.withoutSign { return .quotient(positive, b) }
            return nil
        case .symbol, .number, .add, .subtract, .power, .transpose, .call, .indicator, .reduce, .subscripted, .list, .scatter:
            return nil
        }
    }
}
