import AdjointDriver
import AdjointIR
import AdjointInterpreter
import AdjointSema
import AdjointSyntax
import Foundation
import Testing

/// The printed closed forms mean what reverse mode computes: each formula of `derive --format json`
/// is read back by `FormulaReader` (which sees only the text and the values of the names it
/// uses) and evaluated, and must equal the interpreter's gradient, on every sample and on random
/// models.
@Suite struct FormulaRoundTripTests {
    /// Why the printed formulas of `program` disagree with its gradients, or nil when they agree.
    static func mismatch(_ program: CheckedProgram, seed: UInt64) -> String? {
        // Distinct sizes per runtime dim, so a formula that mixes up two dims fails.
        var dims: [String: Int] = [:]
        for (index, dim) in program.dims.enumerated() { dims[dim.name] = dim.size ?? (2 + index % 4) }
        let derivation = Derivation(path: "model.adj", program: program)
        guard let count = Interpreter.elementCount(derivation.gradient.graph, dims: dims), count <= 200_000 else { return nil }
        var random = SplitMix64(seed: seed)
        var bindings = program.initialParams(seed: seed)
        let idBounds = Interpreter.idBounds(derivation.gradient.graph, dims: dims)
        for input in program.inputs {
            let sizes = input.shape.sizes(dims)
            if input.element == .int {
                // Valid ids for every op that reads them, repeats likely (they accumulate).
                let bound = UInt64(idBounds[input.name] ?? 3)
                bindings[input.name] = Tensor(sizes: sizes, scalars: (0..<sizes.reduce(1, *)).map { _ in Double(random.next() % bound) })
                continue
            }
            // Positive, away from 0 and 1, so logs and kinks are not on a boundary.
            bindings[input.name] = Tensor(sizes: sizes, scalars: (0..<sizes.reduce(1, *)).map { _ in 0.1 + random.uniform() })
        }
        let values = Interpreter.evaluate(derivation.gradient.graph, bindings: bindings, dims: dims)

        // Every name comes from the JSON (its dims, inputs, params and consts), values from the
        // interpreter's bindings: the JSON alone says what each name in a formula is.
        guard let object = try? JSONSerialization.jsonObject(with: Data(derivation.render(.json).utf8)) as? [String: Any],
            let gradients = object["gradients"] as? [[String: String]], let definitions = object["bindings"] as? [[String: String]],
            let dimEntries = object["dims"] as? [[String: Any]], let constEntries = object["consts"] as? [[String: Any]],
            let tensorEntries = (object["inputs"] as? [[String: String]]).flatMap({ inputs in (object["params"] as? [[String: String]]).map { inputs + $0 } })
        else { return "the JSON lacks gradients, bindings, dims, consts, inputs or params" }
        var names: [String: FormulaReader.Value] = [:]
        for entry in dimEntries {
            guard let name = entry["name"] as? String, let size = (entry["size"] as? Int) ?? dims[name] else { return "a dim without a size" }
            names[name] = .init(scalar: Double(size))
        }
        for entry in constEntries {
            guard let name = entry["name"] as? String else { return "a const without a name" }
            if let value = entry["value"] as? Double {
                names[name] = .init(scalar: value)
                continue
            }
            // A tensor constant: its value from the graph's leaf (the JSON gives its pattern).
            guard entry["pattern"] is String, let tensor = program.constants.first(where: { $0.name == name })?.tensor else {
                return "a const without a value or a pattern"
            }
            names[name] = .init(Op.leaf(.tensorConstant(name, tensor.shape, tensor.pattern)).evaluate([], dims: dims), labels: tensor.shape.dims.map { _ in nil })
        }
        for entry in tensorEntries {
            guard let name = entry["name"], let shape = entry["shape"], let value = bindings[name] else { return "an input or param without a value" }
            // `[batch, 3]`: each axis labelled with its dim's name, for `Σ_batch`.
            let labels = shape.dropFirst().dropLast().split(separator: ",").map { part -> String? in
                let dim = part.trimmingCharacters(in: .whitespaces)
                return Int(dim) == nil && !dim.isEmpty ? dim : nil
            }
            names[name] = .init(value, labels: labels)
        }
        // A draw prints as its stream's name (`normal_0`); its value is the interpreter's.
        for id in derivation.gradient.graph.live() {
            if case .leaf(.random(let draw)) = derivation.gradient.graph[id].op, let value = values[id] {
                names[draw.formulaName] = .init(value, labels: value.sizes.map { _ in nil })
            }
        }
        var reader = FormulaReader(names: names)
        do {
            for definition in definitions {
                guard let name = definition["name"], let text = definition["text"] else { return "a binding without name or text" }
                guard reader.names[name] == nil || program.values.contains(where: { $0.name == name }) else {
                    return "the binding '\(name)' takes a name the model already uses"
                }
                reader.names[name] = try reader.evaluate(text)
            }
            for (gradient, entry) in zip(derivation.gradient.gradients, gradients) {
                guard entry["param"] == gradient.param, let text = entry["text"] else { return "gradients out of order" }
                let expected = values[gradient.node]!
                var got = try reader.evaluate(text).tensor
                // Broadcasting is implicit in the notation: a zero gradient prints as `0`.
                if Tensor.broadcastSizes(got.sizes, expected.sizes) == expected.sizes { got = got.broadcast(to: expected.sizes) }
                // A sum printed as `Σ_batch` may keep its axis as size 1 (the notation does not say).
                guard got.sizes.filter({ $0 != 1 }) == expected.sizes.filter({ $0 != 1 }) else {
                    return "∂/∂\(gradient.param) = \(text): sizes \(got.sizes), reverse mode \(expected.sizes)"
                }
                for (a, b) in zip(got.scalars, expected.scalars) where !(a == b || (a.isNaN && b.isNaN) || abs(a - b) <= 1e-9 * max(1, abs(a), abs(b))) {
                    return "∂/∂\(gradient.param) = \(text): \(got.scalars) but reverse mode \(expected.scalars)"
                }
            }
        } catch {
            return "\(error)"
        }
        return nil
    }

