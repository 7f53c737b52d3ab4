import AdjointAutodiff
@testable import AdjointCodegen
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Foundation
import Testing

/// The indexing family in generated C and Swift: every kernel against the interpreter in float
/// and double (`verify`), a bad id (-1, and the bound) giving NaN with params, state and grads
/// unchanged, and the sparse embedding step.
@Suite struct IndexingKernelTests {
    @Test(arguments: IndexingModels.cases)
    func cKernelsMatchTheInterpreter(test: KernelCase) throws {
        let output = try verify(test).output
        guard test.checksBadIds else { return }
        expectBadIdsRejected(output, test)
    }

    /// Under AddressSanitizer and UBSan: no read or write out of bounds, with good ids and bad.
    @Test(arguments: IndexingModels.cases.filter { $0.precision == .double }.map { test -> KernelCase in
        var sanitized = test
        sanitized.sanitize = true
        return sanitized
    })
    func sanitizedKernelsStayInBounds(test: KernelCase) throws {
        let output = try CHarness.run(test).output
        #expect(output["loss"]?.first?.isFinite == true)
        if test.checksBadIds { expectBadIdsRejected(output, test) }
    }

    @Test(arguments: IndexingModels.cases)
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
        expectClose("gradient_loss", [values[forward.loss]!.scalar])
        for (param, node) in gradient.gradients { expectClose("grad:\(param)", values[node]!.scalars) }
        let outputs = Interpreter.evaluate(forward.graph, bindings: bindings, dims: test.dims)
        for name in program.outputs { expectClose("output:\(name)", outputs[forward.graph.root(name)!]!.scalars) }
        let adamFamily = [UpdateRuleKind.adam, .adamw].contains(program.updateRule.kind)
        let stepTolerance = test.precision == .float && adamFamily ? 1e-3 : test.tolerance
        let (losses, final) = ReferenceSteps.shared.steps(test, UpdateProgram.step(program), bindings)
        expectClose("step_loss", losses)
        for param in program.params { expectClose("step_param:\(param.name)", final.bindings[param.name]!.scalars, tolerance: stepTolerance) }
        if test.checksBadIds { expectBadIdsRejected(output, test) }
    }

    func expectBadIdsRejected(_ output: HarnessOutput, _ test: KernelCase) {
        for key in ["bad_loss", "bad_gradient", "bad_step"] {
            let values = output[key] ?? []
            #expect(!values.isEmpty && values.allSatisfy(\.isNaN), "\(test.testDescription): \(key) \(values)")
        }
        let unchanged = output["bad_unchanged"] ?? []
        #expect(!unchanged.isEmpty && unchanged.allSatisfy { $0 == 1 }, "\(test.testDescription): a bad id changed params, state or grads")
        if let predict = output["bad_predict_nan"] {
            #expect(predict.allSatisfy { $0 == 1 }, "\(test.testDescription): predict with a bad id wrote numbers")
        }
    }

    /// The sgd step of an embedding scatters `-lr * c` into E in place: no store of all of E
    /// (no copy, no zeroing), only additions at ids; the dense rows of W are stored as before.
    @Test func embeddingStepAddsOnlyAtIds() throws {
        let program = try IndexingModels.embedding(vocabulary: 1000)
        let step = UpdateProgram.step(program)
        let node = step.newParams.first { $0.param == "E" }!.node
        guard case .indexing(.scatterAdd(axis: 0)) = step.graph[node].op else {
            Issue.record("E's update is \(step.graph[node].op)")
            return
        }
        #expect(step.graph[step.graph[node].operands[0]].op == .leaf(.param("E", Shape([.fixed(1000), .fixed(3)]))))
        let kernels = ModelKernels(program, name: "embed", modelPath: "embed.adj")
        let body = kernels.kernel(.step)!.body
        var stores = 0
        var additions = 0
        func visit(_ statements: [Statement]) {
            for statement in statements {
                switch statement {
                case .store(.param("E"), _, _): stores += 1
                case .accumulate(.param("E"), _, _): additions += 1
                case .loop(_, _, _, _, let inner), .parallelLoop(_, _, _, _, let inner): visit(inner)
                default: break
                }
            }
        }
        visit(body)
        #expect(stores == 0 && additions == 1, "E stored \(stores) times, added to \(additions) times")
        let c = CPrinter(kernels, precision: .float, tool: "adjoint test").source()
        #expect(c.contains("scatter_add(E, "), "the nest's comment names the scatter")
    }

    /// The sparse step is the dense update `E - lr * grad E` (the interpreter's gradient).
    @Test func sparseStepEqualsTheDenseUpdate() throws {
        let program = try IndexingModels.embedding()
        let test = KernelCase(name: "embed", source: "v2 sparse", dims: ["batch": 7], precision: .double, program: program)
        let bindings = CHarness.bindings(program, test)
        let gradient = ReverseMode.differentiate(program.forwardGraph())
        let values = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: test.dims)
        let grad = values[gradient.gradients.first { $0.param == "E" }!.node]!
        let dense = zip(bindings["E"]!.scalars, grad.scalars).map { $0 - 0.1 * $1 }
        let step = UpdateProgram.step(program)
        let (_, next) = Training.step(step, from: Training.Point(bindings: bindings, state: Training.initialState(step)), dims: test.dims)
        #expect(relativeError(next.bindings["E"]!.scalars, dense) <= 1e-14)
        // And the C step, one call.
        let output = try CHarness.run(test).output
        let stepped = output["step_param:E"] ?? []
        #expect(!stepped.isEmpty)
        let (_, final) = ReferenceSteps.shared.steps(test, step, bindings)
        #expect(relativeError(stepped, final.bindings["E"]!.scalars) <= 1e-10)
    }

    /// The comments above the nests print the model language's notation.
    @Test func nestCommentsReadAsTheModel() throws {
        func source(_ program: CheckedProgram) -> String {
            CPrinter(ModelKernels(program, name: "m", modelPath: "m.adj"), precision: .float, tool: "adjoint test").source()
        }
        let embedding = source(try IndexingModels.embedding())
        #expect(embedding.contains("take(E, tokens") || embedding.contains("E[tokens]"), "\(embedding)")
        #expect(embedding.contains("const int32_t *restrict tokens"))
        #expect(embedding.contains("bad_id |= "))
        let concat = source(try IndexingModels.concat())
        #expect(concat.contains("concat("))
        let constants = source(try IndexingModels.constants())
        #expect(constants.contains("static const float m_const_V[9]"))
    }
}

