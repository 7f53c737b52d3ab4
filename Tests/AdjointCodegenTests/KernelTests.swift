import AdjointAutodiff
import AdjointCodegen
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Foundation
import Testing

/// Every kernel of the generated C against the reference interpreter: the loss, the gradient,
/// predict, apply (on the C gradient), five fused steps, init (bit for bit in double), and NaN
/// for a runtime dim of 0. Returns the run, for callers that check more of the same build.
@discardableResult
func verify(_ test: KernelCase) throws -> CHarness.Run {
    let program = try test.checked()
    let run = try CHarness.run(test)
    let (kernels, bindings, output, cGradients) = run
    let tolerance = test.tolerance
    // Adam divides each moment by its own scale, so an element whose gradient is at float's
    // rounding level still moves by a full ±lr per step: in float, params and moments after Adam
    // steps are compared at 1e-3 (everything else, the losses included, at 1e-4).
    let adamFamily = [UpdateRuleKind.adam, .adamw].contains(program.updateRule.kind)
    let stepTolerance = test.precision == .float && adamFamily ? 1e-3 : tolerance
    func expectClose(
        _ key: String, _ expected: [Double], tolerance: Double = tolerance, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let actual = output[key] else {
            Issue.record("\(test.testDescription): the harness printed no \(key)", sourceLocation: sourceLocation)
            return
        }
        let error = relativeError(actual, CHarness.sampled(expected))
        #expect(
            error <= tolerance, "\(test.testDescription): \(key) off by \(error) (C \(actual.prefix(6)), reference \(expected.prefix(6)))",
            sourceLocation: sourceLocation)
        if expected.count > CHarness.sampleLimit {
            let total = expected.reduce(0) { $0 + abs($1) }
            #expect(
                relativeError(output["sumabs:" + key] ?? [], [total]) <= tolerance, "\(test.testDescription): Σ|\(key)|",
                sourceLocation: sourceLocation)
        }
    }
    let dims = test.dims

    // Loss, gradient and outputs.
    let forward = program.forwardGraph()
    let gradient = ReverseMode.differentiate(forward)
    let values = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: dims)
    let loss = values[forward.loss]!.scalar
    expectClose("loss", [loss])
    expectClose("gradient_loss", [loss])
    for (param, node) in gradient.gradients { expectClose("grad:\(param)", values[node]!.scalars) }
    let inference = program.forwardGraph(training: false)
    let outputs = Interpreter.evaluate(inference.graph, bindings: bindings, dims: dims)
    for name in program.outputs { expectClose("output:\(name)", outputs[inference.graph.root(name)!]!.scalars) }

    // apply on the C gradient, from zero state (for the largest sample, only through step, whose
    // result is gradient then apply).
    guard test.checksSteps else { return run }
    if test.checksApply {
        try verifyApply(test, program, bindings, cGradients, output)
    }

    // Five fused steps (the reference shared by runs of the same model, sizes and precision).
    let step = UpdateProgram.step(program)
    let (losses, final) = ReferenceSteps.shared.steps(test, step, bindings)
    if let actual = output["step_loss"], actual.count == losses.count {
        for (index, (a, b)) in zip(actual, losses).enumerated() {
            #expect(relativeError([a], [b]) <= tolerance, "\(test.testDescription): step \(index + 1) loss \(a) vs \(b)")
        }
    } else {
        Issue.record("\(test.testDescription): step losses \(output["step_loss"] ?? [])")
    }
    for param in program.params {
        expectClose("step_param:\(param.name)", final.bindings[param.name]!.scalars, tolerance: stepTolerance)
    }
    for slot in step.slots where slot.name != UpdateProgram.stepCount {
        expectClose("step:\(slot.name)", final.state[slot.name]!.scalars, tolerance: stepTolerance)
    }
    #expect(output["step_t"] == [Double(CHarness.steps)])

    // init: the same SplitMix64 draws, to the last bit in double.
    let initial = program.initialParams(seed: CHarness.seed)
    for param in program.params {
        let expected = initial[param.name]!.scalars.map(test.rounded)
        #expect(output["init:\(param.name)"] == CHarness.sampled(expected), "\(test.testDescription): init of \(param.name)")
    }

    // A runtime dim below 1: NaN, no workspace.
    if !kernels.runtimeDims.isEmpty {
        #expect(output["zero_loss"]?.first?.isNaN == true)
        #expect(output["zero_step"]?.first?.isNaN == true)
        #expect(output["zero_bytes"] == [0])
        if !program.outputs.isEmpty {
            #expect(output["zero_predict"] == [Double](repeating: -12345, count: program.outputs.count))
        }
    }
    return run
}

