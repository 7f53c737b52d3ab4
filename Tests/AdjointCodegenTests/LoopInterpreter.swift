@testable import AdjointCodegen
import AdjointIR
import Foundation

/// Runs a lowered kernel on doubles, statement by statement: checks of the lowering's decisions
/// (buffer placement, in-place order) that need no C compiler.
struct LoopInterpreter {
    var buffers: [Storage: [Double]]
    var dims: [String: Int]
    var stepCount: Double = 0
    /// The random stream's seed that draws read (with `stepCount` as their step).
    var seed: UInt64 = 0
    private var scalars: [String: Double] = [:]
    /// Whether a bad id ended the kernel.
    private(set) var exited = false
    /// The loop variables; the register tile's shape, which the C compiler decides, as AVX2's
    /// here (4 rows of 24 columns, 3 rows in a product of at most 32 columns).
    private var variables: [String: Int] = [
        KernelLowering.tileRowsName: 4, KernelLowering.tileColumnsName: 24, KernelLowering.narrowTileRowsName: 3,
    ]

    init(buffers: [Storage: [Double]], dims: [String: Int]) {
        self.buffers = buffers
        self.dims = dims
    }

    /// Runs the kernel's body; returns its result, if it has one.
    mutating func run(_ kernel: Kernel) -> Double? {
        for (slot, count) in kernel.workspace.slots.enumerated() {
            buffers[.workspace(slot)] = [Double](repeating: .nan, count: integer(count))
        }
        for statement in kernel.body {
            execute(statement)
            if exited { return kernel.result == nil ? nil : .nan }
        }
        return kernel.result.map { value($0) }
    }

    private mutating func execute(_ statement: Statement) {
        switch statement {
        case .comment: break
        case .declareTile(let name, let count): buffers[.tile(name)] = [Double](repeating: .nan, count: count)
        case .loop(let variable, let start, let end, let step, let body),
            .parallelLoop(let variable, let start, let end, let step, let body):
            var index = integer(start)
            while index < integer(end) {
                variables[variable] = index
                for inner in body { execute(inner) }
                index += step
            }
        case .define(let name, let expr), .declare(let name, let expr), .assign(let name, let expr):
            scalars[name] = value(expr)
        case .store(let storage, let index, let expr):
            let result = value(expr)
            write(storage, integer(index)) { _ in result }
        case .accumulate(let storage, let index, let expr):
            let result = value(expr)
            write(storage, integer(index)) { $0 + result }
        case .incrementStepCount: stepCount += 1
        case .gemm(let call): gemm(call)
        case .declareFlag(let name): scalars[name] = 0
        case .flagOutside(let name, let id, let bound):
            let value = integer(id)
            if value < 0 || value >= integer(bound) { scalars[name] = 1 }
        case .exitIf(let name, let body, _):
            if scalars[name] == 1 {
                for inner in body { execute(inner) }
                exited = true
            }
        }
    }

    /// `C = op(A) op(B)` as a CBLAS computes it (alpha 1, beta 0), every element summed over k.
    private mutating func gemm(_ call: Gemm) {
        let (m, n, k) = (integer(call.m), integer(call.n), integer(call.k))
        // Each operand's buffer, offset and strides resolved once (the sums are the same).
        func layout(_ operand: Gemm.Operand) -> (values: [Double], offset: Int, rowStride: Int, columnStride: Int) {
            let leading = integer(operand.leadingDimension)
            return (buffers[operand.storage]!, integer(operand.offset), operand.transposed ? 1 : leading, operand.transposed ? leading : 1)
        }
        var (a, b) = (layout(call.a), layout(call.b))
        let (cOffset, cLeading) = (integer(call.c.offset), integer(call.c.leadingDimension))
        // Writing a buffer the product reads: each element from the buffers as they are then.
        let aliased = call.c.storage == call.a.storage || call.c.storage == call.b.storage
        for row in 0..<m {
            for column in 0..<n {
                if aliased { (a, b) = (layout(call.a), layout(call.b)) }
                var total = 0.0
                for p in 0..<k {
                    total += a.values[a.offset + row * a.rowStride + p * a.columnStride] * b.values[b.offset + p * b.rowStride + column * b.columnStride]
                }
                let result = call.alpha * total
                write(call.c.storage, cOffset + row * cLeading + column) { _ in result }
            }
        }
    }

