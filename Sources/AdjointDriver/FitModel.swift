import AdjointIR
import AdjointInterpreter
import AdjointSema

/// The shape of model `adjoint fit` trains: one runtime dim (the batch, first axis of both
/// inputs) and two inputs, one of them the target of the loss; the other holds the features.
/// Found from the forward graph, so a model written any other way is refused with a message
/// that says what fit supports rather than failing halfway through training.
struct FitModel {
    /// The input the CSV's feature columns feed, in declaration order of its elements.
    var features: CheckedProgram.InputDecl
    /// The input the label column feeds: the second operand of the minimized value's loss.
    var target: CheckedProgram.InputDecl
    /// The runtime dim every input starts with.
    var batchDim: String
    /// Numbers per example of each input (the product of the sizes after the batch axis).
    var featureCount: Int
    var targetCount: Int
    /// Whether the features come first in declaration order (the kernels take inputs in that order).
    var featuresFirst: Bool
    /// The model's outputs in `output` order: numbers per example when `batched` (the first axis
    /// is the batch), else numbers in all.
    var outputs: [(name: String, count: Int, batched: Bool)]
    /// The output whose argmax is the predicted class: shape [batch, classes] with `classes`
    /// the target's last size; nil when the target is not one-hot or no output fits.
    var classifierOutput: String?
    /// Whether labels are one-hot encoded: the target is [batch, classes] with classes >= 2.
    var oneHot: Bool { targetCount >= 2 && target.element == .real }
    /// The number of classes when the target is an `int` input of class indices (`input labels:
    /// int[batch]` with `softmax_cross_entropy(logits, labels)`): the ids its ops accept.
    var classIndices: Int?
    /// The number of classes a label names: one-hot width or class-index bound; nil for a
    /// regression target.
    var classCount: Int? { classIndices ?? (oneHot ? targetCount : nil) }

    /// What fit supports, for the end of every refusal.
    static let supported =
        "fit supports models with exactly one runtime dim (the batch, the first axis of every input) and exactly two inputs, one of them the target of the minimized loss (for example input x: [batch, 64], input y: [batch, 10], loss = softmax_cross_entropy(logits, y), or class indices input labels: int[batch] with softmax_cross_entropy(logits, labels))"

    /// Why a model is not one fit can train.
    struct Unsupported: Error, CustomStringConvertible {
        var description: String
    }

    init(_ program: CheckedProgram) throws(Unsupported) {
        func refuse(_ problem: String) -> Unsupported { Unsupported(description: "\(problem); \(Self.supported)") }
        let runtime = program.dims.filter { $0.size == nil }
        guard runtime.count == 1 else {
            throw refuse("the model has \(runtime.count) runtime dims (\(runtime.map(\.name).joined(separator: ", ")))")
        }
        batchDim = runtime[0].name
        guard program.inputs.count == 2 else {
            throw refuse("the model has \(program.inputs.count) inputs")
        }
        let forward = program.forwardGraph()
        guard let targetName = Self.lossTarget(forward) else {
            throw refuse("the minimized value is not a loss whose target (second operand) is an input")
        }
        target = program.inputs.first { $0.name == targetName }!
        features = program.inputs.first { $0.name != targetName }!
        featuresFirst = program.inputs[0].name == features.name
        let reached = Self.inputs(forward.graph, from: [forward.loss])
        guard reached.contains(features.name) else {
            throw refuse("the loss does not depend on input '\(features.name)'")
        }
        var perExample: [String: Int] = [:]
        for input in [features, target] {
            guard let first = input.shape.dims.first, first == .runtime(batchDim) else {
                throw refuse("input '\(input.name)' has shape \(input.shape), which does not start with '\(batchDim)'")
            }
            guard let count = Shape(Array(input.shape.dims.dropFirst())).fixedElementCount,
                Shape(Array(input.shape.dims.dropFirst())).isStatic
            else {
                throw refuse("input '\(input.name)' has shape \(input.shape), with '\(batchDim)' after its first axis")
            }
            perExample[input.name] = count
        }
        featureCount = perExample[features.name]!
        targetCount = perExample[target.name]!
        let targetSizes = target.shape.dims.dropFirst()
        if target.element == .int {
            guard targetCount == 1 else {
                throw refuse("the int target '\(target.name)' has shape \(target.shape); a class-index target takes [\(batchDim)]")
            }
            guard let classes = Interpreter.idBounds(forward.graph, dims: [batchDim: 1])[target.name] else {
                throw refuse("the int target '\(target.name)' is not read as class indices")
            }
            classIndices = classes
        } else if targetCount >= 2 && targetSizes.count != 1 {
            throw refuse("the target '\(target.name)' has shape \(target.shape); a target takes [\(batchDim)], [\(batchDim), 1] or one-hot [\(batchDim), classes]")
        }
        var outputs: [(name: String, count: Int, batched: Bool)] = []
        var classifier: String?
        for name in program.outputs {
            let shape = forward.graph[forward.graph.root(name)!].shape
            let batched = shape.dims.first == .runtime(batchDim)
            let rest = Shape(batched ? Array(shape.dims.dropFirst()) : shape.dims)
            guard rest.isStatic, let count = rest.fixedElementCount else {
                throw refuse("output '\(name)' has shape \(shape), with '\(batchDim)' after its first axis")
            }
            outputs.append((name, count, batched))
            if classifier == nil, let classes = classIndices ?? (targetCount >= 2 ? targetCount : nil),
                shape == Shape([.runtime(batchDim), .fixed(classes)])
            {
                classifier = name
            }
        }
        self.outputs = outputs
        classifierOutput = classifier
    }

    /// The input that is the target of the loss the minimized value uses: the second operand of
    /// the minimized `.loss` node, or else of the only kind of loss reached from it, or the `int`
    /// input of class indices that a class-index loss picks with.
    static func lossTarget(_ forward: ForwardGraph) -> String? {
        let graph = forward.graph
        func inputName(_ id: NodeID) -> String? {
            switch graph[id].op {
            case .leaf(.input(let name, _)), .leaf(.intInput(let name, _)): return name
            default: return nil
            }
        }
        if case .loss = graph[forward.loss].op { return inputName(graph[forward.loss].operands[1]) }
        var targets = Set<String?>()
        for id in reachable(graph, from: [forward.loss]) {
            switch graph[id].op {
            case .loss: targets.insert(inputName(graph[id].operands[1]))
            case .indexing(.pick): targets.insert(inputName(graph[id].operands[1]))
            default: break
            }
        }
        guard targets.count == 1, let only = targets.first else { return nil }
        return only
    }

    /// The names of the inputs reached from `nodes`.
    static func inputs(_ graph: Graph, from nodes: [NodeID]) -> Set<String> {
        Set(reachable(graph, from: nodes).compactMap { id -> String? in
            switch graph[id].op {
            case .leaf(.input(let name, _)), .leaf(.intInput(let name, _)): return name
            default: return nil
            }
        })
    }

    /// Every node `nodes` depend on, themselves included.
    static func reachable(_ graph: Graph, from nodes: [NodeID]) -> Set<NodeID> {
        var seen = Set<NodeID>()
        var stack = nodes
        while let id = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            stack.append(contentsOf: graph[id].operands)
        }
        return seen
    }
}
