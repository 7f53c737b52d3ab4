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

/// Every kernel of docs/kernels.md for one model, lowered to the loop IR: what a printer needs to
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
    /// The model file's path as the generated comments show it: escaped (`CommentText`), since
    /// a folder's name may hold a newline or `*/`.
    public var modelPath: String
    public var params: [Param]
    /// The update rule's state slots (moments, then the step count `t`).
    public var stateSlots: [UpdateProgram.Slot]
    public var runtimeDims: [String]
    /// The element tables of the tensor constants given element by element (`.values`), by
    /// name: the printers write those that a kernel reads (`Storage.constant`).
    public var constantTables: [String: [Double]] = [:]
    /// The update rule, for the header comment.
    public var updateRule: UpdateRule
    /// loss, gradient, apply, step, and predict when the model has outputs.
    public var kernels: [Kernel]
    /// The model's draws from the random stream, in stream order (`Random.swift`).
    public var randomDraws: [RandomDraw] = []
    /// The largest sizes any kernel computes with (`SizeBound`): the runtime dims every kernel
    /// accepts are those at which it fits.
    public var sizeBound: SizeBound {
        kernels.reduce(into: SizeBound()) { $0.merge($1.sizeBound) }
    }

    /// Each kernel's text (UTF-8) as `render` printed it, in kernel order, each in consecutive
    /// parts (nil without `render`).
    public var renderedKernels: [[[UInt8]]]?

    /// The kernel of a kind.
    public func kernel(_ kind: KernelKind) -> Kernel? { kernels.first { $0.kind == kind } }

    /// Lowers every kernel of `program`.
    ///
    /// `render`, if given, prints each kernel's body statements in a range, with the function's
    /// opening before the first and its closing after the last (`renderedKernels`). A kernel is
    /// printed in parts as soon as it is lowered, while others still lower, and a large kernel's
    /// parts print on both threads.
    public init(
        _ program: CheckedProgram, name: String, modelPath: String, options: CodegenOptions = CodegenOptions(),
        render: (@Sendable (Kernel, Range<Int>) -> [UInt8])? = nil
    ) {
        self.name = name
        self.modelPath = CommentText.escaped(modelPath)
        runtimeDims = program.dims.filter { $0.size == nil }.map(\.name)
        for constant in program.constants {
            if case .values(let values)? = constant.tensor?.pattern { constantTables[constant.name] = values }
        }
        updateRule = program.updateRule
        params = program.params.map { Param(name: $0.name, shape: $0.shape, initialization: Self.initialization($0)) }
        let dims = runtimeDims.map(Argument.dim)

        let forward = program.forwardGraph()
        let inputs = { @Sendable (graph: Graph, nodes: [NodeID]) -> [Argument] in
            let needed = graph.inputs(reachedFrom: nodes)
            return program.inputs.filter { needed.contains($0.name) }.map {
                $0.element == .int ? .intInput($0.name, $0.shape) : .input($0.name, $0.shape)
            }
        }
        randomDraws = forward.graph.nodes.compactMap { if case .leaf(.random(let draw)) = $0.op { draw } else { nil } }
            .sorted { $0.stream < $1.stream }
        let stepArguments = inputs(forward.graph, [forward.loss]) + dims
        // A model that draws: `loss` and `gradient` take the stream's position after the dims.
        let lossArguments = stepArguments + (randomDraws.isEmpty ? [] : [.stream])
        let loss = KernelSpec(
            kind: .loss, graph: forward.graph, results: [(forward.loss, .returned)], arguments: lossArguments,
            names: forward.valueNames, options: options)
        var forwardSpecs = [loss]
        if !program.outputs.isEmpty {
            // Outside training the draws are their predict values (`RandomDraw.predictValue`).
            let inference = randomDraws.isEmpty ? forward : program.forwardGraph(training: false)
            let outputs = program.outputs.map { (name: $0, node: inference.graph.root($0)!) }
            let predict = KernelSpec(
                kind: .predict, graph: inference.graph,
                results: outputs.map {
                    ($0.node, .storage(inference.graph[$0.node].element == .int ? .intOutput($0.name) : .output($0.name)))
                },
                arguments: inputs(inference.graph, outputs.map(\.node)) + dims
                    + outputs.map {
                        let shape = inference.graph[$0.node].shape
                        return inference.graph[$0.node].element == .int ? .intOutput($0.name, shape) : .output($0.name, shape)
                    },
                names: inference.valueNames, options: options)
            forwardSpecs.append(predict)
        }

        // Each kernel is lowered as soon as its graph exists, by priority (`SharedTasks`): the
        // worker takes apply while this thread builds the reverse pass, then gradient (its
        // largest) as soon as that exists, while this thread builds the update and lowers step;
        // loss and predict go to whichever thread is free first, and a lowered kernel's parts
        // are printed before anything else is lowered. docs/kernels.md's order is kept by index.
        let kernelCount = 4 + forwardSpecs.count - 1
        let tasks = SharedTasks<Lowered>(count: kernelCount * (1 + Self.maximumParts))
        @Sendable func lower(_ spec: KernelSpec, _ index: Int) -> Lowered {
            let kernel = Lowering.lower(spec)
            if let render {
                for (part, range) in Self.parts(kernel.body.count).enumerated() {
                    tasks.start(kernelCount + index * Self.maximumParts + part, priority: 4) { .text(render(kernel, range)) }
                }
            }
            return .kernel(kernel)
        }
        tasks.start(0, priority: 1) { lower(loss, 0) }
        for (index, predict) in forwardSpecs.dropFirst().enumerated() {
            tasks.start(4 + index, priority: 0) { lower(predict, 4 + index) }
        }
        tasks.start(2, priority: 2) {
            let apply = UpdateProgram.apply(program)
            return lower(
                KernelSpec(
                    kind: .apply, graph: apply.graph, results: Self.updateResults(apply), arguments: [],
                    names: Self.asciiNames(apply.valueNames), countsStep: true, options: options), 2)
        }
        let gradient = ReverseMode.differentiate(forward)
        var gradientNames = forward.valueNames
        for (param, node) in gradient.gradients where gradientNames[node] == nil { gradientNames[node] = "d_" + param }
        let gradientSpec = KernelSpec(
            kind: .gradient, graph: gradient.graph,
            results: [(forward.loss, .returned)] + gradient.gradients.map { ($0.node, .storage(.gradient($0.param))) },
            arguments: lossArguments, names: gradientNames, options: options)
        tasks.start(1, priority: 3) { lower(gradientSpec, 1) }
        let step = UpdateProgram.step(gradient, rule: program.updateRule)
        stateSlots = step.slots
        var stepNames = Self.asciiNames(step.valueNames)
        for (param, node) in step.gradients where stepNames[node] == nil { stepNames[node] = "d_" + param }
        let stepSpec = KernelSpec(
            kind: .step, graph: step.graph, results: [(step.loss!, .returned)] + Self.updateResults(step),
            arguments: stepArguments, names: stepNames, countsStep: true, options: options)
        tasks.run(3) { lower(stepSpec, 3) }
        let lowered = tasks.values()
        // The graphs are freed at exit, not here on the critical path (`ProcessLifetime`).
        ProcessLifetime.keep((forward, gradient, step))
        kernels = lowered[..<kernelCount].map { slot in
            guard case .kernel(let kernel) = slot else { preconditionFailure("internal error: a kernel was not lowered") }
            return kernel
        }
        renderedKernels = render == nil ? nil : (0..<kernelCount).map { index in
            lowered[(kernelCount + index * Self.maximumParts)...].prefix(Self.maximumParts).compactMap { part in
                if case .text(let text) = part { text } else { nil }
            }
        }
    }

    /// What a task of `init` computes: a lowered kernel, or a printed part of one.
    private enum Lowered: Sendable {
        case kernel(Kernel)
        case text([UInt8])
    }

    /// The most parts a kernel is printed in.
    static let maximumParts = 8

    /// A body of `count` statements in consecutive parts of at least 4,096 statements (one part
    /// for a small kernel), at most `maximumParts`.
    static func parts(_ count: Int) -> [Range<Int>] {
        let parts = max(1, min(maximumParts, count / 4096))
        return (0..<parts).map { part in (part * count / parts)..<((part + 1) * count / parts) }
    }

    /// Where an update's new params and state go: back into the params and the state, in place.
    /// The new step count is not among them (`KernelSpec.countsStep`).
    static func updateResults(_ update: UpdateProgram) -> [(node: NodeID, destination: KernelSpec.Destination)] {
        update.newParams.map { ($0.node, .storage(.param($0.param))) }
            + update.newState.filter { $0.slot != UpdateProgram.stepCount }.map { ($0.node, .storage(.state($0.slot))) }
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
