import AdjointIR

/// The comment above each loop nest: the formula it computes, in the model language's notation,
/// with fused nodes written out and materialized ones by name (`h = relu(v6 + b1)`).
extension KernelLowering {
    /// The name of a node in formulas: a name from the model file, or `v<id>`.
    func nodeName(_ id: NodeID) -> String { spec.names[id] ?? Self.localName(id) }

    /// `v7: [batch, 32] = relu(v6 + b1)`; for a node delivered to a destination, also where.
    func formulaLine(_ id: NodeID) -> String {
        var target = placement[id].map { if case .local = $0 { "" } else { " -> " + describe($0) } } ?? ""
        if let slot = logSumExpSlots[id] { target += ", its rows' logsumexp -> " + describe(.workspace(slot)) }
        return "\(nodeName(id)): \(graph[id].shape) = \(formula(id, own: true, grouped: false))\(target)"
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
        }
    }

    /// The formula of a node: `own` for the nest's own node (a materialized operand is named
    /// instead), `grouped` where an infix formula needs parentheses (not as a call's argument).
    func formula(_ id: NodeID, own: Bool = false, grouped: Bool = true) -> String {
        let node = graph[id]
        func operand(_ position: Int) -> String { formula(node.operands[position], grouped: false) }
        func infix(_ position: Int) -> String { formula(node.operands[position]) }
        func parenthesized(_ text: String) -> String { grouped ? "(\(text))" : text }
        if !own, plan.materialized.contains(id), FusionPlan.NodeKind(node.op) != .leaf { return nodeName(id) }
        switch node.op {
        case .leaf(.input(let name, _)), .leaf(.param(let name, _)), .leaf(.state(let name, _)): return name
        case .leaf(.gradient(let name, _)): return "grad_" + name
        case .leaf(.constant(let value)): return formatNumber(value)
        case .leaf(.size(let dims)): return dims.isEmpty ? "1" : dims.map(\.description).joined(separator: " * ")
        case .structural(.broadcast), .structural(.reshape): return formula(node.operands[0], grouped: grouped)
        case .structural(.sumTo(let target)): return "sum_to(\(operand(0)), \(target))"
        case .linearAlgebra(.transpose): return "transpose(\(operand(0)))"
        case .linearAlgebra(.matmul): return parenthesized("\(infix(0)) @ \(infix(1))")
        case .elementwise(.negate): return "-" + infix(0)
        case .elementwise(.leakyRelu(let slope)): return "leaky_relu(\(operand(0)), \(formatNumber(slope)))"
        case .elementwise(let op): return "\(op.name)(\(operand(0)))"
        case .arithmetic(.maximum), .arithmetic(.minimum):
            return "\(node.op.name)(\(operand(0)), \(operand(1)))"
        case .arithmetic(let op) where op == .add || op == .subtract:
            // A product binds tighter than `+` and `-`: `x @ W1 + b1`, as models write it.
            func term(_ position: Int) -> String {
                if case .linearAlgebra(.matmul) = graph[node.operands[position]].op { return operand(position) }
                return infix(position)
            }
            return parenthesized("\(term(0)) \(op.name) \(term(1))")
        case .arithmetic(let op): return parenthesized("\(infix(0)) \(op.name) \(infix(1))")
        case .reduction(let op, let axis):
            return "\(op.name)(\(operand(0))\(axis.map { ", axis = \($0)" } ?? ""))"
        case .normalizer(let op, let axis): return "\(op.name)(\(operand(0)), axis = \(axis))"
        case .loss(.huber(let delta)): return "huber(\(operand(0)), \(operand(1)), \(formatNumber(delta)))"
        case .loss(let op): return "\(op.name)(\(operand(0)), \(operand(1)))"
        }
    }
}
