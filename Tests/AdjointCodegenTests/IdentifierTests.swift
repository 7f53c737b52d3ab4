import AdjointAutodiff
@testable import AdjointCodegen
import AdjointDriver
import AdjointIR
import AdjointInterpreter
import AdjointSyntax
import Foundation
import Testing

/// Names from the model file in generated code: every macro of the C headers, every name of the
/// Swift standard library and the generated code's own names may be a param, an input, a dim or
/// the model file's name, and the C (`-std=c99` and `-std=gnu11`) and Swift still build and train.
@Suite struct IdentifierTests {
    /// The headers of `ReservedNames.cMacros` (notes/generate-reserved-names.sh).
    static let headers = """
        assert.h complex.h ctype.h errno.h fenv.h float.h inttypes.h iso646.h limits.h locale.h math.h setjmp.h
        signal.h stdarg.h stdbool.h stddef.h stdint.h stdio.h stdlib.h string.h tgmath.h time.h wchar.h wctype.h
        unistd.h fcntl.h sys/types.h sys/stat.h sys/time.h sys/mman.h pthread.h dlfcn.h dirent.h strings.h
        """.split(whereSeparator: \.isWhitespace)

    /// Every macro this machine's headers define in both modes, `__linux__` and `_GNU_SOURCE`
    /// included, from `cc -E -dM`.
    static func machineMacros() throws -> Set<String> {
        let folder = try temporaryFolder("macros")
        defer { try? FileManager.default.removeItem(at: folder) }
        try headers.map { "#include <\($0)>\n" }.joined().write(to: folder.appendingPathComponent("all.c"), atomically: true, encoding: .utf8)
        var names = Set<String>()
        for standard in ["c99", "gnu11"] {
            let result = try run("/usr/bin/cc", ["-std=\(standard)", "-E", "-dM", "all.c"], in: folder)
            try #require(result.status == 0, "\(result.errors)")
            for line in result.output.split(separator: "\n") {
                let words = line.split(separator: " ")
                if words.count >= 2 { names.insert(String(words[1].prefix { $0 != "(" })) }
            }
        }
        return names
    }

    /// The committed list covers this machine's headers: every macro they define is mangled, in a
    /// field and in a parameter, to a name that is no macro.
    @Test func reservedListsCoverThisMachine() throws {
        let macros = try Self.machineMacros()
        #expect(macros.count > 1000)
        for macro in macros.sorted() {
            for mangled in [CIdentifiers.field(macro), CIdentifiers.user(macro, model: "m")] {
                #expect(mangled != macro && !macros.contains(mangled), "\(macro) -> \(mangled)")
            }
        }
        // None of the model's own file-scope names is a macro, whatever the model's name.
        for macro in macros {
            #expect(!CIdentifiers.modelSymbols.contains { macro.hasSuffix("_" + $0) }, "\(macro)")
        }
    }

    /// The issue's names, and the rule's two steps.
    @Test(arguments: [
        ("SIZE_MAX", "SIZE_MAX_", "SIZE_MAX_"), ("SIZE_MAX_", "SIZE_MAX__", "SIZE_MAX__"), ("linux", "linux_", "linux_"),
        ("M_PI", "M_PI_", "M_PI_"), ("math_errhandling", "math_errhandling_", "math_errhandling_"), ("count", "count", "count_"),
        ("kernel", "kernel", "kernel_"), ("W1", "W1", "W1"), ("w1", "w1", "w1_"), ("x_", "x_", "x_"), ("memset", "memset", "memset_"),
        ("__linux__", "u__linux__", "u__linux__"), ("_X", "u_X", "u_X"), ("u_X", "uu_X", "uu_X"), ("_x", "_x", "_x"),
        ("_", "u_", "u_"), ("net_grads", "net_grads", "net_grads_"), ("cblas_sgemm", "cblas_sgemm", "cblas_sgemm_"),
    ])
    func cNames(name: String, field: String, parameter: String) {
        #expect(CIdentifiers.field(name) == field)
        #expect(CIdentifiers.user(name, model: "net") == parameter)
    }

    @Test(arguments: [
        ("value", "value_", "value_"), ("seed", "seed_", "seed_"), ("grads", "grads_", "grads_"), ("Float", "Float_", "Float_"),
        ("loss", "loss_", "loss_"), ("Grads", "Grads_", "Grads_"), ("String", "String_", "String_"), ("count", "count", "count_"),
        ("g0", "g0_", "g0_"), ("g_x", "g_x", "g_x"), ("w1", "w1", "w1_"), ("W1", "W1", "W1"), ("first", "first", "first"),
    ])
    func swiftNames(name: String, field: String, local: String) {
        #expect(SwiftIdentifiers.field(name) == field)
        #expect(SwiftIdentifiers.user(name) == local)
    }

