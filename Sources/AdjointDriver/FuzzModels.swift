import AdjointInterpreter

/// Random models written in version 2 of the language: `int` inputs used as ids (`E[ids]`, `take`,
/// `pick`, `one_hot`, class-index targets), NumPy indexing (`x[1:3]`, `h[..., -1]`, `x[::2]`),
/// `reshape`, `flatten`, `expand_dims`, `squeeze`, `transpose(x, axes = ...)`, `concat`, `stack`,
/// tensor consts, dims used as numbers and batched `@`. Each model is built from shapes the
/// generator tracks, so it is valid unless one mistake is planted on purpose (an index out of
/// range, an empty slice, float ids, a bad reshape, axes that are not a permutation, a concat of
/// mismatched shapes, a list literal in the wrong place, an `int` param, ...). The first line says
/// which (`# fuzz: valid` or `# fuzz: invalid`), and `exercise` holds the compiler to it: a valid
/// model must check and its reverse mode agree with finite differences; an invalid one must be
/// diagnosed. Only smooth functions are used, so that finite differences judge every gradient.
extension Fuzzer {
    /// The marker on the first line of a generated model the compiler must accept.
    static let validMarker = "# fuzz: valid\n"
    /// The marker on the first line of a generated model the compiler must reject.
    static let invalidMarker = "# fuzz: invalid\n"

    /// A value the generated model has named: its text, its shape (0 for the runtime `batch`) and
    /// whether it is `int`.
    fileprivate struct Value {
        var text: String
        var shape: [Int]
        var isInt = false
        /// Whether a param reaches it (so that the loss can prefer such values).
        var hasParam = false
    }

    /// The generator's state for one model: the fixed sizes, the values so far and the text.
    fileprivate struct ModelBuilder {
        var n: Int, c: Int, v: Int
        var values: [Value] = []
        var lines: [String] = []

        /// A shape as the model writes it: dim names where they fit, else numbers.
        func shapeText(_ shape: [Int]) -> String {
            "[" + shape.map(sizeText).joined(separator: ", ") + "]"
        }

        func sizeText(_ size: Int) -> String {
            switch size {
            case 0: return "batch"
            case c: return "c"
            case v: return "v"
            case n: return "n"
            default: return String(size)
            }
        }
    }

    /// One generated model (see the extension's comment).
    func version2Model(_ random: inout SplitMix64) -> [UInt8] {
        var model = ModelBuilder(n: 2 + random.below(3), c: 3 + random.below(2), v: 3 + random.below(4))
        if model.v == model.c { model.v += 1 }
        if model.n == model.c { model.n = 2 }
        let (n, c, v) = (model.n, model.c, model.v)
        var declarations = ["dim batch", "dim n = \(n)", "dim c = \(c)", "dim v = \(v)"]
        declarations += ["input x: [batch, n, c]", "input z: float[batch, c]", "input ids: int[batch, n]", "input labels: int[batch]"]
        model.values += [
            Value(text: "x", shape: [0, n, c]), Value(text: "z", shape: [0, c]),
            Value(text: "ids", shape: [0, n], isInt: true), Value(text: "labels", shape: [0], isInt: true),
        ]
        declarations += ["param E: [v, c] = normal(0, 0.5)", "param W: [c, c] = normal(0, 0.5)", "param b: [c] = normal(0, 0.5)"]
        model.values += [
            Value(text: "E", shape: [v, c], hasParam: true), Value(text: "W", shape: [c, c], hasParam: true),
            Value(text: "b", shape: [c], hasParam: true),
        ]
        if random.chance(50) {
            declarations.append("const m: [c, c] = \(random.pick(["tril", "triu", "eye", "ones", "zeros", "0.5"]))")
            model.values.append(Value(text: "m", shape: [c, c]))
        }
        if random.chance(50) {
            let list = (0..<c).map { _ in random.pick(["1", "-1", "0.5", "2", "0", "-0.25"]) }
            declarations.append("const w: [c] = [\(list.joined(separator: ", "))]")
            model.values.append(Value(text: "w", shape: [c]))
        }
        if random.chance(30) {
            let rows = (0..<2).map { _ in "[" + (0..<c).map { _ in random.pick(["1", "0", "-2", "0.5"]) }.joined(separator: ", ") + "]" }
            declarations.append("const q = [\(rows.joined(separator: ", "))]")
            model.values.append(Value(text: "q", shape: [2, c]))
        }
        let steps = 1 + random.below(7)
        for index in 0..<steps {
            guard let (text, value) = model.operation(&random) else { continue }
            let name = "h\(index)"
            model.lines.append("\(name) = \(text)")
            model.values.append(Value(text: name, shape: value.shape, isInt: value.isInt, hasParam: value.hasParam))
        }
        model.lines.append("loss = \(model.loss(&random))")
        var invalid = false
        if random.chance(30) {
            let (declaration, line) = model.mistake(&random)
            if let declaration { declarations.append(declaration) }
            if let line { model.lines.insert(line, at: random.below(model.lines.count)) }
            invalid = true
        }
        var text = invalid ? Self.invalidMarker : Self.validMarker
        text += (declarations + model.lines).joined(separator: "\n") + "\n"
        if random.chance(30), let output = model.lines.first?.split(separator: " ").first { text += "output \(output)\n" }
        text += "minimize loss using \(random.pick(["sgd(lr = 0.1)", "adam()", "momentum(momentum = 0.5)", "rmsprop()"]))\n"
        return Array(text.utf8)
    }
}

