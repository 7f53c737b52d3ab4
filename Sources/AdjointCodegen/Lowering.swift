import AdjointAutodiff
import AdjointIR

/// Lowers a kernel's graph to the loop IR: the fusion plan, then where every materialized value
/// lives (a destination of the kernel, a workspace slot chosen by liveness, or a local scalar),
/// then one loop nest per materialized node in schedule order, each preceded by its formula.
enum Lowering {
    static func lower(_ spec: KernelSpec) -> Kernel {
        let plan = FusionPlan(spec)
        var redirected = Set<NodeID>()
        while true {
            var lowering = KernelLowering(spec, plan: plan, redirected: redirected)
            let hazards = lowering.inPlaceHazards()
            if hazards.isEmpty { return lowering.kernel() }
            redirected.formUnion(hazards)
        }
    }
}

/// The state of lowering one kernel.
struct KernelLowering {
    let spec: KernelSpec
    let plan: FusionPlan
    /// The kernel's graph, kept apart from `spec` so that reading a node does not copy the spec.
    let graph: Graph
    /// `spec.names` by node index: every formula comment looks names up.
    let names: NodeMap<String>
    /// Where each materialized node's value lives.
    var placement: NodeMap<Storage>
    /// Every destination of each delivered node, in order.
    var destinations: NodeMap<[KernelSpec.Destination]>
    /// Delivered nodes written to the workspace first and copied to their in-place destination
    /// at the end, because a later nest still reads the old value.
    let redirected: Set<NodeID>
    var workspaceSlots: [IntExpr] = []
    /// The largest sizes the kernel computes with: its workspace slots here, every node's shape
    /// and its arguments' in `kernel()`.
    var sizeBound = SizeBound()
    /// The workspace slot of each register-tiled product's packed copy of B.
    var packSlots: NodeMap<Int>
    /// The workspace slot of a register-tiled product's packed A (`RegisterTiling.packsA`).
    var packASlots: NodeMap<Int>
    /// The workspace slot of each row logsumexp a loss keeps (`FusionPlan.keepsLogSumExp`).
    var logSumExpSlots: NodeMap<Int>
    /// The schedule in groups: each group one loop nest. Elementwise nests of one shape that
    /// follow each other share a loop (an update's moments and its param: one pass over memory).
    var groups: [[NodeID]] = []
    /// Loop variables of the nest being built.
    var loopCounter = 0
    /// The names already bound in the body being built, by node and index: a value needed twice
    /// in one body (possible where there is no workspace) is computed once.
    var memo: BodyMemo
    /// In an epilogue (`storeProduct`): the product fused into it and its element's value there.
    var product: (node: NodeID, value: ScalarExpr)?

    struct Memo {
        var node: NodeID
        var index: [IntExpr]
    }

    /// The values bound in one loop body, by node and index. Kept by node index with the few
    /// indices of each node beside it, and emptied by forgetting the nodes touched: every loop
    /// body of a large model starts one, and hashing index expressions would cost more than the
    /// rest of the lookup.
    struct BodyMemo: Sendable {
        private var values: NodeMap<[(index: [IntExpr], value: ScalarExpr)]>
        private var touched: [NodeID] = []

        init(count: Int) { values = NodeMap(count: count) }

        subscript(_ key: Memo) -> ScalarExpr? {
            get { values[key.node]?.first { $0.index == key.index }?.value }
            set {
                var entries = values[key.node] ?? []
                if entries.isEmpty { touched.append(key.node) }
                entries.removeAll { $0.index == key.index }
                if let newValue { entries.append((key.index, newValue)) }
                values[key.node] = entries
            }
        }

        mutating func removeAll() {
            for node in touched { values[node] = nil }
            touched.removeAll(keepingCapacity: true)
        }
    }

    /// Starts the statements of a new loop body (names bound in another body are out of scope).
    mutating func newBody() -> [Statement] {
        memo.removeAll()
        return []
    }