    /// A struct named after a type the user's module sees would hide it.
    @Test func typeNames() {
        #expect(SwiftIdentifiers.typeName("string") == "StringModel")
        #expect(SwiftIdentifiers.typeName("error") == "ErrorModel")
        #expect(SwiftIdentifiers.typeName("sendable") == "SendableModel")
        #expect(SwiftIdentifiers.typeName("data") == "DataModel")
        #expect(SwiftIdentifiers.typeName("grads") == "GradsModel")
        #expect(SwiftIdentifiers.typeName("model_34_gmm") == "Model34Gmm")
        #expect(SwiftIdentifiers.typeName("digits") == "Digits")
    }

    /// The rule never maps two names to one, and never to a listed name it changed: over every
    /// listed name with zero to two underscores after it and `u`s before it. (The lists' names
    /// that end in `_` are left out of the second check: `UnboundedRange` gives Swift's own
    /// `UnboundedRange_`, which generated code never uses.)
    @Test func manglingIsOneToOne() {
        let lists = ReservedNames.cMacros.union(ReservedNames.cDeclarations).union(ReservedNames.swiftTopLevel)
        let endingInUnderscore = lists.filter { $0.hasSuffix("_") }
        #expect(endingInUnderscore.count <= 2, "\(endingInUnderscore.sorted())")
        let names = Set(lists.union(["_", "__", "_X", "__x", "u_", "uu_X", "g0", "v12", "count", "net_grads", "value", "Grads"]).flatMap { name in ["", "u", "uu"].flatMap { u in ["", "_", "__"].map { u + name + $0 } } })
        let rules: [(String, (String) -> String)] = [
            ("C field", CIdentifiers.field), ("C parameter", { CIdentifiers.user($0, model: "net") }),
            ("Swift property", SwiftIdentifiers.field), ("Swift local", SwiftIdentifiers.user),
        ]
        for (label, rule) in rules {
            var seen: [String: String] = [:]
            for name in names {
                let mangled = rule(name)
                if let other = seen.updateValue(name, forKey: mangled) { Issue.record("\(label): \(other) and \(name) both give \(mangled)") }
                #expect(!lists.contains(mangled) || mangled == name || endingInUnderscore.contains(mangled), "\(label): \(name) -> \(mangled)")
            }
        }
    }

    // MARK: - Generated code that builds and trains

    /// Names the model below takes: the issue's, the generated code's own, and every k-th name of
    /// each list (those the `.adj` language itself refuses left out).
    static func drawn(_ list: Set<String>, count: Int) -> [String] {
        let sorted = list.sorted()
        return stride(from: 0, to: sorted.count, by: max(sorted.count / count, 1)).map { sorted[$0] }
    }

    /// A model whose every declared name is one given: runtime dims each with an input, scalar
    /// params, and (the last two of `params`) an output and the loss; trained by `rule`, whose
    /// moments are named after the params (`m_value`).
    static func model(dims: [String], inputs: [String], params: [String], rule: String) -> (source: String, dims: [String: Int]) {
        let (output, loss) = (params[params.count - 2], params[params.count - 1])
        let params = Array(params.dropLast(2))
        var lines = dims.map { "dim \($0)" } + zip(inputs, dims).map { "input \($0): [\($1)]" }
        lines += params.enumerated().map { "param \($1) = \(Double($0 % 7 + 1) / 8)" }
        lines.append("\(output) = \(params[0]) * \(inputs[0]) + \(params[1])")
        var terms = ["sum(\(output)^2)"]
        for (index, input) in inputs.enumerated().dropFirst() { terms.append("sum((\(params[index]) * \(input))^2)") }
        terms += params.map { "\($0)^2" }
        lines += ["\(loss) = " + terms.joined(separator: " + "), "output \(output)", "minimize \(loss) using \(rule)(lr = 0.01)"]
        return (lines.joined(separator: "\n") + "\n", Dictionary(uniqueKeysWithValues: dims.enumerated().map { ($1, $0 + 2) }))
    }

    /// Runtime dims and inputs: the issue's, names `workspace_size` and the kernels use for
    /// themselves, a type of the headers, a predefined macro, and the model's own type's name.
    static let dims = ["count", "kernel", "size_t", "__STDC__"]
    static let inputs = ["loss", "step", "Grads", "linux_grads"]

    static let issueNames = [
        "FP_NAN", "SIZE_MAX", "INT64_MAX", "HUGE_VALF", "math_errhandling", "linux", "unix", "M_PI", "value", "seed",
        "grads", "bytes", "workspace", "Float", "__linux__", "_GNU_SOURCE", "g0", "g_value", "m_value", "stdin", "errno",
        "st_atime", "EOF", "y0", "index", "v1", "w1", "i0", "p", "s", "t", "String", "Array", "Data", "print", "max",
        "self", "init", "_", "u_", "x_", "Self", "predict", "apply", "gradient", "scratch", "Scratch", "SplitMix64",
    ]
    static let swiftMembers = [
        "first", "last", "description", "isEmpty", "startIndex", "endIndex", "indices", "capacity", "baseAddress",
        "pointee", "magnitude", "sign", "ulp", "nan", "infinity", "squareRoot", "rounded", "hashValue",
    ]

