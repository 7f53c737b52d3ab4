import AdjointIR
import AdjointSema

/// The gradient of the loss with respect to each param as one formula, with every subexpression
/// that the formulas use more than once bound to a name (`where δ₁ = ...`) rather than copied, so
/// their size stays proportional to the program's.
public struct ClosedForms: Sendable {
    /// `∂loss/∂W1 = xᵀ δ₂`, one per differentiated param, in declaration order.
    public var gradients: [(param: String, formula: Formula)]
    /// Shared subexpressions, each defined before its first use.
    public var bindings: [(name: String, formula: Formula)]
    /// The minimized value's name, for `∂loss/∂...`.
    public var loss: String

    /// The total number of formula nodes (gradients and bindings).
    public var size: Int { gradients.reduce(0) { $0 + $1.formula.size } + bindings.reduce(0) { $0 + $1.formula.size } }

    public init(_ program: GradientProgram) {
        self.init(
            graph: program.graph, formulas: program.gradients, loss: program.graph.roots.first?.name ?? "loss",
            valueNames: program.forward.valueNames, forwardNodeCount: program.forwardNodeCount)
    }

    /// The formulas of `formulas`' nodes in `graph`, sharing bindings. Nodes below
    /// `forwardNodeCount` are forward values (bound as `v₁`, or by their name in `valueNames`); the
    /// rest are bound as `δ₁`.
    /// `assigned` names nodes that print as those names wherever they are used, except as a
    /// formula of their own (the values an update assigns, used by the assignments after them).
    init(
        graph: Graph, formulas: [(String, NodeID)], loss: String, valueNames: [NodeID: String], forwardNodeCount: Int,
        assigned: [NodeID: String] = [:]
    ) {
        self.loss = loss
        // Uses of each node by the nodes the formulas reach (each reached node counted once).
        var uses: [NodeID: Int] = [:]
        var reached = Set<NodeID>()
        var stack = formulas.map(\.1)
        for root in stack { uses[root, default: 0] += 1 }
        while let id = stack.popLast() {
            guard reached.insert(id).inserted else { continue }
            for operand in graph[id].operands {
                uses[operand, default: 0] += 1
                stack.append(operand)
            }
        }
        var builder = FormulaBuilder(
            graph: graph, naming: .init(valueNames: valueNames, forwardNodeCount: forwardNodeCount, loss: loss), uses: uses)
        builder.assigned = assigned
        gradients = formulas.map { ($0.0, builder.formula($0.1, top: true)) }
        bindings = builder.finishBindings()
    }
}

/// Turns nodes into formulas, binding shared ones as it meets them. With `operandName` set it
/// expands one level only, naming each operand (the adjoint-program listing).
struct FormulaBuilder {
        /// How the graph's nodes are named: the model's own names, which nodes are forward values,
        /// the minimized value's name.
        struct Naming {
            var valueNames: [NodeID: String]
            var forwardNodeCount: Int
            var loss: String

            init(valueNames: [NodeID: String], forwardNodeCount: Int, loss: String) {
                self.valueNames = valueNames
                self.forwardNodeCount = forwardNodeCount
                self.loss = loss
            }

            init(_ program: GradientProgram) {
                self.init(
                    valueNames: program.forward.valueNames, forwardNodeCount: program.forwardNodeCount,
                    loss: program.graph.roots.first?.name ?? "loss")
            }
        }

        let graph: Graph
        let naming: Naming
        let uses: [NodeID: Int]
        var operandName: ((NodeID) -> String?)?
        /// Each node's shape as its formula reads (see `printedShapes`).
        let printedShapes: [Shape]
        var names: [NodeID: String] = [:]
        /// Nodes that print as a name except at the top of their own formula.
        var assigned: [NodeID: String] = [:]
        /// The formulas of bound nodes; a node bound because it sat too deep is expanded later.
        var boundFormulas: [NodeID: Formula] = [:]
        /// Nodes named but not yet expanded (see `maxInlineDepth`).
        var pending: [NodeID] = []
        var usedNames: Set<String> = []
        /// Every name the model itself uses (values, consts, inputs, params, state, dims, the
        /// loss), which `v₁` and `δ₁` must not take.
        let reservedNames: Set<String>
        var forwardCount = 0
        var adjointCount = 0
        /// How many expansions are in progress, one inside the other.
        var depth = 0
        /// How deep the formula being written is nested (a shared value's own formula starts at 0).
        var inlineDepth = 0

