import AdjointAutodiff
import AdjointIR

/// Training steps in the reference interpreter: what `NAME_step` computes, in double precision.
public enum Training {
    /// Where training stands: the params and the update rule's state.
    public struct Point: Sendable {
        /// Every param (and, for convenience, every input) by name.
        public var bindings: [String: Tensor]
        /// The update rule's state by slot name (`t` a scalar).
        public var state: [String: Tensor]
        /// The random stream's seed (`NAME_state`'s `seed`): a step draws at (seed, t).
        public var seed: UInt64

        public init(bindings: [String: Tensor], state: [String: Tensor], seed: UInt64 = 0) {
            self.bindings = bindings
            self.state = state
            self.seed = seed
        }

        /// Where the stream stands for the next step: the seed and the step count before it.
        public var stream: RandomStream {
            RandomStream(seed: seed, t: Int64(state[UpdateProgram.stepCount]?.scalar ?? 0))
        }
    }

    /// The state `NAME_state_init` makes: every moment zero and `t = 0`.
    public static func initialState(_ update: UpdateProgram) -> [String: Tensor] {
        Dictionary(
            update.slots.map { ($0.name, Tensor(repeating: 0, sizes: $0.shape.sizes([:]))) },
            uniquingKeysWith: { first, _ in first })
    }

    /// One fused step of `update` (made by `UpdateProgram.step`): the loss at the params given
    /// and the point after the update.
    public static func step(_ update: UpdateProgram, from point: Point, dims: [String: Int]) -> (loss: Double, next: Point) {
        let values = Interpreter.evaluate(update.graph, bindings: point.bindings, dims: dims, state: point.state, stream: point.stream)
        var next = point
        for (param, node) in update.newParams { next.bindings[param] = values[node]! }
        for (slot, node) in update.newState { next.state[slot] = values[node]! }
        return (update.loss.map { values[$0]!.scalar } ?? .nan, next)
    }

    /// `count` steps from `point`, on the same inputs: each step's loss and the final point.
    public static func steps(_ update: UpdateProgram, from point: Point, dims: [String: Int], count: Int)
        -> (losses: [Double], final: Point)
    {
        var current = point
        var losses: [Double] = []
        for _ in 0..<count {
            let (loss, next) = step(update, from: current, dims: dims)
            losses.append(loss)
            current = next
        }
        return (losses, current)
    }

    /// `NAME_apply`: the update alone, on given gradients (`update` made by `UpdateProgram.apply`).
    public static func apply(
        _ update: UpdateProgram, params: [String: Tensor], gradients: [String: Tensor], state: [String: Tensor], seed: UInt64 = 0
    ) -> Point
    {
        let values = Interpreter.evaluate(update.graph, bindings: params, dims: [:], state: state, gradients: gradients)
        var next = Point(bindings: params, state: state, seed: seed)
        for (param, node) in update.newParams { next.bindings[param] = values[node]! }
        for (slot, node) in update.newState { next.state[slot] = values[node]! }
        return next
    }
}