    init(_ spec: KernelSpec, plan: FusionPlan, redirected: Set<NodeID>) {
        self.spec = spec
        graph = spec.graph
        self.plan = plan
        self.redirected = redirected
        let count = graph.nodes.count
        var names = NodeMap<String>(count: count)
        for (id, name) in spec.names where id.index < count { names[id] = name }
        self.names = names
        (placement, destinations, packSlots, logSumExpSlots) = (NodeMap(count: count), NodeMap(count: count), NodeMap(count: count), NodeMap(count: count))
        packASlots = NodeMap(count: count)
        memo = BodyMemo(count: count)
        for result in spec.results { destinations[result.node, default: []].append(result.destination) }
        for id in plan.schedule {
            if graph[id].shape.isScalar {
                placement[id] = .local(Self.localName(id))
            } else if !redirected.contains(id),
                let first = destinations[id]?.lazy.compactMap({ if case .storage(let s) = $0 { s } else { nil } }).first
            {
                placement[id] = first
            }
        }
        groups = groupSchedule()
        allocateWorkspace()
    }

    static func localName(_ id: NodeID) -> String { "v\(id.index)" }

    /// The storage a leaf reads, if it is a buffer.
    func leafStorage(_ id: NodeID) -> Storage? {
        switch graph[id].op {
        case .leaf(.input(let name, _)), .leaf(.intInput(let name, _)): return .input(name)
        case .leaf(.param(let name, _)): return .param(name)
        case .leaf(.state(let name, _)) where name != UpdateProgram.stepCount: return .state(name)
        case .leaf(.gradient(let name, _)): return .gradient(name)
        default: return nil
        }
    }

    // MARK: - In-place updates

    /// The storage a node is written to in place (a param or state slot), if any.
    func inPlaceTarget(_ id: NodeID) -> Storage? {
        guard let storage = placement[id], destinations[id]?.contains(.storage(storage)) == true,
            KernelSpec.Destination.storage(storage).isInPlace,
            // The leaf itself, delivered unchanged (`p ← p` when lr = 0): there is nothing to write.
            leafStorage(id) != storage
        else { return nil }
        return storage
    }

    /// Delivered nodes whose in-place write would come before a read of the old value: a later
    /// nest reads the leaf, or the writing nest itself reads it at another index. (Within a group,
    /// `groupSchedule` lets no member read a leaf that an earlier member overwrote.)
    func inPlaceHazards() -> Set<NodeID> {
        // Every read of a buffer leaf: the group reading it and whether at a moved index.
        var reads: [Storage: [(position: Int, moved: Bool)]] = [:]
        for (position, group) in groups.enumerated() {
            for id in group {
                for read in plan.frontier(of: id).leaves {
                    if let storage = leafStorage(read.node) { reads[storage, default: []].append((position, read.moved)) }
                }
            }
        }
        var hazards = Set<NodeID>()
        for (position, group) in groups.enumerated() {
            for id in group {
                guard let storage = inPlaceTarget(id) else { continue }
                // A scatter-add stored over its own base adds into it and reads it nowhere else.
                if addsInPlace(id, storage) {
                    if reads[storage]?.contains(where: { $0.position > position }) == true { hazards.insert(id) }
                    continue
                }
                let pointwise = FusionPlan.NodeKind(graph[id].op) == .pointwise
                for read in reads[storage] ?? []
                where read.position > position || (read.position == position && (read.moved || !pointwise)) {
                    hazards.insert(id)
                }
            }
        }
        return hazards
    }

    /// Whether `id` is a `scatter_add` whose base is the leaf of `storage` (which it is stored
    /// over) and whose updates and ids do not read that leaf: its nest adds into the buffer.
    func addsInPlace(_ id: NodeID, _ storage: Storage) -> Bool {
        guard case .scatterAdd = graph[id].op.lowering, leafStorage(graph[id].operands[0]) == storage else { return false }
        return graph[id].operands.dropFirst().allSatisfy { operand in
            !plan.frontier(of: operand).leaves.contains { leafStorage($0.node) == storage }
        }
    }

