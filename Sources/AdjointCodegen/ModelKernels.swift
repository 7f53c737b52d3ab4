import AdjointAutodiff
import AdjointIR
import AdjointSema

/// The choices of `adjoint compile` that change the lowering, not only the spelling.
public struct CodegenOptions: Hashable, Sendable {
    /// `--blas`: large matrix products become CBLAS calls (`Statement.gemm`), for the C printer
    /// only. Off by default, so the generated C needs nothing but the standard library.
    public var blas: Bool

    public init(blas: Bool = false) { self.blas = blas }
}

/// Every kernel of kernels.md for one model, lowered to the loop IR: what a printer needs to
/// write the C (or Swift) source.
public struct ModelKernels: Sendable {
    /// One param: its field in the params struct and how `init` fills it.
    public struct Param: Sendable, Hashable {
        public var name: String
        public var shape: Shape
        public var initialization: Initialization
    }

    /// How `NAME_init` fills a param's elements from SplitMix64, in double, as
    /// `CheckedProgram.initialParams` does (the same arithmetic, operation for operation).
    public enum Initialization: Sendable, Hashable {
        /// Every element this value; no draws.
        case constant(Double)
        /// `offset + scale * u` for a uniform draw u in [0, 1).
        case uniform(offset: Double, scale: Double)
        /// `mean + std * z` (or `std * z` without a mean) for a Box-Muller normal z.
        case normal(mean: Double?, std: Double)
    }

    /// The model's name as an identifier (`my_net`), the prefix of every symbol.
    public var name: String
    /// The model file, for the header comment.
    public var modelPath: String
    public var params: [Param]
    /// The update rule's state slots (moments, then the step count `t`).
    public var stateSlots: [UpdateProgram.Slot]
    public var runtimeDims: [String]
    /// The update rule, for the header comment.
    public var updateRule: UpdateRule
    /// loss, gradient, apply, step, and predict when the model has outputs.
    public var kernels: [Kernel]

    /// Each kernel's text (UTF-8) as `render` printed it, in kernel order (nil without `render`).
    public var renderedKernels: [[UInt8]]?

    /// The kernel of a kind.
    public func kernel(_ kind: KernelKind) -> Kernel? { kernels.first { $0.kind == kind } }

