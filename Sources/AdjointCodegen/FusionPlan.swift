import AdjointIR

/// The first decisions of the lowering: which nodes get a loop nest of their own (materialized)
/// and which are computed inline inside the nest that uses them (fused), in what order the nests
/// run, and which materialized values each nest reads.
///
/// - Views (`broadcast`, `reshape`, `transpose`) are never computed: a reader folds them into its
///   indices, so `xᵀ` and `Wᵀ` are read in place.
/// - An elementwise node is fused into its user when it has exactly one, the user reads each of
///   its elements once (an elementwise op of the same shape, or a one-pass reduction), and no
///   broadcast stretches it (which would compute it again for every copy). Chains of elementwise
///   ops thus become one loop nest without temporaries, and a sum of `(p − t)²` one loop.
/// - A matrix product whose only user is elementwise of its own shape, reading it element for
///   element (no broadcast of the product; its other operands may be broadcast, materialized or
///   fused chains), is computed in the nest of that user's chain (`epilogues`): the chain's
///   materialized root, `h` of `h = relu(x @ W1 + b1)`, is computed from each accumulated
///   element where the product would have been stored, so the product gets no buffer and no
///   pass of its own. Only for the product forms that store each element once, after its whole
///   sum (register tiles and dot products, `MatmulForm.storesOnce`); the forms that accumulate
///   into their result keep the product materialized. Each root takes at most one product, and a
///   root never joins an earlier nest (`groupSchedule`).
/// - A `softmax` or `log_softmax` along the last axis of the operand of a
///   `softmax_cross_entropy` (the gradient's `softmax(logits)`) is computed inline like an
///   elementwise node when it has one user that would fuse it (`sharedLogSumExp`): the loss's
///   nest keeps each row's logsumexp in a buffer, and the normalizer's element is
///   `exp(z − lse)` from it, so the rows' maximum and sum are not computed twice, and
///   `(softmax(logits) − y) / batch` is one pass. Only for a loss earlier in the graph than the
///   normalizer (which then cannot feed it); its nest comes first.
/// - Everything else is materialized: matrix products, reductions, normalizers and losses, values
///   with several users, and every delivered result.
struct FusionPlan {
    let graph: Graph
    /// The nodes the results need, in topological order.
    let live: [NodeID]
    /// How many times each node is used: operand edges among live nodes, plus one per delivery.
    private(set) var uses: [Int]
    /// Each node's users among the live nodes, in graph order.
    private(set) var users: Users
    /// Nodes with a loop nest (or, for scalars, a statement) of their own.
    private(set) var materialized = NodeSet()
    /// The order in which materialized nodes are computed.
    private(set) var schedule: [NodeID] = []
    /// For each materialized elementwise node whose nest computes a matrix product: the product
    /// (not materialized), whose accumulated elements the node's nest uses as it stores them.
    private(set) var epilogues = NodeMap<NodeID>()
    /// For each normalizer computed inline from a loss's row logsumexps: that
    /// `softmax_cross_entropy`, whose nest keeps them (`keepsLogSumExp`).
    private(set) var sharedLogSumExp = NodeMap<NodeID>()
    /// The losses whose nests keep each row's logsumexp for a normalizer.
    private(set) var keepsLogSumExp = NodeSet()
    /// What each materialized node's nest reads (`frontier(of:)`), computed once, by node index.
    private var frontiers: [Frontier] = []

    /// The materialized nodes and leaves a nest reads, each once, in the order first reached.
    struct Frontier: Sendable {
        var nodes: [Read] = []
        var leaves: [Read] = []
    }

    /// A node a nest reads, and whether some path to it changes the index.
    struct Read: Sendable {
        var node: NodeID
        var moved: Bool
    }

    /// Whether the kernel has a workspace. Without one (`apply`), an elementwise value with several
    /// users is computed again in each rather than kept in a buffer.
    let hasWorkspace: Bool
    /// `--blas`: large products are CBLAS calls, which take no epilogue.
    let blas: Bool

