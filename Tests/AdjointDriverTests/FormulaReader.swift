import AdjointIR
import Foundation

/// Reads a printed closed form (the `text` of `derive --format json`) back as a reader would, and
/// evaluates it. It knows nothing of the printer's `Formula` or the gradient graph: only the
/// notation (README, "Reading the formulas") and the values of the names it meets, so a formula
/// that prints wrong (a lost parenthesis, a wrong name, a dropped argument) evaluates wrong.
///
/// The notation, loosest first: `a + b`, `a − b` (a binary minus has spaces around it); `a ⊙ b`
/// (elementwise), `a / b`, juxtaposition `a b` (a scalar times anything, else a matrix product,
/// grouping to the right); `−a`, `Σ_batch a`, `mean_axis1 a` (reductions over the named axes, or
/// every element without a subscript), `Σ_{i: ids_i = r < n} u[i]` (a scatter-add of the rows of
/// `u` into n rows); `aᵀ`, `a²`, `a^b`, `a[1:4, −1]` and `E[ids]` (basic indexing and a gather);
/// names, numbers, calls `relu(a)`, `softmax(a, axis = 0)`, `concat([a, b], axis = 1)`,
/// `𝟙(a > 0)` (1 where the relation holds, else 0), `𝟙(c)` (1 where c is not 0, else a strong 0: a
/// product with it is 0 there even where the other factor is infinite, as Iverson's bracket),
/// `where(c, a, b)` and parentheses.
struct FormulaReader {
    /// A tensor with the dim name of each axis (nil for a fixed size), so that `Σ_batch` finds
    /// its axis.
    struct Value {
        var tensor: Tensor
        var labels: [String?]
        /// Whether this is an indicator `𝟙(…)`, whose zeros are strong: a product with one is 0
        /// there whatever the other factor holds (an infinity too).
        var isIndicator = false

        init(_ tensor: Tensor, labels: [String?]) {
            self.tensor = tensor
            self.labels = labels
        }

        init(scalar: Double) { self.init(Tensor(scalar), labels: []) }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The values of the names a formula may use: params, inputs, consts, dims and the `where`
    /// definitions read so far.
    var names: [String: Value]
    private var scalars: [Unicode.Scalar] = []
    private var position = 0

    init(names: [String: Value]) { self.names = names }

    /// The value of `text`.
    mutating func evaluate(_ text: String) throws(Failure) -> Value {
        scalars = Array(text.unicodeScalars)
        position = 0
        let value = try expression()
        skipSpaces()
        guard position == scalars.count else { throw fail("unexpected text") }
        return value
    }

    // MARK: - Grammar

    private mutating func expression() throws(Failure) -> Value {
        var value = try term()
        while true {
            skipSpaces()
            if take("+") {
                value = try binary(value, try term(), "+")
            } else if peek("−"), peek(" ", offset: 1) {
                position += 1
                value = try binary(value, try term(), "−")
            } else {
                return value
            }
        }
    }

    /// Juxtaposed factors (grouping to the right), then at most one `⊙` or `/` and one factor: the
    /// printer parenthesizes any other mixture.
    private mutating func term() throws(Failure) -> Value {
        var factors = [try factor()]
        while startsFactor() { factors.append(try factor()) }
        var value = factors.removeLast()
        while let left = factors.popLast() { value = try product(left, value) }
        skipSpaces()
        if take("⊙") { return try binary(value, try factor(), "⊙") }
        if take("/") { return try binary(value, try factor(), "/") }
        return value
    }

    /// Whether a juxtaposed factor follows (not an operator or the end).
    private mutating func startsFactor() -> Bool {
        skipSpaces()
        guard position < scalars.count else { return false }
        let scalar = scalars[position]
        if scalar == "−" { return !peek(" ", offset: 1) }
        return !["+", "⊙", "/", ")", "]", ",", ">", "≥", "=", "<", "≤", "≠"].contains(scalar)
    }