/// `apply` on the C gradient from zero state, against the interpreter on the same gradient.
func verifyApply(
    _ test: KernelCase, _ program: CheckedProgram, _ bindings: [String: Tensor], _ cGradients: [String: Tensor],
    _ output: HarnessOutput
) throws {
    let adamFamily = [UpdateRuleKind.adam, .adamw].contains(program.updateRule.kind)
    let tolerance = test.precision == .float && adamFamily ? 1e-3 : test.tolerance
    func expectClose(_ key: String, _ expected: [Double]) {
        let error = relativeError(output[key] ?? [], CHarness.sampled(expected))
        #expect(error <= tolerance, "\(test.testDescription): \(key) off by \(error)")
    }
    let params = Dictionary(uniqueKeysWithValues: program.params.map { ($0.name, bindings[$0.name]!) })
    let apply = UpdateProgram.apply(program)
    let applied = Training.apply(apply, params: params, gradients: cGradients, state: Training.initialState(apply))
    for param in program.params { expectClose("apply_param:\(param.name)", applied.bindings[param.name]!.scalars) }
    for slot in apply.slots where slot.name != UpdateProgram.stepCount {
        expectClose("apply:\(slot.name)", applied.state[slot.name]!.scalars)
    }
    #expect(output["apply_t"] == [1])
}

/// Five reference steps per model, sizes and precision, computed once: the plain and the
/// sanitized run of the largest sample share them (the interpreter takes half a minute).
final class ReferenceSteps: @unchecked Sendable {
    static let shared = ReferenceSteps()
    private let results = OnceCache<(losses: [Double], final: Training.Point)>()

    func steps(_ test: KernelCase, _ step: UpdateProgram, _ bindings: [String: Tensor]) -> (
        losses: [Double], final: Training.Point
    ) {
        let key = "\(test.source) \(test.precision) \(test.dims.sorted { $0.key < $1.key })"
        return results.value(for: key) {
            // The stream's seed as the harness's `NAME_state_init` (or Swift `init(seed:)`) sets it.
            let start = Training.Point(bindings: bindings, state: Training.initialState(step), seed: CHarness.seed)
            return Training.steps(step, from: start, dims: test.dims, count: CHarness.steps)
        }
    }
}

/// Values computed once per key however many tests ask at once: the first asker computes, while
/// later askers of the same key wait on that key's lock (other keys go on in parallel).
final class OnceCache<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var locks: [String: NSLock] = [:]
    private var values: [String: Value] = [:]

    func value(for key: String, _ compute: () throws -> Value) rethrows -> Value {
        lock.lock()
        let keyLock = locks[key] ?? NSLock()
        locks[key] = keyLock
        lock.unlock()
        keyLock.lock()
        defer { keyLock.unlock() }
        lock.lock()
        let known = values[key]
        lock.unlock()
        if let known { return known }
        let value = try compute()
        lock.lock()
        values[key] = value
        lock.unlock()
        return value
    }
}

/// The models the kernel tests compile: the samples, one model per op family, and one per
/// update rule.
enum TestModels {
    static func sample(_ path: String) -> String {
        (try? String(contentsOf: Repository.url(path), encoding: .utf8)) ?? ""
    }