    init(_ spec: KernelSpec) {
        graph = spec.graph
        hasWorkspace = spec.kind != .apply
        blas = spec.options.blas
        var needed = [Bool](repeating: false, count: graph.nodes.count)
        for result in spec.results { needed[result.node.index] = true }
        for index in graph.nodes.indices.reversed() where needed[index] {
            for operand in graph.nodes[index].operands { needed[operand.index] = true }
        }
        live = graph.nodes.indices.filter { needed[$0] }.map(NodeID.init)
        materialized = NodeSet(count: graph.nodes.count)
        epilogues = NodeMap(count: graph.nodes.count)
        sharedLogSumExp = NodeMap(count: graph.nodes.count)
        uses = [Int](repeating: 0, count: graph.nodes.count)
        for id in live {
            for operand in graph[id].operands { uses[operand.index] += 1 }
        }
        users = Users(graph, live: live, edgeCounts: uses)
        var delivered = NodeSet(count: graph.nodes.count)
        for result in spec.results where !delivered.contains(result.node) {
            delivered.insert(result.node)
            uses[result.node.index] += 1
        }
        for id in live {
            // `int` values are integer expressions wherever they are read, never buffers, except
            // where a kernel delivers one (an `int` output): it is stored there, converted. An
            // `argmax` has a nest of its own, and its buffer holds the positions as reals.
            if graph.nodes[id.index].element == .int && NodeKind(graph.nodes[id.index].op) != .complex {
                if delivered.contains(id) { materialized.insert(id) }
                continue
            }
            let kind = NodeKind(graph.nodes[id.index].op)
            switch kind {
            case .leaf, .view: if delivered.contains(id) { materialized.insert(id) }
            case .pointwise: if delivered.contains(id) || !isFused(id) { materialized.insert(id) }
            case .complex: materialized.insert(id)
            }
        }
        if hasWorkspace {
            for id in live where !delivered.contains(id) {
                // Only normalizers and products can be computed in another node's nest.
                switch graph.nodes[id.index].op.lowering {
                case .rows(_, _?), .matmul: break
                case .leaf, .view, .pointwise, .sum, .rows(_, nil), .extremum, .loss, .gather, .scatterAdd, .scatter, .concat: continue
                }
                if let loss = logSumExpSource(of: id) {
                    materialized.remove(id)
                    sharedLogSumExp[id] = loss
                    keepsLogSumExp.insert(loss)
                }
                guard let root = epilogueRoot(of: id), epilogues[root] == nil else { continue }
                materialized.remove(id)
                epilogues[root] = id
            }
        }
        // The first live leaf of each param and state slot, by the storage it stands for.
        var leaves: [Storage: NodeID] = [:]
        for id in live {
            switch graph[id].op {
            case .leaf(.param(let name, _)): if leaves[.param(name)] == nil { leaves[.param(name)] = id }
            case .leaf(.state(let name, _)): if leaves[.state(name)] == nil { leaves[.state(name)] = id }
            default: break
            }
        }
        var overwrites = NodeMap<NodeID>(count: graph.nodes.count)
        for result in spec.results {
            guard case .storage(let storage) = result.destination, result.destination.isInPlace else { continue }
            if let leaf = leaves[storage] { overwrites[result.node] = leaf }
        }
        frontiers = Array(repeating: Frontier(), count: graph.nodes.count)
        var positions = FrontierPositions(count: graph.nodes.count)
        for id in live where materialized.contains(id) { frontiers[id.index] = computeFrontier(of: id, &positions) }
        schedule = order(overwrites: overwrites)
    }

    /// What kind of lowering an op needs.
    enum NodeKind {
        /// Inputs, params, state, constants, sizes: read, never computed.
        case leaf
        /// Index maps: folded into the reader's indices.
        case view
        /// Elementwise and broadcasting arithmetic: computed per element wherever needed.
        case pointwise
        /// Reductions, normalizers, losses and matrix products: a loop nest of their own.
        case complex

        init(_ op: Op) {
            switch op.lowering {
            case .leaf: self = .leaf
            case .view: self = .view
            // A gather reads its table at a position an id supplies: computed per element, like
            // arithmetic, wherever it is needed.
            case .pointwise, .gather: self = .pointwise
            case .sum, .rows, .extremum, .loss, .matmul, .scatterAdd, .scatter, .concat: self = .complex
            }
        }
    }

    /// Whether a pointwise node is computed inside its only user's nest (inside each user's, for a
    /// kernel without workspace).
    private func isFused(_ id: NodeID) -> Bool {
        guard !users[id.index].isEmpty else { return false }
        // Scalars are cheap locals: a scalar with several users is never computed twice.
        if !hasWorkspace && !graph[id].shape.isScalar { return users[id.index].allSatisfy { isFused(id, into: $0) } }
        return uses[id.index] == 1 && isFused(id, into: users[id.index].first!)
    }

