import AdjointAutodiff
@testable import AdjointCodegen
import AdjointDriver
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Foundation
import Testing

/// One model compiled to C and run against the reference interpreter.
struct KernelCase: CustomTestStringConvertible, Sendable {
    /// The symbol prefix (`--name`).
    var name: String
    var source: String
    var dims: [String: Int]
    var precision: Precision
    var sanitize = false
    /// Params from the generated `init` (seed 7) rather than literals in the harness (for models
    /// too large to print).
    var paramsFromInit = false
    /// The range params are drawn from when printed as literals.
    var paramRange: ClosedRange<Double> = -1...1
    /// Whether `apply` is checked on its own (for the largest model, only through `step`).
    var checksApply = true
    /// Values for some params and inputs, flat, instead of random ones (extreme values).
    var values: [String: [Double]] = [:]
    /// Whether update steps are checked (not at infinite params).
    var checksSteps = true
    /// Compiled with `-fopenmp` (the parallel loops on as many threads as the machine has cores).
    var openmp = false
    /// Lowered with `--blas` and linked with the machine's CBLAS (`CBLAS.linkFlags`).
    var blas = false
    /// Macros defined on the C compiler's command line (`ADJOINT_TILE_ROWS=1`).
    var defines: [String] = []
    /// Cross-compiled for aarch64 (`CrossTools.aarch64Compiler`) and run under `qemu-aarch64`.
    var aarch64 = false
    /// The C standard the C harness compiles with (`gnu11` also defines `linux` and `unix`).
    var standard = "c99"
    /// The Swift harness's name for the model file, instead of `NAME_PRECISION` (`SwiftHarness.key`).
    var swiftKey: String? = nil
    /// A program built directly (language version 2 constructs the parser does not read yet);
    /// `source` then only names the case.
    var program: CheckedProgram? = nil
    /// Whether the harness also runs every kernel with a bad id in each `int` input.
    var checksBadIds = false

    /// The checked program: `program`, or `source` parsed and checked.
    func checked() throws -> CheckedProgram { try program ?? checkedProgram(source, path: "\(name).adj") }

    var testDescription: String {
        "\(name) \(precision.rawValue) \(dims.keys.sorted().map { "\($0)=\(dims[$0]!)" }.joined(separator: ","))"
            + (sanitize ? " asan+ubsan" : "") + (standard == "c99" ? "" : " " + standard) + (openmp ? " openmp" : "") + (blas ? " blas" : "")
            + defines.map { " -D" + $0 }.joined() + (aarch64 ? " aarch64" : "")
    }

    var tolerance: Double { precision == .double ? 1e-10 : 1e-4 }

    /// A double as the element type holds it.
    func rounded(_ value: Double) -> Double { precision == .float ? Double(Float(value)) : value }
}

/// What the harness printed: one line per tensor, `KEY v1 v2 ...`.
typealias HarnessOutput = [String: [Double]]

enum CHarness {
    /// Counts malloc, calloc and realloc, so that the harness can show `step` calls none.
    static let allocationCounter = """
        #include <stddef.h>
        extern void *__libc_malloc(size_t);
        extern void *__libc_calloc(size_t, size_t);
        extern void *__libc_realloc(void *, size_t);
        static long allocations;
        void *malloc(size_t size) { ++allocations; return __libc_malloc(size); }
        void *calloc(size_t count, size_t size) { ++allocations; return __libc_calloc(count, size); }
        void *realloc(void *pointer, size_t size) { ++allocations; return __libc_realloc(pointer, size); }
        long adjoint_allocations(void) { return allocations; }

        """

    static let seed: UInt64 = 7
    /// Tensors with more elements are compared at every k-th element and by the sum of all
    /// magnitudes (printing two million numbers would take longer than computing them).
    static let sampleLimit = 4096

    /// The elements of `values` that `show` prints.
    static func sampled(_ values: [Double]) -> [Double] {
        guard values.count > sampleLimit else { return values }
        let stride = (values.count + sampleLimit - 1) / sampleLimit
        return Swift.stride(from: 0, to: values.count, by: stride).map { values[$0] }
    }
    static let steps = 5
    static let flags = ["-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror"]