        /// A formula nested deeper than this gets its deeper part bound by name rather than
        /// inlined: a formula nested dozens deep is unreadable.
        static let maxInlineDepth = 24
        /// Expansions nested deeper than this (shared values inside shared values, in a model of
        /// thousands of layers) are finished later from a work list rather than by recursion,
        /// which would exhaust the stack.
        static let maxDepth = 512

        init(graph: Graph, naming: Naming, uses: [NodeID: Int], operandName: ((NodeID) -> String?)? = nil) {
            self.graph = graph
            self.naming = naming
            self.uses = uses
            self.operandName = operandName
            printedShapes = Self.printedShapes(graph)
            var reserved = Set(naming.valueNames.values)
            reserved.insert(naming.loss)
            for node in graph.nodes {
                switch node.op {
                case .leaf(.input(let name, _)), .leaf(.intInput(let name, _)), .leaf(.tensorConstant(let name, _, _)),
                    .leaf(.param(let name, _)), .leaf(.state(let name, _)), .leaf(.gradient(let name, _)), .leaf(.constant(_, let name?)):
                    reserved.insert(name)
                default: break
                }
                for case .runtime(let name) in node.shape.dims { reserved.insert(name) }
            }
            reservedNames = reserved
        }

        /// The formula of `id`: its name if bound, else its expansion. `top` forces expansion (a
        /// gradient's own formula).
        mutating func formula(_ id: NodeID, top: Bool = false) -> Formula {
            if let name = names[id] { return .symbol(name) }
            if !top, let name = assigned[id] { return .symbol(name) }
            if !top, let operandName, let name = operandName(id) { return .symbol(name) }
            guard !top, operandName == nil, !isTrivial(id) else { return expanded(id) }
            if inlineDepth >= Self.maxInlineDepth || depth >= Self.maxDepth {
                pending.append(id)
                return .symbol(bind(id))
            }
            guard (uses[id] ?? 0) > 1 else { return expanded(id) }
            // A forward value's transpose reads `n1ᵀ` wherever it is used: naming it would call a
            // forward value an adjoint (`δ₂ = n1ᵀ`).
            if case .linearAlgebra(.transpose) = graph[id].op, graph[id].operands[0].index < naming.forwardNodeCount {
                let operand = boundFormula(graph[id].operands[0])
                return written(graph[id], [operand])
            }
            return boundFormula(id)
        }

        /// `id` by name, binding it (its definition written once) if it is not yet; leaves and
        /// other trivial values print as themselves.
        private mutating func boundFormula(_ id: NodeID) -> Formula {
            if let name = names[id] { return .symbol(name) }
            if isTrivial(id) { return formula(id) }
            let outer = inlineDepth
            inlineDepth = 0
            let expansion = definition(id)
            inlineDepth = outer
            let name = bind(id)
            boundFormulas[id] = expansion
            return .symbol(name)
        }

        private mutating func expanded(_ id: NodeID) -> Formula {
            depth += 1
            inlineDepth += 1
            defer {
                depth -= 1
                inlineDepth -= 1
            }
            return expand(id)
        }

        /// A bound value's definition. A broadcast or reshape prints its shape: its name stands for
        /// the shaped value wherever it is used.
        private mutating func definition(_ id: NodeID) -> Formula {
            switch graph[id].op {
            case .structural(.broadcast), .structural(.reshape):
                depth += 1
                inlineDepth += 1
                defer {
                    depth -= 1
                    inlineDepth -= 1
                }
                return explicitShape(id)
            default:
                let expansion = expanded(id)
                return hasItsShape(id) ? expansion : .call("broadcast", [expansion, .symbol(graph[id].shape.description)])
            }
        }

