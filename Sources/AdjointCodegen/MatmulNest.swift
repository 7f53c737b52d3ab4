import AdjointIR

/// The form of a product's nest, decided from the graph alone (the fusion plan needs it too).
enum MatmulForm {
    /// Register tiles over a packed copy of B (`KernelLowering.registerTiling`).
    case registerTiled(KernelLowering.RegisterTiling)
    /// One dot product along k per result element: `A Bᵀ` and matrix-vector products.
    case dotProducts
    /// The result zeroed, then accumulated into: i-k-j for `A B`, k-i-j for `Aᵀ B`.
    case accumulating

    init(_ graph: Graph, _ id: NodeID) {
        if let tiling = KernelLowering.registerTiling(graph, id) {
            self = .registerTiled(tiling)
            return
        }
        let (a, b) = (graph[id].operands[0], graph[id].operands[1])
        let transposedB = KernelLowering.isTransposedView(graph, b) && !KernelLowering.isTransposedView(graph, a)
        self = graph[b].shape.rank < 2 || transposedB ? .dotProducts : .accumulating
    }

    /// Whether each element of the result is stored once, after its whole sum: where an
    /// elementwise user can be computed from it instead (`FusionPlan.epilogues`).
    var storesOnce: Bool {
        if case .accumulating = self { return false }
        return true
    }
}

/// Matrix products. Operands are read in place through their views, so `xᵀ δ` and `δ Wᵀ` index
/// `x` and `W` directly; the loop order keeps the innermost loop contiguous:
/// - `A B`: i-k-j (zero C; for i, k: a = A[i,k]; for j: C[i,j] += a B[k,j]), tiled over k and j
///   when B is too large for the cache, so that a tile of B stays in cache across all rows;
/// - `Aᵀ B`: k-i-j (both read along rows of the stored matrices);
/// - `A Bᵀ` and matrix-vector products: one dot product per result element along k.
/// Products of 2¹² multiply-adds or more (`registerTiling`) instead take register tiles over a
/// packed copy of B.
extension KernelLowering {
    /// B operands with more elements than this (static sizes) are tiled: 64 Ki elements is 256 KB
    /// in float, about a core's L2 cache.
    static let tiledElements = 1 << 16
    /// Tile extents along k and j.
    static let tile = (k: 128, j: 256)

