import Testing

@testable import AdjointIR

private let batch = Dim.runtime("batch")
private let heads = Dim.runtime("heads")
private func fixed(_ sizes: Int...) -> Shape { Shape(sizes.map(Dim.fixed)) }

/// `a @ b` as NumPy's `matmul` for ranks 1 to 4, and `transpose` as a permutation of axes: shape
/// rules and errors, evaluation by hand, and the permutation's attribute in the IR text.
@Suite struct BatchedMatmulIRTests {
    static let matmul = Op.linearAlgebra(.matmul)

    @Test(arguments: [
        (fixed(2, 3, 4, 5), fixed(2, 3, 5, 4), fixed(2, 3, 4, 4)),
        (fixed(2, 3, 4), fixed(4, 5), fixed(2, 3, 5)),
        (fixed(4), fixed(2, 4, 5), fixed(2, 5)),
        (fixed(2, 3, 4), fixed(4), fixed(2, 3)),
        (fixed(3, 4), fixed(2, 4, 5), fixed(2, 3, 5)),
        (fixed(2, 1, 3, 4), fixed(1, 2, 4, 3), fixed(2, 2, 3, 3)),
        (fixed(2, 3, 4), fixed(5, 1, 4, 2), fixed(5, 2, 3, 2)),
        (Shape([batch, .fixed(8), .fixed(16)]), fixed(16, 4), Shape([batch, .fixed(8), .fixed(4)])),
        (Shape([batch, heads, .fixed(8), .fixed(16)]), Shape([batch, heads, .fixed(16), .fixed(8)]), Shape([batch, heads, .fixed(8), .fixed(8)])),
        (Shape([batch, .fixed(1), .fixed(3), .fixed(4)]), Shape([.fixed(2), .fixed(4), .fixed(3)]), Shape([batch, .fixed(2), .fixed(3), .fixed(3)])),
        (Shape([.fixed(1), .fixed(3), .fixed(4)]), Shape([batch, .fixed(4), .fixed(3)]), Shape([batch, .fixed(3), .fixed(3)])),
    ] as [(Shape, Shape, Shape)])
    func batchAxesBroadcast(a: Shape, b: Shape, result: Shape) {
        #expect(Self.matmul.resultShape([a, b]) == .success(result))
    }

    @Test func errorsNameBothShapes() {
        // The contracted sizes: a's last, b's second to last.
        #expect(Self.matmul.resultShape([fixed(2, 3, 4), fixed(2, 5, 4)]) == .failure(.matmulInner(fixed(2, 3, 4), fixed(2, 5, 4))))
        #expect(Self.matmul.resultShape([fixed(4), fixed(2, 5, 4)]) == .failure(.matmulInner(fixed(4), fixed(2, 5, 4))))
        // Batch axes that do not broadcast: different sizes, or two different runtime dims.
        #expect(Self.matmul.resultShape([fixed(2, 3, 4), fixed(3, 4, 5)]) == .failure(.matmulBatch(fixed(2, 3, 4), fixed(3, 4, 5))))
        let (a, b) = (Shape([batch, .fixed(3), .fixed(4)]), Shape([heads, .fixed(4), .fixed(5)]))
        #expect(Self.matmul.resultShape([a, b]) == .failure(.matmulBatch(a, b)))
        let c = Shape([.fixed(2), .fixed(4), .fixed(5)])
        #expect(Self.matmul.resultShape([a, c]) == .failure(.matmulBatch(a, c)))
        // Ranks 1 to 4 only.
        #expect(Self.matmul.resultShape([.scalar, fixed(3)]) == .failure(.rank(operand: 0, needs: "rank 1 to 4", got: .scalar)))
        let five = fixed(1, 1, 1, 2, 3)
        #expect(Self.matmul.resultShape([fixed(3), five]) == .failure(.rank(operand: 1, needs: "rank 1 to 4", got: five)))
    }

    @Test func transposePermutesAxes() {
        func transpose(_ axes: [Int]) -> Op { .linearAlgebra(.transpose(axes: axes)) }
        let x = Shape([batch, .fixed(3), .fixed(4)])
        #expect(transpose([0, 2, 1]).resultShape([x]) == .success([batch, .fixed(4), .fixed(3)]))
        #expect(transpose([2, 0, 1]).resultShape([x]) == .success([.fixed(4), batch, .fixed(3)]))
        #expect(transpose([]).resultShape([x]) == .success([.fixed(4), .fixed(3), batch]))  // the built-in's "reversed"
        #expect(transpose([]).resultShape([.scalar]) == .success(.scalar))
        #expect(transpose([0]).resultShape([fixed(5)]) == .success(fixed(5)))
        #expect(transpose([0, 0, 1]).resultShape([x]) == .failure(.permutation([0, 0, 1], rank: 3)))
        #expect(transpose([0, 1]).resultShape([x]) == .failure(.permutation([0, 1], rank: 3)))
        #expect(transpose([0, 1, 3]).resultShape([x]) == .failure(.permutation([0, 1, 3], rank: 3)))
        // The checker makes the built-in's axes explicit for the operand's rank.
        #expect(transpose([]).normalizingAxis(forRank: 3) == transpose([2, 1, 0]))
        #expect(transpose([0, 2, 1]).normalizingAxis(forRank: 3) == transpose([0, 2, 1]))
    }

