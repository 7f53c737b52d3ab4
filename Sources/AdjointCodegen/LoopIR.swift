import AdjointIR

/// The loop IR between the tensor graph and the printers: loop nests with static bounds (runtime
/// dims as variables), scalar statements, reductions into named totals, and buffers of known
/// sizes. Every decision (what is fused, where a buffer lives, the loop order, tiling) is made by
/// the lowering; a printer only spells what it is given, so the C and Swift printers agree.

/// An integer expression: an index, a loop bound or a buffer size. Runtime dims are variables.
public indirect enum IntExpr: Hashable, Sendable {
    /// `64`
    case constant(Int)
    /// A loop variable.
    case variable(String)
    /// A runtime dim (a kernel argument).
    case dim(String)
    /// `a + b + ...`
    case sum([IntExpr])
    /// `a * b * ...`
    case product([IntExpr])
    /// Integer division (the un-flattening of a general reshape).
    case quotient(IntExpr, IntExpr)
    /// The remainder of integer division (the un-flattening of a general reshape).
    case remainder(IntExpr, IntExpr)
    /// The smaller of two (a tile's end).
    case min(IntExpr, IntExpr)
    /// Rounded up to a multiple of a constant (a workspace slot's start stays 64-byte aligned).
    case roundedUp(IntExpr, Int)
    /// An element of an `int` buffer (an `int32_t` input): an id, used as an index as it is
    /// (`tokens[i0 * 16 + i1]`), never converted through `real`.
    case element(Storage, IntExpr)
    /// `a OP b ? c : d`, only the chosen branch evaluated: which operand of a `concat` of `int`
    /// tensors an index falls in.
    case select(IntComparison, IntExpr, IntExpr, IntExpr, IntExpr)

    public static let zero = IntExpr.constant(0)
    public static let one = IntExpr.constant(1)

    /// `a + b`, folding constants and zeros.
    public static func + (a: IntExpr, b: IntExpr) -> IntExpr {
        switch (a, b) {
        case (.constant(0), _): return b
        case (_, .constant(0)): return a
        case (.constant(let x), .constant(let y)): return .constant(x + y)
        case (.sum(let xs), .sum(let ys)): return .sum(xs + ys)
        case (.sum(let xs), _): return .sum(xs + [b])
        case (_, .sum(let ys)): return .sum([a] + ys)
        default: return .sum([a, b])
        }
    }

    /// `a * b`, folding constants, ones and zeros.
    public static func * (a: IntExpr, b: IntExpr) -> IntExpr {
        switch (a, b) {
        case (.constant(0), _), (_, .constant(0)): return .zero
        case (.constant(1), _): return b
        case (_, .constant(1)): return a
        case (.constant(let x), .constant(let y)): return .constant(x * y)
        case (.product(let xs), .product(let ys)): return .product(xs + ys)
        case (.product(let xs), _): return .product(xs + [b])
        case (_, .product(let ys)): return .product([a] + ys)
        default: return .product([a, b])
        }
    }

    /// The size a dim stands for.
    public init(_ dim: Dim) {
        switch dim {
        case .fixed(let size): self = .constant(size)
        case .runtime(let name): self = .dim(name)
        }
    }

    /// The number of elements of a shape.
    public static func count(_ shape: Shape) -> IntExpr { shape.dims.reduce(IntExpr.one) { $0 * IntExpr($1) } }

    /// The value when every runtime dim is known.
    public func evaluate(_ dims: [String: Int]) -> Int {
        switch self {
        case .constant(let value): return value
        case .variable(let name): preconditionFailure("internal error: loop variable \(name) has no value here")
        case .dim(let name): return dims[name] ?? 0
        case .sum(let terms): return terms.reduce(0) { $0 + $1.evaluate(dims) }
        case .product(let factors): return factors.reduce(1) { $0 * $1.evaluate(dims) }
        case .quotient(let a, let b): return a.evaluate(dims) / b.evaluate(dims)
        case .remainder(let a, let b): return a.evaluate(dims) % b.evaluate(dims)
        case .min(let a, let b): return Swift.min(a.evaluate(dims), b.evaluate(dims))
        case .roundedUp(let a, let multiple): return (a.evaluate(dims) + multiple - 1) / multiple * multiple
        case .element: preconditionFailure("internal error: an id has no value before the kernel runs")
        case .select(let comparison, let a, let b, let c, let d):
            return comparison.holds(a.evaluate(dims), b.evaluate(dims)) ? c.evaluate(dims) : d.evaluate(dims)
        }
    }
}

