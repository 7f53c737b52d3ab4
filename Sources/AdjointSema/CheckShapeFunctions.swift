import AdjointIR
import AdjointSyntax

// MARK: - Version 2 built-ins: take, pick, one_hot, concat, stack, reshape, flatten, expand_dims, squeeze
extension Checker {
    /// One bound argument of a `ShapeBuiltin`.
    private enum Bound {
        case tensor(TypedExpr, Expr)
        case tensors([TypedExpr], [Expr])
        case sizes([Dim?], Expr)  // nil: the one `-1`
        case size(Dim)
        case axis(Int, SourceRange)
        case axes([Int], SourceRange)
        case number(Double, SourceRange)
        case flag(Bool)
    }

    /// Binds and checks the arguments of a version 2 built-in, then builds its ops.
    mutating func checkShapeCall(
        _ builtin: ShapeBuiltin, _ callee: Identifier, _ arguments: [Argument], _ expr: Expr
    ) -> TypedExpr? {
        guard
            let slots = bind(
                arguments.map { ($0.label, $0.range) }, to: builtin.parameters.map { ($0.name, $0.isOptional) },
                function: callee)
        else {
            checkArguments(arguments)
            return nil
        }
        var bound: [String: Bound] = [:]
        var ok = true
        for (parameter, slot) in zip(builtin.parameters, slots) {
            guard let slot else {
                if let value = parameter.defaultAxis { bound[parameter.name] = .axis(value, callee.range) }
                continue
            }
            if let value = bindArgument(parameter, arguments[slot].value, function: builtin.name) {
                bound[parameter.name] = value
            } else {
                ok = false
            }
        }
        guard ok else { return nil }
        func tensor(_ name: String) -> (TypedExpr, Expr) {
            guard case .tensor(let typed, let source)? = bound[name] else { preconditionFailure("internal error: \(name)") }
            return (typed, source)
        }
        func axis(_ name: String) -> (value: Int, range: SourceRange)? {
            guard case .axis(let value, let range)? = bound[name] else { return nil }
            return (value, range)
        }
        switch builtin.name {
        case "take", "pick":
            let ((a, aSource), (ids, idsSource)) = (tensor("a"), tensor("ids"))
            let written = axis("axis")!
            guard let k = a.shape.normalizedAxis(written.value) else {
                report(.axisOutOfRange(written.value, rank: a.shape.rank), at: written.range)
                return nil
            }
            if builtin.name == "pick" && ids.shape != a.shape.removing(axis: k) {
                report(
                    .shapeMismatch(
                        "'pick' along axis \(k) of \(a.shape) needs ids of shape \(a.shape.removing(axis: k)) (the tensor's shape without that axis), got \(ids.shape)"
                    ), at: expr.range, notes: [Diagnostic.Note("the ids have shape \(ids.shape)", at: idsSource.range)])
                return nil
            }
            let op = Indexing.take(axis: k)
            return apply(
                .indexing(builtin.name == "take" ? op : .pick(axis: k)), to: [a, ids], sources: [aSource, idsSource], at: expr)
        case "one_hot":
            let (ids, source) = tensor("ids")
            guard case .size(let n)? = bound["n"] else { return nil }
            guard ids.shape.rank < Shape.maxRank else {
                report(.rankTooHigh(ids.shape.rank + 1), at: expr.range)
                return nil
            }
            return apply(.indexing(.oneHot(n, axis: ids.shape.rank)), to: [ids], sources: [source], at: expr)
        case "concat", "stack":
            guard case .tensors(let operands, let sources)? = bound["tensors"] else { return nil }
            return checkJoin(stacking: builtin.name == "stack", operands, sources, axis: axis("axis")!, at: expr)
        case "reshape":
            let (x, _) = tensor("x")
            guard case .sizes(let sizes, let source)? = bound["shape"] else { return nil }
            return checkReshape(x, sizes, source: source, at: expr)
        case "flatten":
            let (x, source) = tensor("x")
            guard x.shape.rank >= 1 else {
                report(.invalidRank("'flatten' needs rank 1 or more (it keeps axis 0), but its argument is a scalar"), at: source.range)
                return nil
            }
            guard let rest = Self.product(Array(x.shape.dims.dropFirst())) else {
                report(
                    .invalidRank(
                        "'flatten' cannot join the axes \(Shape(Array(x.shape.dims.dropFirst()))) of \(x.shape) into one: they mix runtime dims with other sizes"
                    ), at: source.range)
                return nil
            }
            return reshape(x, to: Shape([x.shape.dims[0], rest]), at: expr)
        case "expand_dims":
            let (x, _) = tensor("x")
            guard let k = axisOfResult(axis("axis")!, rank: x.shape.rank + 1, at: expr) else { return nil }
            var dims = x.shape.dims
            dims.insert(.fixed(1), at: k)
            return reshape(x, to: Shape(dims), at: expr)
        case "transpose":
            let (a, source) = tensor("a")
            guard case .axes(let written, let range)? = bound["axes"] else { return nil }
            // Negative axes count from the end, as NumPy's; the op's shape rule then checks that
            // the axes are a permutation.
            let rank = a.shape.rank
            let axes = written.map { $0 < 0 ? $0 + rank : $0 }
            guard axes.count == rank, Set(axes) == Set(0..<rank) else {
                report(.notAPermutation(written, rank: rank), at: range, notes: [Diagnostic.Note("the tensor has shape \(a.shape)", at: source.range)])
                return nil
            }
            return apply(.linearAlgebra(.transpose(axes: axes)), to: [a], sources: [source], at: expr)
        case "var", "argmax", "argmin", "sum", "mean", "logsumexp", "max", "min":
            let (a, source) = tensor("a")
            var axes: (values: [Int], range: SourceRange)?
            switch bound["axis"] {
            case .axis(let value, let range)?: axes = ([value], range)
            case .axes(let values, let range)?: axes = (values, range)
            default: break
            }
            guard case .flag(let keepdims)? = bound["keepdims"] ?? .flag(false) else { return nil }
            return checkReduction(builtin.name, a, source, axes: axes, keepdims: keepdims, at: expr)
        case "where":
            let ((c, cSource), (a, aSource), (b, bSource)) = (tensor("c"), tensor("a"), tensor("b"))
            return checkWhere(c, a, b, sources: [cSource, aSource, bSource], at: expr)
        case "clip":
            let ((a, aSource), (low, lowSource), (high, highSource)) = (tensor("a"), tensor("low"), tensor("high"))
            // The three broadcast together; a failure names `clip`, not the `max` inside it.
            guard let both = Shape.broadcast(a.shape, low.shape), Shape.broadcast(both, high.shape) != nil else {
                report(
                    .shapeMismatch("shapes \(a.shape), \(low.shape) and \(high.shape) cannot be broadcast together for 'clip'"),
                    at: expr.range,
                    notes: [
                        Diagnostic.Note("the tensor has shape \(a.shape)", at: aSource.range),
                        Diagnostic.Note("'low' has shape \(low.shape)", at: lowSource.range),
                        Diagnostic.Note("'high' has shape \(high.shape)", at: highSource.range),
                    ])
                return nil
            }
            guard let lower = apply(.arithmetic(.maximum), to: [a, low], sources: [aSource, lowSource], at: expr) else { return nil }
            return apply(.arithmetic(.minimum), to: [lower, high], sources: [expr, highSource], at: expr)
        case "squeeze":
            let (x, _) = tensor("x")
            guard let written = axis("axis") else {
                return reshape(x, to: Shape(x.shape.dims.filter { $0 != .fixed(1) }), at: expr)
            }
            guard let k = x.shape.normalizedAxis(written.value) else {
                report(.axisOutOfRange(written.value, rank: x.shape.rank), at: written.range)
                return nil
            }
            guard x.shape.dims[k] == .fixed(1) else {
                report(
                    .invalidRank("'squeeze' removes an axis of size 1, but axis \(k) of \(x.shape) has size \(x.shape.dims[k])"),
                    at: written.range)
                return nil
            }
            return reshape(x, to: x.shape.removing(axis: k), at: expr)
        case "normal", "uniform":
            guard case .sizes(let sizes, let source)? = bound["shape"] else { return nil }
            return checkDraw(builtin.name, sizes, source: source, at: expr)
        case "dropout":
            guard case .number(let p, let range)? = bound["p"] else { return nil }
            return checkDropout(tensor("a").0, p: p, at: range, expr)
        default:
            preconditionFailure("internal error: no rule for built-in '\(builtin.name)'")
        }
    }