    /// (Nodes are read in place, not copied out: this runs for every live node of every kernel.)
    private func isFused(_ id: NodeID, into user: NodeID) -> Bool {
        switch NodeKind(graph.nodes[user.index].op) {
        case .leaf: return false
        case .view:
            // Through a reshape or transpose that keeps every element once; never through a
            // broadcast that stretches.
            if case .structural(.broadcast) = graph.nodes[user.index].op,
                graph.nodes[user.index].shape != graph.nodes[id.index].shape
            {
                return false
            }
            return isFusedView(user)
        case .pointwise:
            return graph.nodes[user.index].shape == graph.nodes[id.index].shape
        case .complex:
            return readsOnce(user, operand: graph.nodes[user.index].operands.firstIndex(of: id)!)
        }
    }

    /// The materialized elementwise node in whose nest a matrix product can be computed: the
    /// product has one use, stores each element once, and its user is the first of a chain of
    /// elementwise nodes of its shape, each fused into the next, up to a materialized one.
    private func epilogueRoot(of id: NodeID) -> NodeID? {
        guard case .linearAlgebra(.matmul) = graph[id].op, uses[id.index] == 1, !graph[id].shape.isScalar,
            MatmulForm(graph, id).storesOnce, !(blas && KernelLowering.isGemmSized(graph, id))
        else { return nil }
        var node = id
        repeat {
            // A fused node of a kernel with workspace has exactly one user.
            let user = users[node.index].first!
            guard NodeKind(graph[user].op) == .pointwise, graph[user].shape == graph[id].shape else { return nil }
            node = user
        } while !materialized.contains(node)
        return node
    }

    /// The `softmax_cross_entropy` whose row logsumexps a normalizer can be computed from: the
    /// normalizer runs along the last axis of the loss's prediction, comes later in the graph
    /// (so it does not feed the loss), and has one user that reads each element once.
    private func logSumExpSource(of id: NodeID) -> NodeID? {
        guard case .normalizer(_, let axis) = graph[id].op, axis == graph[id].shape.rank - 1, uses[id.index] == 1,
            isFused(id, into: users[id.index].first!)
        else { return nil }
        let operand = graph[id].operands[0]
        return users[operand.index].first { user in
            guard case .loss(let loss) = graph[user].op.lowering, loss.needsRowLogSumExp else { return false }
            return graph[user].operands[0] == operand && user < id
        }
    }

    /// Whether a view's reader lets its operand be computed inline (the view used once by a node
    /// that reads each element once).
    private func isFusedView(_ view: NodeID) -> Bool {
        guard uses[view.index] == 1 || !hasWorkspace, !users[view.index].isEmpty else { return false }
        return users[view.index].allSatisfy { isFusedView(view, into: $0) }
    }

    private func isFusedView(_ view: NodeID, into user: NodeID) -> Bool {
        switch NodeKind(graph.nodes[user.index].op) {
        case .leaf: return false
        case .view: return isFusedView(user)
        case .pointwise: return graph.nodes[user.index].shape == graph.nodes[view.index].shape
        case .complex: return readsOnce(user, operand: graph.nodes[user.index].operands.firstIndex(of: view)!)
        }
    }

    /// Whether a complex node reads each element of an operand exactly once.
    private func readsOnce(_ id: NodeID, operand: Int) -> Bool {
        switch graph[id].op.lowering {
        case .sum, .extremum: return true
        case .loss(let loss): return operand == 1 || !loss.needsRowLogSumExp
        // A row pass reads each element twice; a product reads each many times; the others have
        // no nest of their own.
        // A scatter-add reads its base (when it copies it) and its updates once each; unslice
        // and concat read each operand element once.
        case .scatterAdd, .scatter, .concat: return true
        case .rows, .matmul, .leaf, .view, .pointwise, .gather: return false
        }
    }

