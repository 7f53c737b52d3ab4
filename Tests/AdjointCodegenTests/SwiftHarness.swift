import AdjointAutodiff
@testable import AdjointCodegen
import AdjointDriver
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Foundation
import Testing

/// The generated Swift of many models compiled into one executable (each `swiftc -O` run costs
/// seconds, so every case shares one), run once, its output split by case. Each case prints
/// the keys the C harness prints (`loss`, `grad:W1`, `step_loss`, ...), so that the same checks
/// and a direct comparison with the C kernels apply. `apply` runs on the interpreter's gradient,
/// which the test writes next to the params and inputs.
final class SwiftHarness: @unchecked Sendable {
    /// Every case's output by `SwiftHarness.key`, or why there is none.
    let outputs: Result<[String: HarnessOutput], HarnessFailure>

    struct HarnessFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// The cases `SwiftKernelTests` checks: every sample, the op models and the update rules in
    /// double; a few samples and op models in float.
    static let kernelCases: [KernelCase] = {
        let floatSamples: Set<String> = ["digits", "mnist_mlp", "logistic", "adamw"]
        let floatOps: Set<String> = ["elementwise", "losses", "normalizers", "reductions", "functions_v2", "diagonals"]
        let doubles = TestModels.sampleCases(dims: [7], precisions: [.double]) + TestModels.cases(dims: [7], precisions: [.double])
        let floats = TestModels.sampleCases(dims: [7], precisions: [.float]).filter { floatSamples.contains($0.name) }
            + TestModels.cases(dims: [7], precisions: [.float]).filter { floatOps.contains($0.name) }
        return doubles + floats
    }()

    /// Every case any suite checks in Swift, compiled into one executable (one `swiftc` run for
    /// the whole test run): `SwiftKernelTests`' cases, the indexing, selection and batched-product
    /// models, and the models whose names are Swift's own identifiers.
    static let cases: [KernelCase] = {
        let all = kernelCases + IndexingModels.cases + SelectionKernelTests.swiftCases + BatchedMatmulKernelTests.swiftCases
            + IdentifierTests.swiftCases
        precondition(Set(all.map(key)).count == all.count, "two Swift harness cases share a key")
        return all
    }()

    static let shared = SwiftHarness(cases)

    /// Whether a case is compiled with `-O`, as users build the kernels: the samples, whose step
    /// must not allocate (a property of optimized builds: unoptimized Swift allocates closure
    /// contexts). The other cases check values, which `-Onone` computes the same (Swift does not
    /// reassociate floating point) in a third of the compile time.
    static func isOptimized(_ test: KernelCase) -> Bool {
        test.swiftKey == nil && Repository.samples.contains { TestModels.identifier($0) == test.name }
    }

    /// The type and file name of a case: `digits_double` (struct `DigitsDouble`).
    static func key(_ test: KernelCase) -> String { test.swiftKey ?? "\(test.name)_\(test.precision.rawValue)" }

    init(_ cases: [KernelCase]) {
        do {
            outputs = .success(try Self.build(cases))
        } catch let failure as HarnessFailure {
            outputs = .failure(failure)
        } catch {
            outputs = .failure(HarnessFailure(description: "\(error)"))
        }
    }

    /// The output of one case, failing the test if the build or the run failed.
    func output(_ test: KernelCase) throws -> HarnessOutput {
        switch outputs {
        case .success(let all):
            return try #require(all[Self.key(test)], "the Swift harness printed nothing for \(Self.key(test))")
        case .failure(let failure):
            Issue.record("\(failure)")
            throw failure
        }
    }