    /// Every name the params take, those the `.adj` language itself refuses left out.
    static let params: [String] = {
        var unique: [String] = []
        let all = issueNames + drawn(ReservedNames.cMacros, count: 40) + drawn(ReservedNames.swiftTopLevel, count: 40)
            + drawn(ReservedNames.cDeclarations, count: 12) + swiftMembers
        for name in all where !unique.contains(name) && !dims.contains(name) && !inputs.contains(name)
            && Keyword(rawValue: name) == nil && Builtin.all[name] == nil && !["adam", "lr"].contains(name)
        {
            unique.append(name)
        }
        return unique
    }()

    /// In C, under `-std=c99` and `-std=gnu11` with every warning an error, as a model file
    /// called `linux` (a macro in GNU mode): every kernel against the interpreter, five steps.
    @Test(arguments: ["c99", "gnu11"])
    func everyNameBuildsAndTrainsInC(standard: String) throws {
        #expect(Self.params.count > 150)
        let (source, dims) = Self.model(dims: Self.dims, inputs: Self.inputs, params: Self.params, rule: "adam")
        try verify(KernelCase(name: "linux", source: source, dims: dims, precision: .double, standard: standard))
    }

    /// In Swift, as model files called `string`, `error`, `sendable` and so on (whose structs must
    /// not hide `String` from the module that also holds the harness), the params split among them.
    /// (In the shared Swift harness, whose module also holds every other model.)
    static let swiftCases: [KernelCase] = {
        let models = ["string", "error", "sendable", "data", "float", "grads", "array", "task"]
        let chunk = 30
        let all = IdentifierTests.params
        return stride(from: 0, to: all.count, by: chunk).enumerated().map { index, start in
            let params = Array(all[start..<min(start + chunk, all.count)])
            let (source, dims) = IdentifierTests.model(dims: IdentifierTests.dims, inputs: IdentifierTests.inputs, params: params, rule: "adam")
            return KernelCase(name: models[index], source: source, dims: dims, precision: .double, swiftKey: models[index])
        }
    }()

    @Test func everyNameBuildsAndTrainsInSwift() throws {
        #expect(Self.swiftCases.count > 5)
        for test in Self.swiftCases {
            let output = try SwiftHarness.shared.output(test)
            let program = try checkedProgram(test.source, path: "\(test.name).adj")
            let bindings = CHarness.bindings(program, test)
            let forward = program.forwardGraph()
            let loss = Interpreter.evaluate(forward.graph, bindings: bindings, dims: test.dims)[forward.loss]!.scalar
            #expect(relativeError(output["loss"] ?? [], [loss]) <= test.tolerance, "\(test.name)")
            let (losses, final) = ReferenceSteps.shared.steps(test, UpdateProgram.step(program), bindings)
            #expect(relativeError(output["step_loss"] ?? [], losses) <= test.tolerance, "\(test.name): \(output["step_loss"] ?? [])")
            for param in program.params {
                let expected = final.bindings[param.name]!.scalars
                #expect(relativeError(output["step_param:\(param.name)"] ?? [], expected) <= test.tolerance, "\(test.name): \(param.name)")
            }
        }
    }

    /// A model file whose name starts with a digit gives `model_34_gmm`, no file-scope `_34_gmm_init`.
    @Test func fileNameStartingWithADigit() throws {
        let folder = try temporaryFolder("compile-digit")
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = folder.appendingPathComponent("34_gmm.adj")
        try "param w = 2\nloss = w * w\nminimize loss\n".write(to: model, atomically: true, encoding: .utf8)
        for emit in ["c", "swift"] {
            let result = CommandLineInterface.run(["compile", model.path, "--emit", emit, "-o", folder.path])
            #expect(result.status == 0, "\(result.errors)")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names == ["34_gmm.adj", "model_34_gmm.c", "model_34_gmm.h", "model_34_gmm.swift"])
        let header = try String(contentsOf: folder.appendingPathComponent("model_34_gmm.h"), encoding: .utf8)
        #expect(header.contains("void model_34_gmm_init(model_34_gmm_params *p, uint64_t seed);"))
        let swift = try String(contentsOf: folder.appendingPathComponent("model_34_gmm.swift"), encoding: .utf8)
        #expect(swift.contains("public struct Model34Gmm: Sendable {"))
        let usage = CommandLineInterface.run(["compile", model.path, "--emit", "c", "--name", "_gmm", "-o", folder.path])
        #expect(usage.status == 2 && usage.errors.contains("not starting with a digit or '_'"), "\(usage.errors)")
    }
}
