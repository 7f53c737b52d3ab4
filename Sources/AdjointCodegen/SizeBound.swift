import AdjointIR

/// An upper bound on every element count a model's kernels compute with, for every value of the
/// runtime dims: the largest constant of any shape times each runtime dim raised to its highest
/// power in any one shape (`3136 * batch`; `batch * batch` for a `[batch, batch]` value). Every
/// buffer, index, loop bound and workspace offset of a kernel is at most this bound times the
/// workspace's slot count plus one (slots are rounded up to 64 bytes each), so the generated code
/// refuses runtime dims at which the bound times that slack overflows (`NAME_dims_fit`, Swift's
/// `dimsFit`) and needs no overflow check inside a loop.
public struct SizeBound: Hashable, Sendable {
    /// The largest fixed element count of any shape (`Int.max` if one overflows).
    public private(set) var constant = 1
    /// Each runtime dim's highest power in any one shape.
    public private(set) var powers: [String: Int] = [:]
    /// The most workspace slots of any kernel.
    public private(set) var slots = 0

    public init() {}

    /// Counts a shape the kernels hold or loop over. Called for every node of every kernel, so
    /// a shape with at most one runtime dim (nearly all) is counted without a dictionary.
    mutating func include(_ shape: Shape) {
        constant = max(constant, shape.fixedElementCount ?? Int.max)
        var first: String?
        var repeated = false
        for case .runtime(let name) in shape.dims {
            if first == nil { first = name } else { repeated = true }
        }
        guard let first else { return }
        guard repeated else {
            if powers[first] == nil { powers[first] = 1 }
            return
        }
        var counts: [String: Int] = [:]
        for case .runtime(let name) in shape.dims { counts[name, default: 0] += 1 }
        for (name, power) in counts where power > powers[name, default: 0] { powers[name] = power }
    }

    /// Counts a workspace slot's element count.
    mutating func include(_ count: SymbolicCount) {
        constant = max(constant, count.constant)
        var counts: [String: Int] = [:]
        for name in count.dims { counts[name, default: 0] += 1 }
        for (name, power) in counts where power > powers[name, default: 0] { powers[name] = power }
    }

    /// The bound over two kernels.
    mutating func merge(_ other: SizeBound) {
        constant = max(constant, other.constant)
        powers.merge(other.powers, uniquingKeysWith: max)
        slots = max(slots, other.slots)
    }

    /// Notes that a kernel's workspace has `count` slots.
    mutating func includeSlots(_ count: Int) { slots = max(slots, count) }

    /// What the bound's product of runtime dims must stay under: the largest signed size
    /// (`PTRDIFF_MAX`, `Int.max`) divided by this. It leaves room for the workspace: at most
    /// `slots` slots, each the bound plus its rounding to 64 bytes, of `elementBytes`-byte
    /// elements, and a factor 2 for a tile's end past its row (`i + 32`). `Int.max` (nothing fits)
    /// when the divisor itself overflows.
    public func divisor(elementBytes: Int) -> Int {
        var divisor = constant
        for factor in [elementBytes, slots + 1, 2] {
            let (product, overflow) = divisor.multipliedReportingOverflow(by: factor)
            if overflow { return Int.max }
            divisor = product
        }
        return divisor
    }

    /// The runtime dims as the bound multiplies them, in `order` (declaration order), each as often
    /// as its power: `["batch", "batch", "seq"]`. A dim in no shape does not appear.
    public func factors(in order: [String]) -> [String] {
        order.flatMap { name in Array(repeating: name, count: powers[name] ?? 0) }
    }

    /// `3136 * batch * batch`, for the comment above the check.
    public func description(in order: [String]) -> String {
        ([String(constant)] + factors(in: order)).joined(separator: " * ")
    }
}