    /// Groups consecutive elementwise nests of one shape into one loop nest, when each member
    /// reads the earlier members' results only at its own index and reads no buffer that an
    /// earlier member updates in place (it would see the new value). A group may start with a
    /// node that computes a product (`FusionPlan.epilogues`): its members are computed where the
    /// product's elements are stored.
    func groupSchedule() -> [[NodeID]] {
        var groups: [[NodeID]] = []
        func joinable(_ id: NodeID) -> Bool {
            FusionPlan.NodeKind(graph[id].op) == .pointwise && !graph[id].shape.isScalar
        }
        // The last group: its shape when every member is joinable, its members, the buffers its
        // members write in place, and the buffers its members read at another index.
        var joinableShape: Shape?
        var members = Set<NodeID>()
        var written = Set<Storage>()
        var readMoved = Set<Storage>()
        for id in plan.schedule {
            let frontier = plan.frontier(of: id)
            let target = inPlaceTarget(id)
            var joins = false
            // A node whose nest computes a product (an epilogue) starts a nest: the product's.
            if joinable(id), joinableShape == graph[id].shape, plan.epilogues[id] == nil {
                let readsAtOwnIndex = !frontier.nodes.contains { $0.moved && members.contains($0.node) }
                let readsNothingOverwritten = !frontier.leaves.contains { leafStorage($0.node).map(written.contains) == true }
                let othersReadInPlace = target.map { !readMoved.contains($0) } ?? true
                joins = readsAtOwnIndex && readsNothingOverwritten && othersReadInPlace
            }
            if joins {
                groups[groups.count - 1].append(id)
            } else {
                groups.append([id])
                joinableShape = joinable(id) ? graph[id].shape : nil
                members.removeAll(keepingCapacity: true)
                written.removeAll(keepingCapacity: true)
                readMoved.removeAll(keepingCapacity: true)
            }
            members.insert(id)
            if let target { written.insert(target) }
            for read in frontier.leaves where read.moved {
                if let storage = leafStorage(read.node) { readMoved.insert(storage) }
            }
        }
        return groups
    }

    // MARK: - Workspace

