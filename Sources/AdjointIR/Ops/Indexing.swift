/// Selection by position (language version 2): basic indexing and slicing (`x[:, 0:4]`,
/// `h[..., -1]`), gathers by integer ids (`E[tokens]`, `take`) and the scatter-add that is their
/// derivative, `pick` (one element per row), `one_hot`, and `concat`.
///
/// Slices are views through an index map (`IndexMap.strided`), and their derivative adds back
/// through the same map (`unslice`). A gather reads the operand at an index that an integer tensor
/// supplies, so its map depends on data: it has its own lowering, a row copy, and its derivative is
/// `scatterAdd` (repeated ids accumulate).
public enum Indexing: Hashable, Sendable {
    /// Basic indexing, one entry per operand axis: an index (the axis is removed) or a strided
    /// range.
    case slice([AxisSlice])
    /// The adjoint of `slice`: a tensor of `Shape` (the sliced operand's), zero except where the
    /// slice reads, which holds the operand's elements.
    case unslice([AxisSlice], Shape)
    /// `take(a, ids, axis = k)` (and `E[ids]`, axis 0): operands `[a, ids]`; the result is
    /// `a.shape[..<k] + ids.shape + a.shape[(k+1)...]`.
    case take(axis: Int)
    /// Operands `[base, updates, ids]`: `base` with each slice of `updates` added at its id along
    /// `axis`; `updates` has the shape `take(base, ids, axis)` has. The derivative of `take`.
    case scatterAdd(axis: Int)
    /// `pick(a, ids, axis = k)`: operands `[a, ids]`, `ids` of `a`'s shape without axis `k`; each
    /// position's element at its id along the axis.
    case pick(axis: Int)
    /// `one_hot(ids, n)`: a new axis of size `n` at `axis` of the result, 1 at each id, else 0.
    case oneHot(Dim, axis: Int)
    /// `concat([a, b, ...], axis = k)` of `count` operands that agree off axis `k`.
    case concat(axis: Int, count: Int)

    /// The spelling in the IR's text form.
    public var name: String {
        switch self {
        case .slice: return "slice"
        case .unslice: return "unslice"
        case .take: return "take"
        case .scatterAdd: return "scatter_add"
        case .pick: return "pick"
        case .oneHot: return "one_hot"
        case .concat: return "concat"
        }
    }

    var arity: Int {
        switch self {
        case .slice, .unslice, .oneHot: return 1
        case .take, .pick: return 2
        case .scatterAdd: return 3
        case .concat(_, let count): return count
        }
    }

    /// Which operand holds integer ids (none for slices and concatenation).
    public var idsOperand: Int? {
        switch self {
        case .take, .pick: return 1
        case .scatterAdd: return 2
        case .oneHot: return 0
        case .slice, .unslice, .concat: return nil
        }
    }

    /// The axis of the operand that ids select along, and how many ids are valid there.
    public func idBound(_ operands: [Shape]) -> (axis: Int, size: Dim)? {
        switch self {
        case .take(let axis), .pick(let axis): return (axis, operands[0].dims[axis])
        case .scatterAdd(let axis): return (axis, operands[0].dims[axis])
        case .oneHot(let size, let axis): return (axis, size)
        case .slice, .unslice, .concat: return nil
        }
    }
}

/// One axis of basic indexing: a single index (`count` nil, the axis is removed) or the range
/// `start, start + step, ...` of `count` elements.
public struct AxisSlice: Hashable, Sendable, CustomStringConvertible {
    /// The first index read; with `fromEnd` counted from the axis's end (`-1` is the last).
    public var start: Int
    /// Whether `start` counts from the end: only on an axis of runtime size, where the end is not
    /// known at compile time (on a fixed axis the front end counts it from the start).
    public var fromEnd: Bool
    public var step: Int
    /// How many elements the range reads, or nil for a single index.
    public var count: Dim?

    public init(start: Int, fromEnd: Bool = false, step: Int = 1, count: Dim?) {
        self.start = start
        self.fromEnd = fromEnd
        self.step = step
        self.count = count
    }

    /// `x[i]` (counted from the end when `fromEnd`).
    public static func index(_ start: Int, fromEnd: Bool = false) -> AxisSlice {
        AxisSlice(start: start, fromEnd: fromEnd, count: nil)
    }

