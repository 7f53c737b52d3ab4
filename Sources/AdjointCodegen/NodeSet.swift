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

/// A value for some of one graph's nodes, kept by node index: the lowering's per-node tables
/// (where each value lives, what it is delivered to) are read for every node it lowers, and an
/// index is read without hashing.
struct NodeMap<Value>: Sendable where Value: Sendable {
    private var values: [Value?]

    /// An empty map for the nodes of a graph with `count` nodes.
    init(count: Int = 0) { values = Array(repeating: nil, count: count) }

    subscript(_ id: NodeID) -> Value? {
        get { id.index < values.count ? values[id.index] : nil }
        set {
            if id.index >= values.count { values += Array(repeating: nil, count: id.index + 1 - values.count) }
            values[id.index] = newValue
        }
    }

    subscript(_ id: NodeID, default value: @autoclosure () -> Value) -> Value {
        get { self[id] ?? value() }
        set { self[id] = newValue }
    }

    /// The nodes with a value and their values, in node order.
    var entries: [(key: NodeID, value: Value)] {
        values.indices.compactMap { index in values[index].map { (NodeID(index), $0) } }
    }
}