    private mutating func factor() throws(Failure) -> Value {
        skipSpaces()
        if peek("−"), position + 1 < scalars.count, !isDigit(scalars[position + 1]) {
            position += 1
            let operand = try power()
            return Value(operand.tensor.map { -$0 }, labels: operand.labels)
        }
        if take("Σ") { return peek("_") && peek("{", offset: 1) ? try scatter() : try reduce(.sum) }
        let start = position
        let word = identifier()
        for reduction in [Reduction.mean, .logsumexp, .max, .min, .argmax, .argmin] where names[word] == nil {
            // `max(a, b)` is the elementwise maximum; `max_axis1 a` and `max a` reduce.
            if word == reduction.name && peek("(") { continue }
            if word == reduction.name || word.hasPrefix(reduction.name + "_") {
                position = start + reduction.name.unicodeScalars.count
                return try reduce(reduction)
            }
        }
        position = start
        return try power()
    }

    /// `Σ_batch,axis1 a`: the op's reference evaluation over each named axis in turn, last first.
    private mutating func reduce(_ op: Reduction) throws(Failure) -> Value {
        var labels: [String] = []
        if take("_") {
            var label = ""
            while position < scalars.count, scalars[position] != " " {
                label.unicodeScalars.append(scalars[position])
                position += 1
            }
            labels = label.split(separator: ",").map(String.init)
        }
        var value = try power()
        guard !labels.isEmpty else {
            return Value(Op.reduction(op, axis: nil).evaluate([value.tensor], dims: [:]), labels: [])
        }
        var axes: [Int] = []
        for label in labels {
            if label.hasPrefix("axis"), let axis = Int(label.dropFirst(4)) {
                axes.append(axis)
            } else {
                let matching = value.labels.indices.filter { value.labels[$0] == label }
                guard matching.count == 1 else { throw fail("'\(label)' names \(matching.count) axes of the operand") }
                axes.append(matching[0])
            }
        }
        guard Set(axes).count == axes.count, axes.allSatisfy({ $0 < value.tensor.rank }) else { throw fail("bad axes \(axes)") }
        for axis in axes.sorted(by: >) {
            value.tensor = Op.reduction(op, axis: axis).evaluate([value.tensor], dims: [:])
            value.labels.remove(at: axis)
        }
        return value
    }

    /// `Σ_{i: ids_i = r < n} u[i]` after its `Σ`: row r of an `[n, ...]` result sums the rows of
    /// `u` (one per id, in the ids' row-major order) whose id is r.
    private mutating func scatter() throws(Failure) -> Value {
        position += 2
        guard take("i"), take(":"), take(" ") else { throw fail("expected 'i: ' in a scatter's subscript") }
        // `tokens_i`, or `(…)_i` for a computed tensor of ids.
        let ids: Value
        if peek("(") {
            ids = try atom()
            guard take("_"), take("i") else { throw fail("expected '_i' after a scatter's ids") }
        } else {
            let word = identifier()
            guard word.hasSuffix("_i"), let value = names[String(word.dropLast(2))] else { throw fail("expected 'NAME_i' in a scatter's subscript") }
            ids = value
        }
        guard take(" "), take("="), take(" "), take("r"), take(" "), take("<"), take(" ") else {
            throw fail("expected '_i = r < ' in a scatter's subscript")
        }
        let rows: Int
        if position < scalars.count, isDigit(scalars[position]) {
            rows = Int(try number())
        } else {
            let name = identifier()
            guard let size = names[name], size.tensor.rank == 0 else { throw fail("unknown dim '\(name)'") }
            rows = Int(size.tensor.scalar)
        }
        guard take("}"), take(" ") else { throw fail("expected '} ' after a scatter's subscript") }
        let updates = try atom()
        guard take("["), take("i"), take("]") else { throw fail("expected '[i]' after a scatter's operand") }
        let rest = Array(updates.tensor.sizes.dropFirst(ids.tensor.rank))
        guard Array(updates.tensor.sizes.prefix(ids.tensor.rank)) == ids.tensor.sizes else {
            throw fail("scatter of \(updates.tensor.sizes) by ids \(ids.tensor.sizes)")
        }
        let zeros = Tensor(repeating: 0, sizes: [rows] + rest)
        let result = Op.indexing(.scatterAdd(axis: 0)).evaluate([zeros, updates.tensor, ids.tensor], dims: [:])
        return Value(result, labels: result.sizes.map { _ in nil })
    }

