import AdjointCodegen
import AdjointIR
import AdjointSema
import Foundation

/// The generated C kernels as an engine: the model compiled with `--precision double`, built
/// into a shared library with the system C compiler and loaded with `dlopen`. The kernels are
/// called through C function pointers found with `dlsym`, inputs in declaration order and the
/// batch after them (docs/kernels.md); a small shim compiled beside them reports the structs' sizes
/// and calls `predict`, whose argument list depends on the model's outputs.
final class CFitEngine: FitEngine {
    private typealias InitKernel = @convention(c) (UnsafeMutableRawPointer?, UInt64) -> Void
    private typealias StateInitKernel = @convention(c) (UnsafeMutableRawPointer?, UInt64) -> Void
    private typealias SizeKernel = @convention(c) () -> Int
    private typealias WorkspaceKernel = @convention(c) (Int64) -> Int
    private typealias LossKernel = @convention(c) (
        UnsafeRawPointer?, UnsafePointer<Double>?, UnsafePointer<Double>?, Int64, UnsafeRawPointer?, UnsafeMutableRawPointer?
    ) -> Double
    private typealias StepKernel = @convention(c) (
        UnsafeMutableRawPointer?, UnsafeMutableRawPointer?, UnsafePointer<Double>?, UnsafePointer<Double>?, Int64,
        UnsafeMutableRawPointer?
    ) -> Double
    private typealias PredictKernel = @convention(c) (
        UnsafeRawPointer?, UnsafePointer<Double>?, UnsafePointer<Double>?, Int64,
        UnsafePointer<UnsafeMutablePointer<Double>?>?, UnsafeMutableRawPointer?
    ) -> Void

    /// The prefix of every generated symbol.
    static let symbolPrefix = "adjoint_fit_model"
    /// Fast code for this machine (the kernels never read errno, so `sqrtf` in an update rule
    /// may be vectorized: Adam's update runs about twice as fast), position independent for
    /// `dlopen`.
    static let compilerFlags = ["-O3", "-march=native", "-fno-math-errno", "-shared", "-fPIC"]

    let description: String
    let name = "c"
    private let model: FitModel
    private let library: UnsafeMutableRawPointer
    private let paramsStorage: UnsafeMutableRawPointer
    private let state: UnsafeMutableRawPointer
    private let workspace: UnsafeMutableRawPointer
    private let paramCount: Int
    private let lossKernel: LossKernel
    private let stepKernel: StepKernel
    private let predictKernel: PredictKernel?

    /// The path of `cc` on `PATH`, or nil when the machine has no C compiler.
    static func findCompiler(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        findExecutable("cc", environment: environment)
    }

