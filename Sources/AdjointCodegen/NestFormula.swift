import AdjointIR

/// The comment above each loop nest: the formula it computes, in the model language's notation,
/// with fused nodes written out and materialized ones by name (`h = relu(v6 + b1)`).
extension KernelLowering {
    /// The name of a node in formulas: a name from the model file, or `v<id>`.
    func nodeName(_ id: NodeID) -> String { names[id] ?? Self.localName(id) }

    /// `v7: [batch, 32] = relu(v6 + b1)`; for a node delivered to a destination, also where.
    func formulaLine(_ id: NodeID) -> String {
        var line = nodeName(id)
        line += ": "
        Self.write(graph[id].shape, into: &line)
        line += " = "
        writeFormula(id, own: true, grouped: false, into: &line)
        if let storage = placement[id], !isLocal(storage) {
            line += " -> "
            line += describe(storage)
        }
        if let slot = logSumExpSlots[id] {
            line += ", its rows' logsumexp -> "
            line += describe(.workspace(slot))
        }
        return line
    }

    private func isLocal(_ storage: Storage) -> Bool { if case .local = storage { true } else { false } }

    /// `[batch, 32]`, as `Shape.description` spells it, appended in place.
    static func write(_ shape: Shape, into text: inout String) {
        text += "["
        for (axis, dim) in shape.dims.enumerated() {
            if axis > 0 { text += ", " }
            switch dim {
            case .fixed(let size): text += String(size)
            case .runtime(let name): text += name
            }
        }
        text += "]"
    }

    /// A buffer as a comment names it.
    func describe(_ storage: Storage) -> String {
        switch storage {
        case .param(let name): return "params " + name
        case .gradient(let name): return "grads " + name
        case .state(let name): return "state " + name
        case .input(let name), .output(let name), .local(let name): return name
        case .workspace(let slot): return "workspace slot \(slot)"
        case .tile(let name): return "tile " + name
        case .constant(let name): return "const " + name
        }
    }

    /// The formula of a node: `own` for the nest's own node (a materialized operand is named
    /// instead), `grouped` where an infix formula needs parentheses (not as a call's argument).
    func formula(_ id: NodeID, own: Bool = false, grouped: Bool = true) -> String {
        var text = ""
        writeFormula(id, own: own, grouped: grouped, into: &text)
        return text
    }

    /// Appends `formula(id, own:grouped:)`: one string grows through the whole recursion, since
    /// every loop nest has a formula and a large model has hundreds of thousands.
    func writeFormula(_ id: NodeID, own: Bool = false, grouped: Bool = true, into text: inout String) {
        let op = graph[id].op
        let operands = graph[id].operands
        func operand(_ position: Int) { writeFormula(operands[position], grouped: false, into: &text) }
        func infix(_ position: Int) { writeFormula(operands[position], into: &text) }
        /// `name(first, second, ...)` with the operands at `positions`, then `extra`.
        func call(_ name: String, _ positions: [Int], _ extra: String = "") {
            text += name
            text += "("
            for (index, position) in positions.enumerated() {
                if index > 0 { text += ", " }
                operand(position)
            }
            text += extra
            text += ")"
        }
        /// The op as a call of its every operand, its attributes last (`sum(v3, axis = 1)`); a
        /// transpose's axes only when they are not all reversed (`transpose(W)`, as models write it).
        func call(_ op: Op) {
            let rank = operands.isEmpty ? 0 : graph[operands[0]].shape.rank
            let attributes = op.attributes.filter { attribute in
                if case .axes = attribute.value { return !attribute.isDefault(operandRank: rank) }
                return true
            }
            call(op.name, Array(operands.indices), attributes.map { ", " + $0.argumentText }.joined())
        }
        func binary(_ symbol: String, _ term: (Int) -> Void) {
            if grouped { text += "(" }
            term(0)
            text += " "
            text += symbol
            text += " "
            term(1)
            if grouped { text += ")" }
        }
        if !own, plan.materialized.contains(id), FusionPlan.NodeKind(op) != .leaf {
            text += nodeName(id)
            return
        }
        switch op {
        case .leaf(.input(let name, _)), .leaf(.intInput(let name, _)), .leaf(.tensorConstant(let name, _, _)),
            .leaf(.param(let name, _)), .leaf(.state(let name, _)):
            text += name
        case .leaf(.gradient(let name, _)): text += "grad_" + name
        case .leaf(.constant(let value, _)): text += formatNumber(value)
        case .leaf(.size(let dims)): text += dims.isEmpty ? "1" : dims.map(\.description).joined(separator: " * ")
        case .structural(.broadcast), .structural(.reshape): writeFormula(operands[0], grouped: grouped, into: &text)
        case .structural(.sumTo(let target)):
            var shape = ""
            Self.write(target, into: &shape)
            call("sum_to", [0], ", " + shape)
        case .indexing(let indexing):
            writeIndexing(indexing, operands, into: &text)
        case .elementwise, .arithmetic, .reduction, .normalizer, .linearAlgebra, .loss:
            switch op.sourceNotation {
            case .call: call(op)
            case .prefix(let symbol):
                text += symbol
                infix(0)
            case .infix(let symbol, let binding):
                binary(symbol) { position in
                    // A product binds tighter than `+` and `-`: `x @ W1 + b1`, as models write it.
                    if binding == .additive, case .infix(_, .matrixProduct) = graph[operands[position]].op.sourceNotation {
                        operand(position)
                    } else {
                        infix(position)
                    }
                }
            }
        }
    }

