import AdjointIR
import AdjointSyntax

// MARK: - Constants
extension Checker {
    /// `const NAME = NUMBER` (a scalar), or a tensor constant `const NAME: SHAPE = INIT` with INIT a
    /// number (every element), a nested list in row-major order, `zeros`, `ones`, `eye`, `tril` or
    /// `triu`. A list without a shape gives its own (`const w = [0.5, 2]` is `[2]`). Returns the
    /// declaration, or nil after reporting what is wrong (the name is then poisoned).
    mutating func checkTensorConst(
        _ name: Identifier, _ shapeSyntax: ShapeSyntax?, _ value: ConstInitializerSyntax, range: SourceRange
    ) -> CheckedProgram.ConstDecl? {
        if shapeSyntax == nil || shapeSyntax?.sizes.isEmpty == true, case .number(let literal) = value {
            guard declare(name, .const(literal.value)) else { return nil }
            return .init(name: name.name, value: literal.value, range: range)
        }
        guard let (shape, pattern) = constTensor(name, shapeSyntax, value) else {
            declare(name, .poisoned)
            return nil
        }
        guard declare(name, .tensorConst(shape)) else { return nil }
        return .init(name: name.name, value: 0, range: range, tensor: (shape, pattern))
    }

    private mutating func constTensor(
        _ name: Identifier, _ shapeSyntax: ShapeSyntax?, _ value: ConstInitializerSyntax
    ) -> (Shape, ConstantPattern)? {
        var shape: Shape?
        if let shapeSyntax {
            guard let resolved = resolveShape(shapeSyntax) else { return nil }
            for (size, dim) in zip(shapeSyntax.sizes, resolved.dims) {
                if case .runtime(let dimName) = dim {
                    report(
                        .invalidConst(
                            "const '\(name.name)' cannot use runtime dim '\(dimName)'; a const's shape is fixed at compile time"),
                        at: size.range)
                    return nil
                }
            }
            shape = resolved
        }
        switch value {
        case .number(let literal):
            return shape.map { ($0, .fill(literal.value)) }  // a shape is given: `[]` went the scalar way
        case .list(let list):
            let found = listShape(list)
            if shape == nil && found.contains(0) {
                report(.constShapeMismatch("a const's list needs at least one element"), at: list.range)
                return nil
            }
            let target = shape ?? Shape(found.map { Dim.fixed($0) })
            if shape == nil && target.rank > Shape.maxRank {
                report(.rankTooHigh(target.rank), at: list.range)
                return nil
            }
            guard matchList(list, target.dims.map { if case .fixed(let n) = $0 { n } else { 0 } }, axis: 0) else {
                return nil
            }
            return (target, .values(flatten(list)))
        case .named(let pattern):
            let patterns: [String: ConstantPattern] = [
                "zeros": .fill(0), "ones": .fill(1), "eye": .eye, "tril": .tril, "triu": .triu,
            ]
            guard let chosen = patterns[pattern.name] else {
                report(
                    .invalidConst(
                        "unknown const value '\(pattern.name)' (expected a number, a list, or one of eye, ones, tril, triu, zeros)"),
                    at: pattern.range)
                return nil
            }
            guard let shape else {
                report(
                    .invalidConst("'\(pattern.name)' needs a shape: write 'const \(name.name): [n, n] = \(pattern.name)'"),
                    at: pattern.range)
                return nil
            }
            switch chosen {
            case .eye, .tril, .triu:
                guard shape.rank >= 2 else {
                    report(
                        .invalidConst("'\(pattern.name)' needs a shape of rank 2 or more (a matrix), but '\(name.name)' has shape \(shape)"),
                        at: pattern.range)
                    return nil
                }
                if chosen == .eye, shape.dims[shape.rank - 1] != shape.dims[shape.rank - 2] {
                    report(
                        .invalidConst("'eye' is a square identity: the last two sizes of \(shape) differ"), at: pattern.range)
                    return nil
                }
            default: break
            }
            return (shape, chosen)
        }
    }

    /// The sizes of a nested list literal along its first elements (`matchList` then checks that
    /// the rest agree).
    private func listShape(_ list: NumberListSyntax) -> [Int] {
        var sizes: [Int] = []
        var level: NumberListSyntax? = list
        while let current = level {
            sizes.append(current.elements.count)
            guard case .list(let inner)? = current.elements.first else { break }
            level = inner
        }
        return sizes
    }

    /// Whether the list's nesting is exactly `sizes` from `axis` on; reports the first place where
    /// it is not, naming the expected and the found size.
    private mutating func matchList(_ list: NumberListSyntax, _ sizes: [Int], axis: Int) -> Bool {
        guard axis < sizes.count else {
            report(
                .constShapeMismatch("a list here is one level deeper than the shape's \(sizes.count) axes"),
                at: list.range)
            return false
        }
        guard list.elements.count == sizes[axis] else {
            report(
                .constShapeMismatch(
                    "axis \(axis) of the const's shape has size \(sizes[axis]), but this list has \(list.elements.count) element\(list.elements.count == 1 ? "" : "s")"
                ), at: list.range)
            return false
        }
        for element in list.elements {
            switch element {
            case .number(let literal) where axis + 1 < sizes.count:
                report(
                    .constShapeMismatch("expected a list of \(sizes[axis + 1]) elements for axis \(axis + 1), found a number"),
                    at: literal.range)
                return false
            case .list(let inner):
                guard matchList(inner, sizes, axis: axis + 1) else { return false }
            case .number: break
            }
        }
        return true
    }

    /// The numbers of a list in row-major order.
    private func flatten(_ list: NumberListSyntax) -> [Double] {
        list.elements.flatMap { element -> [Double] in
            switch element {
            case .number(let literal): return [literal.value]
            case .list(let inner): return flatten(inner)
            }
        }
    }
}
