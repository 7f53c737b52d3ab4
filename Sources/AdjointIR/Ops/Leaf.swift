/// The nodes without operands: what the program reads.
public enum Leaf: Hashable, Sendable {
    /// `input x: [batch, 64]`: data fed at run time.
    case input(String, Shape)
    /// `param W1: [64, 32]`: a trainable tensor.
    case param(String, Shape)
    /// A scalar number (broadcast explicitly where a tensor of it is needed): `2`, or with the name
    /// of the `const lr_scale = 3` it came from. The name is part of the node, so hash-consing keeps
    /// a named const apart from a literal of the same value and printed formulas show each as the
    /// user wrote it; every computation reads only the value.
    case constant(Double, name: String? = nil)
    /// The product of some sizes, as a scalar: `mean` divides by it, and it may involve runtime dims.
    case size([Dim])
    /// The update rule's state: `m_W1` and `v_W1` (Adam's moments), `v_W1` (momentum's velocity),
    /// `s_W1` (Adagrad's and RMSProp's sums of squares), `t` (the step count, a scalar).
    case state(String, Shape)
    /// A param's gradient handed in from outside, named by the param (what `NAME_apply` reads).
    case gradient(String, Shape)

    /// The spelling in the IR's text form.
    public var name: String {
        switch self {
        case .input: return "input"
        case .param: return "param"
        case .constant: return "constant"
        case .size: return "size"
        case .state: return "state"
        case .gradient: return "gradient"
        }
    }

    var shape: Shape {
        switch self {
        case .input(_, let shape), .param(_, let shape), .state(_, let shape), .gradient(_, let shape): return shape
        case .constant, .size: return .scalar
        }
    }

    /// The value of a constant or a size; inputs and params are bound by the interpreter.
    func evaluate(dims: [String: Int]) -> Tensor? {
        switch self {
        case .constant(let value, _): return Tensor(value)
        case .size(let sizes):
            return Tensor(Double(sizes.reduce(1) { product, dim in product * concreteSize(dim, dims) }))
        case .input, .param, .state, .gradient: return nil
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