    /// Whether `expr` is a name that names nothing usable, reported as a name is (once per
    /// undeclared name; not at all when its declaration already had an error).
    private mutating func reportedAsName(_ expr: Expr) -> Bool {
        guard case .name(let name) = expr.kind else { return false }
        if let entry = symbols[name.name] {
            if case .poisoned = entry.symbol { return true }
            return false
        }
        _ = lookup(name)
        return true
    }

    /// Checks one argument against what its parameter takes; nil after reporting.
    private mutating func bindArgument(_ parameter: ShapeBuiltin.Parameter, _ argument: Expr, function: String) -> Bound? {
        switch parameter.kind {
        case .tensor, .ids:
            guard let typed = checkExpression(argument) else { return nil }
            if parameter.kind == .ids && typed.element != .int {
                report(.floatIndex(typed.shape.description), at: argument.range)
                return nil
            }
            return .tensor(typed, argument)
        case .tensors:
            guard case .list(let elements) = argument.kind, !elements.isEmpty else {
                report(
                    .invalidArgument("'\(function)' takes a list of tensors such as '[a, b]' as '\(parameter.name)'"),
                    at: argument.range)
                checkListElements(argument)
                return nil
            }
            var typed: [TypedExpr] = []
            for element in elements {
                if let checked = checkExpression(element) { typed.append(checked) }
            }
            return typed.count == elements.count ? .tensors(typed, elements) : nil
        case .sizes:
            guard case .list(let elements) = argument.kind else {
                report(.invalidArgument("'\(function)' takes a shape such as '[batch, -1]' as '\(parameter.name)'"), at: argument.range)
                checkListElements(argument)
                return nil
            }
            var sizes: [Dim?] = []
            var inferred: Expr?
            for element in elements {
                switch position(element) {
                case .integer(-1)?:
                    if inferred != nil {
                        report(.invalidArgument("a shape may hold only one -1"), at: element.range)
                        return nil
                    }
                    inferred = element
                    sizes.append(nil)
                case .integer(let value)? where value >= 1: sizes.append(.fixed(value))
                case .runtime(let name, false)?: sizes.append(.runtime(name))
                case _ where reportedAsName(element): return nil
                default:
                    report(
                        .invalidArgument(
                            "a size must be an integer of at least 1, a dim name or one -1, found '\(ExprPrinter.print(element))'"),
                        at: element.range)
                    return nil
                }
            }
            guard sizes.count <= Shape.maxRank else {
                report(.rankTooHigh(sizes.count), at: argument.range)
                return nil
            }
            return .sizes(sizes, argument)
        case .size:
            switch position(argument) {
            case .integer(let value)? where value >= 1: return .size(.fixed(value))
            case .runtime(let name, false)?: return .size(.runtime(name))
            case _ where reportedAsName(argument): return nil
            default:
                report(
                    .invalidArgument("'\(parameter.name)' must be an integer of at least 1 or a dim name"), at: argument.range)
                return nil
            }
        case .axes:
            guard case .list(let elements) = argument.kind else {
                report(.invalidArgument("'\(parameter.name)' must be a list of integer literals such as [0, 2, 1]"), at: argument.range)
                checkListElements(argument)
                return nil
            }
            var axes: [Int] = []
            for element in elements {
                guard let value = integerLiteral(element) else {
                    report(.invalidArgument("'\(parameter.name)' must be a list of integer literals such as [0, 2, 1]"), at: element.range)
                    return nil
                }
                axes.append(value)
            }
            return .axes(axes, argument.range)
        case .axis:
            guard let value = integerLiteral(argument) else {
                report(
                    .invalidArgument("'\(parameter.name)' must be an integer literal such as 1 or -1"), at: argument.range)
                return nil
            }
            return .axis(value, argument.range)
        case .number:
            guard let value = compileTimeNumber(argument) else {
                report(.invalidArgument("'\(parameter.name)' must be a number or a const known at compile time"), at: argument.range)
                checkListElements(argument)
                return nil
            }
            return .number(value, argument.range)
        case .axisOrAxes:
            if case .list = argument.kind {
                return bindArgument(ShapeBuiltin.Parameter(parameter.name, .axes), argument, function: function)
            }
            return bindArgument(ShapeBuiltin.Parameter(parameter.name, .axis), argument, function: function)
        case .flag:
            guard let value = flag(argument) else {
                report(.invalidArgument("'\(parameter.name)' must be true or false"), at: argument.range)
                return nil
            }
            return .flag(value)
        }
    }

