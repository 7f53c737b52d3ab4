import Testing

@testable import AdjointIR

/// Each simplifier rule, `lhs -> rhs`: adding the lhs to a graph gives exactly the rhs node, and
/// both evaluate to the same numbers at random values of the leaves.
@Suite struct SimplifierTests {
    /// The leaves every case may use.
    struct Leaves {
        var x, y, s, t, a, b, v: NodeID
    }

    /// One rule's example: the lhs (built without simplification, then re-added with it) and the
    /// rhs it must become (built without simplification).
    struct Case: CustomTestStringConvertible, Sendable {
        var rule: String
        var lhs: @Sendable (inout Graph, Leaves) -> (Op, [NodeID])
        var rhs: @Sendable (inout Graph, Leaves) -> NodeID
        var testDescription: String { rule }
    }

    static let batch = Dim.runtime("batch")

    static func leaves(_ graph: inout Graph) -> Leaves {
        Leaves(
            x: graph.addRaw(.leaf(.param("x", [.fixed(2), .fixed(3)])), []),
            y: graph.addRaw(.leaf(.param("y", [.fixed(2), .fixed(3)])), []),
            s: graph.addRaw(.leaf(.param("s", .scalar)), []),
            t: graph.addRaw(.leaf(.param("t", .scalar)), []),
            a: graph.addRaw(.leaf(.param("a", [.fixed(4), .fixed(2)])), []),
            b: graph.addRaw(.leaf(.param("b", [batch, .fixed(3)])), []),
            v: graph.addRaw(.leaf(.param("v", [.fixed(2), .fixed(3), .fixed(2)])), []))
    }

    static func c(_ g: inout Graph, _ value: Double) -> NodeID { g.addRaw(.leaf(.constant(value)), []) }
    static func raw(_ g: inout Graph, _ op: Op, _ operands: NodeID...) -> NodeID { g.addRaw(op, operands) }

