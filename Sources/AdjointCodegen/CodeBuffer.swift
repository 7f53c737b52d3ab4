/// Generated source as UTF-8 bytes, appended to in place. A printer writes a large model's
/// kernels (tens of megabytes) piece by piece; appending bytes to an array costs a copy, where
/// appending to a large `String` costs several times more per piece.
struct CodeBuffer {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    /// Appends bytes that are already UTF-8.
    mutating func append(_ utf8: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: utf8) }

    static func += (buffer: inout CodeBuffer, text: String) {
        var text = text
        text.withUTF8 { buffer.bytes.append(contentsOf: $0) }
    }
}

/// Where a printer appends text: a `String`, or a `CodeBuffer`'s bytes. Printing an index or
/// an element into the buffer directly builds no string for it.
protocol TextSink {
    mutating func append(_ text: String)
    mutating func append(decimal value: Int)
}

extension String: TextSink {
    mutating func append(decimal value: Int) { append(String(value)) }
}

extension CodeBuffer: TextSink {
    mutating func append(_ text: String) { self += text }

    /// The decimal digits of `value`, written straight into the buffer.
    mutating func append(decimal value: Int) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // room for 20 digits, filled from the end
        withUnsafeMutableBytes(of: &digits) { buffer in
            var position = buffer.count
            repeat {
                position -= 1
                buffer[position] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: buffer[position...])
        }
    }
}
