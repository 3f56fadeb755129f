// The few NumPy reductions COCOeval depends on, reproduced bit for bit where the order of floating-point
// operations matters (thresholds, sums, means).

/// `np.linspace(start, stop, num, endpoint=True)`: `i * ((stop - start) / (num - 1)) + start`, last = `stop`.
///
/// Gives NumPy's exact values, e.g. the 9th COCO IoU threshold is `0.8999999999999999`.
func numpyLinspace(_ start: Double, _ stop: Double, count: Int) -> [Double] {
    guard count > 1 else { return count == 1 ? [start] : [] }
    let step = (stop - start) / Double(count - 1)
    var values = (0..<count).map { Double($0) * step + start }
    values[count - 1] = stop
    return values
}

/// `np.sum` of a contiguous float64 array: NumPy's pairwise summation (8 accumulators, blocks of 128).
func numpySum(_ values: [Double]) -> Double {
    values.withUnsafeBufferPointer { 0.0 + pairwiseSum($0) }
}

/// `np.mean` of a contiguous float64 array: `numpySum(values) / count`.
func numpyMean(_ values: [Double]) -> Double {
    numpySum(values) / Double(values.count)
}

private func pairwiseSum(_ a: UnsafeBufferPointer<Double>) -> Double {
    let n = a.count
    if n < 8 {
        var sum = 0.0
        for x in a { sum += x }
        return sum
    }
    if n <= 128 {
        var r = (a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7])
        var i = 8
        while i < n - n % 8 {
            r.0 += a[i]; r.1 += a[i + 1]; r.2 += a[i + 2]; r.3 += a[i + 3]
            r.4 += a[i + 4]; r.5 += a[i + 5]; r.6 += a[i + 6]; r.7 += a[i + 7]
            i += 8
        }
        var sum = ((r.0 + r.1) + (r.2 + r.3)) + ((r.4 + r.5) + (r.6 + r.7))
        while i < n {
            sum += a[i]
            i += 1
        }
        return sum
    }
    var half = n / 2
    half -= half % 8
    return pairwiseSum(UnsafeBufferPointer(rebasing: a[0..<half]))
        + pairwiseSum(UnsafeBufferPointer(rebasing: a[half...]))
}

/// `np.argsort(-scores, kind='mergesort')`: indices by descending score, ties in original order.
func stableOrderByDescendingScore(_ scores: [Double]) -> [Int] {
    scores.indices.sorted { i, j in
        scores[i] != scores[j] ? scores[i] > scores[j] : i < j
    }
}

/// `np.searchsorted(sorted, value, side='left')`: the first index whose element is `>= value`.
func searchSortedLeft(_ sorted: [Double], _ value: Double) -> Int {
    var low = 0
    var high = sorted.count
    while low < high {
        let mid = (low + high) / 2
        if sorted[mid] < value { low = mid + 1 } else { high = mid }
    }
    return low
}
