import AdjointAutodiff
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Testing

/// The ops that read by integer ids (`take`, `pick`, `one_hot`, `scatter_add`): values by hand,
/// derivatives against central differences with the ids held fixed, and bad ids reported.
@Suite struct IndexingTests {
    private func fixed(_ sizes: [Int]) -> Shape { Shape(sizes.map { Dim.fixed($0) }) }

    private func tensor(_ sizes: [Int], _ scalars: [Double]) -> Tensor { Tensor(sizes: sizes, scalars: scalars) }

    // MARK: - Values by hand

    @Test func takeCopiesRowsAndRepeatsThem() {
        let table = tensor([3, 2], [1, 2, 3, 4, 5, 6])
        let ids = tensor([2, 2], [2, 0, 2, 1])
        let rows = Op.indexing(.take(axis: 0)).evaluate([table, ids], dims: [:])
        #expect(rows == tensor([2, 2, 2], [5, 6, 1, 2, 5, 6, 3, 4]))
        let columns = Op.indexing(.take(axis: 1)).evaluate([table, tensor([3], [1, 1, 0])], dims: [:])
        #expect(columns == tensor([3, 3], [2, 2, 1, 4, 4, 3, 6, 6, 5]))
    }

    @Test func scatterAddAccumulatesRepeatedIds() {
        let base = tensor([3, 2], [0, 0, 0, 0, 10, 10])
        let updates = tensor([3, 2], [1, 2, 3, 4, 5, 6])
        let ids = tensor([3], [2, 0, 2])
        let result = Op.indexing(.scatterAdd(axis: 0)).evaluate([base, updates, ids], dims: [:])
        #expect(result == tensor([3, 2], [3, 4, 0, 0, 16, 18]))
    }

    @Test func pickAndOneHot() {
        let logits = tensor([2, 3], [1, 2, 3, 4, 5, 6])
        let labels = tensor([2], [2, 0])
        #expect(Op.indexing(.pick(axis: 1)).evaluate([logits, labels], dims: [:]) == tensor([2], [3, 4]))
        #expect(Op.indexing(.pick(axis: 0)).evaluate([logits, tensor([3], [1, 0, 1])], dims: [:]) == tensor([3], [4, 2, 6]))
        let hot = Op.indexing(.oneHot(.fixed(3), axis: 1)).evaluate([labels], dims: [:])
        #expect(hot == tensor([2, 3], [0, 0, 1, 1, 0, 0]))
        let leading = Op.indexing(.oneHot(.fixed(3), axis: 0)).evaluate([labels], dims: [:])
        #expect(leading == tensor([3, 2], [0, 1, 0, 0, 1, 0]))
    }

    @Test func slicesAndConcatenation() {
        let x = tensor([3, 4], Array(0..<12).map(Double.init))
        // x[-1, ::2] on a runtime first axis: the last row, every other column.
        let slice = Op.indexing(.slice([.index(-1, fromEnd: true), AxisSlice(start: 0, step: 2, count: .fixed(2))]))
        #expect(slice.evaluate([x], dims: [:]) == tensor([2], [8, 10]))
        let middle = Op.indexing(.slice([AxisSlice(start: 1, count: .fixed(2)), AxisSlice(start: 1, count: .fixed(3))]))
        #expect(middle.evaluate([x], dims: [:]) == tensor([2, 3], [5, 6, 7, 9, 10, 11]))
        let back = Op.indexing(.unslice([AxisSlice(start: 1, count: .fixed(2)), .index(3)], fixed([3, 4])))
        #expect(back.evaluate([tensor([2], [7, 8])], dims: [:]).scalars == [0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 8])
        let joined = Op.indexing(.concat(axis: 1, count: 2)).evaluate([tensor([2, 1], [1, 2]), tensor([2, 2], [3, 4, 5, 6])], dims: [:])
        #expect(joined == tensor([2, 3], [1, 3, 4, 2, 5, 6]))
    }

    @Test func tensorConstantPatterns() {
        func value(_ pattern: ConstantPattern, _ sizes: [Int]) -> [Double] {
            Op.leaf(.tensorConstant("c", fixed(sizes), pattern)).evaluate([], dims: [:]).scalars
        }
        #expect(value(.eye, [3, 3]) == [1, 0, 0, 0, 1, 0, 0, 0, 1])
        #expect(value(.tril, [2, 3]) == [1, 0, 0, 1, 1, 0])
        #expect(value(.triu, [2, 2, 2]) == [1, 1, 0, 1, 1, 1, 0, 1])
        #expect(value(.values([1, 2, 3, 4]), [2, 2]) == [1, 2, 3, 4])
        #expect(value(.fill(0.5), [2]) == [0.5, 0.5])
    }

    // MARK: - Shape rules and element types

