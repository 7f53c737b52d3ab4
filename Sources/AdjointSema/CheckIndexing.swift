import AdjointIR
import AdjointSyntax

// MARK: - Indexing: `x[2]`, `x[:, 0:4]`, `h[..., -1]`, `E[tokens]`
extension Checker {
    /// A position written in an index or a slice bound: an integer literal (a fixed dim is its
    /// size), or a runtime dim, perhaps negated.
    enum Position {
        case integer(Int)
        case runtime(String, negated: Bool)
    }

    /// Basic indexing lowers to one `slice` op over every axis of the operand (`:` where nothing is
    /// written); a single `int` tensor index is a gather, `take(axis: 0)`.
    mutating func checkIndex(_ base: Expr, _ items: [IndexItem], _ expr: Expr) -> TypedExpr? {
        let typedBase = checkExpression(base)
        // Each expression item is a position, or a tensor of ids to gather with.
        var gathers: [(index: Int, ids: TypedExpr?, source: Expr)] = []
        var ok = true
        for (index, item) in items.enumerated() {
            guard case .expression(let itemExpr) = item, position(itemExpr) == nil else { continue }
            if case .number = itemExpr.kind {
                report(.invalidIndex("an index must be an integer, found '\(ExprPrinter.print(itemExpr))'"), at: itemExpr.range)
                ok = false
                continue
            }
            gathers.append((index, checkExpression(itemExpr), itemExpr))
        }
        guard ok, let typedBase else { return nil }
        if let gather = gathers.first {
            guard let ids = gather.ids else { return nil }
            guard ids.element == .int else {
                report(.floatIndex(ids.shape.description), at: gather.source.range)
                return nil
            }
            guard items.count == 1 else {
                report(.mixedGather(gather.index), at: gather.source.range)
                return nil
            }
            guard typedBase.shape.rank >= 1 else {
                report(.tooManyIndices(1, shape: typedBase.shape.description, rank: 0), at: gather.source.range)
                return nil
            }
            return apply(.indexing(.take(axis: 0)), to: [typedBase, ids], sources: [base, gather.source], at: expr)
        }
        let shape = typedBase.shape
        let ellipses = items.filter { if case .ellipsis = $0 { true } else { false } }
        if ellipses.count > 1 {
            report(.invalidIndex("an index may hold only one '...'"), at: ellipses[1].range)
            return nil
        }
        let written = items.count - ellipses.count
        guard written <= shape.rank else {
            let extra = items.filter { if case .ellipsis = $0 { false } else { true } }[shape.rank]
            report(.tooManyIndices(written, shape: shape.description, rank: shape.rank), at: extra.range)
            return nil
        }
        // Items before `...` index the first axes, items after it the last ones; `:` elsewhere.
        var perAxis = [IndexItem?](repeating: nil, count: shape.rank)
        let split = items.firstIndex { if case .ellipsis = $0 { true } else { false } } ?? items.count
        for (axis, item) in items[..<split].enumerated() { perAxis[axis] = item }
        let after = items[min(split + 1, items.count)...]
        for (offset, item) in after.enumerated() { perAxis[shape.rank - after.count + offset] = item }

        var slices: [AxisSlice] = []
        for (axis, item) in perAxis.enumerated() {
            guard let item else {
                slices.append(.all(shape.dims[axis]))
                continue
            }
            guard let slice = axisSlice(item, axis: axis, size: shape.dims[axis]) else { return nil }
            slices.append(slice)
        }
        if zip(slices, shape.dims).allSatisfy({ $0 == .all($1) }) {
            return TypedExpr(typedBase.kind, shape: shape, element: typedBase.element, range: expr.range)
        }
        return apply(.indexing(.slice(slices)), to: [typedBase], sources: [base], at: expr)
    }

    /// `2`, `-1`, `hidden`, `-batch`: a position, or nil for anything else.
    func position(_ expr: Expr) -> Position? {
        switch expr.kind {
        case .number(let literal) where literal.isInteger: return Int(exactly: literal.value).map(Position.integer)
        case .negate(let inner):
            switch position(inner) {
            case .integer(let value)?: return .integer(-value)
            case .runtime(let name, let negated)?: return .runtime(name, negated: !negated)
            case nil: return nil
            }
        case .name(let name):
            guard case .dim(let size)? = symbols[name.name]?.symbol else { return nil }
            return size.map(Position.integer) ?? .runtime(name.name, negated: false)
        default: return nil
        }
    }

