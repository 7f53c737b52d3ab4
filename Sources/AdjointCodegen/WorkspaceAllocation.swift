import AdjointIR

/// An element count known up to the runtime dims: a constant times a product of runtime dims.
/// One count is at most another for every value of the dims (each at least 1) when its dims are
/// a sub-multiset of the other's and its constant is no larger.
struct SymbolicCount: Hashable {
    var constant: Int
    /// Runtime dim names, sorted, repeated as often as they multiply.
    var dims: [String]

    init(_ shape: Shape) {
        constant = shape.fixedElementCount ?? Int.max
        dims = shape.dims.compactMap { if case .runtime(let name) = $0 { name } else { nil } }.sorted()
    }

    /// Whether every name of `part` occurs in `whole` at least as often (both sorted).
    static func isSubmultiset(_ part: [String], of whole: [String]) -> Bool {
        var position = 0
        for name in part {
            while position < whole.count && whole[position] < name { position += 1 }
            guard position < whole.count && whole[position] == name else { return false }
            position += 1
        }
        return true
    }

    var expression: IntExpr { dims.reduce(IntExpr.constant(constant)) { $0 * .dim($1) } }
}

/// Assigns workspace slots to buffers by liveness: a buffer takes a free slot it fits in (the
/// smallest such), or grows a free slot that fits in it, or opens a new slot. A slot is freed
/// after its buffer's last reader, never during it, so no nest reads and writes one slot.
///
/// Free slots are kept by their runtime dims, and within those by constant, each constant's
/// slots in a min-heap: a choice looks at one constant per group (there are few groups and few
/// constants), and freeing or taking a slot costs a logarithm, however many slots are free.
struct SlotAllocator {
    private(set) var slots: [SymbolicCount] = []
    /// The free slots of each runtime-dims signature, by constant (ascending).
    private var free: [[String]: [FreeSlots]] = [:]

    /// The free slots of one constant, the lowest slot first.
    private struct FreeSlots {
        var constant: Int
        var heap: MinHeap<Int>
    }

    mutating func allocate(_ count: SymbolicCount) -> Int {
        // The smallest free slot it fits in: fewest dims, then smallest constant, then first.
        var best: (key: (Int, Int, Int), dims: [String], position: Int)?
        for (dims, group) in free where SymbolicCount.isSubmultiset(count.dims, of: dims) {
            let position = Self.lowerBound(group, count.constant)
            guard position < group.count else { continue }
            let key = (dims.count, group[position].constant, group[position].heap.first!)
            if best == nil || key < best!.key { best = (key, dims, position) }
        }
        if let best { return take(best.dims, best.position) }
        // Else the largest free slot that fits in it (most dims, then largest constant, then
        // first), grown to it.
        var grown: (key: (Int, Int, Int), dims: [String], position: Int)?
        for (dims, group) in free where SymbolicCount.isSubmultiset(dims, of: count.dims) {
            let below = Self.lowerBound(group, count.constant, orEqual: true) - 1
            guard below >= 0 else { continue }
            let key = (dims.count, group[below].constant, -group[below].heap.first!)
            if grown == nil || key > grown!.key { grown = (key, dims, below) }
        }
        if let grown {
            let slot = take(grown.dims, grown.position)
            slots[slot] = count
            return slot
        }
        slots.append(count)
        return slots.count - 1
    }

    mutating func release(_ slot: Int) {
        let (dims, constant) = (slots[slot].dims, slots[slot].constant)
        var group = free.removeValue(forKey: dims) ?? []
        let position = Self.lowerBound(group, constant)
        if position < group.count && group[position].constant == constant {
            group[position].heap.push(slot)
        } else {
            var heap = MinHeap<Int>()
            heap.push(slot)
            group.insert(FreeSlots(constant: constant, heap: heap), at: position)
        }
        free[dims] = group
    }

    /// Takes the lowest free slot of the constant at `position` in the group of `dims`.
    private mutating func take(_ dims: [String], _ position: Int) -> Int {
        let slot = free[dims]![position].heap.pop()
        if free[dims]![position].heap.isEmpty { free[dims]!.remove(at: position) }
        return slot
    }

    /// The first position in a group (sorted by constant) whose constant is not below
    /// `constant` (with `orEqual`, is above it).
    private static func lowerBound(_ group: [FreeSlots], _ constant: Int, orEqual: Bool = false) -> Int {
        var (low, high) = (0, group.count)
        while low < high {
            let middle = (low + high) / 2
            let before = orEqual ? group[middle].constant <= constant : group[middle].constant < constant
            if before { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
