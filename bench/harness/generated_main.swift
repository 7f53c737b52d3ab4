// Times the generated Swift `step` of a model, as generated_main.c times the C one: the same data,
// warm-up, runs and report line ("name median_us min_us max_us loss"). Built by bench/run with
// `swiftc -O` together with the generated NAME.swift and a config.swift that declares
// `typealias Model`, `benchName`, `features`, `classes`, `batch`, `runs` and `steps`.
import Foundation

/// Seconds on the monotonic clock.
func now() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Double(time.tv_sec) + 1e-9 * Double(time.tv_nsec)
}

/// x in [0, 1) from the same LCG as bench_data, y one-hot by row.
func benchData() -> (x: [Float], y: [Float]) {
    var state: UInt64 = 12345
    var x = [Float](repeating: 0, count: batch * features)
    for i in x.indices {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        x[i] = Float((state >> 40) & 0xFFFF) / 65536
    }
    var y = [Float](repeating: 0, count: batch * classes)
    for i in 0..<batch { y[i * classes + i % classes] = 1 }
    return (x, y)
}

func bench() -> Int32 {
    var model = Model(seed: 1)
    let (x, y) = benchData()
    var perStep: [Double] = []
    var loss: Float = 0
    x.withUnsafeBufferPointer { x in
        y.withUnsafeBufferPointer { y in
            for _ in 0..<3 { loss = model.step(x: x, y: y, batch: batch) }
            for _ in 0..<runs {
                let start = now()
                for _ in 0..<steps { loss = model.step(x: x, y: y, batch: batch) }
                perStep.append((now() - start) / Double(steps) * 1e6)
            }
        }
    }
    perStep.sort()
    print(String(format: "%@ %.3f %.3f %.3f %.6f", benchName, perStep[runs / 2], perStep[0], perStep[runs - 1], Double(loss)))
    return loss.isNaN ? 1 : 0  // a NaN loss fails the run
}

exit(bench())