    /// One axis's index or slice, checked against its size; nil after reporting why it does not fit.
    private mutating func axisSlice(_ item: IndexItem, axis: Int, size: Dim) -> AxisSlice? {
        switch item {
        case .ellipsis: return .all(size)
        case .expression(let expr):
            guard let position = position(expr) else { return nil }  // a gather, handled before
            let text = ExprPrinter.print(expr)
            switch (size, position) {
            case (.fixed(let n), .integer(let p)):
                guard p >= -n && p < n else {
                    report(.indexOutOfRange("index \(p)", axis: axis, size: "\(n)", valid: "\(-n) to \(n - 1)"), at: expr.range)
                    return nil
                }
                return .index(p < 0 ? p + n : p)
            case (.fixed(let n), .runtime(let name, _)):
                report(
                    .invalidIndex(
                        "'\(text)' cannot index axis \(axis) of size \(n): runtime dim '\(name)' has its value only at run time"),
                    at: expr.range)
                return nil
            case (.runtime, .integer(0)): return .index(0)
            case (.runtime, .integer(-1)): return .index(-1, fromEnd: true)
            case (.runtime(let dim), .runtime(let name, true)) where dim == name: return .index(0)  // x[-n] is x[0]
            case (.runtime(let dim), .runtime(let name, false)) where dim == name:
                report(.indexOutOfRange("index '\(name)'", axis: axis, size: dim, valid: "-\(dim) to \(dim) - 1"), at: expr.range)
                return nil
            case (.runtime(let dim), _):
                report(.runtimeSizeIndex(text, axis: axis, dim: dim), at: expr.range)
                return nil
            }
        case .slice(let startExpr, let stopExpr, let stepExpr, let range):
            var bounds: [Position?] = []
            for bound in [startExpr, stopExpr, stepExpr] {
                guard let bound else {
                    bounds.append(nil)
                    continue
                }
                guard let position = position(bound) else {
                    report(
                        .invalidIndex("a slice bound must be an integer literal or a dim name, found '\(ExprPrinter.print(bound))'"),
                        at: bound.range)
                    return nil
                }
                bounds.append(position)
            }
            var step = 1
            if let stepPosition = bounds[2] {
                guard case .integer(let value) = stepPosition, value >= 1 else {
                    report(.invalidIndex("a slice step must be an integer of at least 1"), at: stepExpr?.range ?? range)
                    return nil
                }
                step = value
            }
            let text = sliceText(startExpr, stopExpr, stepExpr)
            switch size {
            case .fixed(let n):
                var resolved: [Int] = []
                for (bound, expr) in zip(bounds[..<2], [startExpr, stopExpr]) {
                    guard let bound else {
                        resolved.append(resolved.isEmpty ? 0 : n)
                        continue
                    }
                    guard case .integer(let value) = bound else {
                        report(
                            .invalidIndex(
                                "'\(text)' cannot slice axis \(axis) of size \(n): a runtime dim has its value only at run time"),
                            at: expr?.range ?? range)
                        return nil
                    }
                    guard value >= -n && value <= n else {
                        report(
                            .indexOutOfRange("slice bound \(value)", axis: axis, size: "\(n)", valid: "\(-n) to \(n)"),
                            at: expr?.range ?? range)
                        return nil
                    }
                    resolved.append(value < 0 ? value + n : value)
                }
                let (start, stop) = (resolved[0], resolved[1])
                let count = stop > start ? (stop - start - 1) / step + 1 : 0  // no overflow for any step
                guard count >= 1 else {
                    report(.emptySlice(text, axis: axis, size: n), at: range)
                    return nil
                }
                return AxisSlice(start: start, step: step, count: .fixed(count))
            case .runtime(let dim):
                let wholeStart: Bool
                switch bounds[0] {
                case nil, .integer(0)?: wholeStart = true
                case .runtime(let name, true)? where name == dim: wholeStart = true
                default: wholeStart = false
                }
                let wholeStop: Bool
                switch bounds[1] {
                case nil: wholeStop = true
                case .runtime(let name, false)? where name == dim: wholeStop = true
                default: wholeStop = false
                }
                guard wholeStart && wholeStop && step == 1 else {
                    report(.runtimeSizeIndex(text, axis: axis, dim: dim), at: range)
                    return nil
                }
                return .all(size)
            }
        }
    }

    /// `1:4`, `::2`: a slice as written.
    private func sliceText(_ start: Expr?, _ stop: Expr?, _ step: Expr?) -> String {
        let parts = [start, stop].map { $0.map(ExprPrinter.print) ?? "" }.joined(separator: ":")
        return step.map { parts + ":" + ExprPrinter.print($0) } ?? parts
    }
}