    /// The first executable file called `name` in the folders of `PATH`.
    static func findExecutable(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        for folder in (environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(folder)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Compiles and loads the kernels, initializes the params from `seed` (`NAME_init`) and the
    /// state (`NAME_state_init`), and allocates a workspace for batches of up to `maxRows`.
    init(_ program: CheckedProgram, model: FitModel, modelPath: String, compiler: String, seed: UInt64, maxRows: Int)
        throws(FitUsageError)
    {
        self.model = model
        description = "c (\(URL(fileURLWithPath: compiler).lastPathComponent) \(Self.compilerFlags.prefix(3).joined(separator: " ")), double)"
        let handle = try Self.build(program, model: model, modelPath: modelPath, compiler: compiler)
        var missing: [String] = []
        func symbol<T>(_ suffix: String, as type: T.Type) -> T? {
            guard let address = dlsym(handle, "\(Self.symbolPrefix)_\(suffix)") else {
                missing.append("\(Self.symbolPrefix)_\(suffix)")
                return nil
            }
            return unsafeBitCast(address, to: type)
        }
        let sizes = (symbol("fit_params_size", as: SizeKernel.self), symbol("fit_state_size", as: SizeKernel.self))
        let workspaceKernel = symbol("workspace_size", as: WorkspaceKernel.self)
        let kernels = (symbol("fit_loss", as: LossKernel.self), symbol("step", as: StepKernel.self))
        let initializers = (symbol("init", as: InitKernel.self), symbol("fit_state_init", as: StateInitKernel.self))
        let predict = model.outputs.isEmpty ? nil : symbol("fit_predict", as: PredictKernel.self)
        guard missing.isEmpty, let paramsSize = sizes.0?(), let stateSize = sizes.1?(), let workspaceKernel,
            let lossKernel = kernels.0, let stepKernel = kernels.1, let initialize = initializers.0,
            let initializeState = initializers.1
        else {
            dlclose(handle)
            throw FitUsageError(description: "the compiled kernels lack \(missing.joined(separator: ", "))")
        }
        library = handle
        self.lossKernel = lossKernel
        self.stepKernel = stepKernel
        predictKernel = predict
        paramCount = paramsSize / MemoryLayout<Double>.size
        let workspaceSize = workspaceKernel(Int64(max(maxRows, 1)))
        // The kernels want 64-byte aligned scratch (docs/kernels.md); the structs get the same.
        paramsStorage = .allocate(byteCount: max(paramsSize, 8), alignment: 64)
        state = .allocate(byteCount: max(stateSize, 8), alignment: 64)
        workspace = .allocate(byteCount: max(workspaceSize, 64), alignment: 64)
        initialize(paramsStorage, seed)
        initializeState(state, seed)
    }

    deinit {
        paramsStorage.deallocate()
        state.deallocate()
        workspace.deallocate()
        dlclose(library)
    }

    var params: [Double] {
        get { Array(UnsafeBufferPointer(start: paramsStorage.assumingMemoryBound(to: Double.self), count: paramCount)) }
        set {
            precondition(newValue.count == paramCount, "internal error: \(newValue.count) params for a struct of \(paramCount)")
            newValue.withUnsafeBytes { paramsStorage.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }
    }

    /// Calls `body` with the two inputs in declaration order. An `int` target (class indices)
    /// is handed over as the `int32_t` array the kernels take for it (the symbols are looked up
    /// with one pointer type for both inputs; a pointer is a pointer to the C ABI).
    private func inputs<R>(
        _ features: [Double], _ targets: [Double], _ body: (UnsafePointer<Double>?, UnsafePointer<Double>?) -> R
    ) -> R {
        if model.target.element == .int {
            let labels = targets.map { Int32(exactly: $0) ?? -1 }
            return features.withUnsafeBufferPointer { x in
                labels.withUnsafeBytes { y in
                    let y = y.baseAddress.map { UnsafePointer<Double>(OpaquePointer($0)) }
                    return model.featuresFirst ? body(x.baseAddress, y) : body(y, x.baseAddress)
                }
            }
        }
        return features.withUnsafeBufferPointer { x in
            targets.withUnsafeBufferPointer { y in
                model.featuresFirst ? body(x.baseAddress, y.baseAddress) : body(y.baseAddress, x.baseAddress)
            }
        }
    }

    func step(features: [Double], targets: [Double], rows: Int) -> Double {
        inputs(features, targets) { stepKernel(paramsStorage, state, $0, $1, Int64(rows), workspace) }
    }

    func loss(features: [Double], targets: [Double], rows: Int) -> Double {
        inputs(features, targets) { lossKernel(paramsStorage, $0, $1, Int64(rows), state, workspace) }
    }

    func predict(features: [Double], targets: [Double], rows: Int, output: Int) -> [Double] {
        guard let predictKernel else { return [] }
        let counts = model.outputs.map { $0.batched ? rows * $0.count : $0.count }
        let buffers = counts.map { UnsafeMutablePointer<Double>.allocate(capacity: max($0, 1)) }
        defer { for buffer in buffers { buffer.deallocate() } }
        let pointers: [UnsafeMutablePointer<Double>?] = buffers
        inputs(features, targets) { predictKernel(paramsStorage, $0, $1, Int64(rows), pointers, workspace) }
        return Array(UnsafeBufferPointer(start: buffers[output], count: counts[output]))
    }
}

// MARK: - Building the library
extension CFitEngine {
    /// Writes the kernels and the shim into a temporary folder, compiles them into a shared
    /// library, loads it and deletes the folder (the loaded library stays mapped).
    private static func build(_ program: CheckedProgram, model: FitModel, modelPath: String, compiler: String)
        throws(FitUsageError) -> UnsafeMutableRawPointer
    {
        removeStaleFolders()
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(folderPrefix)\(getpid())-\(UUID().uuidString)")
        let (files, _) = Commands.generateC(program, name: symbolPrefix, modelPath: modelPath, precision: .double)
        let sources = files + [GeneratedFile(name: "\(symbolPrefix)_fit.c", text: shim(program, model: model))]
        let library = folder.appendingPathComponent("lib\(symbolPrefix).so")
        // Everything the folder will hold is registered before it exists, so that SIGINT or
        // SIGTERM at any point (cc runs for a second or more) leaves nothing in the temporary folder.
        let tokens = ([library] + sources.map { folder.appendingPathComponent($0.name) }).map { SignalCleanup.register($0.path) }
            + [SignalCleanup.register(folder.path, folder: true)]
        defer {
            try? FileManager.default.removeItem(at: folder)
            for token in tokens { SignalCleanup.unregister(token) }
        }
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for file in sources {
                try Data(file.text.utf8).write(to: folder.appendingPathComponent(file.name))
            }
        } catch {
            throw FitUsageError(description: "cannot write the kernels to the temporary folder '\(folder.path)': \(error.localizedDescription)")
        }
        let compiled = sources.map(\.name).filter { $0.hasSuffix(".c") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: compiler)
        process.currentDirectoryURL = folder
        process.arguments = compilerFlags + ["-o", library.path] + compiled + ["-lm"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        do {
            try process.run()
        } catch {
            throw FitUsageError(description: "cannot run the C compiler '\(compiler)'; use --engine interpreter")
        }
        // Stopped with us on a signal, so that it writes no library into the deleted folder.
        SignalCleanup.setChild(process.processIdentifier)
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        SignalCleanup.setChild(0)
        guard process.terminationStatus == 0 else {
            let text = String(decoding: message, as: UTF8.self).split(separator: "\n").prefix(5).joined(separator: "\n")
            throw FitUsageError(
                description: "the C compiler '\(compiler)' failed to build the kernels (use --engine interpreter):\n\(text)")
        }
        guard let handle = dlopen(library.path, RTLD_NOW | RTLD_LOCAL) else {
            let reason = dlerror().map { String(cString: $0) } ?? "unknown reason"
            throw FitUsageError(description: "cannot load the compiled kernels: \(reason)")
        }
        return handle
    }

    /// The start of the temporary folders' names: `adjoint-fit-PID-UUID`.
    static let folderPrefix = "adjoint-fit-"

    /// Deletes the temporary folders of fit runs whose process has ended (killed with `kill -9`,
    /// or a crash): `adjoint-fit-PID-UUID` in the temporary directory.
    static func removeStaleFolders(in temporary: URL = FileManager.default.temporaryDirectory) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: temporary.path) else { return }
        for name in names where name.hasPrefix(folderPrefix) {
            let rest = name.dropFirst(folderPrefix.count)
            // The PID, then '-' and a UUID; other names (a test's `adjoint-fit-test-...`) are not ours.
            guard let dash = rest.firstIndex(of: "-"), UUID(uuidString: String(rest[rest.index(after: dash)...])) != nil,
                let pid = pid_t(rest[..<dash]), ProcessLiveness.hasEnded(pid)
            else { continue }
            try? FileManager.default.removeItem(at: temporary.appendingPathComponent(name))
        }
    }

    /// C beside the kernels: the sizes of the params and state structs, and `predict` behind one
    /// signature (both inputs in declaration order, then an array of output buffers), since the
    /// generated `predict` takes only the inputs its outputs need and one buffer per output.
    static func shim(_ program: CheckedProgram, model: FitModel) -> String {
        let name = symbolPrefix
        var lines = [
            "/* Glue that adjoint fit compiles beside the generated kernels. */",
            "#include \"\(name).h\"",
            "size_t \(name)_fit_params_size(void) { return sizeof(\(name)_params); }",
            "size_t \(name)_fit_state_size(void) { return sizeof(\(name)_state); }",
        ]
        // `state_init` and `loss` behind one signature: a model that draws (dropout, normal,
        // uniform) seeds its stream in the state, and its loss draws at the state's (seed, t).
        let draws = program.forwardGraph().graph.draws
        func cType(_ input: Int) -> String { program.inputs[input].element == .int ? "int32_t" : "double" }
        lines += [
            "void \(name)_fit_state_init(\(name)_state *s, uint64_t seed)",
            "{", draws ? "    \(name)_state_init(s, seed);" : "    (void)seed;\n    \(name)_state_init(s);", "}",
            "double \(name)_fit_loss(const \(name)_params *p, const \(cType(0)) *in0, const \(cType(1)) *in1, int64_t batch,",
            "                        const \(name)_state *s, void *workspace)",
            "{", draws ? "    return \(name)_loss(p, in0, in1, batch, s->seed, s->t, workspace);" : "    (void)s;\n    return \(name)_loss(p, in0, in1, batch, workspace);", "}",
        ]
        if !model.outputs.isEmpty {
            let forward = program.forwardGraph()
            let needed = FitModel.inputs(forward.graph, from: model.outputs.map { forward.graph.root($0.name)! })
            let inputs = ["in0", "in1"].enumerated().filter { needed.contains(program.inputs[$0.offset].name) }.map(\.element)
            let outputs = model.outputs.indices.map { "outputs[\($0)]" }
            lines += [
                "void \(name)_fit_predict(const \(name)_params *p, const \(cType(0)) *in0, const \(cType(1)) *in1, int64_t batch,",
                "                          double *const *outputs, void *workspace)",
                "{",
                "    (void)in0;",
                "    (void)in1;",
                "    \(name)_predict(\((["p"] + inputs + ["batch"] + outputs + ["workspace"]).joined(separator: ", ")));",
                "}",
            ]
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
