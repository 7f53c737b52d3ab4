import AdjointIR
import AdjointSema

/// The forward program and its reverse-mode adjoint program in one graph.
public struct GradientProgram: Sendable {
    /// Forward and adjoint nodes together (the adjoint reuses forward values). Roots: the loss,
    /// then `∂loss/∂p` for each differentiated param.
    public var graph: Graph
    public var forward: ForwardGraph
    /// Each differentiated param's name and the node of its gradient (the param's shape).
    public var gradients: [(param: String, node: NodeID)]
    /// Nodes below this index belong to the forward program; the rest were made by the reverse pass.
    public var forwardNodeCount: Int

    /// The root name of a param's gradient: `∂loss/∂W1`.
    public static func gradientName(loss: String, param: String) -> String { "∂\(loss)/∂\(param)" }
}

/// Reverse-mode differentiation. From the minimized scalar with seed 1, visits the forward nodes
/// in reverse topological order and accumulates each operand's adjoint from the op table's
/// vector-Jacobian products. Only nodes on a path from a differentiated param to the loss get an
/// adjoint (none for inputs or constants), and every forward value is reused, not recomputed.
public enum ReverseMode {
    /// A derivative rule: the contribution of the cotangent of `result` (made by `op` from
    /// `operands`) to the adjoint of operand `index`, or nil for none.
    public typealias Rule = (
        _ op: Op, _ graph: inout Graph, _ result: NodeID, _ operands: [NodeID], _ index: Int, _ cotangent: NodeID
    ) -> NodeID?

    /// The op table's rule, `Op.vjp`: the one every command uses.
    public static func opTableRule(
        _ op: Op, _ graph: inout Graph, _ result: NodeID, _ operands: [NodeID], _ index: Int, _ cotangent: NodeID
    ) -> NodeID? {
        op.vjp(&graph, result: result, operands: operands, index: index, cotangent: cotangent)
    }

    /// Differentiates the loss with respect to `params` (all params if nil). `rule` is the op
    /// table's; a test passes a deliberately wrong one to show that the gradient check catches it.
    public static func differentiate(_ forward: ForwardGraph, wrt params: [String]? = nil, rule: Rule = opTableRule)
        -> GradientProgram
    {
        var graph = forward.graph
        let forwardNodeCount = graph.nodes.count
        let wanted = forward.params.filter { params?.contains($0.name) ?? true }

        // Nodes that depend on a wanted param (forward sweep) and that the loss depends on (backward sweep).
        var dependsOnParam = [Bool](repeating: false, count: forwardNodeCount)
        for (_, node) in wanted { dependsOnParam[node.index] = true }
        for index in 0..<forwardNodeCount where !dependsOnParam[index] {
            dependsOnParam[index] = graph.nodes[index].operands.contains { dependsOnParam[$0.index] }
        }
        var onPath = [Bool](repeating: false, count: forwardNodeCount)
        onPath[forward.loss.index] = dependsOnParam[forward.loss.index]
        for index in (0..<forwardNodeCount).reversed() where onPath[index] {
            for operand in graph.nodes[index].operands where dependsOnParam[operand.index] {
                onPath[operand.index] = true
            }
        }

        // Each node's contributions, summed once all its users have sent theirs (users come later
        // in topological order): as one chain, so a value used 100,000 times gets a balanced sum.
        var contributions: [NodeID: [NodeID]] = [:]
        var adjoints: [NodeID: NodeID] = [:]
        if onPath[forward.loss.index] { contributions[forward.loss] = [graph.constant(1)] }
        for index in (0..<forwardNodeCount).reversed() where onPath[index] {
            let id = NodeID(index)
            guard let terms = contributions.removeValue(forKey: id), let first = terms.first else { continue }
            let cotangent = graph.chain(first, terms.dropFirst().map { (.arithmetic(.add), $0) })
            adjoints[id] = cotangent
            let node = graph[id]
            for (position, operand) in node.operands.enumerated() where onPath[operand.index] {
                guard let contribution = rule(node.op, &graph, id, node.operands, position, cotangent) else { continue }
                contributions[operand, default: []].append(contribution)
            }
        }

        let lossName = forward.graph.roots.first?.name ?? "loss"
        var gradients: [(String, NodeID)] = []
        for (name, node) in wanted {
            // A param the loss does not reach has a zero gradient.
            let gradient = adjoints[node] ?? graph.broadcast(graph.constant(0), to: graph[node].shape)
            gradients.append((name, gradient))
        }
        graph.roots =
            [Graph.Root(name: lossName, node: forward.loss)]
            + gradients.map { Graph.Root(name: GradientProgram.gradientName(loss: lossName, param: $0.0), node: $0.1) }
        return GradientProgram(
            graph: graph, forward: forward, gradients: gradients, forwardNodeCount: forwardNodeCount)
    }
}
