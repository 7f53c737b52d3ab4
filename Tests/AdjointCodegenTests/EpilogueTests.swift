@testable import AdjointCodegen
import AdjointIR
import AdjointInterpreter
import Testing

/// Elementwise consumers of a matrix product computed where the product's elements are stored
/// (`FusionPlan.epilogues`): the nests they replace, the buffers they may not overwrite, and
/// the results of the generated C.
@Suite struct EpilogueTests {
    /// Every statement of a body, loops' bodies included, in order.
    static func flattened(_ statements: [Statement]) -> [Statement] {
        statements.flatMap { statement -> [Statement] in
            switch statement {
            case .loop(_, _, _, _, let body), .parallelLoop(_, _, _, _, let body): return [statement] + flattened(body)
            default: return [statement]
            }
        }
    }

    /// The statements of the nest below the comment that starts with `formula`.
    static func nest(_ kernel: Kernel, below formula: String) -> [Statement]? {
        guard let position = kernel.body.firstIndex(where: { if case .comment(let text) = $0 { text.hasPrefix(formula) } else { false } })
        else { return nil }
        let rest = kernel.body[(position + 1)...]
        let end = rest.firstIndex { if case .comment = $0 { true } else { false } } ?? kernel.body.endIndex
        return flattened(Array(kernel.body[(position + 1)..<end]))
    }

    /// The step of bench M: the bias is added to the accumulators of `x @ W1` in the product's
    /// own parallel nest (no nest for `v6` and no nest re-reading it), and the backward product
    /// `v17 @ transpose(W2)` is multiplied by `step(v7)` as it is stored.
    @Test func benchModelStepHasNoNestForTheBiasOrTheStep() throws {
        let program = try checkedProgram(TestModels.sample("bench/models/m.adj"), path: "m.adj")
        let step = try #require(ModelKernels(program, name: "m", modelPath: "m.adj").kernel(.step))
        let comments = step.body.compactMap { if case .comment(let text) = $0 { text } else { nil } }
        #expect(comments.contains("v7: [batch, 256] = x @ W1 + b1 -> workspace slot 0\nh: [batch, 256] = relu(v7) -> workspace slot 1"))
        #expect(comments.contains("v24: [batch, 256] = (v17 @ transpose(W2)) * step(v7) -> workspace slot 0"))
        for product in ["v6:", "v20:"] {
            #expect(!comments.contains { $0.hasPrefix(product) }, "\(product) has a nest of its own")
        }
        // The nest of `v24` runs where `v20` did, before W2's update: its moments and its new
        // value stay one loop.
        #expect(comments.contains { $0.hasPrefix("v78: [256, 10]") && $0.contains("\nv88: [256, 10] = W2 - ") })
        let forward = try #require(Self.nest(step, below: "v7: [batch, 256] = x @ W1 + b1"))
        #expect(forward.contains { if case .parallelLoop = $0 { true } else { false } })
        // The bias is added to an accumulator of the register tile, and nothing else adds it.
        let biasAdds = Self.flattened(step.body).filter { statement in
            guard case .define("v7", .arithmetic(.add, let sum, .load(.param("b1"), _))) = statement else { return false }
            if case .load(.tile("acc6"), _) = sum { return true }
            return false
        }
        #expect(biasAdds.count == 2, "the full tiles and the rows left over")
        #expect(forward.filter { biasAdds.contains($0) }.count == 2)
        let backward = try #require(Self.nest(step, below: "v24: [batch, 256]"))
        #expect(backward.contains { if case .define("v24", .arithmetic(.multiply, .load(.tile("acc20"), _), .name("v23"))) = $0 { true } else { false } })
    }

    /// An epilogue whose result could take the slot of the product's A (same shape, dying in this
    /// nest) must not: later panels read A's rows again. Two panels (48 columns), rows left over.
    @Test func epilogueDoesNotOverwriteTheRowsItReads() {
        var graph = Graph()
        let shape = Shape([.fixed(5), .fixed(48)])
        let x = graph.addRaw(.leaf(.input("x", shape)), [])
        let w1 = graph.addRaw(.leaf(.input("W1", Shape([.fixed(48), .fixed(48)]))), [])
        let w2 = graph.addRaw(.leaf(.input("W2", Shape([.fixed(48), .fixed(48)]))), [])
        let h1 = graph.addRaw(.elementwise(.tanh), [graph.addRaw(.linearAlgebra(.matmul), [x, graph.addRaw(.linearAlgebra(.transpose(axes: [1, 0])), [w1])])])
        let h2 = graph.addRaw(.elementwise(.tanh), [graph.addRaw(.linearAlgebra(.matmul), [h1, graph.addRaw(.linearAlgebra(.transpose(axes: [1, 0])), [w2])])])
        let result = graph.addRaw(.arithmetic(.multiply), [graph.addRaw(.elementwise(.exp), [h2]), h2])
        var random = SplitMix64(seed: 11)
        let inputs = ["x": random.tensor([5, 48], -1, 1), "W1": random.tensor([48, 48], -0.5, 0.5), "W2": random.tensor([48, 48], -0.5, 0.5)]
        let (loop, reference) = UnusualNestTests.both(graph, result, inputs)
        #expect(relativeError(loop, reference) <= 1e-14)
        // Both products are epilogues: no buffer of their own.
        var named = graph
        named.roots = [Graph.Root(name: "out", node: result)]
        let spec = KernelSpec(kind: .predict, graph: named, results: [(result, .storage(.output("out")))], arguments: [], names: [:])
        let plan = FusionPlan(spec)
        #expect(Set(plan.epilogues.entries.map(\.key)) == [h1, h2])
    }

