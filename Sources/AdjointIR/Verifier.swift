/// Checks a graph's invariants; tests run it after every pass. A non-empty result is a compiler bug.
extension Graph {
    /// Every broken invariant, described: operands defined before use, arity and shapes as the op
    /// table says, no two equal nodes (hash-consing), roots inside the graph.
    public func verify() -> [String] {
        var problems: [String] = []
        var seen: [Node: Int] = [:]
        for (index, node) in nodes.enumerated() {
            if node.operands.count != node.op.arity {
                problems.append("%\(index): \(node.op.name) takes \(node.op.arity) operands, has \(node.operands.count)")
                continue
            }
            if let late = node.operands.first(where: { $0.index >= index }) {
                problems.append("%\(index): operand \(late) is not defined before its use")
                continue
            }
            switch node.op.resultShape(node.operands.map { nodes[$0.index].shape }) {
            case .success(let shape) where shape == node.shape: break
            case .success(let shape): problems.append("%\(index): shape \(node.shape), but the op gives \(shape)")
            case .failure(let error): problems.append("%\(index): operands do not fit \(node.op.name): \(error)")
            }
            if let first = seen[node] { problems.append("%\(index) repeats %\(first)") }
            seen[node] = index
        }
        for root in roots where root.node.index >= nodes.count {
            problems.append("root \(root.name) names \(root.node), outside the graph")
        }
        return problems
    }
}
