import AdjointAutodiff
@testable import AdjointCodegen
import AdjointDriver
import AdjointIR
import AdjointInterpreter
import Foundation
import Testing

/// The machine's CBLAS, if it has one: `<cblas.h>` and `-lopenblas` (Debian's `libopenblas-dev`).
enum CBLAS {
    static let linkFlags = ["-lopenblas"]

    /// Why the tests that run `--blas` C are skipped, or nil when a tiny program including
    /// `<cblas.h>` compiles, links and multiplies correctly.
    static let missing: String? = {
        guard let folder = try? temporaryFolder("cblas") else { return "no temporary folder" }
        defer { try? FileManager.default.removeItem(at: folder) }
        let program = """
            #include <cblas.h>
            int main(void)
            {
                const double a[2] = {1, 2}, b[2] = {3, 4};
                double c[1] = {0};
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 2, 1.0, a, 2, b, 1, 0.0, c, 1);
                return c[0] == 11 ? 0 : 1;
            }

            """
        do {
            try program.write(to: folder.appendingPathComponent("probe.c"), atomically: true, encoding: .utf8)
            let build = try run("/usr/bin/cc", CHarness.flags + ["probe.c", "-o", "probe"] + linkFlags, in: folder)
            guard build.status == 0 else { return "no CBLAS: cc probe.c \(linkFlags.joined(separator: " ")) failed (install libopenblas-dev)" }
            let result = try run(folder.appendingPathComponent("probe").path, [], in: folder)
            return result.status == 0 ? nil : "the CBLAS probe computed a wrong product"
        } catch {
            return "cannot run cc: \(error)"
        }
    }()
}

/// `adjoint compile --blas`: large products become `cblas_sgemm`/`cblas_dgemm` calls on buffers
/// read in place, and the default output stays free of them.
@Suite struct BLASTests {
    /// Products of every transposition: `x Wᵀ` forward, `hᵀ x` with the runtime dim as k, and
    /// their gradients (`δᵀ x`, `x dgᵀ`, ...).
    static let transposed = """
        dim batch
        input x: [batch, 96]
        input t: [128, 96]
        param W: [128, 96] = normal(0, 0.05)
        h = tanh(x @ transpose(W))
        g = transpose(h) @ x
        loss = mse(g, t)
        minimize loss using adam(lr = 0.01)
        """

    static func kernels(_ source: String, blas: Bool) throws -> ModelKernels {
        ModelKernels(try checkedProgram(source), name: "m", modelPath: "t.adj", options: CodegenOptions(blas: blas))
    }

    static func gemms(_ statements: [Statement]) -> [Gemm] {
        statements.flatMap { statement -> [Gemm] in
            switch statement {
            case .gemm(let call): return [call]
            case .loop(_, _, _, _, let body), .parallelLoop(_, _, _, _, let body): return gemms(body)
            default: return []
            }
        }
    }

