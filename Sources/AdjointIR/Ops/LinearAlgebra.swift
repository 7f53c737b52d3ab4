/// Matrix products and permutations of axes.
public enum LinearAlgebra: Hashable, Sendable {
    /// `a @ b`, NumPy's `matmul` for ranks 1 to 4: the last two axes multiply and the leading
    /// (batch) axes broadcast, `[2, m, k] @ [k, n] -> [2, m, n]`, `[b, h, m, k] @ [b, h, k, n] ->
    /// [b, h, m, n]`; a vector on the left is one row and on the right one column, and that axis
    /// is dropped from the result: `[m, k] @ [k] -> [m]`, `[k] @ [2, k, n] -> [2, n]`, `[k] @ [k] -> []`.
    case matmul
    /// `transpose(a)` (every axis reversed), `transpose(a, axes = [0, 2, 1])` (NumPy's): result
    /// axis `i` is operand axis `axes[i]`. A view whose index map is the inverse permutation.
    /// The built-in function makes it with `axes` empty, "reversed", which the checker makes
    /// explicit for the operand's rank (`Op.normalizingAxis(forRank:)`); the graph builder
    /// (`Graph.transpose(_:axes:)`) always gives the axes.
    case transpose(axes: [Int])
    /// `diagonal(A)` of a square matrix `[n, n]`: the vector `[n]` of `A[i, i]` (version 2). A
    /// view whose one result axis both operand axes read (`IndexMap.axes([0, 0])`).
    case diagonal
    /// `diag(v)` of a vector `[n]`: the square matrix `[n, n]` with `v` on its diagonal and zeros
    /// elsewhere (version 2). The adjoint of `diagonal`: zeros, then `v` stored through its map,
    /// as `unslice` is a slice's.
    case diag

    /// Every op of the family, attributes at their defaults (a matrix's transpose).
    static let all: [LinearAlgebra] = [.matmul, .transpose(axes: [1, 0]), .diagonal, .diag]

    /// The permutation that reverses `rank` axes: `transpose(a)`.
    public static func reversedAxes(rank: Int) -> [Int] { Array((0..<rank).reversed()) }

    /// The permutation that swaps the last two of `rank` axes and keeps the leading (batch) axes:
    /// each matrix of a batch transposed, `[0, 2, 1]` at rank 3.
    public static func swappedLastAxes(rank: Int) -> [Int] {
        precondition(rank >= 2, "a matrix transpose needs rank 2 or more")
        return Array(0..<(rank - 2)) + [rank - 1, rank - 2]
    }

    /// The permutation that undoes `axes`: `inverse[axes[i]] = i`.
    public static func inverse(_ axes: [Int]) -> [Int] {
        var inverse = [Int](repeating: 0, count: axes.count)
        for (position, axis) in axes.enumerated() { inverse[axis] = position }
        return inverse
    }

    /// The spelling in model files.
    public var name: String {
        switch self {
        case .matmul: return "@"
        case .transpose: return "transpose"
        case .diagonal: return "diagonal"
        case .diag: return "diag"
        }
    }

    /// The name in the IR's text form (`@` is not a word there).
    var mnemonic: String {
        switch self {
        case .matmul: return "matmul"
        case .transpose: return "transpose"
        case .diagonal: return "diagonal"
        case .diag: return "diag"
        }
    }

    var arity: Int {
        switch self {
        case .matmul: return 2
        case .transpose, .diagonal, .diag: return 1
        }
    }

