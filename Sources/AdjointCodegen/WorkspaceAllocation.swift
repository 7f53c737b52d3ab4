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
/// Free slots are kept by their runtime dims, each group sorted by constant and slot number, so
/// a choice looks at one slot per group (there are few groups) rather than at every slot.
struct SlotAllocator {
    private(set) var slots: [SymbolicCount] = []
    /// The free slots of each runtime-dims signature, sorted by (constant, slot).
    private var free: [[String]: [FreeSlot]] = [:]

    private struct FreeSlot: Comparable {
        var constant: Int
        var slot: Int

        static func < (a: FreeSlot, b: FreeSlot) -> Bool { (a.constant, a.slot) < (b.constant, b.slot) }
    }

    mutating func allocate(_ count: SymbolicCount) -> Int {
        // The smallest free slot it fits in: fewest dims, then smallest constant, then first.
        var best: (key: (Int, Int, Int), dims: [String], position: Int)?
        for (dims, group) in free where SymbolicCount.isSubmultiset(count.dims, of: dims) {
            let position = Self.lowerBound(group, FreeSlot(constant: count.constant, slot: Int.min))
            guard position < group.count else { continue }
            let key = (dims.count, group[position].constant, group[position].slot)
            if best == nil || key < best!.key { best = (key, dims, position) }
        }
        if let best {
            return free[best.dims]!.remove(at: best.position).slot
        }
        // Else the largest free slot that fits in it (most dims, then largest constant, then
        // first), grown to it.
        var grown: (key: (Int, Int, Int), dims: [String], position: Int)?
        for (dims, group) in free where SymbolicCount.isSubmultiset(dims, of: count.dims) {
            let below = Self.lowerBound(group, FreeSlot(constant: count.constant, slot: Int.max)) - 1
            guard below >= 0 else { continue }
            let constant = group[below].constant
            let position = Self.lowerBound(group, FreeSlot(constant: constant, slot: Int.min))
            let key = (dims.count, constant, -group[position].slot)
            if grown == nil || key > grown!.key { grown = (key, dims, position) }
        }
        if let grown {
            let slot = free[grown.dims]!.remove(at: grown.position).slot
            slots[slot] = count
            return slot
        }
        slots.append(count)
        return slots.count - 1
    }

    mutating func release(_ slot: Int) {
        let entry = FreeSlot(constant: slots[slot].constant, slot: slot)
        var group = free.removeValue(forKey: slots[slot].dims) ?? []
        group.insert(entry, at: Self.lowerBound(group, entry))
        free[slots[slot].dims] = group
    }

    /// The first position in a sorted group whose entry is not below `entry`.
    private static func lowerBound(_ group: [FreeSlot], _ entry: FreeSlot) -> Int {
        var (low, high) = (0, group.count)
        while low < high {
            let middle = (low + high) / 2
            if group[middle] < entry { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