    /// `[1:4, −1, :]` or `[ids]` after a value: basic indexing (NumPy's rules, missing items are
    /// `:`), or a gather along axis 0 when the only item is a tensor.
    private mutating func subscripted(_ value: Value) throws(Failure) -> Value {
        var result = value
        var axis = 0
        var items = 0
        repeat {
            skipSpaces()
            let start = position
            while position < scalars.count, scalars[position] != ",", scalars[position] != "]" { position += 1 }
            var text = ""
            text.unicodeScalars.append(contentsOf: scalars[start..<position])
            position = start
            items += 1
            guard axis < result.tensor.rank else { throw fail("too many indices for rank \(value.tensor.rank)") }
            let size = result.tensor.sizes[axis]
            if text.contains(":") {
                position += text.unicodeScalars.count
                let parts = text.replacingOccurrences(of: "−", with: "-").split(separator: ":", omittingEmptySubsequences: false)
                let step = parts.count > 2 && !parts[2].isEmpty ? Int(parts[2]) ?? 0 : 1
                func bound(_ part: Substring, _ fallback: Int) -> Int {
                    guard let value = Int(part) else { return fallback }
                    return min(max(value < 0 ? value + size : value, 0), size)
                }
                let first = bound(parts[0], 0)
                let stop = bound(parts[1], size)
                guard step >= 1, first < stop else { throw fail("empty or bad slice '\(text)'") }
                let count = (stop - first + step - 1) / step
                result = select(result, axis: axis, AxisSlice(start: first, step: step, count: .fixed(count)))
                axis += 1
            } else {
                let index = try expression()
                if index.tensor.rank == 0 {
                    var i = Int(index.tensor.scalar)
                    if i < 0 { i += size }
                    guard i >= 0, i < size else { throw fail("index \(index.tensor.scalar) of size \(size)") }
                    result = select(result, axis: axis, .index(i))
                } else {
                    guard axis == 0 else { throw fail("a gather after other indices") }
                    let taken = Op.indexing(.take(axis: 0)).evaluate([result.tensor, index.tensor], dims: [:])
                    // The ids' axes (`tokens`: batch, seq), then the table's other axes.
                    result = Value(taken, labels: index.labels + result.labels.dropFirst())
                    axis += index.tensor.rank
                }
            }
            skipSpaces()
        } while take(",")
        guard take("]") else { throw fail("expected ']'") }
        return result
    }

    /// One axis of a value sliced (the others whole).
    private func select(_ value: Value, axis: Int, _ slice: AxisSlice) -> Value {
        let slices = value.tensor.sizes.indices.map { $0 == axis ? slice : AxisSlice.all(.fixed(value.tensor.sizes[$0])) }
        let tensor = Op.indexing(.slice(slices)).evaluate([value.tensor], dims: [:])
        var labels = value.labels
        if slice.count == nil { labels.remove(at: axis) } else if slice.count != .fixed(value.tensor.sizes[axis]) { labels[axis] = nil }
        return Value(tensor, labels: labels)
    }

