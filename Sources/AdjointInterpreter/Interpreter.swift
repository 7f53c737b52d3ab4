import AdjointIR

/// Evaluates graphs in double precision: the reference that gradient checks and generated kernels
/// are compared with.
public enum Interpreter {
    /// The values of the nodes the roots need. `bindings` gives every input and param by name,
    /// `dims` every runtime dim.
    public static func evaluate(_ graph: Graph, bindings: [String: Tensor], dims: [String: Int]) -> [NodeID: Tensor] {
        var values: [NodeID: Tensor] = [:]
        for id in graph.live() {
            let node = graph[id]
            switch node.op {
            case .leaf(.input(let name, _)), .leaf(.param(let name, _)):
                guard let value = bindings[name] else { preconditionFailure("internal error: '\(name)' is not bound") }
                values[id] = value
            default:
                values[id] = node.op.evaluate(node.operands.map { values[$0]! }, dims: dims)
            }
        }
        return values
    }

    /// The value of each root, by name.
    public static func roots(_ graph: Graph, bindings: [String: Tensor], dims: [String: Int]) -> [String: Tensor] {
        let values = evaluate(graph, bindings: bindings, dims: dims)
        return Dictionary(graph.roots.map { ($0.name, values[$0.node]!) }, uniquingKeysWith: { first, _ in first })
    }
}