    static func identifier(_ path: String) -> String {
        URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent.replacingOccurrences(of: "-", with: "_")
    }

    /// Every op of the op table appears in one of these (with broadcasting, both vector and
    /// matrix products, reductions over every axis, and every loss).
    static let ops: [(name: String, source: String)] = [
        (
            "elementwise",
            """
            dim n
            input x: [n, 3]
            param w: [3] = uniform(-1, 1)
            param k = 0.3
            a = x * w + k
            e1 = exp(a) + log(x) + sqrt(x) + abs(a) + square(a) - -a
            e2 = sin(a) + cos(a) + tanh(a) + sigmoid(a) + relu(a) + softplus(a) + leaky_relu(a, 0.2)
            loss = mean(e1 * e2)
            output e1
            minimize loss using sgd(lr = 0.05, weight_decay = 0.01)
            """
        ),
        (
            "arithmetic",
            """
            dim n
            input x: [n, 3]
            input z: [n, 1]
            param a: [3] = uniform(0.5, 1.5)
            param b = 0.7
            u = (x + a) * b - z / a
            v = x ^ a + max(x, z) * min(a, x) + x ^ 2 / (b + z)
            loss = mean(u * v)
            minimize loss using momentum(lr = 0.01, momentum = 0.8)
            """
        ),
        (
            "reductions",
            """
            dim n
            input x: [n, 4]
            input t: [2, n, 3]
            param W: [4, 3]
            param c: [3] = normal(0, 0.5)
            h = x @ W
            r1 = sum(h, axis = 0)
            r2 = mean(h, axis = 1)
            r3 = logsumexp(h, axis = 0)
            r4 = logsumexp(h, axis = -1)
            r5 = logsumexp(h)
            r6 = sum(t * c, axis = 1)
            r7 = mean(t * h, axis = 0)
            loss = sum(r1 * r3) + mean(r2 * r4) + r5 + mean(h) + sum(r6) + sum(r7 * r7)
            output r2, r6
            minimize loss using adagrad(lr = 0.1)
            """
        ),
        (
            "normalizers",
            """
            dim n
            input x: [n, 4]
            input y: [n, 3]
            param W: [4, 3]
            h = x @ W
            s0 = softmax(h, axis = 0)
            s1 = softmax(h)
            l0 = log_softmax(h, axis = 0)
            l1 = log_softmax(h, axis = -1)
            loss = sum(s0 * y) + mean(s1 * l1) + mean(l0 * y)
            output s1, l0
            minimize loss using rmsprop(lr = 0.01)
            """
        ),
        (
            "linear_algebra",
            """
            dim n
            input x: [n, 4]
            input v: [4]
            param A: [4, 3]
            param B: [3, 4]
            param c: [3]= uniform(-1, 1)
            m1 = x @ A
            m2 = m1 @ c
            m3 = v @ A
            m4 = m3 @ c
            m5 = transpose(x) @ x
            m6 = m5 @ A
            m7 = transpose(B) * A + transpose(A @ B) @ A
            loss = mean(m2 * m2) + m4 + mean(m6) + sum(m7 * m7) / 10
            output m1, m2
            minimize loss using momentum(lr = 0.01, momentum = 0.9, nesterov = 1)
            """
        ),
        (
            "losses",
            """
            dim n
            input x: [n, 3]
            input y: [n, 3]
            input q: [n, 3]
            param W: [3, 3]
            param b: [3]
            z = x @ W + b
            p = sigmoid(z)
            loss = mse(z, q) + sse(z, q) + cross_entropy(softmax(z), q) + softmax_cross_entropy(z, y) + binary_cross_entropy(p, q) + sigmoid_binary_cross_entropy(z, q) + huber(z, q, 0.5)
            output p
            minimize loss using adam(lr = 0.01, clip_norm = 0.5)
            """
        ),
        (
            "two_dims",
            """
            dim n
            dim m
            input x: [n, m]
            input y: [n]
            input unused: [m]
            param a = 0.5
            param c: [2] = ones
            s = sum(x * a, axis = 1)
            loss = mse(s, y) + mean(x * a) + sum(c * c)
            total = sum(unused) + a
            output s, loss, total
            minimize loss using sgd(lr = 0.1)
            """
        ),
        (
            // 260 columns: a partial last panel for every tile width; xᵀ of 256 columns: packed A.
            "tiled",
            """
            dim n
            input x: [n, 256]
            input y: [n, 260]
            param W: [256, 260] = normal(0, 0.05)
            loss = mse(tanh(x @ W), y)
            minimize loss using adamw(lr = 0.01)
            """
        ),
        (
            // Version 2's elementwise functions, label smoothing with class indices and with
            // probabilities, a number target.
            "functions_v2",
            """
            dim n
            input x: [n, 3]
            input y: [n, 3]
            input labels: int[n]
            param w: [3] = uniform(-1, 1)
            param k = 0.3
            a = x * w + k
            f1 = erf(a) + gelu(a) + gelu(a, approximate = 1) + silu(a) + elu(a) + elu(a - 0.5, alpha = 0.5)
            f2 = log1p(square(a)) + expm1(a) + sign(a - 0.4) * a + floor(3 * x) * a + round(3 * x) * a
            l1 = softmax_cross_entropy(f1, labels, label_smoothing = 0.1)
            l2 = softmax_cross_entropy(f2, softmax(y), label_smoothing = 0.25)
            loss = mean(f1 * f2) + l1 + l2 + mse(f2, 0) + sigmoid_binary_cross_entropy(f1, 1) + huber(a, 0)
            output f1, f2
            minimize loss using sgd(lr = 0.05)
            """
        ),
        (
            // diagonal (a view through one axis read twice), diag (zeros, then stored through the
            // same map) and trace.
            "diagonals",
            """
            dim n
            input x: [n, 4]
            param A: [4, 4]
            param v: [4] = uniform(-1, 1)
            h = x @ A
            d = diagonal(A @ A) + v
            D = diag(d * v)
            loss = trace(A @ transpose(A)) / 4 + mean((h @ D) * x) + sum(diagonal(D) * v) + trace(D @ A)
            output d, D
            minimize loss using momentum(lr = 0.01)
            """
        ),
        (
            // A register-tiled product narrower than one 32-column panel (the tile's width is C's).
            "narrow_tiled",
            """
            dim n
            input x: [n, 20]
            input y: [n, 24]
            param W: [24, 20] = normal(0, 0.1)
            loss = mse(x @ transpose(W), y)
            minimize loss using sgd(lr = 0.1)
            """
        ),
    ]