    /// The nest of product `id`. With an `epilogue` (the group of the elementwise node the
    /// product is fused into, `FusionPlan.epilogues`), the product has no buffer: each
    /// accumulated element is used by the group's members instead, which are stored.
    mutating func matmulNest(_ id: NodeID, epilogue: [NodeID] = []) -> [Statement] {
        // `--blas` (GemmNest.swift); the fusion plan gives such a product no epilogue.
        if let call = gemmNest(id) {
            precondition(epilogue.isEmpty, "internal error: a CBLAS product with an epilogue")
            return call
        }
        if let tiling = registerTiling(id) { return tiledMatmulNest(id, tiling, epilogue: epilogue) }
        let (a, b) = (graph[id].operands[0], graph[id].operands[1])
        let indexing = MatmulIndexing(graph, id)
        let (m, k, n) = (indexing.shapes.m, indexing.shapes.k, indexing.shapes.n)
        // The batch axes: one 2-D product per index, each operand at its own (broadcast) index.
        let batchIndex = loopVariables(indexing.batch)
        func batchLoops(_ body: [Statement]) -> [Statement] { loops(batchIndex, indexing.batch, body) }
        func variable(_ dim: Dim?) -> IntExpr { dim == nil || dim == .fixed(1) ? .zero : freshVariable() }
        let (i, p, j) = (variable(m), variable(k), variable(n))
        let aIndex = indexing.a(batchIndex, i, p)
        let bIndex = indexing.b(batchIndex, p, j)
        let resultIndex = indexing.c(batchIndex, i, j)
        func loop(_ v: IntExpr, _ dim: Dim?, _ body: [Statement]) -> [Statement] {
            guard case .variable(let name) = v, let dim else { return body }
            return [.loop(variable: name, start: .zero, end: IntExpr(dim), step: 1, body: body)]
        }
        let transposedA = isTransposedView(a)

        if case .dotProducts = MatmulForm(graph, id) {
            // Dot products: C[i,j] = Σ_k A[i,k] B[k,j], contiguous along k in both.
            let total = "dot\(id.index)"
            var body = newBody()
            let x = value(a, aIndex, &body)
            let y = value(b, bIndex, &body)
            body.append(.assign(total, .arithmetic(.add, .name(total), .arithmetic(.multiply, x, y))))
            let element = [Statement.declare(total, .literal(0))] + loop(p, k, body)
                + storeProduct(id, resultIndex, .name(total), epilogue: epilogue)
            return batchLoops(loop(i, m, loop(j, n, element)))
        }

        precondition(epilogue.isEmpty, "internal error: an accumulating product has no epilogue")
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
            return zero + batchLoops(loop(p, k, loop(i, m, inner + loop(j, n, update))))
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
            return zero + batchLoops([tiles])
        }
        return zero + batchLoops(loop(i, m, loop(p, k, inner + loop(j, n, update))))
    }

    /// The statements that store the product's element at `index`, whose sum is `value`: the
    /// store itself, or with an epilogue, each member of the group computed from it (the product
    /// read as `value`, earlier members from their registers) and stored, in order.
    mutating func storeProduct(_ id: NodeID, _ index: [IntExpr], _ value: ScalarExpr, epilogue: [NodeID]) -> [Statement] {
        guard !epilogue.isEmpty else { return [store(id, index, value)] }
        // The members' own indices: 0 on axes of size 1, as their loops would have it.
        let index = zip(graph[id].shape.dims, index).map { dim, variable in dim == .fixed(1) ? IntExpr.zero : variable }
        var body = newBody()
        product = (id, value)
        defer { product = nil }
        for member in epilogue {
            let element = compute(member, index, &body)
            body.append(store(member, index, element))
            memo[Memo(node: member, index: index)] = element
        }
        return body
    }

    /// Whether a matrix operand is a transpose read in place (its rows are the stored columns).
    func isTransposedView(_ id: NodeID) -> Bool { Self.isTransposedView(graph, id) }

    /// (Each matrix of a batch transposed, the batch axes kept: `transpose(x, axes = [0, 2, 1])`.)
    static func isTransposedView(_ graph: Graph, _ id: NodeID) -> Bool {
        if case .linearAlgebra(.transpose(let axes)) = graph[id].op, axes.count >= 2 {
            return axes == LinearAlgebra.swappedLastAxes(rank: axes.count)
        }
        return false
    }
}

// MARK: - Batch axes

/// Where a product `C = A @ B` reads and writes for a batch index and matrix indices: the
/// result's batch axes are the broadcast of the operands' (those before their last two); an
/// operand reads index 0 on a batch axis of size 1 (stride 0: the same matrix for every batch
/// index) and has no index on one it lacks; a vector operand has no row (A) or column (B).
struct MatmulIndexing {
    let shapes: MatmulShapes
    /// The result's batch axes.
    let batch: Shape

    init(_ graph: Graph, _ id: NodeID) {
        let (a, b) = (graph[id].operands[0], graph[id].operands[1])
        shapes = MatmulShapes(graph[a].shape, graph[b].shape)
        batch = Shape(Array(graph[id].shape.dims.prefix(graph[id].shape.rank - (shapes.m == nil ? 0 : 1) - (shapes.n == nil ? 0 : 1))))
    }

    /// The index of `batchIndex` (of `batch`) in an operand's batch axes `from`.
    private func batchIndex(_ index: [IntExpr], from: Shape) -> [IntExpr] {
        let offset = batch.rank - from.rank
        return from.dims.indices.map { from.dims[$0] == .fixed(1) ? .zero : index[offset + $0] }
    }

    func a(_ batchIndex: [IntExpr], _ i: IntExpr, _ p: IntExpr) -> [IntExpr] {
        self.batchIndex(batchIndex, from: shapes.aBatch) + (shapes.m == nil ? [p] : [i, p])
    }

