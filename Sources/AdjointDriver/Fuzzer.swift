import AdjointAutodiff
import AdjointCodegen
import AdjointIR
import AdjointInterpreter
import AdjointSema
import AdjointSyntax

/// Deterministic fuzzing of the whole compiler. `input(seed)` makes one model file (as bytes) from
/// a seed: random bytes, random token streams, generated version 2 models (`FuzzModels.swift`),
/// or a mutation of a corpus file (tokens and lines deleted, duplicated and swapped; numbers made
/// huge, tiny, negative or malformed; indexes, slices, `...` and version 2 calls inserted; deep
/// nesting; very long lines; bytes that are not UTF-8). `exercise` runs it through the pipeline
/// and returns what it broke: an input must end in success or in diagnostics that point inside
/// it, and whatever checks must differentiate, print and evaluate; a generated model must check
/// (and pass a gradient check) or be diagnosed as its first line says. A crash is the other failure, which
/// the caller sees as the process dying (the `adjoint-fuzz` command runs inputs in child processes
/// for that).
public struct Fuzzer: Sendable {
    /// The model files mutations start from (the samples).
    public var corpus: [[UInt8]]
    /// Each corpus file's non-empty tokens, so that the common single mutation needs no lexing.
    private var corpusTokens: [[Token]]

    public init(corpus: [String]) {
        self.corpus = corpus.map { Array($0.utf8) }
        corpusTokens = self.corpus.map(Self.tokens)
    }

    /// What happened to one input.
    public struct Outcome: Sendable {
        /// Whether the front end accepted it.
        public var checked: Bool
        /// Broken promises (a diagnostic outside the file, neither success nor diagnostics, a
        /// graph that does not verify); empty when all is well.
        public var violations: [String]
    }

    // MARK: - Inputs

    /// The input of `seed`: the same bytes on every machine.
    public func input(_ seed: UInt64) -> [UInt8] {
        var random = SplitMix64(fuzzSeed: seed)
        switch seed % 16 {
        case 0, 1: return randomBytes(&random)
        case 2, 3: return tokenStream(&random)
        case 4: return deepNesting(&random)
        case 5, 6, 7: return version2Model(&random)
        default: return corpus.isEmpty ? tokenStream(&random) : mutation(&random)
        }
    }

    private func randomBytes(_ random: inout SplitMix64) -> [UInt8] {
        let alphabet = Array("abxyzWdim input param const minimize using output sum relu axis=0123456789.e+-*/@^()[],:=#\n \t".utf8)
        return (0..<random.below(300)).map { _ in
            random.chance(5) ? UInt8(truncatingIfNeeded: random.next()) : random.pick(alphabet)
        }
    }

    /// Words of the language in random order: mostly well-formed tokens, badly arranged.
    private func tokenStream(_ random: inout SplitMix64) -> [UInt8] {
        let words = [
            "dim", "input", "param", "const", "output", "minimize", "using", "x", "y", "W", "b", "h", "batch", "=", ":",
            "[", "]", "(", ")", ",", "+", "-", "*", "/", "@", "^", "\n", "\n", "3", "0.5", "1e-3", "-2", "relu", "sum",
            "softmax", "mse", "softmax_cross_entropy", "axis", "adam", "lr", "he", "normal", "transpose", "#",
            "int", "float", "...", "-1", "take", "pick", "one_hot", "reshape", "flatten", "expand_dims", "squeeze",
            "concat", "stack", "axes", "tril", "eye", "[", "]", ":", "ids", "E",
        ]
        var text = ""
        for _ in 0..<random.below(120) { text += random.pick(words) + (random.chance(70) ? " " : "") }
        return Array(text.utf8)
    }