    /// An axis of a result of `rank` (`expand_dims`' new axis, `concat`'s and `stack`'s), counted
    /// from the front; nil after reporting an axis out of range or a rank above the limit.
    private mutating func axisOfResult(_ written: (value: Int, range: SourceRange), rank: Int, at expr: Expr) -> Int? {
        guard written.value >= -rank && written.value < rank else {
            report(.axisOutOfRange(written.value, rank: rank), at: written.range)
            return nil
        }
        guard rank <= Shape.maxRank else {
            report(.rankTooHigh(rank), at: expr.range)
            return nil
        }
        return written.value < 0 ? written.value + rank : written.value
    }

    /// `concat` joins along an existing axis; `stack` gives each operand a new axis of size 1
    /// there first (`expand_dims`), so the operands must have one shape.
    private mutating func checkJoin(
        stacking: Bool, _ operands: [TypedExpr], _ sources: [Expr], axis written: (value: Int, range: SourceRange),
        at expr: Expr
    ) -> TypedExpr? {
        let name = stacking ? "stack" : "concat"
        let first = operands[0].shape
        let rank = first.rank + (stacking ? 1 : 0)
        if first.rank == 0 && !stacking {
            report(.invalidRank("'concat' needs tensors of rank 1 or more; 'stack' makes a vector of scalars"), at: sources[0].range)
            return nil
        }
        guard let k = axisOfResult(written, rank: rank, at: expr) else { return nil }
        for (operand, source) in zip(operands, sources).dropFirst() {
            let shape = operand.shape
            let agrees =
                stacking
                ? shape == first
                : shape.rank == first.rank && shape.dims.indices.allSatisfy { $0 == k || shape.dims[$0] == first.dims[$0] }
            if !agrees {
                let needs = stacking ? "the same shape" : "the same shape except along axis \(k)"
                report(
                    .shapeMismatch("'\(name)' needs tensors of \(needs), got \(first) and \(shape)"), at: source.range,
                    notes: [Diagnostic.Note("the first tensor has shape \(first)", at: sources[0].range)])
                return nil
            }
        }
        var joined = operands
        if stacking {
            var dims = first.dims
            dims.insert(.fixed(1), at: k)
            joined = operands.map { TypedExpr(.apply(.structural(.reshape(Shape(dims))), [$0]), shape: Shape(dims), element: $0.element, range: $0.range) }
        } else if operands.count > 1, let (operand, source) = zip(operands, sources).first(where: { if case .runtime = $0.0.shape.dims[k] { true } else { false } }) {
            report(
                .invalidArgument(
                    "'concat' joins axes of fixed size, but axis \(k) of \(operand.shape) has runtime size '\(operand.shape.dims[k])'"
                ), at: source.range)
            return nil
        }
        if joined.count == 1 { return TypedExpr(joined[0].kind, shape: joined[0].shape, element: joined[0].element, range: expr.range) }
        return apply(.indexing(.concat(axis: k, count: joined.count)), to: joined, sources: sources, at: expr)
    }

