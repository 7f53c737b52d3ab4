import AdjointAutodiff
import AdjointIR

/// The computation graph in Graphviz DOT, as the textbook pictures draw it: inputs and params as
/// boxes, each op a node labelled with its name and shape, edges from operands to users. With the
/// backward pass, the adjoint nodes are shaded and each param's gradient is labelled.
public enum GraphPrinter {
    public static func dot(_ program: GradientProgram, backward: Bool) -> String {
        let graph = program.graph
        var roots = graph
        if !backward { roots.roots = program.forward.graph.roots }
        var names: [NodeID: String] = [:]
        for (id, name) in program.forward.valueNames { names[id] = name }
        if backward {
            // Params whose gradients are one node (x and y in `(x + y) z`) share its label.
            for root in graph.roots.dropFirst() {
                names[root.node] = names[root.node].map { "\($0), \(root.name)" } ?? root.name
            }
        }
        var lines = [
            "digraph adjoint {", "  rankdir=LR;", "  node [fontname=\"Helvetica\", fontsize=11];",
        ]
        for id in roots.live() {
            let node = graph[id]
            let isAdjoint = id.index >= program.forwardNodeCount
            var attributes: [String]
            switch node.op {
            case .leaf(.input(let name, _)): attributes = ["shape=box", "label=\"\(name)\\ninput \(node.shape)\""]
            case .leaf(.intInput(let name, _)): attributes = ["shape=box", "label=\"\(name)\\ninput int\(node.shape)\""]
            case .leaf(.tensorConstant(let name, _, let pattern)):
                attributes = ["shape=box", "label=\"\(name) = \(pattern.text.count > 24 ? "[...]" : pattern.text)\\nconst \(node.shape)\""]
            case .leaf(.param(let name, _)):
                attributes = ["shape=box", "style=filled", "fillcolor=\"#fff2cc\"", "label=\"\(name)\\nparam \(node.shape)\""]
            case .leaf(.constant(let value, let name)):
                let text = name.map { "\($0) = \(formatNumber(value))" } ?? formatNumber(value)
                attributes = ["shape=plaintext", "label=\"\(escape(text))\""]
            default:
                let title = names[id].map { "\($0) = \(node.op.mnemonic)" } ?? node.op.mnemonic
                attributes = ["shape=ellipse", "label=\"\(escape(title))\\n\(node.shape)\""]
            }
            if isAdjoint { attributes += ["style=filled", "fillcolor=\"#dde8f7\""] }
            lines.append("  n\(id.index) [\(attributes.joined(separator: ", "))];")
        }
        for id in roots.live() {
            for operand in graph[id].operands { lines.append("  n\(operand.index) -> n\(id.index);") }
        }
        lines.append("}")
        return lines.joined(separator: "\n") + "\n"
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
}