    /// Params and inputs for a case: inputs uniform in (0.1, 0.9) (inside log's and the
    /// probability losses' domains), rows of a `softmax_cross_entropy` target summing to 1.
    static func bindings(_ program: CheckedProgram, _ test: KernelCase) -> [String: Tensor] {
        var random = SplitMix64(seed: 2026)
        var bindings: [String: Tensor] = [:]
        if test.paramsFromInit {
            bindings = program.initialParams(seed: seed).mapValues { $0.map(test.rounded) }
        } else {
            for param in program.params {
                bindings[param.name] = random.tensor(param.shape.sizes([:]), test.paramRange.lowerBound, test.paramRange.upperBound)
                    .map(test.rounded)
            }
        }
        let distributions = distributionInputs(program.forwardGraph().graph)
        let bounds = idBounds(program)
        for input in program.inputs {
            if input.element == .int {
                // Valid ids: below the smallest bound among the ops that read them.
                let bound = bounds[input.name] ?? 5
                let count = input.shape.sizes(test.dims).reduce(1, *)
                bindings[input.name] = Tensor(sizes: input.shape.sizes(test.dims), scalars: (0..<count).map { _ in Double(random.next() % UInt64(bound)) })
                continue
            }
            var value = random.tensor(input.shape.sizes(test.dims), 0.1, 0.9)
            if distributions.contains(input.name) {
                let width = max(value.sizes.last ?? 1, 1)
                for start in stride(from: 0, to: value.count, by: width) {
                    let total = value.scalars[start..<start + width].reduce(0, +)
                    for index in start..<start + width { value.scalars[index] /= total }
                }
            }
            bindings[input.name] = value.map(test.rounded)
        }
        for (name, values) in test.values { bindings[name] = Tensor(sizes: bindings[name]!.sizes, scalars: values.map(test.rounded)) }
        return bindings
    }

    /// For each `int` input that ids come from (through views and concatenation), the smallest
    /// number of valid ids among the ops that read it.
    static func idBounds(_ program: CheckedProgram) -> [String: Int] {
        let graph = program.forwardGraph().graph
        var bounds: [String: Int] = [:]
        func sources(_ id: NodeID) -> [String] {
            switch graph[id].op {
            case .leaf(.intInput(let name, _)): return [name]
            case .indexing(.concat): return graph[id].operands.flatMap(sources)
            case .indexing(.take), .indexing(.pick): return sources(graph[id].operands[0])
            case _ where graph[id].op.lowering == .view: return sources(graph[id].operands[0])
            default: return []
            }
        }
        for id in graph.live() {
            guard case .indexing(let op) = graph[id].op, let idsOperand = op.idsOperand,
                let bound = op.idBound(graph[id].operands.map { graph[$0].shape })
            else { continue }
            let size = concreteSize(bound.size, [:])
            for name in sources(graph[id].operands[idsOperand]) { bounds[name] = min(bounds[name] ?? size, size) }
        }
        return bounds
    }

    static func distributionInputs(_ graph: Graph) -> Set<String> {
        Set(graph.nodes.compactMap { node -> String? in
            guard node.op == .loss(.softmaxCrossEntropy), case .leaf(.input(let name, _)) = graph[node.operands[1]].op
            else { return nil }
            return name
        })
    }

