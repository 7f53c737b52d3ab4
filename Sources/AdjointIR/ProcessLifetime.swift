#if canImport(Glibc)
import Glibc
#endif

/// Compiler data that the `adjoint` process leaves for the operating system to reclaim at exit
/// instead of freeing it value by value, as `clang -disable-free` does: freeing the loop IR of
/// a large model (a million statements) costs about a tenth of its whole `compile`.
public enum ProcessLifetime {
    /// Set once by the `adjoint` executable before it runs a command. Library users, the tests
    /// and the plugin's long-lived hosts leave it off, and everything is freed as usual.
    nonisolated(unsafe) public static var keepsDataToExit = false

    /// Sets `keepsDataToExit`, and on glibc lets each heap grow by 64 MB of address space at a
    /// time rather than 128 KB: a large model's compile allocates hundreds of megabytes on two
    /// threads, and growing the worker's heap page range by page range was a few percent of it.
    /// For the `adjoint` executable, before it runs a command.
    public static func setUpCompilerProcess() {
        keepsDataToExit = true
        #if canImport(Glibc)
        // `mallopt(M_TOP_PAD, ...)`: <malloc.h> is not in the Glibc module, so looked up by name.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let topPad: Int32 = -2  // M_TOP_PAD
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {  // RTLD_DEFAULT
            _ = unsafeBitCast(symbol, to: Mallopt.self)(topPad, 64 << 20)
        }
        #endif
    }

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
