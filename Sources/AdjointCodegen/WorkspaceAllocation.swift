import AdjointIR

/// An element count known up to the runtime dims: a constant times a product of runtime dims.
/// Two counts compare for every value of the dims (each at least 1) when one's dims are a
/// sub-multiset of the other's and its constant is no larger.
struct SymbolicCount: Hashable {
    var constant: Int
    /// Runtime dim names, sorted, repeated as often as they multiply.
    var dims: [String]

    init(_ shape: Shape) {
        constant = shape.fixedElementCount ?? Int.max
        dims = shape.dims.compactMap { if case .runtime(let name) = $0 { name } else { nil } }.sorted()
    }

    /// Whether `self <= other` for every value of the runtime dims.
    func fits(in other: SymbolicCount) -> Bool {
        guard constant <= other.constant else { return false }
        var remaining = other.dims
        for dim in dims {
            guard let position = remaining.firstIndex(of: dim) else { return false }
            remaining.remove(at: position)
        }
        return true
    }

    var expression: IntExpr { dims.reduce(IntExpr.constant(constant)) { $0 * .dim($1) } }
}

/// Assigns workspace slots to buffers by liveness: a buffer takes a free slot it fits in (the
/// smallest such), or grows a free slot that fits in it, or opens a new slot. A slot is freed
/// after its buffer's last reader, never during it, so no nest reads and writes one slot.
struct SlotAllocator {
    private(set) var slots: [SymbolicCount] = []
    private var free: [Bool] = []

    mutating func allocate(_ count: SymbolicCount) -> Int {
        func key(_ slot: Int) -> (Int, Int) { (slots[slot].dims.count, slots[slot].constant) }
        let candidates = slots.indices.filter { free[$0] }
        let fitting = candidates.filter { count.fits(in: slots[$0]) }
        if let best = fitting.min(by: { key($0) < key($1) }) {
            free[best] = false
            return best
        }
        if let grown = candidates.filter({ slots[$0].fits(in: count) }).max(by: { key($0) < key($1) }) {
            slots[grown] = count
            free[grown] = false
            return grown
        }
        slots.append(count)
        free.append(false)
        return slots.count - 1
    }

    mutating func release(_ slot: Int) { free[slot] = true }
}