    /// `(((...)))` thousands deep, `-----x`, `x^x^x^...`, and calls inside calls.
    private func deepNesting(_ random: inout SplitMix64) -> [UInt8] {
        let depth = random.pick([100, 255, 256, 257, 1000, 10_000])
        let body: String
        switch random.below(4) {
        case 0: body = String(repeating: "(", count: depth) + "x" + String(repeating: ")", count: depth)
        case 1: body = String(repeating: "-", count: depth) + "x"
        case 2: body = Array(repeating: "x", count: depth).joined(separator: "^")
        default: body = String(repeating: "relu(", count: depth) + "x" + String(repeating: ")", count: depth)
        }
        return Array("param x = 1\nh = \(body)\nminimize h\n".utf8)
    }

    private static func tokens(_ text: [UInt8]) -> [Token] {
        Lexer.tokenize(SourceFile(path: "m.adj", bytes: text)).tokens.filter { $0.range.end > $0.range.start }
    }

    /// A corpus file changed in one place, sometimes in two to four.
    private func mutation(_ random: inout SplitMix64) -> [UInt8] {
        let source = random.below(corpus.count)
        var text = corpus[source]
        let rounds = random.chance(75) ? 1 : 2 + random.below(3)
        for round in 0..<rounds {
            let tokens = round == 0 ? corpusTokens[source] : Self.tokens(text)
            let lines = lineRanges(text)
            switch random.below(12) {
            case 0 where !tokens.isEmpty:  // delete a token
                let token = random.pick(tokens)
                text.removeSubrange(token.range.start..<token.range.end)
            case 1 where !tokens.isEmpty:  // duplicate a token
                let token = random.pick(tokens)
                text.insert(contentsOf: text[token.range.start..<token.range.end] + [32], at: token.range.start)
            case 2 where tokens.count >= 2:  // swap two tokens
                var (a, b) = (random.pick(tokens).range, random.pick(tokens).range)
                if a.start > b.start { swap(&a, &b) }
                guard a.end <= b.start else { continue }
                let (first, second) = (Array(text[a.start..<a.end]), Array(text[b.start..<b.end]))
                text.replaceSubrange(b.start..<b.end, with: first)
                text.replaceSubrange(a.start..<a.end, with: second)
            case 3 where !lines.isEmpty:  // delete a line
                text.removeSubrange(random.pick(lines))
            case 4 where !lines.isEmpty:  // duplicate a line
                let line = random.pick(lines)
                text.insert(contentsOf: Array(text[line]), at: line.lowerBound)
            case 5 where lines.count >= 2:  // swap two lines
                var (a, b) = (random.pick(lines), random.pick(lines))
                if a.lowerBound > b.lowerBound { swap(&a, &b) }
                guard a.upperBound <= b.lowerBound else { continue }
                let (first, second) = (Array(text[a]), Array(text[b]))
                text.replaceSubrange(b, with: first)
                text.replaceSubrange(a, with: second)
            case 6, 7:  // replace a number
                let numbers = tokens.filter { $0.kind == .number }
                guard !numbers.isEmpty else { continue }
                let token = random.pick(numbers)
                let replacement = random.pick([
                    "0", "1", "-1", "1e308", "1e309", "1e-320", "999999999999999999999", "4294967297", "65536", "0.5", "-0",
                    "1e", "1.2.3", "3abc", ".", "1e-5", "2147483648", "9223372036854775807", "100000",
                ])
                text.replaceSubrange(token.range.start..<token.range.end, with: Array(replacement.utf8))
            case 8:  // a very long line: a comment, a name, or a long sum
                let line: String
                switch random.below(3) {
                case 0: line = "# " + String(repeating: "long comment ", count: 500 + random.below(2_000)) + "\n"
                case 1: line = "const " + String(repeating: "n", count: 1000 + random.below(20_000)) + " = 1\n"
                default: line = "h_long = " + Array(repeating: "x", count: 100 + random.below(400)).joined(separator: " + ") + "\n"
                }
                text.insert(contentsOf: Array(line.utf8), at: lines.first?.lowerBound ?? 0)
            case 9 where !tokens.isEmpty:  // version 2 syntax after a name: an index, a slice, `...`
                let names = tokens.filter { $0.kind == .identifier }
                guard !names.isEmpty else { continue }
                let token = random.pick(names)
                let suffix = random.pick([
                    "[0]", "[-1]", "[1:3]", "[:2]", "[::2]", "[..., -1]", "[:, 0]", "[..., 0:2]", "[ids]", "[0][1:]", "[",
                    "[1:2:3:4]", "[...]", "[:, :, :, :, :]", "[-100]", "[2:1]", ": int[3]", "[x]", "[...,...]", "[1:]",
                ])
                text.insert(contentsOf: Array(suffix.utf8), at: token.range.end)
            case 10:  // a version 2 token or call anywhere between tokens
                let offset = tokens.isEmpty ? 0 : random.pick(tokens).range.start
                let insertion = random.pick([
                    "[", "]", ":", "...", "int[", "[1, 2]", "reshape(", "transpose(", ", axes = [1, 0]", ", axis = -1",
                    "flatten(", "concat([", "stack([", "], axis = 1)", "one_hot(", "take(", "pick(", "expand_dims(",
                    "squeeze(", "tril", "[[1, 0], [0, 1]]",
                ])
                text.insert(contentsOf: Array((insertion + " ").utf8), at: offset)
            default:  // bytes that are not UTF-8, or a stray control character
                let offset = text.isEmpty ? 0 : random.below(text.count)
                text.insert(contentsOf: random.pick([[0xFF], [0xC3], [0xE2, 0x82], [0x00], [0x1B], [0xED, 0xA0, 0x80]]), at: offset)
            }
        }
        return text
    }

