import AdjointAutodiff
import AdjointIR
import AdjointInterpreter
import AdjointSema

/// What trains the model during `adjoint fit`: the generated C kernels loaded from a shared
/// library, or the reference interpreter. Both start from the model's initializers with the same
/// seed and see the same batches, so they produce the same loss curve up to rounding.
protocol FitEngine: AnyObject {
    /// How the run names the engine: `c (cc -O3 -march=native -fno-math-errno, double)`.
    var description: String { get }
    /// Its short name: `c` or `interpreter`.
    var name: String { get }
    /// Every param, flat, in declaration order (the C params struct's layout).
    var params: [Double] { get set }
    /// One training step on a batch (features and targets row-major): the loss before the update.
    func step(features: [Double], targets: [Double], rows: Int) -> Double
    /// The loss at the current params.
    func loss(features: [Double], targets: [Double], rows: Int) -> Double
    /// The values of output number `output` (in `output` order) for every row.
    func predict(features: [Double], targets: [Double], rows: Int, output: Int) -> [Double]
}

/// The reference interpreter as an engine: `Training.step` on the update program, in double.
final class InterpreterFitEngine: FitEngine {
    let description = "interpreter (reference, double)"
    let name = "interpreter"
    private let program: CheckedProgram
    private let model: FitModel
    private let update: UpdateProgram
    private let forward: ForwardGraph
    /// The forward graph outside training (draws at their predict values), for `predict`.
    private let inference: ForwardGraph
    private var point: Training.Point

    init(_ program: CheckedProgram, model: FitModel, seed: UInt64) {
        self.program = program
        self.model = model
        forward = program.forwardGraph()
        update = UpdateProgram.step(ReverseMode.differentiate(forward), rule: program.updateRule)
        inference = program.forwardGraph(training: false)
        point = Training.Point(bindings: program.initialParams(seed: seed), state: Training.initialState(update), seed: seed)
    }

    var params: [Double] {
        get { program.params.flatMap { point.bindings[$0.name]!.scalars } }
        set {
            var offset = 0
            for param in program.params {
                let sizes = param.shape.sizes([:])
                let count = sizes.reduce(1, *)
                point.bindings[param.name] = Tensor(sizes: sizes, scalars: Array(newValue[offset..<offset + count]))
                offset += count
            }
        }
    }

    private func bind(_ features: [Double], _ targets: [Double], rows: Int) -> ([String: Tensor], [String: Int]) {
        let dims = [model.batchDim: rows]
        var bindings = point.bindings
        bindings[model.features.name] = Tensor(sizes: model.features.shape.sizes(dims), scalars: features)
        bindings[model.target.name] = Tensor(sizes: model.target.shape.sizes(dims), scalars: targets)
        return (bindings, dims)
    }

    func step(features: [Double], targets: [Double], rows: Int) -> Double {
        let (bindings, dims) = bind(features, targets, rows: rows)
        let (loss, next) = Training.step(
            update, from: Training.Point(bindings: bindings, state: point.state, seed: point.seed), dims: dims)
        point = next
        return loss
    }

    /// The forward graph evaluated for one root only, so that nothing else is computed.
    /// A model that draws draws at the stream's current position (the next step's).
    private func evaluate(_ root: NodeID, in forward: ForwardGraph, _ features: [Double], _ targets: [Double], rows: Int) -> Tensor {
        var graph = forward.graph
        graph.roots = [Graph.Root(name: "value", node: root)]
        let (bindings, dims) = bind(features, targets, rows: rows)
        return Interpreter.evaluate(graph, bindings: bindings, dims: dims, stream: point.stream)[root]!
    }

    func loss(features: [Double], targets: [Double], rows: Int) -> Double {
        evaluate(forward.loss, in: forward, features, targets, rows: rows).scalar
    }

    func predict(features: [Double], targets: [Double], rows: Int, output: Int) -> [Double] {
        evaluate(inference.graph.root(model.outputs[output].name)!, in: inference, features, targets, rows: rows).scalars
    }
}
