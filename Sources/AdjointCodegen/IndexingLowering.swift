import AdjointIR

/// The lowering of the indexing family (language version 2) and of integer values:
///
/// - An `int` value (an `int` input, a view of one, a `concat` of them, a gather from one) is an
///   integer expression (`IntExpr`), never a buffer: ids index as they are, and arithmetic reads
///   them converted to `real` (`ScalarExpr.integer`).
/// - `take` is computed where it is read (`out[t, j] = E[ids[t], j]`, the reader's inner loop
///   contiguous over `j`); `pick` reads one element per position, `one_hot` compares the index
///   with the id; slices are views through their strided map.
/// - `scatter_add` has its own nest: the base copied into the result (skipped when the result is
///   stored in place over the base), then a serial loop over the updates adding each slice at its
///   id, so repeated ids add in a fixed order. `unslice` zeroes, then stores through the slice's
///   map; `concat` copies each operand into its part.
/// - Every kernel that reads by id first checks every id it will use (`idChecks`).
extension KernelLowering {
    // MARK: - Integer values

    /// The element of an `int` node at `index`, as an integer expression.
    mutating func intValue(_ id: NodeID, _ index: [IntExpr]) -> IntExpr {
        let node = graph[id]
        switch node.op {
        case .reduction where placement[id] != nil:
            // `argmax`, computed by its own nest: positions stored as reals.
            return .element(placement[id]!, flatIndex(index, node.shape))
        case .leaf(.intInput(let name, let shape)):
            return .element(.input(name), flatIndex(index, shape))
        case .indexing(.concat(let axis, _)):
            // The operand whose part holds the index: `i < 3 ? a[i] : b[i - 3]`.
            var parts: [(start: Int, operand: NodeID)] = []
            var start = 0
            for operand in node.operands {
                parts.append((start, operand))
                if case .fixed(let size) = graph[operand].shape.dims[axis] { start += size }
            }
            var result: IntExpr?
            for (position, part) in parts.enumerated().reversed() {
                var inner = index
                inner[axis] = index[axis] + .constant(-part.start)
                let value = intValue(part.operand, inner)
                if let later = result, position < parts.count - 1 {
                    result = .select(.less, index[axis], .constant(parts[position + 1].start), value, later)
                } else {
                    result = value
                }
            }
            return result!
        case .indexing(.take(let axis)), .indexing(.pick(let axis)):
            let (table, operandIndex) = gatheredIndex(id, axis: axis, index)
            return intValue(table, operandIndex)
        case _ where node.op.lowering == .view:
            let operand = node.operands[0]
            let map = node.op.indexMap(from: graph[operand].shape, to: node.shape)!
            return intValue(operand, operandIndex(index, map, to: node.shape, from: graph[operand].shape))
        default:
            preconditionFailure("internal error: \(node.op) gives no integer value")
        }
    }

    /// The table a `take` or `pick` reads and the index it reads at for the result's `index`:
    /// the id in place of the ids' axes (`take`) or inserted at `axis` (`pick`).
    mutating func gatheredIndex(_ id: NodeID, axis: Int, _ index: [IntExpr]) -> (NodeID, [IntExpr]) {
        let node = graph[id]
        let (table, ids) = (node.operands[0], node.operands[1])
        guard case .indexing(.take) = node.op else {
            let position = intValue(ids, index)
            return (table, Array(index[..<axis]) + [position] + Array(index[axis...]))
        }
        let rank = graph[ids].shape.rank
        let position = intValue(ids, Array(index[axis..<(axis + rank)]))
        return (table, Array(index[..<axis]) + [position] + Array(index[(axis + rank)...]))
    }

    /// A real-valued gather (or a `concat` read in place, where there is no workspace) at `index`.
    mutating func gather(_ id: NodeID, _ op: Indexing, _ index: [IntExpr], _ body: inout [Statement]) -> ScalarExpr {
        let node = graph[id]
        switch op {
        case .take(let axis), .pick(let axis):
            let (table, at) = gatheredIndex(id, axis: axis, index)
            return value(table, at, &body)
        case .oneHot(_, let axis):
            var idsIndex = index
            idsIndex.remove(at: axis)
            return .select(.equal, intValue(node.operands[0], idsIndex), index[axis], .literal(1), .literal(0))
        case .concat(let axis, _):
            var start = 0
            var result: ScalarExpr?
            for operand in node.operands {
                guard case .fixed(let size) = graph[operand].shape.dims[axis] else { continue }
                var inner = index
                inner[axis] = index[axis] + .constant(-start)
                let part = value(operand, inner, &body)
                result = result.map { .select(.less, index[axis], .constant(start), $0, part) } ?? part
                start += size
            }
            return result!
        case .slice, .unslice, .scatterAdd:
            preconditionFailure("internal error: \(op.name) is computed by its own loop nest")
        }
    }

    /// A tensor constant's element: a literal, a comparison of the last two indices, or a load
    /// from its table.
    func constantElement(_ name: String, _ shape: Shape, _ pattern: ConstantPattern, _ index: [IntExpr]) -> ScalarExpr {
        switch pattern {
        case .fill(let value): return .literal(value)
        case .values: return load(.constant(name), index, shape)
        case .eye, .tril, .triu:
            guard index.count >= 2 else { return .literal(1) }
            let (row, column) = (index[index.count - 2], index[index.count - 1])
            switch pattern {
            case .eye: return .select(.equal, row, column, .literal(1), .literal(0))
            case .tril: return .select(.lessEqual, column, row, .literal(1), .literal(0))
            default: return .select(.lessEqual, row, column, .literal(1), .literal(0))
            }
        }
    }