    /// A small network trained by each update rule (and its options).
    static let rules: [(name: String, rule: String)] = [
        ("sgd", "sgd(lr = 0.1)"), ("sgd_decay", "sgd(lr = 0.1, weight_decay = 0.1)"),
        ("momentum", "momentum(lr = 0.05)"), ("nesterov", "momentum(lr = 0.05, nesterov = 1, weight_decay = 0.01)"),
        ("adagrad", "adagrad(lr = 0.05)"), ("rmsprop", "rmsprop(lr = 0.01, alpha = 0.9)"),
        ("adam", "adam(lr = 0.01, weight_decay = 0.05)"), ("adamw", "adamw(lr = 0.01, weight_decay = 0.1)"),
        ("clip_sgd", "sgd(lr = 0.1, clip_norm = 0.1)"), ("clip_adam", "adam(lr = 0.01, clip_norm = 0.2)"),
    ]

    static func ruleModel(_ rule: String) -> String {
        """
        dim batch
        input x: [batch, 5]
        input y: [batch, 2]
        param W1: [5, 4] = he
        param b1: [4] = 0.1
        param W2: [4, 2]
        param s = 1.5
        h = tanh(x @ W1 + b1)
        loss = mse(s * (h @ W2), y)
        output h
        minimize loss using \(rule)
        """
    }