    /// Gives every materialized node that has no other place a workspace slot, by liveness. An
    /// elementwise value may take over the slot of a buffer that dies in its own loop nest when
    /// every read of that buffer there is at the element being written, by this member or an
    /// earlier one (`h = relu(v)` overwrites `v` element by element). The operands of a product
    /// computed in an elementwise nest (an epilogue) are read at other indices (the frontier
    /// says so), so the nest never overwrites the rows of A or the B that later tiles still read.
    mutating func allocateWorkspace() {
        let frontiers = groups.map { $0.map { plan.frontier(of: $0).nodes } }
        // By node index and by group position rather than hashed: a large model has tens of
        // thousands of buffers.
        var lastReaders = [Int?](repeating: nil, count: graph.nodes.count)
        for (position, members) in frontiers.enumerated() {
            for reads in members {
                for read in reads { lastReaders[read.node.index] = position }
            }
        }
        func lastReader(_ id: NodeID) -> Int? { lastReaders[id.index] }
        var allocator = SlotAllocator()
        var slots = [Int](repeating: -1, count: graph.nodes.count)
        var releases = [[NodeID]](repeating: [], count: groups.count)
        for (position, group) in groups.enumerated() {
            // The buffers a member of this nest reads at another index (none of them may be
            // overwritten here), and for the others the last member reading them.
            var readMoved = Set<NodeID>()
            var lastMemberReading: [NodeID: Int] = [:]
            for (reader, reads) in frontiers[position].enumerated() {
                for read in reads {
                    if read.moved { readMoved.insert(read.node) } else { lastMemberReading[read.node] = reader }
                }
            }
            // A register-tiled product's packed B lives during its own nest only (a product's
            // epilogue members then read or write none of it: the slot was free before the nest).
            // A loss's row logsumexps live until the last nest that reads them.
            if group.count == 1, plan.keepsLogSumExp.contains(group[0]) {
                let loss = group[0]
                let slot = allocator.allocate(SymbolicCount(Self.rows(of: graph[graph[loss].operands[0]].shape)))
                slots[loss.index] = slot
                logSumExpSlots[loss] = slot
                releases[lastReader(loss) ?? position].append(loss)
            }
            for (member, id) in group.enumerated() where placement[id] == nil {
                let pointwise = FusionPlan.NodeKind(graph[id].op) == .pointwise
                let reusable = !pointwise ? nil : releases[position].firstIndex { buffer in
                    !readMoved.contains(buffer) && (lastMemberReading[buffer] ?? member) <= member
                }
                let slot: Int
                if let reusable {
                    slot = slots[releases[position][reusable].index]
                    releases[position].remove(at: reusable)
                } else {
                    slot = allocator.allocate(SymbolicCount(graph[id].shape))
                }
                slots[id.index] = slot
                placement[id] = .workspace(slot)
                // Values copied to a destination at the end live to the end.
                let copiedAtEnd = destinations[id] != nil
                if !copiedAtEnd { releases[lastReader(id) ?? position].append(id) }
            }
            // Taken once the members have their slots, so that B is known to be read in place
            // (`packedInPlace`) only if none of them is written over it.
            if let product = self.product(of: group), let tiling = registerTiling(product),
                packedInPlace(product, tiling, epilogue: product == group[0] ? [] : group) == nil
            {
                let slot = allocator.allocate(SymbolicCount(tiling.packedShape))
                packSlots[product] = slot
                if tiling.packsA {
                    let aSlot = allocator.allocate(SymbolicCount(Shape([tiling.m, tiling.k])))
                    packASlots[product] = aSlot
                    allocator.release(aSlot)
                }
                allocator.release(slot)
            }
            for done in releases[position] { allocator.release(slots[done.index]) }
        }
        workspaceSlots = allocator.slots.map(\.expression)
        for slot in allocator.slots { sizeBound.include(slot) }
        sizeBound.includeSlots(allocator.slots.count)
    }

    /// The shape of one value per row: `shape` without its last axis.
    static func rows(of shape: Shape) -> Shape { Shape(Array(shape.dims.dropLast())) }

    /// Where a loss keeps the logsumexp of the row of `index` (an index of its prediction).
    func keptLogSumExp(_ loss: NodeID, _ index: [IntExpr]) -> (storage: Storage, offset: IntExpr) {
        let rows = Self.rows(of: graph[graph[loss].operands[0]].shape)
        return (.workspace(logSumExpSlots[loss]!), flatIndex(Array(index.dropLast()), rows))
    }

    /// The product a group's nest computes: its only member, or the product fused into its first.
    func product(of group: [NodeID]) -> NodeID? {
        if let product = plan.epilogues[group[0]] { return product }
        if group.count == 1, case .linearAlgebra(.matmul) = graph[group[0]].op { return group[0] }
        return nil
    }

    // MARK: - The kernel