    func resultShape(_ operands: [Shape]) -> Result<Shape, ShapeError> {
        switch self {
        case .matmul:
            let (a, b) = (operands[0], operands[1])
            guard (1...Shape.maxRank).contains(a.rank) else { return .failure(.rank(operand: 0, needs: "rank 1 to 4", got: a)) }
            guard (1...Shape.maxRank).contains(b.rank) else { return .failure(.rank(operand: 1, needs: "rank 1 to 4", got: b)) }
            let product = MatmulShapes(a, b)
            // The contracted size: a's last, b's second to last (its only one for a vector).
            guard product.k == product.bK else { return .failure(.matmulInner(a, b)) }
            guard let batch = Shape.broadcast(product.aBatch, product.bBatch) else { return .failure(.matmulBatch(a, b)) }
            return .success(Shape(batch.dims + (product.m.map { [$0] } ?? []) + (product.n.map { [$0] } ?? [])))
        case .transpose(let axes):
            let a = operands[0]
            // Empty: the built-in function's "reversed", not yet made explicit for the rank.
            if axes.isEmpty { return .success(Shape(a.dims.reversed())) }
            guard axes.count == a.rank, axes.sorted() == Array(0..<a.rank) else {
                return .failure(.permutation(axes, rank: a.rank))
            }
            return .success(Shape(axes.map { a.dims[$0] }))
        case .diagonal:
            let a = operands[0]
            guard a.rank == 2, a.dims[0] == a.dims[1] else {
                return .failure(.rank(operand: 0, needs: "a square matrix (rank 2, equal sizes)", got: a))
            }
            return .success(Shape([a.dims[0]]))
        case .diag:
            let v = operands[0]
            guard v.rank == 1 else { return .failure(.rank(operand: 0, needs: "a vector (rank 1)", got: v)) }
            return .success(Shape([v.dims[0], v.dims[0]]))
        }
    }

    static var builtins: [Builtin] {
        [Builtin("transpose", [.tensor("a")]) { _ in .linearAlgebra(.transpose(axes: [])) }]
    }

    /// `diagonal(a)`, `diag(v)` and `trace(a)`, the sum of the diagonal (version 2).
    static var version2Builtins: [Builtin] {
        [
            Builtin("diagonal", [.tensor("a")]) { _ in .linearAlgebra(.diagonal) },
            Builtin("diag", [.tensor("v")]) { _ in .linearAlgebra(.diag) },
            Builtin("trace", [.tensor("a")], then: .reduction(.sum, axis: nil)) { _ in .linearAlgebra(.diagonal) },
        ]
    }

    /// `transpose(a, axes = [0, 2, 1])`: the version 1 built-in with a permutation, which only a
    /// version 2 list literal can write (the name stays reserved as in version 1).
    public static var permutingTranspose: ShapeBuiltin {
        ShapeBuiltin("transpose", [.init("a", .tensor), .init("axes", .axes)])
    }

    /// The op with a transpose's axes made explicit for an operand of `rank`.
    func normalizing(forRank rank: Int) -> LinearAlgebra {
        if case .transpose(let axes) = self, axes.isEmpty { return .transpose(axes: Self.reversedAxes(rank: rank)) }
        return self
    }
}

/// The parts of a product's operand shapes: the matrix sizes (nil for the side a vector drops)
/// and each operand's batch axes (those before its last two).
public struct MatmulShapes: Sendable {
    /// Rows of A, or nil when A is a vector.
    public var m: Dim?
    /// The contracted size as A has it (its last).
    public var k: Dim
    /// The contracted size as B has it (its second to last, or its only one).
    public var bK: Dim
    /// Columns of B, or nil when B is a vector.
    public var n: Dim?
    public var aBatch: Shape
    public var bBatch: Shape

    public init(_ a: Shape, _ b: Shape) {
        m = a.rank >= 2 ? a.dims[a.rank - 2] : nil
        k = a.dims[a.rank - 1]
        bK = b.rank >= 2 ? b.dims[b.rank - 2] : b.dims[0]
        n = b.rank >= 2 ? b.dims[b.rank - 1] : nil
        aBatch = Shape(Array(a.dims.dropLast(2)))
        bBatch = Shape(Array(b.dims.dropLast(2)))
    }
}

// MARK: - Reference evaluation
extension LinearAlgebra {
    func evaluate(_ operands: [Tensor]) -> Tensor {
        switch self {
        case .matmul: return Self.evaluateMatmul(operands[0], operands[1])
        case .transpose(let axes):
            let a = operands[0]
            let permutation = axes.isEmpty ? Self.reversedAxes(rank: a.rank) : axes
            return a.gather(indexMap(permutation), sizes: permutation.map { a.sizes[$0] })
        case .diagonal: return operands[0].gather(Self.diagonalMap, sizes: [operands[0].sizes[0]])
        case .diag: return operands[0].scatterAdd(Self.diagonalMap, sizes: [operands[0].sizes[0], operands[0].sizes[0]])
        }
    }

