import AdjointCodegen
import AdjointIR
import AdjointSema
import AdjointSyntax
import Testing

/// Programs with the constructs of language version 2 (int inputs, gathers, slices, concat,
/// tensor constants), built as checked programs while the parser does not read them yet: a
/// version 1 model whose placeholder inputs (`ph_...`) stand for the new values, checked, then
/// each placeholder value replaced by its typed expression.
struct ProgramBuilder {
    var program: CheckedProgram

    /// Parses and checks `text` (warnings allowed: placeholders and int inputs may look unused).
    init(_ text: String) throws {
        let (parsed, parse) = Parser.parse(SourceFile(path: "v2.adj", text: text))
        let (checked, diagnostics) = Checker.check(parsed)
        let errors = (parse + diagnostics).filter { $0.severity == .error }
        #expect(errors.isEmpty, "\(errors)")
        program = try #require(checked)
    }

    static let nowhere = SourceRange(start: 0, end: 0)

    /// A declared name as an expression.
    subscript(_ name: String) -> TypedExpr {
        if let input = program.inputs.first(where: { $0.name == name }) { return TypedExpr(.input(name), shape: input.shape, range: Self.nowhere) }
        if let param = program.params.first(where: { $0.name == name }) { return TypedExpr(.param(name), shape: param.shape, range: Self.nowhere) }
        if let value = program.values.first(where: { $0.name == name }) { return TypedExpr(.value(name), shape: value.shape, range: Self.nowhere) }
        if let constant = program.constants.first(where: { $0.name == name }), let tensor = constant.tensor {
            return TypedExpr(.tensorConstant(name), shape: tensor.shape, range: Self.nowhere)
        }
        preconditionFailure("no declaration \(name)")
    }

    /// Declares inputs `int`.
    mutating func int(_ names: String...) {
        for index in program.inputs.indices where names.contains(program.inputs[index].name) { program.inputs[index].element = .int }
    }

    /// Declares a tensor constant.
    mutating func constant(_ name: String, _ shape: Shape, _ pattern: ConstantPattern) {
        program.constants.append(CheckedProgram.ConstDecl(name: name, value: 0, range: Self.nowhere, tensor: (shape, pattern)))
    }

    /// Replaces a value's expression (of the same shape).
    mutating func set(_ name: String, _ expr: TypedExpr) {
        let index = program.values.firstIndex { $0.name == name }!
        #expect(program.values[index].shape == expr.shape, "\(name): \(expr.shape) for \(program.values[index].shape)")
        program.values[index].expr = expr
    }

    /// The program without its placeholder inputs.
    var built: CheckedProgram {
        var result = program
        result.inputs.removeAll { $0.name.hasPrefix("ph_") }
        return result
    }
}

/// `op` applied to operands, its shape from the op table.
func apply(_ op: Op, _ operands: TypedExpr...) -> TypedExpr {
    let shape = (try? op.resultShape(operands.map(\.shape)).get()) ?? .scalar
    return TypedExpr(.apply(op, operands), shape: shape, range: ProgramBuilder.nowhere)
}

func number(_ value: Double) -> TypedExpr { TypedExpr(.constant(value, name: nil), shape: .scalar, range: ProgramBuilder.nowhere) }

/// The models of the indexing tests, each with what it covers.
enum IndexingModels {
    static let batch = Dim.runtime("batch")

    /// `E[tokens]` (axis 0, ids of rank 2, repeated ids: 28 tokens over 10 rows) under sgd: the
    /// step scatters into E in place.
    static func embedding(vocabulary: Int = 10, dim: Int = 3, sequence: Int = 4, classes: Int = 2) throws -> CheckedProgram {
        var b = try ProgramBuilder(
            """
            dim batch
            input tokens: [batch, \(sequence)]
            input ph_e: [batch, \(sequence), \(dim)]
            input y: [batch, \(classes)]
            param E: [\(vocabulary), \(dim)] = normal(0, 1)
            param W: [\(dim), \(classes)]
            e = ph_e
            h = mean(e, axis = 1)
            out = h @ W
            output out
            minimize mse(out, y) using sgd(lr = 0.1)
            """)
        b.int("tokens")
        b.set("e", apply(.indexing(.take(axis: 0)), b["E"], b["tokens"]))
        return b.built
    }