    /// A topological order of the materialized nodes. A write of a param or state slot updated in
    /// place (`overwrites`: the node and the leaf it overwrites) comes as soon as its inputs are
    /// ready and every other reader of the old value has run, so that its gradient is used while
    /// still in cache and its buffer dies early; scalars come as soon as they are ready (they are
    /// cheap, and updates wait for them); otherwise nodes keep their graph order, a nest that
    /// computes a product (an epilogue) at the product's position.
    ///
    /// Kahn's algorithm with the choice made by priority queues keyed by graph position, so it
    /// takes time proportional to the edges times a logarithm: first a ready overwrite that is
    /// safe, else a ready scalar, else any other ready node, else the first ready overwrite.
    private func order(overwrites: NodeMap<NodeID>) -> [NodeID] {
        // Dependencies between materialized nodes, through fused nodes and views: what each
        // nest reads that another nest computes (a leaf only when delivered, and so computed).
        var waiting = [Int](repeating: 0, count: graph.nodes.count)
        var dependents: [[NodeID]] = Array(repeating: [], count: graph.nodes.count)
        for id in live where materialized.contains(id) {
            if case .leaf = graph[id].op { continue }
            let frontier = frontiers[id.index]
            for read in frontier.nodes {
                waiting[id.index] += 1
                dependents[read.node.index].append(id)
            }
            for read in frontier.leaves where materialized.contains(read.node) {
                waiting[id.index] += 1
                dependents[read.node.index].append(id)
            }
        }
        let count = graph.nodes.count
        var overwritten = NodeSet(count: count)
        var overwriters = NodeMap<[NodeID]>(count: count)  // for each overwritten leaf: the nodes writing it
        for (node, leaf) in overwrites.entries {
            overwritten.insert(leaf)
            overwriters[leaf, default: []].append(node)
        }
        var pendingReaders = [Int](repeating: 0, count: count)  // for each overwritten leaf: its readers not yet run
        var readLeaves = NodeMap<[NodeID]>(count: count)  // for each nest: the overwritten leaves it reads
        var readsOwnLeaf = NodeSet(count: count)
        let nests = live.filter { materialized.contains($0) }
        for id in nests {
            for read in frontier(of: id).leaves where overwritten.contains(read.node) {
                let leaf = read.node
                pendingReaders[leaf.index] += 1
                readLeaves[id, default: []].append(leaf)
                if overwrites[id] == leaf { readsOwnLeaf.insert(id) }
            }
        }
        func isSafe(_ id: NodeID) -> Bool {
            guard let leaf = overwrites[id] else { return false }
            return pendingReaders[leaf.index] - (readsOwnLeaf.contains(id) ? 1 : 0) == 0
        }
        var done = [Bool](repeating: false, count: graph.nodes.count)
        var ready = [Bool](repeating: false, count: graph.nodes.count)
        var safeQueue = NodeQueue(), scalarQueue = NodeQueue(), plainQueue = NodeQueue(), overwriteQueue = NodeQueue()
        var queuedSafe = NodeSet(count: count)
        /// Queues a safe overwrite once.
        func queueSafe(_ id: NodeID, at position: NodeID) {
            guard !queuedSafe.contains(id) else { return }
            queuedSafe.insert(id)
            safeQueue.push(id, at: position)
        }
        func becomeReady(_ id: NodeID) {
            ready[id.index] = true
            let position = epilogues[id] ?? id
            if overwrites[id] != nil {
                overwriteQueue.push(id, at: position)
                if isSafe(id) { queueSafe(id, at: position) }
            } else {
                plainQueue.push(id, at: position)
                if graph[id].shape.isScalar { scalarQueue.push(id, at: position) }
            }
        }
        for id in nests where waiting[id.index] == 0 { becomeReady(id) }
        var result: [NodeID] = []
        result.reserveCapacity(nests.count)
        while result.count < nests.count {
            let isDone = { (id: NodeID) in done[id.index] }
            guard let next = safeQueue.first(skipping: isDone) ?? scalarQueue.first(skipping: isDone)
                ?? plainQueue.first(skipping: isDone) ?? overwriteQueue.first(skipping: isDone)
            else { preconditionFailure("internal error: the materialized nodes form a cycle") }
            result.append(next)
            done[next.index] = true
            for leaf in readLeaves[next] ?? [] {
                pendingReaders[leaf.index] -= 1
                for writer in overwriters[leaf] ?? [] where ready[writer.index] && !done[writer.index] && isSafe(writer) {
                    queueSafe(writer, at: epilogues[writer] ?? writer)
                }
            }
            for dependent in dependents[next.index] {
                waiting[dependent.index] -= 1
                if waiting[dependent.index] == 0 { becomeReady(dependent) }
            }
        }
        return result
    }

    /// The materialized nodes and leaves a nest for `id` reads, through fused nodes and views,
    /// each with whether some path to it changes the index (a view, a broadcast, or a reduction
    /// or product that reads many elements for one).
    func frontier(of id: NodeID) -> Frontier {
        if id.index < frontiers.count, materialized.contains(id) { return frontiers[id.index] }
        var positions = FrontierPositions(count: graph.nodes.count)
        return computeFrontier(of: id, &positions)
    }

