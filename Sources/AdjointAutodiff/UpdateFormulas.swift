import AdjointIR

/// The update rule as a person reads it: one assignment a line, in the order a step performs
/// them, each line using the values assigned above it (as PyTorch's documentation writes its
/// algorithms): `t ← t + 1`, then for each param its state (`m_W1 ← 0.9 m_W1 + 0.1 ∂loss/∂W1`)
/// and its new value.
public struct UpdateFormulas: Sendable {
    /// `(m_W1, formula)`: the assigned name and its new value.
    public var assignments: [(name: String, formula: Formula)]
    /// Shared subexpressions (`lr_t = 0.001 / (1 − 0.9^t)`), each defined before its first use.
    public var bindings: [(name: String, formula: Formula)]

    public init(_ update: UpdateProgram, loss: String) {
        var order: [(String, NodeID)] = []
        let state = Dictionary(update.newState.map { ($0.slot, $0.node) }, uniquingKeysWith: { first, _ in first })
        if let t = state[UpdateProgram.stepCount] { order.append((UpdateProgram.stepCount, t)) }
        for (param, node) in update.newParams {
            for slot in update.slots where slot.param == param { order.append((slot.name, state[slot.name]!)) }
            order.append((param, node))
        }
        var assigned: [NodeID: String] = [:]
        for (name, node) in order where assigned[node] == nil { assigned[node] = name }
        let forms = ClosedForms(
            graph: update.graph, formulas: order, loss: loss, valueNames: update.valueNames,
            forwardNodeCount: update.graph.nodes.count, assigned: assigned)
        assignments = forms.gradients.map { ($0.param, $0.formula) }
        bindings = forms.bindings
    }
}
