import AdjointAutodiff
import AdjointIR
import AdjointInterpreter
import AdjointSema
import Foundation

/// `adjoint eval`: the reference interpreter on values from a JSON file.
public enum Evaluation {
    /// A problem with the values file, naming what is wrong.
    public struct ValuesError: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Reads `{"dims": {...}, "params": {...}, "inputs": {...}}`: every runtime dim and input must
    /// be given; a missing param takes its initializer's value with seed 0; an unknown name or a
    /// list of the wrong length is an error.
    public static func bindings(_ json: Data, for program: CheckedProgram) throws(ValuesError)
        -> (bindings: [String: Tensor], dims: [String: Int])
    {
        guard let object = try? JSONSerialization.jsonObject(with: json), let root = object as? [String: Any] else {
            throw ValuesError(description: "the values file is not a JSON object")
        }
        for key in root.keys.sorted() where !["dims", "params", "inputs"].contains(key) {
            throw ValuesError(description: "unknown key '\(key)' (expected dims, params, inputs)")
        }
        let dimsObject = try section(root, "dims")
        var dims: [String: Int] = [:]
        for name in dimsObject.keys.sorted() {
            guard let dim = program.dims.first(where: { $0.name == name }), dim.size == nil else {
                throw ValuesError(description: "'\(name)' is not a runtime dim of the model")
            }
            guard let value = dimsObject[name] as? NSNumber, let size = Int(exactly: value.doubleValue), size >= 1 else {
                throw ValuesError(description: "dim '\(name)' must be an integer of at least 1")
            }
            dims[name] = size
        }
        for dim in program.dims where dim.size == nil && dims[dim.name] == nil {
            throw ValuesError(description: "missing runtime dim '\(dim.name)' in \"dims\"")
        }
        var bindings = program.initialParams(seed: 0)
        let params = try section(root, "params")
        for name in params.keys.sorted() {
            guard let param = program.params.first(where: { $0.name == name }) else {
                throw ValuesError(description: "'\(name)' is not a param of the model")
            }
            bindings[name] = try tensor(params[name]!, name: name, sizes: param.shape.sizes(dims))
        }
        let inputs = try section(root, "inputs")
        for name in inputs.keys.sorted() where !program.inputs.contains(where: { $0.name == name }) {
            throw ValuesError(description: "'\(name)' is not an input of the model")
        }
        for input in program.inputs {
            guard let value = inputs[input.name] else {
                throw ValuesError(description: "missing input '\(input.name)' in \"inputs\"")
            }
            bindings[input.name] = try tensor(value, name: input.name, sizes: input.shape.sizes(dims))
        }
        return (bindings, dims)
    }

    private static func section(_ root: [String: Any], _ key: String) throws(ValuesError) -> [String: Any] {
        guard let value = root[key] else { return [:] }
        guard let object = value as? [String: Any] else { throw ValuesError(description: "\"\(key)\" must be an object") }
        return object
    }

    /// A flat row-major list (or one number for a scalar).
    private static func tensor(_ value: Any, name: String, sizes: [Int]) throws(ValuesError) -> Tensor {
        let count = sizes.reduce(1, *)
        var numbers: [Double]
        if let number = value as? NSNumber, !(value is Bool) {
            numbers = [number.doubleValue]
        } else if let list = value as? [Any] {
            numbers = []
            for element in list {
                guard let number = element as? NSNumber, !(element is Bool) else {
                    throw ValuesError(description: "'\(name)' must be a list of numbers")
                }
                numbers.append(number.doubleValue)
            }
        } else {
            throw ValuesError(description: "'\(name)' must be a number or a flat list of numbers")
        }
        guard numbers.count == count else {
            throw ValuesError(description: "'\(name)' has shape \(sizes) and needs \(count) numbers, got \(numbers.count)")
        }
        return Tensor(sizes: sizes, scalars: numbers)
    }

    /// The JSON `eval` prints: the loss, and with `gradient` every param's gradient.
    public static func run(_ program: CheckedProgram, bindings: [String: Tensor], dims: [String: Int], gradient: Bool)
        -> String
    {
        let differentiated = ReverseMode.differentiate(program.forwardGraph())
        var graph = differentiated.graph
        if !gradient { graph.roots = [graph.roots[0]] }
        let values = Interpreter.evaluate(graph, bindings: bindings, dims: dims)
        var object: [String: Any] = ["loss": jsonNumber(values[differentiated.forward.loss]!.scalar)]
        if gradient {
            object["gradient"] = Dictionary(
                uniqueKeysWithValues: differentiated.gradients.map { ($0.param, values[$0.node]!.scalars.map(jsonNumber)) })
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// JSON has no NaN or infinity: they print as strings.
    private static func jsonNumber(_ value: Double) -> Any { value.isFinite ? value : "\(value)" }
}