    /// An atom and its postfixes: `aᵀ`, `a²`, `a^b`, `a[1:4]`.
    private mutating func power() throws(Failure) -> Value {
        var value = try atom()
        let superscripts: [Unicode.Scalar] = ["⁰", "¹", "²", "³", "⁴", "⁵", "⁶", "⁷", "⁸", "⁹"]
        while position < scalars.count {
            if take("ᵀ") {
                guard value.tensor.rank == 2 || value.tensor.rank == 1 else { throw fail("transpose of rank \(value.tensor.rank)") }
                value = Value(Op.linearAlgebra(.transpose(axes: [1, 0])).evaluate([value.tensor], dims: [:]), labels: value.labels.reversed())
            } else if peek("⁻") || superscripts.contains(scalars[position]) {
                let negative = take("⁻")
                guard position < scalars.count, let digit = superscripts.firstIndex(of: scalars[position]) else {
                    throw fail("expected a superscript digit")
                }
                position += 1
                value = try binary(value, Value(scalar: Double(negative ? -digit : digit)), "^")
            } else if take("^") {
                value = try binary(value, try atom(), "^")
            } else if take("[") {
                value = try subscripted(value)
            } else {
                break
            }
        }
        return value
    }

    private mutating func atom() throws(Failure) -> Value {
        skipSpaces()
        guard position < scalars.count else { throw fail("expected a value") }
        let scalar = scalars[position]
        if take("(") {
            let value = try expression()
            skipSpaces()
            guard take(")") else { throw fail("expected ')'") }
            return value
        }
        if take("𝟙") { return try indicator() }
        if scalar == "−" || isDigit(scalar) { return Value(scalar: try number()) }
        let word = identifier()
        guard !word.isEmpty else { throw fail("expected a value") }
        // `h(x W)` is a product when `h` is a name; a call when it is a function.
        if let value = names[word] { return value }
        // `nan(h0 ⊙ v)` is a product: a number that a rule folded to NaN, not a call.
        if peek("("), word != "nan", word != "inf" { return try call(word) }
        switch word {
        case "inf": return Value(scalar: .infinity)
        case "nan": return Value(scalar: .nan)
        default: throw fail("unknown name '\(word)'")
        }
    }

    /// `𝟙(a > b)`, `𝟙(a ≥ b)`, `𝟙(a < b)`, `𝟙(a ≤ b)`, `𝟙(a = b)`, `𝟙(a ≠ b)`: 1 where the
    /// comparison holds.
    private mutating func indicator() throws(Failure) -> Value {
        guard take("(") else { throw fail("expected '(' after 𝟙") }
        let a = try expression()
        skipSpaces()
        if take(")") {
            // `𝟙(c)`: 1 where c is not 0.
            var value = Value(a.tensor.map { $0 != 0 ? 1 : 0 }, labels: a.labels)
            value.isIndicator = true
            return value
        }
        let relations: [(Unicode.Scalar, (Double, Double) -> Bool)] = [
            (">", { $0 > $1 }), ("≥", { $0 >= $1 }), ("<", { $0 < $1 }), ("≤", { $0 <= $1 }), ("=", { $0 == $1 }), ("≠", { $0 != $1 }),
        ]
        guard let relation = relations.first(where: { take($0.0) })?.1 else { throw fail("expected a comparison") }
        let b = try expression()
        skipSpaces()
        guard take(")") else { throw fail("expected ')'") }
        return try elementwise(a, b) { x, y in relation(x, y) ? 1 : 0 }
    }