    /// One 2-D product per index of the broadcast batch axes; an operand reads its own batch
    /// element (index 0 on an axis of size 1 it stretches, none on an axis it lacks).
    private static func evaluateMatmul(_ a: Tensor, _ b: Tensor) -> Tensor {
        let m = a.rank >= 2 ? a.sizes[a.rank - 2] : 1
        let k = a.sizes[a.rank - 1]
        let n = b.rank >= 2 ? b.sizes[b.rank - 1] : 1
        let (aBatch, bBatch) = (Array(a.sizes.dropLast(2)), Array(b.sizes.dropLast(2)))
        let batchRank = max(aBatch.count, bBatch.count)
        // Aligned at the right: an absent axis has size 1.
        let aPadded = [Int](repeating: 1, count: batchRank - aBatch.count) + aBatch
        let bPadded = [Int](repeating: 1, count: batchRank - bBatch.count) + bBatch
        let batch = zip(aPadded, bPadded).map { Swift.max($0, $1) }
        // Each operand's stride per batch axis in matrices, 0 where it stretches.
        func matrixStrides(_ sizes: [Int]) -> [Int] {
            zip(Tensor.strides(sizes), sizes).map { stride, size in size == 1 ? 0 : stride }
        }
        let (aStrides, bStrides) = (matrixStrides(aPadded), matrixStrides(bPadded))
        var result = [Double](repeating: 0, count: batch.reduce(1, *) * m * n)
        Tensor.forEachIndex(batch) { flat, index in
            var (aMatrix, bMatrix) = (0, 0)
            for axis in 0..<batchRank {
                aMatrix += index[axis] * aStrides[axis]
                bMatrix += index[axis] * bStrides[axis]
            }
            let (aBase, bBase, cBase) = (aMatrix * m * k, bMatrix * k * n, flat * m * n)
            for i in 0..<m {
                for p in 0..<k {
                    let left = a.scalars[aBase + i * k + p]
                    for j in 0..<n { result[cBase + i * n + j] += left * b.scalars[bBase + p * n + j] }
                }
            }
        }
        let sizes = batch + (a.rank >= 2 ? [m] : []) + (b.rank >= 2 ? [n] : [])
        return Tensor(sizes: sizes, scalars: result)
    }
}

// MARK: - Derivative rules
extension LinearAlgebra {
    func vjp(_ g: inout Graph, operands: [NodeID], index: Int, cotangent c: NodeID) -> NodeID? {
        switch self {
        case .matmul:
            let (a, b) = (operands[0], operands[1])
            if g[a].shape.rank <= 2 && g[b].shape.rank <= 2 { return Self.matrixVJP(&g, a: a, b: b, index: index, cotangent: c) }
            return Self.batchedVJP(&g, a: a, b: b, index: index, cotangent: c)
        case .transpose(let axes):  // d/dA transpose(A, p) = transpose(C, p⁻¹)
            return g.transpose(c, axes: Self.inverse(axes.isEmpty ? Self.reversedAxes(rank: g[c].shape.rank) : axes))
        case .diagonal: return g.add(.linearAlgebra(.diag), [c])  // d/dA Aᵢᵢ: the cotangent back on the diagonal
        case .diag: return g.add(.linearAlgebra(.diagonal), [c])  // d/dv diag(v): the cotangent's diagonal
        }
    }

    /// y = a @ b for each combination of ranks 1 and 2; `index` picks the operand.
    private static func matrixVJP(_ g: inout Graph, a: NodeID, b: NodeID, index: Int, cotangent c: NodeID) -> NodeID? {
        let (aShape, bShape) = (g[a].shape, g[b].shape)
        switch (aShape.rank, bShape.rank, index) {
        case (2, 2, 0): return g.matmul(c, g.transpose(b))  // d/dA AB = C Bᵀ
        case (2, 2, _): return g.matmul(g.transpose(a), c)  // d/dB AB = Aᵀ C
        case (2, 1, 0):  // A[m,k] b[k]: d/dA = c bᵀ (an outer product)
            return g.matmul(g.reshape(c, to: [aShape.dims[0], .fixed(1)]), g.reshape(b, to: [.fixed(1), bShape.dims[0]]))
        case (2, 1, _): return g.matmul(g.transpose(a), c)  // d/db Ab = Aᵀ c
        case (1, 2, 0): return g.matmul(b, c)  // a[k] B[k,n]: d/da = B c
        case (1, 2, _):  // d/dB aᵀB = a cᵀ (an outer product)
            return g.matmul(g.reshape(a, to: [aShape.dims[0], .fixed(1)]), g.reshape(c, to: [.fixed(1), bShape.dims[1]]))
        case (_, _, 0): return g.times(c, b)  // a·b: d/da = c b
        default: return g.times(c, a)  // d/db a·b = c a
        }
    }