    @Test func shapeRules() throws {
        let table = fixed([10, 4])
        #expect(try Op.indexing(.take(axis: 0)).resultShape([table, [.runtime("batch"), .fixed(7)]]).get() == [.runtime("batch"), .fixed(7), .fixed(4)])
        #expect(try Op.indexing(.pick(axis: 1)).resultShape([[.runtime("batch"), .fixed(10)], [.runtime("batch")]]).get() == [.runtime("batch")])
        #expect((try? Op.indexing(.pick(axis: 1)).resultShape([[.runtime("batch"), .fixed(10)], [.fixed(10)]]).get()) == nil)
        #expect((try? Op.indexing(.slice([.index(10), .all(.fixed(4))])).resultShape([table]).get()) == nil)
        #expect((try? Op.indexing(.slice([AxisSlice(start: 8, step: 2, count: .fixed(2)), .all(.fixed(4))])).resultShape([table]).get()) == nil)
        #expect(try Op.indexing(.slice([AxisSlice(start: 7, step: 2, count: .fixed(2)), .index(3)])).resultShape([table]).get() == [.fixed(2)])
        // On an axis of runtime size only the whole axis, its first and its last element.
        let runtime: Shape = [.runtime("batch"), .fixed(4)]
        #expect((try? Op.indexing(.slice([.index(1), .all(.fixed(4))])).resultShape([runtime]).get()) == nil)
        #expect(try Op.indexing(.slice([.index(-1, fromEnd: true), .all(.fixed(4))])).resultShape([runtime]).get() == [.fixed(4)])
        #expect((try? Op.indexing(.concat(axis: 1, count: 2)).resultShape([fixed([2, 3]), fixed([3, 3])]).get()) == nil)
        #expect(try Op.indexing(.concat(axis: 0, count: 2)).resultShape([fixed([2, 3]), fixed([3, 3])]).get() == fixed([5, 3]))
    }

    @Test func integerElementsFlowThroughViewsOnly() {
        var graph = Graph()
        let tokens = graph.add(.leaf(.intInput("tokens", [.runtime("batch"), .fixed(6)])), [])
        let table = graph.add(.leaf(.param("E", fixed([100, 8]))), [])
        #expect(graph[tokens].element == .int)
        let sliced = graph.add(.indexing(.slice([.all(.runtime("batch")), AxisSlice(start: 1, count: .fixed(5))])), [tokens])
        #expect(graph[sliced].element == .int)
        let flat = graph.reshape(sliced, to: [.runtime("batch"), .fixed(5)])
        #expect(graph[flat].element == .int)
        let rows = graph.add(.indexing(.take(axis: 0)), [table, sliced])
        #expect(graph[rows].element == .real && graph[rows].shape == [.runtime("batch"), .fixed(5), .fixed(8)])
        let joined = graph.add(.indexing(.concat(axis: 1, count: 2)), [tokens, tokens])
        #expect(graph[joined].element == .int)
        let sum = graph.plus(tokens, tokens)
        #expect(graph[sum].element == .real)
    }

    @Test func textFormRoundTrips() throws {
        var graph = Graph()
        let tokens = graph.add(.leaf(.intInput("tokens", [.runtime("batch"), .fixed(6)])), [])
        let table = graph.add(.leaf(.param("E", fixed([100, 8]))), [])
        let mask = graph.add(.leaf(.tensorConstant("causal", fixed([6, 6]), .tril)), [])
        let weights = graph.add(.leaf(.tensorConstant("w", fixed([2]), .values([0.5, -1.25]))), [])
        let rows = graph.add(.indexing(.take(axis: 0)), [table, tokens])
        let last = graph.add(.indexing(.slice([.index(-1, fromEnd: true), .all(.fixed(6)), AxisSlice(start: 0, step: 2, count: .fixed(4))])), [rows])
        let back = graph.add(.indexing(.unslice([.index(-1, fromEnd: true), .all(.fixed(6)), AxisSlice(start: 0, step: 2, count: .fixed(4))], [.runtime("batch"), .fixed(6), .fixed(8)])), [last])
        let hot = graph.add(.indexing(.oneHot(.runtime("vocab"), axis: 2)), [tokens])
        let picked = graph.add(.indexing(.pick(axis: 1)), [mask, graph.add(.indexing(.slice([.index(0), .all(.fixed(6))])), [tokens])])
        let joined = graph.add(.indexing(.concat(axis: 0, count: 2)), [weights, weights])
        let scattered = graph.add(.indexing(.scatterAdd(axis: 0)), [table, rows, tokens])
        graph.roots = [back, hot, picked, joined, scattered].enumerated().map { Graph.Root(name: "r\($0.offset)", node: $0.element) }
        let text = IRText.print(graph)
        let parsed = try IRText.parse(text)
        #expect(parsed == graph, "\(text)")
        #expect(IRText.print(parsed) == text)
    }