    static func cases(dims: [Int], precisions: [Precision], sanitize: Bool = false) -> [KernelCase] {
        var result: [KernelCase] = []
        for precision in precisions {
            for size in dims {
                for (name, source) in ops {
                    // Small weights keep the wide layer's tanh out of saturation, where gradients
                    // vanish below float's rounding.
                    result.append(
                        KernelCase(
                            name: name, source: source, dims: sizes(source, size), precision: precision, sanitize: sanitize,
                            paramRange: name == "tiled" ? -0.1...0.1 : -1...1))
                }
                for (name, rule) in rules {
                    result.append(
                        KernelCase(
                            name: "rule_" + name, source: ruleModel(rule), dims: ["batch": size], precision: precision,
                            sanitize: sanitize))
                }
            }
        }
        return result
    }

    /// The runtime dims a model file declares.
    static func runtimeDims(_ source: String) -> [String] {
        source.split(separator: "\n").compactMap { line -> String? in
            let words = line.split(separator: " ")
            return words.count >= 2 && words[0] == "dim" && !line.contains("=") ? String(words[1]) : nil
        }
    }

    /// Every runtime dim of a model at `size`, the second one at a different size (5 for 7) so
    /// that swapped axes show.
    static func sizes(_ source: String, _ size: Int) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: runtimeDims(source).enumerated().map { ($1, $0 == 0 || size == 1 ? size : size - 2) })
    }

    static func sampleCases(dims: [Int], precisions: [Precision], sanitize: Bool = false) -> [KernelCase] {
        var result: [KernelCase] = []
        for path in Repository.samples {
            let source = sample(path)
            let runtime = runtimeDims(source)
            // deep-mlp (1.9 million params) at one batch size, in double: the interpreter's five
            // steps take half a minute (mnist-mlp covers a large model in float).
            let deep = path.hasSuffix("deep-mlp.adj")
            let sizes = runtime.isEmpty ? [1] : deep ? [1] : dims
            for precision in precisions where !deep || precision == .double {
                for size in sizes {
                    let big = source.contains("784")
                    result.append(
                        KernelCase(
                            name: identifier(path), source: source,
                            dims: Dictionary(uniqueKeysWithValues: runtime.map { ($0, size) }), precision: precision,
                            sanitize: sanitize, paramsFromInit: big, checksApply: !deep))
                }
            }
        }
        return result
    }
}

/// The generated C at the extreme values the interpreter's stability tests work by hand (±1e4,
/// ties, ±inf): the same loss and gradient, no NaN or overflow where the result is finite.
@Suite struct StabilityKernelTests {
    static func model(_ body: String, _ values: [String: [Double]]) -> String {
        var text = "param a: [\(values["a"]!.count)]\n"
        for name in values.keys.sorted() where name != "a" { text += "input \(name): [\(values[name]!.count)]\n" }
        return text + "loss = \(body)\nminimize loss\n"
    }

