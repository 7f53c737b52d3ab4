import AdjointIR

/// The loop nest of each kind of materialized node. Elementwise work runs in row-major order with
/// the last axis innermost (contiguous); only reductions, normalizers, losses and matrix products
/// have nests of their own shape.
extension KernelLowering {
    mutating func nest(_ id: NodeID) -> [Statement] {
        let node = graph[id]
        // A delivered `int` value (an output): its integer expression stored element by element.
        if node.element == .int, FusionPlan.NodeKind(node.op) != .complex { return pointwiseNest(id) }
        switch node.op.lowering {
        case .sum(let axes, let mean):
            let shape = graph[node.operands[0]].shape
            let reduced = axes.reduced(shape)
            let resultAxes = axes.resultAxes(shape)
            let divisor = mean ? IntExpr.count(Shape(shape.dims.indices.filter { reduced[$0] }.map { shape.dims[$0] })) : nil
            return sumNest(id, reduced: reduced, divisor: divisor) { index in resultAxes.map { $0.map { index[$0] } ?? .zero } }
        case .rows(let axis, let normalizer):
            return rowNest(id, axis: axis, normalizer: normalizer)
        case .extremum(let axis, let largest, let position):
            return extremumNest(id, axis: axis, largest: largest, position: position)
        case .matmul:
            return matmulNest(id)
        case .loss(let op):
            return lossNest(id, op)
        case .leaf, .view, .pointwise:
            return pointwiseNest(id)
        case .gather:
            return pointwiseNest(id)
        case .scatterAdd(let axis):
            return scatterAddNest(id, axis: axis)
        case .scatter:
            return unsliceNest(id)
        case .concat(let axis):
            return concatNest(id, axis: axis)
        }
    }

    /// Stores `value` as the node's element at `index` (a local scalar is defined instead).
    func store(_ id: NodeID, _ index: [IntExpr], _ value: ScalarExpr) -> Statement {
        let target = placement[id]!
        if case .local(let name) = target { return .define(name, value) }
        return .store(target, flatIndex(index, graph[id].shape), value)
    }

    /// Loops over the axes of `shape` listed in `axes` (outermost first) whose index is a
    /// variable, around `body`.
    func loops(_ index: [IntExpr], _ shape: Shape, axes: [Int], _ body: [Statement]) -> [Statement] {
        var statements = body
        for axis in axes.reversed() {
            guard case .variable(let name) = index[axis] else { continue }
            statements = [.loop(variable: name, start: .zero, end: IntExpr(shape.dims[axis]), step: 1, body: statements)]
        }
        return statements
    }

    // MARK: - Elementwise

    /// A fused chain of elementwise ops and broadcasts: one loop nest, no temporaries.
    mutating func pointwiseNest(_ id: NodeID) -> [Statement] {
        let shape = graph[id].shape
        let index = loopVariables(shape)
        var body = newBody()
        let value = compute(id, index, &body)
        if case .local(let name) = placement[id]!, value == .name(name) { return body }
        body.append(store(id, index, value))
        return parallelized(loops(index, shape, body), shape)
    }

    /// Elementwise nests over at least this many elements (a runtime dim counted as 64) run their
    /// outermost loop as a parallel loop; smaller ones are not worth starting threads for.
    static let parallelElements = 1 << 16

    /// The nest with its outermost loop parallel when `shape` is large enough (each iteration of
    /// an elementwise nest writes only its own elements, so the result is the same on any number
    /// of threads).
    func parallelized(_ nest: [Statement], _ shape: Shape) -> [Statement] {
        let estimate = shape.dims.reduce(1) { total, dim in
            if case .fixed(let size) = dim { total.multipliedReportingOverflow(by: size).partialValue } else { total.multipliedReportingOverflow(by: 64).partialValue }
        }
        guard estimate >= Self.parallelElements, nest.count == 1,
            case .loop(let variable, let start, let end, let step, let body) = nest[0]
        else { return nest }
        return [.parallelLoop(variable: variable, start: start, end: end, step: step, body: body)]
    }

    /// Several elementwise nodes of one shape in one loop nest, in schedule order; a member
    /// reads an earlier member's element from its register.
    mutating func groupNest(_ group: [NodeID]) -> [Statement] {
        let shape = graph[group[0]].shape
        let index = loopVariables(shape)
        var body = newBody()
        for id in group {
            let value = compute(id, index, &body)
            body.append(store(id, index, value))
            memo[Memo(node: id, index: index)] = value
        }
        return parallelized(loops(index, shape, body), shape)
    }

