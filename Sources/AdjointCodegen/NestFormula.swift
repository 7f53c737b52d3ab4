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
        case .input(let name), .output(let name), .intOutput(let name), .local(let name): return name
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
        case .leaf(.random(let draw)): text += draw.formulaName
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

    /// The indexing family as a model writes it (the family's notation): `E[tokens]`,
    /// `x[:, 0:4]`, `take(P, ids, axis = 1)`, `concat([a, b], axis = 1)`, `scatter_add(E, c, tokens)`.
    private func writeIndexing(_ op: Indexing, _ operands: [NodeID], into text: inout String) {
        func write(_ pieces: [SelectionNotation.Piece]) {
            for (position, piece) in pieces.enumerated() {
                if position > 0 { text += ", " }
                switch piece {
                case .operand(let k): writeFormula(operands[k], grouped: false, into: &text)
                case .operands(let ks):
                    text += "["
                    for (index, k) in ks.enumerated() {
                        if index > 0 { text += ", " }
                        writeFormula(operands[k], grouped: false, into: &text)
                    }
                    text += "]"
                case .text(let piece): text += piece
                }
            }
        }
        let shapes = operands.map { graph[$0].shape }
        switch op.notation(shapes, math: false, minus: "-", baseIsZero: false) {
        case .subscripted(let items):
            writeFormula(operands[0], grouped: true, into: &text)
            text += "["
            write(items)
            text += "]"
        case .call(let name, let arguments):
            text += name + "("
            write(arguments)
            text += ")"
        case .scatterRows(_, let updates, let ids, _):  // only the textbook notation asks for it
            text += "scatter_add("
            write([.operand(0), .operand(updates), .operand(ids)])
            text += ")"
        }
    }
}
