import AdjointSyntax

extension Checker {
    /// Binds arguments to parameters the way Python does: positional arguments first, in order,
    /// then labelled ones by name. Returns, for each parameter, the index of its argument (nil if
    /// left out), or nil after reporting what is wrong. A parameter is `(name, isOptional)`.
    mutating func bind(
        _ arguments: [(label: Identifier?, range: SourceRange)], to parameters: [(name: String, isOptional: Bool)],
        function: Identifier
    ) -> [Int?]? {
        var slots = [Int?](repeating: nil, count: parameters.count)
        var ok = true
        var sawLabel = false
        let required = parameters.filter { !$0.isOptional }.count
        let expected =
            (required == parameters.count ? "\(required)" : "\(required) to \(parameters.count)")
            + " argument\(parameters.count == 1 ? "" : "s")"
            + (parameters.isEmpty ? "" : " (" + parameters.map(\.name).joined(separator: ", ") + ")")
        for (index, argument) in arguments.enumerated() {
            guard let label = argument.label else {
                if sawLabel {
                    report(.invalidArgument("a positional argument cannot follow a labelled one"), at: argument.range)
                    ok = false
                } else if index >= parameters.count {
                    report(
                        .argumentCount(function.name, expected: expected, got: arguments.count), at: function.range)
                    return nil
                } else {
                    slots[index] = index
                }
                continue
            }
            sawLabel = true
            guard let slot = parameters.firstIndex(where: { $0.name == label.name }) else {
                report(
                    .unknownArgument(label.name, function: function.name, valid: parameters.map(\.name)), at: label.range)
                ok = false
                continue
            }
            if slots[slot] != nil {
                report(.duplicateArgument(label.name), at: label.range)
                ok = false
                continue
            }
            slots[slot] = index
        }
        guard ok else { return nil }
        let missing = parameters.indices.filter { slots[$0] == nil && !parameters[$0].isOptional }
        if let first = missing.first {
            if sawLabel {
                report(.missingArgument(parameters[first].name, function: function.name), at: function.range)
            } else {
                report(.argumentCount(function.name, expected: expected, got: arguments.count), at: function.range)
            }
            return nil
        }
        return slots
    }
}
