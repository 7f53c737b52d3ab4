import Dispatch

extension Array where Element: Sendable {
    /// `map` with the elements transformed on several threads at once, results in order.
    ///
    /// A model's kernels are lowered and printed independently of one another, and the large
    /// ones (`gradient`, `step`) take about as long as all the others together, so two cores
    /// halve the time of compiling a large model. Each transform runs exactly once, and the
    /// output does not depend on how the work was shared.
    func concurrentMap<Result: Sendable>(_ transform: @Sendable (Element) -> Result) -> [Result] {
        if count < 2 { return map(transform) }
        let results = ResultSlots<Result>(count: count)
        self.withUnsafeBufferPointer { elements in
            nonisolated(unsafe) let elements = elements
            DispatchQueue.concurrentPerform(iterations: elements.count) { index in
                results.set(index, transform(elements[index]))
            }
        }
        return results.values()
    }
}

/// One slot per element for `concurrentMap`: each index is written by exactly one iteration,
/// and read only after `concurrentPerform` has returned (which orders the writes before it).
/// Raw memory rather than an array property, which concurrent writers would access as a whole.
private final class ResultSlots<Value: Sendable>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Value?>

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func set(_ index: Int, _ value: Value) { slots[index] = value }

    func values() -> [Value] { slots.map { $0! } }
}

/// Results computed on other threads as soon as their inputs are ready, collected by index.
/// Unlike nested `concurrentMap`s (an inner one started from a worker runs serially), tasks
/// started at different times all share the cores: the kernels that need only the forward
/// graph are lowered while the reverse pass is still being built.
final class ConcurrentTasks<Value: Sendable>: @unchecked Sendable {
    private let slots: ResultSlots<Value>
    private let group = DispatchGroup()
    private let queue = DispatchQueue(label: "adjoint.kernels")

    init(count: Int) { slots = ResultSlots(count: count) }

    /// Computes `work()` into slot `index` on another thread.
    func start(_ index: Int, _ work: @escaping @Sendable () -> Value) {
        let slots = self.slots
        queue.async(group: group) { slots.set(index, work()) }
    }

    /// Computes `work()` into slot `index` on this thread.
    func run(_ index: Int, _ work: () -> Value) { slots.set(index, work()) }

    /// Every slot's value, once all started tasks have finished.
    func values() -> [Value] {
        group.wait()
        return slots.values()
    }
}