    /// The indexing family as a model writes it: `E[tokens]`, `x[:, 0:4]`, `h[-1, 1:5:2]`,
    /// `take(P, ids, axis = 1)`, `pick(lp, labels, axis = 1)`, `one_hot(labels, 5)`,
    /// `concat([a, b], axis = 1)`, `scatter_add(E, c, tokens)`; an unslice (a slice's
    /// derivative) as `unslice(c, [:, 0:3])`.
    private func writeIndexing(_ op: Indexing, _ operands: [NodeID], into text: inout String) {
        func subscripted(_ slices: [AxisSlice], of shape: Shape) -> String {
            let parts = slices.enumerated().map { axis, slice -> String in
                let start = slice.start
                guard let count = slice.count else { return String(start) }
                if start == 0, !slice.fromEnd, slice.step == 1, count == shape.dims[axis] { return ":" }
                guard case .fixed(let n) = count else { return "\(start):" }
                let stop = start + slice.step * (n - 1) + 1
                let range = slice.fromEnd && stop >= 0 ? "\(start):" : "\(start):\(stop)"
                return slice.step == 1 ? range : range + ":\(slice.step)"
            }
            return "[" + parts.joined(separator: ", ") + "]"
        }
        func operand(_ position: Int, grouped: Bool = false) { writeFormula(operands[position], grouped: grouped, into: &text) }
        func axisText(_ axis: Int, unless: Int) -> String { axis == unless ? "" : ", axis = \(axis)" }
        switch op {
        case .take(0):
            operand(0, grouped: true)
            text += "["
            operand(1)
            text += "]"
        case .slice(let slices):
            operand(0, grouped: true)
            text += subscripted(slices, of: graph[operands[0]].shape)
        case .unslice(let slices, let shape):
            text += "unslice("
            operand(0)
            text += ", " + subscripted(slices, of: shape) + ")"
        case .take(let axis), .pick(let axis), .scatterAdd(let axis):
            text += op.name + "("
            for position in operands.indices {
                if position > 0 { text += ", " }
                operand(position)
            }
            text += axisText(axis, unless: op.name == "pick" ? graph[operands[0]].shape.rank - 1 : 0) + ")"
        case .oneHot(let size, let axis):
            text += "one_hot("
            operand(0)
            text += ", \(size)" + axisText(axis, unless: graph[operands[0]].shape.rank) + ")"
        case .concat(let axis, _):
            text += "concat(["
            for position in operands.indices {
                if position > 0 { text += ", " }
                operand(position)
            }
            text += "], axis = \(axis))"
        }
    }
}
