/// Ops that move or stretch elements without arithmetic. The graph builder makes broadcasting
/// explicit with them, and derivative rules use them; the front end writes `reshape` for the shape
/// functions of version 2 (`reshape`, `flatten`, `expand_dims`, `squeeze`, and `stack`'s new axis).
public enum Structural: Hashable, Sendable {
    /// Stretch to a shape by NumPy broadcasting.
    case broadcast(Shape)
    /// Sum away the axes that broadcasting to the operand's shape from this shape stretched (the
    /// adjoint of `broadcast`).
    case sumTo(Shape)
    /// The same elements in the same order, another shape with as many elements.
    case reshape(Shape)

    /// The spelling in the IR's text form.
    public var name: String {
        switch self {
        case .broadcast: return "broadcast"
        case .sumTo: return "sum_to"
        case .reshape: return "reshape"
        }
    }

    /// The op spelled `name` in the IR's text form, to `target`.
    static func named(_ name: String, target: Shape) -> Structural? {
        [Structural.broadcast(target), .sumTo(target), .reshape(target)].first { $0.name == name }
    }

    var target: Shape {
        switch self {
        case .broadcast(let shape), .sumTo(let shape), .reshape(let shape): return shape
        }
    }

    func resultShape(_ a: Shape) -> Result<Shape, ShapeError> {
        switch self {
        case .broadcast(let target):
            return Shape.broadcast(a, target) == target ? .success(target) : .failure(.cannotBroadcast(a, target))
        case .sumTo(let target):
            return Shape.broadcast(target, a) == a ? .success(target) : .failure(.cannotBroadcast(target, a))
        case .reshape(let target):
            return a.hasSameElementCount(as: target) ? .success(target) : .failure(.shapesDiffer(a, target))
        }
    }

    func evaluate(_ a: Tensor, dims: [String: Int]) -> Tensor {
        switch self {
        case .broadcast(let target): return a.broadcast(to: target.sizes(dims))
        case .sumTo(let target): return a.sum(to: target.sizes(dims))
        case .reshape(let target): return a.gather(.rowMajor, sizes: target.sizes(dims))
        }
    }
}

extension Shape {
    /// How a reshape from `self` to `target` regroups axes: runs of consecutive operand axes and
    /// result axes with equal products (`[batch, 8, 32]` to `[batch, 8, 4, 8]`: `batch`, `8`, then
    /// `32` with `4, 8`), axes of size 1 alone against an empty run. A reader then finds each
    /// operand index from its group's result indices only, not through the flat offset of the
    /// whole tensor. nil when no such grouping exists (a runtime dim that moves).
    public func reshapeGroups(to target: Shape) -> [(operand: Range<Int>, result: Range<Int>)]? {
        var groups: [(operand: Range<Int>, result: Range<Int>)] = []
        var (i, j) = (0, 0)
        while i < rank || j < target.rank {
            if i < rank, dims[i] == .fixed(1) {
                groups.append((i..<i + 1, j..<j))
                i += 1
                continue
            }
            if j < target.rank, target.dims[j] == .fixed(1) {
                groups.append((i..<i, j..<j + 1))
                j += 1
                continue
            }
            guard i < rank, j < target.rank else { return nil }
            guard case .fixed(var left) = dims[i], case .fixed(var right) = target.dims[j] else {
                guard dims[i] == target.dims[j] else { return nil }  // a runtime dim stays in place
                groups.append((i..<i + 1, j..<j + 1))
                (i, j) = (i + 1, j + 1)
                continue
            }
            var (endI, endJ) = (i + 1, j + 1)
            while left != right {
                if left < right {
                    guard endI < rank, case .fixed(let size) = dims[endI] else { return nil }
                    left *= size
                    endI += 1
                } else {
                    guard endJ < target.rank, case .fixed(let size) = target.dims[endJ] else { return nil }
                    right *= size
                    endJ += 1
                }
            }
            groups.append((i..<endI, j..<endJ))
            (i, j) = (endI, endJ)
        }
        return groups
    }

    /// Whether both have the same number of elements for every value of the runtime dims: the same
    /// runtime dims, and the same product of fixed sizes.
    func hasSameElementCount(as other: Shape) -> Bool {
        func runtime(_ shape: Shape) -> [String] {
            shape.dims.compactMap { if case .runtime(let name) = $0 { name } else { nil } }.sorted()
        }
        return runtime(self) == runtime(other) && fixedElementCount == other.fixedElementCount
    }
}

// MARK: - Surface spelling
extension Structural {
    /// The shape functions that are `reshape` underneath: `reshape(x, [batch, -1])`, `flatten(x)`
    /// (keeps axis 0), `expand_dims(x, axis = k)`, `squeeze(x, axis = k)` (no axis: every axis of
    /// size 1).
    static var builtins: [ShapeBuiltin] {
        [
            ShapeBuiltin("reshape", [.init("x", .tensor), .init("shape", .sizes)]),
            ShapeBuiltin("flatten", [.init("x", .tensor)]),
            ShapeBuiltin("expand_dims", [.init("x", .tensor), .init("axis", .axis)]),
            ShapeBuiltin("squeeze", [.init("x", .tensor), .axis("axis", default: nil)]),
        ]
    }
}

// MARK: - Derivative rules
extension Structural {
    func vjp(_ g: inout Graph, operand a: NodeID, cotangent c: NodeID) -> NodeID? {
        let shape = g[a].shape
        switch self {
        case .broadcast: return g.sum(c, to: shape)  // stretched copies each send their cotangent back: a sum
        case .sumTo: return g.broadcast(c, to: shape)  // every summed element gets the sum's cotangent
        case .reshape: return g.reshape(c, to: shape)  // the same elements, the operand's shape
        }
    }
}

// MARK: - Lowering and cost
extension Structural {
    var lowering: LoweringStrategy {
        switch self {
        case .broadcast, .reshape: return .view
        case .sumTo(let target): return .sum(.broadcastFrom(target), mean: false)
        }
    }

    func flops(_ operand: Shape) -> FlopRule? {
        switch self {
        case .broadcast, .reshape: return nil
        case .sumTo: return FlopRule(over: operand, perElement: 1)
        }
    }
}

// MARK: - Index map
extension Structural {
    func indexMap(from operand: Shape, to result: Shape) -> IndexMap? {
        switch self {
        case .broadcast: return .broadcast(from: operand, to: result)
        case .reshape: return .reshape(from: operand, to: result)
        case .sumTo: return nil  // the scatter-add through broadcast's map, not a view
        }
    }
}
