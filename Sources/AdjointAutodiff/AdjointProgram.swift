import AdjointIR

/// The reverse-mode program as a person reads it: one line per value the reverse pass computes,
/// `%41: [batch, 10] = softmax(logits) ⊙ %40 − y`, in the order it computes them. Forward values
/// appear by their names; broadcasts and reshapes are implicit in the notation.
public enum AdjointProgramPrinter {
    public static func lines(_ program: GradientProgram, notation: FormulaPrinter.Notation = .text) -> [String] {
        let graph = program.graph
        let live = graph.live()
        var rootNames: [NodeID: String] = [:]
        for root in graph.roots.dropFirst() where rootNames[root.node] == nil { rootNames[root.node] = root.name }
        func isTransparent(_ id: NodeID) -> Bool {
            switch graph[id].op {
            case .structural(.broadcast), .structural(.reshape): return true
            default: return false
            }
        }
        func name(_ id: NodeID) -> String? {
            if isTransparent(id) { return nil }
            switch graph[id].op {
            case .leaf(.input(let name, _)), .leaf(.param(let name, _)): return name
            case .leaf(.constant(let value)): return formatNumber(value)
            case .leaf(.size): return nil
            default: break
            }
            if id.index < program.forwardNodeCount, let user = program.forward.valueNames[id] { return user }
            return "%\(id.index)"
        }
        var builder = FormulaBuilder(graph: graph, program: program, uses: [:], operandName: name)
        var lines: [String] = []
        for id in live where id.index >= program.forwardNodeCount && !isTransparent(id) {
            if case .leaf = graph[id].op { continue }
            let formula = FormulaPrinter.print(builder.formula(id, top: true), notation)
            let label = rootNames[id] ?? "%\(id.index)"
            lines.append("\(label): \(graph[id].shape) = \(formula)")
        }
        // A gradient that is a forward value or a transparent wrapper still gets its line.
        for (param, node) in program.gradients where node.index < program.forwardNodeCount || isTransparent(node) {
            let formula = FormulaPrinter.print(builder.formula(node, top: true), notation)
            lines.append("\(GradientProgram.gradientName(loss: graph.roots[0].name, param: param)): \(graph[node].shape) = \(formula)")
        }
        return lines
    }
}