    /// The C program that calls every kernel and prints the results.
    static func source(_ kernels: ModelKernels, _ bindings: [String: Tensor], _ test: KernelCase) -> String {
        let name = kernels.name
        let real = test.precision.cType
        var lines = [
            "#define _POSIX_C_SOURCE 200112L", "#include <math.h>", "#include <stdio.h>", "#include <stdlib.h>",
            "#include <string.h>", "#include \"\(name).h\"", "",
            "/* Prints a tensor, or every k-th element of a large one and the sum of all magnitudes. */",
            "static void show(const char *key, const \(real) *values, size_t count)", "{",
            "    size_t stride = count > \(sampleLimit) ? (count + \(sampleLimit - 1)) / \(sampleLimit) : 1;",
            "    printf(\"%s\", key);", "    for (size_t i = 0; i < count; i += stride) printf(\" %.17g\", (double)values[i]);",
            "    printf(\"\\n\");", "    if (stride == 1) return;", "    double total = 0;",
            "    for (size_t i = 0; i < count; ++i) total += fabs((double)values[i]);",
            "    printf(\"sumabs:%s %.17g\\n\", key, total);", "}", "",
        ]
        func literal(_ tensor: Tensor) -> String {
            tensor.scalars.map { $0.isInfinite ? ($0 < 0 ? "-INFINITY" : "INFINITY") : "\($0)" }.joined(separator: ", ")
        }
        for input in kernels.kernels.flatMap(\.arguments) {
            if case .input(let input, _) = input, !lines.contains(where: { $0.contains("in_\(input)[]") }) {
                lines.append("static const \(real) in_\(input)[] = {\(literal(bindings[input]!))};")
            }
            if case .intInput(let input, _) = input, !lines.contains(where: { $0.contains("in_\(input)[]") }) {
                let ids = bindings[input]!.scalars.map { String(Int($0)) }.joined(separator: ", ")
                lines.append("static const int32_t in_\(input)[] = {\(ids)};")
            }
        }
        if !test.paramsFromInit {
            for param in kernels.params {
                lines.append("static const \(real) param_\(param.name)[] = {\(literal(bindings[param.name]!))};")
            }
        }
        lines += [
            "static \(name)_params p, p0, q;", "static \(name)_grads g;", "static \(name)_state s;", "",
            "int main(void)", "{",
        ]
        if test.paramsFromInit {
            lines.append("    \(name)_init(&p, \(seed));")
        } else {
            for param in kernels.params {
                lines.append("    memcpy(p.\(CIdentifiers.field(param.name)), param_\(param.name), sizeof p.\(CIdentifiers.field(param.name)));")
            }
        }
        let dims = kernels.runtimeDims.map { "\(test.dims[$0]!)" }.joined(separator: ", ")
        lines += [
            "    size_t bytes = \(name)_workspace_size(\(dims));", "    void *ws = NULL;",
            "    if (posix_memalign(&ws, 64, bytes ? bytes : 64) != 0) return 2;",
        ]
        func call(_ kind: KernelKind, _ first: [String], _ last: [String], dims: String = "", replacing: [String: String] = [:]) -> String {
            let kernel = kernels.kernel(kind)!
            var arguments = first
            for argument in kernel.arguments {
                switch argument {
                case .input(let input, _): arguments.append("in_\(input)")
                case .intInput(let input, _): arguments.append(replacing[input] ?? "in_\(input)")
                case .dim(let dim): arguments.append(dims.isEmpty ? "\(test.dims[dim]!)" : dims)
                case .output(let output, _), .intOutput(let output, _): arguments.append("out_\(output)")
                case .stream: arguments += ["0", "0"]  // the interpreter's default stream position
                }
            }
            return "\(name)_\(kind.rawValue)(\((arguments + last).joined(separator: ", ")))"
        }
        func fields(_ prefix: String, _ variable: String) -> [String] {
            kernels.params.map { param in
                "    show(\"\(prefix):\(param.name)\", \(variable).\(CIdentifiers.field(param.name)), \(param.shape.fixedElementCount!));"
            }
        }
        func state(_ prefix: String) -> [String] {
            kernels.stateSlots.map { slot in
                slot.name == UpdateProgram.stepCount
                    ? "    printf(\"\(prefix)_t %lld\\n\", (long long)s.t);"
                    : "    show(\"\(prefix):\(slot.name)\", s.\(CIdentifiers.field(slot.name)), \(slot.shape.fixedElementCount!));"
            }
        }
        lines.append("    printf(\"loss %.17g\\n\", (double)\(call(.loss, ["&p"], ["ws"])));")
        lines.append("    printf(\"gradient_loss %.17g\\n\", (double)\(call(.gradient, ["&p"], ["&g", "ws"])));")
        lines += fields("grad", "g")
        // The whole gradient, which `apply` is checked on, as the flat array of docs/kernels.md.
        lines += [
            "    FILE *grads = fopen(\"grads.bin\", \"wb\");",
            "    if (!grads || fwrite(&g, sizeof g, 1, grads) != 1 || fclose(grads) != 0) return 3;",
        ]
        if let predict = kernels.kernel(.predict) {
            for case .output(let output, let shape) in predict.arguments {
                let count = shape.sizes(test.dims).reduce(1, *)
                lines.append("    \(real) *out_\(output) = malloc(\(count) * sizeof(\(real)));")
            }
            for case .intOutput(let output, let shape) in predict.arguments {
                let count = shape.sizes(test.dims).reduce(1, *)
                lines.append("    int32_t *out_\(output) = malloc(\(count) * sizeof(int32_t));")
            }
            lines.append("    \(call(.predict, ["&p"], ["ws"]));")
            for case .output(let output, let shape) in predict.arguments {
                lines.append("    show(\"output:\(output)\", out_\(output), \(shape.sizes(test.dims).reduce(1, *)));")
                lines.append("    free(out_\(output));")
            }
            for case .intOutput(let output, let shape) in predict.arguments {
                let count = shape.sizes(test.dims).reduce(1, *)
                lines.append("    printf(\"output:\(output)\"); for (int k = 0; k < \(count); ++k) printf(\" %d\", (int)out_\(output)[k]); printf(\"\\n\");")
                lines.append("    free(out_\(output));")
            }
        }
        lines += ["    p0 = p;", "    \(name)_state_init(&s\(kernels.draws ? ", \(seed)" : ""));", "    \(name)_apply(&p0, &s, &g);"]
        lines += fields("apply_param", "p0") + state("apply")
        lines += ["    p0 = p;", "    \(name)_state_init(&s\(kernels.draws ? ", \(seed)" : ""));"]
        lines.append("    for (int k = 0; k < \(steps); ++k) printf(\"step_loss %.17g\\n\", (double)\(call(.step, ["&p0", "&s"], ["ws"])));")
        lines += fields("step_param", "p0") + state("step")
        lines += ["    \(name)_init(&q, \(seed));"] + fields("init", "q")
        if !kernels.runtimeDims.isEmpty {
            lines.append("    printf(\"zero_loss %.17g\\n\", (double)\(call(.loss, ["&p"], ["ws"], dims: "0")));")
            lines.append("    printf(\"zero_step %.17g\\n\", (double)\(call(.step, ["&p0", "&s"], ["ws"], dims: "0")));")
            lines.append("    printf(\"zero_bytes %.17g\\n\", (double)\(name)_workspace_size(\(kernels.runtimeDims.map { _ in "0" }.joined(separator: ", "))));")
            if let predict = kernels.kernel(.predict) {
                // predict with a runtime dim of 0 writes nothing: the outputs keep a marker.
                lines.append("    {")
                for case .output(let output, _) in predict.arguments {
                    lines.append("    \(real) out_\(output)[1] = {-12345};")
                }
                for case .intOutput(let output, _) in predict.arguments {
                    lines.append("    int32_t out_\(output)[1] = {-12345};")
                }
                lines.append("    \(call(.predict, ["&p"], ["ws"], dims: "0"));")
                for argument in predict.arguments {
                    let output: String
                    switch argument {
                    case .output(let name, _), .intOutput(let name, _): output = name
                    case .input, .intInput, .dim, .stream: continue
                    }
                    lines.append("    printf(\"zero_predict %.17g\\n\", (double)out_\(output)[0]);")
                }
                lines.append("    }")
            }
        }
        if test.checksBadIds {
            lines += badIdRuns(kernels, bindings, test, call: { call($0, $1, $2, replacing: $3) })
        }
        lines += ["    free(ws);", "    return 0;", "}", ""]
        return lines.joined(separator: "\n")
    }

