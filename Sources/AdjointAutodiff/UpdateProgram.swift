import AdjointIR
import AdjointSema

/// The update rule of `minimize ... using RULE(...)` as IR: from each param's value and gradient,
/// the param's next value and the rule's next state, as ordinary nodes, so that the same
/// simplifier, printers, interpreter and code generators handle it. The arithmetic follows
/// PyTorch's `torch.optim` algorithms operation for operation (see `UpdateProgram.build`).
public struct UpdateProgram: Sendable {
    /// One field of the rule's state: a moment of one param, or the step count `t`.
    public struct Slot: Sendable, Hashable {
        /// `m_W1`, `v_W1`, `s_W1`, or `t`.
        public var name: String
        /// The param's shape, or a scalar for `t`.
        public var shape: Shape
        /// The param the moment belongs to; nil for the step count.
        public var param: String?

        public init(name: String, shape: Shape, param: String?) {
            self.name = name
            self.shape = shape
            self.param = param
        }
    }

    /// The name of the step-count slot, always the last slot.
    public static let stepCount = "t"

    public var rule: UpdateRule
    /// The update (and, for `step`, the forward and reverse programs) in one graph. Roots: the loss
    /// (step only), then each new param value (`W1 ←`), then each new state value (`m_W1 ←`).
    public var graph: Graph
    /// The state's fields in order: each moment kind for every param in declaration order, then `t`.
    public var slots: [Slot]
    /// Each param's value after the update, in declaration order.
    public var newParams: [(param: String, node: NodeID)]
    /// Each slot's value after the update (`t` becomes `t + 1`), in slot order.
    public var newState: [(slot: String, node: NodeID)]
    /// `step` only: the loss at the params given (before the update).
    public var loss: NodeID?
    /// Each param's gradient: `gradient` leaves for `apply`, reverse-mode nodes for `step` (which
    /// the update's arithmetic may have folded into its own nodes, so they need not be live).
    public var gradients: [(param: String, node: NodeID)]
    /// Names for the shared values of the update (`lr_t`, `g_W1`), for printing formulas.
    public var valueNames: [NodeID: String]
    /// Nodes below this index were there before the update was added (forward and reverse pass).
    public var updateStart: Int

    /// The root name of a value after the update: `W1 ←`.
    public static func rootName(_ name: String) -> String { "\(name) ←" }

    /// `NAME_apply`: the update alone. Leaves: each param, its gradient (`gradient` leaves) and the state.
    public static func apply(_ program: CheckedProgram) -> UpdateProgram {
        var graph = Graph()
        let params = program.params.map { param in
            (
                name: param.name, shape: param.shape,
                value: graph.add(.leaf(.param(param.name, param.shape)), []),
                gradient: graph.add(.leaf(.gradient(param.name, param.shape)), [])
            )
        }
        return build(program.updateRule, params: params, graph: graph, loss: nil, lossName: program.objective.name)
    }

    /// `NAME_step`: forward, reverse pass and update in one graph. Leaves: inputs, params, state.
    public static func step(_ program: CheckedProgram) -> UpdateProgram {
        step(ReverseMode.differentiate(program.forwardGraph()), rule: program.updateRule)
    }

    /// The update added on top of a gradient program (which must differentiate every param).
    public static func step(_ gradient: GradientProgram, rule: UpdateRule) -> UpdateProgram {
        let nodes = Dictionary(gradient.gradients.map { ($0.param, $0.node) }, uniquingKeysWith: { first, _ in first })
        let params = gradient.forward.params.map { param in
            (name: param.name, shape: gradient.graph[param.node].shape, value: param.node, gradient: nodes[param.name]!)
        }
        let lossName = gradient.graph.roots.first?.name ?? "loss"
        var result = build(rule, params: params, graph: gradient.graph, loss: gradient.forward.loss, lossName: lossName)
        for (node, name) in gradient.forward.valueNames where result.valueNames[node] == nil { result.valueNames[node] = name }
        return result
    }
}

