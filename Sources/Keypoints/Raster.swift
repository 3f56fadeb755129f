// Anti-aliased coverage of simple shapes on a pixel grid: the one rasterizer behind drawing and the
// synthetic renderer (which also needs to know which pixels a shape owns, for occlusion and areas).
// Convention (as mmpose's codecs): pixel (i, j) has its centre at the continuous point (i, j), so a
// shape's coverage of a pixel is judged by the signed distance from (i, j) to the shape's edge.
import Foundation

/// A shape on the image plane, in pixel coordinates (x right, y down).
enum RasterShape {
    /// A disc.
    case circle(center: SIMD2<Double>, radius: Double)
    /// A segment with round caps and half-width `radius` (a thick line / limb).
    case capsule(from: SIMD2<Double>, to: SIMD2<Double>, radius: Double)
    /// An ellipse with semi-axes `radii`, its x semi-axis rotated by `angle` radians.
    case ellipse(center: SIMD2<Double>, radii: SIMD2<Double>, angle: Double)
    /// A convex polygon (any vertex order); non-convex input is replaced by its convex hull.
    case convexPolygon([SIMD2<Double>])
    /// An axis-aligned filled rectangle `[x0, x1] × [y0, y1]` (pixel centres inside are covered).
    case rectangle(x0: Double, y0: Double, x1: Double, y1: Double)

    /// The pixel bounding box (inclusive), before clipping to an image.
    var bounds: (x0: Int, y0: Int, x1: Int, y1: Int) {
        func box(_ lo: SIMD2<Double>, _ hi: SIMD2<Double>) -> (Int, Int, Int, Int) {
            (Int((lo.x - 1).rounded(.down)), Int((lo.y - 1).rounded(.down)),
             Int((hi.x + 1).rounded(.up)), Int((hi.y + 1).rounded(.up)))
        }
        switch self {
        case let .circle(c, r):
            return box(c - r, c + r)
        case let .capsule(a, b, r):
            return box(pointwiseMin(a, b) - r, pointwiseMax(a, b) + r)
        case let .ellipse(c, radii, _):
            let r = max(radii.x, radii.y)
            return box(c - r, c + r)
        case let .convexPolygon(points):
            let lo = points.reduce(SIMD2(Double.infinity, .infinity)) { pointwiseMin($0, $1) }
            let hi = points.reduce(SIMD2(-Double.infinity, -.infinity)) { pointwiseMax($0, $1) }
            return box(lo, hi)
        case let .rectangle(x0, y0, x1, y1):
            return box(SIMD2(x0, y0), SIMD2(x1, y1))
        }
    }

    /// Calls `body(x, y, coverage)` for every pixel of a `width`×`height` grid with coverage in (0, 1].
    func rasterize(width: Int, height: Int, _ body: (Int, Int, Double) -> Void) {
        let b = bounds
        let x0 = max(b.x0, 0), x1 = min(b.x1, width - 1)
        let y0 = max(b.y0, 0), y1 = min(b.y1, height - 1)
        guard x0 <= x1, y0 <= y1 else { return }
        let distance = signedDistance()
        for y in y0...y1 {
            for x in x0...x1 {
                let coverage = min(max(0.5 - distance(SIMD2(Double(x), Double(y))), 0), 1)
                if coverage > 0 { body(x, y, coverage) }
            }
        }
    }

    /// Signed distance from a point to the edge (negative inside); exact for discs, capsules and
    /// rectangles, a first-order approximation for ellipses and polygon corners.
    private func signedDistance() -> (SIMD2<Double>) -> Double {
        switch self {
        case let .circle(c, r):
            return { p in ((p - c) * (p - c)).sum().squareRoot() - r }
        case let .capsule(a, b, r):
            let ab = b - a
            let len2 = max((ab * ab).sum(), 1e-12)
            return { p in
                let t = min(max(((p - a) * ab).sum() / len2, 0), 1)
                let q = p - (a + t * ab)
                return (q * q).sum().squareRoot() - r
            }
        case let .ellipse(c, radii, angle):
            let (cosA, sinA) = (Foundation.cos(angle), Foundation.sin(angle))
            let a = max(radii.x, 1e-6), b = max(radii.y, 1e-6)
            return { p in
                let d = p - c
                let u = d.x * cosA + d.y * sinA, v = -d.x * sinA + d.y * cosA
                let k = ((u / a) * (u / a) + (v / b) * (v / b)).squareRoot()
                guard k > 1e-9 else { return -min(a, b) }
                let grad = ((u / (a * a)) * (u / (a * a)) + (v / (b * b)) * (v / (b * b))).squareRoot() / k
                return (k - 1) / max(grad, 1e-9)
            }
        case let .convexPolygon(points):
            let hull = convexHull(points)
            guard hull.count >= 3 else { return { _ in .infinity } }
            // Counter-clockwise hull in y-down coordinates: outward normal of edge (p, q) is (dy, -dx).
            let edges: [(SIMD2<Double>, SIMD2<Double>)] = hull.indices.map { i in
                let p = hull[i], q = hull[(i + 1) % hull.count]
                let e = q - p
                let n = SIMD2(e.y, -e.x) / max((e * e).sum().squareRoot(), 1e-12)
                return (p, n)
            }
            return { p in edges.reduce(-Double.infinity) { max($0, ((p - $1.0) * $1.1).sum()) } }
        case let .rectangle(x0, y0, x1, y1):
            return { p in max(x0 - p.x, p.x - x1, y0 - p.y, p.y - y1) - 0.5 }
        }
    }
}

/// The convex hull (Andrew's monotone chain), counter-clockwise in y-up terms / clockwise on screen,
/// such that `(dy, -dx)` is each edge's outward normal in image coordinates.
func convexHull(_ points: [SIMD2<Double>]) -> [SIMD2<Double>] {
    let sorted = points.sorted { $0.x != $1.x ? $0.x < $1.x : $0.y < $1.y }
    guard sorted.count >= 3 else { return sorted }
    func cross(_ o: SIMD2<Double>, _ a: SIMD2<Double>, _ b: SIMD2<Double>) -> Double {
        (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
    }
    var lower: [SIMD2<Double>] = []
    for p in sorted {
        while lower.count >= 2 && cross(lower[lower.count - 2], lower[lower.count - 1], p) <= 0 { lower.removeLast() }
        lower.append(p)
    }
    var upper: [SIMD2<Double>] = []
    for p in sorted.reversed() {
        while upper.count >= 2 && cross(upper[upper.count - 2], upper[upper.count - 1], p) <= 0 { upper.removeLast() }
        upper.append(p)
    }
    return Array(lower.dropLast() + upper.dropLast())
}
