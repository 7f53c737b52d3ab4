/// Long chains of binary operations (`a + a + ... + a` written out 100,000 times, or a param's
/// adjoint summed over 100,000 uses) built as balanced trees. Every later pass over the graph
/// that follows operands recursively (closed forms, fused loop bodies, the printers) then recurses
/// about log2(n) levels deep for such a chain rather than n, and its stack stays small.
extension Graph {
    /// How many links of a chain fold left to right exactly as written. Chains people write by
    /// hand are shorter, so their graphs and printed formulas keep the source's `(a + b) + c`;
    /// a longer chain is grouped in blocks of this many links.
    public static let chainBlock = 16

    /// `first op1 x1 op2 x2 ...`, applied left to right. Links that regroup with one another
    /// (`Arithmetic.regrouped(after:)`: `+` with `-`, `*` with `/`) and number more than
    /// `chainBlock` are regrouped: `x - y1 + y2 - ...` becomes `x - g` with `g` the balanced
    /// tree `(y1 - y2 + ...) ...`, whose blocks of `chainBlock` links each fold left to right.
    /// The value is the same in exact arithmetic; blocks start at fixed positions, so a chain
    /// that repeats itself (`a + a + ...`) hash-conses to a few nodes per level.
    public mutating func chain(_ first: NodeID, _ links: [(op: Op, operand: NodeID)]) -> NodeID {
        var value = first
        var start = links.startIndex
        while start < links.endIndex {
            var end = start + 1
            while end < links.endIndex, Self.regrouped(links[end].op, after: links[start].op) != nil { end += 1 }
            let run = links[start..<end]
            if run.count <= Self.chainBlock {
                for link in run { value = add(link.op, [value, link.operand]) }
            } else {
                let group = grouped(run)
                value = add(group.op, [value, group.value])
            }
            start = end
        }
        return value
    }

    /// A run of links that regroup with each other as one link `op value`: applying it does
    /// what applying the run's links in turn does. Recurses about log2(count / chainBlock) deep.
    private mutating func grouped(_ run: ArraySlice<(op: Op, operand: NodeID)>) -> (op: Op, value: NodeID) {
        let leading = run[run.startIndex].op
        guard run.count > Self.chainBlock else {
            var value = run[run.startIndex].operand
            for link in run.dropFirst() {
                value = add(Self.regrouped(link.op, after: leading) ?? link.op, [value, link.operand])
            }
            return (leading, value)
        }
        // Split between blocks, so equal blocks are equal nodes.
        let blocks = (run.count + Self.chainBlock - 1) / Self.chainBlock
        let middle = run.startIndex + (blocks + 1) / 2 * Self.chainBlock
        let left = grouped(run[..<middle])
        let right = grouped(run[middle...])
        return (left.op, add(Self.regrouped(right.op, after: left.op) ?? right.op, [left.value, right.value]))
    }

    /// What `op` becomes in parentheses opened after `leading` (nil: they do not regroup). The
    /// run-finding in `chain` only groups links for which this is not nil, so the fallbacks
    /// above (`?? op`) are never taken.
    private static func regrouped(_ op: Op, after leading: Op) -> Op? {
        guard case .arithmetic(let arithmetic) = op, case .arithmetic(let first) = leading,
            let result = arithmetic.regrouped(after: first)
        else { return nil }
        return .arithmetic(result)
    }
}
