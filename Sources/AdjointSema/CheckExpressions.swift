import AdjointIR
import AdjointSyntax

extension Checker {
    /// Types an expression, or returns nil after reporting its errors (every independent error in
    /// it, once: both operands of a binary operation are checked before giving up).
    mutating func checkExpression(_ expr: Expr) -> TypedExpr? {
        switch expr.kind {
        case .number(let literal):
            return TypedExpr(.constant(literal.value, name: nil), shape: .scalar, range: expr.range)
        case .name(let name):
            if symbols.declaredAnywhere[name.name] == nil, let value = Builtin.version2Numbers[name.name] {
                return TypedExpr(.constant(value, name: nil), shape: .scalar, range: expr.range)
            }
            guard let symbol = lookup(name) else { return nil }
            switch symbol {
            case .input(let shape, let element):
                return TypedExpr(.input(name.name), shape: shape, element: element, range: expr.range)
            case .param(let shape): return TypedExpr(.param(name.name), shape: shape, range: expr.range)
            case .const(let value): return TypedExpr(.constant(value, name: name.name), shape: .scalar, range: expr.range)
            case .tensorConst(let shape): return TypedExpr(.tensorConstant(name.name), shape: shape, range: expr.range)
            case .value(let shape, let element, _, _):
                return TypedExpr(.value(name.name), shape: shape, element: element, range: expr.range)
            case .dim(let size):
                // A dim in an expression is its size as a number: `sum(e) / batch`.
                let dim = size.map(Dim.fixed) ?? .runtime(name.name)
                return TypedExpr(.apply(.leaf(.size([dim])), []), shape: .scalar, range: expr.range)
            case .poisoned: return nil
            }
        case .negate(let operand):
            guard let typed = checkExpression(operand) else { return nil }
            return TypedExpr(.apply(.elementwise(.negate), [typed]), shape: typed.shape, range: expr.range)
        case .chain(let first, let links):
            return checkChain(first, links, expr)
        case .power(let base, let exponent):
            let left = checkExpression(base)
            let right = checkExpression(exponent)
            guard let left, let right else { return nil }
            return apply(.arithmetic(.power), to: [left, right], sources: [base, exponent], at: expr)
        case .call(let callee, let arguments):
            return checkCall(callee, arguments, expr)
        case .index(let base, let items):
            return checkIndex(base, items, expr)
        case .list:
            // The parser allows a list only as a call argument; a function that takes a list
            // reads it itself, so this is a list given where a tensor is expected.
            report(.invalidArgument("expected a tensor here, found a list"), at: expr.range)
            checkListElements(expr)
            return nil
        }
    }

    /// Checks every operand (reporting each one's errors), then applies the operators left to
    /// right as written, so a shape error is reported at the prefix that fails, as it would be for
    /// nested binary operations. A loop: the chain may be as long as the file.
    private mutating func checkChain(_ first: Expr, _ links: [ChainLink], _ expr: Expr) -> TypedExpr? {
        let typedFirst = checkExpression(first)
        var operands: [TypedExpr] = []
        operands.reserveCapacity(links.count)
        var ok = typedFirst != nil
        for link in links {
            if let typed = checkExpression(link.operand) { operands.append(typed) } else { ok = false }
        }
        guard ok, let typedFirst else { return nil }
        var shape = typedFirst.shape
        var element = typedFirst.element
        var typedLinks: [TypedExpr.Link] = []
        typedLinks.reserveCapacity(links.count)
        for (position, (link, operand)) in zip(links, operands).enumerated() {
            let op = Self.op(for: link.op)
            switch op.resultShape([shape, operand.shape]) {
            case .success(let result):
                shape = result
                element = op.resultElement([element, operand.element])
                typedLinks.append(TypedExpr.Link(op, operand))
            case .failure(let error):
                // The left operand is the chain so far, made here only for the diagnostic's note.
                let left =
                    position == 0
                    ? first
                    : Expr(
                        .chain(first, Array(links[..<position])),
                        range: first.range.union(links[position - 1].operand.range))
                let soFar = TypedExpr(.chain(typedFirst, typedLinks), shape: shape, range: left.range)
                reportShapeError(
                    error, op: op, operands: [soFar, operand], sources: [left, link.operand],
                    at: first.range.union(link.operand.range), axisRange: nil)
                return nil
            }
        }
        return TypedExpr(.chain(typedFirst, typedLinks), shape: shape, element: element, range: expr.range)
    }

    private static func op(for binary: BinaryOperator) -> Op {
        switch binary {
        case .add: return .arithmetic(.add)
        case .subtract: return .arithmetic(.subtract)
        case .multiply: return .arithmetic(.multiply)
        case .divide: return .arithmetic(.divide)
        case .power: return .arithmetic(.power)
        case .matmul: return .linearAlgebra(.matmul)
        case .less: return .arithmetic(.less)
        case .lessEqual: return .arithmetic(.lessEqual)
        case .greater: return .arithmetic(.greater)
        case .greaterEqual: return .arithmetic(.greaterEqual)
        case .equal: return .arithmetic(.equal)
        case .notEqual: return .arithmetic(.notEqual)
        }
    }