    mutating func kernel() -> Kernel {
        var body = idChecks()
        for group in groups {
            loopCounter = 0
            memo.removeAll()
            // A loop, not `group.map(formulaLine)`: a method taken as a value copies the lowering.
            var comment = ""
            for id in group {
                if !comment.isEmpty { comment += "\n" }
                comment += formulaLine(id)
            }
            body.append(.comment(comment))
            if let product = plan.epilogues[group[0]] {
                body += matmulNest(product, epilogue: group)
            } else {
                body += group.count == 1 ? nest(group[0]) : groupNest(group)
            }
        }
        var result: ScalarExpr?
        for (id, list) in destinations.entries {
            for destination in list {
                let source = placement[id]!
                switch destination {
                case .returned: result = load(source, [], .scalar)
                case .storage(let storage) where storage != source:
                    loopCounter = 0
                    body.append(.comment("\(describe(storage)) = \(nodeName(id))"))
                    let shape = graph[id].shape
                    let index = loopVariables(shape)
                    body += loops(index, shape, [.store(storage, flatIndex(index, shape), load(source, index, shape))])
                case .storage: break
                }
            }
        }
        if spec.countsStep {
            // Last: every read of t above sees the count before this update.
            body.append(.comment("state t = t + 1"))
            body.append(.incrementStepCount)
        }
        precondition(
            spec.kind != .apply || workspaceSlots.isEmpty, "internal error: the update alone needs no buffers, but got \(workspaceSlots)")
        let runtimeDims = spec.arguments.compactMap { if case .dim(let name) = $0 { name } else { nil } }
        // Every node, the fused ones too: a nest over a value that is never stored still
        // flattens its index over the value's shape.
        for node in graph.nodes { sizeBound.include(node.shape) }
        for case .input(_, let shape) in spec.arguments { sizeBound.include(shape) }
        for case .intInput(_, let shape) in spec.arguments { sizeBound.include(shape) }
        for argument in spec.arguments {
            if case .output(_, let shape) = argument { sizeBound.include(shape) }
            if case .intOutput(_, let shape) = argument { sizeBound.include(shape) }
        }
        return Kernel(
            kind: spec.kind, arguments: spec.arguments, takesWorkspace: spec.kind != .apply, checkedDims: runtimeDims,
            body: body, result: result, workspace: Workspace(slots: workspaceSlots), sizeBound: sizeBound, draws: graph.draws)
    }

    // MARK: - Indices and loops

    /// A fresh loop variable for each axis of `shape`, and 0 for axes of size 1 (no loop).
    mutating func loopVariables(_ shape: Shape) -> [IntExpr] {
        shape.dims.map { $0 == .fixed(1) ? .zero : freshVariable() }
    }

    mutating func freshName() -> String {
        defer { loopCounter += 1 }
        return "i\(loopCounter)"
    }

    mutating func freshVariable() -> IntExpr { .variable(freshName()) }

    /// Row-major offset of `index` in `shape`, in Horner form: `(i0 * 32 + i1)`.
    func flatIndex(_ index: [IntExpr], _ shape: Shape) -> IntExpr {
        var offset = IntExpr.zero
        for (axis, dim) in shape.dims.enumerated() {
            offset = offset * IntExpr(dim) + (dim == .fixed(1) ? .zero : index[axis])
        }
        return offset
    }

    /// Loops over the axes of `shape` whose index is a variable (outermost first) around `body`.
    func loops(_ index: [IntExpr], _ shape: Shape, _ body: [Statement]) -> [Statement] {
        var statements = body
        for (axis, dim) in shape.dims.enumerated().reversed() {
            guard case .variable(let name) = index[axis] else { continue }
            statements = [.loop(variable: name, start: .zero, end: IntExpr(dim), step: 1, body: statements)]
        }
        return statements
    }

    /// A value at an index: a leaf's element, a materialized node's element, or the node
    /// computed in place (a fused node or a view).
    mutating func value(_ id: NodeID, _ index: [IntExpr], _ body: inout [Statement]) -> ScalarExpr {
        if case .leaf = graph[id].op { return compute(id, index, &body) }
        if let storage = placement[id] {
            // A member of the same loop nest, computed earlier in this body: its register.
            return memo[Memo(node: id, index: index)] ?? load(storage, index, graph[id].shape)
        }
        return compute(id, index, &body)
    }

