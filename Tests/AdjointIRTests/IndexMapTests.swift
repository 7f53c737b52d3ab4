import Testing

@testable import AdjointIR

/// A view reads through its index map, and adding back through the same map is its adjoint:
/// <v, gather(u)> = <scatterAdd(v), u> for every u and v.
@Suite struct IndexMapTests {
    static let cases: [(IndexMap, [Int], [Int])] = [
        (.broadcast(from: [.fixed(3), .fixed(1)], to: [.fixed(2), .fixed(3), .fixed(4)]), [3, 1], [2, 3, 4]),
        (.broadcast(from: [.fixed(4)], to: [.fixed(3), .fixed(4)]), [4], [3, 4]),
        (.reshape(from: [.fixed(3)], to: [.fixed(3), .fixed(1)]), [3], [3, 1]),
        (.reshape(from: [.fixed(2), .fixed(3)], to: [.fixed(3), .fixed(2)]), [2, 3], [3, 2]),
        (.axes([1, 0]), [2, 3], [3, 2]),
    ]

    @Test(arguments: 0..<cases.count)
    func scatterAddIsTheAdjointOfGather(index: Int) {
        let (map, operandSizes, resultSizes) = Self.cases[index]
        let u = Tensor(sizes: operandSizes, scalars: (0..<operandSizes.reduce(1, *)).map { Double($0 * $0 % 7) - 3 })
        let v = Tensor(sizes: resultSizes, scalars: (0..<resultSizes.reduce(1, *)).map { Double($0 % 5) + 0.5 })
        let left = zip(v.scalars, u.gather(map, sizes: resultSizes).scalars).reduce(0) { $0 + $1.0 * $1.1 }
        let right = zip(v.scatterAdd(map, sizes: operandSizes).scalars, u.scalars).reduce(0) { $0 + $1.0 * $1.1 }
        #expect(left == right)
    }

    @Test func viewsEvaluateThroughTheirMaps() {
        let a = Tensor(sizes: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
        #expect(Op.linearAlgebra(.transpose(axes: [1, 0])).evaluate([a], dims: [:]) == Tensor(sizes: [3, 2], scalars: [1, 4, 2, 5, 3, 6]))
        #expect(a.broadcast(to: [2, 2, 3]).scalars == a.scalars + a.scalars)
        #expect(a.sum(to: [3]) == Tensor(sizes: [3], scalars: [5, 7, 9]))
        #expect(a.sum(to: [2, 1]) == Tensor(sizes: [2, 1], scalars: [6, 15]))
        #expect(IndexMap.reshape(from: [.fixed(2), .fixed(3)], to: [.fixed(1), .fixed(2), .fixed(3)]) == .axes([1, 2]))
        #expect(IndexMap.reshape(from: [.fixed(6)], to: [.fixed(2), .fixed(3)]) == .rowMajor)
    }

    /// Views read through their maps; `diag` (like `unslice`) writes through the map of the view
    /// it is the adjoint of.
    @Test func onlyViewsHaveIndexMaps() {
        let matrix: Shape = [.fixed(2), .fixed(3)]
        for op in Op.computations + [.structural(.broadcast(matrix)), .structural(.sumTo(matrix)), .structural(.reshape(matrix))] {
            let hasMap = op.indexMap(from: matrix, to: matrix) != nil
            #expect(hasMap == (op.lowering == .view || op.lowering == .scatter), "\(op)")
        }
    }
}