    // MARK: - Id checks

    /// The prologue of a kernel that reads by id: a loop over each distinct ids tensor (with its
    /// bound) setting a flag for an id outside `0..<bound`, then, on a bad one, NaN (`predict`
    /// writes NaN to every output) before anything is written. Ids read through another gather
    /// are checked after the ids that gather reads have passed.
    mutating func idChecks() -> [Statement] {
        let flag = "bad_id"
        var statements: [Statement] = []
        var seen: [(NodeID, IntExpr)] = []
        var pending = false
        func exit() -> Statement {
            var fill: [Statement] = []
            for argument in spec.arguments {
                // NaN in a real output, -1 in an `int` one.
                let (storage, shape, value): (Storage, Shape, Double)
                switch argument {
                case .output(let name, let outputShape): (storage, shape, value) = (.output(name), outputShape, .nan)
                case .intOutput(let name, let outputShape): (storage, shape, value) = (.intOutput(name), outputShape, -1)
                case .input, .intInput, .dim, .stream: continue
                }
                let index = loopVariables(shape)
                fill += loops(index, shape, [.store(storage, flatIndex(index, shape), .literal(value))])
            }
            return .exitIf(flag, fill, returnsNaN: spec.kind != .predict && spec.kind != .apply)
        }
        for id in plan.live {
            guard case .indexing(let op) = graph[id].op, let idsOperand = op.idsOperand,
                let bound = op.idBound(graph[id].operands.map { graph[$0].shape })
            else { continue }
            let ids = graph[id].operands[idsOperand]
            // Positions the kernel computes (`argmax`, in `max`'s derivative) are always valid.
            guard readsIntInput(ids) else { continue }
            let limit = IntExpr(bound.size)
            guard !seen.contains(where: { $0.0 == ids && $0.1 == limit }) else { continue }
            seen.append((ids, limit))
            if statements.isEmpty {
                statements = [.comment("every id read below, checked before anything is written"), .declareFlag(flag)]
            }
            if pending && readsGather(ids) {
                statements.append(exit())
                pending = false
            }
            loopCounter = 0
            let shape = graph[ids].shape
            let index = loopVariables(shape)
            statements += loops(index, shape, [.flagOutside(flag, intValue(ids, index), bound: limit)])
            pending = true
        }
        if pending { statements.append(exit()) }
        return statements
    }

    /// Whether an `int` value comes from an `int` input (not from an `argmax`).
    func readsIntInput(_ id: NodeID) -> Bool {
        switch graph[id].op {
        case .leaf(.intInput): return true
        case .reduction: return false
        default: return graph[id].operands.contains { readsIntInput($0) }
        }
    }

    /// Whether an `int` value is computed through a gather (whose own ids must pass first).
    func readsGather(_ id: NodeID) -> Bool {
        let node = graph[id]
        if case .indexing(let op) = node.op, op.idsOperand != nil { return true }
        return node.operands.contains { readsGather($0) }
    }

    // MARK: - Nests

    /// `scatter_add(base, updates, ids)`: the base copied into the result unless the result is
    /// stored over it in place (a zero base is a zero loop), then, serially over the updates,
    /// each slice added at its id.
    mutating func scatterAddNest(_ id: NodeID, axis: Int) -> [Statement] {
        let node = graph[id]
        let (base, updates, ids) = (node.operands[0], node.operands[1], node.operands[2])
        let target = placement[id]!
        let shape = node.shape
        var statements: [Statement] = []
        if leafStorage(base) != target {
            let index = loopVariables(shape)
            var body = newBody()
            let element = value(base, index, &body)
            body.append(.store(target, flatIndex(index, shape), element))
            statements += loops(index, shape, body)
        }
        let updateShape = graph[updates].shape
        let index = loopVariables(updateShape)
        var body = newBody()
        let rank = graph[ids].shape.rank
        let position = intValue(ids, Array(index[axis..<(axis + rank)]))
        let targetIndex = Array(index[..<axis]) + [position] + Array(index[(axis + rank)...])
        let update = value(updates, index, &body)
        body.append(.accumulate(target, flatIndex(targetIndex, shape), update))
        return statements + loops(index, updateShape, body)
    }

    /// `unslice`: zeros, then each operand element stored where the slice reads it.
    mutating func unsliceNest(_ id: NodeID) -> [Statement] {
        let node = graph[id]
        let target = placement[id]!
        let shape = node.shape
        let zeroIndex = loopVariables(shape)
        var statements = loops(zeroIndex, shape, [.store(target, flatIndex(zeroIndex, shape), .literal(0))])
        let operand = node.operands[0]
        let operandShape = graph[operand].shape
        let index = loopVariables(operandShape)
        var body = newBody()
        let element = value(operand, index, &body)
        let at = operandIndex(index, node.op.indexMap(from: shape, to: operandShape)!, to: operandShape, from: shape)
        body.append(.store(target, flatIndex(at, shape), element))
        statements += loops(index, operandShape, body)
        return statements
    }

    /// `concat`: each operand copied into its part along `axis`.
    mutating func concatNest(_ id: NodeID, axis: Int) -> [Statement] {
        let node = graph[id]
        let target = placement[id]!
        var statements: [Statement] = []
        var start = 0
        for operand in node.operands {
            let shape = graph[operand].shape
            let index = loopVariables(shape)
            var body = newBody()
            let element = value(operand, index, &body)
            var at = index
            at[axis] = index[axis] + .constant(start)
            body.append(.store(target, flatIndex(at, node.shape), element))
            statements += loops(index, shape, body)
            if case .fixed(let size) = shape.dims[axis] { start += size }
        }
        return statements
    }
}