    /// Every kernel on inputs with one bad id (-1 first, then the bound last, in each `int`
    /// input): `bad_loss`, `bad_gradient`, `bad_step` (NaN expected), `bad_predict_nan` (1 when
    /// every output element is NaN) and `bad_unchanged` (1 when params, state and grads kept
    /// their bytes).
    static func badIdRuns(
        _ kernels: ModelKernels, _ bindings: [String: Tensor], _ test: KernelCase,
        call: (KernelKind, [String], [String], [String: String]) -> String
    ) -> [String] {
        let name = kernels.name
        let real = test.precision.cType
        let bounds = (try? idBounds(test.checked())) ?? [:]
        var lines: [String] = []
        var inputs: [String] = []
        for case .intInput(let input, _) in kernels.kernels.flatMap(\.arguments) where !inputs.contains(input) { inputs.append(input) }
        for input in inputs {
            let count = bindings[input]!.count
            for (position, value) in [(0, -1), (count - 1, bounds[input] ?? 5)] {
                let replacing = [input: "bad"]
                lines += [
                    "    {", "        static int32_t bad[\(count)];", "        memcpy(bad, in_\(input), sizeof bad);",
                    "        bad[\(position)] = \(value);",
                    "        static \(name)_params before_p; static \(name)_grads before_g; static \(name)_state before_s;",
                    "        memset(&g, 0x5a, sizeof g);", "        before_p = p0; before_g = g; before_s = s;",
                    "        printf(\"bad_loss %.17g\\n\", (double)\(call(.loss, ["&p0"], ["ws"], replacing)));",
                    "        printf(\"bad_gradient %.17g\\n\", (double)\(call(.gradient, ["&p0"], ["&g", "ws"], replacing)));",
                    "        printf(\"bad_step %.17g\\n\", (double)\(call(.step, ["&p0", "&s"], ["ws"], replacing)));",
                    "        printf(\"bad_unchanged %d\\n\", memcmp(&before_p, &p0, sizeof p0) == 0 && memcmp(&before_g, &g, sizeof g) == 0 && memcmp(&before_s, &s, sizeof s) == 0);",
                ]
                if let predict = kernels.kernel(.predict), predict.arguments.contains(where: { if case .intInput(input, _) = $0 { true } else { false } }) {
                    var outputs: [(String, Int)] = []
                    for case .output(let output, let shape) in predict.arguments { outputs.append((output, shape.sizes(test.dims).reduce(1, *))) }
                    var intOutputs: [(String, Int)] = []
                    for case .intOutput(let output, let shape) in predict.arguments { intOutputs.append((output, shape.sizes(test.dims).reduce(1, *))) }
                    for (output, size) in outputs { lines.append("        static \(real) out_\(output)[\(size)];") }
                    for (output, size) in intOutputs { lines.append("        static int32_t out_\(output)[\(size)];") }
                    lines.append("        \(call(.predict, ["&p0"], ["ws"], replacing));")
                    lines.append("        int all_nan = 1;")
                    for (output, size) in outputs {
                        lines.append("        for (int k = 0; k < \(size); ++k) all_nan = all_nan && isnan(out_\(output)[k]);")
                    }
                    // An `int` output holds -1 instead of NaN.
                    for (output, size) in intOutputs {
                        lines.append("        for (int k = 0; k < \(size); ++k) all_nan = all_nan && out_\(output)[k] == -1;")
                    }
                    lines.append("        printf(\"bad_predict_nan %d\\n\", all_nan);")
                }
                lines.append("    }")
            }
        }
        return lines
    }