    func b(_ batchIndex: [IntExpr], _ p: IntExpr, _ j: IntExpr) -> [IntExpr] {
        self.batchIndex(batchIndex, from: shapes.bBatch) + (shapes.n == nil ? [p] : [p, j])
    }

    func c(_ batchIndex: [IntExpr], _ i: IntExpr, _ j: IntExpr) -> [IntExpr] {
        batchIndex + (shapes.m == nil ? [] : [i]) + (shapes.n == nil ? [] : [j])
    }

    /// Whether every batch index reads the same B (none of its batch axes is larger than 1):
    /// the batch axes and A's rows are then one long run of rows, `[batch, seq, d] @ [d, e]`.
    var foldsBatchIntoRows: Bool {
        !batch.dims.isEmpty && shapes.m != nil && shapes.bBatch.dims.allSatisfy { $0 == .fixed(1) }
    }

    /// The number of matrices in the batch, a runtime dim counted as 64 (`estimatedWork`).
    var estimatedCount: Int {
        batch.dims.reduce(1) { total, dim in
            if case .fixed(let size) = dim { return total.multipliedReportingOverflow(by: size).partialValue }
            return total.multipliedReportingOverflow(by: 64).partialValue
        }
    }
}

// MARK: - Register tiles

/// A product `C = A B` (either operand possibly a transpose read in place) as register
/// tiles: B is copied into panels of `registerTile.columns` columns, contiguous along the panel's
/// row (`xᵀ` and `Wᵀ` are thus read once, in place, and every later read is contiguous); for each
/// panel, each block of rows of A keeps its rows × columns accumulators in a tile of locals, with
/// k outermost inside the tile and the innermost loop contiguous over the panel's columns, which a
/// C compiler turns into vector registers. Rows left over after the last full block get a tile of
/// one row.
///
/// The tile's shape is the target's, not the compiler's: the loops name `tileRows` and, in a product
/// of more than 32 columns, `tileColumns` (the panel's width), which the C source defines with `#if`
/// on the vector extensions it is compiled for (`CPrinter.tileRowsMacro`: 8 rows of 32 floats are
/// 16 AVX-512 registers, but 32 of AVX2's 16, which would spill; AVX2 takes 4 rows of 24, 12
/// registers) and the Swift source with `#if arch`. A product of at most 32 columns is one panel of
/// 32 whatever the target, in tiles of `narrowTileRows` rows (as many accumulators as a wide tile:
/// 3 rows of 32 on AVX2). Each element's sum is the same whatever the shape.
///
/// Panels are independent: each packs its own columns and writes its own columns of C (with an
/// epilogue, its own columns of every member's buffer, reading other buffers only at those
/// elements), so the loop over panels of a large product is a parallel loop. Every element of C is summed over k in order from zero,
/// as the plain loops do, so the result is the same for any number of threads.
extension KernelLowering {
    /// A register tile's largest extent: rows of A by columns of B. A tile's rows are `tileRows`,
    /// at most `rows`; its locals are declared for `rows`, of which the compiler keeps the used ones.
    static let registerTile = (rows: 8, columns: 32)
    /// The name of the rows per register tile in the generated code, defined for the target.
    static let tileRowsName = "ADJOINT_TILE_ROWS"
    /// The name of the columns per panel of a product of more than `registerTile.columns` columns,
    /// defined for the target: one of `tileColumnChoices`.
    static let tileColumnsName = "ADJOINT_TILE_COLUMNS"
    /// The name of the rows per tile of a product of at most `registerTile.columns` columns (one
    /// panel of that many), defined for the target.
    static let narrowTileRowsName = "ADJOINT_NARROW_TILE_ROWS"
    /// The panel widths a target may choose. B's packed copy is sized for the one that rounds the
    /// columns up the most, so that the workspace does not depend on the target.
    static let tileColumnChoices = [8, 16, 24, 32]
    /// Register-tiled products with at least this many multiply-adds (a runtime dim counted as 64)
    /// run on several threads; below it a fork and join costs more than the threads share.
    static let registerTiledWork = 1 << 19
    /// Products with fewer multiply-adds than this keep the plain loops, where packing B does not
    /// pay for itself; from it up they take register tiles (on one thread up to
    /// `registerTiledWork`): the plain i-k-j loop stores a partial sum per multiply-add, which
    /// made S's small products (2¹³ to 2¹⁷ multiply-adds) three times slower. A product `A Bᵀ`
    /// takes register tiles at any size: its plain form, a dot product per element, is a serial
    /// sum that no compiler vectorizes.
    static let smallTiledWork = 1 << 12

