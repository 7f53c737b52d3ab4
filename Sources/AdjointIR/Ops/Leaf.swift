/// The nodes without operands: what the program reads.
public enum Leaf: Hashable, Sendable {
    /// `input x: [batch, 64]`: data fed at run time.
    case input(String, Shape)
    /// `input tokens: int[batch, seq]`: integer data fed at run time (ids and class labels).
    case intInput(String, Shape)
    /// `const causal: [seq, seq] = tril`: a tensor constant with a compile-time shape.
    case tensorConstant(String, Shape, ConstantPattern)
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
    /// A draw from the counter-based stream (`Random.swift`): `normal([batch, 8])`, dropout's mask.
    case random(RandomDraw)

    /// The spelling in the IR's text form.
    public var name: String {
        switch self {
        case .input: return "input"
        case .intInput: return "int_input"
        case .tensorConstant: return "tensor_constant"
        case .param: return "param"
        case .constant: return "constant"
        case .size: return "size"
        case .state: return "state"
        case .gradient: return "gradient"
        case .random(let draw): return draw.name
        }
    }

    var shape: Shape {
        switch self {
        case .input(_, let shape), .intInput(_, let shape), .tensorConstant(_, let shape, _), .param(_, let shape),
            .state(_, let shape), .gradient(_, let shape):
            return shape
        case .random(let draw): return draw.shape
        case .constant, .size: return .scalar
        }
    }

    /// The value of a constant or a size; inputs and params are bound by the interpreter.
    func evaluate(dims: [String: Int]) -> Tensor? {
        switch self {
        case .constant(let value, _): return Tensor(value)
        case .size(let sizes):
            return Tensor(Double(sizes.reduce(1) { product, dim in product * concreteSize(dim, dims) }))
        case .tensorConstant(_, let shape, let pattern):
            let sizes = shape.sizes(dims)
            return Tensor(sizes: sizes, scalars: (0..<sizes.reduce(1, *)).map { pattern.element($0, sizes: sizes) })
        case .input, .intInput, .param, .state, .gradient, .random: return nil
        }
    }
}

/// The elements of a tensor constant.
public enum ConstantPattern: Hashable, Sendable {
    /// Every element the same: `= 0.5`, `= zeros`, `= ones`.
    case fill(Double)
    /// Each element given, row-major: a list literal `[[1, 0], [0, 1]]`.
    case values([Double])
    /// Ones where the last two indices are equal (`eye`), on or below the diagonal (`tril`), on or
    /// above it (`triu`); zeros elsewhere. Leading axes repeat the matrix.
    case eye, tril, triu

    /// The element at row-major position `flat` of a tensor of `sizes`.
    public func element(_ flat: Int, sizes: [Int]) -> Double {
        switch self {
        case .fill(let value): return value
        case .values(let values): return values[flat]
        case .eye, .tril, .triu:
            guard sizes.count >= 2 else { return 1 }
            let columns = sizes[sizes.count - 1]
            let (row, column) = ((flat / columns) % sizes[sizes.count - 2], flat % columns)
            return holds(row: row, column: column) ? 1 : 0
        }
    }

    /// Whether a matrix pattern has a one at `(row, column)`; `fill` and `values` are not matrix
    /// patterns (false).
    public func holds(row: Int, column: Int) -> Bool {
        switch self {
        case .eye: return row == column
        case .tril: return column <= row
        case .triu: return column >= row
        case .fill, .values: return false
        }
    }

    /// The spelling in model files for a constant of `sizes`: a list nested as the shape is
    /// (`[[1, 0], [0, 1]]`), else as `text`.
    public func text(sizes: [Int]) -> String {
        guard case .values(let values) = self, sizes.count > 1 else { return text }
        func nested(_ start: Int, _ axis: Int) -> String {
            let count = sizes[axis]
            let inner = sizes[(axis + 1)...].reduce(1, *)
            let items = (0..<count).map { axis == sizes.count - 1 ? formatNumber(values[start + $0]) : nested(start + $0 * inner, axis + 1) }
            return "[" + items.joined(separator: ", ") + "]"
        }
        return nested(0, 0)
    }

    /// The spelling in model files and the IR's text form: `eye`, `0.5`, `[1, 0, 0, 1]` (flat).
    public var text: String {
        switch self {
        case .fill(let value): return formatNumber(value)
        case .values(let values): return "[" + values.map(formatNumber).joined(separator: ", ") + "]"
        case .eye: return "eye"
        case .tril: return "tril"
        case .triu: return "triu"
        }
    }
}

/// Integer tensors (ids, class labels) have no gradient; every computation gives `real`.
public enum ElementType: String, Hashable, Sendable {
    case real
    case int = "int"
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
