import Testing

@testable import AdjointIR

private let batch = Dim.runtime("batch")
private let other = Dim.runtime("n")

@Suite struct ShapeRuleTests {
    @Test func broadcastingFollowsNumPy() {
        #expect(Shape.broadcast([batch, .fixed(32)], [.fixed(32)]) == [batch, .fixed(32)])
        #expect(Shape.broadcast([.fixed(3), .fixed(1)], [.fixed(1), .fixed(4)]) == [.fixed(3), .fixed(4)])
        #expect(Shape.broadcast([], [.fixed(2), .fixed(5)]) == [.fixed(2), .fixed(5)])
        #expect(Shape.broadcast([batch, .fixed(1)], [.fixed(1), .fixed(7)]) == [batch, .fixed(7)])
        #expect(Shape.broadcast([.fixed(1)], [batch]) == [batch])
        #expect(Shape.broadcast([batch, .fixed(32)], [.fixed(10)]) == nil)
        #expect(Shape.broadcast([batch], [other]) == nil)
        #expect(Shape.broadcast([batch], [.fixed(3)]) == nil)
    }

    @Test func arithmeticReportsBothShapes() {
        let result = Op.arithmetic(.add).resultShape([[batch, .fixed(32)], [.fixed(10)]])
        #expect(result == .failure(.cannotBroadcast([batch, .fixed(32)], [.fixed(10)])))
    }

    @Test(arguments: [
        ([batch, .fixed(64)], [.fixed(64), .fixed(32)], [batch, .fixed(32)]),
        ([.fixed(3), .fixed(4)], [.fixed(4)], [.fixed(3)]),
        ([.fixed(4)], [.fixed(4), .fixed(5)], [.fixed(5)]),
        ([.fixed(4)], [.fixed(4)], []),
    ] as [(Shape, Shape, Shape)])
    func matmulRankCases(a: Shape, b: Shape, result: Shape) {
        #expect(Op.linearAlgebra(.matmul).resultShape([a, b]) == .success(result))
    }

    @Test func matmulErrors() {
        let matmul = Op.linearAlgebra(.matmul)
        #expect(matmul.resultShape([[batch, .fixed(64)], [.fixed(32), .fixed(10)]]) == .failure(.matmulInner([batch, .fixed(64)], [.fixed(32), .fixed(10)])))
        #expect(matmul.resultShape([[], [.fixed(3)]]) == .failure(.rank(operand: 0, needs: "rank 1 to 4", got: [])))
        #expect(matmul.resultShape([[.fixed(3)], []]) == .failure(.rank(operand: 1, needs: "rank 1 to 4", got: [])))
    }

    @Test func transposeReversesARank2Shape() {
        #expect(Op.linearAlgebra(.transpose(axes: [1, 0])).resultShape([[batch, .fixed(3)]]) == .success([.fixed(3), batch]))
        #expect(Op.linearAlgebra(.transpose(axes: [1, 0])).resultShape([[.fixed(3)]]) == .failure(.permutation([1, 0], rank: 1)))
    }

    @Test func reductionsRemoveTheirAxis() {
        let shape: Shape = [batch, .fixed(3), .fixed(5)]
        #expect(Op.reduction(.sum, axis: nil).resultShape([shape]) == .success(.scalar))
        #expect(Op.reduction(.mean, axis: 1).resultShape([shape]) == .success([batch, .fixed(5)]))
        #expect(Op.reduction(.logsumexp, axis: -1).resultShape([shape]) == .success([batch, .fixed(3)]))
        #expect(Op.reduction(.sum, axis: -3).resultShape([shape]) == .success([.fixed(3), .fixed(5)]))
        #expect(Op.reduction(.sum, axis: 3).resultShape([shape]) == .failure(.axis(3, rank: 3)))
        #expect(Op.reduction(.sum, axis: -4).resultShape([shape]) == .failure(.axis(-4, rank: 3)))
        #expect(Op.reduction(.sum, axis: 0).resultShape([.scalar]) == .failure(.axis(0, rank: 0)))
    }

    @Test func normalizersKeepTheShape() {
        #expect(Op.normalizer(.softmax, axis: -1).resultShape([[batch, .fixed(10)]]) == .success([batch, .fixed(10)]))
        #expect(Op.normalizer(.logSoftmax, axis: 2).resultShape([[batch, .fixed(10)]]) == .failure(.axis(2, rank: 2)))
    }

    @Test func negativeAxesAreNormalized() {
        #expect(Op.reduction(.sum, axis: -1).normalizingAxis(forRank: 2) == .reduction(.sum, axis: 1))
        #expect(Op.normalizer(.softmax, axis: -2).normalizingAxis(forRank: 2) == .normalizer(.softmax, axis: 0))
        #expect(Op.reduction(.sum, axis: nil).normalizingAxis(forRank: 2) == .reduction(.sum, axis: nil))
    }

    @Test func elementwiseKeepsTheShape() {
        let shape: Shape = [batch, .fixed(7)]
        for name in ["exp", "log", "sqrt", "abs", "square", "sin", "cos", "tanh", "sigmoid", "relu", "softplus", "leaky_relu"] {
            let op = Builtin.all[name]!.makeOp(["slope": 0.2])
            #expect(op.resultShape([shape]) == .success(shape), "\(name)")
        }
        #expect(Op.elementwise(.negate).resultShape([shape]) == .success(shape))
    }

    @Test func lossesNeedEqualShapesAndGiveScalars() {
        let shape: Shape = [batch, .fixed(10)]
        for name in ["mse", "sse", "cross_entropy", "softmax_cross_entropy", "binary_cross_entropy", "sigmoid_binary_cross_entropy", "huber"] {
            let op = Builtin.all[name]!.makeOp(["delta": 1])
            #expect(op.resultShape([shape, shape]) == .success(.scalar), "\(name)")
            #expect(op.resultShape([shape, [batch, .fixed(1)]]) == .failure(.shapesDiffer(shape, [batch, .fixed(1)])), "\(name)")
        }
        #expect(Op.loss(.mse).resultShape([.scalar, .scalar]) == .success(.scalar))
        #expect(Op.loss(.crossEntropy).resultShape([.scalar, .scalar]) == .failure(.rank(operand: 0, needs: "rank 1 or more (rows along the last axis)", got: .scalar)))
    }

    @Test func builtinCatalogCoversTheLanguage() {
        let expected = [
            "abs", "binary_cross_entropy", "cos", "cross_entropy", "exp", "huber", "leaky_relu", "log", "log_softmax",
            "logsumexp", "max", "mean", "min", "mse", "relu", "sigmoid", "sigmoid_binary_cross_entropy", "sin",
            "softmax", "softmax_cross_entropy", "softplus", "sqrt", "square", "sse", "sum", "tanh", "transpose",
        ]
        #expect(Builtin.names == expected)
        #expect(Builtin.all["softmax"]!.makeOp(["axis": -1]) != Builtin.all["softmax"]!.makeOp(["axis": 0]))
        #expect(Builtin.all["leaky_relu"]!.arityDescription == "1 to 2 arguments (a, slope)")
    }

    @Test func elementCountDetectsOverflow() {
        #expect(Shape([.fixed(1 << 40), .fixed(1 << 30)]).fixedElementCount == nil)
        #expect(Shape([batch, .fixed(64)]).fixedElementCount == 64)
    }
}
