/// Losses: a prediction and a target of the same shape in, a scalar out.
public enum Loss: Hashable, Sendable {
    /// `mse(pred, target)` = mean of (pred − target)² over all elements
    case mse
    /// `sse(pred, target)` = Σ (pred − target)²
    case sse
    /// `cross_entropy(prob, target)` = mean over rows of −Σ target ⊙ log(prob) along the last axis
    case crossEntropy
    /// `softmax_cross_entropy(logits, target)` = cross_entropy(softmax(logits), target), computed stably
    case softmaxCrossEntropy
    /// `binary_cross_entropy(prob, target)` = mean of −(t log p + (1 − t) log(1 − p))
    case binaryCrossEntropy
    /// `sigmoid_binary_cross_entropy(logits, target)` = binary_cross_entropy(sigmoid(logits), target), stably
    case sigmoidBinaryCrossEntropy
    /// `huber(pred, target, delta)` = mean of ½d² where |d| ≤ delta, delta (|d| − ½delta) elsewhere
    case huber(delta: Double)

    /// The spelling in model files.
    public var name: String {
        switch self {
        case .mse: return "mse"
        case .sse: return "sse"
        case .crossEntropy: return "cross_entropy"
        case .softmaxCrossEntropy: return "softmax_cross_entropy"
        case .binaryCrossEntropy: return "binary_cross_entropy"
        case .sigmoidBinaryCrossEntropy: return "sigmoid_binary_cross_entropy"
        case .huber: return "huber"
        }
    }

    /// Whether the loss works row by row along the last axis (and so needs rank >= 1).
    var isRowwise: Bool { self == .crossEntropy || self == .softmaxCrossEntropy }

    /// Same shapes, no broadcasting: a silent broadcast of `[n]` against `[n, 1]` is a classic bug.
    func resultShape(_ prediction: Shape, _ target: Shape) -> Result<Shape, ShapeError> {
        if isRowwise && prediction.isScalar {
            return .failure(.rank(operand: 0, needs: "rank 1 or more (rows along the last axis)", got: prediction))
        }
        return prediction == target ? .success(.scalar) : .failure(.shapesDiffer(prediction, target))
    }

    static var builtins: [Builtin] {
        let plain: [Loss] = [.mse, .sse, .crossEntropy, .softmaxCrossEntropy, .binaryCrossEntropy, .sigmoidBinaryCrossEntropy]
        let names: [Loss: (String, String)] = [
            .crossEntropy: ("prob", "target"), .binaryCrossEntropy: ("prob", "target"),
            .softmaxCrossEntropy: ("logits", "target"), .sigmoidBinaryCrossEntropy: ("logits", "target"),
        ]
        return plain.map { op in
            let (first, second) = names[op] ?? ("pred", "target")
            return Builtin(op.name, [.tensor(first), .tensor(second)]) { _ in .loss(op) }
        } + [
            Builtin("huber", [.tensor("pred"), .tensor("target"), .positiveNumber("delta", default: 1)]) {
                .loss(.huber(delta: $0["delta"]!))
            }
        ]
    }
}