    static func checked(_ text: String) -> CheckedProgram? {
        Frontend.check(SourceFile(path: "model.adj", text: text)).checked
    }

    /// Version 2's functions (attributes by keyword), diagonals, label smoothing and number targets.
    @Test(arguments: [
        """
        dim batch
        input x: [batch, 3]
        input labels: int[batch]
        param W: [3, 3]
        param v: [3]
        h = gelu(x @ W) + gelu(x * v, approximate = 1) + silu(x) * v + elu(x @ W, alpha = 0.5)
        g = erf(h) + log1p(h * h) + expm1(h) + floor(x) * h + round(x) * h + sign(x) * h
        minimize softmax_cross_entropy(g, labels, label_smoothing = 0.1) + softmax_cross_entropy(h, x, label_smoothing = 0.2) + mse(h, 0)
        """,
        """
        dim n
        input x: [n, 3]
        param A: [3, 3]
        param v: [3]
        minimize trace(A @ A) + sum(diagonal(A) * v) + sum(x @ diag(v) @ A) + sigmoid_binary_cross_entropy(v, 1)
        """,
    ])
    func version2FunctionFormulasEvaluateToTheGradients(text: String) throws {
        let program = try #require(Self.checked(text))
        let problem = Self.mismatch(program, seed: 1)
        #expect(problem == nil, "\(problem ?? "")")
    }

    @Test(arguments: Repository.models(in: "samples"))
    func sampleFormulasEvaluateToTheGradients(path: String) throws {
        let text = try String(contentsOf: Repository.url(path), encoding: .utf8)
        let program = try #require(Self.checked(text))
        let problem = Self.mismatch(program, seed: 1)
        #expect(problem == nil, "\(path): \(problem ?? "")")
    }

    /// Version 2's reductions and selection: `max` and `argmax` (the one-hot of the arg-max
    /// position), `var`, axis lists and `keepdims`, comparisons, `where` (with `-inf` in a causal
    /// softmax), `clip`.
    @Test(arguments: [
        """
        dim batch
        input x: [batch, 4, 3]
        param W: [3, 5]
        h = x @ W
        minimize sum(max(h, axis = 1)) - sum(min(h, axis = [1, 2])) + max(h) + sum(var(h, axis = [0, 2], keepdims = true)) + sum(logsumexp(h, axis = [1, 2]))
        """,
        """
        dim batch
        input x: [batch, 4]
        input y: int[batch]
        param W: [4, 3]
        param low = -0.2
        logits = x @ W
        gate = (logits > 0) + (logits <= 0.5) * (logits != 1) - (logits == logits) + (logits < 2) + (logits >= low)
        c = clip(logits, low, 0.7)
        minimize sum(gate * logits) + sum(c * c) + sum(where(logits > 0.1, logits, 2 * logits)) + sum(one_hot(argmax(logits, axis = 1), 3) * logits) + mean(argmin(logits, axis = 1) == y)
        """,
        """
        dim batch
        dim seq = 4
        input x: [batch, seq, 3]
        const causal: [seq, seq] = tril
        param Wq: [3, 3]
        param Wk: [3, 3]
        s = (x @ Wq) @ transpose(x @ Wk, axes = [0, 2, 1])
        att = softmax(where(causal, s, -inf))
        minimize sum(att * s)
        """,
        """
        dim batch
        input x: [batch, 3]
        param W: [3, 3]
        z = x @ W
        minimize mean(square(where(z > 0, z, 0.1 * z))) + sum(where(z < 0.5, 3 * z, z))
        """,
    ])
    func selectionFormulasEvaluateToTheGradients(text: String) throws {
        let program = try #require(Self.checked(text))
        let problem = Self.mismatch(program, seed: 1)
        #expect(problem == nil, "\(problem ?? "")")
    }

    /// 200 random models of the fuzz tests' generator (every builtin, broadcasting, matmuls) and
    /// 100 mutated samples of the fuzzer's: the formulas of each that checks evaluate to its gradients.
    @Test func randomModelFormulasEvaluateToTheGradients() throws {
        var failures: [String] = []
        var count = 0
        var seed: UInt64 = 0
        while count < 200 && seed < 5_000 {
            defer { seed += 1 }
            let text = FuzzTests.model(seed: seed)
            guard let program = Self.checked(text) else { continue }
            count += 1
            if let problem = Self.mismatch(program, seed: seed), failures.count < 5 { failures.append("seed \(seed): \(problem)\n\(text)") }
        }
        #expect(count >= 200)
        let corpus = try Repository.models(in: "samples").map { try String(contentsOf: Repository.url($0), encoding: .utf8) }
        let fuzzer = Fuzzer(corpus: corpus)
        var mutated = 0
        seed = 0
        while mutated < 100 && seed < 5_000 {
            defer { seed += 1 }
            // Seeds 5 to 15 of every 16 are mutations of the samples.
            guard seed % 16 >= 5, let program = Frontend.check(SourceFile(path: "model.adj", bytes: fuzzer.input(seed))).checked else { continue }
            mutated += 1
            if let problem = Self.mismatch(program, seed: seed), failures.count < 10 { failures.append("fuzzer seed \(seed): \(problem)") }
        }
        #expect(mutated >= 100)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n\n"))")
    }
}