    /// The sizes of a product worth register tiles: matrix by matrix, B's columns fixed.
    struct RegisterTiling {
        var m: Dim
        var k: Dim
        var n: Int
        /// Whether the product runs on several threads (a large product): its panels, or with a
        /// loop over the batch, its batch elements.
        var parallel: Bool
        /// The batch axes a loop runs over, each element with its own B (`[]` when B is the same
        /// for every batch index and the batch is folded into the rows).
        var batch: Shape
        /// Whether A is copied, tile by tile, into rows of `tileRows` elements contiguous along k
        /// before the product: a transposed matrix A (`xᵀ` of a weight gradient) read in place is
        /// `tileRows` elements per row of x, a whole row of x apart, and every panel reads all of
        /// them again. When x's rows are a multiple of 256 elements long (1 KiB of floats), they
        /// fall into a few sets of the L1 cache (4 KiB apart, at 1024 columns, all into one set of
        /// 12 lines) and evict each other: L's `h1ᵀ δ` on one Zen 5 core took 82 GFLOP/s read in
        /// place and 112 packed with AVX2, 231 and 235 with AVX-512; at 784 columns (`xᵀ δ` of M
        /// and L), whose rows spread over every set, packing gained nothing (110 either way). Only
        /// for several panels (more than 32 columns), where A is read once per panel.
        var packsA = false
        /// The stored row length, in elements, from which a transposed A is packed.
        static let packedAStride = 256
        /// The element count of B's packed copy: k by n rounded up to whole panels, for each
        /// element of the batch loop (so that batch elements can run on threads of their own).
        var packedShape: Shape { Shape(batch.dims + [k, .fixed(packedColumns)]) }
        /// Whether B is one panel of `registerTile.columns` columns on every target.
        var narrow: Bool { n <= KernelLowering.registerTile.columns }
        /// The columns of B's packed copy: whole panels, of the widest rounding a target may choose.
        var packedColumns: Int {
            let choices = narrow ? [KernelLowering.registerTile.columns] : KernelLowering.tileColumnChoices
            return choices.map { (n + $0 - 1) / $0 * $0 }.max()!
        }
    }

    func registerTiling(_ id: NodeID) -> RegisterTiling? {
        gemmSources(id) == nil ? Self.registerTiling(graph, id) : nil
    }

    /// The multiply-adds of a matrix-by-matrix product, a runtime dim counted as 64, saturating
    /// at `Int.max`: the size that decides register tiles, threads and (`--blas`) a CBLAS call.
    static func estimatedWork(_ graph: Graph, _ id: NodeID) -> Int {
        let indexing = MatmulIndexing(graph, id)
        func estimate(_ dim: Dim) -> Int { if case .fixed(let size) = dim { size } else { 64 } }
        var work = indexing.estimatedCount
        for dim in [indexing.shapes.m ?? .fixed(1), indexing.shapes.k, indexing.shapes.n ?? .fixed(1)] {
            let (product, overflow) = work.multipliedReportingOverflow(by: estimate(dim))
            if overflow { return .max }
            work = product
        }
        return work
    }