    func load(_ storage: Storage, _ index: [IntExpr], _ shape: Shape) -> ScalarExpr {
        if case .local(let name) = storage { return .name(name) }
        return .load(storage, flatIndex(index, shape))
    }

    /// The index into an operand of shape `from` that NumPy broadcasting reads for `index` of
    /// shape `to`: aligned at the right, size-1 axes at 0.
    func broadcastIndex(_ index: [IntExpr], to: Shape, from: Shape) -> [IntExpr] {
        operandIndex(index, .broadcast(from: from, to: to), to: to, from: from)
    }

    /// The operand index that `map` reads at `index` of the result: through the row-major offset
    /// for a reshape that regroups axes.
    func operandIndex(_ index: [IntExpr], _ map: IndexMap, to: Shape, from: Shape) -> [IntExpr] {
        if case .strided(let axes) = map {
            // A slice: `start + step * i` on each kept axis, a fixed index on the others.
            return axes.enumerated().map { axis, read in
                read.operandIndex(index, size: IntExpr(from.dims[axis]), constant: IntExpr.constant, plus: +, times: *)
            }
        }
        return map.operandIndex(index, zero: .zero) { index in
            // Group by group where the reshape splits or joins neighbouring axes (the heads of
            // attention: `[batch, seq, 32]` as `[batch, seq, 4, 8]`): short index arithmetic,
            // a division only where a group joins axes.
            if let groups = from.reshapeGroups(to: to) {
                var result: [IntExpr] = []
                for group in groups {
                    var flat = IntExpr.zero
                    for axis in group.result { flat = flat * IntExpr(to.dims[axis]) + index[axis] }
                    var parts: [IntExpr] = []
                    var inner = IntExpr.one
                    for axis in group.operand.reversed() {
                        let quotient = inner == .one ? flat : IntExpr.quotient(flat, inner)
                        // The group's outermost operand index needs no remainder: it is below its size.
                        parts.append(axis == group.operand.lowerBound ? quotient : .remainder(quotient, IntExpr(from.dims[axis])))
                        inner = inner * IntExpr(from.dims[axis])
                    }
                    result += parts.reversed()
                }
                return result
            }
            let flat = flatIndex(index, to)
            var result: [IntExpr] = []
            var inner = IntExpr.one
            for dim in from.dims.reversed() {
                result.append(.remainder(.quotient(flat, inner), IntExpr(dim)))
                inner = inner * IntExpr(dim)
            }
            return result.reversed()
        }
    }

    /// Binds a node's element to its name in `body`.
    /// `value` itself, or when it is a choice between literals (`.select`), a name bound to it.
    mutating func typedOperand(_ id: NodeID, _ index: [IntExpr], _ value: ScalarExpr, _ body: inout [Statement]) -> ScalarExpr {
        guard case .select = value else { return value }
        if let known = memo[Memo(node: id, index: index)] { return known }
        return bind(id, index, value, &body)
    }

    mutating func bind(_ id: NodeID, _ index: [IntExpr], _ value: ScalarExpr, _ body: inout [Statement]) -> ScalarExpr {
        let name = Self.localName(id)
        body.append(.define(name, value))
        memo[Memo(node: id, index: index)] = .name(name)
        return .name(name)
    }

    /// The offset when a node is the step count plus an integer (`t + 1`, in either order), which
    /// the kernels add in the integer count rather than in the element type; nil otherwise.
    func stepCountOffset(_ id: NodeID) -> Int? {
        let node = graph[id]
        guard case .arithmetic(.add) = node.op, node.operands.count == 2 else { return nil }
        var step = false
        var offset: Double?
        for operand in node.operands {
            switch graph[operand].op {
            case .leaf(.state(let name, _)) where name == UpdateProgram.stepCount: step = true
            case .leaf(.constant(let value, _)): offset = value
            default: return nil
            }
        }
        guard step, let offset, offset == offset.rounded(), abs(offset) < 1_048_576 else { return nil }
        return Int(offset)
    }