    /// y = a @ b with batch axes. A vector operand is first made a matrix as NumPy does (a row
    /// `[1, k]` on the left, a column `[k, 1]` on the right), and the cotangent given that axis
    /// back; each operand's cotangent is then summed over the batch axes it was broadcast along
    /// and the vector's axis dropped again.
    private static func batchedVJP(_ g: inout Graph, a: NodeID, b: NodeID, index: Int, cotangent c: NodeID) -> NodeID? {
        let (aShape, bShape) = (g[a].shape, g[b].shape)
        let shapes = MatmulShapes(aShape, bShape)
        let aMatrix = aShape.rank == 1 ? g.reshape(a, to: [.fixed(1), shapes.k]) : a
        let bMatrix = bShape.rank == 1 ? g.reshape(b, to: [shapes.bK, .fixed(1)]) : b
        let batch = Shape.broadcast(shapes.aBatch, shapes.bBatch)!
        let cMatrix = g.reshape(c, to: Shape(batch.dims + [shapes.m ?? .fixed(1), shapes.n ?? .fixed(1)]))
        func swapped(_ x: NodeID) -> NodeID { g.transpose(x, axes: swappedLastAxes(rank: g[x].shape.rank)) }
        if index == 0 {
            // d/dA A B = C̄ Bᵀ (each matrix of B transposed), summed to A's shape
            let full = g.matmul(cMatrix, swapped(bMatrix))
            return g.reshape(g.sum(full, to: g[aMatrix].shape), to: aShape)
        }
        // d/dB A B = Aᵀ C̄ (each matrix of A transposed), summed to B's shape
        let full = g.matmul(swapped(aMatrix), cMatrix)
        return g.reshape(g.sum(full, to: g[bMatrix].shape), to: bShape)
    }
}

// MARK: - Notation
extension LinearAlgebra {
    var sourceNotation: SourceNotation {
        switch self {
        case .matmul: return .infix(name, binding: .matrixProduct)
        case .transpose, .diagonal, .diag: return .call
        }
    }

    var mathNotation: MathNotation {
        switch self {
        case .matmul: return .matrixProduct
        // A matrix's transpose is `Aᵀ`; other permutations are a call with the axes.
        case .transpose(let axes): return axes == [1, 0] ? .transpose : .call
        case .diagonal, .diag: return .call
        }
    }
}

// MARK: - Attributes
extension LinearAlgebra {
    var attributes: [OpAttribute] {
        switch self {
        case .matmul, .diagonal, .diag: return []
        case .transpose(let axes): return [OpAttribute("axes", .axes(axes))]
        }
    }

    func setting(axes values: [String: [Int]]) -> LinearAlgebra {
        switch self {
        case .matmul, .diagonal, .diag: return self
        case .transpose(let axes): return .transpose(axes: values["axes"] ?? axes)
        }
    }
}

// MARK: - Lowering and cost
extension LinearAlgebra {
    var lowering: LoweringStrategy {
        switch self {
        case .matmul: return .matmul
        case .transpose, .diagonal: return .view
        case .diag: return .scatter
        }
    }

    func flops(_ operands: [Shape], result: Shape) -> FlopRule? {
        switch self {
        case .matmul:  // 2 flops per multiply-add: each result element is a sum over k
            let a = operands[0]
            return FlopRule(over: Shape(result.dims + [a.dims[a.rank - 1]]), perElement: 2)
        case .transpose, .diagonal, .diag: return nil
        }
    }
}

// MARK: - Index map
extension LinearAlgebra {
    /// The view's index map from an operand of rank `rank`.
    func indexMap(rank: Int) -> IndexMap? {
        switch self {
        case .transpose(let axes): return indexMap(axes.isEmpty ? Self.reversedAxes(rank: rank) : axes)
        // diag writes through the map of the diagonal it fills (as `unslice` through its slice's).
        case .diagonal, .diag: return Self.diagonalMap
        case .matmul: return nil
        }
    }

    /// A matrix's diagonal: both operand axes read the result's one axis, `A[i, i]`.
    static let diagonalMap = IndexMap.axes([0, 0])

    /// Operand axis `axes[i]` is read at result axis `i`: the inverse permutation.
    private func indexMap(_ axes: [Int]) -> IndexMap { .axes(Self.inverse(axes)) }
}