    static func registerTiling(_ graph: Graph, _ id: NodeID) -> RegisterTiling? {
        guard case .linearAlgebra(.matmul) = graph[id].op else { return nil }
        let (aShape, bShape) = (graph[graph[id].operands[0]].shape, graph[graph[id].operands[1]].shape)
        guard aShape.rank >= 2, bShape.rank >= 2, case .fixed(let n) = bShape.dims[bShape.rank - 1] else { return nil }
        let (m, k) = (aShape.dims[aShape.rank - 2], aShape.dims[aShape.rank - 1])
        let work = estimatedWork(graph, id)
        let large = work >= Self.registerTiledWork
        let dotProducts = isTransposedView(graph, graph[id].operands[1]) && !isTransposedView(graph, graph[id].operands[0])
        // From 8 columns: a 10-column B (a classifier's last layer) padded to a panel of 32 costs
        // three times its multiply-adds in vector lanes, still far faster than scalar loops.
        guard n >= Self.registerTile.columns / 4, work >= Self.smallTiledWork || dotProducts else { return nil }
        let indexing = MatmulIndexing(graph, id)
        var tiling = RegisterTiling(m: m, k: k, n: n, parallel: large, batch: indexing.foldsBatchIntoRows ? [] : indexing.batch)
        if case .fixed(let rows) = m, rows % RegisterTiling.packedAStride == 0, !tiling.narrow, aShape.rank == 2, bShape.rank == 2 {
            tiling.packsA = isTransposedView(graph, graph[id].operands[0])
        }
        return tiling
    }

    /// The storage of B when it is already in the packed layout, read there instead of copied: one
    /// panel of exactly `registerTile.columns` columns, a stored, untransposed matrix that no member
    /// of the product's nest writes (the product and its `epilogue`).
    func packedInPlace(_ id: NodeID, _ tiling: RegisterTiling, epilogue: [NodeID]) -> Storage? {
        let b = graph[id].operands[1]
        guard tiling.n == Self.registerTile.columns, tiling.batch.dims.isEmpty, graph[b].shape.rank == 2,
            !isTransposedView(b), let storage = leafStorage(b) ?? placement[b]
        else { return nil }
        switch storage {
        case .local, .output: return nil
        default: return ([id] + epilogue).contains { placement[$0] == storage } ? nil : storage
        }
    }

