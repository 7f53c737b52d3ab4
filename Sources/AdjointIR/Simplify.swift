/// Algebraic simplification, applied to every node as it is added to a graph (so derivative rules
/// can be written plainly and still give small programs). Each rule is named `lhs -> rhs`; a rule
/// returns the replacement node, or nil when it does not apply. Rules only ever make a node
/// smaller or move scalars outward, so rewriting terminates.
public enum Simplifier {
    /// One rewrite rule.
    public struct Rule: Sendable {
        public var name: String
        var rewrite: @Sendable (Op, [NodeID], inout Graph) -> NodeID?
    }

    /// Tries the rules in order; the first that applies wins.
    static func simplify(_ op: Op, _ operands: [NodeID], in graph: inout Graph) -> NodeID? {
        for rule in rules {
            if let result = rule.rewrite(op, operands, &graph) { return result }
        }
        return nil
    }

    /// The rule named `name` (for tests).
    public static func rule(_ name: String) -> Rule? { rules.first { $0.name == name } }

    /// The named const among two constant operands that `op` returns unchanged (`scale * 1`,
    /// `0 + scale`, `scale / 1`), if there is one.
    static func namedIdentityOperand(_ op: Arithmetic, _ operands: [NodeID], _ values: [Double], _ graph: Graph) -> NodeID? {
        func isNamed(_ id: NodeID) -> Bool {
            if case .leaf(.constant(_, _?)) = graph[id].op { return true }
            return false
        }
        let (a, b) = (operands[0], operands[1])
        switch op {
        case .add:
            if isNamed(a) && values[1] == 0 { return a }
            if isNamed(b) && values[0] == 0 { return b }
        case .multiply:
            if isNamed(a) && values[1] == 1 { return a }
            if isNamed(b) && values[0] == 1 { return b }
        case .subtract, .divide, .power:
            if isNamed(a) && values[1] == (op == .subtract ? 0 : 1) { return a }
        case .maximum, .minimum, .greaterEqual, .less, .lessEqual, .greater, .equal, .notEqual, .masked: break
        }
        return nil
    }