/// A comparison of two integer expressions, in a selection (`IntExpr.select`,
/// `ScalarExpr.select`).
public enum IntComparison: String, Hashable, Sendable {
    case equal = "=="
    case less = "<"
    case lessEqual = "<="

    /// Whether `a OP b`.
    public func holds(_ a: Int, _ b: Int) -> Bool {
        switch self {
        case .equal: return a == b
        case .less: return a < b
        case .lessEqual: return a <= b
        }
    }
}

/// Where a buffer's elements live.
public enum Storage: Hashable, Sendable {
    /// A param, in the params struct (`p->W1`).
    case param(String)
    /// A param's gradient, in the grads struct (`g->W1`).
    case gradient(String)
    /// An update rule's state slot, in the state struct (`s->m_W1`).
    case state(String)
    /// An input, a kernel argument.
    case input(String)
    /// An output of `predict`, a caller-owned kernel argument.
    case output(String)
    /// An `int` output of `predict` (`int32_t *best`, version 2): a store converts the real
    /// position to the integer.
    case intOutput(String)
    /// A slot of the caller's workspace, by index; the kernel's `Workspace` says where it starts.
    case workspace(Int)
    /// A scalar kept in a local variable of the kernel (scalar intermediates, the loss).
    case local(String)
    /// A small array local to the loop body that declares it (`.declareTile`): a matrix
    /// product's register tile of accumulators, which the compiler keeps in vector registers.
    case tile(String)
    /// A tensor constant's table of elements (`const w: [2, 2] = [[1, 2], [3, 4]]`): a
    /// `static const real` array in C, a `static let` array in Swift.
    case constant(String)
}

/// A scalar expression, evaluated once per iteration of the loops around it.
public indirect enum ScalarExpr: Hashable, Sendable {
    /// A number of the element type.
    case literal(Double)
    /// Element `index` of a buffer (a local scalar ignores the index).
    case load(Storage, IntExpr)
    /// A name bound by `.define` or `.declare`.
    case name(String)
    /// An integer expression as a real number (`batch` as a divisor).
    case integer(IntExpr)
    /// The update rule's step count `t` plus `offset` (`t + 1`, the count after this update), as
    /// a real number: the sum taken in the integer count, then converted, so that it stays exact
    /// where the element type's `(float)t + 1` would stop counting (at 2^24 in float).
    case stepCount(offset: Int)
    /// Element `index` (row-major) of a draw from the counter-based stream at the kernel's seed
    /// and step (`RandomDraw.element`), computed in double where it is read: nothing is stored.
    case draw(RandomDraw, IntExpr)
    /// An elementwise op of the op table, on a name, a literal or a load (its spelling may use
    /// the operand twice).
    case elementwise(Elementwise, ScalarExpr)
    /// A binary op of the op table, on names, literals or loads.
    case arithmetic(Arithmetic, ScalarExpr, ScalarExpr)
    /// A math function the lowering itself needs (the running maximum, `exp(x − m)`).
    case call(MathFunction, [ScalarExpr])
    /// One summand of a loss; `logSumExp` only for `softmax_cross_entropy`.
    case lossTerm(Loss, ScalarExpr, ScalarExpr, logSumExp: ScalarExpr?)
    /// logsumexp from the largest element and the shifted sum of exponentials.
    case logSumExp(largest: ScalarExpr, shiftedSum: ScalarExpr)
    /// One element of a normalizer, given its slice's logsumexp.
    case normalizer(Normalizer, ScalarExpr, logSumExp: ScalarExpr)
    /// `a OP b ? x : y` on integer expressions (loop indices, ids): `one_hot`, `eye`, `tril`,
    /// `triu`. Both branches are names, literals or loads.
    case select(IntComparison, IntExpr, IntExpr, ScalarExpr, ScalarExpr)
}

