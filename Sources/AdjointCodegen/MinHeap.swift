/// A binary min-heap: the lowest element first out. The schedule's queues of nodes and the
/// workspace allocator's free slots both take their next element from one.
struct MinHeap<Element: Comparable> {
    private var elements: [Element] = []

    var isEmpty: Bool { elements.isEmpty }
    /// The lowest element, if any.
    var first: Element? { elements.first }

    mutating func push(_ element: Element) {
        elements.append(element)
        var child = elements.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard elements[child] < elements[parent] else { break }
            elements.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the lowest element (the heap must not be empty).
    @discardableResult
    mutating func pop() -> Element {
        let lowest = elements[0]
        elements.swapAt(0, elements.count - 1)
        elements.removeLast()
        var parent = 0
        while true {
            let (left, right) = (2 * parent + 1, 2 * parent + 2)
            var smallest = parent
            if left < elements.count && elements[left] < elements[smallest] { smallest = left }
            if right < elements.count && elements[right] < elements[smallest] { smallest = right }
            guard smallest != parent else { return lowest }
            elements.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
