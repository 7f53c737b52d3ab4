import AdjointIR

/// Matrix products. Operands are read in place through their views, so `xᵀ δ` and `δ Wᵀ` index
/// `x` and `W` directly; the loop order keeps the innermost loop contiguous:
/// - `A B`: i-k-j (zero C; for i, k: a = A[i,k]; for j: C[i,j] += a B[k,j]), tiled over k and j
///   when B is too large for the cache, so that a tile of B stays in cache across all rows;
/// - `Aᵀ B`: k-i-j (both read along rows of the stored matrices);
/// - `A Bᵀ` and matrix-vector products: one dot product per result element along k.
/// The tile sizes are the hook for the later register tiling.
extension KernelLowering {
    /// B operands with more elements than this (static sizes) are tiled: 64 Ki elements is 256 KB
    /// in float, about a core's L2 cache.
    static let tiledElements = 1 << 16
    /// Tile extents along k and j.
    static let tile = (k: 128, j: 256)

    mutating func matmulNest(_ id: NodeID) -> [Statement] {
        let (a, b) = (graph[id].operands[0], graph[id].operands[1])
        let (aShape, bShape) = (graph[a].shape, graph[b].shape)
        let m: Dim? = aShape.rank == 2 ? aShape.dims[0] : nil
        let k = aShape.dims[aShape.rank - 1]
        let n: Dim? = bShape.rank == 2 ? bShape.dims[1] : nil
        func variable(_ dim: Dim?) -> IntExpr { dim == nil || dim == .fixed(1) ? .zero : freshVariable() }
        let (i, p, j) = (variable(m), variable(k), variable(n))
        let aIndex = m == nil ? [p] : [i, p]
        let bIndex = n == nil ? [p] : [p, j]
        let resultIndex = (m == nil ? [] : [i]) + (n == nil ? [] : [j])
        func loop(_ v: IntExpr, _ dim: Dim?, _ body: [Statement]) -> [Statement] {
            guard case .variable(let name) = v, let dim else { return body }
            return [.loop(variable: name, start: .zero, end: IntExpr(dim), step: 1, body: body)]
        }
        let transposedA = isTransposedView(a)
        let transposedB = isTransposedView(b)

        if n == nil || (transposedB && !transposedA) {
            // Dot products: C[i,j] = Σ_k A[i,k] B[k,j], contiguous along k in both.
            let total = "dot\(id.index)"
            var body = newBody()
            let x = value(a, aIndex, &body)
            let y = value(b, bIndex, &body)
            body.append(.assign(total, .arithmetic(.add, .name(total), .arithmetic(.multiply, x, y))))
            let element = [Statement.declare(total, .literal(0))] + loop(p, k, body)
                + [store(id, resultIndex, .name(total))]
            return loop(i, m, loop(j, n, element))
        }

        let target = placement[id]!
        let shape = graph[id].shape
        let zeroIndex = loopVariables(shape)
        let zero = loops(zeroIndex, shape, [.store(target, flatIndex(zeroIndex, shape), .literal(0))])
        // The innermost loop: C[i, j] += a B[k, j] along j, with a = A[i, k] hoisted out of it.
        let factor = "a\(id.index)"
        var inner = newBody()
        let x = value(a, aIndex, &inner)
        inner.append(.define(factor, x))
        var update = newBody()
        let y = value(b, bIndex, &update)
        update.append(.accumulate(target, flatIndex(resultIndex, shape), .arithmetic(.multiply, .name(factor), y)))

        if transposedA {
            return zero + loop(p, k, loop(i, m, inner + loop(j, n, update)))
        }
        if case .fixed(let kSize) = k, case .fixed(let nSize)? = n, kSize * nSize > Self.tiledElements,
            case .variable(let pName) = p, case .variable(let jName) = j
        {
            // Tiled i-k-j: for each tile of B (k0, j0), every row of A passes over it.
            let (k0Name, j0Name) = (freshName(), freshName())
            let (k0, j0) = (IntExpr.variable(k0Name), IntExpr.variable(j0Name))
            let jLoop = Statement.loop(
                variable: jName, start: j0, end: .min(j0 + .constant(Self.tile.j), .constant(nSize)), step: 1, body: update)
            let pLoop = Statement.loop(
                variable: pName, start: k0, end: .min(k0 + .constant(Self.tile.k), .constant(kSize)), step: 1,
                body: inner + [jLoop])
            let rows = loop(i, m, [pLoop])
            let tiles = Statement.loop(
                variable: j0Name, start: .zero, end: .constant(nSize), step: Self.tile.j,
                body: [.loop(variable: k0Name, start: .zero, end: .constant(kSize), step: Self.tile.k, body: rows)])
            return zero + [tiles]
        }
        return zero + loop(i, m, loop(p, k, inner + loop(j, n, update)))
    }

    /// Whether a matrix operand is a transpose read in place (its rows are the stored columns).
    func isTransposedView(_ id: NodeID) -> Bool {
        if case .linearAlgebra(.transpose) = graph[id].op { return true }
        return false
    }
}