    /// The embedding classifier of the step measurement: tokens [batch, 16] into E [vocabulary,
    /// 32], the mean over the sequence, dense 32 -> 4, softmax cross entropy on one-hot labels.
    static func embeddingClassifier(vocabulary: Int, rule: String = "sgd(lr = 0.1)") throws -> CheckedProgram {
        var b = try ProgramBuilder(
            """
            dim batch
            input tokens: [batch, 16]
            input labels: [batch]
            input ph_e: [batch, 16, 32]
            input ph_h: [batch, 4]
            param E: [\(vocabulary), 32] = normal(0, 1)
            param W: [32, 4]
            param b: [4]
            e = ph_e
            h = mean(e, axis = 1)
            logits = h @ W + b
            hot = ph_h
            minimize softmax_cross_entropy(logits, hot) using \(rule)
            """)
        b.int("tokens", "labels")
        b.set("e", apply(.indexing(.take(axis: 0)), b["E"], b["tokens"]))
        b.set("hot", apply(.indexing(.oneHot(.fixed(4), axis: 1)), b["labels"]))
        return b.built
    }

    /// `take(P, ids, axis = 1)` with ids of rank 2 and a fixed shape, under Adam (a dense step).
    static func takeAxis1() throws -> CheckedProgram {
        var b = try ProgramBuilder(
            """
            dim batch
            input ids: [2, 3]
            input ph_g: [4, 2, 3]
            input x: [batch, 4]
            input y: [batch, 2]
            param P: [4, 6]
            g = ph_g
            s = sum(g, axis = 2)
            out = x @ s
            output out
            minimize mse(out, y) + 0.01 * mean(P) using adam(lr = 0.01)
            """)
        b.int("ids")
        b.set("g", apply(.indexing(.take(axis: 1)), b["P"], b["ids"]))
        return b.built
    }

    /// `pick(log_softmax(logits), labels)`, `one_hot(labels, 5)` and `C[labels]` (ids of rank 1)
    /// under momentum.
    static func pickAndOneHot() throws -> CheckedProgram {
        var b = try ProgramBuilder(
            """
            dim batch
            input labels: [batch]
            input ph_p: [batch]
            input ph_h: [batch, 5]
            input ph_c: [batch, 3]
            input x: [batch, 4]
            param W: [4, 5]
            param b: [5]
            param C: [5, 3]
            logits = x @ W + b
            lp = log_softmax(logits)
            p = ph_p
            hot = ph_h
            c = ph_c
            ce = softmax_cross_entropy(logits, hot)
            output logits
            minimize ce - mean(p) + mean(c * c) using momentum(lr = 0.05, momentum = 0.9)
            """)
        b.int("labels")
        b.set("p", apply(.indexing(.pick(axis: 1)), b["lp"], b["labels"]))
        b.set("hot", apply(.indexing(.oneHot(.fixed(5), axis: 1)), b["labels"]))
        b.set("c", apply(.indexing(.take(axis: 0)), b["C"], b["labels"]))
        return b.built
    }

    /// `h[:, 0:3]`, `h[-1, 1:5:2]` (from the end of the runtime axis), `h[:, 4]` and the strided
    /// `x[:, 1::3]`; their gradients are unslices.
    static func slices() throws -> CheckedProgram {
        var b = try ProgramBuilder(
            """
            dim batch
            input x: [batch, 6]
            input ph_a: [batch, 3]
            input ph_b: [2]
            input ph_c: [batch]
            input ph_d: [batch, 2]
            param P: [6, 5]
            param Q: [2, 5]
            h = x @ P
            a = ph_a
            b = ph_b
            c = ph_c
            d = ph_d
            output a
            minimize mean(a * a) + sum(b) + mean(c * c) + mean(d @ Q) using sgd(lr = 0.1, weight_decay = 0.01)
            """)
        let all = AxisSlice.all(batch)
        b.set("a", apply(.indexing(.slice([all, AxisSlice(start: 0, count: .fixed(3))])), b["h"]))
        b.set("b", apply(.indexing(.slice([.index(-1, fromEnd: true), AxisSlice(start: 1, step: 2, count: .fixed(2))])), b["h"]))
        b.set("c", apply(.indexing(.slice([all, .index(4)])), b["h"]))
        b.set("d", apply(.indexing(.slice([all, AxisSlice(start: 1, step: 3, count: .fixed(2))])), b["x"]))
        return b.built
    }

