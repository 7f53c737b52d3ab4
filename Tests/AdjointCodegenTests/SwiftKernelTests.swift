import AdjointAutodiff
import AdjointCodegen
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Foundation
import Testing

/// The generated Swift against the reference interpreter (the loss, the gradient, predict,
/// apply, five fused steps, init to the last bit in double, nothing for a runtime dim of 0),
/// against the generated C on the same data, and `step` allocating nothing.
@Suite struct SwiftKernelTests {
    @Test(arguments: SwiftHarness.kernelCases)
    func matchesTheInterpreter(test: KernelCase) throws {
        let output = try SwiftHarness.shared.output(test)
        let program = try test.checked()
        let bindings = CHarness.bindings(program, test)
        let adamFamily = [UpdateRuleKind.adam, .adamw].contains(program.updateRule.kind)
        let stepTolerance = test.precision == .float && adamFamily ? 1e-3 : test.tolerance
        func expectClose(_ key: String, _ expected: [Double], tolerance: Double = test.tolerance) {
            let actual = output[key] ?? []
            let error = relativeError(actual, CHarness.sampled(expected))
            #expect(error <= tolerance, "\(test.testDescription): \(key) off by \(error) (Swift \(actual.prefix(4)), reference \(expected.prefix(4)))")
            if expected.count > CHarness.sampleLimit {
                let total = expected.reduce(0) { $0 + abs($1) }
                #expect(relativeError(output["sumabs:" + key] ?? [], [total]) <= tolerance, "\(test.testDescription): Σ|\(key)|")
            }
        }

        let forward = program.forwardGraph()
        let gradient = ReverseMode.differentiate(forward)
        let values = Interpreter.evaluate(gradient.graph, bindings: bindings, dims: test.dims)
        let loss = values[forward.loss]!.scalar
        expectClose("loss", [loss])
        expectClose("gradient_loss", [loss])
        var gradients: [String: Tensor] = [:]
        for (param, node) in gradient.gradients {
            gradients[param] = values[node]!
            expectClose("grad:\(param)", values[node]!.scalars)
        }
        // `predict` does not draw: its reference is the inference graph (draws at their means).
        let inference = program.forwardGraph(training: false)
        let outputs = Interpreter.evaluate(inference.graph, bindings: bindings, dims: test.dims)
        for name in program.outputs { expectClose("output:\(name)", outputs[inference.graph.root(name)!]!.scalars) }

        // apply on the interpreter's gradient (the harness read the same one), from zero state.
        let apply = UpdateProgram.apply(program)
        let params = Dictionary(uniqueKeysWithValues: program.params.map { ($0.name, bindings[$0.name]!) })
        let applied = Training.apply(apply, params: params, gradients: gradients, state: Training.initialState(apply))
        for param in program.params {
            expectClose("apply_param:\(param.name)", applied.bindings[param.name]!.scalars, tolerance: stepTolerance)
        }
        for slot in apply.slots where slot.name != UpdateProgram.stepCount {
            expectClose("apply:\(slot.name)", applied.state[slot.name]!.scalars, tolerance: stepTolerance)
        }
        #expect(output["apply_t"] == [1])

        // Five fused steps, against the reference steps the C tests share.
        let (losses, final) = ReferenceSteps.shared.steps(test, UpdateProgram.step(program), bindings)
        let stepLosses = output["step_loss"] ?? []
        #expect(stepLosses.count == losses.count && relativeError(stepLosses, losses) <= test.tolerance, "\(test.testDescription): step losses \(stepLosses) vs \(losses)")
        for param in program.params {
            expectClose("step_param:\(param.name)", final.bindings[param.name]!.scalars, tolerance: stepTolerance)
        }
        for slot in UpdateProgram.step(program).slots where slot.name != UpdateProgram.stepCount {
            expectClose("step:\(slot.name)", final.state[slot.name]!.scalars, tolerance: stepTolerance)
        }
        #expect(output["step_t"] == [Double(CHarness.steps)])

        // init: the same SplitMix64 draws as the interpreter and the C kernels, to the last bit.
        let initial = program.initialParams(seed: CHarness.seed)
        for param in program.params {
            #expect(output["init:\(param.name)"] == CHarness.sampled(initial[param.name]!.scalars.map(test.rounded)), "\(test.testDescription): init of \(param.name)")
        }

        // A runtime dim below 1: NaN, no workspace, empty outputs.
        if !program.dims.allSatisfy({ $0.size != nil }) {
            #expect(output["zero_loss"]?.first?.isNaN == true)
            #expect(output["zero_step"]?.first?.isNaN == true)
            #expect(output["zero_bytes"] == [0])
            if !program.outputs.isEmpty {
                #expect(output["zero_predict_count"] == [Double](repeating: 0, count: program.outputs.count))
            }
        }

        // One more step, its scratch already sized: no allocation (and the counter does count), in
        // the optimized build the samples get.
        let allocations = output["step_allocations"] ?? []
        #expect(allocations.count == 3 && allocations[1] >= 1, "\(test.testDescription): allocations during a step, of a probe: \(allocations)")
        if SwiftHarness.isOptimized(test) {
            #expect(allocations.first == 0, "\(test.testDescription): allocations during a step: \(allocations)")
        }
    }

    /// The cases compared with the C kernels directly: every sample in the harness.
    static let samples = SwiftHarness.kernelCases.filter { test in Repository.samples.contains { TestModels.identifier($0) == test.name } }

    /// The Swift and the C kernels on the same params and inputs: everything the two harnesses
    /// print alike (apply aside: the C one applies its own gradient) agrees to rounding.
    @Test(arguments: samples)
    func agreesWithTheCKernels(test: KernelCase) throws {
        let swift = try SwiftHarness.shared.output(test)
        let c = try CHarness.run(test).output
        let program = try test.checked()
        let adamFamily = [UpdateRuleKind.adam, .adamw].contains(program.updateRule.kind)
        let tolerance = test.precision == .double ? 1e-12 : adamFamily ? 1e-4 : 1e-6
        let compared = c.keys.filter { !$0.hasPrefix("apply") && !$0.hasPrefix("zero_") }.sorted()
        #expect(compared.count > 5)
        for key in compared {
            let error = relativeError(swift[key] ?? [], c[key]!)
            #expect(error <= (key.hasPrefix("init") ? 0 : tolerance), "\(test.testDescription): \(key) Swift and C differ by \(error)")
        }
    }
}
