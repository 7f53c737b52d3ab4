import AdjointIR

/// A set of one graph's nodes as a flag per node: the fusion plan asks whether a node is
/// materialized for every edge it walks, and a flag is read without hashing.
struct NodeSet: Sendable {
    private var flags: [Bool] = []

    /// An empty set of the nodes of a graph with `count` nodes (it grows if given more).
    init(count: Int = 0) { flags = Array(repeating: false, count: count) }

    func contains(_ id: NodeID) -> Bool { id.index < flags.count && flags[id.index] }

    mutating func insert(_ id: NodeID) {
        if id.index >= flags.count { flags += Array(repeating: false, count: id.index + 1 - flags.count) }
        flags[id.index] = true
    }

    mutating func remove(_ id: NodeID) {
        if id.index < flags.count { flags[id.index] = false }
    }
}