extension Fuzzer.ModelBuilder {
    typealias Value = Fuzzer.Value

    /// A value to work on: usually one of the last few (so that operations chain), sometimes any.
    func operand(_ random: inout SplitMix64, where condition: (Value) -> Bool = { _ in true }) -> Value? {
        let candidates = values.filter(condition)
        guard !candidates.isEmpty else { return nil }
        if random.chance(60) { return candidates[max(0, candidates.count - 1 - random.below(3))] }
        return random.pick(candidates)
    }

    /// `text` in parentheses unless it is a name or a call (so that indexing binds to all of it).
    func atom(_ value: Value) -> String {
        value.text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } ? value.text : "(\(value.text))"
    }

    /// A new value from the ones so far, with its text; nil when the operation drawn has no operand.
    func operation(_ random: inout SplitMix64) -> (String, Value)? {
        let a = operand(&random)!
        let floatA = operand(&random) { !$0.isInt }!
        switch random.below(16) {
        case 0:  // a smooth function, or a draw from the random stream
            if random.chance(20) {
                // Randomness: the stream is held fixed while the check differences the loss.
                let shape = shapeText(floatA.shape)
                let draw = random.pick([
                    "dropout(\(floatA.text), 0.25)", "\(atom(floatA)) + 0.1 * normal(\(shape))",
                    "\(atom(floatA)) * uniform(\(shape))",
                ])
                return (draw, Value(text: "", shape: floatA.shape, hasParam: floatA.hasParam))
            }
            let function = random.pick(["tanh", "sigmoid", "sin", "softplus", "cos", "erf", "gelu", "silu", "elu"])
            return ("\(function)(\(a.text))", Value(text: "", shape: a.shape, hasParam: a.hasParam))
        case 1:  // arithmetic with a value of the same shape, a suffix of it, a dim or a number
            let partners = values.filter { b in b.shape == a.shape || (b.shape.count < a.shape.count && Array(a.shape.suffix(b.shape.count)) == b.shape) }
            let op = random.pick(["+", "-", "*"])
            if random.chance(25) || partners.isEmpty {
                let number = random.pick(["c", "n", "batch", "v", "0.5", "2"])
                return ("\(a.text) \(random.pick(["*", "/", "+"])) \(number)", Value(text: "", shape: a.shape, hasParam: a.hasParam))
            }
            let b = random.pick(partners)
            return ("\(a.text) \(op) \(b.text)", Value(text: "", shape: a.shape, hasParam: a.hasParam || b.hasParam))
        case 2, 3:  // basic indexing
            guard !a.shape.isEmpty else { return nil }
            return index(&random, a)
        case 4:  // a gather by ids
            guard let table = operand(&random, where: { !$0.shape.isEmpty && $0.shape[0] >= 3 }),
                let ids = operand(&random, where: { $0.isInt && $0.shape.count + table.shape.count - 1 <= 4 })
            else { return nil }
            let shape = ids.shape + table.shape.dropFirst()
            let isInt = table.isInt
            if random.chance(50) { return ("\(atom(table))[\(ids.text)]", Value(text: "", shape: shape, isInt: isInt, hasParam: table.hasParam)) }
            return ("take(\(table.text), \(ids.text))", Value(text: "", shape: shape, isInt: isInt, hasParam: table.hasParam))
        case 5:  // take along another axis
            guard let table = operand(&random, where: { $0.shape.contains { $0 >= 3 } }) else { return nil }
            let axes = table.shape.indices.filter { table.shape[$0] >= 3 }
            let axis = random.pick(axes)
            guard let ids = operand(&random, where: { $0.isInt && $0.shape.count + table.shape.count - 1 <= 4 }) else { return nil }
            let shape = Array(table.shape[..<axis]) + ids.shape + table.shape[(axis + 1)...]
            let written = random.chance(50) ? axis : axis - table.shape.count
            return ("take(\(table.text), \(ids.text), axis = \(written))", Value(text: "", shape: shape, isInt: table.isInt, hasParam: table.hasParam))
        case 6:  // pick, or a class-index loss term
            var tables = values.filter { !$0.isInt }
            for index in tables.indices.reversed() { tables.swapAt(index, random.below(index + 1)) }
            for table in tables {
                for axis in table.shape.indices where table.shape[axis] >= 3 {
                    var rest = table.shape
                    rest.remove(at: axis)
                    guard let ids = values.first(where: { $0.isInt && $0.shape == rest }) else { continue }
                    let written = axis == table.shape.count - 1 && random.chance(50) ? "" : ", axis = \(axis)"
                    return ("pick(\(table.text), \(ids.text)\(written))", Value(text: "", shape: rest, hasParam: table.hasParam))
                }
            }
            return nil
        case 7:  // one_hot
            guard let ids = operand(&random, where: { $0.isInt && $0.shape.count < 4 }) else { return nil }
            let size = random.pick([c, v, 3])
            return ("one_hot(\(ids.text), \(sizeText(size)))", Value(text: "", shape: ids.shape + [size]))
        case 8:  // reshape or flatten
            guard !a.shape.isEmpty, a.shape.dropFirst().allSatisfy({ $0 > 0 }) else { return nil }
            let rest = a.shape.dropFirst().reduce(1, *)
            if random.chance(30) {
                return ("flatten(\(a.text))", Value(text: "", shape: [a.shape[0], rest], isInt: a.isInt, hasParam: a.hasParam))
            }
            var sizes: [Int] = []
            var left = rest
            while left > 1 && sizes.count < 2 {
                let divisors = (1...left).filter { left % $0 == 0 }
                let size = random.pick(divisors)
                sizes.append(size)
                left /= size
            }
            sizes.append(left)
            let shape = [a.shape[0]] + sizes
            var written = shape.map(sizeText)
            if random.chance(40) { written[random.below(written.count)] = "-1" }
            return ("reshape(\(a.text), [\(written.joined(separator: ", "))])", Value(text: "", shape: shape, isInt: a.isInt, hasParam: a.hasParam))
        case 9:  // expand_dims, then maybe squeeze
            guard a.shape.count < 4 else { return nil }
            let axis = random.below(a.shape.count + 1)
            var shape = a.shape
            shape.insert(1, at: axis)
            let written = random.chance(50) ? axis : axis - shape.count
            let expanded = "expand_dims(\(a.text), axis = \(written))"
            if random.chance(30) {
                let byAxis = random.chance(50)
                let squeeze = byAxis ? "squeeze(\(expanded), axis = \(written))" : "squeeze(\(expanded))"
                let squeezed = byAxis ? a.shape : shape.filter { $0 != 1 }
                return (squeeze, Value(text: "", shape: squeezed, isInt: a.isInt, hasParam: a.hasParam))
            }
            return (expanded, Value(text: "", shape: shape, isInt: a.isInt, hasParam: a.hasParam))
        case 10:  // transpose
            guard a.shape.count >= 2 else { return nil }
            if random.chance(30) {
                return ("transpose(\(a.text))", Value(text: "", shape: a.shape.reversed(), isInt: a.isInt, hasParam: a.hasParam))
            }
            var axes = Array(a.shape.indices)
            for index in axes.indices.reversed() { axes.swapAt(index, random.below(index + 1)) }
            return ("transpose(\(a.text), axes = [\(axes.map(String.init).joined(separator: ", "))])",
                Value(text: "", shape: axes.map { a.shape[$0] }, isInt: a.isInt, hasParam: a.hasParam))
        case 11:  // concat or stack with a value of the same shape
            guard !a.shape.isEmpty else { return nil }
            let partners = values.filter { $0.shape == a.shape && $0.isInt == a.isInt }
            let b = random.pick(partners)
            if random.chance(50) && a.shape.count < 4 {
                let axis = random.below(a.shape.count + 1)
                var shape = a.shape
                shape.insert(2, at: axis)
                return ("stack([\(a.text), \(b.text)], axis = \(axis))", Value(text: "", shape: shape, isInt: a.isInt, hasParam: a.hasParam || b.hasParam))
            }
            let fixed = a.shape.indices.filter { a.shape[$0] > 0 }
            guard !fixed.isEmpty else { return nil }
            let axis = random.pick(fixed)
            var shape = a.shape
            shape[axis] *= 2
            let written = axis == 0 && random.chance(50) ? "" : ", axis = \(axis)"
            return ("concat([\(a.text), \(b.text)]\(written))", Value(text: "", shape: shape, isInt: a.isInt, hasParam: a.hasParam || b.hasParam))
        case 12, 13:  // a matrix product, batched when the operand has rank 3 or 4
            let left = floatA
            guard let last = left.shape.last, last > 0 else { return nil }
            if left.shape.count >= 2 && random.chance(40) {
                // x @ xᵀ over the last two axes.
                var axes = Array(left.shape.indices)
                axes.swapAt(axes.count - 1, axes.count - 2)
                var shape = left.shape
                shape[shape.count - 1] = shape[shape.count - 2]
                return ("\(atom(left)) @ transpose(\(left.text), axes = [\(axes.map(String.init).joined(separator: ", "))])",
                    Value(text: "", shape: shape, hasParam: left.hasParam))
            }
            let rights = values.filter { !$0.isInt && $0.shape.count == 2 && $0.shape[0] == last && $0.shape[1] > 0 }
            guard let right = rights.isEmpty ? nil : random.pick(rights) else { return nil }
            var shape = left.shape
            shape[shape.count - 1] = right.shape[1]
            return ("\(atom(left)) @ \(right.text)", Value(text: "", shape: shape, hasParam: left.hasParam || right.hasParam))
        case 14:  // a reduction or softmax along an axis
            guard !floatA.shape.isEmpty else { return nil }
            let axis = random.below(floatA.shape.count)
            if random.chance(40) {
                let function = random.pick(["softmax", "log_softmax"])
                return ("\(function)(\(floatA.text), axis = \(axis))", Value(text: "", shape: floatA.shape, hasParam: floatA.hasParam))
            }
            if random.chance(30) {
                // Selection: a comparison, `where` (with -inf under a softmax), `clip`, `argmax`.
                let x = floatA.text
                let shape = floatA.shape
                switch random.below(4) {
                case 0: return ("where(\(atom(floatA)) > 0.5, \(x), 2 * \(atom(floatA)))", Value(text: "", shape: shape, hasParam: floatA.hasParam))
                case 1: return ("softmax(where(\(atom(floatA)) < 0.9, \(x), -inf), axis = \(axis))", Value(text: "", shape: shape, hasParam: floatA.hasParam))
                case 2: return ("clip(\(x), 0.2, 0.8)", Value(text: "", shape: shape, hasParam: floatA.hasParam))
                default:
                    var rest = shape
                    rest.remove(at: axis)
                    return ("(argmax(\(x), axis = \(axis)) >= 1) * max(\(x), axis = \(axis))", Value(text: "", shape: rest, hasParam: floatA.hasParam))
                }
            }
            var shape = floatA.shape
            let keepdims = random.chance(20)
            if keepdims { shape[axis] = 1 } else { shape.remove(at: axis) }
            let reduction = random.pick(["sum", "mean", "logsumexp", "max", "min", "var"])
            return ("\(reduction)(\(floatA.text), axis = \(axis)\(keepdims ? ", keepdims = true" : ""))", Value(text: "", shape: shape, hasParam: floatA.hasParam))
        default:  // a tensor const or a param broadcast against a value whose shape ends like it
            let partners = values.filter { b in !b.shape.isEmpty && b.shape.count <= a.shape.count && Array(a.shape.suffix(b.shape.count)) == b.shape && !b.isInt }
            guard let b = partners.isEmpty ? nil : random.pick(partners) else { return nil }
            return ("\(a.text) * \(b.text) + \(b.text)", Value(text: "", shape: a.shape, hasParam: a.hasParam || b.hasParam))
        }
    }

    /// `a[...]` with a random valid index: positions, slices and `...`.
    func index(_ random: inout SplitMix64, _ a: Value) -> (String, Value)? {
        var items: [String] = []
        var shape: [Int] = []
        var count = a.shape.count
        var useEllipsis = random.chance(30)
        if useEllipsis && random.chance(50) {
            // `...` first: index the last axes.
            let written = 1 + random.below(count)
            items.append("...")
            shape += a.shape.prefix(count - written)
            for size in a.shape.suffix(written) { item(&random, size, &items, &shape) }
            count = 0
            useEllipsis = false
        }
        let written = count == 0 ? 0 : 1 + random.below(count)
        for size in a.shape.prefix(written) { item(&random, size, &items, &shape) }
        if useEllipsis && written < a.shape.count { items.append("...") }
        if count > 0 { shape += a.shape.dropFirst(written) }
        if items == ["..."] { return nil }
        return ("\(atom(a))[\(items.joined(separator: ", "))]", Value(text: "", shape: shape, isInt: a.isInt, hasParam: a.hasParam))
    }

    /// One index item for an axis of `size`, and the size it leaves (none for a position).
    private func item(_ random: inout SplitMix64, _ size: Int, _ items: inout [String], _ shape: inout [Int]) {
        if size == 0 {
            switch random.below(5) {
            case 0: items.append("0")
            case 1: items.append("-1")
            case 2: items.append(":"); shape.append(0)
            case 3: items.append("0:"); shape.append(0)
            default: items.append(":batch"); shape.append(0)
            }
            return
        }
        if random.chance(35) {
            let position = random.below(2 * size) - size
            items.append(String(position))
            return
        }
        let start = random.below(size)
        let stop = start + 1 + random.below(size - start)
        let step = 1 + random.below(2)
        let startText = start == 0 && random.chance(50) ? "" : (random.chance(30) ? String(start - size) : String(start))
        let stopText = stop == size && random.chance(50) ? (random.chance(50) ? "" : sizeText(size)) : String(stop)
        items.append(step == 1 ? "\(startText):\(stopText)" : "\(startText):\(stopText):\(step)")
        shape.append((stop - start + step - 1) / step)
    }

    /// The loss: a scalar from the values, reaching a param.
    func loss(_ random: inout SplitMix64) -> String {
        let regularizer = "0.01 * sum(square(\(random.pick(["W", "E", "b"]))))"
        let float = values.filter { !$0.isInt && $0.hasParam }
        if random.chance(30), let logits = float.filter({ $0.shape.count >= 1 && ($0.shape.last ?? 0) >= 3 }).last {
            let rest = Array(logits.shape.dropLast())
            if let labels = values.first(where: { $0.isInt && $0.shape == rest }) {
                if random.chance(50) {
                    let smoothing = random.chance(30) ? ", label_smoothing = 0.1" : ""
                    return "softmax_cross_entropy(\(logits.text), \(labels.text)\(smoothing)) + \(regularizer)"
                }
                return "cross_entropy(softmax(\(logits.text)), \(labels.text)) + \(regularizer)"
            }
        }
        let last = float.last ?? values.last!
        return "\(random.pick(["mean", "sum"]))(square(\(last.text))) + \(regularizer)"
    }

    /// A planted mistake: a declaration or a line (or both) the checker must reject.
    func mistake(_ random: inout SplitMix64) -> (String?, String?) {
        switch random.below(20) {
        case 0: return (nil, "bad = x[\(random.pick(["0, n", "0, 0, c", "0, -\(n + 1)", "1", "batch", "0, 0, -\(c + 1)"]))]")  // out of range
        case 1: return (nil, "bad = x[\(random.pick(["0, 1:1", "0, 2:1", ":, :, c:", "0, -1:-1", "0, ::0", "0, 0:1:-1"]))]")  // empty or bad
        case 2: return (nil, "bad = \(random.pick(["E[z]", "E[x]", "take(E, z)", "one_hot(z, 3)", "pick(x, z)", "E[b]"]))")  // float ids
        case 3: return (nil, "bad = reshape(x, [\(random.pick(["batch, \(n * c + 1)", "\(n * c)", "-1, -1", "batch, 0", "batch, -2", "batch, \(n), -1, \(c + 1)"]))])")
        case 4: return (nil, "bad = transpose(x, axes = [\(random.pick(["0, 0, 1", "0, 1", "0, 1, 3", "1, 2, 3", "0, 1, 2, 3", "0.5, 1, 2", "0, 1, -4"]))])")
        case 5: return (nil, "bad = concat([\(random.pick(["x, z]", "x, E]", "z, E]", "z, W], axis = 1", "x, b], axis = 2", "x, transpose(x)], axis = 1"]))")
        case 6: return (nil, random.pick(["bad = [x, z]", "bad = x + [1]", "bad = x[[0, 1]]", "bad = (([W]))", "bad = sum([W])"]))
        case 7: return ("param P: int[\(random.pick(["3", "c", "2, 2"]))]", nil)
        case 8: return (nil, random.pick(["bad = x * ...", "bad = x[..., ...]", "bad = x[0:...]", "bad = sum(...)"]))
        case 9: return (nil, "bad = \(random.pick(["z[0, 0, 0]", "x[0, 0, 0, 0]", "b[0, 0]", "x[1:2:3:4]", "x[]"]))")
        case 10: return (random.pick(["const q2: [2] = [1, 2, 3]", "const q2: [2, 2] = [1, 2, 3, 4]", "const q2: [batch] = 1", "const q2: [3] = eye", "const q2: [2, 3] = eye", "const q2 = tril", "const q2: [2] = [[1], [2]]"]), nil)
        case 11: return (nil, "bad = squeeze(x, axis = \(random.pick(["1", "2", "-1", "3"])))")
        case 12: return (nil, "bad = \(random.pick(["concat([x, x], axis = 0)", "concat([z, z], axis = -2)"]))")
        case 13: return (nil, "bad = \(random.pick(["E[ids, 0]", "x[labels, 0]", "x[0, ids]"]))")
        case 14: return (nil, "bad = \(random.pick(["softmax_cross_entropy(z, ids)", "softmax_cross_entropy(x, labels)", "cross_entropy(z, ids)", "pick(z, ids)", "pick(x, labels)"]))")
        case 15: return (nil, "bad = \(random.pick(["expand_dims(x, axis = 4)", "expand_dims(x, axis = -5)", "stack([x, z])", "stack([x, x], axis = 4)", "expand_dims(expand_dims(x, axis = 0), axis = 0)"]))")
        case 16: return (nil, "bad = \(random.pick(["x @ x", "z @ E", "x @ transpose(x, axes = [0, 1, 2])", "W @ x"]))")
        case 17: return (nil, "bad = \(random.pick(["one_hot(ids, 0)", "one_hot(ids, -1)", "one_hot(ids, 1.5)", "take(E, ids, axis = 2)"]))")
        case 18: return (random.pick(["input bad: double[3]", "param bad: [batch]", "param bad: int[c]"]), random.pick(["bad2 = E[bad]", "bad2 = bad"]))
        default: return (nil, "bad = \(random.pick(["x[0.5]", "x[n]", "z[:, c]", "x[:, :, 1:c+1]", "z[0, -c - 1]", "x[1:]"]))")
        }
    }
}