    static let cases: [Case] = [
        Case(rule: "f(c1, c2) -> c", lhs: { g, _ in (.arithmetic(.power), [c(&g, 2), c(&g, 10)]) }, rhs: { g, _ in c(&g, 1024) }),
        Case(rule: "x + 0 -> x", lhs: { g, l in (.arithmetic(.add), [c(&g, 0), l.x]) }, rhs: { _, l in l.x }),
        Case(rule: "x - 0 -> x", lhs: { g, l in (.arithmetic(.subtract), [l.x, c(&g, 0)]) }, rhs: { _, l in l.x }),
        Case(
            rule: "0 - x -> -x", lhs: { g, l in (.arithmetic(.subtract), [c(&g, 0), l.x]) },
            rhs: { g, l in raw(&g, .elementwise(.negate), l.x) }),
        Case(
            rule: "x - (-y) -> x + y",
            lhs: { g, l in (.arithmetic(.subtract), [l.x, raw(&g, .elementwise(.negate), l.y)]) },
            rhs: { g, l in raw(&g, .arithmetic(.add), l.x, l.y) }),
        Case(
            rule: "x + (-y) -> x - y", lhs: { g, l in (.arithmetic(.add), [l.x, raw(&g, .elementwise(.negate), l.y)]) },
            rhs: { g, l in raw(&g, .arithmetic(.subtract), l.x, l.y) }),
        Case(rule: "x * 1 -> x", lhs: { g, l in (.arithmetic(.multiply), [l.x, c(&g, 1)]) }, rhs: { _, l in l.x }),
        Case(
            rule: "x * 0 -> 0", lhs: { g, l in (.arithmetic(.multiply), [l.x, c(&g, 0)]) },
            rhs: { g, l in raw(&g, .structural(.broadcast(g[l.x].shape)), c(&g, 0)) }),
        Case(
            rule: "-1 * x -> -x", lhs: { g, l in (.arithmetic(.multiply), [c(&g, -1), l.x]) },
            rhs: { g, l in raw(&g, .elementwise(.negate), l.x) }),
        Case(rule: "x / 1 -> x", lhs: { g, l in (.arithmetic(.divide), [l.x, c(&g, 1)]) }, rhs: { _, l in l.x }),
        Case(
            rule: "0 / x -> 0", lhs: { g, l in (.arithmetic(.divide), [c(&g, 0), l.x]) },
            rhs: { g, l in raw(&g, .structural(.broadcast(g[l.x].shape)), c(&g, 0)) }),
        Case(rule: "x ^ 1 -> x", lhs: { g, l in (.arithmetic(.power), [l.x, c(&g, 1)]) }, rhs: { _, l in l.x }),
        Case(
            rule: "--x -> x", lhs: { g, l in (.elementwise(.negate), [raw(&g, .elementwise(.negate), l.x)]) },
            rhs: { _, l in l.x }),
        Case(
            rule: "x * s -> s * x", lhs: { _, l in (.arithmetic(.multiply), [l.x, l.s]) },
            rhs: { g, l in raw(&g, .arithmetic(.multiply), l.s, l.x) }),
        Case(
            rule: "c1 * (c2 * x) -> (c1 c2) * x",
            lhs: { g, l in (.arithmetic(.multiply), [c(&g, 3), raw(&g, .arithmetic(.multiply), c(&g, 5), l.x)]) },
            rhs: { g, l in raw(&g, .arithmetic(.multiply), c(&g, 15), l.x) }),
        Case(
            rule: "(s * x) * y -> s * (x * y)",
            lhs: { g, l in (.arithmetic(.multiply), [raw(&g, .arithmetic(.multiply), l.s, l.x), l.y]) },
            rhs: { g, l in raw(&g, .arithmetic(.multiply), l.s, raw(&g, .arithmetic(.multiply), l.x, l.y)) }),
        Case(
            rule: "-(s * x) -> (-s) * x",
            lhs: { g, l in (.elementwise(.negate), [raw(&g, .arithmetic(.multiply), c(&g, 2), l.x)]) },
            rhs: { g, l in raw(&g, .arithmetic(.multiply), c(&g, -2), l.x) }),
        Case(
            rule: "transpose(transpose(x)) -> x",
            lhs: { g, l in (.linearAlgebra(.transpose(axes: [1, 0])), [raw(&g, .linearAlgebra(.transpose(axes: [1, 0])), l.x)]) }, rhs: { _, l in l.x }),
        Case(
            rule: "transpose(transpose(x)) -> x",
            lhs: { g, l in (.linearAlgebra(.transpose(axes: [1, 2, 0])), [raw(&g, .linearAlgebra(.transpose(axes: [2, 0, 1])), l.v)]) },
            rhs: { _, l in l.v }),
        Case(
            rule: "transpose(transpose(x, p), q) -> transpose(x, p[q])",
            lhs: { g, l in (.linearAlgebra(.transpose(axes: [0, 2, 1])), [raw(&g, .linearAlgebra(.transpose(axes: [2, 1, 0])), l.v)]) },
            rhs: { g, l in raw(&g, .linearAlgebra(.transpose(axes: [2, 0, 1])), l.v) }),
        Case(
            rule: "transpose(x, identity) -> x",
            lhs: { _, l in (.linearAlgebra(.transpose(axes: [0, 1, 2])), [l.v]) }, rhs: { _, l in l.v }),
        Case(
            rule: "a @ (s * b) -> s * (a @ b)",
            lhs: { g, l in (.linearAlgebra(.matmul), [l.a, raw(&g, .arithmetic(.multiply), l.t, l.x)]) },
            rhs: { g, l in raw(&g, .arithmetic(.multiply), l.t, raw(&g, .linearAlgebra(.matmul), l.a, l.x)) }),
        Case(
            rule: "diag(broadcast(s)) @ x -> s * x",
            lhs: { g, l in
                let identity = raw(&g, .linearAlgebra(.diag), raw(&g, .structural(.broadcast([.fixed(2)])), l.s))
                return (.linearAlgebra(.matmul), [identity, l.x])
            },
            rhs: { g, l in raw(&g, .arithmetic(.multiply), l.s, l.x) }),
        Case(
            rule: "diag(broadcast(s)) @ x -> s * x",
            lhs: { g, l in
                let identity = raw(&g, .linearAlgebra(.diag), raw(&g, .structural(.broadcast([.fixed(2)])), l.s))
                return (.linearAlgebra(.matmul), [l.a, identity])
            },
            rhs: { g, l in raw(&g, .arithmetic(.multiply), l.s, l.a) }),
        Case(
            rule: "transpose(s * x) -> s * transpose(x)",
            lhs: { g, l in (.linearAlgebra(.transpose(axes: [1, 0])), [raw(&g, .arithmetic(.multiply), l.s, l.x)]) },
            rhs: { g, l in raw(&g, .arithmetic(.multiply), l.s, raw(&g, .linearAlgebra(.transpose(axes: [1, 0])), l.x)) }),
        Case(
            rule: "x + x -> 2 * x", lhs: { _, l in (.arithmetic(.add), [l.x, l.x]) },
            rhs: { g, l in raw(&g, .arithmetic(.multiply), c(&g, 2), l.x) }),
        Case(
            rule: "c / size(k, dims) -> (c / k) / size(dims)",
            lhs: { g, _ in (.arithmetic(.divide), [c(&g, 12), raw(&g, .leaf(.size([batch, .fixed(3)])))]) },
            rhs: { g, _ in raw(&g, .arithmetic(.divide), c(&g, 4), raw(&g, .leaf(.size([batch])))) }),
        Case(
            rule: "f(broadcast(s)) -> broadcast(f(s))",
            lhs: { g, l in (.elementwise(.exp), [raw(&g, .structural(.broadcast([.fixed(2), .fixed(3)])), l.s)]) },
            rhs: { g, l in raw(&g, .structural(.broadcast([.fixed(2), .fixed(3)])), raw(&g, .elementwise(.exp), l.s)) }),
        Case(
            rule: "broadcast(s) ∘ t -> broadcast(s ∘ t)",
            lhs: { g, l in (.arithmetic(.subtract), [raw(&g, .structural(.broadcast([batch, .fixed(3)])), l.s), l.t]) },
            rhs: { g, l in raw(&g, .structural(.broadcast([batch, .fixed(3)])), raw(&g, .arithmetic(.subtract), l.s, l.t)) }),
        Case(
            rule: "broadcast(s) ∘ x -> s ∘ x",
            lhs: { g, l in (.arithmetic(.subtract), [raw(&g, .structural(.broadcast([.fixed(2), .fixed(3)])), l.s), l.x]) },
            rhs: { g, l in raw(&g, .arithmetic(.subtract), l.s, l.x) }),
        Case(
            rule: "reshape(broadcast(s)) -> broadcast(s)",
            lhs: { g, l in (.structural(.reshape([.fixed(3), .fixed(2)])), [raw(&g, .structural(.broadcast([.fixed(2), .fixed(3)])), l.s)]) },
            rhs: { g, l in raw(&g, .structural(.broadcast([.fixed(3), .fixed(2)])), l.s) }),
        Case(
            rule: "reshape(broadcast(s)) -> broadcast(s)",
            lhs: { g, l in (.structural(.broadcast([batch, .fixed(3)])), [raw(&g, .structural(.broadcast([.fixed(3)])), l.s)]) },
            rhs: { g, l in raw(&g, .structural(.broadcast([batch, .fixed(3)])), l.s) }),
        Case(
            rule: "sum_to(s * x) -> s * sum_to(x)",
            lhs: { g, l in (.structural(.sumTo([.fixed(3)])), [raw(&g, .arithmetic(.multiply), l.s, l.b)]) },
            rhs: { g, l in raw(&g, .arithmetic(.multiply), l.s, raw(&g, .structural(.sumTo([.fixed(3)])), l.b)) }),
        Case(
            rule: "sum(broadcast(s)) -> s * size",
            lhs: { g, l in (.reduction(.sum, axis: nil), [raw(&g, .structural(.broadcast([batch, .fixed(3)])), l.s)]) },
            rhs: { g, l in raw(&g, .arithmetic(.multiply), l.s, raw(&g, .leaf(.size([batch, .fixed(3)])))) }),
        Case(
            rule: "broadcast(x) to its own shape -> x",
            lhs: { g, l in (.structural(.broadcast(g[l.x].shape)), [l.x]) }, rhs: { _, l in l.x }),
        Case(
            rule: "reshape(reshape(x)) -> reshape(x)",
            lhs: { g, l in
                (.structural(.reshape([.fixed(3), .fixed(2)])), [raw(&g, .structural(.reshape([.fixed(6)])), l.x)])
            },
            rhs: { g, l in raw(&g, .structural(.reshape([.fixed(3), .fixed(2)])), l.x) }),
        Case(
            rule: "log(softmax(x)) -> log_softmax(x)",
            lhs: { g, l in (.elementwise(.log), [raw(&g, .normalizer(.softmax, axis: 1), l.x)]) },
            rhs: { g, l in raw(&g, .normalizer(.logSoftmax, axis: 1), l.x) }),
        Case(
            rule: "exp(log_softmax(x)) -> softmax(x)",
            lhs: { g, l in (.elementwise(.exp), [raw(&g, .normalizer(.logSoftmax, axis: 0), l.v)]) },
            rhs: { g, l in raw(&g, .normalizer(.softmax, axis: 0), l.v) }),
        Case(
            rule: "binary_cross_entropy(sigmoid(z), t) -> sigmoid_binary_cross_entropy(z, t)",
            lhs: { g, l in (.loss(.binaryCrossEntropy), [raw(&g, .elementwise(.sigmoid), l.x), raw(&g, .elementwise(.sigmoid), l.y)]) },
            rhs: { g, l in raw(&g, .loss(.sigmoidBinaryCrossEntropy), l.x, raw(&g, .elementwise(.sigmoid), l.y)) }),
        Case(
            rule: "x - s * scatter_add(0, c, ids) -> scatter_add(x, (-s) * c, ids)",
            lhs: { g, l in
                let ids = raw(&g, .leaf(.tensorConstant("ids", [.fixed(2)], .values([1, 1]))))
                let zeros = raw(&g, .structural(.broadcast(g[l.x].shape)), c(&g, 0))
                let scatter = raw(&g, .indexing(.scatterAdd(axis: 0)), zeros, l.y, ids)
                return (.arithmetic(.subtract), [l.x, raw(&g, .arithmetic(.multiply), l.s, scatter)])
            },
            rhs: { g, l in
                let ids = raw(&g, .leaf(.tensorConstant("ids", [.fixed(2)], .values([1, 1]))))
                let updates = raw(&g, .arithmetic(.multiply), raw(&g, .elementwise(.negate), l.s), l.y)
                return raw(&g, .indexing(.scatterAdd(axis: 0)), l.x, updates, ids)
            }),
    ]

