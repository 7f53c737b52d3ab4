import AdjointIR
import AdjointSyntax

// MARK: - Sizes, shapes, initializers and update rules
extension Checker {
    /// An integer size >= 1, or nil after reporting why not.
    mutating func checkSize(_ literal: NumberLiteral) -> Int? {
        guard literal.isInteger else {
            report(.nonIntegerSize(literal.text), at: literal.range)
            return nil
        }
        guard literal.value >= 1 else {
            report(.invalidSize(literal.text), at: literal.range)
            return nil
        }
        guard let size = Int(exactly: literal.value) else {
            report(.sizeOverflow(literal.text), at: literal.range)
            return nil
        }
        return size
    }

    /// The shape a declaration writes (none: a scalar), or nil after reporting why it is wrong.
    mutating func resolveShape(_ syntax: ShapeSyntax?) -> Shape? {
        guard let syntax else { return .scalar }
        var dims: [Dim] = []
        var ok = true
        for size in syntax.sizes {
            switch size {
            case .literal(let literal):
                if let value = checkSize(literal) { dims.append(.fixed(value)) } else { ok = false }
            case .name(let name):
                guard let symbol = lookup(name) else {
                    ok = false
                    continue
                }
                guard case .dim(let value) = symbol else {
                    report(.notASize(name.name, kind: symbol.kindDescription), at: name.range)
                    ok = false
                    continue
                }
                dims.append(value.map(Dim.fixed) ?? .runtime(name.name))
            }
        }
        guard ok else { return nil }
        if dims.count > Shape.maxRank {
            report(.rankTooHigh(dims.count), at: syntax.range)
            return nil
        }
        let shape = Shape(dims)
        guard shape.fixedElementCount != nil else {
            report(.sizeOverflow(shape.description), at: syntax.range)
            return nil
        }
        return shape
    }

    /// The initializer of a param of `shape`, its default if none is written.
    mutating func checkInitializer(_ syntax: InitializerSyntax?, for param: String, shape: Shape) -> Initializer? {
        guard let syntax else { return Initializer.defaultFor(shape) }
        let initializer: Initializer
        switch syntax {
        case .number(let literal):
            return .constant(literal.value)
        case .named(let name, let arguments, let range):
            guard let parameterNames = Initializer.signatures[name.name] else {
                report(.unknownInitializer(name.name, valid: Initializer.signatures.keys.sorted()), at: name.range)
                return nil
            }
            let given = arguments ?? []
            let slots = bind(
                given.map { ($0.label, $0.range) }, to: parameterNames.map { ($0, false) }, function: name)
            guard let slots else { return nil }
            let values = slots.map { $0.map { given[$0].value.value } ?? .nan }
            switch name.name {
            case "zeros": initializer = .zeros
            case "ones": initializer = .ones
            case "glorot": initializer = .glorot
            case "he": initializer = .he
            case "normal":
                guard values[1] >= 0 else {
                    report(.invalidInitializer("normal's std must be at least 0, got \(formatNumber(values[1]))"), at: range)
                    return nil
                }
                initializer = .normal(mean: values[0], std: values[1])
            default:
                guard values[0] < values[1] else {
                    report(
                        .invalidInitializer(
                            "uniform's low must be below its high, got \(formatNumber(values[0])) and \(formatNumber(values[1]))"),
                        at: range)
                    return nil
                }
                initializer = .uniform(low: values[0], high: values[1])
            }
        }
        if initializer.needsFans && shape.rank < 2 {
            report(
                .invalidInitializer(
                    "'\(initializer)' needs a param of rank 2 or more (fan-in and fan-out are its last two sizes), but '\(param)' has shape \(shape)"
                ), at: syntax.range)
            return nil
        }
        return initializer
    }

    /// The rule after `using`, with defaults filled in (`sgd(lr = 0.01)` when there is no `using`).
    mutating func checkUpdateRule(_ syntax: UpdateRuleSyntax?) -> UpdateRule? {
        guard let syntax else { return .defaults(.sgd) }
        guard let kind = UpdateRuleKind(rawValue: syntax.name.name) else {
            report(
                .unknownUpdateRule(syntax.name.name, valid: UpdateRuleKind.allCases.map(\.rawValue)),
                at: syntax.name.range)
            return nil
        }
        let parameters = kind.hyperParameters
        var given: [String: (value: Double, label: Identifier)] = [:]
        var ok = true
        for argument in syntax.arguments {
            guard let label = argument.label else { continue }  // the parser requires labels
            guard let parameter = parameters.first(where: { $0.name == label.name }) else {
                report(
                    .unknownHyperparameter(label.name, rule: kind.rawValue, valid: parameters.map(\.name)),
                    at: label.range)
                ok = false
                continue
            }
            if let first = given[label.name] {
                report(
                    .duplicateHyperparameter(label.name), at: label.range,
                    notes: [Diagnostic.Note("'\(label.name)' is first given here", at: first.label.range)])
                ok = false
                continue
            }
            guard parameter.range.contains(argument.value.value) else {
                report(
                    .hyperparameterOutOfRange(label.name, value: argument.value.text, requirement: parameter.range.requirement),
                    at: label.range)
                ok = false
                continue
            }
            given[label.name] = (argument.value.value, label)
        }
        if let nesterov = given["nesterov"], nesterov.value == 1, (given["momentum"]?.value ?? 0.9) == 0 {
            report(
                .hyperparameterOutOfRange("nesterov", value: "1", requirement: "Nesterov momentum needs momentum > 0"),
                at: nesterov.label.range)
            ok = false
        }
        guard ok else { return nil }
        let values = parameters.compactMap { parameter in
            (given[parameter.name]?.value ?? parameter.defaultValue).map { UpdateRule.Value(name: parameter.name, value: $0) }
        }
        return UpdateRule(kind: kind, values: values)
    }
}
