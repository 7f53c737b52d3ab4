/// Generated source as UTF-8 bytes, appended to in place. A printer writes a large model's
/// kernels (tens of megabytes) piece by piece; appending bytes to an array costs a copy, where
/// appending to a large `String` costs several times more per piece.
struct CodeBuffer {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    static func += (buffer: inout CodeBuffer, text: String) {
        var text = text
        text.withUTF8 { buffer.bytes.append(contentsOf: $0) }
    }
}