/// Prints generated code for inspection (`ADJOINT_PRINT_V2=1`).
@Suite struct IndexingPrintout {
    @Test func printGenerated() throws {
        guard let which = ProcessInfo.processInfo.environment["ADJOINT_PRINT_V2"] else { return }
        let model = try IndexingModels.all().first { $0.name == which }!
        let kernels = ModelKernels(model.program, name: "m", modelPath: "m.adj")
        print(CPrinter(kernels, precision: .float, tool: "adjoint test").source())
        print(SwiftPrinter(kernels, precision: .float, tool: "adjoint test").source())
    }
}

/// The embedding step's time at a small and a large vocabulary (`ADJOINT_MEASURE=1`): with the
/// update scattered in place, both cost the tokens times a row.
@Suite struct EmbeddingStepMeasurement {
    @Test func stepTimeIsIndependentOfTheVocabulary() throws {
        guard ProcessInfo.processInfo.environment["ADJOINT_MEASURE"] != nil else { return }
        // Weight decay keeps the update dense: the comparison.
        for (vocabulary, rule) in [(1_000, "sgd(lr = 0.1)"), (100_000, "sgd(lr = 0.1)"), (100_000, "sgd(lr = 0.1, weight_decay = 0.0001)")] {
            let program = try IndexingModels.embeddingClassifier(vocabulary: vocabulary, rule: rule)
            let kernels = ModelKernels(program, name: "emb", modelPath: "emb.adj")
            let printer = CPrinter(kernels, precision: .float, tool: "adjoint test")
            let folder = try temporaryFolder("measure")
            defer { try? FileManager.default.removeItem(at: folder) }
            try printer.header().write(to: folder.appendingPathComponent("emb.h"), atomically: true, encoding: .utf8)
            try printer.source().write(to: folder.appendingPathComponent("emb.c"), atomically: true, encoding: .utf8)
            let main = """
                #define _POSIX_C_SOURCE 200112L
                #include <stdio.h>
                #include <stdlib.h>
                #include <time.h>
                #include "emb.h"
                static emb_params p;
                static emb_state s;
                int main(void)
                {
                    int32_t tokens[32 * 16], labels[32];
                    for (int i = 0; i < 32 * 16; ++i) tokens[i] = (int32_t)((i * 7919) % \(vocabulary));
                    for (int i = 0; i < 32; ++i) labels[i] = i % 4;
                    emb_init(&p, 1);
                    emb_state_init(&s);
                    void *ws = NULL;
                    if (posix_memalign(&ws, 64, emb_workspace_size(32) + 64) != 0) return 1;
                    float loss = 0;
                    for (int k = 0; k < 100; ++k) loss += emb_step(&p, &s, tokens, labels, 32, ws);
                    struct timespec a, b;
                    clock_gettime(CLOCK_MONOTONIC, &a);
                    for (int k = 0; k < 2000; ++k) loss += emb_step(&p, &s, tokens, labels, 32, ws);
                    clock_gettime(CLOCK_MONOTONIC, &b);
                    double us = ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 2000 / 1e3;
                    printf("%.3f %g\\n", us, (double)loss);
                    free(ws);
                    return 0;
                }
                """
            try main.write(to: folder.appendingPathComponent("main.c"), atomically: true, encoding: .utf8)
            let compile = try run("/usr/bin/cc", CHarness.flags + ["-O2", "emb.c", "main.c", "-o", "measure", "-lm"], in: folder)
            try #require(compile.status == 0, "\(compile.errors)")
            let result = try run(folder.appendingPathComponent("measure").path, [], in: folder)
            print("vocabulary \(vocabulary), \(rule): step \(result.output.split(separator: " ").first ?? "?") us")
        }
    }
}
