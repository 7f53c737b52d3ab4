import AdjointAutodiff
@testable import AdjointCodegen
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Foundation
import Testing

/// Batched products (NumPy's `matmul` for ranks 1 to 4) and transposes of any rank in the
/// generated C and Swift, against the interpreter: small products in plain nests, and large ones
/// in register tiles with the batch folded into the rows (`[batch, seq, d] @ [d, e]`), a loop
/// over the batch (both operands batched), and transposed operands of the gradient read in place.
@Suite struct BatchedMatmulKernelTests {
    static let models: [(name: String, source: String)] = [
        (
            "batched",
            """
            dim batch
            input x: [batch, 3, 4]
            input y: [batch, 5, 3]
            param W: [4, 5]
            param A: [2, 3, 4, 5]
            param B: [2, 3, 5, 4]
            param v: [4]
            param u: [5]
            param V: [2, 4, 5]
            param M: [3, 4]
            param P: [2, 1, 3, 4]
            param Q: [1, 2, 4, 3]
            c1 = A @ B
            c2 = tanh(x @ W)
            c3 = v @ V
            c4 = M @ V
            c5 = P @ Q
            c6 = transpose(A)
            c7 = c2 @ y
            c8 = V @ u
            c9 = x @ v
            loss = mean(c1 * c1) + mean(c2) + sum(c3 * c3) / 10 + mean(c4 * c4) + mean(c5 * c5) + sum(square(c6) * c6) / 100 + mean(c7 * c7) + mean(c8 * c8) + mean(c9 * c9)
            output c2, c6, c7
            minimize loss using sgd(lr = 0.01)
            """
        ),
        (
            "batched_tiled",
            """
            dim batch
            input x: [batch, 16, 64]
            param W: [64, 48]
            param P: [4, 32, 64]
            param K: [4, 64, 80]
            param R: [64, 32, 8]
            h = tanh(x @ W)
            g = P @ K
            r = transpose(R) @ W
            loss = mean(h * h) + mean(g * g) + mean(r * r)
            output h, g
            minimize loss using sgd(lr = 0.01)
            """
        ),
    ]

    static func cases(_ precisions: [Precision], sizes: [Int]) -> [KernelCase] {
        precisions.flatMap { precision in
            sizes.flatMap { size in
                models.map { model in
                    KernelCase(
                        name: model.name, source: model.source, dims: ["batch": size], precision: precision,
                        paramRange: model.name == "batched_tiled" ? -0.1...0.1 : -1...1)
                }
            }
        }
    }

    /// Loss, gradient, predict, apply, five steps and init of the generated C.
    @Test(arguments: cases([.double, .float], sizes: [1, 7]))
    func generatedCMatchesTheInterpreter(test: KernelCase) throws {
        try verify(test)
    }

    /// The large products with OpenMP on: the same bits as the serial build.
    @Test func openMPGivesTheSerialBits() throws {
        let serial = KernelCase(name: "batched_tiled", source: Self.models[1].source, dims: ["batch": 5], precision: .float, paramRange: -0.1...0.1)
        var parallel = serial
        parallel.openmp = true
        let (_, _, one, _) = try CHarness.run(serial)
        let (_, _, many, _) = try CHarness.run(parallel)
        #expect(one.mapValues { $0.map(\.bitPattern) } == many.mapValues { $0.map(\.bitPattern) })
    }