    private mutating func write(_ storage: Storage, _ index: Int, _ update: (Double) -> Double) {
        if case .local(let name) = storage {
            scalars[name] = update(scalars[name] ?? 0)
            return
        }
        guard let position = buffers.index(forKey: storage), buffers.values[position].indices.contains(index) else {
            preconditionFailure("write outside \(storage) at \(index)")
        }
        buffers.values[position][index] = update(buffers.values[position][index])
    }

    private func integer(_ expr: IntExpr) -> Int {
        switch expr {
        case .constant(let value): return value
        case .variable(let name): return variables[name]!
        case .dim(let name): return dims[name]!
        // Loops, not closures: a closure would copy the interpreter (every buffer retained) per call.
        case .sum(let terms):
            var total = 0
            for term in terms { total += integer(term) }
            return total
        case .product(let factors):
            var total = 1
            for factor in factors { total *= integer(factor) }
            return total
        case .quotient(let a, let b): return integer(a) / integer(b)
        case .remainder(let a, let b): return integer(a) % integer(b)
        case .min(let a, let b): return Swift.min(integer(a), integer(b))
        case .roundedUp(let a, let multiple): return (integer(a) + multiple - 1) / multiple * multiple
        case .element(let storage, let index):
            let position = integer(index)
            guard let buffer = buffers[storage], buffer.indices.contains(position) else {
                preconditionFailure("read outside \(storage) at \(position)")
            }
            return Int(buffer[position])
        case .select(let comparison, let a, let b, let c, let d):
            return comparison.holds(integer(a), integer(b)) ? integer(c) : integer(d)
        }
    }

    private func value(_ expr: ScalarExpr) -> Double {
        switch expr {
        case .literal(let value): return value
        case .load(.local(let name), _), .name(let name): return scalars[name]!
        case .load(let storage, let index):
            let position = integer(index)
            guard let buffer = buffers[storage], buffer.indices.contains(position) else {
                preconditionFailure("read outside \(storage) at \(position)")
            }
            return buffer[position]
        case .integer(let expr): return Double(integer(expr))
        case .stepCount(let offset): return stepCount + Double(offset)
        case .draw(let draw, let index): return draw.element(integer(index), seed: seed, t: Int64(stepCount))
        case .elementwise(let op, let a): return op.apply(value(a))
        case .arithmetic(let op, let a, let b): return op.apply(value(a), value(b))
        case .call(let function, let arguments):
            var x: [Double] = []
            for argument in arguments { x.append(value(argument)) }
            switch function {
            case .exp: return Foundation.exp(x[0])
            case .log: return Foundation.log(x[0])
            case .sqrt: return x[0].squareRoot()
            case .abs: return Swift.abs(x[0])
            case .sin: return Foundation.sin(x[0])
            case .cos: return Foundation.cos(x[0])
            case .tanh: return Foundation.tanh(x[0])
            case .log1p: return Foundation.log1p(x[0])
            case .pow: return Foundation.pow(x[0], x[1])
            case .max: return Swift.max(x[0], x[1])
            case .erf: return Foundation.erf(x[0])
            case .erfc: return Foundation.erfc(x[0])
            case .expm1: return Foundation.expm1(x[0])
            case .floor: return x[0].rounded(.down)
            case .rint: return x[0].rounded(.toNearestOrEven)
            }
        case .lossTerm(let op, let p, let t, let lse):
            // One element's summand: the op's reference evaluation of a one-element loss, undone.
            let (pv, tv) = (value(p), value(t))
            if op == .softmaxCrossEntropy { return tv == 0 ? 0 : tv * (value(lse!) - pv) }
            let whole = Op.loss(op).evaluate([Tensor(sizes: [1], scalars: [pv]), Tensor(sizes: [1], scalars: [tv])], dims: [:]).scalar
            return whole * op.normalization.sign
        case .logSumExp(let largest, let total):
            let m = value(largest)
            return m.isFinite ? m + Foundation.log(value(total)) : m
        case .normalizer(let op, let x, let lse):
            return op == .softmax ? Foundation.exp(value(x) - value(lse)) : value(x) - value(lse)
        case .select(let comparison, let a, let b, let x, let y):
            return comparison.holds(integer(a), integer(b)) ? value(x) : value(y)
        }
    }
}