    static let cases: [(name: String, body: String, values: [String: [Double]])] = [
        ("lse_first", "logsumexp(a)", ["a": [1e4, 0, -1e4]]),
        ("lse_last", "logsumexp(a)", ["a": [-1e4, 0, 1e4]]),
        ("lse_tie", "logsumexp(a)", ["a": [1e4, 1e4, 1e4]]),
        ("lse_masked", "logsumexp(a)", ["a": [-.infinity, 0, 0]]),
        ("softmax", "sum(c * softmax(a))", ["a": [0, -1e4, 1e4], "c": [1, 2, 3]]),
        ("softmax_masked", "sum(c * softmax(a))", ["a": [-.infinity, 0, 0], "c": [5, 1, 3]]),
        ("log_softmax", "sum(c * log_softmax(a))", ["a": [1e4, -1e4, 0], "c": [1, 2, 3]]),
        ("sce_worst", "softmax_cross_entropy(a, t)", ["a": [1e4, 0, -1e4], "t": [0, 0, 1]]),
        ("sce_best", "softmax_cross_entropy(a, t)", ["a": [-1e4, 0, 1e4], "t": [0, 0, 1]]),
        ("sce_masked", "softmax_cross_entropy(a, t)", ["a": [-.infinity, 0, 0], "t": [0, 1, 0]]),
        ("saturating", "sum(sigmoid(a)) + sum(softplus(a)) + sum(tanh(a))", ["a": [1e4, -1e4, -.infinity, 0]]),
        ("sbce", "sigmoid_binary_cross_entropy(a, t)", ["a": [1e4, -1e4, 1e4, -1e4], "t": [1, 0, 0, 1]]),
        ("sbce_infinite", "sigmoid_binary_cross_entropy(a, t)", ["a": [.infinity, -.infinity], "t": [1, 0]]),
        ("bce_sigmoid", "binary_cross_entropy(sigmoid(a), t)", ["a": [1e4, -1e4, 1e4, -1e4], "t": [1, 0, 0, 1]]),
        // Version 2's functions: tails, values near 0 (log1p, expm1), ties of round (to even).
        ("gelu_tails", "sum(c * gelu(a)) + sum(c * gelu(a, approximate = 1)) + sum(c * erf(a))", ["a": [-40, -8, 1e-8, 8, 40, 0], "c": [1, 2, 3, 4, 5, 6]]),
        ("silu_elu_tails", "sum(c * silu(a)) + sum(c * elu(a)) + sum(c * elu(a, alpha = 0.3))", ["a": [-1e4, -40, 1e-8, 40, 1e4, 0], "c": [1, 2, 3, 4, 5, 6]]),
        ("near_zero", "sum(c * log1p(a)) + sum(c * expm1(a))", ["a": [1e-10, -1e-12, 1e-7, 3], "c": [1e9, 1e11, 1e6, 1]]),
        ("round_ties", "sum(c * round(a)) + sum(c * floor(a)) + sum(c * sign(a)) + sum(a * a)", ["a": [0.5, 1.5, 2.5, -0.5, -2.5, -1.5], "c": [1, 10, 100, 1000, 1e4, 1e5]]),
    ]

    @Test(arguments: cases.flatMap { test in
        Precision.allCases.map { precision in
            KernelCase(
                name: test.name, source: model(test.body, test.values), dims: [:], precision: precision,
                values: test.values, checksSteps: false)
        }
    })
    func extremesMatchTheInterpreter(test: KernelCase) throws {
        try verify(test)
    }
}

@Suite struct KernelTests {
    /// Every op model and every update rule, runtime dims 1 and 7, float and double.
    @Test(arguments: TestModels.cases(dims: [1, 7], precisions: [.double, .float]))
    func opsAndRulesMatchTheInterpreter(test: KernelCase) throws {
        try verify(test)
    }

    /// Every sample, runtime dims 1 and 7, float and double.
    @Test(arguments: TestModels.sampleCases(dims: [1, 7], precisions: [.double, .float]))
    func samplesMatchTheInterpreter(test: KernelCase) throws {
        try verify(test)
    }

