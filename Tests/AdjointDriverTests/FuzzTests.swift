import AdjointAutodiff
import AdjointDriver
import AdjointIR
import AdjointInterpreter
import AdjointSyntax
import Foundation
import Testing

/// Random models, deterministic by seed: the compiler never crashes on them, every diagnostic
/// points inside the file, and every model that checks differentiates into graphs that verify and
/// closed forms that print in every format.
@Suite struct FuzzTests {
    typealias Random = SplitMix64

    static let header = """
        dim batch
        dim k = 3
        const c = 0.5
        input x: [batch, 3]
        input y: [batch, 3]
        param W: [3, 3]
        param b: [3]
        param s = 0.5
        param v: [3] = normal(0, 1)

        """

    /// An expression over the declared names, of random shape: often ill-typed, which is the point.
    static func expression(_ random: inout Random, names: [String], depth: Int) -> String {
        if depth == 0 || random.chance(25) {
            return random.chance(80) ? random.pick(names) : random.pick(["2", "0.5", "1e-3", "c", "-1"])
        }
        let sub = { (random: inout Random) in expression(&random, names: names, depth: depth - 1) }
        switch random.below(4) {
        case 0:
            return "(\(sub(&random)) \(random.pick(["+", "-", "*", "/", "@", "^"])) \(sub(&random)))"
        case 1:
            return "-" + sub(&random)
        default:
            // Version 1's built-ins and the functions of tensors and numbers version 2 added.
            let builtins = Builtin.all.merging(Builtin.version2Functions) { first, _ in first }
            let builtin = builtins[random.pick(builtins.keys.sorted())]!
            var arguments: [String] = []
            for parameter in builtin.parameters {
                if parameter.isOptional && random.chance(60) { continue }
                switch parameter.kind {
                case .tensor: arguments.append(sub(&random))
                case .axis: arguments.append("\(parameter.name) = \(random.below(5) - 2)")
                case .number, .positiveNumber: arguments.append("\(parameter.name) = \(random.pick(["0.1", "2", "c"]))")
                case .fraction: arguments.append("\(parameter.name) = \(random.pick(["0.1", "0", "1"]))")
                case .flag: arguments.append("\(parameter.name) = \(random.pick(["0", "1"]))")
                }
            }
            return "\(builtin.name)(\(arguments.joined(separator: ", ")))"
        }
    }

    static func model(seed: UInt64) -> String {
        var random = Random(seed: seed)
        var names = ["x", "y", "W", "b", "s", "v", "c"]
        var text = header
        for index in 0..<(1 + random.below(5)) {
            let name = "h\(index)"
            text += "\(name) = \(expression(&random, names: names, depth: 3))\n"
            names.append(name)
        }
        let objective = random.chance(70) ? "sum(\(names.last!))" : expression(&random, names: names, depth: 2)
        text += "minimize \(objective) using \(random.pick(["sgd(lr = 0.1)", "adam()", "momentum(momentum = 0.5)"]))\n"
        return text
    }

    @Test func randomModelsCheckOrFailCleanlyAndDifferentiate() {
        var checkedCount = 0
        for seed in 0..<3000 as Range<UInt64> {
            let text = Self.model(seed: seed)
            let result = Frontend.check(SourceFile(path: "fuzz.adj", text: text))
            for diagnostic in result.diagnostics {
                #expect(diagnostic.range.end <= text.utf8.count, "seed \(seed)")
            }
            guard let program = result.checked else {
                #expect(!result.diagnostics.isEmpty, "seed \(seed): neither checked nor diagnosed")
                continue
            }
            checkedCount += 1
            let derivation = Derivation(path: "fuzz.adj", program: program)
            #expect(derivation.gradient.graph.verify() == [], "seed \(seed)\n\(text)")
            for format in Derivation.Format.allCases {
                #expect(!derivation.render(format).isEmpty)
            }
        }
        // The generator must exercise differentiation, not only diagnostics.
        #expect(checkedCount >= 300, "only \(checkedCount) of 3000 random models checked")
    }

