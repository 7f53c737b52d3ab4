import AdjointIR

/// Matrix products by a CBLAS (`adjoint compile --blas`): a large product whose operands are
/// buffers read in place becomes one `Statement.gemm`, which the C printer spells as
/// `cblas_sgemm` or `cblas_dgemm`. A transpose read in place (`xᵀ δ`, `δ Wᵀ`) is the stored
/// matrix with `CblasTrans` and its own row length as the leading dimension: no copy, no packed
/// panel, no workspace beyond the product itself. Every other product keeps the loops of
/// `matmulNest`, so small products do not pay a library call's overhead.
///
/// The BLAS decides the summation order and the threads (OpenBLAS: `OPENBLAS_NUM_THREADS`), so
/// unlike the generated loops its results may differ in the last bits between thread counts.
extension KernelLowering {
    /// Products with at least this many multiply-adds (a runtime dim counted as 64) call the
    /// BLAS: the same bound above which the generated loops run register tiles on several
    /// threads. The BLAS's own packing and threads pay for themselves there; below it, the call's
    /// overhead would.
    static let gemmWork = registerTiledWork

    /// A matrix operand as a CBLAS reads it: the node that holds its elements (a buffer leaf or a
    /// materialized node), and whether the product reads that buffer transposed.
    struct GemmSource {
        var base: NodeID
        var transposed: Bool
    }

    /// The operands of a product that `--blas` hands to a CBLAS, or nil when it keeps the loops:
    /// the option is off, the product is not matrix by matrix, it is small, or an operand is not a
    /// buffer read in place (a broadcast, a reshape of a transpose, a constant). Decided from the
    /// graph and the fusion plan alone, so the workspace allocation (before placement) and the
    /// nest agree.
    ///
    /// A batched A times a matrix B (`[batch, seq, d] @ [d, e]`) is one call whose rows are the
    /// batch axes and A's rows together, when A is a buffer read as stored (not transposed); every
    /// other batched product keeps the loops.
    func gemmSources(_ id: NodeID) -> (a: GemmSource, b: GemmSource)? {
        guard spec.options.blas, Self.isGemmSized(graph, id) else { return nil }
        guard let first = gemmSource(graph[id].operands[0]), let second = gemmSource(graph[id].operands[1]) else { return nil }
        if graph[graph[id].operands[0]].shape.rank > 2 && first.transposed { return nil }
        return (first, second)
    }

    /// Whether a node is a matrix-by-matrix product large enough for a CBLAS call. The fusion
    /// plan asks it too, without knowing yet which operands will be buffers: with `--blas` it
    /// fuses no epilogue into such a product, since the library writes the product itself.
    static func isGemmSized(_ graph: Graph, _ id: NodeID) -> Bool {
        guard case .linearAlgebra(.matmul) = graph[id].op else { return false }
        let (aShape, bShape) = (graph[graph[id].operands[0]].shape, graph[graph[id].operands[1]].shape)
        // B a matrix; A a matrix or a batch of them, folded into its rows.
        guard aShape.rank >= 2, bShape.rank == 2 else { return false }
        return estimatedWork(graph, id) >= gemmWork
    }

    /// Follows views down to the buffer an operand reads: a transpose flips the reading, a
    /// reshape keeps the row-major order (the same elements in the same places) unless a
    /// transpose lies above it, which a leading dimension cannot express.
    func gemmSource(_ operand: NodeID) -> GemmSource? {
        var (node, transposed, reshaped) = (operand, false, false)
        while true {
            // A leaf is read where it is (as `value` reads it), even when it is also delivered.
            if case .leaf = graph[node].op {
                return leafStorage(node) == nil ? nil : GemmSource(base: node, transposed: transposed)
            }
            // A materialized matrix lives in a buffer; a scalar would be a local.
            if plan.materialized.contains(node) {
                return graph[node].shape.isScalar ? nil : GemmSource(base: node, transposed: transposed)
            }
            switch graph[node].op {
            case .linearAlgebra(.transpose(let axes)):
                // A matrix's transpose only: a leading dimension cannot permute batch axes.
                guard !reshaped, axes == [1, 0] else { return nil }
                transposed.toggle()
            case .structural(.reshape):
                reshaped = true
            default:
                return nil
            }
            node = graph[node].operands[0]
        }
    }

    /// The product as one CBLAS call, or nil when it keeps the loops (`gemmSources`).
    func gemmNest(_ id: NodeID) -> [Statement]? {
        guard let (a, b) = gemmSources(id) else { return nil }
        let (aShape, bShape) = (graph[graph[id].operands[0]].shape, graph[graph[id].operands[1]].shape)
        func operand(_ source: GemmSource, _ shape: Shape) -> Gemm.Operand {
            let storage = leafStorage(source.base) ?? placement[source.base]!
            // The stored row length: op(X) is [rows, columns]; X itself is that, or its transpose.
            let leading = IntExpr(shape.dims[source.transposed ? 0 : shape.rank - 1])
            return Gemm.Operand(storage: storage, offset: .zero, leadingDimension: leading, transposed: source.transposed)
        }
        // A batch of A's rows folds into m.
        let (m, k, n) = (IntExpr.count(Shape(Array(aShape.dims.dropLast()))), IntExpr(aShape.dims[aShape.rank - 1]), IntExpr(bShape.dims[1]))
        let c = Gemm.Operand(storage: placement[id]!, offset: .zero, leadingDimension: n, transposed: false)
        return [.gemm(Gemm(m: m, n: n, k: k, a: operand(a, aShape), b: operand(b, bShape), c: c))]
    }
}