    @Test(arguments: cases)
    func ruleRewritesItsLeftSideToItsRightSide(_ example: Case) {
        #expect(Simplifier.rule(example.rule) != nil, "no rule named '\(example.rule)'")
        var graph = Graph()
        let leaves = Self.leaves(&graph)
        let (op, operands) = example.lhs(&graph, leaves)
        let original = graph.addRaw(op, operands)
        let simplified = graph.add(op, operands)
        let expected = example.rhs(&graph, leaves)
        #expect(simplified == expected, "\(IRText.print(Self.rooted(graph, simplified)))")
        #expect(simplified != original)

        // The rewrite keeps the value: evaluate both at random leaves.
        var random = SplitMix(state: 42)
        let dims = ["batch": 4]
        var values: [NodeID: Tensor] = [:]
        for id in graph.nodes.indices.map(NodeID.init) {
            let node = graph[id]
            if case .leaf(.param) = node.op {
                let sizes = node.shape.sizes(dims)
                values[id] = Tensor(sizes: sizes, scalars: (0..<sizes.reduce(1, *)).map { _ in random.uniform(-2, 2) })
            } else {
                values[id] = node.op.evaluate(node.operands.map { values[$0]! }, dims: dims)
            }
        }
        let before = values[original]!
        let after = values[simplified]!
        #expect(before.sizes == after.sizes)
        for (p, q) in zip(before.scalars, after.scalars) {
            #expect(abs(p - q) <= 1e-12 * max(1, abs(p)), "\(example.rule): \(p) vs \(q)")
        }
    }