        /// Names `id`: its name in the model if it has one, else `v₁, v₂, ...` for forward values
        /// and `δ₁, δ₂, ...` for adjoints, skipping any that a name in the model spells, either
        /// way (`v1` and `v₁` both print as `v_{1}` in LaTeX).
        private mutating func bind(_ id: NodeID) -> String {
            var name: String
            if let user = naming.valueNames[id], !usedNames.contains(user) {
                name = user
            } else {
                let forward = id.index < naming.forwardNodeCount
                let letter = forward ? "v" : "δ"
                var number = forward ? forwardCount : adjointCount
                repeat { number += 1 } while [letter + subscriptDigits(number), letter + String(number)].contains {
                    reservedNames.contains($0) || usedNames.contains($0)
                }
                if forward { forwardCount = number } else { adjointCount = number }
                name = letter + subscriptDigits(number)
            }
            usedNames.insert(name)
            names[id] = name
            return name
        }

        /// Expands the nodes cut for depth (each from depth 0, cutting again where needed) and
        /// returns every binding, each after the bindings it uses (graph order is topological).
        mutating func finishBindings() -> [(name: String, formula: Formula)] {
            while let id = pending.popLast() {
                (depth, inlineDepth) = (0, 0)
                boundFormulas[id] = definition(id)
            }
            return boundFormulas.keys.sorted().map { (names[$0]!, boundFormulas[$0]!) }
        }

        /// One term of a `where`: `masked(c, a)`, or a scalar times one (`0.1 masked(c, δ)`, as
        /// the derivative of `where(c, x, 0.1 x)` makes it); `node` is the term itself.
        struct MaskedTerm {
            var node: NodeID
            var condition: NodeID
            var value: NodeID
            var scale: NodeID?
        }

        func maskedTerm(_ id: NodeID) -> MaskedTerm? {
            let node = graph[id]
            if node.op == .arithmetic(.masked) { return MaskedTerm(node: id, condition: node.operands[0], value: node.operands[1]) }
            guard node.op == .arithmetic(.multiply), graph[node.operands[0]].shape.isScalar,
                case let masked = graph[node.operands[1]], masked.op == .arithmetic(.masked), masked.shape == node.shape
            else { return nil }
            return MaskedTerm(node: id, condition: masked.operands[0], value: masked.operands[1], scale: node.operands[0])
        }

        /// The condition and its two branches when the node is `masked(c, a) + masked(c == 0, b)`
        /// in either order, either term possibly scaled: `where(c, a, b)`.
        func whereOperands(_ id: NodeID) -> (condition: NodeID, chosen: MaskedTerm, other: MaskedTerm)? {
            let operands = graph[id].operands
            guard graph[id].op == .arithmetic(.add), operands.count == 2, let first = maskedTerm(operands[0]),
                let second = maskedTerm(operands[1])
            else { return nil }
            /// c, when `condition` is `c == 0`.
            func negated(_ condition: NodeID) -> NodeID? {
                let node = graph[condition]
                guard node.op == .arithmetic(.equal), case .leaf(.constant(0, _)) = graph[node.operands[1]].op else { return nil }
                return node.operands[0]
            }
            if negated(second.condition) == first.condition { return (first.condition, first, second) }
            if negated(first.condition) == second.condition { return (second.condition, second, first) }
            return nil
        }

        /// `(x, k)` when the node is `exp(x − reshape(logsumexp(x, axis = k), keepdims shape))`.
        func softmaxOperand(_ id: NodeID) -> (NodeID, Int)? {
            let difference = graph[graph[id].operands[0]]
            guard difference.op == .arithmetic(.subtract), case let x = difference.operands[0], graph[x].shape == graph[id].shape,
                case .structural(.reshape(let kept)) = graph[difference.operands[1]].op,
                case let reduced = graph[graph[difference.operands[1]].operands[0]],
                case .reduction(.logsumexp, axis: let axis?) = reduced.op, reduced.operands[0] == x
            else { return nil }
            var expected = graph[x].shape.dims
            expected[axis] = .fixed(1)
            return kept.dims == expected ? (x, axis) : nil
        }