    /// Computes a node's element at `index`, binding the result of each op to a name (so that the
    /// op table's spellings, which may use an operand twice, only see names, literals and loads).
    mutating func compute(_ id: NodeID, _ index: [IntExpr], _ body: inout [Statement]) -> ScalarExpr {
        let node = graph[id]
        // An `int` value read by arithmetic: computed as an integer, then converted.
        if node.element == .int { return .integer(intValue(id, index)) }
        switch node.op {
        case .leaf(.input(let name, let shape)): return load(.input(name), index, shape)
        case .leaf(.param(let name, let shape)): return load(.param(name), index, shape)
        case .leaf(.state(let name, _)) where name == UpdateProgram.stepCount: return .stepCount(offset: 0)
        case .leaf(.state(let name, let shape)): return load(.state(name), index, shape)
        case .leaf(.gradient(let name, let shape)): return load(.gradient(name), index, shape)
        case .leaf(.constant(let value, _)): return .literal(value)
        case .leaf(.size(let dims)): return .integer(IntExpr.count(Shape(dims)))
        case .leaf(.random(let draw)): return .draw(draw, flatIndex(index, draw.shape))
        case _ where node.op.lowering == .view:
            // A view (broadcast, reshape, transpose): its operand's element where the op table's
            // index map reads it.
            let operand = node.operands[0]
            let map = node.op.indexMap(from: graph[operand].shape, to: node.shape)!
            return value(operand, operandIndex(index, map, to: node.shape, from: graph[operand].shape), &body)
        case .elementwise(let op):
            if let known = memo[Memo(node: id, index: index)] { return known }
            let a = value(node.operands[0], index, &body)
            return bind(id, index, .elementwise(op, a), &body)
        case .arithmetic(let op):
            if let offset = stepCountOffset(id) { return .stepCount(offset: offset) }
            if let known = memo[Memo(node: id, index: index)] { return known }
            let (first, second) = (node.operands[0], node.operands[1])
            let (firstIndex, secondIndex) = (broadcastIndex(index, to: node.shape, from: graph[first].shape), broadcastIndex(index, to: node.shape, from: graph[second].shape))
            var a = value(first, firstIndex, &body)
            var b = value(second, secondIndex, &body)
            if op.isComparison || op == .masked {
                // Swift gives `(i1 <= i0 ? 1.0 : 0.0) == 0.0` no type of its own (it picks
                // Foundation's Decimal): an operand that is such a choice (`tril`) gets a typed name.
                a = typedOperand(first, firstIndex, a, &body)
                b = typedOperand(second, secondIndex, b, &body)
            }
            return bind(id, index, .arithmetic(op, a, b), &body)
        case .linearAlgebra:
            // A matrix product (a transpose is a view): computed by the nest around an epilogue,
            // which passes the element's sum.
            guard let product, product.node == id else { preconditionFailure("internal error: \(node.op) is computed by its own loop nest") }
            return product.value
        case .normalizer(let op, _) where plan.sharedLogSumExp[id] != nil:
            // From the row logsumexp its loss kept: an elementwise op.
            if let known = memo[Memo(node: id, index: index)] { return known }
            let x = value(node.operands[0], index, &body)
            let kept = keptLogSumExp(plan.sharedLogSumExp[id]!, index)
            return bind(id, index, .normalizer(op, x, logSumExp: .load(kept.storage, kept.offset)), &body)
        case .leaf(.intInput):
            return .integer(intValue(id, index))
        case .leaf(.tensorConstant(let name, let shape, let pattern)):
            return constantElement(name, shape, pattern, index)
        case .indexing(let op):
            if let known = memo[Memo(node: id, index: index)] { return known }
            return bind(id, index, gather(id, op, index, &body), &body)
        case .structural, .reduction, .normalizer, .loss:
            preconditionFailure("internal error: \(node.op) is computed by its own loop nest")
        }
    }
}
