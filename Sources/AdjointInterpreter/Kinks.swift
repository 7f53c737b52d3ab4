import AdjointIR
import AdjointSema

/// Ops evaluated exactly at a point where they are not differentiable: `relu`, `abs` and
/// `leaky_relu` at an input of 0, `max` and `min` at a tie (of two tensors, or within a slice they
/// reduce). There the reverse mode takes one
/// side's derivative (relu's 0, max's 1 towards `a`) while central differences average both
/// sides, so a gradient check fails without anything being wrong; zero-initialized params make
/// this common (`relu(x @ W)` with `W = 0`). `adjoint check` prints these as hints beside a failure.
public enum Kinks {
    /// One op at its kink.
    public struct Kink: Sendable, Equatable {
        /// The op's name in model files (`relu`, `max`).
        public var op: String
        /// The value the model names it by (`h` for `h = relu(...)`), if it has a name.
        public var value: String?
        /// Elements at the kink, of `count`.
        public var atKink: Int
        public var count: Int
        /// The params whose gradient flows through the op, in declaration order.
        public var params: [String]

        /// One line for `adjoint check`'s output.
        public var hint: String {
            let place = value.map { "\($0) = \(op)(...)" } ?? op
            let point = op == "max" || op == "min" ? "has tied operands" : "has its input exactly at 0"
            return "hint: \(place) \(point) at \(atKink) of \(count) elements, where it has no derivative "
                + "(reverse mode takes one side, central differences average both); "
                + "it lies on the gradient of \(params.joined(separator: ", ")): try another --seed or nonzero initializers"
        }
    }

    /// The ops at their kinks when the program is evaluated at `bindings`.
    public static func find(_ program: CheckedProgram, bindings: [String: Tensor], dims: [String: Int]) -> [Kink] {
        let forward = program.forwardGraph()
        let graph = forward.graph
        let values = Interpreter.evaluate(graph, bindings: bindings, dims: dims)
        let order = forward.params.map(\.name)
        var dependsOn: [NodeID: Set<String>] = [:]
        var kinks: [Kink] = []
        for id in graph.live() {
            let node = graph[id]
            if case .leaf(.param(let name, _)) = node.op {
                dependsOn[id] = [name]
                continue
            }
            let params = node.operands.reduce(into: Set<String>()) { $0.formUnion(dependsOn[$1] ?? []) }
            dependsOn[id] = params
            let operands = node.operands.compactMap { values[$0] }
            guard !params.isEmpty, operands.count == node.operands.count else { continue }
            let atKink: Int
            switch node.op {
            case .elementwise(.relu), .elementwise(.abs), .elementwise(.leakyRelu):
                atKink = operands[0].scalars.count { $0 == 0 }
            case .arithmetic(.maximum), .arithmetic(.minimum):
                atKink = Tensor.zip(operands[0], operands[1]) { $0 == $1 ? 1 : 0 }.scalars.count { $0 == 1 }
            case .reduction(.max, let axis?), .reduction(.min, let axis?):
                // A slice whose extreme is reached twice (the derivative takes the first).
                let (a, result) = (operands[0], values[id]!)
                let length = a.sizes[axis]
                let inner = a.sizes[(axis + 1)...].reduce(1, *)
                atKink = result.scalars.indices.count { r in
                    let (o, i) = (r / inner, r % inner)
                    return (0..<length).count { a.scalars[(o * length + $0) * inner + i] == result.scalars[r] } > 1
                }
            default:
                continue
            }
            guard atKink > 0 else { continue }
            kinks.append(
                Kink(
                    op: node.op.name, value: forward.valueNames[id], atKink: atKink, count: values[id]?.count ?? atKink,
                    params: order.filter(params.contains)))
        }
        return kinks
    }
}
