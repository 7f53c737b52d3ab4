import Foundation

/// The params file `adjoint fit --save` writes and `--load` reads, version 2 (version 1, the
/// same without the checksum, is still read). Every number is little-endian:
///
///     magic     8 bytes   "ADJPARAM"
///     version   u32       2
///     checksum  u32       CRC-32 (IEEE, as zlib's crc32) of every byte after this field
///     model     u32 n, then n bytes of UTF-8: the model's name (its file's base name)
///     count     u32       the number of params
///     count times, in declaration order:
///       name    u32 n, then n bytes of UTF-8
///       rank    u32
///       sizes   rank times u64
///     values    f64       every param's elements, in declaration order, each row-major
///
/// The values are the generated C params struct byte for byte on a little-endian machine (with
/// `--precision double`), so a C program can `fread` them after the header into `NAME_params`.
/// The checksum makes a damaged file (a flipped bit, a truncated copy) an error rather than
/// silently different params.
struct FitParamsFile: Equatable {
    /// One param's entry in the header.
    struct Entry: Equatable {
        var name: String
        var sizes: [Int]
        var count: Int { sizes.reduce(1, *) }
        var shapeText: String { "[" + sizes.map(String.init).joined(separator: ", ") + "]" }
    }

    static let magic = Array("ADJPARAM".utf8)
    static let version: UInt32 = 2

    var model: String
    var entries: [Entry]
    /// Every value, flat, in declaration order.
    var values: [Double]

    /// The file's bytes.
    func encoded() -> Data {
        var data = Data(Self.magic)
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        func append(_ text: String) {
            append(UInt32(text.utf8.count))
            data.append(contentsOf: Array(text.utf8))
        }
        append(Self.version)
        let checksumOffset = data.count
        append(UInt32(0))
        append(model)
        append(UInt32(entries.count))
        for entry in entries {
            append(entry.name)
            append(UInt32(entry.sizes.count))
            for size in entry.sizes { append(UInt64(size)) }
        }
        for value in values { append(value.bitPattern) }
        let checksum = CRC32.checksum(data[(checksumOffset + 4)...])
        withUnsafeBytes(of: checksum.littleEndian) { data.replaceSubrange(checksumOffset..<checksumOffset + 4, with: $0) }
        return data
    }

    /// Reads a params file, saying what is wrong with one that is not (`path` names it).
    init(decoding data: Data, path: String) throws(FitUsageError) {
        let bytes = [UInt8](data)
        var offset = 0
        func fail(_ problem: String) -> FitUsageError {
            FitUsageError(description: "\(path) is not a valid params file: \(problem)")
        }
        func read<T: FixedWidthInteger>(_: T.Type, _ what: String) throws(FitUsageError) -> T {
            let size = MemoryLayout<T>.size
            guard offset + size <= bytes.count else { throw fail("it ends inside \(what)") }
            var value: T = 0
            for index in 0..<size { value |= T(bytes[offset + index]) << (8 * index) }
            offset += size
            return value
        }
        func readText(_ what: String) throws(FitUsageError) -> String {
            let count = Int(try read(UInt32.self, what))
            guard offset + count <= bytes.count else { throw fail("it ends inside \(what)") }
            defer { offset += count }
            return String(decoding: bytes[offset..<offset + count], as: UTF8.self)
        }
        guard bytes.starts(with: Self.magic) else { throw fail("it does not start with 'ADJPARAM'") }
        offset = Self.magic.count
        let version = try read(UInt32.self, "the version")
        guard version == 1 || version == 2 else { throw fail("version \(version), expected 1 or 2") }
        if version == 2 {
            let stored = try read(UInt32.self, "the checksum")
            let computed = CRC32.checksum(bytes[offset...])
            guard stored == computed else {
                throw fail(String(format: "its checksum is %08x but its contents sum to %08x: the file is damaged", stored, computed))
            }
        }
        model = try readText("the model name")
        let count = try read(UInt32.self, "the param count")
        var entries: [Entry] = []
        var total = 0
        for index in 0..<Int(count) {
            let name = try readText("the name of param \(index + 1)")
            let rank = try read(UInt32.self, "the rank of '\(name)'")
            guard rank <= 8 else { throw fail("param '\(name)' has rank \(rank)") }
            var sizes: [Int] = []
            for _ in 0..<rank {
                let size = try read(UInt64.self, "the sizes of '\(name)'")
                guard size <= UInt64(bytes.count) else { throw fail("param '\(name)' has size \(size), more than the file holds") }
                sizes.append(Int(size))
            }
            entries.append(Entry(name: name, sizes: sizes))
            total += sizes.reduce(1, *)
        }
        guard bytes.count - offset == total * 8 else {
            throw fail("the header names \(total) values (\(total * 8) bytes) but \(bytes.count - offset) bytes follow it")
        }
        var values: [Double] = []
        values.reserveCapacity(total)
        for _ in 0..<total { values.append(Double(bitPattern: try read(UInt64.self, "the values"))) }
        self.entries = entries
        self.values = values
    }

    init(model: String, entries: [Entry], values: [Double]) {
        self.model = model
        self.entries = entries
        self.values = values
    }

    /// Every way the file's params differ from `expected` (the model's), one line each; empty
    /// when the model's name (when given), the params' names, order and shapes all match.
    func differences(from expected: [Entry], model expectedModel: String? = nil) -> [String] {
        var lines: [String] = []
        if let expectedModel, model != expectedModel {
            lines.append("the file holds the params of model '\(model)', not '\(expectedModel)'")
        }
        let found = Dictionary(entries.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let wanted = Set(expected.map(\.name))
        for entry in expected {
            guard let other = found[entry.name] else {
                lines.append("param '\(entry.name)' \(entry.shapeText) is missing from the file")
                continue
            }
            if other.sizes != entry.sizes {
                lines.append("param '\(entry.name)' has shape \(other.shapeText) in the file, \(entry.shapeText) in the model")
            }
        }
        for entry in entries where !wanted.contains(entry.name) {
            lines.append("the file has param '\(entry.name)' \(entry.shapeText), which the model does not declare")
        }
        if lines.isEmpty && entries.map(\.name) != expected.map(\.name) {
            lines.append(
                "the params are in the order \(entries.map(\.name).joined(separator: ", ")) in the file, \(expected.map(\.name).joined(separator: ", ")) in the model")
        }
        return lines
    }
}

/// CRC-32 with the IEEE polynomial (reflected 0xEDB88320), the checksum of zlib, gzip and PNG,
/// so that other tools can check a params file.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 != 0 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}
