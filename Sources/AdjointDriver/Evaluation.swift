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

    /// One entry of the values file, a number or a flat row-major list of numbers (JSON numbers,
    /// or "inf", "-inf" and "nan" as `eval` prints them), with where it starts.
    private struct Numbers {
        var scalars: [Double]
        /// Written as one number, not a list (a dim must be).
        var single: Bool
        var position: ValuesJSON.Position

        init(_ json: ValuesJSON, name: String) throws(ValuesError) {
            position = json.position
            if let number = json.number {
                scalars = [number]
                single = true
                return
            }
            guard case .array(let elements) = json.value else {
                throw ValuesError(description: "\(json.position): '\(name)' must be a number or a flat list of numbers (\"inf\", \"-inf\" and \"nan\" in quotes)")
            }
            single = false
            scalars = []
            scalars.reserveCapacity(elements.count)
            for element in elements {
                guard let number = element.number else {
                    throw ValuesError(description: "\(element.position): '\(name)' must be a number or a flat list of numbers (\"inf\", \"-inf\" and \"nan\" in quotes)")
                }
                scalars.append(number)
            }
        }
    }

    /// Reads `{"dims": {...}, "params": {...}, "inputs": {...}}`: every runtime dim and input must
    /// be given; a missing param takes its initializer's value with seed 0; an unknown name or a
    /// list of the wrong length is an error.
    public static func bindings(_ json: Data, for program: CheckedProgram) throws(ValuesError)
        -> (bindings: [String: Tensor], dims: [String: Int])
    {
        let root = try decode(json)
        let dims = try readDims(root, for: program)
        var bindings = program.initialParams(seed: 0)
        for (name, value) in (root["params"] ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let param = program.params.first(where: { $0.name == name }) else {
                throw ValuesError(description: "\(value.position): '\(name)' is not a param of the model")
            }
            bindings[name] = try tensor(value, name: name, sizes: param.shape.sizes(dims))
        }
        let inputs = root["inputs"] ?? [:]
        for name in inputs.keys.sorted() where !program.inputs.contains(where: { $0.name == name }) {
            throw ValuesError(description: "\(inputs[name]!.position): '\(name)' is not an input of the model")
        }
        for input in program.inputs {
            guard let value = inputs[input.name] else {
                throw ValuesError(description: "missing input '\(input.name)' in \"inputs\"")
            }
            let tensor = try tensor(value, name: input.name, sizes: input.shape.sizes(dims))
            if input.element == .int, let bad = tensor.scalars.firstIndex(where: { $0 != $0.rounded() || abs($0) > Double(Int32.max) }) {
                throw ValuesError(description: "\(value.position): '\(input.name)' is an int input, but element \(bad) is \(formatNumber(tensor.scalars[bad]))")
            }
            bindings[input.name] = tensor
        }
        if let bad = Interpreter.badId(program.forwardGraph().graph, values: Interpreter.evaluate(program.forwardGraph().graph, bindings: bindings, dims: dims), dims: dims) {
            throw ValuesError(description: "an id is out of range: \(bad)")
        }
        return (bindings, dims)
    }

    /// The runtime dims the values file gives (checked as `bindings` checks them), so that a
    /// caller can refuse sizes too large to evaluate before any tensor is made.
    public static func dims(_ json: Data, for program: CheckedProgram) throws(ValuesError) -> [String: Int] {
        try readDims(try decode(json), for: program)
    }

    private static func decode(_ json: Data) throws(ValuesError) -> [String: [String: Numbers]] {
        let document: ValuesJSON
        do {
            document = try ValuesJSON.parse([UInt8](json))
        } catch {
            throw ValuesError(description: "\(error.position): not valid JSON: \(error.message)")
        }
        guard case .object(let sections) = document.value else {
            throw ValuesError(description: "\(document.position): the values file must be a JSON object")
        }
        var root: [String: [String: Numbers]] = [:]
        for (key, section) in sections {
            guard ["dims", "params", "inputs"].contains(key) else {
                throw ValuesError(description: "\(section.position): unknown key '\(key)' (expected dims, params, inputs)")
            }
            guard root[key] == nil else { throw ValuesError(description: "\(section.position): \"\(key)\" appears twice") }
            guard case .object(let members) = section.value else {
                throw ValuesError(description: "\(section.position): \"\(key)\" must be an object of names")
            }
            var entries: [String: Numbers] = [:]
            for (name, value) in members {
                guard entries[name] == nil else { throw ValuesError(description: "\(value.position): '\(name)' appears twice in \"\(key)\"") }
                entries[name] = try Numbers(value, name: name)
            }
            root[key] = entries
        }
        return root
    }

    private static func readDims(_ root: [String: [String: Numbers]], for program: CheckedProgram) throws(ValuesError)
        -> [String: Int]
    {
        var dims: [String: Int] = [:]
        for (name, value) in (root["dims"] ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let dim = program.dims.first(where: { $0.name == name }), dim.size == nil else {
                throw ValuesError(description: "\(value.position): '\(name)' is not a runtime dim of the model")
            }
            guard value.single, let size = Int(exactly: value.scalars[0]), size >= 1 else {
                throw ValuesError(description: "\(value.position): dim '\(name)' must be an integer of at least 1")
            }
            dims[name] = size
        }
        for dim in program.dims where dim.size == nil && dims[dim.name] == nil {
            throw ValuesError(description: "missing runtime dim '\(dim.name)' in \"dims\"")
        }
        return dims
    }

    private static func tensor(_ value: Numbers, name: String, sizes: [Int]) throws(ValuesError) -> Tensor {
        let count = sizes.reduce(1, *)
        guard value.scalars.count == count else {
            throw ValuesError(description: "\(value.position): '\(name)' has shape \(sizes) and needs \(count) numbers, got \(value.scalars.count)")
        }
        return Tensor(sizes: sizes, scalars: value.scalars)
    }

    /// The JSON `eval` prints: the loss, with `gradient` every param's gradient, and with
    /// `steps` > 0 the losses, params and state of that many training steps from zero state.
    /// `seed` seeds the random stream: the loss and gradient draw at step 0, step k at k - 1.
    public static func run(
        _ program: CheckedProgram, bindings: [String: Tensor], dims: [String: Int], gradient: Bool, steps: Int = 0,
        seed: UInt64 = 0
    ) -> String {
        let differentiated = ReverseMode.differentiate(program.forwardGraph())
        var graph = differentiated.graph
        if !gradient { graph.roots = [graph.roots[0]] }
        let values = Interpreter.evaluate(graph, bindings: bindings, dims: dims, stream: RandomStream(seed: seed))
        var object: [String: Any] = ["loss": jsonNumber(values[differentiated.forward.loss]!.scalar)]
        if gradient {
            object["gradient"] = Dictionary(
                uniqueKeysWithValues: differentiated.gradients.map { ($0.param, values[$0.node]!.scalars.map(jsonNumber)) })
        }
        if steps > 0 {
            let update = UpdateProgram.step(differentiated, rule: program.updateRule)
            let start = Training.Point(bindings: bindings, state: Training.initialState(update), seed: seed)
            let (losses, final) = Training.steps(update, from: start, dims: dims, count: steps)
            object["losses"] = losses.map(jsonNumber)
            object["params"] = Dictionary(
                uniqueKeysWithValues: program.params.map { ($0.name, final.bindings[$0.name]!.scalars.map(jsonNumber)) })
            object["state"] = Dictionary(
                uniqueKeysWithValues: update.slots.map { slot in
                    let scalars = final.state[slot.name]!.scalars
                    return (slot.name, slot.param == nil ? jsonNumber(scalars[0]) : scalars.map(jsonNumber) as Any)
                })
        }
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// JSON has no NaN or infinity: they print as the strings "inf", "-inf" and "nan", which the
    /// values file reads back as those numbers (`ValuesJSON.nonFinite`).
    static func jsonNumber(_ value: Double) -> Any {
        if value.isFinite { return value }
        return value.isNaN ? "nan" : value < 0 ? "-inf" : "inf"
    }
}