    /// Lowers every kernel of `program`.
    ///
    /// `render`, if given, prints each kernel on the thread that lowered it, right after
    /// lowering it (`renderedKernels`): a large model's kernels then print while others still lower.
    public init(
        _ program: CheckedProgram, name: String, modelPath: String, options: CodegenOptions = CodegenOptions(),
        render: (@Sendable (Kernel) -> [UInt8])? = nil
    ) {
        self.name = name
        self.modelPath = modelPath
        runtimeDims = program.dims.filter { $0.size == nil }.map(\.name)
        updateRule = program.updateRule
        params = program.params.map { Param(name: $0.name, shape: $0.shape, initialization: Self.initialization($0)) }
        let dims = runtimeDims.map(Argument.dim)

        let forward = program.forwardGraph()
        let inputs = { @Sendable (graph: Graph, nodes: [NodeID]) -> [Argument] in
            let needed = graph.inputs(reachedFrom: nodes)
            return program.inputs.filter { needed.contains($0.name) }.map { .input($0.name, $0.shape) }
        }
        let lossArguments = inputs(forward.graph, [forward.loss]) + dims
        let loss = KernelSpec(
            kind: .loss, graph: forward.graph, results: [(forward.loss, .returned)], arguments: lossArguments,
            names: forward.valueNames, options: options)
        var forwardSpecs = [loss]
        if !program.outputs.isEmpty {
            let outputs = program.outputs.map { (name: $0, node: forward.graph.root($0)!) }
            let predict = KernelSpec(
                kind: .predict, graph: forward.graph,
                results: outputs.map { ($0.node, .storage(.output($0.name))) },
                arguments: inputs(forward.graph, outputs.map(\.node)) + dims
                    + outputs.map { .output($0.name, forward.graph[$0.node].shape) },
                names: forward.valueNames, options: options)
            forwardSpecs.append(predict)
        }

        // Each kernel is lowered on a thread of its own as soon as its graph exists: loss and
        // predict at once, apply after its small graph, gradient after the reverse pass, and
        // step (on this thread) after the update; kernels.md's order is kept by index.
        let tasks = ConcurrentTasks<(kernel: Kernel, text: [UInt8]?)>(count: 4 + forwardSpecs.count - 1)
        @Sendable func lower(_ spec: KernelSpec) -> (kernel: Kernel, text: [UInt8]?) {
            let kernel = Lowering.lower(spec)
            return (kernel, render?(kernel))
        }
        tasks.start(0) { lower(loss) }
        for (index, predict) in forwardSpecs.dropFirst().enumerated() { tasks.start(4 + index) { lower(predict) } }
        tasks.start(2) {
            let apply = UpdateProgram.apply(program)
            return lower(
                KernelSpec(
                    kind: .apply, graph: apply.graph, results: Self.updateResults(apply), arguments: [],
                    names: Self.asciiNames(apply.valueNames), options: options))
        }
        let gradient = ReverseMode.differentiate(forward)
        var gradientNames = forward.valueNames
        for (param, node) in gradient.gradients where gradientNames[node] == nil { gradientNames[node] = "d_" + param }
        let gradientSpec = KernelSpec(
            kind: .gradient, graph: gradient.graph,
            results: [(forward.loss, .returned)] + gradient.gradients.map { ($0.node, .storage(.gradient($0.param))) },
            arguments: lossArguments, names: gradientNames, options: options)
        tasks.start(1) { lower(gradientSpec) }
        let step = UpdateProgram.step(gradient, rule: program.updateRule)
        stateSlots = step.slots
        var stepNames = Self.asciiNames(step.valueNames)
        for (param, node) in step.gradients where stepNames[node] == nil { stepNames[node] = "d_" + param }
        let stepSpec = KernelSpec(
            kind: .step, graph: step.graph, results: [(step.loss!, .returned)] + Self.updateResults(step),
            arguments: lossArguments, names: stepNames, options: options)
        tasks.run(3) { lower(stepSpec) }
        let lowered = tasks.values()
        // The graphs are freed at exit, not here on the critical path (`ProcessLifetime`).
        ProcessLifetime.keep((forward, gradient, step))
        kernels = lowered.map(\.kernel)
        renderedKernels = render == nil ? nil : lowered.map { $0.text! }
    }

    /// Where an update's new params and state go: back into the params and the state, in place.
    static func updateResults(_ update: UpdateProgram) -> [(node: NodeID, destination: KernelSpec.Destination)] {
        update.newParams.map { ($0.node, .storage(.param($0.param))) }
            + update.newState.map { slot, node in
                (node, slot == UpdateProgram.stepCount ? .stepCount : .storage(.state(slot)))
            }
    }

    /// Names for comments in ASCII (`‖g‖` becomes `norm_g`).
    static func asciiNames(_ names: [NodeID: String]) -> [NodeID: String] {
        names.mapValues { name in
            name == "‖g‖" ? "norm_g" : String(name.unicodeScalars.filter(\.isASCII).map(Character.init))
        }
    }

    static func initialization(_ param: CheckedProgram.ParamDecl) -> Initialization {
        let sizes = param.shape.sizes([:])
        let fanIn = sizes.count >= 2 ? Double(sizes[sizes.count - 2]) : 1
        let fanOut = sizes.count >= 2 ? Double(sizes[sizes.count - 1]) : 1
        switch param.initializer {
        case .constant(let value): return .constant(value)
        case .zeros: return .constant(0)
        case .ones: return .constant(1)
        case .normal(let mean, let std): return .normal(mean: mean, std: std)
        case .uniform(let low, let high): return .uniform(offset: low, scale: high - low)
        case .glorot:
            let limit = (6 / (fanIn + fanOut)).squareRoot()
            return .uniform(offset: -limit, scale: 2 * limit)
        case .he: return .normal(mean: nil, std: (2 / fanIn).squareRoot())
        }
    }
}