    @Test(arguments: Precision.allCases)
    func cblasCallsOnlyWithTheOption(precision: Precision) throws {
        let path = Repository.url("bench/models/m.adj").path
        let program = try checkedProgram(try String(contentsOfFile: path, encoding: .utf8), path: path)
        let plain = Commands.generateC(program, name: "m", modelPath: path, precision: precision).files
        let blas = Commands.generateC(program, name: "m", modelPath: path, precision: precision, blas: true).files
        let function = precision == .float ? "cblas_sgemm" : "cblas_dgemm"
        for file in plain { #expect(!file.text.contains("cblas"), "\(file.name) without --blas mentions cblas") }
        let source = try #require(blas.first { $0.name == "m.c" }?.text)
        #expect(source.contains("#define ADJOINT_CBLAS_HEADER <cblas.h>"))
        #expect(source.contains("#include ADJOINT_CBLAS_HEADER"))
        // x W1 forward, xᵀ δ for the gradient: the input read transposed in place, no copy.
        let literal = precision == .float ? "f" : ""
        #expect(source.contains(
            "\(function)(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(batch), 256, 784, 1.0\(literal), x, 784, p->W1, 256, 0.0\(literal), w0, 256);"))
        #expect(source.contains("\(function)(CblasRowMajor, CblasTrans, CblasNoTrans, 784, 256, (int)(batch), 1.0\(literal), x, 784,"))
        // The header is the same: the interface does not change.
        #expect(blas.first { $0.name == "m.h" }?.text == plain.first { $0.name == "m.h" }?.text)
    }

    /// Small products keep the loops; a model without large ones gets no include.
    /// Model names that `<cblas.h>` also declares are renamed in the C, as keywords are.
    @Test func namesOfTheCBLASHeaderAreRenamed() throws {
        let source = """
            dim CblasRowMajor
            input cblas_sgemm: [CblasRowMajor, 784]
            input y: [CblasRowMajor, 256]
            param W: [784, 256]
            minimize mse(cblas_sgemm @ W, y) using sgd(lr = 0.1)
            """
        let text = CPrinter(try Self.kernels(source, blas: true), precision: .float, tool: "t").source()
        #expect(text.contains("cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)(CblasRowMajor_), 256, 784"))
        #expect(text.contains("const float *restrict cblas_sgemm_"))
        #expect(!text.contains("const float *restrict cblas_sgemm,"))
    }

    @Test func smallProductsKeepTheLoops() throws {
        let kernels = try Self.kernels(TestModels.sample("samples/digits.adj"), blas: true)
        #expect(kernels.kernels.allSatisfy { Self.gemms($0.body).isEmpty })
        let source = CPrinter(kernels, precision: .float, tool: "t").source()
        #expect(!source.contains("cblas"))
    }

    /// Transposes map to `CblasTrans` with the stored matrix's row length as leading dimension.
    @Test func transposesAreReadInPlace() throws {
        let kernels = try Self.kernels(Self.transposed, blas: true)
        let loss = try #require(kernels.kernel(.loss))
        let calls = Self.gemms(loss.body)
        try #require(calls.count == 2)
        // x Wᵀ: [batch, 96] by [96, 128], W stored [128, 96].
        #expect(calls[0].a == Gemm.Operand(storage: .input("x"), offset: .zero, leadingDimension: .constant(96), transposed: false))
        #expect(calls[0].b == Gemm.Operand(storage: .param("W"), offset: .zero, leadingDimension: .constant(96), transposed: true))
        #expect([calls[0].m, calls[0].n, calls[0].k] == [.dim("batch"), .constant(128), .constant(96)])
        // hᵀ x: [128, batch] by [batch, 96], h stored [batch, 128].
        #expect(calls[1].a.transposed && calls[1].a.leadingDimension == .constant(128))
        #expect([calls[1].m, calls[1].n, calls[1].k] == [.constant(128), .constant(96), .dim("batch")])
        #expect(calls.allSatisfy { $0.alpha == 1 && $0.beta == 0 && !$0.c.transposed })
    }

    /// No packed panel: each kernel's workspace is at most the one without `--blas`, and smaller
    /// where a packed copy had a slot of its own.
    @Test func noPackedPanels() throws {
        let plain = try Self.kernels(Self.transposed, blas: false)
        let blas = try Self.kernels(Self.transposed, blas: true)
        let dims = ["batch": 13]
        for kernel in blas.kernels {
            let without = try #require(plain.kernel(kernel.kind))
            #expect(kernel.workspace.elementCount(elementBytes: 4).evaluate(dims) <= without.workspace.elementCount(elementBytes: 4).evaluate(dims))
        }
        // The loss kernel's `hᵀ x` packed x (96 by batch) into a slot of its own.
        let loss = try #require(blas.kernel(.loss)).workspace.slots
        #expect(loss.count + 1 == (try #require(plain.kernel(.loss))).workspace.slots.count)
    }

    /// The lowered gradient with CBLAS calls, run as loop IR (the calls as plain sums), against
    /// the interpreter: the operands, transposes and leading dimensions are right without a CBLAS.
    @Test(arguments: ["transposed", "tiled", "mnist_mlp"])
    func gradientAsLoopIR(name: String) throws {
        let source = Self.source(name)
        let program = try checkedProgram(source)
        let kernels = try Self.kernels(source, blas: true)
        let gradientKernel = try #require(kernels.kernel(.gradient))
        #expect(!Self.gemms(gradientKernel.body).isEmpty)
        let dims = Dictionary(uniqueKeysWithValues: TestModels.runtimeDims(source).map { ($0, 13) })
        let test = KernelCase(name: name, source: source, dims: dims, precision: .double, paramRange: -0.1...0.1)
        let bindings = CHarness.bindings(program, test)
        let gradient = ReverseMode.differentiate(program.forwardGraph())
        let values = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: dims)
        var machine = LoopInterpreter(buffers: LoweringTests.buffers(program, bindings, dims: dims), dims: dims)
        let result = machine.run(gradientKernel)
        let loss = try #require(result)
        #expect(relativeError([loss], [values[gradient.forward.loss]!.scalar]) <= 1e-12)
        for (param, node) in gradient.gradients {
            #expect(relativeError(machine.buffers[.gradient(param)]!, values[node]!.scalars) <= 1e-12, "\(name) ∂\(param)")
        }
    }

    static func source(_ name: String) -> String {
        switch name {
        case "transposed": return transposed
        case "mnist_mlp": return TestModels.sample("samples/mnist-mlp.adj")
        default: return TestModels.ops.first { $0.name == name }!.source
        }
    }

    /// The generated C with `--blas`, linked with the machine's CBLAS, against the interpreter:
    /// loss, gradient, predict, apply and five steps, at a runtime dim that is a multiple of no
    /// tile size. Skipped, with the reason, on a machine without a CBLAS.
    @Test(
        .enabled(if: CBLAS.missing == nil, "\(CBLAS.missing ?? "")"),
        arguments: [("transposed", 13, Precision.double), ("transposed", 13, .float), ("mnist_mlp", 13, .double),
            ("mnist_mlp", 13, .float), ("tiled", 13, .float)])
    func generatedCWithCBLASMatchesTheInterpreter(name: String, size: Int, precision: Precision) throws {
        let source = Self.source(name)
        let dims = Dictionary(uniqueKeysWithValues: TestModels.runtimeDims(source).map { ($0, size) })
        let test = KernelCase(
            name: name, source: source, dims: dims, precision: precision, paramsFromInit: name == "mnist_mlp",
            paramRange: -0.1...0.1, blas: true)
        try verify(test)
    }
}
