import AdjointAutodiff
@testable import AdjointCodegen
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Foundation
import Testing

/// Version 2's reductions and selection in generated C and Swift, against the interpreter in
/// float and double: axis lists, `keepdims`, `max`, `min`, `var`, `argmax` and `argmin` (an `int`
/// output: `int32_t *` and `[Int32]`, -1 on a bad id), comparisons, `where`, `clip`, and a
/// causal softmax masked with `-inf` (exact zeros, no NaN).
@Suite struct SelectionKernelTests {
    static let models: [(name: String, source: String, ids: Bool)] = [
        (
            "reductions",
            """
            dim batch
            input x: [batch, 5, 3]
            param W: [3, 4]
            param b: [4]
            h = x @ W + b
            m1 = max(h, axis = 1)
            m2 = min(h, axis = [1, 2], keepdims = true)
            s = sum(h, axis = [0, 2])
            mu = mean(h, axis = -1, keepdims = true)
            v = var(h, axis = [1, 2])
            l = logsumexp(h, axis = [1, 2], keepdims = true)
            best = argmax(h, axis = -1)
            worst = argmin(m1, axis = 1)
            loss = sum(m1 * m1) + sum(m2) + sum(s * s) / batch + sum((h - mu)^2) + sum(v) + sum(l) + max(h) - min(h) + sum(one_hot(best, 4) * h)
            output best, worst, m1
            minimize loss using adam
            """, false
        ),
        (
            "selection",
            """
            dim batch
            dim seq = 4
            input x: [batch, seq, 3]
            const causal: [seq, seq] = tril
            param Wq: [3, 3]
            param Wk: [3, 3]
            param lo = -0.5
            q = x @ Wq
            k = x @ Wk
            scores = q @ transpose(k, axes = [0, 2, 1])
            att = softmax(where(causal, scores, -inf))
            gate = (q > 0) * (k <= 0.3) + (q == q) - (q != 0) + (q >= k) + (q < k)
            c = clip(q, lo, 0.5)
            loss = sum(att * scores) + sum(c * c) + sum(gate * q) + sum(where(x > 0, q, k * 2))
            output att, gate
            minimize loss using momentum(nesterov = true)
            """, false
        ),
        (
            "argmax_ids",
            """
            dim batch
            input x: [batch, 4]
            input y: int[batch]
            param W: [4, 3]
            logits = x @ W
            pred = argmax(logits, axis = 1)
            right = pred == y
            picked = pick(logits, y)
            loss = softmax_cross_entropy(logits, y) + sum(max(logits, axis = 1)) / batch
            output pred, right, picked
            minimize loss
            """, true
        ),
    ]

    /// The models above and `samples/tagger.adj` (layer norm, a masked causal softmax, an `argmax`
    /// output; its `int` input is compared, not used as ids, in `predict`).
    static let allModels: [(name: String, source: String, ids: Bool)] = {
        let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("samples/tagger.adj")
        guard let text = try? String(contentsOf: sample, encoding: .utf8) else { return models }
        return models + [("tagger", text, false)]
    }()

    static let cases: [KernelCase] = [Precision.double, .float].flatMap { precision in
        allModels.map { model in
            KernelCase(name: "v2s_" + model.name, source: model.source, dims: ["batch": 7], precision: precision, checksBadIds: model.ids)
        }
    }

    @Test(arguments: cases)
    func cKernelsMatchTheInterpreter(test: KernelCase) throws {
        let output = try verify(test).output
        if test.checksBadIds { IndexingKernelTests().expectBadIdsRejected(output, test) }
        if test.name == "v2s_selection" { Self.expectMaskedZeros(output, test) }
    }

    /// The masked softmax of `v2s_selection`: exact zeros above the diagonal, no NaN.
    static func expectMaskedZeros(_ output: HarnessOutput, _ test: KernelCase) {
        let att = output["output:att"] ?? []
        #expect(att.count == 7 * 16 && !att.contains { $0.isNaN }, "\(test.testDescription): att \(att.prefix(16))")
        for (index, value) in att.enumerated() where index % 4 > (index / 4) % 4 { #expect(value == 0, "\(test.testDescription): att[\(index)]") }
    }

    /// The cases checked in Swift (in the shared Swift harness): all but `tagger` in double, which
    /// is `samples/tagger.adj` at the same sizes and data as `SwiftKernelTests`' `tagger_double`.
    static let swiftCases = cases.filter { !($0.name == "v2s_tagger" && $0.precision == .double) }

    @Test(arguments: swiftCases)
    func swiftKernelsMatchTheInterpreter(test: KernelCase) throws {
        let output = try SwiftHarness.shared.output(test)
        let program = try test.checked()
        let bindings = CHarness.bindings(program, test)
        func expectClose(_ key: String, _ expected: [Double], tolerance: Double = test.tolerance) {
            let error = relativeError(output[key] ?? [], expected)
            #expect(error <= tolerance, "\(test.testDescription): \(key) off by \(error) (Swift \((output[key] ?? []).prefix(4)), reference \(expected.prefix(4)))")
        }
        let forward = program.forwardGraph()
        let gradient = ReverseMode.differentiate(forward)
        let values = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: test.dims)
        expectClose("loss", [values[forward.loss]!.scalar])
        for (param, node) in gradient.gradients { expectClose("grad:\(param)", values[node]!.scalars) }
        let outputs = Interpreter.evaluate(forward.graph, bindings: bindings, dims: test.dims)
        for name in program.outputs { expectClose("output:\(name)", outputs[forward.graph.root(name)!]!.scalars) }
        let adamFamily = [UpdateRuleKind.adam, .adamw].contains(program.updateRule.kind)
        let stepTolerance = test.precision == .float && adamFamily ? 1e-3 : test.tolerance
        let (losses, final) = ReferenceSteps.shared.steps(test, UpdateProgram.step(program), bindings)
        expectClose("step_loss", losses)
        for param in program.params { expectClose("step_param:\(param.name)", final.bindings[param.name]!.scalars, tolerance: stepTolerance) }
        if test.checksBadIds { IndexingKernelTests().expectBadIdsRejected(output, test) }
        // The masked softmax: exact zeros above the diagonal, as in C.
        if test.name == "v2s_selection" { Self.expectMaskedZeros(output, test) }
    }

    /// An `int` output is `int32_t *` in C and `[Int32]` in Swift. (The masked softmax's exact
    /// zeros above the diagonal are checked on every C and Swift run of `v2s_selection`.)
    @Test func intOutputsAreInt32() throws {
        let test = Self.cases.first { $0.name == "v2s_argmax_ids" && $0.precision == .double }!
        let kernels = ModelKernels(try test.checked(), name: test.name, modelPath: "\(test.name).adj")
        let c = CPrinter(kernels, precision: .double, tool: "t").source()
        #expect(c.contains("int32_t *restrict pred"))
        let swift = SwiftPrinter(kernels, precision: .double, tool: "t").source()
        #expect(swift.contains("-> (pred: [Int32], right: [Double], picked: [Double])"))
    }
}