    /// A network whose products end in a broadcast bias and relu, a bias and tanh, a
    /// matrix-vector product with a scalar bias (the dot-product form), and in the backward pass
    /// `* step(v)` and `* (1 - tanh²)`, with SGD writing the weights from `xᵀ δ` in place, and a
    /// `log_softmax` and the gradient's `softmax` from the row logsumexps of the loss: the
    /// generated C against the interpreter at a batch of 13 (a full tile of 8 rows and 5 left
    /// over), in float and double, and with OpenMP bit for bit the serial build.
    static let network = """
        dim batch
        input x: [batch, 128]
        input y: [batch, 6]
        input q: [batch, 6]
        param W1: [128, 80] = normal(0, 0.1)
        param b1: [80] = uniform(-0.1, 0.1)
        param W2: [80, 112] = normal(0, 0.1)
        param b2: [112] = uniform(-0.1, 0.1)
        param W3: [112, 6] = normal(0, 0.1)
        param w4: [112] = normal(0, 0.1)
        param c = 0.2
        h1 = relu(x @ W1 + b1)
        h2 = tanh(h1 @ W2 + b2)
        score = sigmoid(h2 @ w4 + c)
        logits = h2 @ W3
        loss = softmax_cross_entropy(logits, y) + mean(score) + mean(log_softmax(logits) * q)
        output h2, score
        minimize loss using sgd(lr = 0.1)
        """

    @Test func networkFusesEveryStoredProduct() throws {
        let program = try checkedProgram(Self.network, path: "network.adj")
        let step = try #require(ModelKernels(program, name: "network", modelPath: "network.adj").kernel(.step))
        let comments = step.body.compactMap { if case .comment(let text) = $0 { text } else { nil } }
        for formula in ["x @ W1 + b1", "h1 @ W2 + b2", "h2 @ w4 + c", "W1 - (0.1 * (transpose(x) @ "] {
            #expect(comments.contains { $0.contains(formula) }, "\(formula) in \(comments)")
        }
        let loss = try #require(ModelKernels(program, name: "network", modelPath: "network.adj").kernel(.loss))
        let lossComments = loss.body.compactMap { if case .comment(let text) = $0 { text } else { nil } }
        #expect(lossComments.contains { $0.contains("= softmax_cross_entropy(logits, y), its rows' logsumexp -> workspace slot ") })
        #expect(lossComments.contains { $0.contains("= mean(log_softmax(logits, axis = 1) * q)") }, "\(lossComments)")
    }

    /// The gradient's `softmax(logits)` in the step of bench M: no nest of its own, no second
    /// pass for each row's maximum and sum; `(softmax(logits) − y) / batch` is one loop that
    /// reads the logsumexp the loss kept for its row.
    @Test func softmaxReadsTheLossRowLogSumExp() throws {
        let program = try checkedProgram(TestModels.sample("bench/models/m.adj"), path: "m.adj")
        let step = try #require(ModelKernels(program, name: "m", modelPath: "m.adj").kernel(.step))
        let comments = step.body.compactMap { if case .comment(let text) = $0 { text } else { nil } }
        #expect(comments.contains("loss: [] = softmax_cross_entropy(logits, y), its rows' logsumexp -> workspace slot 4"))
        #expect(comments.contains("v17: [batch, 10] = (softmax(logits, axis = 1) - y) / batch -> workspace slot 3"))
        #expect(!comments.contains { $0.hasPrefix("v15:") })
        let statements = Self.flattened(step.body)
        let maxima = statements.filter { if case .declare(let name, _) = $0 { name.hasPrefix("max") } else { false } }
        #expect(maxima.count == 1, "one pass for each row's maximum")
        let gradient = try #require(Self.nest(step, below: "v17: [batch, 10]"))
        #expect(gradient.contains { statement in
            guard case .define("v15", .normalizer(.softmax, _, logSumExp: .load(.workspace(4), _))) = statement else { return false }
            return true
        })
    }

    @Test(arguments: [Precision.float, .double])
    func networkMatchesTheInterpreter(precision: Precision) throws {
        var test = KernelCase(
            name: "network", source: Self.network, dims: ["batch": 13], precision: precision, paramRange: -0.1...0.1)
        let serial = try verify(test)
        test.openmp = true
        let parallel = try CHarness.run(test)
        func bits(_ output: HarnessOutput) -> [String: [UInt64]] { output.mapValues { $0.map(\.bitPattern) } }
        #expect(bits(parallel.output) == bits(serial.output), "\(test.testDescription): printed results differ from the serial build")
    }
}