    mutating func tiledMatmulNest(_ id: NodeID, _ tiling: RegisterTiling, epilogue: [NodeID]) -> [Statement] {
        let (a, b) = (graph[id].operands[0], graph[id].operands[1])
        let rows = Self.registerTile.rows
        let (k, n) = (IntExpr(tiling.k), tiling.n)
        // A narrow product is one panel of 32 columns; a wide one has panels of the target's width.
        let narrow = tiling.narrow
        let columns: IntExpr = narrow ? .constant(Self.registerTile.columns) : .variable(Self.tileColumnsName)
        // Whether every panel is full: C's columns are a multiple of every width a target may take.
        let whole = narrow ? n == Self.registerTile.columns : Self.tileColumnChoices.allSatisfy { n % $0 == 0 }
        // Batch axes: folded into the rows when every batch index reads the same B (one packed
        // B, one long run of rows), else a loop around the whole product, each operand at its
        // own batch index.
        let indexing = MatmulIndexing(graph, id)
        let folded = indexing.foldsBatchIntoRows
        let batchIndex = folded ? indexing.batch.dims.map { _ in IntExpr.zero } : loopVariables(indexing.batch)
        let rowShape = Shape(indexing.batch.dims + [tiling.m])
        let m = folded ? IntExpr.count(rowShape) : IntExpr(tiling.m)
        /// A folded row's index on the batch axes and A's rows (the outermost needs no remainder:
        /// the row is below the count of all of them).
        func unflattened(_ row: IntExpr) -> [IntExpr] {
            var result: [IntExpr] = []
            var inner = IntExpr.one
            for (axis, dim) in rowShape.dims.enumerated().reversed() {
                let quotient = inner == .one ? row : .quotient(row, inner)
                result.append(dim == .fixed(1) ? .zero : axis == 0 ? quotient : .remainder(quotient, IntExpr(dim)))
                inner = inner * IntExpr(dim)
            }
            return result.reversed()
        }
        /// The buffer A's elements are stored in, row-major as A's shape, if it is one.
        let aBuffer: Storage? = {
            if let storage = leafStorage(a) { return storage }
            if case .leaf = graph[a].op { return nil }
            if let storage = placement[a], case .local = storage { return nil }
            return placement[a]
        }()
        /// A's element at `row` and column `p` (a folded row of a buffer at its offset).
        func aElement(_ row: IntExpr, _ p: IntExpr, _ body: inout [Statement]) -> ScalarExpr {
            guard folded else { return value(a, indexing.a(batchIndex, row, p), &body) }
            if let aBuffer { return .load(aBuffer, row * k + p) }
            return value(a, Array(unflattened(row).suffix(graph[a].shape.rank - 1)) + [p], &body)
        }
        /// Stores the product's element at `row` and `column`.
        func storeElement(_ row: IntExpr, _ column: IntExpr, _ element: ScalarExpr) -> [Statement] {
            guard folded else { return storeProduct(id, indexing.c(batchIndex, row, column), element, epilogue: epilogue) }
            if epilogue.isEmpty, let target = placement[id] { return [.store(target, row * .constant(n) + column, element)] }
            return storeProduct(id, unflattened(row) + [column], element, epilogue: epilogue)
        }
        let panels: IntExpr = narrow ? .one : .quotient(.constant(n - 1) + columns, columns)
        let inPlaceB = packedInPlace(id, tiling, epilogue: epilogue)
        let pack = inPlaceB ?? Storage.workspace(packSlots[id]!)
        let panelName = freshName()
        // A single panel needs no loop over panels.
        let panel = narrow ? IntExpr.zero : .variable(panelName)
        let firstColumn = columns * panel
        // The columns of this panel that C has: all of them but in a last, partial panel (C's
        // own n when it is the only panel, rather than `min(32, n)` spelled out in the C).
        let width =
            whole ? columns
            : narrow ? .constant(n) : .min(columns, .constant(n) + .constant(-1) * columns * panel)
        // Each element of a batch loop packs its own B after the others'.
        let packStart = folded ? IntExpr.zero : flatIndex(batchIndex, indexing.batch) * IntExpr.count(Shape([tiling.k, .fixed(tiling.packedColumns)]))
        func packed(_ p: IntExpr, _ column: IntExpr) -> IntExpr { packStart + (panel * k + p) * columns + column }

        // Pack: B[p, firstColumn + c] for each row p of the panel, zeros past C's last column.
        let (p, c) = (freshName(), freshName())
        var copy = newBody()
        let element = value(b, indexing.b(batchIndex, .variable(p), firstColumn + .variable(c)), &copy)
        copy.append(.store(pack, packed(.variable(p), .variable(c)), element))
        var columnLoops: [Statement] = [.loop(variable: c, start: .zero, end: width, step: 1, body: copy)]
        if !whole {
            columnLoops.append(
                .loop(variable: c, start: width, end: columns, step: 1,
                    body: [.store(pack, packed(.variable(p), .variable(c)), .literal(0))]))
        }
        var panelBody: [Statement] = inPlaceB == nil ? [.loop(variable: p, start: .zero, end: k, step: 1, body: columnLoops)] : []
        // A transposed B (`Wᵀ`) is read along its stored rows: a column of the panel at a time.
        if inPlaceB == nil, isTransposedView(b) {
            panelBody = [.loop(variable: c, start: .zero, end: width, step: 1, body: [.loop(variable: p, start: .zero, end: k, step: 1, body: copy)])]
            if !whole { panelBody.append(.loop(variable: p, start: .zero, end: k, step: 1, body: Array(columnLoops.dropFirst()))) }
        }

        // One tile of `height` rows from `firstRow` (`tileRows` or one): accumulate over k, then
        // store its columns.
        let tileRows = IntExpr.variable(narrow ? Self.narrowTileRowsName : Self.tileRowsName)
        let packedA: Storage? = tiling.packsA ? .workspace(packASlots[id]!) : nil
        func tile(_ firstRow: IntExpr, height: IntExpr, block: IntExpr? = nil) -> [Statement] {
            let accumulators = "acc\(id.index)"
            let single = height == .one
            let (zeroName, kName, rowName, columnName) = (freshName(), freshName(), freshName(), freshName())
            let (row, column, kIndex) = (single ? IntExpr.zero : .variable(rowName), IntExpr.variable(columnName), IntExpr.variable(kName))
            func rowLoop(_ body: [Statement]) -> [Statement] {
                single ? body : [.loop(variable: rowName, start: .zero, end: height, step: 1, body: body)]
            }
            let slot = row * columns + column
            var update = newBody()
            let x: ScalarExpr
            if let packedA, let block { x = .load(packedA, (block * k + kIndex) * tileRows + row) } else { x = aElement(firstRow + row, kIndex, &update) }
            let factor = "a\(id.index)"
            update.append(.define(factor, x))
            update.append(
                .loop(variable: columnName, start: .zero, end: columns, step: 1,
                    body: [.accumulate(.tile(accumulators), slot, .arithmetic(.multiply, .name(factor), .load(pack, packed(kIndex, column))))]))
            let store = storeElement(firstRow + row, firstColumn + column, .load(.tile(accumulators), slot))
            return [
                .declareTile(accumulators, count: (single ? 1 : rows) * Self.registerTile.columns),
                .loop(variable: zeroName, start: .zero, end: height * columns, step: 1,
                    body: [.store(.tile(accumulators), .variable(zeroName), .literal(0))]),
                .loop(variable: kName, start: .zero, end: k, step: 1, body: rowLoop(update)),
            ] + rowLoop([.loop(variable: columnName, start: .zero, end: width, step: 1, body: store)])
        }
        // Blocks of `tileRows` rows: block b holds rows b·tileRows up to (b + 1)·tileRows.
        let blockName = freshName()
        let blocks = IntExpr.quotient(m, tileRows)
        panelBody.append(
            .loop(variable: blockName, start: .zero, end: blocks, step: 1,
                body: tile(.variable(blockName) * tileRows, height: tileRows, block: .variable(blockName))))
        let leftoverName = freshName()
        panelBody.append(
            .loop(variable: leftoverName, start: blocks * tileRows, end: m, step: 1, body: tile(.variable(leftoverName), height: .one)))
        // A's full blocks, each k by `tileRows` (rows left over are read in place), before the
        // product (A has no batch axes).
        var packingA: [Statement] = []
        if let packedA {
            let (block, p, row) = (freshName(), freshName(), freshName())
            var copyA = newBody()
            let element = aElement(.variable(block) * tileRows + .variable(row), .variable(p), &copyA)
            copyA.append(.store(packedA, (.variable(block) * k + .variable(p)) * tileRows + .variable(row), element))
            let body: [Statement] = [.loop(variable: p, start: .zero, end: k, step: 1, body: [.loop(variable: row, start: .zero, end: tileRows, step: 1, body: copyA)])]
            packingA = [tiling.parallel ? .parallelLoop(variable: block, start: .zero, end: blocks, step: 1, body: body) : .loop(variable: block, start: .zero, end: blocks, step: 1, body: body)]
        }
        let product: [Statement]
        if narrow {
            product = panelBody
        } else if tiling.parallel && folded {
            product = [.parallelLoop(variable: panelName, start: .zero, end: panels, step: 1, body: panelBody)]
        } else {
            product = [.loop(variable: panelName, start: .zero, end: panels, step: 1, body: panelBody)]
        }
        if folded { return packingA + product }
        // A loop over the batch: its outermost loop on threads when the product is large (each
        // element packs its own B and writes its own matrices of C).
        let nest = loops(batchIndex, indexing.batch, product)
        guard tiling.parallel, nest.count == 1, case .loop(let variable, let start, let end, let step, let body) = nest[0] else { return packingA + nest }
        return packingA + [.parallelLoop(variable: variable, start: start, end: end, step: step, body: body)]
    }
}