    /// `:` on an axis of size `size`.
    public static func all(_ size: Dim) -> AxisSlice { AxisSlice(start: 0, count: size) }

    /// `5`, `end-1`, `0:2:3` (start, step, count), `0:1:batch`: the IR's text form.
    public var description: String {
        let first = fromEnd ? "end\(start)" : "\(start)"
        guard let count else { return first }
        return "\(first):\(step):\(count)"
    }

    /// Reads `description` back.
    static func parse(_ text: Substring) -> AxisSlice? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        let fromEnd = parts[0].hasPrefix("end")
        guard let start = Int(fromEnd ? parts[0].dropFirst(3) : parts[0]) else { return nil }
        if parts.count == 1 { return .index(start, fromEnd: fromEnd) }
        guard parts.count == 3, let step = Int(parts[1]), let count = Dim.parse(parts[2]) else { return nil }
        return AxisSlice(start: start, fromEnd: fromEnd, step: step, count: count)
    }

    /// Whether the slice stays inside an axis of size `size`, as far as the compiler can know: on
    /// a fixed axis every index read is checked; on an axis of runtime size only what is valid for
    /// any size at least 1 is accepted (the whole axis, its first or its last element).
    public func fits(_ size: Dim) -> Bool {
        guard step >= 1 else { return false }
        switch size {
        case .fixed(let n):
            guard !fromEnd, start >= 0, start < n else { return false }
            guard let count else { return true }
            guard case .fixed(let c) = count, c >= 1 else { return false }
            return start + step * (c - 1) < n
        case .runtime:
            guard let count else { return (start == 0 && !fromEnd) || (start == -1 && fromEnd) }
            return count == size && start == 0 && !fromEnd && step == 1
        }
    }

    /// The operand index this slice reads for the result index `i` (0 for a single index), given
    /// the operand axis's size.
    public func operandIndex(_ i: Int, size: Int) -> Int {
        (fromEnd ? size + start : start) + (count == nil ? 0 : step * i)
    }
}

extension Dim {
    /// `64` or `batch`.
    static func parse(_ text: Substring) -> Dim? {
        if let size = Int(text) { return .fixed(size) }
        guard let first = text.first, first.isLetter || first == "_" else { return nil }
        return .runtime(String(text))
    }
}

// MARK: - Surface spelling
extension Indexing {
    /// `take(a, ids, axis = 0)`, `pick(a, ids, axis = -1)`, `one_hot(ids, n)`, `concat([a, b],
    /// axis = 0)` and `stack([a, b], axis = 0)` (each operand gets a new axis, then `concat`).
    /// `E[ids]` is `take` on axis 0; `x[1:4]` is `slice`.
    static var builtins: [ShapeBuiltin] {
        [
            ShapeBuiltin("take", [.init("a", .tensor), .init("ids", .ids), .axis("axis", default: 0)]),
            ShapeBuiltin("pick", [.init("a", .tensor), .init("ids", .ids), .axis("axis", default: -1)]),
            ShapeBuiltin("one_hot", [.init("ids", .ids), .init("n", .size)]),
            ShapeBuiltin("concat", [.init("tensors", .tensors), .axis("axis", default: 0)]),
            ShapeBuiltin("stack", [.init("tensors", .tensors), .axis("axis", default: 0)]),
        ]
    }
}