    private mutating func checkCall(_ callee: Identifier, _ arguments: [Argument], _ expr: Expr) -> TypedExpr? {
        // A declaration anywhere in the file hides a version 2 built-in of its name.
        if symbols.declaredAnywhere[callee.name] == nil, let builtin = Builtin.version2[callee.name] {
            return checkShapeCall(builtin, callee, arguments, expr)
        }
        // `sum(a, axis = [0, 1])`, `mean(a, keepdims = true)`, `max(a)`: version 2's reductions.
        if let reduction = version2Reduction(callee, arguments) {
            return checkShapeCall(reduction, callee, arguments, expr)
        }
        // `transpose(a, axes = [...])` takes a list, which only the version 2 binding reads.
        if callee.name == "transpose", arguments.contains(where: { $0.label?.name == "axes" }) {
            return checkShapeCall(LinearAlgebra.permutingTranspose, callee, arguments, expr)
        }
        // A version 2 function (`gelu`, `diag`) unless a declaration hides it.
        let version2 = symbols.declaredAnywhere[callee.name] == nil ? Builtin.version2Functions[callee.name] : nil
        guard let builtin = Builtin.all[callee.name] ?? version2 else {
            if let entry = symbols[callee.name] {
                if case .poisoned = entry.symbol {
                    checkArguments(arguments)
                    return nil
                }
                report(.notAFunction(callee.name, kind: entry.symbol.kindDescription), at: callee.range)
            } else if Builtin.isVersion2(callee.name), let declaration = symbols.declaredAnywhere[callee.name] {
                report(
                    .hiddenBuiltinCall(callee.name),
                    at: callee.range, notes: [Diagnostic.Note("'\(callee.name)' is declared here", at: declaration)])
            } else {
                report(
                    .unknownFunction(callee.name, suggestion: closestName(to: callee.name, among: Builtin.allNames)),
                    at: callee.range)
            }
            checkArguments(arguments)
            return nil
        }
        let parameters = builtin.parameters
        guard
            let slots = bind(
                arguments.map { ($0.label, $0.range) }, to: parameters.map { ($0.name, $0.isOptional) },
                function: callee)
        else {
            checkArguments(arguments)
            return nil
        }

        var operands: [TypedExpr] = []
        var sources: [Expr] = []
        var constants: [String: Double] = [:]
        var axisRange: SourceRange?
        var ok = true
        for (parameter, slot) in zip(parameters, slots) {
            guard let slot else {
                if let value = parameter.defaultValue { constants[parameter.name] = value }
                continue
            }
            let argument = arguments[slot].value
            switch parameter.kind {
            case .tensor:
                if let typed = checkExpression(argument) {
                    operands.append(typed)
                    sources.append(argument)
                } else {
                    ok = false
                }
            case .axis:
                guard let value = integerLiteral(argument) else {
                    report(
                        .invalidArgument("'\(parameter.name)' must be an integer literal such as 1 or -1"),
                        at: argument.range)
                    ok = false
                    continue
                }
                constants[parameter.name] = Double(value)
                axisRange = argument.range
            case .number, .positiveNumber, .fraction:
                guard let value = compileTimeNumber(argument) else {
                    if ok {
                        report(
                            .invalidArgument("'\(parameter.name)' must be a number or a const known at compile time"),
                            at: argument.range)
                    }
                    ok = false
                    continue
                }
                if parameter.kind == .positiveNumber && !(value > 0) {
                    report(.invalidArgument("'\(parameter.name)' must be greater than 0"), at: argument.range)
                    ok = false
                    continue
                }
                if parameter.kind == .fraction && !(0...1).contains(value) {
                    report(.invalidArgument("'\(parameter.name)' must be between 0 and 1, got \(formatNumber(value))"), at: argument.range)
                    ok = false
                    continue
                }
                constants[parameter.name] = value
            case .flag:
                guard let value = compileTimeFlag(argument) else {
                    report(.invalidArgument("'\(parameter.name)' must be true or false (or 1 or 0)"), at: argument.range)
                    ok = false
                    continue
                }
                constants[parameter.name] = value ? 1 : 0
            }
        }
        guard ok else { return nil }
        let op = builtin.makeOp(constants)
        if case .loss(let loss) = op {
            return checkLoss(loss, operands, sources, smoothing: constants["label_smoothing"] ?? 0, at: expr)
        }
        guard let result = apply(op, to: operands, sources: sources, at: expr, axisRange: axisRange, calledAs: callee.name) else { return nil }
        // A function that is two ops: `trace(a)` is `sum(diagonal(a))`.
        guard let then = builtin.then else { return result }
        return apply(then, to: [result], sources: [expr], at: expr)
    }