    @Test func transposeEvaluatesAsNumPy() {
        let a = Tensor(sizes: [2, 3, 4], scalars: (0..<24).map(Double.init))
        let t = Op.linearAlgebra(.transpose(axes: [1, 2, 0])).evaluate([a], dims: [:])
        #expect(t.sizes == [3, 4, 2])
        // t[j, k, i] = a[i, j, k]
        Tensor.forEachIndex([3, 4, 2]) { flat, index in
            let (j, k, i) = (index[0], index[1], index[2])
            #expect(t.scalars[flat] == a.scalars[(i * 3 + j) * 4 + k])
        }
        #expect(Op.linearAlgebra(.transpose(axes: [])).evaluate([a], dims: [:]) == Op.linearAlgebra(.transpose(axes: [2, 1, 0])).evaluate([a], dims: [:]))
    }

    /// By hand: [2, 1, 2] @ [2, 2] with B shared, and [2] @ [2, 2, 1] (a vector on the left).
    @Test func productsByHand() {
        let a = Tensor(sizes: [2, 1, 2], scalars: [1, 2, 3, 4])
        let b = Tensor(sizes: [2, 2], scalars: [1, 2, 3, 4])
        #expect(Self.matmul.evaluate([a, b], dims: [:]) == Tensor(sizes: [2, 1, 2], scalars: [7, 10, 15, 22]))
        let v = Tensor(sizes: [2], scalars: [1, -1])
        let columns = Tensor(sizes: [2, 2, 1], scalars: [5, 7, 1, 4])
        #expect(Self.matmul.evaluate([v, columns], dims: [:]) == Tensor(sizes: [2, 1], scalars: [-2, -3]))
        // Broadcast both ways: [2, 1, 1, 2] @ [1, 2, 2, 1] -> [2, 2, 1, 1]: each pair's dot product.
        let left = Tensor(sizes: [2, 1, 1, 2], scalars: [1, 0, 0, 1])
        let right = Tensor(sizes: [1, 2, 2, 1], scalars: [3, 4, 5, 6])
        #expect(Self.matmul.evaluate([left, right], dims: [:]) == Tensor(sizes: [2, 2, 1, 1], scalars: [3, 5, 4, 6]))
    }

    /// The permutation prints as `axes=[0,2,1]` and parses back to the same op; a batched product
    /// and its gradient's transposes round-trip through the text form.
    @Test func permutationsRoundTripThroughTheIRText() throws {
        var graph = Graph()
        let x = graph.add(.leaf(.input("x", [batch, .fixed(3), .fixed(4)])), [])
        let w = graph.add(.leaf(.param("W", fixed(1, 4, 5))), [])
        let swapped = graph.transpose(x, axes: [0, 2, 1])
        let reversed = graph.transpose(w)
        let product = graph.matmul(graph.transpose(swapped, axes: [0, 2, 1]), graph.transpose(reversed))
        graph.roots = [Graph.Root(name: "p", node: product), Graph.Root(name: "s", node: swapped), Graph.Root(name: "r", node: reversed)]
        let text = IRText.print(graph)
        #expect(text.contains("transpose axes=[0,2,1] %0 : [batch, 4, 3]"))
        #expect(text.contains("transpose axes=[2,1,0] %1 : [5, 4, 1]"))
        // transpose(transpose(x)) simplified away on both sides.
        #expect(graph[product].operands == [x, w])
        #expect(text.contains("matmul %0, %1 : [batch, 3, 5]"))
        let parsed = try IRText.parse(text)
        #expect(IRText.print(parsed) == text)
        #expect(parsed.nodes.map(\.op) == graph.nodes.map(\.op))
        #expect(throws: IRText.ParseError.self) { try IRText.parse("%0 = input x : [2, 3]\n%1 = transpose %0 : [3, 2]\n") }
        #expect(throws: IRText.ParseError.self) { try IRText.parse("%0 = input x : [2, 3]\n%1 = transpose axes=[0,x] %0 : [3, 2]\n") }
        #expect(throws: IRText.ParseError.self) { try IRText.parse("%0 = input x : [2, 3]\n%1 = transpose axes=[0,0] %0 : [2, 2]\n") }
    }

    @Test func theAxesAttribute() {
        let op = Op.linearAlgebra(.transpose(axes: [0, 2, 1]))
        #expect(op.attributes.map(\.irText) == ["axes=[0,2,1]"])
        #expect(op.attributes.map(\.keywordText) == ["axes = [0, 2, 1]"])
        #expect(Op.computation(mnemonic: "transpose", values: [("axes", .axes([0, 2, 1]))]) == op)
        #expect(Op.computation(mnemonic: "transpose", values: []) == nil)
        #expect(Op.computation(mnemonic: "transpose", values: [("axes", .number(1))]) == nil)
        #expect(Op.computation(mnemonic: "sum", values: [("axis", .axes([1]))]) == nil)
        // The default is every axis reversed, at the operand's rank.
        #expect(Op.linearAlgebra(.transpose(axes: [2, 1, 0])).attributes.allSatisfy { $0.isDefault(operandRank: 3) })
        #expect(!op.attributes.allSatisfy { $0.isDefault(operandRank: 3) })
    }
}