    private mutating func call(_ name: String) throws(Failure) -> Value {
        _ = take("(")
        var arguments: [Value] = []
        var options: [String: Double] = [:]
        var lists: [String: [Int]] = [:]
        var shape: [(size: Int, label: String?)]?
        var list: [Value] = []
        var sliceItems: String?
        repeat {
            skipSpaces()
            if name == "concat", take("[") {
                repeat { list.append(try expression()) } while take(",")
                guard take("]") else { throw fail("expected ']' after a list") }
                skipSpaces()
                continue
            }
            if name == "unslice", sliceItems == nil, peek("[") {
                let start = position
                while position < scalars.count, scalars[position] != "]" { position += 1 }
                position += 1
                var text = ""
                text.unicodeScalars.append(contentsOf: scalars[start..<position])
                sliceItems = text
                skipSpaces()
                continue
            }
            if take("[") {
                shape = try shapeList()
                skipSpaces()
                continue
            }
            let start = position
            let word = identifier()
            skipSpaces()
            if !word.isEmpty, take("=") {
                skipSpaces()
                if take("[") {
                    // `axes = [0, 2, 1]`: a list of integers.
                    var list: [Int] = []
                    skipSpaces()
                    while !take("]") {
                        list.append(Int(try number()))
                        skipSpaces()
                        _ = take(",")
                        skipSpaces()
                    }
                    lists[word] = list
                } else {
                    options[word] = try number()
                }
            } else {
                position = start
                arguments.append(try expression())
            }
            skipSpaces()
        } while take(",")
        guard take(")") else { throw fail("expected ')' after the arguments of \(name)") }
        if let shape, arguments.count == 1, name == "broadcast" || name == "reshape" {
            let sizes = shape.map(\.size)
            let labels = shape.map(\.label)
            if name == "reshape" {
                guard sizes.reduce(1, *) == arguments[0].tensor.count else { throw fail("reshape to \(sizes) of \(arguments[0].tensor.sizes)") }
                return Value(Tensor(sizes: sizes, scalars: arguments[0].tensor.scalars), labels: labels)
            }
            guard Tensor.broadcastSizes(arguments[0].tensor.sizes, sizes) == sizes else {
                throw fail("broadcast to \(sizes) of \(arguments[0].tensor.sizes)")
            }
            return Value(arguments[0].tensor.broadcast(to: sizes), labels: labels)
        }
        if let result = try selection(name, arguments, options, list: list, sliceItems: sliceItems, shape: shape) { return result }
        let unary: [Elementwise] = [
            .exp, .log, .sqrt, .abs, .square, .sin, .cos, .tanh, .sigmoid, .relu, .softplus, .step, .sign,
            .erf, .silu, .log1p, .expm1, .floor, .round,
        ]
        if arguments.count == 1, options.isEmpty, let op = unary.first(where: { $0.name == name }) {
            return Value(arguments[0].tensor.map(op.apply), labels: arguments[0].labels)
        }
        // Version 2's functions with attributes: `gelu(a, approximate = 1)`, `elu(a, alpha = 0.5)`.
        if name == "gelu" || name == "elu", arguments.count == 1 {
            let op: Elementwise = name == "gelu" ? .gelu(approximate: (options["approximate"] ?? 0) != 0) : .elu(alpha: options["alpha"] ?? 1)
            return Value(arguments[0].tensor.map(op.apply), labels: arguments[0].labels)
        }
        // `diagonal(A)` of a square matrix, `diag(v)` the square matrix with v on its diagonal.
        if name == "diagonal" || name == "diag", arguments.count == 1 {
            let value = arguments[0]
            let sizes = value.tensor.sizes
            if name == "diagonal" {
                guard sizes.count == 2, sizes[0] == sizes[1] else { throw fail("diagonal of \(sizes)") }
                return Value(Op.linearAlgebra(.diagonal).evaluate([value.tensor], dims: [:]), labels: [value.labels[0]])
            }
            guard sizes.count == 1 else { throw fail("diag of \(sizes)") }
            return Value(Op.linearAlgebra(.diag).evaluate([value.tensor], dims: [:]), labels: [value.labels[0], value.labels[0]])
        }
        if name == "leaky_relu", arguments.count == 1 {
            let op = Elementwise.leakyRelu(slope: options["slope"] ?? 0.01)
            return Value(arguments[0].tensor.map(op.apply), labels: arguments[0].labels)
        }
        if name == "transpose", arguments.count == 1 {
            // Every axis reversed, or result axis i is the operand's axis axes[i].
            let value = arguments[0]
            let axes = lists["axes"] ?? Array((0..<value.tensor.rank).reversed())
            guard axes.sorted() == Array(0..<value.tensor.rank) else { throw fail("transpose of rank \(value.tensor.rank) by \(axes)") }
            return Value(Op.linearAlgebra(.transpose(axes: axes)).evaluate([value.tensor], dims: [:]), labels: axes.map { value.labels[$0] })
        }
        if name == "where", arguments.count == 3 {
            // a where c is not 0, else b; the three broadcast together.
            let sizes = arguments.dropFirst().reduce(arguments[0].tensor.sizes) { Tensor.broadcastSizes($0, $1.tensor.sizes) }
            let (c, a, b) = (arguments[0].tensor.broadcast(to: sizes), arguments[1].tensor.broadcast(to: sizes), arguments[2].tensor.broadcast(to: sizes))
            let labels = try elementwise(try elementwise(arguments[0], arguments[1], +), arguments[2], +).labels
            return Value(Tensor(sizes: sizes, scalars: c.scalars.indices.map { c.scalars[$0] != 0 ? a.scalars[$0] : b.scalars[$0] }), labels: labels)
        }
        if name == "max" || name == "min", arguments.count == 2 {
            return try binary(arguments[0], arguments[1], name)
        }
        if let op = [Normalizer.softmax, .logSoftmax].first(where: { $0.name == name }), arguments.count == 1 {
            let rank = arguments[0].tensor.rank
            let axis = options["axis"].map { Int($0) } ?? rank - 1
            guard rank > 0, (0..<rank).contains(axis) else { throw fail("\(name) of rank \(rank) along axis \(axis)") }
            return Value(Op.normalizer(op, axis: axis).evaluate([arguments[0].tensor], dims: [:]), labels: arguments[0].labels)
        }
        let losses: [Loss] = [.mse, .sse, .crossEntropy, .softmaxCrossEntropy, .binaryCrossEntropy, .sigmoidBinaryCrossEntropy]
        if arguments.count == 2, let op = name == "huber" ? .huber(delta: options["delta"] ?? 1) : losses.first(where: { $0.name == name }) {
            guard arguments[0].tensor.sizes == arguments[1].tensor.sizes else { throw fail("\(name) of different sizes") }
            return Value(Op.loss(op).evaluate([arguments[0].tensor, arguments[1].tensor], dims: [:]), labels: [])
        }
        throw fail("unknown function '\(name)' of \(arguments.count) arguments")
    }