        /// A branch of a `where`: its value, times its scale if it has one.
        mutating func branch(_ term: MaskedTerm) -> Formula {
            guard let scale = term.scale else { return formula(term.value) }
            // The operands into a local first, as `expand` does for `written`.
            let arguments = [formula(scale), formula(term.value)]
            return written(graph[term.node], arguments)
        }

        /// Leaves, and transparent wrappers of leaves, are cheaper to repeat than to name.
        func isTrivial(_ id: NodeID) -> Bool {
            let node = graph[id]
            switch node.op {
            case .leaf: return true
            // A scalar made from constants and sizes (`2 / n`) is as short as a name.
            case _ where node.shape.isScalar && !node.operands.isEmpty && node.operands.allSatisfy({ operand in
                switch graph[operand].op {
                case .leaf(.constant), .leaf(.size): return true
                default: return false
                }
            }):
                return true
            case .structural(.broadcast), .structural(.reshape), .linearAlgebra(.transpose):
                return isTrivial(node.operands[0])
            default: return false
            }
        }

        mutating func expand(_ id: NodeID) -> Formula {
            let node = graph[id]
            let operands = node.operands
            switch node.op {
            case .leaf(.input(let name, _)), .leaf(.intInput(let name, _)), .leaf(.tensorConstant(let name, _, _)),
                .leaf(.param(let name, _)), .leaf(.state(let name, _)):
                return .symbol(name)
            case .leaf(.gradient(let param, _)): return .symbol(GradientProgram.gradientName(loss: naming.loss, param: param))
            case .leaf(.constant(let value, let name)):
                // A `const` keeps its name; a literal, or a number a rule made, prints as itself.
                return name.map(Formula.symbol) ?? .number(value)
            case .leaf(.size(let dims)): return sizeFormula(dims)
            case .leaf(.random(let draw)): return .symbol(draw.formulaName)
            case .arithmetic(.add) where whereOperands(id) != nil:
                // `where(c, a, b)`, which the checker builds as `masked(c, a) + masked(c == 0, b)`,
                // and its derivative, a case split of the cotangent: `where(z > 0, δ, 0.1 δ)`.
                let (condition, chosen, other) = whereOperands(id)!
                let parts = [formula(condition), branch(chosen), branch(other)]
                return .call("where", parts)
            case .elementwise(.exp) where softmaxOperand(id) != nil:
                // exp(x − logsumexp(x, axis = k, keepdims)), the derivative of a logsumexp (the
                // class-index cross entropy's), is the textbook's softmax(x, axis = k).
                let (x, axis) = softmaxOperand(id)!
                let argument = shaped(x)
                return written(Node(op: .normalizer(.softmax, axis: axis), operands: [x], shape: node.shape), [argument])
            case .structural(.broadcast), .structural(.reshape):
                // Broadcasting is implicit in the notation where NumPy's rules give the same result.
                return Self.isImplicit(node.op, from: graph[operands[0]].shape) ? formula(operands[0]) : explicitShape(id)
            case .structural(.sumTo(let target)):
                let source = graph[operands[0]].shape
                let offset = source.rank - target.rank
                let axes = (0..<source.rank).filter { $0 < offset || (target.dims[$0 - offset] == .fixed(1) && source.dims[$0] != .fixed(1)) }
                let sum = Formula.reduce("Σ", over: axes.map { axisLabel(source, $0) }.joined(separator: ","), shaped(operands[0]))
                // `Σ_axis1` removes the axis; a sum that keeps it with size 1 before other axes
                // (the adjoint of a keepdims broadcast) says so, or broadcasting would misread it.
                let left = source.dims.indices.filter { !axes.contains($0) }.map { source.dims[$0] }
                func significant(_ dims: [Dim]) -> [Dim] { Array(dims.drop { $0 == .fixed(1) }) }
                return significant(left) == significant(target.dims) ? sum : .call("reshape", [sum, .symbol(target.description)])
            case .elementwise, .arithmetic, .reduction, .normalizer, .linearAlgebra, .loss, .indexing:
                // An op whose result depends on its operands' shapes prints them shaped.
                let pointwise = node.op.lowering == .pointwise
                // The operands first, into a local: as an argument of `written` (a non-mutating
                // method), they would be built while a copy of `self` is alive, and every
                // dictionary they add to would be copied whole, making the closed forms quadratic.
                let arguments = operands.map { pointwise ? formula($0) : shaped($0) }
                return written(node, arguments)
            }
        }