    /// `concat([a, b], axis = 1)` (the last axis) and `concat([A, B, C], axis = 0)`.
    static func concat() throws -> CheckedProgram {
        var b = try ProgramBuilder(
            """
            dim batch
            input x: [batch, 3]
            input x2: [batch, 6]
            input y: [batch, 5]
            input ph_c: [batch, 5]
            input ph_d: [6, 4]
            param W1: [3, 2]
            param W2: [3, 3]
            param A: [2, 4]
            param B: [1, 4]
            param C: [3, 4]
            a = x @ W1
            b = tanh(x @ W2)
            c = ph_c
            d = ph_d
            output c
            minimize mse(c, y) + mean(square(x2 @ d)) + 0.01 * mean(b) using sgd(lr = 0.05)
            """)
        b.set("c", apply(.indexing(.concat(axis: 1, count: 2)), b["a"], b["b"]))
        b.set("d", apply(.indexing(.concat(axis: 0, count: 3)), b["A"], b["B"], b["C"]))
        return b.built
    }

    /// Ids through views and a concat of ints (`E[concat([a, b], axis = 1)]`, `V[a[:, 1]]`) and
    /// an int read by arithmetic (`a * 0.5`).
    static func intViews() throws -> CheckedProgram {
        var b = try ProgramBuilder(
            """
            dim batch
            input a: [batch, 2]
            input b: [batch, 3]
            input y: [batch, 2]
            input ph_e: [batch, 5, 3]
            input ph_v: [batch, 3]
            input ph_f: [batch, 2]
            param E: [8, 3]
            param V: [6, 3]
            param W: [3, 2]
            e = ph_e
            v = ph_v
            f = ph_f
            s = sum(e, axis = 1) + v
            out = s @ W
            output out
            minimize mse(out, y) + mean(f) using sgd(lr = 0.1)
            """)
        b.int("a", "b")
        b.set("e", apply(.indexing(.take(axis: 0)), b["E"], apply(.indexing(.concat(axis: 1, count: 2)), b["a"], b["b"])))
        b.set("v", apply(.indexing(.take(axis: 0)), b["V"], apply(.indexing(.slice([.all(batch), .index(1)])), b["a"])))
        b.set("f", apply(.arithmetic(.multiply), b["a"], number(0.5)))
        return b.built
    }

    /// Tensor constants: a table of values, `eye`, `tril`, `triu` and a fill.
    static func constants() throws -> CheckedProgram {
        var b = try ProgramBuilder(
            """
            dim batch
            input x: [batch, 3]
            input y: [batch, 3]
            input ph_1: [3, 3]
            input ph_2: [3, 3]
            input ph_3: [3, 3]
            input ph_4: [3, 3]
            param W: [3, 3]
            wl = ph_1
            wu = ph_2
            vi = ph_3
            ff = ph_4
            out = x @ wl + x @ vi
            output out
            minimize mse(out, y) + mean(wu) + mean(ff * ff) + 0.01 * mean(W) using sgd(lr = 0.1)
            """)
        let square = Shape([.fixed(3), .fixed(3)])
        b.constant("V", square, .values([0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, 0.9]))
        b.constant("L", square, .tril)
        b.constant("U", square, .triu)
        b.constant("I", square, .eye)
        b.constant("F", square, .fill(0.5))
        b.set("wl", apply(.arithmetic(.multiply), b["W"], b["L"]))
        b.set("wu", apply(.arithmetic(.multiply), b["W"], b["U"]))
        b.set("vi", apply(.arithmetic(.add), b["V"], b["I"]))
        b.set("ff", apply(.arithmetic(.multiply), b["F"], b["W"]))
        return b.built
    }

    /// Every model by name, and whether it has `int` inputs.
    static func all() throws -> [(name: String, program: CheckedProgram, ids: Bool)] {
        [
            ("embedding", try embedding(), true), ("take_axis1", try takeAxis1(), true), ("pick_one_hot", try pickAndOneHot(), true),
            ("slices", try slices(), false), ("concat", try concat(), false), ("int_views", try intViews(), true),
            ("constants", try constants(), false),
        ]
    }

    /// The kernel cases: every model in float and double at batch 7.
    static let cases: [KernelCase] = {
        guard let models = try? all() else { return [] }
        return [Precision.double, .float].flatMap { precision in
            models.map { model in
                KernelCase(
                    name: "v2_" + model.name, source: "v2 " + model.name, dims: ["batch": 7], precision: precision,
                    program: model.program, checksBadIds: model.ids)
            }
        }
    }()
}
