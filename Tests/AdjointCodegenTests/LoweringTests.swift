import AdjointAutodiff
@testable import AdjointCodegen
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Testing

/// The lowering's decisions, checked on the loop IR itself (run by `LoopInterpreter`).
@Suite struct LoweringTests {
    /// Buffers for a kernel's leaves from bindings: params, inputs, and outputs and grads zeroed.
    static func buffers(_ program: CheckedProgram, _ bindings: [String: Tensor], dims: [String: Int]) -> [Storage: [Double]] {
        var buffers: [Storage: [Double]] = [:]
        for param in program.params {
            buffers[.param(param.name)] = bindings[param.name]!.scalars
            buffers[.gradient(param.name)] = [Double](repeating: .nan, count: param.shape.sizes([:]).reduce(1, *))
        }
        for input in program.inputs { buffers[.input(input.name)] = bindings[input.name]!.scalars }
        return buffers
    }

    /// The loss and gradient kernels of every op model, run as loop IR, against the interpreter.
    @Test(arguments: TestModels.ops.map(\.name))
    func lossAndGradientAsLoopIR(name: String) throws {
        let source = TestModels.ops.first { $0.name == name }!.source
        let program = try checkedProgram(source)
        let kernels = ModelKernels(program, name: name, modelPath: "t.adj")
        for size in [1, 4] {
            let dims = TestModels.sizes(source, size)
            let test = KernelCase(name: name, source: source, dims: dims, precision: .double)
            let bindings = CHarness.bindings(program, test)
            let gradient = ReverseMode.differentiate(program.forwardGraph())
            let values = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: dims)
            var machine = LoopInterpreter(buffers: Self.buffers(program, bindings, dims: dims), dims: dims)
            let kernel = try #require(kernels.kernel(.gradient))
            let result = machine.run(kernel)
            let loss = try #require(result)
            #expect(relativeError([loss], [values[gradient.forward.loss]!.scalar]) <= 1e-12)
            for (param, node) in gradient.gradients {
                #expect(relativeError(machine.buffers[.gradient(param)]!, values[node]!.scalars) <= 1e-12, "\(name) ∂\(param)")
            }
        }
    }

    /// A new param value that reads the old one at other indices (through a transpose) is written
    /// to the workspace and copied into the params only after every read.
    @Test func inPlaceWriteAfterEveryRead() throws {
        var graph = Graph()
        let w = graph.addRaw(.leaf(.param("W", [.fixed(3), .fixed(3)])), [])
        let next = graph.addRaw(.arithmetic(.add), [w, graph.addRaw(.linearAlgebra(.transpose(axes: [1, 0])), [w])])
        let spec = KernelSpec(
            kind: .step, graph: graph, results: [(next, .storage(.param("W")))], arguments: [], names: [:])
        let kernel = Lowering.lower(spec)
        #expect(kernel.workspace.slots == [IntExpr.constant(9)])
        let start: [Double] = (0..<9).map(Double.init)
        var machine = LoopInterpreter(buffers: [.param("W"): start], dims: [:])
        _ = machine.run(kernel)
        let expected: [Double] = (0..<9).map { (index: Int) -> Double in
            let (row, column) = (index / 3, index % 3)
            return start[index] + start[column * 3 + row]
        }
        #expect(machine.buffers[.param("W")] == expected)
    }

    /// The same update reading the old value only at its own index is written in place, in one
    /// loop with the moment it uses (no workspace).
    @Test func updateInPlaceInOneLoop() throws {
        let program = try checkedProgram(TestModels.ruleModel("momentum(lr = 0.1)"))
        let apply = try #require(ModelKernels(program, name: "m", modelPath: "t.adj").kernel(.apply))
        #expect(apply.workspace.slots.isEmpty)
        let loops = apply.body.filter { if case .loop = $0 { true } else { false } }
        #expect(loops.count == 3, "one loop per matrix param (the scalar's update is straight-line code)")
    }

    /// Elementwise work after a matrix product fuses into one nest, which computes it from the
    /// product's registers: the loss of digits is three nests over two buffers, and a third slot
    /// for the packed copy of W2 (10 columns, padded to a panel of 32); W1, already one panel of
    /// 32 columns, is read in place.
    @Test func digitsLossFusesAndReusesSlots() throws {
        let program = try checkedProgram(TestModels.sample("samples/digits.adj"))
        let loss = try #require(ModelKernels(program, name: "digits", modelPath: "t.adj").kernel(.loss))
        let comments = loss.body.compactMap { if case .comment(let text) = $0 { text } else { nil } }
        #expect(comments == [
            "h: [batch, 32] = relu(x @ W1 + b1) -> workspace slot 0", "logits: [batch, 10] = h @ W2 + b2 -> workspace slot 1",
            "loss: [] = softmax_cross_entropy(logits, y)",
        ])
        #expect(loss.workspace.slots == [.product([.constant(32), .dim("batch")]), .product([.constant(10), .dim("batch")]), .constant(1024)])
    }

    /// Slots are shared only when a size fits for every value of the runtime dims.
    @Test func slotsFitSymbolically() {
        var allocator = SlotAllocator()
        let big = allocator.allocate(SymbolicCount([.runtime("n"), .fixed(32)]))
        allocator.release(big)
        #expect(allocator.allocate(SymbolicCount([.fixed(16)])) == big)
        allocator.release(big)
        let other = allocator.allocate(SymbolicCount([.runtime("m"), .fixed(2)]))
        #expect(other != big)
        allocator.release(other)
        #expect(allocator.allocate(SymbolicCount([.runtime("m"), .fixed(4)])) == other, "a free slot grows")
        #expect(allocator.slots[other] == SymbolicCount([.runtime("m"), .fixed(4)]))
    }
}