    /// Where each node stands in the frontier being built (or -1): one lookup per edge walked,
    /// without hashing, reset after each frontier.
    private struct FrontierPositions {
        var nodes: [Int32]
        var leaves: [Int32]

        init(count: Int) {
            nodes = Array(repeating: -1, count: count)
            leaves = Array(repeating: -1, count: count)
        }
    }

    private func computeFrontier(of id: NodeID, _ positions: inout FrontierPositions) -> Frontier {
        var frontier = Frontier()
        /// Adds a read, or marks the one already there moved.
        func add(_ node: NodeID, moved: Bool, to reads: inout [Read], _ position: inout [Int32]) {
            let at = position[node.index]
            if at >= 0 {
                if moved { reads[Int(at)].moved = true }
            } else {
                position[node.index] = Int32(reads.count)
                reads.append(Read(node: node, moved: moved))
            }
        }
        // Nodes are read in place (`graph.nodes[i]`, not copied out): every materialized node's
        // frontier is walked, so this is hot.
        func visit(_ id: NodeID, remapped: Bool) {
            // A normalizer computed inline reads its loss's row logsumexps (one per row).
            let loss = sharedLogSumExp[id]
            if let loss { add(loss, moved: true, to: &frontier.nodes, &positions.nodes) }
            // A normalizer computed inline reads its operand at its own index, as elementwise ops do.
            // A gather reads its table at ids, never at its own index.
            let op = graph.nodes[id.index].op
            var elementwise = loss != nil || NodeKind(op) == .pointwise
            if case .gather = op.lowering { elementwise = false }
            for operand in graph.nodes[id.index].operands {
                let moves = remapped || !elementwise || graph.nodes[operand.index].shape != graph.nodes[id.index].shape
                if case .leaf = graph.nodes[operand.index].op {
                    add(operand, moved: moves, to: &frontier.leaves, &positions.leaves)
                } else if materialized.contains(operand) {
                    add(operand, moved: moves, to: &frontier.nodes, &positions.nodes)
                } else {
                    visit(operand, remapped: moves)
                }
            }
        }
        if case .leaf = graph[id].op {
            frontier.leaves = [Read(node: id, moved: false)]
        } else {
            visit(id, remapped: false)
        }
        for read in frontier.nodes { positions.nodes[read.node.index] = -1 }
        for read in frontier.leaves { positions.leaves[read.node.index] = -1 }
        return frontier
    }
}

/// The users of every node in one flat list, each node's a contiguous run (in the order the
/// users come in the graph): one array for the whole graph rather than one per node.
struct Users: Sendable {
    /// Where each node's run starts in `list`; the node after it starts where the run ends.
    private var starts: [Int]
    private var list: [NodeID]

    /// The users among `live` (in topological order), given how many operand edges each node
    /// has among them.
    init(_ graph: Graph, live: [NodeID], edgeCounts: [Int]) {
        starts = [Int](repeating: 0, count: graph.nodes.count + 1)
        for index in edgeCounts.indices { starts[index + 1] = starts[index] + edgeCounts[index] }
        list = [NodeID](repeating: NodeID(0), count: starts[graph.nodes.count])
        var next = starts
        for id in live {
            for operand in graph[id].operands {
                list[next[operand.index]] = id
                next[operand.index] += 1
            }
        }
    }

    subscript(_ index: Int) -> ArraySlice<NodeID> { list[starts[index]..<starts[index + 1]] }
}

/// A min-priority queue of nodes by a graph position, for the schedule's choices.
struct NodeQueue {
    private var heap = MinHeap<Entry>()

    private struct Entry: Comparable {
        var position: NodeID
        var node: NodeID

        static func < (a: Entry, b: Entry) -> Bool { (a.position, a.node) < (b.position, b.node) }
    }

    /// Queues `id` at graph position `position` (its own, or its product's for an epilogue).
    mutating func push(_ id: NodeID, at position: NodeID) { heap.push(Entry(position: position, node: id)) }

    /// The first node for which `skip` is false, dropping the skipped ones before it.
    mutating func first(skipping skip: (NodeID) -> Bool) -> NodeID? {
        while let top = heap.first {
            if !skip(top.node) { return top.node }
            heap.pop()
        }
        return nil
    }
}
