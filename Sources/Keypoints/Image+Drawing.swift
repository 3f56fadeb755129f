// Anti-aliased drawing primitives on an RGB `Image`: discs, thick lines, ellipses, polygons, boxes.
// Points are `SIMD2<Double>` pixel coordinates with pixel (i, j) centred at (i, j), as keypoints are.

/// An 8-bit RGB colour.
public struct RGBColor: Sendable, Equatable, Hashable {
    public var r: UInt8
    public var g: UInt8
    public var b: UInt8

    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
        self.r = r
        self.g = g
        self.b = b
    }

    public static let white = RGBColor(255, 255, 255)
    public static let black = RGBColor(0, 0, 0)

    /// The colour for hue in degrees [0, 360), saturation and value in [0, 1].
    public init(hue: Double, saturation: Double, value: Double) {
        let h = (hue.truncatingRemainder(dividingBy: 360) + 360).truncatingRemainder(dividingBy: 360) / 60
        let c = value * saturation
        let x = c * (1 - abs(h.truncatingRemainder(dividingBy: 2) - 1))
        let (r, g, b): (Double, Double, Double)
        switch Int(h) {
        case 0: (r, g, b) = (c, x, 0)
        case 1: (r, g, b) = (x, c, 0)
        case 2: (r, g, b) = (0, c, x)
        case 3: (r, g, b) = (0, x, c)
        case 4: (r, g, b) = (x, 0, c)
        default: (r, g, b) = (c, 0, x)
        }
        let m = value - c
        func byte(_ v: Double) -> UInt8 { UInt8(min(max((v + m) * 255, 0), 255).rounded()) }
        self.init(byte(r), byte(g), byte(b))
    }

    /// This colour scaled towards black (`factor < 1`) or white (`factor > 1`).
    public func shaded(_ factor: Double) -> RGBColor {
        func f(_ v: UInt8) -> UInt8 {
            let x = factor <= 1 ? Double(v) * factor : Double(v) + (255 - Double(v)) * (factor - 1)
            return UInt8(min(max(x, 0), 255).rounded())
        }
        return RGBColor(f(r), f(g), f(b))
    }
}

extension Image {
    /// Blends `color` into pixel (x, y) with weight `alpha` in [0, 1]; pixels outside are ignored.
    public mutating func blend(x: Int, y: Int, color: RGBColor, alpha: Double) {
        guard x >= 0, y >= 0, x < width, y < height, channels == 3 else { return }
        let i = (y * width + x) * 3
        let a = min(max(alpha, 0), 1)
        pixels[i] = UInt8(Double(pixels[i]) * (1 - a) + Double(color.r) * a + 0.5)
        pixels[i + 1] = UInt8(Double(pixels[i + 1]) * (1 - a) + Double(color.g) * a + 0.5)
        pixels[i + 2] = UInt8(Double(pixels[i + 2]) * (1 - a) + Double(color.b) * a + 0.5)
    }

    /// The colour of pixel (x, y) (3-channel images).
    public func color(x: Int, y: Int) -> RGBColor {
        let i = (y * width + x) * channels
        return RGBColor(pixels[i], pixels[i + 1], pixels[i + 2])
    }

    /// Paints a rasterized shape with anti-aliased edges, scaled by `opacity`.
    mutating func fill(_ shape: RasterShape, color: RGBColor, opacity: Double = 1) {
        shape.rasterize(width: width, height: height) { x, y, coverage in
            blend(x: x, y: y, color: color, alpha: coverage * opacity)
        }
    }

    /// Fills a disc of `radius` pixels centred at `center`.
    public mutating func fillCircle(center: SIMD2<Double>, radius: Double, color: RGBColor, opacity: Double = 1) {
        fill(.circle(center: center, radius: radius), color: color, opacity: opacity)
    }

    /// Draws a line `thickness` pixels wide with round caps.
    public mutating func drawLine(from a: SIMD2<Double>, to b: SIMD2<Double>, thickness: Double, color: RGBColor,
                                  opacity: Double = 1) {
        fill(.capsule(from: a, to: b, radius: thickness / 2), color: color, opacity: opacity)
    }

    /// Fills an ellipse with semi-axes `radii`, rotated by `angle` radians.
    public mutating func fillEllipse(center: SIMD2<Double>, radii: SIMD2<Double>, angle: Double = 0,
                                     color: RGBColor, opacity: Double = 1) {
        fill(.ellipse(center: center, radii: radii, angle: angle), color: color, opacity: opacity)
    }

    /// Fills the convex hull of `points`.
    public mutating func fillConvexPolygon(_ points: [SIMD2<Double>], color: RGBColor, opacity: Double = 1) {
        fill(.convexPolygon(points), color: color, opacity: opacity)
    }

    /// Fills the axis-aligned rectangle whose pixel centres span `[x0, x1] × [y0, y1]`.
    public mutating func fillRectangle(x0: Double, y0: Double, x1: Double, y1: Double, color: RGBColor,
                                       opacity: Double = 1) {
        fill(.rectangle(x0: x0, y0: y0, x1: x1, y1: y1), color: color, opacity: opacity)
    }

    /// Outlines a COCO `[x, y, w, h]` box with lines `thickness` pixels wide.
    public mutating func drawBox(_ bbox: [Double], color: RGBColor, thickness: Double = 2) {
        precondition(bbox.count == 4, "drawBox: bbox has \(bbox.count) values, expected [x, y, w, h]")
        let (x0, y0, x1, y1) = (bbox[0], bbox[1], bbox[0] + bbox[2], bbox[1] + bbox[3])
        let corners = [SIMD2(x0, y0), SIMD2(x1, y0), SIMD2(x1, y1), SIMD2(x0, y1)]
        for i in 0..<4 {
            drawLine(from: corners[i], to: corners[(i + 1) % 4], thickness: thickness, color: color)
        }
    }
}