    /// A case's build run once: its kernels, the params and inputs, what it printed, its gradient.
    typealias Run = (kernels: ModelKernels, bindings: [String: Tensor], output: HarnessOutput, gradients: [String: Tensor])

    /// Compiles the case's model and harness with the strict flags, runs it, and parses its output.
    /// A case built before in this test run (the same model, sizes, data and flags: the C of a
    /// sample that `SwiftKernelTests` compares with, the serial build an OpenMP test compares
    /// with) is not built again: the build is deterministic, its result the same.
    static func run(_ test: KernelCase) throws -> Run {
        try runs.value(for: buildKey(test)) { try build(test) }
    }

    /// Everything a case's build and run depend on (all but which checks follow).
    static func buildKey(_ test: KernelCase) -> String {
        [
            test.name, test.program == nil ? test.source : "program " + test.source, test.dims.keys.sorted().map { "\($0)=\(test.dims[$0]!)" }.joined(separator: ","),
            test.precision.rawValue, "\(test.sanitize)", "\(test.paramsFromInit)", "\(test.paramRange)",
            test.values.keys.sorted().map { "\($0)=\(test.values[$0]!)" }.joined(separator: ","), "\(test.openmp)", "\(test.blas)",
            test.defines.joined(separator: ","), "\(test.aarch64)", test.standard, "\(test.checksBadIds)",
        ].joined(separator: "|")
    }

