import AdjointIR

/// Evaluates graphs in double precision: the reference that gradient checks and generated kernels
/// are compared with.
public enum Interpreter {
    /// The values of the nodes the roots need. `bindings` gives every input and param by name,
    /// `dims` every runtime dim; `state` the update rule's state by slot name and `gradients` the
    /// gradient leaves by param name, for graphs that have them; `stream` where the random
    /// stream stands (the draws of `normal`, `uniform` and `dropout`).
    public static func evaluate(
        _ graph: Graph, bindings: [String: Tensor], dims: [String: Int], state: [String: Tensor] = [:],
        gradients: [String: Tensor] = [:], stream: RandomStream = RandomStream()
    ) -> [NodeID: Tensor] {
        var values: [NodeID: Tensor] = [:]
        func bound(_ value: Tensor?, _ name: String) -> Tensor {
            guard let value else { preconditionFailure("internal error: '\(name)' is not bound") }
            return value
        }
        for id in graph.live() {
            let node = graph[id]
            switch node.op {
            case .leaf(.input(let name, _)), .leaf(.intInput(let name, _)), .leaf(.param(let name, _)): values[id] = bound(bindings[name], name)
            case .leaf(.state(let name, _)): values[id] = bound(state[name], name)
            case .leaf(.gradient(let name, _)): values[id] = bound(gradients[name], "∂/∂\(name)")
            case .leaf(.random(let draw)): values[id] = draw.evaluate(dims: dims, seed: stream.seed, t: stream.t)
            default:
                values[id] = node.op.evaluate(node.operands.map { values[$0]! }, dims: dims)
            }
        }
        return values
    }

    /// The value of each root, by name.
    public static func roots(
        _ graph: Graph, bindings: [String: Tensor], dims: [String: Int], stream: RandomStream = RandomStream()
    ) -> [String: Tensor] {
        let values = evaluate(graph, bindings: bindings, dims: dims, stream: stream)
        return Dictionary(graph.roots.map { ($0.name, values[$0.node]!) }, uniquingKeysWith: { first, _ in first })
    }
}

extension Interpreter {
    /// The most scalars the interpreter holds for one evaluation (2^27 doubles, 1 GiB): a model
    /// or a runtime size beyond it is refused with a message rather than exhausting memory.
    public static let maxElements = 1 << 27

    /// The number of scalars evaluating every live node of `graph` takes, or nil if it exceeds
    /// `maxElements` (counted without overflow).
    public static func elementCount(_ graph: Graph, dims: [String: Int]) -> Int? {
        var total = 0
        for id in graph.live() {
            var count = 1
            for dim in graph[id].shape.dims {
                let (product, overflow) = count.multipliedReportingOverflow(by: concreteSize(dim, dims))
                guard !overflow, product <= maxElements else { return nil }
                count = product
            }
            total += count
            if total > maxElements { return nil }
        }
        return total
    }
}