/// A statement of a kernel body.
public indirect enum Statement: Hashable, Sendable {
    /// A comment: the formula a loop nest computes, one line per value it delivers.
    case comment(String)
    /// `for (var = start; var < end; var += step) { body }`.
    case loop(variable: String, start: IntExpr, end: IntExpr, step: Int, body: [Statement])
    /// A loop whose iterations are independent (each writes its own elements, and no element's
    /// summation order depends on how iterations are shared), so a printer may run them on
    /// several threads: C with `#pragma omp parallel for` when compiled with OpenMP, serial and
    /// with the same result otherwise. The lowering emits it only for nests worth a thread.
    case parallelLoop(variable: String, start: IntExpr, end: IntExpr, step: Int, body: [Statement])
    /// `real name[count];`: an uninitialized tile (`Storage.tile`) of the enclosing loop body.
    case declareTile(String, count: Int)
    /// An immutable scalar: `const real name = value;`.
    case define(String, ScalarExpr)
    /// A mutable scalar (a running total): `real name = value;`.
    case declare(String, ScalarExpr)
    /// `name = value;` for a declared scalar.
    case assign(String, ScalarExpr)
    /// `buffer[index] = value;` (a local scalar ignores the index).
    case store(Storage, IntExpr, ScalarExpr)
    /// `buffer[index] += value;`.
    case accumulate(Storage, IntExpr, ScalarExpr)
    /// The step count after the update, counted in the integer: `s->t += 1;`.
    case incrementStepCount
    /// `C = op(A) op(B)` by one call of a CBLAS (`adjoint compile --blas`):
    /// `cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, m, n, k, 1, A, lda, B, ldb, 0, C, ldc)`,
    /// `cblas_dgemm` in double. Only the C printer spells it (`--blas` with `--emit swift` is a
    /// usage error).
    case gemm(Gemm)
    /// `int name = 0;`: a flag that id checks set (`.flagOutside`).
    case declareFlag(String)
    /// `flag |= (id < 0) | (id >= bound);`: an id checked against its axis, without a branch
    /// (the loop over the ids vectorizes).
    case flagOutside(String, IntExpr, bound: IntExpr)
    /// `if (flag) { body; return NAN; }` (`return;` for a kernel without a result): a bad id
    /// ends the kernel before it writes anything but `body` (predict's NaN outputs).
    case exitIf(String, [Statement], returnsNaN: Bool)
}

/// A matrix product handed to a CBLAS: `C[m, n] = alpha op(A)[m, k] op(B)[k, n] + beta C`, every
/// matrix row-major, where `op(X)` is X or, for an operand read in place through a transpose
/// (`xᵀ`, `Wᵀ`), the stored matrix transposed (`CblasTrans`, no copy).
public struct Gemm: Hashable, Sendable {
    /// One matrix operand as stored: its buffer, the element its first row starts at, the stored
    /// row length (`lda`), and whether the product reads it transposed.
    public struct Operand: Hashable, Sendable {
        /// The buffer (a param, an input, a workspace slot, ...).
        public var storage: Storage
        /// The element of `storage` where the matrix starts.
        public var offset: IntExpr
        /// The stored matrix's row length (`lda`): its columns, which for a transposed operand are
        /// the product's rows.
        public var leadingDimension: IntExpr
        /// Whether the product reads the stored matrix transposed (`CblasTrans`).
        public var transposed: Bool
    }

    /// Rows of C and of op(A) (a runtime dim where the batch is).
    public var m: IntExpr
    /// Columns of C and of op(B).
    public var n: IntExpr
    /// Columns of op(A), rows of op(B): the summed axis.
    public var k: IntExpr
    /// The left operand, `[m, k]` as the product reads it.
    public var a: Operand
    /// The right operand, `[k, n]` as the product reads it.
    public var b: Operand
    /// The result, never transposed, and never a buffer that A or B reads (a CBLAS assumes so).
    public var c: Operand
    /// The scale of the product: 1.
    public var alpha: Double = 1
    /// The scale of C's old value: 0 (C is overwritten).
    public var beta: Double = 0
}