    // MARK: - Sums

    /// A sum over the operand's axes marked `reduced` (divided by `divisor` for a mean), its
    /// producer fused into the innermost loop. When the reduced axes are innermost, each result
    /// element is a running total in a register; otherwise the result is zeroed and the operand
    /// is read in row-major order, adding into the result (contiguous reads either way).
    mutating func sumNest(
        _ id: NodeID, reduced: [Bool], divisor: IntExpr?, resultIndex: ([IntExpr]) -> [IntExpr]
    ) -> [Statement] {
        let operand = graph[id].operands[0]
        let shape = graph[operand].shape
        let index = loopVariables(shape)
        let looped = shape.dims.indices.filter { if case .variable = index[$0] { true } else { false } }
        let outer = looped.filter { !reduced[$0] }
        let inner = looped.filter { reduced[$0] }
        func finish(_ total: ScalarExpr) -> ScalarExpr { divisor.map { .arithmetic(.divide, total, .integer($0)) } ?? total }
        if outer.allSatisfy({ o in inner.allSatisfy { o < $0 } }) {
            let total = "sum\(id.index)"
            var body = newBody()
            let x = value(operand, index, &body)
            body.append(.assign(total, .arithmetic(.add, .name(total), x)))
            let row = [Statement.declare(total, .literal(0))] + loops(index, shape, axes: inner, body)
                + [store(id, resultIndex(index), finish(.name(total)))]
            return loops(index, shape, axes: outer, row)
        }
        let target = placement[id]!
        let resultShape = graph[id].shape
        let zeroIndex = loopVariables(resultShape)
        var statements = loops(zeroIndex, resultShape, [.store(target, flatIndex(zeroIndex, resultShape), .literal(0))])
        var body = newBody()
        let x = value(operand, index, &body)
        body.append(.accumulate(target, flatIndex(resultIndex(index), resultShape), x))
        statements += loops(index, shape, body)
        if let divisor {
            let scaleIndex = loopVariables(resultShape)
            let element = flatIndex(scaleIndex, resultShape)
            statements += loops(
                scaleIndex, resultShape,
                [.store(target, element, .arithmetic(.divide, .load(target, element), .integer(divisor)))])
        }
        return statements
    }

    // MARK: - Rows: logsumexp and the normalizers

    /// For each slice along `axis` (every element when nil): the largest element, the sum of
    /// exponentials shifted by it and their logsumexp, stored once per slice (logsumexp), or
    /// followed by a pass that stores the normalizer's every element.
    mutating func rowNest(_ id: NodeID, axis: Int?, normalizer: Normalizer?) -> [Statement] {
        let operand = graph[id].operands[0]
        let shape = graph[operand].shape
        let index = loopVariables(shape)
        let along = axis.map { [$0] } ?? Array(shape.dims.indices)
        let outer = shape.dims.indices.filter { !along.contains($0) }
        var row = logSumExpStatements(id, operand, index, shape, along)
        let lse = ScalarExpr.name("lse\(id.index)")
        if let normalizer {
            var body = newBody()
            let x = value(operand, index, &body)
            body.append(store(id, index, .normalizer(normalizer, x, logSumExp: lse)))
            row += loops(index, shape, axes: along, body)
        } else {
            row.append(store(id, index.enumerated().filter { !along.contains($0.offset) }.map(\.element), lse))
        }
        return loops(index, shape, axes: outer, row)
    }

    /// `lse<id>` = logsumexp of `operand` over the axes `along` at the other indices: two passes.
    mutating func logSumExpStatements(
        _ id: NodeID, _ operand: NodeID, _ index: [IntExpr], _ shape: Shape, _ along: [Int]
    ) -> [Statement] {
        let (largest, total) = ("max\(id.index)", "sum\(id.index)")
        var maxBody = newBody()
        let x1 = value(operand, index, &maxBody)
        maxBody.append(.assign(largest, .arithmetic(.maximum, .name(largest), x1)))
        var sumBody = newBody()
        let x2 = value(operand, index, &sumBody)
        sumBody.append(
            .assign(total, .arithmetic(.add, .name(total), .call(.exp, [.arithmetic(.subtract, x2, .name(largest))]))))
        return [.declare(largest, .literal(-.infinity))] + loops(index, shape, axes: along, maxBody)
            + [.declare(total, .literal(0))] + loops(index, shape, axes: along, sumBody)
            + [.define("lse\(id.index)", .logSumExp(largest: .name(largest), shiftedSum: .name(total)))]
    }

