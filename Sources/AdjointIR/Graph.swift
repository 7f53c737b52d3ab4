/// A node's position in its graph. Operands always come before their users, so ids are a
/// topological order.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let index: Int

    public init(_ index: Int) { self.index = index }

    public static func < (a: NodeID, b: NodeID) -> Bool { a.index < b.index }

    /// `%12`, as the text form writes it.
    public var description: String { "%\(index)" }
}

/// One SSA value: an op applied to earlier nodes, with its static shape and element type.
public struct Node: Hashable, Sendable {
    public var op: Op
    public var operands: [NodeID]
    public var shape: Shape
    /// `int` for integer inputs and what selects from them without arithmetic; `real` otherwise.
    public var element: ElementType

    public init(op: Op, operands: [NodeID], shape: Shape, element: ElementType = .real) {
        self.op = op
        self.operands = operands
        self.shape = shape
        self.element = element
    }
}

/// A tensor program in SSA form. Hash-consed: adding a node equal to an existing one (same op, same
/// operands) returns the existing id, so common subexpressions are shared by construction.
/// `roots` name the values the program computes (`loss`, `∂loss/∂W1`).
public struct Graph: Sendable, Equatable {
    public private(set) var nodes: [Node] = []
    public var roots: [Root] = []
    /// The hash-consing table: each node's hash, and the nodes by hash.
    private var table = HashConsTable()

    /// A named result of the program.
    public struct Root: Hashable, Sendable {
        public var name: String
        public var node: NodeID

        public init(name: String, node: NodeID) {
            self.name = name
            self.node = node
        }
    }

    public init() {}

    public static func == (a: Graph, b: Graph) -> Bool { a.nodes == b.nodes && a.roots == b.roots }

    /// The node of an id. Read in place (`_read`), so `graph[id].shape` copies the shape alone
    /// rather than the whole node: the lowering of a large model reads nodes millions of times.
    public subscript(_ id: NodeID) -> Node {
        _read { yield nodes[id.index] }
    }

    /// Makes room for `additional` more nodes at once, so that adding them grows the node list
    /// and the hash-consing table once rather than doubling again and again.
    public mutating func reserveCapacity(_ additional: Int) {
        nodes.reserveCapacity(nodes.count + additional)
        table.reserveCapacity(nodes.count + additional)
    }

    /// The root named `name`.
    public func root(_ name: String) -> NodeID? { roots.first { $0.name == name }?.node }

    /// Adds `op` applied to `operands` exactly as given (no simplification) and returns its id, or
    /// the id of the equal node already present. The shapes must satisfy the op's shape rule: the
    /// front end checked the user's program, so a failure here is a compiler bug.
    @discardableResult
    public mutating func addRaw(_ op: Op, _ operands: [NodeID]) -> NodeID {
        // An equal node was checked against the shape rule when it was added.
        // A node is its op and operands: the shape follows from them (the op's shape rule), so
        // it is neither hashed nor compared.
        var hasher = Hasher()
        hasher.combine(operands.count)
        for operand in operands { hasher.combine(operand.index) }
        hasher.combine(op)
        let hash = hasher.finalize()
        if let existing = table.first(hash, where: { nodes[$0].operands == operands && nodes[$0].op == op }) {
            return NodeID(existing)
        }
        let shape: Shape
        switch op.resultShape(operands.map { self[$0].shape }) {
        case .success(let result): shape = result
        case .failure(let error):
            preconditionFailure("internal error: \(op) on \(operands.map { self[$0].shape }): \(error)")
        }
        let id = NodeID(nodes.count)
        let element = op.resultElement(operands.map { self[$0].element })
        nodes.append(Node(op: op, operands: operands, shape: shape, element: element))
        table.insert(id.index, hash)
        return id
    }

    /// The nodes that the roots depend on, in topological order.
    public func live() -> [NodeID] {
        var needed = [Bool](repeating: false, count: nodes.count)
        for root in roots { needed[root.node.index] = true }
        for index in nodes.indices.reversed() where needed[index] {
            for operand in nodes[index].operands { needed[operand.index] = true }
        }
        return nodes.indices.filter { needed[$0] }.map(NodeID.init)
    }

    /// A copy without the nodes no root depends on (dead-code removal), renumbered densely.
    public func removingDeadCode() -> Graph {
        var result = Graph()
        var map: [NodeID: NodeID] = [:]
        for id in live() {
            let node = self[id]
            map[id] = result.addRaw(node.op, node.operands.map { map[$0]! })
        }
        result.roots = roots.map { Root(name: $0.name, node: map[$0.node]!) }
        return result
    }
}

/// The hash-consing table of a graph: open addressing over node indices with linear probing,
/// at most half full. It holds integers only (each node's hash, and the buckets), so growing
/// it never hashes a node again and copying a graph copies no keys: a large model's gradient
/// graph has hundreds of thousands of nodes, and its `step` graph is built on a copy of it.
private struct HashConsTable: Sendable {
    /// Each node's hash, by node index.
    private var hashes: [Int] = []
    /// Node indices, or -1 for an empty bucket; the count is a power of two.
    private var buckets: [Int32] = Array(repeating: -1, count: 16)

    /// The first node of hash `hash` for which `matches` holds.
    func first(_ hash: Int, where matches: (Int) -> Bool) -> Int? {
        let mask = buckets.count - 1
        var bucket = hash & mask
        while buckets[bucket] >= 0 {
            let index = Int(buckets[bucket])
            if hashes[index] == hash && matches(index) { return index }
            bucket = (bucket + 1) & mask
        }
        return nil
    }

    /// Adds node `index` (the next one) with its hash.
    mutating func insert(_ index: Int, _ hash: Int) {
        hashes.append(hash)
        if 2 * hashes.count > buckets.count { resize(to: buckets.count * 2) } else { place(index) }
    }

    mutating func reserveCapacity(_ count: Int) {
        hashes.reserveCapacity(count)
        var size = buckets.count
        while size < 2 * count { size *= 2 }
        if size > buckets.count { resize(to: size) }
    }

    private mutating func resize(to size: Int) {
        buckets = Array(repeating: -1, count: size)
        for index in hashes.indices { place(index) }
    }

    private mutating func place(_ index: Int) {
        let mask = buckets.count - 1
        var bucket = hashes[index] & mask
        while buckets[bucket] >= 0 { bucket = (bucket + 1) & mask }
        buckets[bucket] = Int32(index)
    }
}