    @Test func everyRuleHasACase() {
        let tested = Set(Self.cases.map(\.rule))
        let untested = Simplifier.rules.map(\.name).filter { !tested.contains($0) }
        #expect(untested.isEmpty, "rules without a test: \(untested)")
    }

    @Test func scalarConstantsGatherAcrossSeveralFactors() {
        var graph = Graph()
        let x = graph.addRaw(.leaf(.param("x", [.fixed(3)])), [])
        // 2 * (x * 3) * 0.5 * -1 is -3 * x.
        let product = graph.times(graph.times(graph.times(graph.constant(2), graph.times(x, graph.constant(3))), graph.constant(0.5)), graph.constant(-1))
        #expect(graph[product].op == .arithmetic(.multiply))
        #expect(graph.constantValue(graph[product].operands[0]) == -3)
        #expect(graph[product].operands[1] == x)
    }

    @Test func deadCodeRemovalKeepsOnlyWhatRootsNeed() {
        var graph = Graph()
        let x = graph.addRaw(.leaf(.param("x", .scalar)), [])
        let used = graph.add(.elementwise(.sin), [x])
        _ = graph.add(.elementwise(.cos), [x])
        _ = graph.add(.elementwise(.exp), [used])
        graph.roots = [Graph.Root(name: "out", node: used)]
        let pruned = graph.removingDeadCode()
        #expect(pruned.nodes.count == 2)
        #expect(pruned[pruned.root("out")!].op == .elementwise(.sin))
        #expect(pruned.verify().isEmpty)
    }

    @Test func commonSubexpressionsAreOneNode() {
        var graph = Graph()
        let x = graph.addRaw(.leaf(.param("x", [.fixed(2)])), [])
        let first = graph.add(.elementwise(.tanh), [graph.plus(x, graph.constant(1))])
        let second = graph.add(.elementwise(.tanh), [graph.plus(x, graph.constant(1))])
        #expect(first == second)
        #expect(graph.nodes.count == 4)
    }

    static func rooted(_ graph: Graph, _ node: NodeID) -> Graph {
        var copy = graph
        copy.roots = [Graph.Root(name: "result", node: node)]
        return copy.removingDeadCode()
    }
}

/// SplitMix64 for test values.
struct SplitMix {
    var state: UInt64

    mutating func uniform(_ low: Double, _ high: Double) -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return low + (high - low) * Double(z >> 11) * 0x1.0p-53
    }
}