    // MARK: - Extremes: max, min, argmax, argmin

    /// For each slice along `axis` (every element when nil): a running extreme that a later
    /// element replaces only when strictly beyond it (so the first extreme wins, as `Reduction`
    /// evaluates), and with `position` its index along the slice (row-major over several axes),
    /// stored as a real (exact below 2^24 in float). The running index is updated without a
    /// branch: `pos += [x > best] * (k - pos)`.
    mutating func extremumNest(_ id: NodeID, axis: Int?, largest: Bool, position: Bool) -> [Statement] {
        let operand = graph[id].operands[0]
        let shape = graph[operand].shape
        let index = loopVariables(shape)
        let along = axis.map { [$0] } ?? Array(shape.dims.indices)
        let outer = shape.dims.indices.filter { !along.contains($0) }
        let (best, at) = ("best\(id.index)", "pos\(id.index)")
        var body = newBody()
        let x = value(operand, index, &body)
        if position {
            let beyond = "beyond\(id.index)"
            let alongShape = Shape(along.map { shape.dims[$0] })
            let k = ScalarExpr.integer(flatIndex(along.map { index[$0] }, alongShape))
            body.append(.define(beyond, .arithmetic(largest ? .greater : .less, x, .name(best))))
            body.append(.define("step\(id.index)", .arithmetic(.subtract, k, .name(at))))
            body.append(.assign(at, .arithmetic(.add, .name(at), .arithmetic(.multiply, .name(beyond), .name("step\(id.index)")))))
        }
        // Ties keep the running extreme (`max`'s spelling picks its first operand on a tie).
        body.append(.assign(best, .arithmetic(largest ? .maximum : .minimum, .name(best), x)))
        var row: [Statement] = [.declare(best, .literal(largest ? -.infinity : .infinity))]
        if position { row.append(.declare(at, .literal(0))) }
        row += loops(index, shape, axes: along, body)
        row.append(store(id, outer.map { index[$0] }, .name(position ? at : best)))
        return loops(index, shape, axes: outer, row)
    }

    // MARK: - Losses

    /// A loss: one running total over every element (the producers of both operands fused in),
    /// or for `softmax_cross_entropy` per row the logsumexp and then the row's summands.
    mutating func lossNest(_ id: NodeID, _ op: Loss) -> [Statement] {
        let (prediction, target) = (graph[id].operands[0], graph[id].operands[1])
        let shape = graph[prediction].shape
        let index = loopVariables(shape)
        let total = "total\(id.index)"
        var statements: [Statement] = [.declare(total, .literal(0))]
        if op.needsRowLogSumExp {
            let last = [shape.rank - 1]
            var row = logSumExpStatements(id, prediction, index, shape, last)
            if plan.keepsLogSumExp.contains(id) {
                // Kept for a normalizer of the same rows (`FusionPlan.sharedLogSumExp`).
                let kept = keptLogSumExp(id, index)
                row.append(.store(kept.storage, kept.offset, .name("lse\(id.index)")))
            }
            var body = newBody()
            let z = value(prediction, index, &body)
            let t = value(target, index, &body)
            body.append(
                .assign(total, .arithmetic(.add, .name(total), .lossTerm(op, z, t, logSumExp: .name("lse\(id.index)")))))
            row += loops(index, shape, axes: last, body)
            statements += loops(index, shape, axes: Array(0..<(shape.rank - 1)), row)
        } else {
            var body = newBody()
            let p = value(prediction, index, &body)
            let t = value(target, index, &body)
            body.append(.assign(total, .arithmetic(.add, .name(total), .lossTerm(op, p, t, logSumExp: nil))))
            statements += loops(index, shape, body)
        }
        let (sign, over) = op.normalization
        var result = sign < 0 ? ScalarExpr.elementwise(.negate, .name(total)) : .name(total)
        switch over {
        case .count: result = .arithmetic(.divide, result, .integer(.count(shape)))
        case .rows: result = .arithmetic(.divide, result, .integer(.count(Shape(Array(shape.dims.dropLast())))))
        case .none: break
        }
        statements.append(store(id, [], result))
        return statements
    }
}
