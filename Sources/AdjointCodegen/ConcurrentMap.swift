import Dispatch
import Foundation

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

    func optionalValues() -> [Value?] { Array(slots) }
}

/// Work shared by the calling thread and one worker, highest priority first, results kept by
/// index. A model's kernels are lowered (and printed, in parts) as soon as their inputs exist:
/// the worker takes them one at a time while the calling thread builds the reverse pass, the
/// update and the `step` kernel (the longest chain), then helps with whatever is left. One
/// worker rather than one thread per task, so the chain on the calling thread keeps a core of
/// its own; tasks may start further tasks (a lowered kernel's parts to print).
final class SharedTasks<Value: Sendable>: @unchecked Sendable {
    private struct Task {
        var priority: Int
        var index: Int
        var work: @Sendable () -> Value
    }

    private let slots: ResultSlots<Value>
    /// Guards `pending` and `unfinished`; signalled when either changes.
    private let condition = NSCondition()
    private var pending: [Task] = []
    /// Tasks started and not yet finished.
    private var unfinished = 0
    private let worker = DispatchQueue(label: "adjoint.shared-tasks")

    /// Room for `count` results, each filled by at most one task.
    init(count: Int) { slots = ResultSlots(count: count) }

    /// Queues `work()` for slot `index`, to run on the worker or on the thread in `values()`.
    func start(_ index: Int, priority: Int, _ work: @escaping @Sendable () -> Value) {
        condition.lock()
        pending.append(Task(priority: priority, index: index, work: work))
        unfinished += 1
        condition.broadcast()
        condition.unlock()
        // One turn of the worker per task: it takes the best task waiting then, if any is left.
        worker.async { [self] in
            condition.lock()
            let task = takeBest()
            condition.unlock()
            if let task { finish(task) }
        }
    }

    /// Computes `work()` into slot `index` on this thread now.
    func run(_ index: Int, _ work: () -> Value) { slots.set(index, work()) }

    /// Runs waiting tasks on this thread until every started task has finished (including
    /// those started meanwhile), then returns each slot's value (nil for a slot no task filled).
    func values() -> [Value?] {
        condition.lock()
        while unfinished > 0 {
            if let task = takeBest() {
                condition.unlock()
                finish(task)
                condition.lock()
            } else {
                condition.wait()
            }
        }
        condition.unlock()
        return slots.optionalValues()
    }

    /// Removes and returns the waiting task of highest priority (the earliest started of equals).
    /// The caller holds the lock.
    private func takeBest() -> Task? {
        guard var best = pending.indices.first else { return nil }
        for position in pending.indices where pending[position].priority > pending[best].priority { best = position }
        return pending.remove(at: best)
    }

    private func finish(_ task: Task) {
        slots.set(task.index, task.work())
        condition.lock()
        unfinished -= 1
        condition.broadcast()
        condition.unlock()
    }
}