    private func lineRanges(_ text: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var start = 0
        for (index, byte) in text.enumerated() where byte == 10 {
            ranges.append(start..<index + 1)
            start = index + 1
        }
        if start < text.count { ranges.append(start..<text.count) }
        return ranges
    }

    // MARK: - Running one input

    /// Runs `bytes` through the front end and, if it checks, through differentiation, the update
    /// rule, every printer, the interpreter at small sizes and the backends.
    public func exercise(_ bytes: [UInt8]) -> Outcome {
        let file = SourceFile(path: "fuzz.adj", bytes: bytes)
        let result = Frontend.check(file)
        var violations: [String] = []
        for diagnostic in result.diagnostics
        where !(0 <= diagnostic.range.start && diagnostic.range.start <= diagnostic.range.end && diagnostic.range.end <= bytes.count) {
            violations.append("diagnostic [\(diagnostic.id.rawValue)] at \(diagnostic.range) is outside the file")
        }
        if !result.diagnostics.isEmpty { _ = result.renderedDiagnostics }
        // A generated model says on its first line whether it must check.
        let mustCheck: Bool? =
            bytes.starts(with: Self.validMarker.utf8) ? true : bytes.starts(with: Self.invalidMarker.utf8) ? false : nil
        guard let program = result.checked else {
            if result.diagnostics.isEmpty { violations.append("neither checked nor diagnosed") }
            if mustCheck == true { violations.append("a valid generated model was rejected:\n\(result.renderedDiagnostics)") }
            return Outcome(checked: false, violations: violations)
        }
        if mustCheck == false { violations.append("a generated model with a planted mistake checked") }
        let derivation = Derivation(path: "fuzz.adj", program: program, update: true)
        violations += derivation.gradient.graph.verify().map { "gradient graph: \($0)" }
        // Every printer, the LaTeX and JSON ones on a quarter of the inputs (a hash of the text
        // picks which), to keep a run short.
        let thorough = bytes.reduce(0) { ($0 &* 31) &+ Int($1) } % 4 == 0
        let formats: [Derivation.Format] = thorough ? Derivation.Format.allCases : [.text]
        for format in formats where derivation.render(format).isEmpty {
            violations.append("derive --format \(format.rawValue) printed nothing")
        }
        if mustCheck == true { violations += gradientCheck(program) }
        let step = UpdateProgram.step(program)
        violations += step.graph.verify().map { "step graph: \($0)" }
        // One step in the interpreter (on the same quarter) when the model is small at dims of 2.
        // Every checked input is lowered; a quarter is also printed as C and Swift.
        guard thorough else {
            _ = ModelKernels(program, name: "fuzz", modelPath: "fuzz.adj")
            return Outcome(checked: true, violations: violations)
        }
        let dims = Dictionary(program.dims.filter { $0.size == nil }.map { ($0.name, 2) }, uniquingKeysWith: { a, _ in a })
        if let count = Interpreter.elementCount(step.graph, dims: dims), count <= 100_000 {
            // Valid ids for every `int` input, values in (0.1, 0.9) for the others.
            let bindings = GradientCheck.randomBindings(program, seed: 1, dims: dims)
            _ = Training.step(step, from: Training.Point(bindings: bindings, state: Training.initialState(step)), dims: dims)
        }
        violations += generated(program)
        return Outcome(checked: true, violations: violations)
    }

