import AdjointIR

/// An integer id outside the axis it indexes (or a class label outside the classes): the
/// interpreter reports it rather than reading out of bounds.
public struct BadId: Error, Hashable, Sendable, CustomStringConvertible {
    /// The `int` input the ids come from, when they are that input or a view of it.
    public var input: String?
    /// Whether `position` is the input's own (the ids are the input itself, not a view of it).
    public var isInputPosition: Bool
    /// The position of the bad id in the ids tensor, row-major.
    public var position: [Int]
    public var value: Double
    /// Valid ids are `0..<bound`.
    public var bound: Int

    public init(input: String?, isInputPosition: Bool, position: [Int], value: Double, bound: Int) {
        self.input = input
        self.isInputPosition = isInputPosition
        self.position = position
        self.value = value
        self.bound = bound
    }

    public var description: String {
        let where_ = position.isEmpty ? "" : "[" + position.map(String.init).joined(separator: ", ") + "]"
        let what: String
        switch (input, isInputPosition) {
        case (let name?, true): what = "\(name)\(where_)"
        case (let name?, false): what = "an id taken from '\(name)' (at \(where_.isEmpty ? "[]" : where_) of the ids it gives)"
        case (nil, _): what = "the id at \(where_.isEmpty ? "[]" : where_)"
        }
        return "\(what) is \(formatNumber(value)), outside 0..<\(bound)"
    }
}

extension Interpreter {
    /// The first id out of range, in graph order then row-major order, among every op of `graph`
    /// that reads by id (`take`, `pick`, `one_hot`, `scatter_add`), given the values `evaluate`
    /// computed; nil when every id is valid.
    public static func badId(_ graph: Graph, values: [NodeID: Tensor], dims: [String: Int]) -> BadId? {
        for id in graph.live() {
            guard case .indexing(let op) = graph[id].op, let idsIndex = op.idsOperand,
                let bound = op.idBound(graph[id].operands.map { graph[$0].shape })
            else { continue }
            let idsNode = graph[id].operands[idsIndex]
            guard let ids = values[idsNode] else { continue }
            let size = concreteSize(bound.size, dims)
            var bad: (Int, Double)?
            for (flat, value) in ids.scalars.enumerated() where !(value >= 0 && value < Double(size) && value == value.rounded(.down)) {
                bad = (flat, value)
                break
            }
            guard let (flat, value) = bad else { continue }
            var position: [Int] = []
            var rest = flat
            for size in ids.sizes.reversed() {
                position.append(rest % size)
                rest /= size
            }
            let (input, direct) = source(of: idsNode, in: graph)
            return BadId(input: input, isInputPosition: direct, position: position.reversed(), value: value, bound: size)
        }
        return nil
    }

    /// The `int` input that ids come from through views, and whether they are that input itself.
    static func source(of id: NodeID, in graph: Graph) -> (String?, Bool) {
        var node = id
        var direct = true
        while true {
            switch graph[node].op {
            case .leaf(.intInput(let name, _)): return (name, direct)
            case _ where graph[node].op.lowering == .view && graph[node].operands.count == 1:
                node = graph[node].operands[0]
                direct = false
            default: return (nil, false)
            }
        }
    }

    /// For each `int` input that ops read ids from (directly or through views), the number of
    /// valid ids: the smallest bound among its uses, so that ids drawn in `0..<bound` are valid
    /// everywhere (what `check` and the tests draw integer inputs from).
    public static func idBounds(_ graph: Graph, dims: [String: Int]) -> [String: Int] {
        var bounds: [String: Int] = [:]
        for id in graph.live() {
            guard case .indexing(let op) = graph[id].op, let idsIndex = op.idsOperand,
                let bound = op.idBound(graph[id].operands.map { graph[$0].shape })
            else { continue }
            let size = concreteSize(bound.size, dims)
            for name in idInputs(of: graph[id].operands[idsIndex], in: graph) { bounds[name] = min(bounds[name] ?? size, size) }
        }
        return bounds
    }

    /// Every `int` input whose values ids may be: through views, each operand of a `concat`, and
    /// the table of a `take` or `pick` of an `int` tensor (`take(ids, other)` holds ids' values).
    static func idInputs(of id: NodeID, in graph: Graph) -> Set<String> {
        var names: Set<String> = []
        var stack = [id]
        var seen: Set<NodeID> = []
        while let node = stack.popLast() {
            guard seen.insert(node).inserted, graph[node].element == .int else { continue }
            switch graph[node].op {
            case .leaf(.intInput(let name, _)): names.insert(name)
            case .indexing(.concat): stack += graph[node].operands
            case .indexing(.take), .indexing(.pick): stack.append(graph[node].operands[0])
            case _ where graph[node].op.lowering == .view && graph[node].operands.count == 1: stack.append(graph[node].operands[0])
            default: break
            }
        }
        return names
    }

    /// `evaluate`, refusing ids out of range with the first one (the values of the ops that read
    /// them would be NaN).
    public static func checkedEvaluate(
        _ graph: Graph, bindings: [String: Tensor], dims: [String: Int], state: [String: Tensor] = [:],
        gradients: [String: Tensor] = [:]
    ) throws(BadId) -> [NodeID: Tensor] {
        let values = evaluate(graph, bindings: bindings, dims: dims, state: state, gradients: gradients)
        if let bad = badId(graph, values: values, dims: dims) { throw bad }
        return values
    }
}