// MARK: - The rules
extension UpdateProgram {
    /// Adds the rule's update to `graph`. For each param `p` with gradient `g`:
    /// - `clip_norm` (all rules): `g ← g · min(1, clip_norm / (‖g‖ + 1e-6))`, the norm over every
    ///   param's gradient together (`torch.nn.utils.clip_grad_norm_`);
    /// - `weight_decay` (sgd, momentum, adam): `g ← g + weight_decay · p`;
    /// - then the rule of `torch.optim`, with `t ← t + 1` first.
    static func build(
        _ rule: UpdateRule, params: [(name: String, shape: Shape, value: NodeID, gradient: NodeID)], graph start: Graph,
        loss: NodeID?, lossName: String
    ) -> UpdateProgram {
        var g = start
        // Each param's update adds at most about 20 nodes (Adam with clipping and decay).
        g.reserveCapacity(20 * params.count + 16)
        let updateStart = g.nodes.count
        var names: [NodeID: String] = [:]
        func value(_ name: String) -> Double { rule[name] ?? 0 }
        func constant(_ value: Double) -> NodeID { g.constant(value) }

        let t = g.add(.leaf(.state(stepCount, .scalar)), [])
        let tNext = g.plus(t, constant(1))

        // Gradient clipping by the global norm.
        var gradients = params.map(\.gradient)
        if let clipNorm = rule["clip_norm"] {
            var total: NodeID?
            for gradient in gradients {
                let squares = g.reduce(.sum, g.apply(.square, gradient), axis: nil)
                total = total.map { g.plus($0, squares) } ?? squares
            }
            let norm = g.apply(.sqrt, total ?? constant(0))
            let coefficient = g.apply(.minimum, g.divided(constant(clipNorm), g.plus(norm, constant(1e-6))), constant(1))
            names[norm] = "‖g‖"
            names[coefficient] = "clip"
            gradients = zip(params, gradients).map { param, gradient in
                let clipped = g.times(coefficient, gradient)
                names[clipped] = "g_\(param.name)"
                return clipped
            }
        }

        let lr = value("lr")
        let decay = value("weight_decay")
        var slots: [Slot] = []
        var newState: [(String, NodeID)] = []
        var newParams: [(String, NodeID)] = []
        /// Adds a moment slot for every param (`prefix_p`), returning their leaves.
        func moments(_ prefix: String) -> [NodeID] {
            params.map { param in
                let slot = Slot(name: "\(prefix)_\(param.name)", shape: param.shape, param: param.name)
                slots.append(slot)
                return g.add(.leaf(.state(slot.name, slot.shape)), [])
            }
        }
        // Coupled weight decay: g + λ p (PyTorch's sgd, momentum and adam).
        if decay != 0 && rule.kind != .adamw {
            gradients = zip(params, gradients).map { param, gradient in
                let decayed = g.plus(gradient, g.times(constant(decay), param.value))
                names[decayed] = "g_\(param.name)"
                return decayed
            }
        }

        switch rule.kind {
        case .sgd:
            // p ← p − η g
            for (param, gradient) in zip(params, gradients) {
                newParams.append((param.name, g.minus(param.value, g.times(constant(lr), gradient))))
            }
        case .momentum:
            // v ← μ v + g; p ← p − η v, or with Nesterov p ← p − η (g + μ v)
            let mu = value("momentum")
            let velocities = moments("v")
            for (index, param) in params.enumerated() {
                let gradient = gradients[index]
                let velocity = g.plus(g.times(constant(mu), velocities[index]), gradient)
                newState.append((slots[index].name, velocity))
                let direction = value("nesterov") == 1 ? g.plus(gradient, g.times(constant(mu), velocity)) : velocity
                newParams.append((param.name, g.minus(param.value, g.times(constant(lr), direction))))
            }
        case .adagrad, .rmsprop:
            // Adagrad: s ← s + g²; RMSProp: s ← α s + (1 − α) g²; then p ← p − η g / (√s + ε)
            let eps = value("eps")
            let alpha = value("alpha")
            let sums = moments("s")
            for (index, param) in params.enumerated() {
                let gradient = gradients[index]
                let squared = g.apply(.square, gradient)
                let sum = rule.kind == .adagrad
                    ? g.plus(sums[index], squared)
                    : g.plus(g.times(constant(alpha), sums[index]), g.times(constant(1 - alpha), squared))
                newState.append((slots[index].name, sum))
                let denominator = g.plus(g.apply(.sqrt, sum), constant(eps))
                newParams.append((param.name, g.minus(param.value, g.times(constant(lr), g.divided(gradient, denominator)))))
            }
        case .adam, .adamw:
            // m ← β₁ m + (1 − β₁) g; v ← β₂ v + (1 − β₂) g²; with the bias corrections
            // bc1 = 1 − β₁ᵗ and bc2 = 1 − β₂ᵗ: p ← p − lr_t m / (√v / bc2_sqrt + ε) with
            // lr_t = η / bc1 and bc2_sqrt = √bc2, as PyTorch computes it.
            // AdamW first decays the param itself: p ← p (1 − η λ).
            let (beta1, beta2, eps) = (value("beta1"), value("beta2"), value("eps"))
            let firsts = moments("m")
            let seconds = moments("v")
            let bc1 = g.minus(constant(1), g.apply(.power, constant(beta1), tNext))
            let bc2 = g.minus(constant(1), g.apply(.power, constant(beta2), tNext))
            let stepSize = g.divided(constant(lr), bc1)
            let bc2Root = g.apply(.sqrt, bc2)
            names[stepSize] = "lr_t"
            names[bc2Root] = "bc2_sqrt"
            for (index, param) in params.enumerated() {
                let gradient = gradients[index]
                let m = g.plus(g.times(constant(beta1), firsts[index]), g.times(constant(1 - beta1), gradient))
                let v = g.plus(g.times(constant(beta2), seconds[index]), g.times(constant(1 - beta2), g.apply(.square, gradient)))
                newState.append((slots[index].name, m))
                newState.append((slots[params.count + index].name, v))
                var current = param.value
                if rule.kind == .adamw && decay != 0 {
                    current = g.times(constant(1 - lr * decay), current)
                }
                let denominator = g.plus(g.divided(g.apply(.sqrt, v), bc2Root), constant(eps))
                newParams.append((param.name, g.minus(current, g.times(stepSize, g.divided(m, denominator)))))
            }
            // Slot order: every m, then every v.
            let position = Dictionary(slots.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
            newState.sort { a, b in position[a.0]! < position[b.0]! }
        }
        slots.append(Slot(name: stepCount, shape: .scalar, param: nil))
        newState.append((stepCount, tNext))

        var roots: [Graph.Root] = []
        if let loss { roots.append(Graph.Root(name: lossName, node: loss)) }
        roots += newParams.map { Graph.Root(name: rootName($0.0), node: $0.1) }
        roots += newState.map { Graph.Root(name: rootName($0.0), node: $0.1) }
        g.roots = roots
        return UpdateProgram(
            rule: rule, graph: g, slots: slots, newParams: newParams, newState: newState, loss: loss,
            gradients: zip(params, params.map(\.gradient)).map { ($0.name, $1) }, valueNames: names,
            updateStart: updateStart)
    }
}