    static func build(_ cases: [KernelCase]) throws -> [String: HarnessOutput] {
        let folder = try temporaryFolder("swift-harness")
        defer { if ProcessInfo.processInfo.environment["KEEP_HARNESS"] == nil { try? FileManager.default.removeItem(at: folder) } }
        let prelude = [
            "import Foundation", "",
            "@_silgen_name(\"adjoint_allocations\") func allocations() -> Int", "",
            "/// Prints a tensor, or every k-th element of a large one and the sum of all magnitudes.",
            "func show<T: BinaryFloatingPoint>(_ key: String, _ values: [T]) {",
            "    let stride = values.count > \(CHarness.sampleLimit) ? (values.count + \(CHarness.sampleLimit - 1)) / \(CHarness.sampleLimit) : 1",
            "    print(([key] + Swift.stride(from: 0, to: values.count, by: stride).map { \"\\(Double(values[$0]))\" }).joined(separator: \" \"))",
            "    if stride > 1 { print(\"sumabs:\\(key) \\(values.reduce(0.0) { $0 + abs(Double($1)) })\") }",
            "}", "",
            "/// The doubles of a file, in order.",
            "func read(_ path: String) -> [Double] {",
            "    let data = FileManager.default.contents(atPath: path)!",
            "    return data.withUnsafeBytes { Array($0.bindMemory(to: Double.self)) }",
            "}", "",
        ]
        var functions: [String: [String]] = [:]
        for test in cases {
            let program = try test.checked()
            let key = key(test)
            let kernels = ModelKernels(program, name: key, modelPath: "\(test.name).adj")
            let printer = SwiftPrinter(kernels, precision: test.precision, tool: "adjoint test")
            try printer.source().write(to: folder.appendingPathComponent("\(key).swift"), atomically: true, encoding: .utf8)
            let bindings = CHarness.bindings(program, test)
            let forward = program.forwardGraph()
            let gradient = ReverseMode.differentiate(forward)
            let values = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: test.dims)
            var data: [Double] = []
            if !test.paramsFromInit { for param in kernels.params { data += bindings[param.name]!.scalars } }
            for input in program.inputs { data += bindings[input.name]!.scalars }
            for param in kernels.params {
                data += values[gradient.gradients.first { $0.param == param.name }!.node]!.scalars
            }
            try data.withUnsafeBytes { try Data($0).write(to: folder.appendingPathComponent("\(key).bin")) }
            functions[key] = caseFunction(printer, program, test)
        }
        try CHarness.allocationCounter.write(to: folder.appendingPathComponent("allocations.c"), atomically: true, encoding: .utf8)
        let counter = try run("/usr/bin/cc", ["-O2", "-c", "allocations.c", "-o", "allocations.o"], in: folder)
        guard counter.status == 0 else { throw HarnessFailure(description: "cc failed: \(counter.errors)") }
        // Two executables, the samples optimized (`isOptimized`), each from its own folder (top-level
        // code must be in a `main.swift`), compiled in six batches on two jobs: the models' compile
        // times differ tenfold, and two batches of equal file counts would leave one core idle
        // while the other finishes.
        var printed = ""
        for optimized in [true, false] {
            let chosen = cases.filter { isOptimized($0) == optimized }.map(key)
            guard !chosen.isEmpty else { continue }
            let subfolder = folder.appendingPathComponent(optimized ? "optimized" : "unoptimized")
            try FileManager.default.createDirectory(at: subfolder, withIntermediateDirectories: false)
            var main = prelude
            for key in chosen { main += functions[key]! }
            main += ["let cases = ["] + chosen.map { "    (\"\($0)\", run_\($0))," } + ["]"]
            main += ["for (key, run) in cases {", "    print(\"case \\(key)\")", "    run(read(\"../\" + key + \".bin\"))", "}", ""]
            try main.joined(separator: "\n").write(to: subfolder.appendingPathComponent("main.swift"), atomically: true, encoding: .utf8)
            let compile = try run(
                swiftc, [optimized ? "-O" : "-Onone", "-swift-version", "6", "-warnings-as-errors", "-j", "2", "-driver-batch-count", "6"]
                    + ["main.swift"] + chosen.map { "../\($0).swift" } + ["../allocations.o", "-o", "harness"],
                in: subfolder)
            guard compile.status == 0 else { throw HarnessFailure(description: "swiftc failed:\n\(compile.errors)") }
            let result = try run(subfolder.appendingPathComponent("harness").path, [], in: subfolder)
            guard result.status == 0 else { throw HarnessFailure(description: "the harness exited \(result.status):\n\(result.errors)") }
            printed += result.output
        }
        var outputs: [String: HarnessOutput] = [:]
        var current = ""
        for line in printed.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard let first = words.first else { continue }
            if first == "case" {
                current = String(words[1])
                continue
            }
            outputs[current, default: [:]][String(first), default: []] += words.dropFirst().map { Double(String($0)) ?? .nan }
        }
        return outputs
    }

    /// The Swift compiler beside the one running the tests, or the one on the path.
    static var swiftc: String {
        let candidates = ["/usr/bin/swiftc"] + (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map { "\($0)/swiftc" }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "swiftc"
    }


    /// `func run_digits_double(_ data: [Double])`: every kernel on the case's data, printed.
    static func caseFunction(_ printer: SwiftPrinter, _ program: CheckedProgram, _ test: KernelCase) -> [String] {
        let kernels = printer.kernels
        let key = key(test)
        let (type, real) = (printer.typeName, printer.real)
        var lines = [
            "func run_\(key)(_ data: [Double]) {", "    var cursor = 0",
            "    func take(_ count: Int) -> [\(real)] {", "        defer { cursor += count }",
            "        return data[cursor..<cursor + count].map { \(real)($0) }", "    }",
            "    \(test.paramsFromInit ? "let" : "var") model = \(type)(seed: \(CHarness.seed))",
        ]
        func count(_ shape: Shape) -> Int { shape.sizes(test.dims).reduce(1, *) }
        if !test.paramsFromInit {
            for param in kernels.params { lines.append("    model.\(printer.paramFields[param.name]!) = take(\(count(param.shape)))") }
        }
        let used = Set(kernels.kernels.flatMap(\.arguments).compactMap { argument -> String? in
            switch argument {
            case .input(let name, _), .intInput(let name, _): name
            case .dim, .output, .intOutput, .stream: nil
            }
        })
        for input in program.inputs {
            let ids = input.element == .int ? ".map { Int32($0) }" : ""
            lines.append("    \(used.contains(input.name) ? "let in_\(input.name) =" : "_ =") take(\(count(input.shape)))\(ids)")
        }
        let grads = kernels.params.map { "\(printer.paramFields[$0.name]!): take(\(count($0.shape)))" }
        lines.append("    let applied = \(type).Grads(\(grads.joined(separator: ", ")))")
        func call(_ kind: KernelKind, on model: String = "model", zero: Bool = false, replacing: [String: String] = [:]) -> String {
            let kernel = kernels.kernel(kind)!
            let arguments = kernel.arguments.compactMap { argument -> String? in
                switch argument {
                case .input(let name, _): "\(SwiftIdentifiers.label(name)): in_\(name)"
                case .intInput(let name, _): "\(SwiftIdentifiers.label(name)): \(replacing[name] ?? "in_\(name)")"
                case .dim(let name): "\(SwiftIdentifiers.label(name)): \(zero ? 0 : test.dims[name]!)"
                case .output, .intOutput: nil
                case .stream: "seed: 0, t: 0"  // the interpreter's default stream position
                }
            }
            return "\(model).\(kind.rawValue)(\(arguments.joined(separator: ", ")))"
        }
        func fields(_ prefix: String, _ variable: String) -> [String] {
            kernels.params.map { "    show(\"\(prefix):\($0.name)\", \(variable).\(printer.paramFields[$0.name]!))" }
        }
        func state(_ prefix: String, _ variable: String) -> [String] {
            printer.moments.map { "    show(\"\(prefix):\($0.name)\", \(variable).\(printer.stateFields[$0.name]!))" }
                + ["    print(\"\(prefix)_t \\(\(variable).t)\")"]
        }
        lines.append("    show(\"loss\", [\(call(.loss))])")
        lines += ["    let gradient = \(call(.gradient))", "    show(\"gradient_loss\", [gradient.loss])"]
        lines += fields("grad", "gradient.grads")
        if kernels.kernel(.predict) != nil {
            lines.append("    let outputs = \(call(.predict))")
            let names = printer.outputs.map(\.name)
            for output in printer.outputs {
                // An `int` output (`[Int32]`) is shown as doubles.
                let converted = output.element == "Int32" ? ".map { Double($0) }" : ""
                lines.append("    show(\"output:\(output.name)\", outputs\(names.count == 1 ? "" : "." + printer.tupleLabel(output.name))\(converted))")
            }
            if !kernels.runtimeDims.isEmpty {
                lines.append("    let none = \(call(.predict, zero: true))")
                for name in names {
                    lines.append("    print(\"zero_predict_count \\(none\(names.count == 1 ? "" : "." + printer.tupleLabel(name)).count)\")")
                }
            }
        }
        lines += ["    var updated = model", "    updated.apply(applied)"] + fields("apply_param", "updated") + state("apply", "updated")
        lines += ["    var stepped = model", "    for _ in 0..<\(CHarness.steps) { show(\"step_loss\", [\(call(.step, on: "stepped"))]) }"]
        lines += fields("step_param", "stepped") + state("step", "stepped")
        lines += ["    let fresh = \(type)(seed: \(CHarness.seed))"] + fields("init", "fresh")
        if !kernels.runtimeDims.isEmpty {
            let zeros = kernels.runtimeDims.map { "\(SwiftIdentifiers.label($0)): 0" }.joined(separator: ", ")
            lines += [
                "    show(\"zero_loss\", [\(call(.loss, zero: true))])", "    show(\"zero_step\", [\(call(.step, on: "stepped", zero: true))])",
                "    print(\"zero_bytes \\(\(type).workspaceSize(\(zeros)))\")",
            ]
        }
        if test.checksBadIds {
            // Every kernel with one bad id: NaN, NaN outputs, and the model unchanged.
            let bounds = (try? CHarness.idBounds(test.checked())) ?? [:]
            var inputs: [String] = []
            for case .intInput(let input, _) in kernels.kernels.flatMap(\.arguments) where !inputs.contains(input) { inputs.append(input) }
            for input in inputs {
                for (position, value) in [("0", "-1"), ("in_\(input).count - 1", "\(bounds[input] ?? 5)")] {
                    lines += [
                        "    do {", "        var bad = in_\(input)", "        bad[\(position)] = \(value)",
                        "        var probe = stepped", "        show(\"bad_loss\", [\(call(.loss, on: "probe", replacing: [input: "bad"]))])",
                        "        show(\"bad_gradient\", [\(call(.gradient, on: "probe", replacing: [input: "bad"])).loss])",
                        "        show(\"bad_step\", [\(call(.step, on: "probe", replacing: [input: "bad"]))])",
                    ]
                    let fields = kernels.params.map { "probe.\(printer.paramFields[$0.name]!) == stepped.\(printer.paramFields[$0.name]!)" }
                        + printer.moments.map { "probe.\(printer.stateFields[$0.name]!) == stepped.\(printer.stateFields[$0.name]!)" } + ["probe.t == stepped.t"]
                    lines.append("        print(\"bad_unchanged \\(\(fields.joined(separator: " && ")) ? 1 : 0)\")")
                    if let predict = kernels.kernel(.predict), predict.arguments.contains(where: { if case .intInput(input, _) = $0 { true } else { false } }) {
                        let names = printer.outputs.map(\.name)
                        lines.append("        let outputs = \(call(.predict, on: "probe", replacing: [input: "bad"]))")
                        let checks = printer.outputs.map { output in
                            "outputs\(names.count == 1 ? "" : "." + printer.tupleLabel(output.name))"
                                + (output.element == "Int32" ? ".allSatisfy { $0 == -1 }" : ".allSatisfy(\\.isNaN)")
                        }
                        lines.append("        print(\"bad_predict_nan \\(\(checks.joined(separator: " && ")) ? 1 : 0)\")")
                    }
                    lines.append("    }")
                }
            }
        }
        // The allocations of one more step (its scratch already sized), and of a probe.
        lines += [
            "    let before = allocations()", "    let last = \(call(.step, on: "stepped"))", "    let during = allocations() - before",
            "    let probe = [\(real)](repeating: last, count: cursor + 1)",
            "    print(\"step_allocations \\(during) \\(allocations() - before - during) \\(probe.count)\")", "}", "",
        ]
        return lines
    }
}