// MARK: - Shape rule and element type
extension Indexing {
    func resultShape(_ operands: [Shape]) -> Result<Shape, ShapeError> {
        switch self {
        case .slice(let slices):
            let a = operands[0]
            guard slices.count == a.rank else { return .failure(.rank(operand: 0, needs: "rank \(slices.count)", got: a)) }
            for (axis, slice) in slices.enumerated() where !slice.fits(a.dims[axis]) {
                return .failure(.index(axis: axis, slice.description, size: a.dims[axis]))
            }
            return .success(Shape(slices.compactMap(\.count)))
        case .unslice(let slices, let target):
            switch Indexing.slice(slices).resultShape([target]) {
            case .success(let sliced) where sliced == operands[0]: return .success(target)
            case .success(let sliced): return .failure(.shapesDiffer(operands[0], sliced))
            case .failure(let error): return .failure(error)
            }
        case .take(let axis):
            let (a, ids) = (operands[0], operands[1])
            guard axis >= 0, axis < a.rank else { return .failure(.axis(axis, rank: a.rank)) }
            return .success(Self.taken(a, ids, axis))
        case .scatterAdd(let axis):
            let (base, updates, ids) = (operands[0], operands[1], operands[2])
            guard axis >= 0, axis < base.rank else { return .failure(.axis(axis, rank: base.rank)) }
            let expected = Self.taken(base, ids, axis)
            return updates == expected ? .success(base) : .failure(.shapesDiffer(updates, expected))
        case .pick(let axis):
            let (a, ids) = (operands[0], operands[1])
            guard axis >= 0, axis < a.rank else { return .failure(.axis(axis, rank: a.rank)) }
            let expected = a.removing(axis: axis)
            return ids == expected ? .success(ids) : .failure(.shapesDiffer(ids, expected))
        case .oneHot(let size, let axis):
            let ids = operands[0]
            guard axis >= 0, axis <= ids.rank else { return .failure(.axis(axis, rank: ids.rank + 1)) }
            var dims = ids.dims
            dims.insert(size, at: axis)
            return .success(Shape(dims))
        case .concat(let axis, _):
            let first = operands[0]
            guard axis >= 0, axis < first.rank else { return .failure(.axis(axis, rank: first.rank)) }
            var total = 0
            for (index, shape) in operands.enumerated() {
                guard shape.rank == first.rank,
                    shape.dims.indices.allSatisfy({ $0 == axis || shape.dims[$0] == first.dims[$0] })
                else { return .failure(.shapesDiffer(first, shape)) }
                guard case .fixed(let size) = shape.dims[axis] else {
                    return .failure(.rank(operand: index, needs: "a fixed size on the joined axis", got: shape))
                }
                total += size
            }
            var dims = first.dims
            dims[axis] = .fixed(total)
            return .success(Shape(dims))
        }
    }

    /// What `take(a, ids, axis)` gives: `ids`'s axes in place of `axis`.
    static func taken(_ a: Shape, _ ids: Shape, _ axis: Int) -> Shape {
        Shape(Array(a.dims[..<axis]) + ids.dims + Array(a.dims[(axis + 1)...]))
    }

    func resultElement(_ operands: [ElementType]) -> ElementType {
        switch self {
        case .slice, .take, .pick: return operands[0]
        case .concat: return operands.allSatisfy { $0 == .int } ? .int : .real
        case .unslice, .scatterAdd, .oneHot: return .real
        }
    }
}

// MARK: - Reference evaluation
extension Indexing {
    /// An id as an index along an axis of `size`, or nil when it is not an integer in `0..<size`
    /// (the interpreter reports those before evaluating; here they read NaN and add nothing).
    static func index(_ id: Double, size: Int) -> Int? {
        guard id >= 0, id < Double(size), id == id.rounded(.down) else { return nil }
        return Int(id)
    }