/// Shapes of nests the models rarely produce, built directly as graphs and run as loop IR.
@Suite struct UnusualNestTests {
    /// Lowers `result` of `graph` as a predict kernel writing output `out`, runs it on `inputs`,
    /// and returns it with the interpreter's value.
    static func both(_ graph: Graph, _ result: NodeID, _ inputs: [String: Tensor]) -> (loop: [Double], reference: [Double]) {
        var graph = graph
        graph.roots = [Graph.Root(name: "out", node: result)]
        let spec = KernelSpec(
            kind: .predict, graph: graph, results: [(result, .storage(.output("out")))], arguments: [], names: [:])
        let kernel = Lowering.lower(spec)
        var buffers: [Storage: [Double]] = [.output("out"): [Double](repeating: .nan, count: graph[result].shape.sizes([:]).reduce(1, *))]
        for (name, value) in inputs { buffers[.input(name)] = value.scalars }
        var machine = LoopInterpreter(buffers: buffers, dims: [:])
        _ = machine.run(kernel)
        let reference = Interpreter.evaluate(graph, bindings: inputs, dims: [:])[result]!.scalars
        return (machine.buffers[.output("out")]!, reference)
    }

    static func shape(_ sizes: Int...) -> Shape { Shape(sizes.map(Dim.fixed)) }

    /// A reshape that is not an insertion of size-1 axes reads through the row-major offset.
    @Test func generalReshape() {
        var graph = Graph()
        let x = graph.addRaw(.leaf(.input("x", Self.shape(2, 3))), [])
        let r = graph.addRaw(.structural(.reshape(Self.shape(3, 2))), [x])
        let y = graph.addRaw(.arithmetic(.multiply), [r, graph.addRaw(.elementwise(.exp), [r])])
        var random = SplitMix64(seed: 3)
        let flipped = graph.addRaw(.elementwise(.exp), [graph.addRaw(.linearAlgebra(.transpose(axes: [1, 0])), [y])])
        let total = graph.addRaw(.reduction(.sum, axis: 1), [flipped])
        let (loop, reference) = Self.both(graph, total, ["x": random.tensor([2, 3], -1, 1)])
        #expect(relativeError(loop, reference) <= 1e-14)
    }

    /// Matrix products of transposes on both sides, and of a vector with a transpose.
    @Test func transposedProducts() {
        var graph = Graph()
        let a = graph.addRaw(.leaf(.input("a", Self.shape(4, 3))), [])
        let b = graph.addRaw(.leaf(.input("b", Self.shape(5, 4))), [])
        let v = graph.addRaw(.leaf(.input("v", Self.shape(5))), [])
        let c = graph.addRaw(.leaf(.input("c", Self.shape(3, 4))), [])
        let (aT, bT) = (graph.addRaw(.linearAlgebra(.transpose(axes: [1, 0])), [a]), graph.addRaw(.linearAlgebra(.transpose(axes: [1, 0])), [b]))
        let both = graph.addRaw(.linearAlgebra(.matmul), [aT, bT])
        let matrixVector = graph.addRaw(.linearAlgebra(.matmul), [bT, v])
        let vector = graph.addRaw(.linearAlgebra(.matmul), [matrixVector, graph.addRaw(.linearAlgebra(.transpose(axes: [1, 0])), [c])])
        var random = SplitMix64(seed: 4)
        let inputs = [
            "a": random.tensor([4, 3], -1, 1), "b": random.tensor([5, 4], -1, 1), "v": random.tensor([5], -1, 1),
            "c": random.tensor([3, 4], -1, 1),
        ]
        for result in [both, vector] {
            let (loop, reference) = Self.both(graph, result, inputs)
            #expect(relativeError(loop, reference) <= 1e-14)
        }
    }
}