    /// The selection calls: `take`, `pick`, `one_hot`, `concat`, `scatter_add`, `unslice`; nil for
    /// another name.
    private func selection(
        _ name: String, _ arguments: [Value], _ options: [String: Double], list: [Value], sliceItems: String?,
        shape: [(size: Int, label: String?)]?
    ) throws(Failure) -> Value? {
        let axis = options["axis"].map { Int($0) }
        /// A computed value: no axis keeps a dim's label.
        func unlabelled(_ tensor: Tensor) -> Value { Value(tensor, labels: tensor.sizes.map { _ in nil }) }
        switch name {
        case "take" where arguments.count == 2:
            let k = axis ?? 0
            return unlabelled(Op.indexing(.take(axis: k)).evaluate([arguments[0].tensor, arguments[1].tensor], dims: [:]))
        case "pick" where arguments.count == 2:
            let k = axis ?? arguments[0].tensor.rank - 1
            return unlabelled(Op.indexing(.pick(axis: k)).evaluate([arguments[0].tensor, arguments[1].tensor], dims: [:]))
        case "one_hot" where arguments.count == 2:
            let k = axis ?? arguments[0].tensor.rank
            let size = Int(arguments[1].tensor.scalar)
            return unlabelled(Op.indexing(.oneHot(.fixed(size), axis: k)).evaluate([arguments[0].tensor], dims: [:]))
        case "scatter_add" where arguments.count == 3:
            let tensors = arguments.map(\.tensor)
            return unlabelled(Op.indexing(.scatterAdd(axis: axis ?? 0)).evaluate(tensors, dims: [:]))
        case "concat" where !list.isEmpty:
            let k = axis ?? 0
            let tensors = list.map(\.tensor)
            guard tensors.allSatisfy({ $0.rank == tensors[0].rank }), k < tensors[0].rank else { throw fail("concat of \(tensors.map(\.sizes))") }
            return unlabelled(Op.indexing(.concat(axis: k, count: tensors.count)).evaluate(tensors, dims: [:]))
        case "unslice" where arguments.count == 1:
            guard let shape, let sliceItems else { throw fail("unslice needs its items and shape") }
            let sizes = shape.map(\.size)
            // The items index a tensor of `sizes`: slice an index tensor to find where each element goes.
            var positions = FormulaReader(names: ["p": Value(Tensor(sizes: sizes, scalars: (0..<sizes.reduce(1, *)).map(Double.init)), labels: sizes.map { _ in nil })])
            let taken = try positions.evaluate("p" + sliceItems)
            guard taken.tensor.count == arguments[0].tensor.count else { throw fail("unslice of \(arguments[0].tensor.sizes) into \(sliceItems)") }
            var result = [Double](repeating: 0, count: sizes.reduce(1, *))
            for (element, target) in taken.tensor.scalars.enumerated() { result[Int(target)] += arguments[0].tensor.scalars[element] }
            return Value(Tensor(sizes: sizes, scalars: result), labels: shape.map(\.label))
        default: return nil
        }
    }