    func evaluate(_ operands: [Tensor], dims: [String: Int]) -> Tensor {
        switch self {
        case .slice(let slices):
            let a = operands[0]
            let sizes = slices.compactMap { $0.count.map { concreteSize($0, dims) } }
            return a.gather(.strided(Self.strided(slices)), sizes: sizes)
        case .unslice(let slices, let target):
            return operands[0].scatterAdd(.strided(Self.strided(slices)), sizes: target.sizes(dims))
        case .take(let axis):
            let (a, ids) = (operands[0], operands[1])
            let (outer, size, inner) = Self.split(a.sizes, axis)
            var result: [Double] = []
            result.reserveCapacity(outer * ids.count * inner)
            for o in 0..<outer {
                for id in ids.scalars {
                    guard let row = Self.index(id, size: size) else {
                        result.append(contentsOf: repeatElement(.nan, count: inner))
                        continue
                    }
                    let start = (o * size + row) * inner
                    result.append(contentsOf: a.scalars[start..<start + inner])
                }
            }
            return Tensor(sizes: Array(a.sizes[..<axis]) + ids.sizes + Array(a.sizes[(axis + 1)...]), scalars: result)
        case .scatterAdd(let axis):
            let (base, updates, ids) = (operands[0], operands[1], operands[2])
            let (outer, size, inner) = Self.split(base.sizes, axis)
            var result = base.scalars
            var position = 0
            for o in 0..<outer {
                for id in ids.scalars {
                    if let row = Self.index(id, size: size) {
                        let start = (o * size + row) * inner
                        for j in 0..<inner { result[start + j] += updates.scalars[position + j] }
                    }
                    position += inner
                }
            }
            return Tensor(sizes: base.sizes, scalars: result)
        case .pick(let axis):
            let (a, ids) = (operands[0], operands[1])
            let (outer, size, inner) = Self.split(a.sizes, axis)
            var result = [Double](repeating: 0, count: ids.count)
            for o in 0..<outer {
                for i in 0..<inner {
                    let position = o * inner + i
                    result[position] = Self.index(ids.scalars[position], size: size).map { a.scalars[(o * size + $0) * inner + i] } ?? .nan
                }
            }
            return Tensor(sizes: ids.sizes, scalars: result)
        case .oneHot(let dim, let axis):
            let ids = operands[0]
            let size = concreteSize(dim, dims)
            let (outer, inner) = (ids.sizes[..<axis].reduce(1, *), ids.sizes[axis...].reduce(1, *))
            var result = [Double](repeating: 0, count: ids.count * size)
            for o in 0..<outer {
                for i in 0..<inner {
                    let id = ids.scalars[o * inner + i]
                    guard let hot = Self.index(id, size: size) else {
                        for k in 0..<size { result[(o * size + k) * inner + i] = .nan }
                        continue
                    }
                    result[(o * size + hot) * inner + i] = 1
                }
            }
            var sizes = ids.sizes
            sizes.insert(size, at: axis)
            return Tensor(sizes: sizes, scalars: result)
        case .concat(let axis, _):
            var sizes = operands[0].sizes
            sizes[axis] = operands.map { $0.sizes[axis] }.reduce(0, +)
            let (outer, _, _) = Self.split(sizes, axis)
            var result: [Double] = []
            result.reserveCapacity(sizes.reduce(1, *))
            for o in 0..<outer {
                for operand in operands {
                    let block = operand.count / max(outer, 1)
                    result.append(contentsOf: operand.scalars[o * block..<(o + 1) * block])
                }
            }
            return Tensor(sizes: sizes, scalars: result)
        }
    }

    /// The number of elements before `axis`, its size, and the number after it.
    static func split(_ sizes: [Int], _ axis: Int) -> (outer: Int, size: Int, inner: Int) {
        (sizes[..<axis].reduce(1, *), sizes[axis], sizes[(axis + 1)...].reduce(1, *))
    }

    /// A slice's index map: each operand axis reads its range (or its single index) of the result
    /// axis it keeps.
    static func strided(_ slices: [AxisSlice]) -> [StridedAxis] {
        var next = 0
        return slices.map { slice in
            defer { if slice.count != nil { next += 1 } }
            return StridedAxis(resultAxis: slice.count == nil ? nil : next, slice: slice)
        }
    }
}

// MARK: - Derivative rules
extension Indexing {
    func vjp(_ g: inout Graph, operands: [NodeID], index: Int, cotangent c: NodeID) -> NodeID? {
        switch self {
        case .slice(let slices):
            return g.add(.indexing(.unslice(slices, g[operands[0]].shape)), [c])  // the slice's elements back in place
        case .unslice(let slices, _):
            return g.add(.indexing(.slice(slices)), [c])
        case .take(let axis):
            guard index == 0 else { return nil }  // ids are integers
            let zeros = g.broadcast(g.constant(0), to: g[operands[0]].shape)
            return g.add(.indexing(.scatterAdd(axis: axis)), [zeros, c, operands[1]])  // repeated ids accumulate
        case .scatterAdd(let axis):
            switch index {
            case 0: return c
            case 1: return g.add(.indexing(.take(axis: axis)), [c, operands[2]])
            default: return nil
            }
        case .pick(let axis):
            guard index == 0 else { return nil }
            let shape = g[operands[0]].shape
            let hot = g.add(.indexing(.oneHot(shape.dims[axis], axis: axis)), [operands[1]])
            var dims = shape.dims
            dims[axis] = .fixed(1)
            return g.times(g.broadcast(g.reshape(c, to: Shape(dims)), to: shape), hot)  // the cotangent at the picked position
        case .oneHot: return nil
        case .concat(let axis, _):
            let shapes = operands.map { g[$0].shape }
            let start = shapes[..<index].reduce(0) { total, shape in
                guard case .fixed(let size) = shape.dims[axis] else { return total }
                return total + size
            }
            let slices = g[c].shape.dims.indices.map { position in
                position == axis ? AxisSlice(start: start, count: shapes[index].dims[axis]) : AxisSlice.all(g[c].shape.dims[position])
            }
            return g.add(.indexing(.slice(slices)), [c])  // each operand's part of the cotangent
        }
    }
}