    /// A loss: class-index targets (`int`) and label smoothing lower to other ops; a number
    /// written as the target (`mse(pred, 0)`) broadcasts to the prediction's shape.
    private mutating func checkLoss(
        _ loss: Loss, _ operands: [TypedExpr], _ sources: [Expr], smoothing: Double, at expr: Expr
    ) -> TypedExpr? {
        var operands = operands
        if (loss == .softmaxCrossEntropy || loss == .crossEntropy) && operands[1].element == .int {
            return classIndexLoss(loss, operands, sources, smoothing: smoothing, at: expr)
        }
        // Only a number written so broadcasts: a tensor of another shape stays an error.
        if operands[1].shape.isScalar && !operands[0].shape.isScalar && compileTimeNumber(sources[1]) != nil {
            let shape = operands[0].shape
            operands[1] = TypedExpr(.apply(.structural(.broadcast(shape)), [operands[1]]), shape: shape, range: operands[1].range)
        }
        if loss == .softmaxCrossEntropy && smoothing > 0 && operands[0].shape.rank >= 1 && operands[0].shape == operands[1].shape {
            operands[1] = smoothed(operands[1], smoothing, classes: operands[0].shape.dims.last!)
        }
        return apply(.loss(loss), to: operands, sources: sources, at: expr)
    }

    /// PyTorch's label smoothing of a probability target over `classes` classes:
    /// `(1 − ε) t + ε / classes`.
    private func smoothed(_ target: TypedExpr, _ smoothing: Double, classes: Dim) -> TypedExpr {
        func node(_ op: Op, _ operands: [TypedExpr], _ shape: Shape) -> TypedExpr {
            TypedExpr(.apply(op, operands), shape: shape, range: target.range)
        }
        let kept = node(.arithmetic(.multiply), [TypedExpr(.constant(1 - smoothing, name: nil), shape: .scalar, range: target.range), target], target.shape)
        let count = TypedExpr(.apply(.leaf(.size([classes])), []), shape: .scalar, range: target.range)
        let spread = node(.arithmetic(.divide), [TypedExpr(.constant(smoothing, name: nil), shape: .scalar, range: target.range), count], .scalar)
        return node(.arithmetic(.add), [kept, spread], target.shape)
    }

    /// A flag's value: `true` or `false`, or `1` or `0` as version 1 writes flags (`flag`).
    func compileTimeFlag(_ expr: Expr) -> Bool? { flag(expr) }

    /// Checks the arguments of a call that cannot be typed (an unknown function, arguments that
    /// do not fit its parameters) for their own mistakes, so that `det(inverse(S))` reports the
    /// unknown `inverse` too rather than leaving it for the next run.
    mutating func checkArguments(_ arguments: [Argument]) {
        for argument in arguments { checkListElements(argument.value) }
    }

    /// Checks an expression, or each element of a list (nested lists too), for their own mistakes.
    mutating func checkListElements(_ expr: Expr) {
        guard case .list(let elements) = expr.kind else {
            _ = checkExpression(expr)
            return
        }
        for element in elements { checkListElements(element) }
    }

    /// `2`, `-1`: an integer literal with an optional minus.
    func integerLiteral(_ expr: Expr) -> Int? {
        switch expr.kind {
        case .number(let literal) where literal.isInteger: return Int(exactly: literal.value)
        case .negate(let inner): return integerLiteral(inner).map { -$0 }
        default: return nil
        }
    }

    /// A number literal, a negated one, or a `const`.
    mutating func compileTimeNumber(_ expr: Expr) -> Double? {
        switch expr.kind {
        case .number(let literal): return literal.value
        case .negate(let inner): return compileTimeNumber(inner).map { -$0 }
        case .name(let name):
            if case .const(let value)? = symbols[name.name]?.symbol { return value }
            return nil
        default: return nil
        }
    }

    /// Applies the op's shape rule; on failure reports a diagnostic at the whole expression, with
    /// a note on each operand's shape.
    mutating func apply(
        _ op: Op, to operands: [TypedExpr], sources: [Expr], at expr: Expr, axisRange: SourceRange? = nil, calledAs name: String? = nil
    ) -> TypedExpr? {
        switch op.resultShape(operands.map(\.shape)) {
        case .success(let shape):
            return TypedExpr(
                .apply(op.normalizingAxis(forRank: operands[0].shape.rank), operands), shape: shape,
                element: op.resultElement(operands.map(\.element)), range: expr.range)
        case .failure(let error):
            reportShapeError(error, op: op, operands: operands, sources: sources, at: expr.range, axisRange: axisRange, calledAs: name)
            return nil
        }
    }
}
