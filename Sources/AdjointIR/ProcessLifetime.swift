/// Compiler data that the `adjoint` process leaves for the operating system to reclaim at exit
/// instead of freeing it value by value, as `clang -disable-free` does: freeing the loop IR of
/// a large model (a million statements) costs about a tenth of its whole `compile`.
public enum ProcessLifetime {
    /// Set once by the `adjoint` executable before it runs a command. Library users, the tests
    /// and the plugin's long-lived hosts leave it off, and everything is freed as usual.
    nonisolated(unsafe) public static var keepsDataToExit = false

    /// Keeps `value` alive until the process ends, when `keepsDataToExit` is set.
    public static func keep(_ value: some Any) {
        guard keepsDataToExit else { return }
        _ = Unmanaged.passRetained(Kept(value))
    }

    private final class Kept<Value> {
        let value: Value
        init(_ value: Value) { self.value = value }
    }
}