// MARK: - Lowering, cost and index map
extension Indexing {
    var lowering: LoweringStrategy {
        switch self {
        case .slice: return .view
        case .unslice: return .scatter
        case .take(let axis): return .gather(.take(axis: axis))
        case .pick(let axis): return .gather(.pick(axis: axis))
        case .oneHot(_, let axis): return .gather(.oneHot(axis: axis))
        case .scatterAdd(let axis): return .scatterAdd(axis: axis)
        case .concat(let axis, _): return .concat(axis: axis)
        }
    }

    func flops(_ operands: [Shape]) -> FlopRule? {
        switch self {
        case .scatterAdd: return FlopRule(over: operands[1], perElement: 1)
        case .slice, .unslice, .take, .pick, .oneHot, .concat: return nil
        }
    }

    /// A slice's index map (and `unslice`'s, which writes through it); nil for ops that read by id.
    var indexMap: IndexMap? {
        switch self {
        case .slice(let slices), .unslice(let slices, _): return .strided(Self.strided(slices))
        case .take, .scatterAdd, .pick, .oneHot, .concat: return nil
        }
    }
}

// MARK: - Notation
/// How a selection is written, in the model language or a textbook's notation: the printers
/// (loop-nest comments and closed forms) fill in the operands' own formulas.
public enum SelectionNotation: Hashable, Sendable {
    /// One piece of a written selection.
    public enum Piece: Hashable, Sendable {
        /// The formula of operand `k`.
        case operand(Int)
        /// Operands `k...` as a list: `[a, b]`.
        case operands([Int])
        /// Text as it is: `1:4`, `axis = 1`, `5`.
        case text(String)
    }

    /// `a[items]`: operand 0 indexed (`x[:, 0:4]`, `E[tokens]`).
    case subscripted([Piece])
    /// `name(arguments)`: `take(a, ids, axis = 1)`, `concat([a, b], axis = 0)`.
    case call(String, [Piece])
    /// `Σ_{i: ids_i = r < rows} u[i]`, after `base +` when there is a base: the rows of `u` (one
    /// per id) added into the rows the ids name.
    case scatterRows(base: Int?, updates: Int, ids: Int, rows: String)
}

extension Indexing {
    /// The op as written, for operands of these shapes: `math` for a textbook's notation (the
    /// adjoint of a gather as a sum over the ids), else the model language's; `minus` is the
    /// sign negative indices take; `baseIsZero` whether a scatter's base is zeros.
    public func notation(_ operands: [Shape], math: Bool, minus: String, baseIsZero: Bool) -> SelectionNotation {
        func items(_ slices: [AxisSlice], _ shape: Shape) -> [SelectionNotation.Piece] {
            zip(slices, shape.dims).map { .text($0.item(on: $1, minus: minus)) }
        }
        func axis(_ axis: Int, default fallback: Int) -> [SelectionNotation.Piece] {
            axis == fallback ? [] : [.text("axis = \(axis)")]
        }
        switch self {
        case .slice(let slices): return .subscripted(items(slices, operands[0]))
        case .unslice(let slices, let target):
            let written: SelectionNotation.Piece = .text("[" + zip(slices, target.dims).map { $0.item(on: $1, minus: minus) }.joined(separator: ", ") + "]")
            return .call("unslice", [.operand(0), written] + (math ? [.text(target.description)] : []))
        case .take(0): return .subscripted([.operand(1)])
        case .take(let k): return .call("take", [.operand(0), .operand(1)] + axis(k, default: 0))
        case .pick(let k): return .call("pick", [.operand(0), .operand(1)] + axis(k, default: operands[0].rank - 1))
        case .oneHot(let size, let k): return .call("one_hot", [.operand(0), .text(size.description)] + axis(k, default: operands[0].rank))
        case .concat(let k, let count): return .call("concat", [.operands(Array(0..<count)), .text("axis = \(k)")])
        case .scatterAdd(let k):
            guard math, k == 0 else { return .call("scatter_add", [.operand(0), .operand(1), .operand(2)] + axis(k, default: 0)) }
            return .scatterRows(base: baseIsZero ? nil : 0, updates: 1, ids: 2, rows: operands[0].dims[0].description)
        }
    }
}