    /// `reshape(x, [batch, -1])`: the element counts must be equal for every value of the runtime
    /// dims, so runtime dims are compared as symbols; the `-1` takes what is left (a fixed size, or
    /// a single runtime dim).
    private mutating func checkReshape(_ x: TypedExpr, _ sizes: [Dim?], source: Expr, at expr: Expr) -> TypedExpr? {
        let from = x.shape
        let known = sizes.compactMap { $0 }
        var dims = sizes.map { $0 ?? .fixed(1) }
        if let hole = sizes.firstIndex(where: { $0 == nil }) {
            var runtime = Self.runtimeNames(from)
            var fits = true
            for name in Self.runtimeNames(Shape(known)) {
                if let index = runtime.firstIndex(of: name) { runtime.remove(at: index) } else { fits = false }
            }
            let (total, part) = (from.fixedElementCount ?? 0, Shape(known).fixedElementCount ?? 0)
            if fits && part > 0 && total % part == 0 {
                let rest = total / part
                if runtime.isEmpty {
                    dims[hole] = .fixed(rest)
                } else if runtime.count == 1 && rest == 1 {
                    dims[hole] = .runtime(runtime[0])
                } else {
                    fits = false
                }
            } else {
                fits = false
            }
            if !fits {
                report(
                    .reshapeNoFit(
                        from: from.description, Self.countText(from),
                        to: "[" + sizes.map { $0?.description ?? "-1" }.joined(separator: ", ") + "]",
                        known: Self.countText(Shape(known))),
                    at: source.range)
                return nil
            }
        }
        let to = Shape(dims)
        guard Self.runtimeNames(from).sorted() == Self.runtimeNames(to).sorted(),
            from.fixedElementCount == to.fixedElementCount
        else {
            report(.reshapeCount(from: from.description, Self.countText(from), to: to.description, Self.countText(to)), at: source.range)
            return nil
        }
        return reshape(x, to: to, at: expr)
    }