    /// Register-tiled products (full tiles, a row tile left over, a partial last panel) with their
    /// panels on several threads: the same results as the interpreter, and bit for bit the same
    /// as the serial build.
    @Test(arguments: [("tiled", 19, Precision.float), ("tiled", 7, .double), ("mnist_mlp", 9, .float)])
    func openMPMatchesTheInterpreterAndTheSerialBuild(name: String, size: Int, precision: Precision) throws {
        let source = name == "tiled" ? TestModels.ops.first { $0.name == name }!.source : TestModels.sample("samples/mnist-mlp.adj")
        let dims = Dictionary(uniqueKeysWithValues: TestModels.runtimeDims(source).map { ($0, size) })
        var test = KernelCase(
            name: name, source: source, dims: dims, precision: precision, paramsFromInit: name != "tiled",
            paramRange: -0.1...0.1)
        let serial = try CHarness.run(test)
        test.openmp = true
        let parallel = try verify(test)
        // Compared by bit pattern (a NaN the harness prints on purpose equals itself).
        func bits(_ output: HarnessOutput) -> [String: [UInt64]] { output.mapValues { $0.map(\.bitPattern) } }
        #expect(bits(parallel.output) == bits(serial.output), "\(test.testDescription): printed results differ from the serial build")
        #expect(parallel.gradients == serial.gradients, "\(test.testDescription): gradients differ from the serial build")
    }

    /// The register tile's shape is the target's (`ADJOINT_TILE_ROWS` x `ADJOINT_TILE_COLUMNS`, 8 x
    /// 32 on AVX-512, 4 x 24 on AVX2; `ADJOINT_NARROW_TILE_ROWS` x 32 for at most 32 columns): every
    /// shape gives the interpreter's results, bit for bit the same as the target's own. The tiled
    /// model's 260 columns end in a partial panel for every width.
    @Test(arguments: [(1, 32, 1), (2, 32, 2), (3, 32, 3), (8, 32, 8), (4, 24, 3), (3, 16, 5), (5, 8, 1)])
    func everyTileShapeGivesTheSameBits(rows: Int, columns: Int, narrowRows: Int) throws {
        let source = TestModels.ops.first { $0.name == "tiled" }!.source
        let dims = Dictionary(uniqueKeysWithValues: TestModels.runtimeDims(source).map { ($0, 19) })
        var test = KernelCase(name: "tiled", source: source, dims: dims, precision: .float, paramRange: -0.1...0.1)
        let native = try CHarness.run(test)
        test.defines = ["ADJOINT_TILE_ROWS=\(rows)", "ADJOINT_TILE_COLUMNS=\(columns)", "ADJOINT_NARROW_TILE_ROWS=\(narrowRows)"]
        let chosen = try verify(test)
        func bits(_ output: HarnessOutput) -> [String: [UInt64]] { output.mapValues { $0.map(\.bitPattern) } }
        #expect(bits(chosen.output) == bits(native.output), "\(test.testDescription): results differ from the target's rows")
        #expect(chosen.gradients == native.gradients, "\(test.testDescription): gradients differ from the target's rows")
    }

    /// On aarch64 (NEON: the kernels' `__aarch64__` tile rows and `adjoint_sqrtf` there),
    /// cross-compiled and run under qemu: the interpreter's results, for a register-tiled model, an
    /// Adam sample and the update rules. Skipped without the cross tools.
    @Test(
        .enabled(if: CrossTools.available, "needs aarch64-linux-gnu-gcc and qemu-aarch64"),
        arguments: TestModels.cases(dims: [19], precisions: [.float]).filter { $0.name == "tiled" || $0.name.hasPrefix("rule_") })
    func aarch64MatchesTheInterpreter(test: KernelCase) throws {
        var test = test
        test.aarch64 = true
        try verify(test)
    }

    /// Under AddressSanitizer and UndefinedBehaviorSanitizer: every sample at runtime dims of 1
    /// and of 7 (a multiple of no tile size), and the op models.
    @Test(
        arguments: TestModels.sampleCases(dims: [1, 7], precisions: [.double], sanitize: true)
            + TestModels.cases(dims: [7], precisions: [.float], sanitize: true).filter { test in
                TestModels.ops.contains { $0.name == test.name } || test.name == "rule_clip_adam"
            })
    func sanitizersReportNothing(test: KernelCase) throws {
        try verify(test)
    }
}