    /// `--blas`: `[batch, 16, 64] @ [64, 48]` is one CBLAS call of batch·16 rows, and so is the
    /// gradient's `δ Wᵀ` of the rank-3 `r`; products of two batches keep the generated nests.
    @Test func withBLASABatchTimesAMatrixIsOneCall() throws {
        let program = try checkedProgram(Self.models[1].source)
        let kernels = ModelKernels(program, name: "m", modelPath: "t.adj", options: CodegenOptions(blas: true))
        let calls = BLASTests.gemms(try #require(kernels.kernel(.loss)).body)
        #expect(calls.count == 1)
        #expect(calls.first?.m == .product([.dim("batch"), .constant(16)]))
        #expect(calls.first?.a == Gemm.Operand(storage: .input("x"), offset: .zero, leadingDimension: .constant(64), transposed: false))
        let gradientCalls = BLASTests.gemms(try #require(kernels.kernel(.gradient)).body)
        #expect(gradientCalls.contains { $0.m == .constant(256) && $0.b.transposed })
        // The lowered gradient as loop IR (the calls as plain sums) against the interpreter.
        let dims = ["batch": 3]
        let test = KernelCase(name: "batched_tiled", source: Self.models[1].source, dims: dims, precision: .double, paramRange: -0.1...0.1)
        let bindings = CHarness.bindings(program, test)
        let gradient = ReverseMode.differentiate(program.forwardGraph())
        let values = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: dims)
        var machine = LoopInterpreter(buffers: LoweringTests.buffers(program, bindings, dims: dims), dims: dims)
        let result = machine.run(try #require(kernels.kernel(.gradient)))
        let loss = try #require(result)
        #expect(relativeError([loss], [values[gradient.forward.loss]!.scalar]) <= 1e-12)
        for (param, node) in gradient.gradients {
            #expect(relativeError(machine.buffers[.gradient(param)]!, values[node]!.scalars) <= 1e-12, "∂\(param)")
        }
    }

    /// `--blas` linked with the machine's CBLAS: the C still matches the interpreter.
    @Test(.enabled(if: CBLAS.missing == nil, "\(CBLAS.missing ?? "")"))
    func withBLASTheCMatchesTheInterpreter() throws {
        var test = KernelCase(name: "batched_tiled", source: Self.models[1].source, dims: ["batch": 3], precision: .double, paramRange: -0.1...0.1)
        test.blas = true
        try verify(test)
    }

    static let swiftCases = cases([.double, .float], sizes: [7]).map { test in
        var test = test
        test.swiftKey = "batched_\(test.name)_\(test.precision.rawValue)"
        return test
    }

    /// The generated Swift: loss, gradient and outputs.
    @Test(arguments: swiftCases)
    func generatedSwiftMatchesTheInterpreter(test: KernelCase) throws {
        let output = try SwiftHarness.shared.output(test)
        let program = try checkedProgram(test.source, path: "\(test.name).adj")
        let bindings = CHarness.bindings(program, test)
        func expectClose(_ key: String, _ expected: [Double]) {
            let error = relativeError(output[key] ?? [], CHarness.sampled(expected))
            #expect(error <= test.tolerance, "\(test.testDescription): \(key) off by \(error)")
        }
        let forward = program.forwardGraph()
        let gradient = ReverseMode.differentiate(forward)
        let values = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: test.dims)
        expectClose("loss", [values[forward.loss]!.scalar])
        expectClose("gradient_loss", [values[forward.loss]!.scalar])
        for (param, node) in gradient.gradients { expectClose("grad:\(param)", values[node]!.scalars) }
        let outputs = Interpreter.evaluate(forward.graph, bindings: bindings, dims: test.dims)
        for name in program.outputs { expectClose("output:\(name)", outputs[forward.graph.root(name)!]!.scalars) }
    }

    /// The lowered gradient run as loop IR, in double, at a batch that is a multiple of no tile.
    @Test(arguments: [0, 1])
    func gradientAsLoopIR(model: Int) throws {
        let source = Self.models[model].source
        let program = try checkedProgram(source)
        let kernels = ModelKernels(program, name: "m", modelPath: "t.adj", options: CodegenOptions())
        let gradientKernel = try #require(kernels.kernel(.gradient))
        let dims = ["batch": 5]
        let test = KernelCase(name: Self.models[model].name, source: source, dims: dims, precision: .double, paramRange: -0.1...0.1)
        let bindings = CHarness.bindings(program, test)
        let gradient = ReverseMode.differentiate(program.forwardGraph())
        let values = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: dims)
        var machine = LoopInterpreter(buffers: LoweringTests.buffers(program, bindings, dims: dims), dims: dims)
        let result = machine.run(gradientKernel)
        let loss = try #require(result)
        #expect(relativeError([loss], [values[gradient.forward.loss]!.scalar]) <= 1e-12)
        for (param, node) in gradient.gradients {
            #expect(relativeError(machine.buffers[.gradient(param)]!, values[node]!.scalars) <= 1e-12, "∂\(param)")
        }
    }

    /// `[batch, 16, 64] @ [64, 48]` is one product of batch·16 rows: no loop over the batch, one
    /// packed copy of W; the gradient's transposed operands are read in place (no nest stores a
    /// transpose), and `P @ K` loops over its 4 batch elements around the register tiles.
    @Test func batchFoldsIntoRowsAndTransposesAreReadInPlace() throws {
        let program = try checkedProgram(Self.models[1].source)
        let kernels = ModelKernels(program, name: "m", modelPath: "t.adj", options: CodegenOptions())
        let source = CPrinter(kernels, precision: .float, tool: "test").source()
        // h: the rows run to batch·16 (a block count of (16 * batch) / tile rows).
        #expect(source.contains("batch * 16") || source.contains("16 * batch"), "\(source.prefix(4000))")
        let materialized = try Regex(#"= transpose\(\w+\) -> workspace"#)
        #expect(!source.split(separator: "\n").contains { $0.contains(materialized) })
        // Only a delivered gradient (`d_R`) is a stored permutation; no product's operand is.
        let storedPermutation = try Regex(#"= transpose\(\w+, axes = \[[0-9, ]+\]\) -> workspace"#)
        #expect(!source.split(separator: "\n").contains { $0.contains(storedPermutation) })
        // mean(g * g)'s cotangent 2 g / 10240 leaves the product as a scale in its epilogue.
        #expect(source.contains("d_K: [4, 64, 80] = 0.0001953125 * (transpose(P, axes = [0, 2, 1]) @ g)"), "\(source.prefix(4000))")
        #expect(source.contains("r: [8, 32, 48] = transpose(R) @ W"))
    }
}