    /// `x` with another shape of as many elements (the identity when the shape is the same).
    private func reshape(_ x: TypedExpr, to shape: Shape, at expr: Expr) -> TypedExpr {
        if shape == x.shape { return TypedExpr(x.kind, shape: shape, element: x.element, range: expr.range) }
        return TypedExpr(.apply(.structural(.reshape(shape)), [x]), shape: shape, element: x.element, range: expr.range)
    }

    /// The product of some sizes as one size, when it is one: fixed sizes multiply, and a single
    /// runtime dim times 1 is that dim.
    static func product(_ dims: [Dim]) -> Dim? {
        let runtime = runtimeNames(Shape(dims))
        guard let fixed = Shape(dims).fixedElementCount else { return nil }
        if runtime.isEmpty { return .fixed(fixed) }
        return runtime.count == 1 && fixed == 1 ? .runtime(runtime[0]) : nil
    }

    static func runtimeNames(_ shape: Shape) -> [String] {
        shape.dims.compactMap { if case .runtime(let name) = $0 { name } else { nil } }
    }

    /// `batch * 784`, `784`: an element count with runtime dims as symbols.
    static func countText(_ shape: Shape) -> String {
        let fixed = shape.fixedElementCount.map(String.init) ?? "too many"
        let runtime = runtimeNames(shape)
        if runtime.isEmpty { return fixed }
        return (runtime + (fixed == "1" ? [] : [fixed])).joined(separator: " * ")
    }

    // MARK: - Class-index targets

    /// `softmax_cross_entropy(logits, labels)` and `cross_entropy(prob, labels)` with `int` class
    /// indices of the prediction's shape less its last axis (PyTorch's `cross_entropy` with class
    /// indices): `mean(logsumexp(logits, axis = -1) - pick(logits, labels))` and
    /// `mean(-log(pick(prob, labels)))`, the mean over every position. With label smoothing ε
    /// (PyTorch's), `softmax_cross_entropy`'s term is `logsumexp − (1 − ε) pick − ε mean(logits,
    /// axis = -1)`: the target (1 − ε) one-hot + ε/C.
    mutating func classIndexLoss(_ loss: Loss, _ operands: [TypedExpr], _ sources: [Expr], smoothing: Double = 0, at expr: Expr) -> TypedExpr? {
        let (prediction, labels) = (operands[0], operands[1])
        guard prediction.shape.rank >= 1 else {
            report(
                .invalidRank("'\(loss.name)' needs a prediction of rank 1 or more (classes along the last axis), got \(prediction.shape)"),
                at: sources[0].range)
            return nil
        }
        let last = prediction.shape.rank - 1
        let expected = prediction.shape.removing(axis: last)
        guard labels.shape == expected else {
            report(
                .shapeMismatch(
                    "'\(loss.name)' with class indices needs a target of shape \(expected) (the prediction's shape \(prediction.shape) without its last axis), got \(labels.shape)"
                ), at: expr.range,
                notes: [
                    Diagnostic.Note("the prediction has shape \(prediction.shape)", at: sources[0].range),
                    Diagnostic.Note("the class indices have shape \(labels.shape)", at: sources[1].range),
                ])
            return nil
        }
        func node(_ op: Op, _ operands: [TypedExpr], _ shape: Shape) -> TypedExpr {
            TypedExpr(.apply(op, operands), shape: shape, range: expr.range)
        }
        let picked = node(.indexing(.pick(axis: last)), [prediction, labels], expected)
        let perPosition: TypedExpr
        if loss == .softmaxCrossEntropy {
            let normalizer = node(.reduction(.logsumexp, axis: last), [prediction], expected)
            if smoothing > 0 {
                func scaled(_ k: Double, _ x: TypedExpr) -> TypedExpr {
                    node(.arithmetic(.multiply), [TypedExpr(.constant(k, name: nil), shape: .scalar, range: expr.range), x], x.shape)
                }
                let average = node(.reduction(.mean, axis: last), [prediction], expected)
                let kept = node(.arithmetic(.subtract), [normalizer, scaled(1 - smoothing, picked)], expected)
                perPosition = node(.arithmetic(.subtract), [kept, scaled(smoothing, average)], expected)
            } else {
                perPosition = node(.arithmetic(.subtract), [normalizer, picked], expected)
            }
        } else {
            perPosition = node(.elementwise(.negate), [node(.elementwise(.log), [picked], expected)], expected)
        }
        return node(.reduction(.mean, axis: nil), [perPosition], .scalar)
    }
}