    /// Every case built so far, by `buildKey` (a case built directly from a program, with no
    /// source to parse, is keyed by its name and description, which `IndexingModels` keeps unique).
    static let runs = OnceCache<Run>()

    /// `run` without the cache.
    static func build(_ test: KernelCase) throws -> Run {
        let program = try test.checked()
        let kernels = ModelKernels(
            program, name: test.name, modelPath: "\(test.name).adj", options: CodegenOptions(blas: test.blas))
        let printer = CPrinter(kernels, precision: test.precision, tool: "adjoint test")
        let bindings = bindings(program, test)
        let folder = try temporaryFolder("c-\(test.name)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try printer.header().write(to: folder.appendingPathComponent("\(test.name).h"), atomically: true, encoding: .utf8)
        try printer.source().write(to: folder.appendingPathComponent("\(test.name).c"), atomically: true, encoding: .utf8)
        try source(kernels, bindings, test).write(to: folder.appendingPathComponent("harness.c"), atomically: true, encoding: .utf8)
        let mode = (test.sanitize ? ["-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all"] : ["-O2"])
            + (test.openmp ? ["-fopenmp"] : []) + test.defines.map { "-D" + $0 }
        let compile = try AdjointCodegenTests.run(
            test.aarch64 ? CrossTools.aarch64Compiler : "/usr/bin/cc", flags.map { $0 == "-std=c99" ? "-std=\(test.standard)" : $0 } + mode + ["\(test.name).c", "harness.c", "-o", "harness"] + (test.blas ? CBLAS.linkFlags : []) + ["-lm"],
            in: folder)
        try #require(compile.status == 0, "cc failed:\n\(compile.errors)")
        let binary = folder.appendingPathComponent("harness").path
        let result =
            try test.aarch64
            ? AdjointCodegenTests.run(CrossTools.qemu, ["-L", CrossTools.aarch64Root, binary], in: folder)
            : AdjointCodegenTests.run(binary, [], in: folder)
        try #require(result.status == 0, "harness exited \(result.status):\n\(result.errors)")
        #expect(result.errors.isEmpty, "the harness wrote to standard error:\n\(result.errors)")
        let data = try Data(contentsOf: folder.appendingPathComponent("grads.bin"))
        let flat: [Double] =
            test.precision == .float
            ? data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)).map(Double.init) }
            : data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }
        var gradients: [String: Tensor] = [:]
        var offset = 0
        for param in kernels.params {
            let sizes = param.shape.sizes([:])
            let count = sizes.reduce(1, *)
            gradients[param.name] = Tensor(sizes: sizes, scalars: Array(flat[offset..<offset + count]))
            offset += count
        }
        var output: HarnessOutput = [:]
        for line in result.output.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard let key = words.first else { continue }
            output[String(key), default: []] += words.dropFirst().map { Double(String($0)) ?? .nan }
        }
        return (kernels, bindings, output, gradients)
    }
}

/// The tools that build and run the generated C for aarch64 on another machine (Debian:
/// `gcc-aarch64-linux-gnu` and `qemu-user`); the tests that need them are skipped without them.
enum CrossTools {
    static let aarch64Compiler = "/usr/bin/aarch64-linux-gnu-gcc"
    static let qemu = "/usr/bin/qemu-aarch64"
    /// Where the cross toolchain keeps aarch64's dynamic loader and C library.
    static let aarch64Root = "/usr/aarch64-linux-gnu"
    static var available: Bool {
        FileManager.default.isExecutableFile(atPath: aarch64Compiler) && FileManager.default.isExecutableFile(atPath: qemu)
    }
}