        /// A computation in its op's math notation, given its operands' formulas.
        func written(_ node: Node, _ arguments: [Formula]) -> Formula {
            let shapes = node.operands.map { graph[$0].shape }
            switch node.op.mathNotation {
            case .call where node.op.isIndexing: return selection(node, arguments)
            case .call:
                // Attributes print as the user writes them (`leaky_relu(x, slope = 0.2)`), unless default.
                let attributes = node.op.attributes.filter { !$0.isDefault(operandRank: shapes[0].rank) }
                return .call(node.op.name, arguments + attributes.map { .symbol($0.keywordText) })
            case .negation: return .negation(arguments[0])
            case .sum: return .sum(arguments[0], arguments[1])
            case .difference: return .difference(arguments[0], arguments[1])
            case .quotient: return .quotient(arguments[0], arguments[1])
            case .power: return .power(arguments[0], arguments[1])
            case .square: return .power(arguments[0], .number(2))
            case .product:  // a scalar factor goes in front
                let (a, b) = (arguments[0], arguments[1])
                if shapes[0].isScalar || shapes[1].isScalar {
                    return shapes[1].isScalar && !shapes[0].isScalar ? .scaled(b, a) : .scaled(a, b)
                }
                return .elementwiseProduct(a, b)
            case .indicator(let relation): return .indicator(arguments[0], relation, arguments.count > 1 ? arguments[1] : .number(0))
            case .masked:
                // `𝟙(x > 0) ⊙ δ`: a condition that is a comparison prints as its indicator, any
                // other as `𝟙(c)` (1 where c is not 0).
                let condition: Formula
                if case .indicator = arguments[0] { condition = arguments[0] } else { condition = .call("𝟙", [arguments[0]]) }
                return .elementwiseProduct(condition, arguments[1])
            case .reduce(let symbol):
                let axis = node.op.attributes.lazy.compactMap { attribute -> Int? in
                    if case .axis(let axis) = attribute.value { axis } else { nil }
                }.first
                return .reduce(symbol, over: axis.map { axisLabel(shapes[0], $0) }, arguments[0])
            case .matrixProduct: return .product(arguments[0], arguments[1])
            case .transpose: return .transpose(arguments[0])
            case .subscripted, .scatter: return selection(node, arguments)
            }
        }

        /// Selection by position and its adjoints, as the family writes them (`E[tokens]`,
        /// `x[1:4, −1]`, `pick(a, ids)`, `Σ_{i: tokens_i = r < 1000} δ₂[i]`).
        func selection(_ node: Node, _ arguments: [Formula]) -> Formula {
            guard case .indexing(let op) = node.op else { return .call(node.op.name, arguments) }
            let baseIsZero = op.idsOperand == 2 && graph.constantValue(node.operands[0]) == 0
            func pieces(_ pieces: [SelectionNotation.Piece]) -> [Formula] {
                pieces.map { piece in
                    switch piece {
                    case .operand(let k): return arguments[k]
                    case .operands(let ks): return .list(ks.map { arguments[$0] })
                    case .text(let text): return .symbol(text)
                    }
                }
            }
            switch op.notation(node.operands.map { graph[$0].shape }, math: true, minus: "−", baseIsZero: baseIsZero) {
            case .subscripted(let items): return .subscripted(arguments[0], pieces(items))
            case .call(let name, let items): return .call(name, pieces(items))
            case .scatterRows(let base, let updates, let ids, let rows):
                let scatter = Formula.scatter(ids: arguments[ids], rows: rows, arguments[updates])
                return base.map { .sum(arguments[$0], scatter) } ?? scatter
            }
        }