/// The kernels of docs/kernels.md that the lowering builds from graphs.
public enum KernelKind: String, Hashable, Sendable, CaseIterable {
    /// `NAME_loss`: the minimized scalar.
    case loss
    /// `NAME_gradient`: the loss and its gradient with respect to every param.
    case gradient
    /// `NAME_apply`: the update rule on a given gradient.
    case apply
    /// `NAME_step`: forward, reverse pass and update in one call.
    case step
    /// `NAME_predict`: the outputs.
    case predict
}

/// One kernel argument, in order.
public enum Argument: Hashable, Sendable {
    /// An input (`const real *x`).
    case input(String, Shape)
    /// An `int` input (`const int32_t *tokens`): ids and class labels.
    case intInput(String, Shape)
    /// A runtime dim (`int64_t batch`).
    case dim(String)
    /// An output of `predict` (`real *logits`).
    case output(String, Shape)
    /// The stream's position for a model that draws: `uint64_t seed, int64_t t` after the runtime
    /// dims of `loss` and `gradient` (`step` reads `s->seed` and `s->t`).
    case stream
    /// An `int` output of `predict` (`int32_t *best`): an `argmax`'s positions.
    case intOutput(String, Shape)
}

/// The workspace a kernel uses: slots laid out one after another, each starting 64-byte aligned.
public struct Workspace: Hashable, Sendable {
    /// Each slot's element count, in slot order.
    public var slots: [IntExpr]

    public init(slots: [IntExpr]) { self.slots = slots }

    /// How many elements of 64-byte alignment per slot boundary, for an element of `bytes` bytes.
    static func alignment(elementBytes bytes: Int) -> Int { 64 / bytes }

    /// The element offset of every slot and, last, the whole workspace, in one pass over the
    /// slots: the slots before each, rounded up to the alignment (equal sizes written once with a
    /// count: `3 * ((32 * batch + 15) / 16 * 16)`).
    public func offsets(elementBytes: Int) -> [IntExpr] {
        var sum = SlotSum(alignment: Workspace.alignment(elementBytes: elementBytes))
        var result: [IntExpr] = []
        result.reserveCapacity(slots.count + 1)
        for slot in slots {
            result.append(sum.expression)
            sum.add(slot)
        }
        result.append(sum.expression)
        return result
    }

    /// The whole workspace in elements.
    public func elementCount(elementBytes: Int) -> IntExpr {
        var sum = SlotSum(alignment: Workspace.alignment(elementBytes: elementBytes))
        for slot in slots { sum.add(slot) }
        return sum.expression
    }

    /// A running sum of slot sizes, each rounded up to the alignment: a constant, plus each
    /// distinct runtime size with how many slots have it.
    private struct SlotSum {
        let alignment: Int
        var constant = 0
        var terms: [(size: IntExpr, count: Int)] = []
        var position: [IntExpr: Int] = [:]

        mutating func add(_ slot: IntExpr) {
            if case .constant(let count) = slot {
                constant += (count + alignment - 1) / alignment * alignment
            } else if let existing = position[slot] {
                terms[existing].count += 1
            } else {
                position[slot] = terms.count
                terms.append((slot, 1))
            }
        }

        var expression: IntExpr {
            terms.reduce(IntExpr.constant(constant)) { $0 + .constant($1.count) * .roundedUp($1.size, alignment) }
        }
    }
}

/// One lowered kernel: its arguments after the fixed ones (params, state, grads), its body, and
/// what it returns.
public struct Kernel: Hashable, Sendable {
    public var kind: KernelKind
    /// Inputs, runtime dims and outputs, in the order of docs/kernels.md.
    public var arguments: [Argument]
    /// Whether it takes a workspace pointer (every kernel but `apply`).
    public var takesWorkspace: Bool
    /// The runtime dims to check, all of the model's in declaration order: a size below 1, or one
    /// at which a size would overflow (`SizeBound`), returns NaN before anything is touched.
    public var checkedDims: [String]
    public var body: [Statement]
    /// The value returned (the loss), or nil for `void` kernels.
    public var result: ScalarExpr?
    public var workspace: Workspace
    /// The largest sizes it computes with, which bound the runtime dims it accepts.
    public var sizeBound: SizeBound
    /// Whether it draws from the counter-based stream (`ScalarExpr.draw`): `loss` and `gradient`
    /// then take `seed` and `t` (`Argument.stream`), and `step` reads them from the state.
    public var draws = false
}