    /// `[batch, 3]` after its `[`: each size, a number or a dim's name, with the dim's name.
    private mutating func shapeList() throws(Failure) -> [(size: Int, label: String?)] {
        var dims: [(size: Int, label: String?)] = []
        skipSpaces()
        if take("]") { return [] }
        repeat {
            skipSpaces()
            if position < scalars.count, isDigit(scalars[position]) {
                dims.append((Int(try number()), nil))
            } else {
                let name = identifier()
                guard let size = names[name], size.tensor.rank == 0 else { throw fail("unknown dim '\(name)'") }
                dims.append((Int(size.tensor.scalar), name))
            }
            skipSpaces()
        } while take(",")
        guard take("]") else { throw fail("expected ']'") }
        return dims
    }

    // MARK: - Arithmetic

    /// Juxtaposition: a scalar times anything, else the matrix product (NumPy's `matmul`: the
    /// last two axes multiply, leading axes broadcast).
    private func product(_ a: Value, _ b: Value) throws(Failure) -> Value {
        if a.tensor.rank == 0 || b.tensor.rank == 0 { return try binary(a, b, "⊙") }
        func shape(_ value: Value) -> Shape { Shape(value.tensor.sizes.map(Dim.fixed)) }
        guard case .success(let result) = Op.linearAlgebra(.matmul).resultShape([shape(a), shape(b)]) else {
            throw fail("matrix product of sizes \(a.tensor.sizes) and \(b.tensor.sizes)")
        }
        // Batch axes labelled by whichever operand has a label there (aligned at the right).
        let batchRank = result.rank - (a.tensor.rank >= 2 ? 1 : 0) - (b.tensor.rank >= 2 ? 1 : 0)
        func batchLabel(_ value: Value, _ axis: Int) -> String? {
            let own = axis - (batchRank - max(value.tensor.rank - 2, 0))
            return own >= 0 && value.tensor.rank > 2 ? value.labels[own] : nil
        }
        let batch = (0..<batchRank).map { batchLabel(a, $0) ?? batchLabel(b, $0) }
        let labels = batch + (a.tensor.rank >= 2 ? [a.labels[a.tensor.rank - 2]] : []) + (b.tensor.rank >= 2 ? [b.labels[b.tensor.rank - 1]] : [])
        return Value(Op.linearAlgebra(.matmul).evaluate([a.tensor, b.tensor], dims: [:]), labels: labels)
    }

