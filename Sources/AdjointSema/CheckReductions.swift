import AdjointIR
import AdjointSyntax

// MARK: - Version 2 reductions and selection: axis lists, keepdims, max, min, var, argmax, where
extension Checker {
    /// The signature of a version 1 reduction when a call uses what version 2 added to it
    /// (`axis = [0, 1]`, `keepdims = true`, or `max(a)` and `min(a)` with one tensor); nil when
    /// the call is version 1's (`max(a, b)` stays the elementwise maximum).
    func version2Reduction(_ callee: Identifier, _ arguments: [Argument]) -> ShapeBuiltin? {
        let name = callee.name
        let labels = arguments.compactMap { $0.label?.name }
        switch name {
        case "max", "min":
            let positional = arguments.filter { $0.label == nil }.count
            guard positional <= 1, !labels.contains("b") else { return nil }
        case "sum", "mean", "logsumexp":
            let axisArgument = arguments.first { $0.label?.name == "axis" } ?? arguments.dropFirst().first { $0.label == nil }
            var isList = false
            if case .list? = axisArgument?.value.kind { isList = true }
            guard labels.contains("keepdims") || isList else { return nil }
        default:
            return nil
        }
        return Reduction.version2Signature(name)
    }

    /// `true`, `false`, or the 1 and 0 that version 1 took as flags; nil for anything else.
    func flag(_ expr: Expr) -> Bool? {
        switch expr.kind {
        case .name(let name) where symbols.declaredAnywhere[name.name] == nil:
            return name.name == "true" ? true : name.name == "false" ? false : nil
        case .number(let literal) where literal.value == 0 || literal.value == 1: return literal.value == 1
        default: return nil
        }
    }

    /// A reduction over `axes` (every axis when nil), one reduction op per axis from the last
    /// (so that the axes left keep their numbers), `var` as `mean(square(a - mean(a, keepdims)))`,
    /// then with `keepdims` a reshape that puts back each reduced axis with size 1.
    mutating func checkReduction(
        _ name: String, _ a: TypedExpr, _ source: Expr, axes written: (values: [Int], range: SourceRange)?, keepdims: Bool,
        at expr: Expr
    ) -> TypedExpr? {
        let rank = a.shape.rank
        var axes: [Int] = []
        for value in written?.values ?? Array(0..<rank) {
            guard let axis = a.shape.normalizedAxis(value) else {
                report(.axisOutOfRange(value, rank: rank), at: written!.range)
                return nil
            }
            guard !axes.contains(axis) else {
                report(.invalidArgument("'axis' names axis \(axis) twice"), at: written!.range)
                return nil
            }
            axes.append(axis)
        }
        axes.sort(by: >)
        func node(_ op: Op, _ operands: [TypedExpr], _ shape: Shape) -> TypedExpr {
            TypedExpr(.apply(op, operands), shape: shape, element: op.resultElement(operands.map(\.element)), range: expr.range)
        }
        func reduced(_ op: Reduction, _ x: TypedExpr) -> TypedExpr {
            // Version 1's whole-tensor reductions stay one op; the others reduce axis by axis
            // (the first extreme element of the rows' first extremes is the first overall).
            if written == nil && (op == .sum || op == .mean || op == .logsumexp) {
                return node(.reduction(op, axis: nil), [x], .scalar)
            }
            return axes.reduce(x) { partial, axis in node(.reduction(op, axis: axis), [partial], partial.shape.removing(axis: axis)) }
        }
        func keptDims(_ x: TypedExpr) -> TypedExpr {
            guard keepdims else { return x }
            var dims = a.shape.dims
            for axis in axes { dims[axis] = .fixed(1) }
            return x.shape == Shape(dims) ? x : node(.structural(.reshape(Shape(dims))), [x], Shape(dims))
        }
        switch name {
        case "argmax", "argmin":
            let op: Reduction = name == "argmax" ? .argmax : .argmin
            guard rank >= 1 else {
                report(.invalidRank("'\(name)' needs a tensor of rank 1 or more, got a scalar"), at: source.range)
                return nil
            }
            if let written, written.values.count == 1 {
                return keptDims(node(.reduction(op, axis: axes[0]), [a], a.shape.removing(axis: axes[0])))
            }
            guard written == nil, let count = Self.product(a.shape.dims) else {
                report(
                    .invalidArgument(
                        written == nil
                            ? "'\(name)' without an axis counts positions in the flattened tensor, but \(a.shape) mixes runtime dims with other sizes: give an axis"
                            : "'\(name)' takes one axis"), at: written?.range ?? expr.range)
                return nil
            }
            // Without an axis: the position in the flattened tensor, as NumPy's.
            let flat = rank == 1 ? a : node(.structural(.reshape(Shape([count]))), [a], Shape([count]))
            return keptDims(node(.reduction(op, axis: 0), [flat], .scalar))
        case "var":
            // The population variance (ddof = 0): the mean of the squared deviations.
            let mean = reduced(.mean, a)
            var dims = a.shape.dims
            for axis in axes { dims[axis] = .fixed(1) }
            let centered = node(
                .arithmetic(.subtract), [a, mean.shape == Shape(dims) ? mean : node(.structural(.reshape(Shape(dims))), [mean], Shape(dims))],
                a.shape)
            return keptDims(reduced(.mean, node(.elementwise(.square), [centered], a.shape)))
        default:
            let op: Reduction = ["sum": .sum, "mean": .mean, "logsumexp": .logsumexp, "max": .max, "min": .min][name]!
            return keptDims(reduced(op, a))
        }
    }

    /// `where(c, a, b)` = `masked(c, a) + masked(c == 0, b)`: the three broadcast together, and the
    /// element not chosen adds an exact zero (an infinity there stays out of the result).
    mutating func checkWhere(_ c: TypedExpr, _ a: TypedExpr, _ b: TypedExpr, sources: [Expr], at expr: Expr) -> TypedExpr? {
        guard let chosen = apply(.arithmetic(.masked), to: [c, a], sources: [sources[0], sources[1]], at: expr) else { return nil }
        let zero = TypedExpr(.constant(0, name: nil), shape: .scalar, range: expr.range)
        let otherwise = TypedExpr(.apply(.arithmetic(.equal), [c, zero]), shape: c.shape, range: sources[0].range)
        guard let other = apply(.arithmetic(.masked), to: [otherwise, b], sources: [sources[0], sources[2]], at: expr),
            let result = apply(.arithmetic(.add), to: [chosen, other], sources: [sources[1], sources[2]], at: expr)
        else { return nil }
        return result
    }
}