    public static let rules: [Rule] = [
        // Constant folding: an arithmetic or elementwise op of scalar constants is a constant.
        Rule(name: "f(c1, c2) -> c") { op, operands, graph in
            guard !operands.isEmpty, operands.allSatisfy({ graph[$0].shape.isScalar }) else { return nil }
            switch op {
            case .elementwise, .arithmetic: break
            default: return nil
            }
            let values = operands.compactMap { id -> Double? in
                if case .leaf(.constant(let value, _)) = graph[id].op { return value }
                return nil
            }
            guard values.count == operands.count else { return nil }
            // A named const times 1 (plus 0, ...) stays itself, so formulas show its name
            // (`scale cos(v)`) rather than an unnamed number of its value.
            if case .arithmetic(let arithmetic) = op, let kept = namedIdentityOperand(arithmetic, operands, values, graph) { return kept }
            return graph.constant(op.evaluate(values.map { Tensor($0) }, dims: [:]).scalar)
        },
        Rule(name: "x + 0 -> x") { op, operands, graph in
            guard op == .arithmetic(.add) else { return nil }
            return graph.keeping(operands[0], if: graph.constantValue(operands[1]) == 0, shapeOf: operands)
                ?? graph.keeping(operands[1], if: graph.constantValue(operands[0]) == 0, shapeOf: operands)
        },
        Rule(name: "x - 0 -> x") { op, operands, graph in
            guard op == .arithmetic(.subtract) else { return nil }
            return graph.keeping(operands[0], if: graph.constantValue(operands[1]) == 0, shapeOf: operands)
        },
        Rule(name: "0 - x -> -x") { op, operands, graph in
            guard op == .arithmetic(.subtract), graph.constantValue(operands[0]) == 0,
                graph[operands[1]].shape == graph.resultShape(op, operands)
            else { return nil }
            return graph.negate(operands[1])
        },
        Rule(name: "x - (-y) -> x + y") { op, operands, graph in
            guard op == .arithmetic(.subtract), case .elementwise(.negate) = graph[operands[1]].op else { return nil }
            return graph.plus(operands[0], graph[operands[1]].operands[0])
        },
        Rule(name: "x + (-y) -> x - y") { op, operands, graph in
            guard op == .arithmetic(.add), case .elementwise(.negate) = graph[operands[1]].op else { return nil }
            return graph.minus(operands[0], graph[operands[1]].operands[0])
        },
        Rule(name: "x * 1 -> x") { op, operands, graph in
            guard op == .arithmetic(.multiply) else { return nil }
            return graph.keeping(operands[0], if: graph.constantValue(operands[1]) == 1, shapeOf: operands)
                ?? graph.keeping(operands[1], if: graph.constantValue(operands[0]) == 1, shapeOf: operands)
        },
        // Assumes finite x, as every framework's simplifier does.
        Rule(name: "x * 0 -> 0") { op, operands, graph in
            guard op == .arithmetic(.multiply),
                graph.constantValue(operands[0]) == 0 || graph.constantValue(operands[1]) == 0
            else { return nil }
            return graph.filled(0, graph.resultShape(op, operands))
        },
        Rule(name: "-1 * x -> -x") { op, operands, graph in
            guard op == .arithmetic(.multiply), graph.constantValue(operands[0]) == -1,
                graph[operands[1]].shape == graph.resultShape(op, operands)
            else { return nil }
            return graph.negate(operands[1])
        },
        Rule(name: "x / 1 -> x") { op, operands, graph in
            guard op == .arithmetic(.divide) else { return nil }
            return graph.keeping(operands[0], if: graph.constantValue(operands[1]) == 1, shapeOf: operands)
        },
        Rule(name: "0 / x -> 0") { op, operands, graph in
            guard op == .arithmetic(.divide), graph.constantValue(operands[0]) == 0 else { return nil }
            return graph.filled(0, graph.resultShape(op, operands))
        },
        Rule(name: "x ^ 1 -> x") { op, operands, graph in
            guard op == .arithmetic(.power) else { return nil }
            return graph.keeping(operands[0], if: graph.constantValue(operands[1]) == 1, shapeOf: operands)
        },
        Rule(name: "--x -> x") { op, operands, graph in
            guard op == .elementwise(.negate), case .elementwise(.negate) = graph[operands[0]].op else { return nil }
            return graph[operands[0]].operands[0]
        },
        // Scalars move to the front of a product and gather there: 2 * (3 * x) is 6 * x.
        Rule(name: "x * s -> s * x") { op, operands, graph in
            guard op == .arithmetic(.multiply), graph[operands[1]].shape.isScalar, !graph[operands[0]].shape.isScalar
            else { return nil }
            return graph.times(operands[1], operands[0])
        },
        Rule(name: "c1 * (c2 * x) -> (c1 c2) * x") { op, operands, graph in
            guard op == .arithmetic(.multiply), case .leaf(.constant(let c1, _)) = graph[operands[0]].op,
                case .arithmetic(.multiply) = graph[operands[1]].op,
                case .leaf(.constant(let c2, _)) = graph[graph[operands[1]].operands[0]].op
            else { return nil }
            return graph.times(graph.constant(c1 * c2), graph[operands[1]].operands[1])
        },
        Rule(name: "(s * x) * y -> s * (x * y)") { op, operands, graph in
            guard op == .arithmetic(.multiply), !graph[operands[1]].shape.isScalar,
                case .arithmetic(.multiply) = graph[operands[0]].op,
                graph[graph[operands[0]].operands[0]].shape.isScalar, !graph[graph[operands[0]].operands[1]].shape.isScalar
            else { return nil }
            let inner = graph[operands[0]].operands
            return graph.times(inner[0], graph.times(inner[1], operands[1]))
        },
        Rule(name: "-(s * x) -> (-s) * x") { op, operands, graph in
            guard op == .elementwise(.negate), case .arithmetic(.multiply) = graph[operands[0]].op,
                case .leaf(.constant(let s, _)) = graph[graph[operands[0]].operands[0]].op
            else { return nil }
            return graph.times(graph.constant(-s), graph[operands[0]].operands[1])
        },
        Rule(name: "transpose(transpose(x)) -> x") { op, operands, graph in
            // Two permutations that undo each other (a matrix's transpose twice).
            guard case .linearAlgebra(.transpose(let outer)) = op, case .linearAlgebra(.transpose(let inner)) = graph[operands[0]].op,
                !outer.isEmpty, inner.count == outer.count, outer.map({ inner[$0] }) == Array(outer.indices)
            else { return nil }
            return graph[operands[0]].operands[0]
        },
        Rule(name: "transpose(transpose(x, p), q) -> transpose(x, p[q])") { op, operands, graph in
            // Two permutations in a row are one: result axis i reads x's axis p[q[i]].
            guard case .linearAlgebra(.transpose(let outer)) = op, case .linearAlgebra(.transpose(let inner)) = graph[operands[0]].op,
                !outer.isEmpty, inner.count == outer.count
            else { return nil }
            return graph.transpose(graph[operands[0]].operands[0], axes: outer.map { inner[$0] })
        },
        Rule(name: "transpose(x, identity) -> x") { op, operands, graph in
            // Empty axes are "reversed" (the built-in's), the identity at rank 0 and 1.
            guard case .linearAlgebra(.transpose(let axes)) = op, axes.isEmpty ? graph[operands[0]].shape.rank <= 1 : axes == Array(axes.indices)
            else { return nil }
            return operands[0]
        },
        // Scalar factors leave matrix products and sums: xᵀ(2 d) is 2 xᵀd.
        Rule(name: "a @ (s * b) -> s * (a @ b)") { op, operands, graph in
            guard op == .linearAlgebra(.matmul) else { return nil }
            for side in 0..<2 {
                let operand = graph[operands[side]]
                guard case .arithmetic(.multiply) = operand.op, graph[operand.operands[0]].shape.isScalar,
                    graph[operand.operands[1]].shape == operand.shape
                else { continue }
                var inner = operands
                inner[side] = operand.operands[1]
                return graph.times(operand.operands[0], graph.matmul(inner[0], inner[1]))
            }
            return nil
        },
        // trace's derivative is δ I, written diag(broadcast(δ)): a product with it is a scaling,
        // so ∂/∂A tr(A Aᵀ) prints as the textbook's 2A rather than δ₁ A + (Aᵀ δ₁)ᵀ.
        Rule(name: "diag(broadcast(s)) @ x -> s * x") { op, operands, graph in
            guard op == .linearAlgebra(.matmul) else { return nil }
            let shape = graph.resultShape(op, operands)
            for side in 0..<2 {
                let diagonal = graph[operands[side]]
                guard diagonal.op == .linearAlgebra(.diag), case .structural(.broadcast) = graph[diagonal.operands[0]].op,
                    case let scale = graph[diagonal.operands[0]].operands[0], graph[scale].shape.isScalar,
                    graph[operands[1 - side]].shape == shape
                else { continue }
                return graph.times(scale, operands[1 - side])
            }
            return nil
        },
        Rule(name: "transpose(s * x) -> s * transpose(x)") { op, operands, graph in
            guard case .linearAlgebra(.transpose(let axes)) = op, case .arithmetic(.multiply) = graph[operands[0]].op,
                case let inner = graph[operands[0]].operands, graph[inner[0]].shape.isScalar,
                graph[inner[1]].shape == graph[operands[0]].shape
            else { return nil }
            return graph.times(inner[0], graph.transpose(inner[1], axes: axes))
        },
        Rule(name: "x + x -> 2 * x") { op, operands, graph in
            guard op == .arithmetic(.add), operands[0] == operands[1] else { return nil }
            return graph.times(graph.constant(2), operands[0])
        },
        // `64 * mean(..)` over [batch, 64] is 64 / (64 batch): the fixed sizes cancel when they
        // divide the constant (exactly, so the value is the same to the last bit).
        Rule(name: "c / size(k, dims) -> (c / k) / size(dims)") { op, operands, graph in
            guard op == .arithmetic(.divide), let c = graph.constantValue(operands[0]),
                case .leaf(.size(let dims)) = graph[operands[1]].op
            else { return nil }
            var fixed = 1
            var runtime: [Dim] = []
            for dim in dims {
                if case .fixed(let size) = dim { fixed *= size } else { runtime.append(dim) }
            }
            guard fixed > 1, c.truncatingRemainder(dividingBy: Double(fixed)) == 0 else { return nil }
            return graph.divided(graph.constant(c / Double(fixed)), graph.size(runtime))
        },
        Rule(name: "sum_to(s * x) -> s * sum_to(x)") { op, operands, graph in
            guard case .structural(.sumTo(let target)) = op, case .arithmetic(.multiply) = graph[operands[0]].op,
                graph[graph[operands[0]].operands[0]].shape.isScalar,
                graph[graph[operands[0]].operands[1]].shape == graph[operands[0]].shape
            else { return nil }
            let inner = graph[operands[0]].operands
            return graph.times(inner[0], graph.sum(inner[1], to: target))
        },
        Rule(name: "sum(broadcast(s)) -> s * size") { op, operands, graph in
            guard operands.count == 1 else { return nil }
            let node = graph[operands[0]]
            guard case .structural(.broadcast(let shape)) = node.op, graph[node.operands[0]].shape.isScalar else { return nil }
            switch op {
            case .reduction(.sum, nil), .structural(.sumTo(.scalar)):
                return graph.times(node.operands[0], graph.size(shape.dims))
            default: return nil
            }
        },
        // A broadcast scalar stays a scalar through pointwise work and reshapes, broadcast once
        // where it meets a tensor: the reverse pass of a mean (δ = broadcast(1/batch)) negated,
        // scaled and reshaped to [batch, 1] is still one number, which closed forms print as one
        // and kernels compute once.
        Rule(name: "f(broadcast(s)) -> broadcast(f(s))") { op, operands, graph in
            guard case .elementwise = op, operands.count == 1, case .structural(.broadcast(let shape)) = graph[operands[0]].op,
                case let scalar = graph[operands[0]].operands[0], graph[scalar].shape.isScalar
            else { return nil }
            return graph.broadcast(graph.add(op, [scalar]), to: shape)
        },
        Rule(name: "broadcast(s) ∘ t -> broadcast(s ∘ t)") { op, operands, graph in
            guard case .arithmetic = op, operands.count == 2 else { return nil }
            var scalars: [NodeID] = []
            var broadcasts = 0
            for operand in operands {
                if graph[operand].shape.isScalar {
                    scalars.append(operand)
                } else if case .structural(.broadcast) = graph[operand].op, graph[graph[operand].operands[0]].shape.isScalar {
                    scalars.append(graph[operand].operands[0])
                    broadcasts += 1
                }
            }
            guard scalars.count == 2, broadcasts > 0 else { return nil }
            let shape = graph.resultShape(op, operands)
            return graph.broadcast(graph.add(op, scalars), to: shape)
        },
        Rule(name: "broadcast(s) ∘ x -> s ∘ x") { op, operands, graph in
            // Arithmetic broadcasts a scalar operand itself, when the other has the result's shape.
            guard case .arithmetic = op, operands.count == 2 else { return nil }
            let shape = graph.resultShape(op, operands)
            for side in 0..<2 {
                guard case .structural(.broadcast) = graph[operands[side]].op, case let scalar = graph[operands[side]].operands[0],
                    graph[scalar].shape.isScalar, graph[operands[1 - side]].shape == shape
                else { continue }
                var replaced = operands
                replaced[side] = scalar
                return graph.add(op, replaced)
            }
            return nil
        },
        Rule(name: "reshape(broadcast(s)) -> broadcast(s)") { op, operands, graph in
            switch op {
            case .structural(.reshape(let shape)), .structural(.broadcast(let shape)):
                guard case .structural(.broadcast) = graph[operands[0]].op, case let scalar = graph[operands[0]].operands[0],
                    graph[scalar].shape.isScalar
                else { return nil }
                return graph.broadcast(scalar, to: shape)
            default: return nil
            }
        },
        Rule(name: "broadcast(x) to its own shape -> x") { op, operands, graph in
            switch op {
            case .structural(let structural) where structural.target == graph[operands[0]].shape: return operands[0]
            default: return nil
            }
        },
        Rule(name: "reshape(reshape(x)) -> reshape(x)") { op, operands, graph in
            guard case .structural(.reshape(let shape)) = op, case .structural(.reshape) = graph[operands[0]].op else {
                return nil
            }
            return graph.reshape(graph[operands[0]].operands[0], to: shape)
        },
        Rule(name: "log(softmax(x)) -> log_softmax(x)") { op, operands, graph in
            guard op == .elementwise(.log), case .normalizer(.softmax, let axis) = graph[operands[0]].op else { return nil }
            return graph.add(.normalizer(.logSoftmax, axis: axis), graph[operands[0]].operands)
        },
        Rule(name: "exp(log_softmax(x)) -> softmax(x)") { op, operands, graph in
            guard op == .elementwise(.exp), case .normalizer(.logSoftmax, let axis) = graph[operands[0]].op else {
                return nil
            }
            return graph.add(.normalizer(.softmax, axis: axis), graph[operands[0]].operands)
        },
        // A plain gradient step on a param that is only gathered from (an embedding under sgd):
        // `p - lr * scatter_add(0, c, ids)` adds `-lr * c` into the rows the ids name, so the
        // update costs the ids times a row rather than the whole table (and code generation
        // stores it in place over p: no copy of p, no zeroing).
        Rule(name: "x - s * scatter_add(0, c, ids) -> scatter_add(x, (-s) * c, ids)") { op, operands, graph in
            guard op == .arithmetic(.subtract), case .arithmetic(.multiply) = graph[operands[1]].op else { return nil }
            let product = graph[operands[1]].operands
            guard graph[product[0]].shape.isScalar, case .indexing(.scatterAdd(let axis)) = graph[product[1]].op else { return nil }
            let scatter = graph[product[1]].operands
            guard graph.constantValue(scatter[0]) == 0, graph[operands[0]].shape == graph[product[1]].shape,
                graph[operands[0]].element == .real
            else { return nil }
            let updates = graph.times(graph.negate(product[0]), scatter[1])
            return graph.add(.indexing(.scatterAdd(axis: axis)), [operands[0], updates, scatter[2]])
        },
        // The same loss on logits, computed without log(0) where sigmoid saturates, and with the
        // gradient (σ(z) − t)/N rather than ((p − t)/(p(1 − p))) p(1 − p), which is 0/0 there.
        Rule(name: "binary_cross_entropy(sigmoid(z), t) -> sigmoid_binary_cross_entropy(z, t)") { op, operands, graph in
            guard op == .loss(.binaryCrossEntropy), graph[operands[0]].op == .elementwise(.sigmoid) else { return nil }
            return graph.add(.loss(.sigmoidBinaryCrossEntropy), [graph[operands[0]].operands[0], operands[1]])
        },
    ]
}

extension Graph {
    /// The shape `op` would give these operands.
    func resultShape(_ op: Op, _ operands: [NodeID]) -> Shape {
        (try? op.resultShape(operands.map { self[$0].shape }).get()) ?? .scalar
    }

    /// `x` itself when `condition` holds and dropping the other operand keeps the result's shape.
    func keeping(_ x: NodeID, if condition: Bool, shapeOf operands: [NodeID]) -> NodeID? {
        guard condition else { return nil }
        let result = operands.map { self[$0].shape }.reduce(Shape.scalar) { Shape.broadcast($0, $1) ?? $0 }
        return self[x].shape == result ? x : nil
    }

    /// `value` everywhere in `shape`.
    mutating func filled(_ value: Double, _ shape: Shape) -> NodeID { broadcast(constant(value), to: shape) }
}
