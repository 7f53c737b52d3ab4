import AdjointIR
import AdjointSyntax

// MARK: - Randomness: normal, uniform, dropout
extension Checker {
    /// `normal([batch, 8])`, `uniform([4])`: a draw of that shape with the next stream id. A shape
    /// is written out (no `-1`: there is nothing to infer it from).
    mutating func checkDraw(_ name: String, _ sizes: [Dim?], source: Expr, at expr: Expr) -> TypedExpr? {
        let known = sizes.compactMap { $0 }
        guard known.count == sizes.count else {
            report(.invalidArgument("'\(name)' needs every size of its shape, found -1 in '\(ExprPrinter.print(source))'"), at: source.range)
            return nil
        }
        let draw = RandomDraw(name == "normal" ? .normal : .uniform, stream: nextStream(), shape: Shape(known))
        return TypedExpr(.apply(.leaf(.random(draw)), []), shape: draw.shape, range: expr.range)
    }

    /// `dropout(a, p)`: `a * mask`, with the mask a draw of `a`'s shape (1 / (1 - p) with
    /// probability 1 - p, else 0), so its derivative is the product's. `p` is in [0, 1).
    mutating func checkDropout(_ a: TypedExpr, p: Double, at range: SourceRange, _ expr: Expr) -> TypedExpr? {
        guard p >= 0, p < 1 else {
            report(.invalidArgument("dropout's 'p' is the probability of dropping an element, from 0 up to but not including 1, got \(formatNumber(p))"), at: range)
            return nil
        }
        guard a.element == .real else {
            report(.invalidArgument("'dropout' takes a real tensor, found int\(a.shape)"), at: a.range)
            return nil
        }
        let draw = RandomDraw(.keep(p), stream: nextStream(), shape: a.shape)
        let mask = TypedExpr(.apply(.leaf(.random(draw)), []), shape: a.shape, range: expr.range)
        return TypedExpr(.apply(.arithmetic(.multiply), [a, mask]), shape: a.shape, range: expr.range)
    }

    /// The next random call's stream id: its order in the model file.
    private mutating func nextStream() -> Int {
        defer { randomStreams += 1 }
        return randomStreams
    }
}
