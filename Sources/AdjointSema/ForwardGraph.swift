import AdjointIR

/// The checked program as a tensor graph: every input, param, named value and the minimized
/// scalar become nodes (shared where equal), with roots naming the values a person wrote.
public struct ForwardGraph: Sendable {
    public var graph: Graph
    /// Each param's leaf, in declaration order.
    public var params: [(name: String, node: NodeID)]
    /// Each input's leaf, in declaration order.
    public var inputs: [(name: String, node: NodeID)]
    /// The minimized scalar.
    public var loss: NodeID
    /// Names the user gave to values (`h`, `logits`), for printing.
    public var valueNames: [NodeID: String]

    public init(
        graph: Graph, params: [(name: String, node: NodeID)], inputs: [(name: String, node: NodeID)], loss: NodeID,
        valueNames: [NodeID: String]
    ) {
        self.graph = graph
        self.params = params
        self.inputs = inputs
        self.loss = loss
        self.valueNames = valueNames
    }
}

extension CheckedProgram {
    /// Builds the forward graph. Roots: the minimized value (named as in `objective`) and each output.
    /// `training` false: each draw from the random stream (`normal`, `uniform`, dropout's mask) is
    /// its predict value instead (0, 0.5, 1), so `predict` draws nothing and dropout is the identity.
    public func forwardGraph(training: Bool = true) -> ForwardGraph {
        var graph = Graph()
        var bindings: [String: NodeID] = [:]
        var paramNodes: [(String, NodeID)] = []
        var inputNodes: [(String, NodeID)] = []
        for input in inputs {
            let leaf: Leaf = input.element == .int ? .intInput(input.name, input.shape) : .input(input.name, input.shape)
            let node = graph.add(.leaf(leaf), [])
            bindings[input.name] = node
            inputNodes.append((input.name, node))
        }
        for constant in constants {
            guard let (shape, pattern) = constant.tensor else { continue }
            bindings[constant.name] = graph.add(.leaf(.tensorConstant(constant.name, shape, pattern)), [])
        }
        for param in params {
            let node = graph.add(.leaf(.param(param.name, param.shape)), [])
            bindings[param.name] = node
            paramNodes.append((param.name, node))
        }
        var valueNames: [NodeID: String] = [:]
        for value in values {
            let node = lower(value.expr, &graph, bindings, training: training)
            bindings[value.name] = node
            if valueNames[node] == nil { valueNames[node] = value.name }
        }
        let loss = lower(objective.expr, &graph, bindings, training: training)
        if valueNames[loss] == nil { valueNames[loss] = objective.name }
        graph.roots = [Graph.Root(name: objective.name, node: loss)]
            + outputs.map { Graph.Root(name: $0, node: bindings[$0]!) }
        return ForwardGraph(graph: graph, params: paramNodes, inputs: inputNodes, loss: loss, valueNames: valueNames)
    }

    private func lower(_ expr: TypedExpr, _ graph: inout Graph, _ bindings: [String: NodeID], training: Bool) -> NodeID {
        func lower(_ expr: TypedExpr, _ graph: inout Graph, _ bindings: [String: NodeID]) -> NodeID {
            self.lower(expr, &graph, bindings, training: training)
        }
        switch expr.kind {
        case .apply(.leaf(.random(let draw)), _) where !training:
            return graph.broadcast(graph.constant(draw.predictValue), to: draw.shape)
        case .constant(let value, let name):
            // A named const is its own node, apart from literals of its value (see `Leaf.constant`).
            return graph.add(.leaf(.constant(value, name: name)), [])
        case .input(let name), .tensorConstant(let name), .param(let name), .value(let name): return bindings[name]!
        case .apply(let op, let operands): return graph.add(op, operands.map { lower($0, &graph, bindings) })
        case .chain(let first, let links):
            // Balanced when long: see `Graph.chain`.
            let start = lower(first, &graph, bindings)
            return graph.chain(start, links.map { ($0.op, lower($0.operand, &graph, bindings)) })
        }
    }
}