    private func binary(_ a: Value, _ b: Value, _ operator: String) throws(Failure) -> Value {
        switch `operator` {
        case "+": return try elementwise(a, b, +)
        case "−": return try elementwise(a, b, -)
        case "⊙" where a.isIndicator: return try elementwise(a, b) { x, y in x == 0 ? 0 : x * y }
        case "⊙" where b.isIndicator: return try elementwise(a, b) { x, y in y == 0 ? 0 : x * y }
        case "⊙": return try elementwise(a, b, *)
        case "/": return try elementwise(a, b, /)
        case "^": return try elementwise(a, b, Arithmetic.power.apply)
        case "max": return try elementwise(a, b, Arithmetic.maximum.apply)
        default: return try elementwise(a, b, Arithmetic.minimum.apply)
        }
    }

    /// NumPy broadcasting; each axis keeps the label of the operand that is not stretched.
    private func elementwise(_ a: Value, _ b: Value, _ f: (Double, Double) -> Double) throws(Failure) -> Value {
        let rank = max(a.tensor.rank, b.tensor.rank)
        var labels: [String?] = []
        for axis in 0..<rank {
            let (i, j) = (axis - (rank - a.tensor.rank), axis - (rank - b.tensor.rank))
            let x = i >= 0 ? a.tensor.sizes[i] : 1
            let y = j >= 0 ? b.tensor.sizes[j] : 1
            guard x == y || x == 1 || y == 1 else { throw fail("sizes \(a.tensor.sizes) and \(b.tensor.sizes) do not broadcast") }
            // An axis keeps a dim name either operand gives it (`(1 / batch) one_hot(labels, 4)
            // + exp(logits)`: one_hot's axes are unnamed, logits' first is `batch`).
            let fromA = x != 1 && i >= 0 ? a.labels[i] : nil
            let fromB = y != 1 && j >= 0 ? b.labels[j] : nil
            labels.append(fromA ?? fromB ?? (i >= 0 ? a.labels[i] : nil) ?? (j >= 0 ? b.labels[j] : nil))
        }
        return Value(Tensor.zip(a.tensor, b.tensor, f), labels: labels)
    }

    // MARK: - Scanning

    private func fail(_ message: String) -> Failure {
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars)
        return Failure(description: "\(message) at \(position) in '\(text)'")
    }

    private func peek(_ scalar: Unicode.Scalar, offset: Int = 0) -> Bool {
        position + offset < scalars.count && scalars[position + offset] == scalar
    }

    private mutating func take(_ scalar: Unicode.Scalar) -> Bool {
        guard peek(scalar) else { return false }
        position += 1
        return true
    }

    private func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }

    private mutating func skipSpaces() {
        while peek(" ") { position += 1 }
    }

    /// A name: letters, digits, `_` and subscript digits (`W1`, `m_W1`, `δ₁`).
    private mutating func identifier() -> String {
        var word = ""
        while position < scalars.count {
            let scalar = scalars[position]
            let isSubscript = (0x2080...0x2089).contains(scalar.value)
            guard scalar.properties.isAlphabetic || scalar == "_" || isSubscript || (!word.isEmpty && isDigit(scalar)),
                scalar != "Σ", scalar != "ᵀ", scalar != "𝟙"
            else { break }
            word.unicodeScalars.append(scalar)
            position += 1
        }
        return word
    }

    /// `12`, `0.5`, `−3`, `1e−08`, `1.5e+20`.
    private mutating func number() throws(Failure) -> Double {
        var text = ""
        if take("−") { text = "-" }
        while position < scalars.count {
            let scalar = scalars[position]
            if isDigit(scalar) || scalar == "." {
                text.unicodeScalars.append(scalar)
            } else if scalar == "e", position + 1 < scalars.count, ["−", "+"].contains(scalars[position + 1]) || isDigit(scalars[position + 1]) {
                text += "e"
                position += 1
                if take("−") || take("+") { text += scalars[position - 1] == "−" ? "-" : "+" }
                text.unicodeScalars.append(scalars[position])
            } else {
                break
            }
            position += 1
        }
        guard let value = Double(text) else { throw fail("bad number '\(text)'") }
        return value
    }
}