extension Op {
    /// Whether the op is of the indexing family (whose notation needs its attributes' shapes).
    public var isIndexing: Bool {
        if case .indexing = self { return true }
        return false
    }
}

extension Indexing {
    var mathNotation: MathNotation {
        switch self {
        case .slice, .take, .pick: return .subscripted
        case .unslice, .scatterAdd: return .scatter
        case .oneHot, .concat: return .call
        }
    }
}

// MARK: - Index items as the model language writes them
extension AxisSlice {
    /// The item as written in `x[...]` on an axis of `size`: `2`, `-1`, `:`, `1:4`, `::2`,
    /// `0:7:2`; `minus` is the minus sign to use (`−` in formulas).
    public func item(on size: Dim, minus: String = "-") -> String {
        func number(_ value: Int) -> String { value < 0 ? minus + String(-value) : String(value) }
        guard let count else { return number(start) }
        if count == size && start == 0 && step == 1 { return ":" }
        guard case .fixed(let n) = count else { return ":" }
        let stop = start + step * (n - 1) + 1
        let end: String
        if case .fixed(let total) = size, stop >= total { end = "" } else { end = String(stop) }
        let first = start == 0 ? "" : String(start)
        return step == 1 ? "\(first):\(end)" : "\(first):\(end):\(step)"
    }
}

// MARK: - Text form
extension Indexing {
    /// The attributes in the IR's text form, one word: `[0:1:3,end-1]`, `axis=0`, `n=10,axis=1`.
    var irAttributes: String {
        switch self {
        case .slice(let slices): return "[" + slices.map(\.description).joined(separator: ",") + "]"
        case .unslice(let slices, let shape):
            return "[" + slices.map(\.description).joined(separator: ",") + "]" + "->[" + shape.dims.map(\.description).joined(separator: ",") + "]"
        case .take(let axis), .scatterAdd(let axis), .pick(let axis): return "axis=\(axis)"
        case .oneHot(let size, let axis): return "n=\(size),axis=\(axis)"
        case .concat(let axis, let count): return "axis=\(axis),count=\(count)"
        }
    }

    /// Reads the op `name` with attributes `text` (as `irAttributes` writes them) back.
    static func parse(_ name: String, _ text: String) -> Indexing? {
        func slices(_ text: Substring) -> [AxisSlice]? {
            guard text.hasPrefix("["), text.hasSuffix("]") else { return nil }
            let inner = text.dropFirst().dropLast()
            if inner.isEmpty { return [] }
            let parsed = inner.split(separator: ",").map(AxisSlice.parse)
            return parsed.contains { $0 == nil } ? nil : parsed.map { $0! }
        }
        func fields(_ text: String) -> [String: Substring] {
            Dictionary(text.split(separator: ",").compactMap { field in
                let parts = field.split(separator: "=", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), parts[1]) : nil
            }, uniquingKeysWith: { first, _ in first })
        }
        let values = fields(text)
        let axis = values["axis"].flatMap { Int($0) }
        switch name {
        case "slice": return slices(Substring(text)).map { .slice($0) }
        case "unslice":
            let parts = text.components(separatedBy: "->")
            guard parts.count == 2, let read = slices(Substring(parts[0])), parts[1].hasPrefix("["), parts[1].hasSuffix("]") else { return nil }
            let dims = parts[1].dropFirst().dropLast().split(separator: ",").map(Dim.parse)
            guard !dims.contains(where: { $0 == nil }) else { return nil }
            return .unslice(read, Shape(dims.map { $0! }))
        case "take": return axis.map { .take(axis: $0) }
        case "scatter_add": return axis.map { .scatterAdd(axis: $0) }
        case "pick": return axis.map { .pick(axis: $0) }
        case "one_hot":
            guard let axis, let size = values["n"].flatMap(Dim.parse) else { return nil }
            return .oneHot(size, axis: axis)
        case "concat":
            guard let axis, let count = values["count"].flatMap({ Int($0) }), count >= 1 else { return nil }
            return .concat(axis: axis, count: count)
        default: return nil
        }
    }

    /// Every mnemonic of the family.
    static let names = ["slice", "unslice", "take", "scatter_add", "pick", "one_hot", "concat"]
}