        /// An operand of an op whose result depends on its operands' shapes (a matrix product, a
        /// reduction, a normalizer, a loss): a broadcast or reshape there prints with its shape,
        /// since leaving it implicit would change the meaning (`xᵀ 1` with a matrix of ones).
        mutating func shaped(_ id: NodeID) -> Formula {
            if names[id] != nil || assigned[id] != nil { return formula(id) }
            switch graph[id].op {
            case .structural(.broadcast), .structural(.reshape): return explicitShape(id)
            default:
                let formula = self.formula(id)
                return hasItsShape(id) ? formula : .call("broadcast", [formula, .symbol(graph[id].shape.description)])
            }
        }

        /// Whether the formula of `id`, read with NumPy broadcasting, has the node's shape (up to
        /// leading axes of size 1); `−1` for a matrix of −1 does not.
        func hasItsShape(_ id: NodeID) -> Bool {
            func significant(_ shape: Shape) -> [Dim] { Array(shape.dims.drop { $0 == .fixed(1) }) }
            return significant(printedShapes[id.index]) == significant(graph[id].shape)
        }

        /// The shape each node's formula has when read with NumPy broadcasting: smaller than the
        /// node's where only implicit broadcasts of smaller values made it (`−1`). Ops whose
        /// result depends on their operands' shapes print those operands shaped (`shaped`), so
        /// their own formulas have their shapes.
        static func printedShapes(_ graph: Graph) -> [Shape] {
            var shapes: [Shape] = []
            shapes.reserveCapacity(graph.nodes.count)
            for node in graph.nodes {
                switch node.op {
                case .structural(.broadcast), .structural(.reshape):
                    let implicit = isImplicit(node.op, from: graph[node.operands[0]].shape)
                    shapes.append(implicit ? shapes[node.operands[0].index] : node.shape)
                case .leaf, .structural(.sumTo): shapes.append(node.shape)
                case .elementwise, .arithmetic, .reduction, .normalizer, .linearAlgebra, .loss, .indexing:
                    guard node.op.lowering == .pointwise else {
                        shapes.append(node.shape)
                        continue
                    }
                    shapes.append(node.operands.dropFirst().reduce(shapes[node.operands[0].index]) { Shape.broadcast($0, shapes[$1.index]) ?? node.shape })
                }
            }
            return shapes
        }

        /// `broadcast(1, [3, 3])`, `reshape(Σ_axis1 δ₂, [3, 1])`: a broadcast or reshape as a call
        /// with the shape it makes.
        mutating func explicitShape(_ id: NodeID) -> Formula {
            let node = graph[id]
            let kind = node.op == .structural(.broadcast(node.shape)) ? "broadcast" : "reshape"
            return .call(kind, [shaped(node.operands[0]), .symbol(node.shape.description)])
        }

        /// Whether a broadcast or reshape means the same printed implicitly: a broadcast between
        /// elementwise operands (NumPy's rules line it up again), or a reshape that only adds or
        /// drops leading axes of size 1. A keepdims reshape (`[3]` to `[3, 1]`) is not.
        static func isImplicit(_ op: Op, from source: Shape) -> Bool {
            switch op {
            case .structural(.broadcast): return true
            case .structural(.reshape(let target)):
                func significant(_ dims: [Dim]) -> [Dim] { Array(dims.drop { $0 == .fixed(1) }) }
                return significant(target.dims) == significant(source.dims)
            default: return false
            }
        }

        /// A reduced axis by its dim's name (`batch`), or `axisK` for a fixed size.
        func axisLabel(_ shape: Shape, _ axis: Int) -> String {
            if case .runtime(let name) = shape.dims[axis] { return name }
            return "axis\(axis)"
        }

        func sizeFormula(_ dims: [Dim]) -> Formula {
            var fixed = 1
            var names: [String] = []
            for dim in dims {
                switch dim {
                case .fixed(let size): fixed *= size
                case .runtime(let name): names.append(name)
                }
            }
            var result: Formula? = fixed == 1 ? nil : .number(Double(fixed))
            for name in names { result = result.map { .product($0, .symbol(name)) } ?? .symbol(name) }
            return result ?? .number(1)
        }
}

/// `₁₂` for 12.
func subscriptDigits(_ value: Int) -> String {
    String(String(value).map { Character(UnicodeScalar(0x2080 + Int(String($0))!)!) })
}