    /// Random bytes drawn mostly from the language's own characters.
    @Test func randomTextNeverCrashesTheFrontEnd() {
        var random = Random(seed: 7)
        let alphabet = Array("abcxyWdim input param const minimize using output sum relu axis=0123456789.e+-*/@^()[],:=#\n \t$é".utf8)
        for seed in 0..<400 {
            let count = random.below(200)
            var bytes = (0..<count).map { _ in random.pick(alphabet) }
            if seed % 10 == 0 { bytes.append(UInt8(truncatingIfNeeded: random.next())) }
            let result = Frontend.check(SourceFile(path: "noise.adj", bytes: bytes))
            for diagnostic in result.diagnostics {
                #expect(diagnostic.range.start <= diagnostic.range.end && diagnostic.range.end <= bytes.count)
            }
            #expect((result.checked != nil) != !result.diagnostics.isEmpty, "seed \(seed)")
        }
    }

    /// A smoke run of the fuzzer of `adjoint-fuzz` on 2,000 inputs (fixed seeds): random bytes,
    /// token streams, deep nesting and mutations of every sample. Each ends in success or located
    /// diagnostics (a crash fails the whole run), and what checks differentiates, prints and takes
    /// a step. The long run, 20,000 inputs in a release build, is `adjoint-fuzz --inputs 20000`,
    /// which `.ci/run` runs: in a debug build it was the suite's long pole by minutes.
    @Test func fuzzedInputsSmokeRun() async throws {
        let corpus = try Repository.models(in: "samples").map { try String(contentsOf: Repository.url($0), encoding: .utf8) }
        let fuzzer = Fuzzer(corpus: corpus)
        // Two halves at once, one per core.
        let halves = await withTaskGroup(of: (checked: Int, failures: [String]).self) { group in
            for half in 0..<2 as Range<UInt64> {
                group.addTask {
                    var checked = 0
                    var failures: [String] = []
                    for seed in stride(from: half, to: Self.smokeInputs, by: 2) {
                        let outcome = fuzzer.exercise(fuzzer.input(seed))
                        if outcome.checked { checked += 1 }
                        if !outcome.violations.isEmpty && failures.count < 10 { failures.append("seed \(seed): \(outcome.violations)") }
                    }
                    return (checked, failures)
                }
            }
            return await group.reduce(into: [(checked: Int, failures: [String])]()) { $0.append($1) }
        }
        let checked = halves.reduce(0) { $0 + $1.checked }
        let failures = halves.flatMap(\.failures)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        // Mutations must keep reaching differentiation, not only the diagnostics.
        #expect(checked >= Int(Self.smokeInputs) / 10, "only \(checked) of \(Self.smokeInputs) fuzzed inputs checked")
    }

    /// Seeds of the smoke run; `adjoint-fuzz --inputs 20000` goes on from the same generator.
    static let smokeInputs: UInt64 = 2_000

    /// The generator is a pure function of the seed, and its inputs are of every kind.
    @Test func fuzzedInputsAreDeterministicAndVaried() {
        let fuzzer = Fuzzer(corpus: ["param x = 1\nminimize x * x\n"])
        #expect(fuzzer.input(12345) == fuzzer.input(12345))
        let inputs = (0..<64 as Range<UInt64>).map(fuzzer.input)
        #expect(Set(inputs).count >= 50)
        #expect(inputs.contains { $0.count > 10_000 }, "deep nesting or long lines")
        #expect(inputs.contains { String(validating: $0, as: UTF8.self) == nil }, "bytes that are not UTF-8")
        // Generated version 2 models, valid ones and ones with a planted mistake.
        let texts = inputs.map { String(decoding: $0, as: UTF8.self) }
        #expect(texts.contains { $0.hasPrefix("# fuzz: valid\n") && $0.contains("int[") })
        #expect(texts.contains { $0.hasPrefix("# fuzz: invalid\n") })
    }

    /// Inputs that once crashed the compiler (saved by `adjoint-fuzz`) stay fixed: each goes
    /// through the whole pipeline, C generation included, without a violation.
    @Test(arguments: Repository.models(in: "Tests/AdjointDriverTests/FuzzRegressions"))
    func formerCrashesStayFixed(path: String) throws {
        let fuzzer = Fuzzer(corpus: [])
        let outcome = fuzzer.exercise(Array(try Data(contentsOf: Repository.url(path))))
        #expect(outcome.checked)
        #expect(outcome.violations.isEmpty, "\(outcome.violations)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("adjoint-fuzz-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = CommandLineInterface.run(["compile", Repository.url(path).path, "--emit", "c", "-o", directory.path])
        #expect(result.status == 0, "\(result.errors)")
    }
}
