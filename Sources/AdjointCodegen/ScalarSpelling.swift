import AdjointIR

extension ScalarExpr {
    /// The expression in a printer's language: the op table's spellings with the printer's
    /// `syntax`, and the printer's own spellings of what differs between languages (an element
    /// of a buffer, an integer as a real number, the step count). The C and Swift printers share
    /// it, so the two spell every scalar alike.
    func spelled(
        _ syntax: some ScalarSyntax, element: (Storage, IntExpr) -> String,
        condition: (IntComparison, IntExpr, IntExpr) -> String, integer: (IntExpr) -> String, stepCount: (Int) -> String,
        draw: (RandomDraw, IntExpr) -> String
    ) -> String {
        func spell(_ expr: ScalarExpr) -> String {
            switch expr {
            case .literal(let value): return syntax.literal(value)
            case .load(let storage, let index): return element(storage, index)
            case .name(let name): return name
            case .integer(let value): return integer(value)
            case .stepCount(let offset): return stepCount(offset)
            case .draw(let random, let index): return draw(random, index)
            case .elementwise(let op, let a): return op.spelling(spell(a), syntax)
            case .arithmetic(let op, let a, let b): return op.spelling(spell(a), spell(b), syntax)
            case .call(let function, let arguments):
                return syntax.call(function, arguments.map(spell).joined(separator: ", "))
            case .lossTerm(let op, let p, let t, let lse):
                return op.termSpelling(spell(p), spell(t), logSumExp: lse.map(spell), syntax)
            case .logSumExp(let largest, let total):
                return Reduction.logSumExpSpelling(largest: spell(largest), shiftedSum: spell(total), syntax)
            case .normalizer(let op, let x, let lse): return op.spelling(spell(x), logSumExp: spell(lse), syntax)
            case .select(let comparison, let a, let b, let x, let y):
                return "(\(condition(comparison, a, b)) ? \(spell(x)) : \(spell(y)))"
            }
        }
        return spell(self)
    }
}