    /// Reverse mode against finite differences (a few elements per param, batch 2) for a model
    /// the generator made valid and smooth: every param must pass.
    private func gradientCheck(_ program: CheckedProgram) -> [String] {
        let dims = Dictionary(program.dims.filter { $0.size == nil }.map { ($0.name, 2) }, uniquingKeysWith: { a, _ in a })
        guard let count = Interpreter.elementCount(program.forwardGraph().graph, dims: dims), count <= 5_000 else { return [] }
        // A loss that is not finite at the point (a softmax row masked to -inf throughout is NaN,
        // in NumPy and JAX too) has no derivative to compare: no evidence either way.
        let forward = program.forwardGraph()
        let point = GradientCheck.randomBindings(program, seed: 1, dims: dims)
        guard Interpreter.evaluate(forward.graph, bindings: point, dims: dims, stream: RandomStream(seed: 1))[forward.loss]?.scalars.allSatisfy(\.isFinite) == true else { return [] }
        // A disagreement beyond what the differences allow (or NaN); a point where the differences
        // are too noisy to judge (`inconclusive`) is no evidence either way.
        let reports = GradientCheck.run(program, seed: 1, dims: dims, elementsPerParam: 2)
        return reports.filter { !($0.worstRelativeError <= $0.allowedRelativeError) }.map {
            "reverse mode disagrees with finite differences for '\($0.param)': error \($0.worstRelativeError) of the scale "
                + "\($0.scale), allowed \($0.allowedRelativeError) (difference error \($0.differenceError))"
        }
    }

    /// The C and Swift kernels of a checked model: they must come out, and name every param.
    private func generated(_ program: CheckedProgram) -> [String] {
        // One lowering, both printers (as `compile` does for each language).
        let kernels = ModelKernels(program, name: "fuzz", modelPath: "fuzz.adj")
        let c = CPrinter(kernels, precision: .float, tool: "adjoint-fuzz")
        let swift = SwiftPrinter(kernels, precision: .float, tool: "adjoint-fuzz").source()
        var problems: [String] = []
        for (language, text) in [("C", c.header() + c.source()), ("Swift", swift)] {
            for param in program.params where !text.contains(param.name) {
                problems.append("the generated \(language) does not mention param '\(param.name)'")
            }
        }
        return problems
    }
}

/// The fuzzer's choices, drawn from SplitMix64 so that an input depends on nothing but its seed.
extension SplitMix64 {
    /// A generator for one input: the seed spread so that neighbouring seeds differ everywhere.
    init(fuzzSeed seed: UInt64) { self.init(seed: seed &* 0x2545_F491_4F6C_DD1D) }

    public mutating func below(_ count: Int) -> Int { Int(next() % UInt64(count)) }
    public mutating func pick<T>(_ choices: [T]) -> T { choices[below(choices.count)] }
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
}