    // MARK: - Derivatives with the ids held fixed

    /// L = Σ v ⊙ op(p, ids...) with p a param and the ids an int input.
    private func gradientMatchesDifferences(_ op: Op, params: [[Int]], ids: Tensor, idsPosition: Int) {
        var graph = Graph()
        var operands = params.enumerated().map { index, sizes in graph.add(.leaf(.param("p\(index)", fixed(sizes))), []) }
        let idsNode = graph.add(.leaf(.intInput("ids", fixed(ids.sizes))), [])
        operands.insert(idsNode, at: idsPosition)
        let y = graph.addRaw(op, operands)
        let v = graph.add(.leaf(.input("v", graph[y].shape)), [])
        let loss = graph.reduce(.sum, graph.times(v, y), axis: nil)
        graph.roots = [Graph.Root(name: "L", node: loss)]
        let forward = ForwardGraph(
            graph: graph, params: params.indices.map { ("p\($0)", operands[$0 < idsPosition ? $0 : $0 + 1]) },
            inputs: [("ids", idsNode), ("v", v)], loss: loss, valueNames: [:])
        let program = ReverseMode.differentiate(forward)
        var random = TestRandom(state: 7)
        var bindings: [String: Tensor] = ["ids": ids, "v": random.tensor(graph[y].shape.sizes([:]), -1, 1)]
        for (index, sizes) in params.enumerated() { bindings["p\(index)"] = random.tensor(sizes, -2, 2) }
        let reverse = Interpreter.roots(program.graph, bindings: bindings, dims: [:])
        let h = 1e-6
        for index in params.indices {
            let name = "p\(index)"
            var differences: [Double] = []
            for element in 0..<bindings[name]!.count {
                var plus = bindings
                var minus = bindings
                plus[name]!.scalars[element] += h
                minus[name]!.scalars[element] -= h
                let up = Interpreter.roots(forward.graph, bindings: plus, dims: [:])["L"]!.scalar
                let down = Interpreter.roots(forward.graph, bindings: minus, dims: [:])["L"]!.scalar
                differences.append((up - down) / (2 * h))
            }
            let gradient = reverse["∂L/∂\(name)"]!.scalars
            #expect(relativeError(gradient, differences) <= 1e-7, "\(op) \(name): \(gradient) vs \(differences)")
        }
    }

    @Test func takeGradientScattersWithAddition() {
        gradientMatchesDifferences(.indexing(.take(axis: 0)), params: [[4, 3]], ids: tensor([2, 3], [1, 3, 1, 0, 1, 3]), idsPosition: 1)
        gradientMatchesDifferences(.indexing(.take(axis: 1)), params: [[2, 4, 2]], ids: tensor([3], [3, 3, 0]), idsPosition: 1)
    }

    @Test func pickGradientLandsOnThePickedPosition() {
        gradientMatchesDifferences(.indexing(.pick(axis: 1)), params: [[3, 4]], ids: tensor([3], [0, 3, 3]), idsPosition: 1)
        gradientMatchesDifferences(.indexing(.pick(axis: 0)), params: [[3, 2, 2]], ids: tensor([2, 2], [2, 0, 1, 1]), idsPosition: 1)
    }

    @Test func scatterAddGradientGoesToBaseAndTakenUpdates() {
        gradientMatchesDifferences(.indexing(.scatterAdd(axis: 0)), params: [[4, 2], [3, 2]], ids: tensor([3], [2, 2, 0]), idsPosition: 2)
    }

    @Test func badIdsAreReportedWithTheirInput() throws {
        var graph = Graph()
        let tokens = graph.add(.leaf(.intInput("tokens", fixed([2, 3]))), [])
        let table = graph.add(.leaf(.param("E", fixed([5, 2]))), [])
        let rows = graph.add(.indexing(.take(axis: 0)), [table, tokens])
        graph.roots = [Graph.Root(name: "rows", node: rows)]
        let bindings = ["tokens": tensor([2, 3], [0, 4, 1, 2, 5, 3]), "E": tensor([5, 2], Array(repeating: 1, count: 10))]
        #expect(throws: BadId(input: "tokens", isInputPosition: true, position: [1, 1], value: 5, bound: 5)) {
            try Interpreter.checkedEvaluate(graph, bindings: bindings, dims: [:])
        }
        let error = BadId(input: "tokens", isInputPosition: true, position: [1, 1], value: 5, bound: 5)
        #expect(error.description == "tokens[1, 1] is 5, outside 0..<5")
        var good = bindings
        good["tokens"]!.scalars[4] = 4
        #expect(Interpreter.badId(graph, values: Interpreter.evaluate(graph, bindings: good, dims: [:]), dims: [:]) == nil)
    }
}
