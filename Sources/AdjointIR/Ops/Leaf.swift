/// The nodes without operands: what the program reads.
public enum Leaf: Hashable, Sendable {
    /// `input x: [batch, 64]`: data fed at run time.
    case input(String, Shape)
    /// `param W1: [64, 32]`: a trainable tensor.
    case param(String, Shape)
    /// A scalar number (broadcast explicitly where a tensor of it is needed).
    case constant(Double)
    /// The product of some sizes, as a scalar: `mean` divides by it, and it may involve runtime dims.
    case size([Dim])

    /// The spelling in the IR's text form.
    public var name: String {
        switch self {
        case .input: return "input"
        case .param: return "param"
        case .constant: return "constant"
        case .size: return "size"
        }
    }

    var shape: Shape {
        switch self {
        case .input(_, let shape), .param(_, let shape): return shape
        case .constant, .size: return .scalar
        }
    }

    /// The value of a constant or a size; inputs and params are bound by the interpreter.
    func evaluate(dims: [String: Int]) -> Tensor? {
        switch self {
        case .constant(let value): return Tensor(value)
        case .size(let sizes):
            return Tensor(Double(sizes.reduce(1) { product, dim in product * concreteSize(dim, dims) }))
        case .input, .param: return nil
        }
    }
}

/// The size a dim has when the program runs.
public func concreteSize(_ dim: Dim, _ dims: [String: Int]) -> Int {
    switch dim {
    case .fixed(let size): return size
    case .runtime(let name):
        guard let size = dims[name] else { preconditionFailure("internal error: runtime dim '\(name)' is not bound") }
        return size
    }
}

extension Shape {
    /// The concrete sizes when the program runs.
    public func sizes(_ dims: [String: Int]) -> [Int] { self.dims.map { concreteSize($0, dims) } }
}
