import AdjointIR

/// The reverse-mode program as a person reads it: one line per value the reverse pass computes,
/// `%41: [batch, 10] = softmax(logits) ⊙ %40 − y`, in the order it computes them. Forward values
/// appear by their names; an unnamed forward value the reverse pass reuses (a pre-activation) gets
/// a line of its own first, marked `(forward)`, so the listing is self-contained. Broadcasts and
/// reshapes are implicit in the notation.
public enum AdjointProgramPrinter {
    public static func lines(_ program: GradientProgram, notation: FormulaPrinter.Notation = .text) -> [String] {
        let graph = program.graph
        let live = graph.live()
        var rootNames: [NodeID: String] = [:]
        // Params with one gradient node (x and y in `(x + y) z`) share its line.
        for root in graph.roots.dropFirst() { rootNames[root.node] = rootNames[root.node].map { "\($0), \(root.name)" } ?? root.name }
        func isTransparent(_ id: NodeID) -> Bool {
            switch graph[id].op {
            case .structural(.broadcast), .structural(.reshape): return true
            default: return false
            }
        }
        var reusedForward: Set<NodeID> = []
        func name(_ id: NodeID) -> String? {
            if isTransparent(id) { return nil }
            switch graph[id].op {
            case .leaf(.input(let name, _)), .leaf(.intInput(let name, _)), .leaf(.tensorConstant(let name, _, _)),
                .leaf(.param(let name, _)), .leaf(.state(let name, _)):
                return name
            case .leaf(.gradient(let param, _)): return GradientProgram.gradientName(loss: graph.roots[0].name, param: param)
            case .leaf(.constant(let value, let name)): return name ?? formatNumber(value)
            case .leaf(.size): return nil
            default: break
            }
            if id.index < program.forwardNodeCount {
                if let user = program.forward.valueNames[id] { return user }
                reusedForward.insert(id)
            }
            return "%\(id.index)"
        }
        var builder = FormulaBuilder(graph: graph, naming: .init(program), uses: [:], operandName: name)
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
        // The unnamed forward values used above, and those they use in turn.
        var forwardLines: [NodeID: String] = [:]
        var work = Array(reusedForward)
        reusedForward = []
        while let id = work.popLast() {
            guard forwardLines[id] == nil else { continue }
            let formula = FormulaPrinter.print(builder.formula(id, top: true), notation)
            forwardLines[id] = "%\(id.index): \(graph[id].shape) = \(formula)  (forward)"
            work += reusedForward
            reusedForward = []
        }
        return forwardLines.keys.sorted().map { forwardLines[$0]! } + lines
    }
}
