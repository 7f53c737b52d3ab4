import AdjointIR

/// What one kernel computes before lowering: a graph, the nodes it must deliver and where each
/// goes, and its arguments.
struct KernelSpec: Sendable {
    /// Where a delivered value goes.
    enum Destination: Hashable, Sendable {
        /// The kernel's return value (the loss).
        case returned
        /// A buffer: a gradient, an output, or (in place) a param or a state slot.
        case storage(Storage)

        /// Whether the kernel also reads the old value of this buffer (a param or state slot
        /// updated in place), so that the write must come after every read of the old value.
        var isInPlace: Bool {
            switch self {
            case .storage(.param), .storage(.state): return true
            default: return false
            }
        }
    }

    var kind: KernelKind
    var graph: Graph
    /// The nodes to deliver, in order (a node may be delivered to several destinations).
    var results: [(node: NodeID, destination: Destination)]
    /// Inputs, runtime dims and outputs, in the order of docs/kernels.md.
    var arguments: [Argument]
    /// Names a person gave to nodes (`h`, `logits`), for the formula comments.
    var names: [NodeID: String]
    /// Whether the kernel ends by counting the update (`s->t += 1`): the update rule's new `t` is
    /// always `t + 1`, counted in the integer rather than delivered from the real-valued node,
    /// which in float stops at 2^24 (and which the kernel then computes only where the bias
    /// corrections read it).
    var countsStep = false
    /// The choices of `adjoint compile` that change the lowering (`--blas`).
    var options = CodegenOptions()
}

extension Graph {
    /// The input leaves that `nodes` depend on, by name.
    func inputs(reachedFrom nodes: [NodeID]) -> Set<String> {
        var seen = Set<NodeID>()
        var stack = nodes
        var names = Set<String>()
        while let id = stack.popLast() {
            guard seen.insert(id).inserted else { continue }
            switch self[id].op {
            case .leaf(.input(let name, _)), .leaf(.intInput(let name, _)): names.insert(name)
            default: break
            }
            stack.append(contentsOf: self[id].operands)
        }
        return names
    }
}
