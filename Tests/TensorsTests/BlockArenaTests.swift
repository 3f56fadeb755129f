import Testing
@testable import Tensors

/// The large-buffer arena behind `Storage`: best fit, split, merge, and memory freed by one size reused by another.
@Suite("BlockArena")
struct BlockArenaTests {
    let g = BlockArena.granule

    @Test("a freed block serves smaller requests (split) and merges back to serve the whole size again")
    func splitAndMerge() {
        let arena = BlockArena()
        let whole = arena.allocate(capacity: 8 * g)
        arena.release(whole, capacity: 8 * g)
        let a = arena.allocate(capacity: 3 * g), b = arena.allocate(capacity: 5 * g)
        #expect(a == whole && b == whole + 3 * g, "halves of the freed block, in address order")
        #expect(arena.bytesHeld == 8 * g, "no new memory for the two halves")
        arena.release(a, capacity: 3 * g)
        arena.release(b, capacity: 5 * g)
        #expect(arena.allocate(capacity: 8 * g) == whole, "the halves merged back into one block")
        #expect(arena.bytesHeld == 8 * g)
        _ = arena.allocate(capacity: g)
        #expect(arena.bytesHeld == 9 * g, "nothing free: the top of the range")
    }

    @Test("best fit: the smallest free block that fits, and exact fits before splits")
    func bestFit() {
        let arena = BlockArena()
        // Live blocks between the freed ones keep them from merging.
        let big = arena.allocate(capacity: 6 * g)
        _ = arena.allocate(capacity: g)
        let small = arena.allocate(capacity: 2 * g)
        _ = arena.allocate(capacity: g)
        arena.release(big, capacity: 6 * g)
        arena.release(small, capacity: 2 * g)
        #expect(arena.allocate(capacity: 2 * g) == small)
        #expect(arena.allocate(capacity: g) == big, "the 6-granule block is split (the 2-granule one is taken)")
        #expect(arena.allocate(capacity: 5 * g) == big + g, "the rest of it fits exactly")
        #expect(arena.bytesHeld == 10 * g, "every request served from the two freed blocks")
    }

    @Test("a request no free block fits extends the free block at the top by the shortfall only")
    func extendsTop() {
        let arena = BlockArena()
        let low = arena.allocate(capacity: 2 * g), high = arena.allocate(capacity: 3 * g)
        arena.release(high, capacity: 3 * g)
        #expect(arena.allocate(capacity: 5 * g) == high, "the free top block, grown by 2 granules")
        #expect(arena.bytesHeld == 7 * g)
        arena.release(low, capacity: 2 * g)
        #expect(arena.allocate(capacity: 3 * g) == low + 7 * g, "a free block below the top that is too small stays")
        #expect(arena.allocate(capacity: 2 * g) == low)
        #expect(arena.bytesHeld == 10 * g)
    }

    @Test("past the reserved range, requests get their own segments, which merge only within themselves")
    func beyondTheRange() {
        let arena = BlockArena(reserving: 4 * g)
        let inRange = arena.allocate(capacity: 3 * g)
        let outside = arena.allocate(capacity: 3 * g)
        #expect(outside != inRange + 3 * g && arena.bytesHeld == 6 * g, "a segment of its own")
        #expect(arena.allocate(capacity: g) == inRange + 3 * g, "the range's last granule")
        arena.release(outside, capacity: 3 * g)
        #expect(arena.allocate(capacity: 2 * g) == outside, "the segment's block serves a smaller request")
        #expect(arena.bytesHeld == 7 * g, "the whole range and the segment")
    }

    @Test("blocks handed out never overlap, through a random sequence of allocations and releases")
    func noOverlap() {
        let arena = BlockArena()
        var random = TestRandom(seed: 31)
        var live: [(start: UInt, size: Int)] = []
        for _ in 0..<400 {
            if !live.isEmpty && random.uniform(0, 1) < 0.45 {
                let index = Int(random.next() % UInt64(live.count))
                let block = live.remove(at: index)
                arena.release(UnsafeMutableRawPointer(bitPattern: block.start)!, capacity: block.size)
            } else {
                let size = (1 + Int(random.next() % 8)) * g
                live.append((UInt(bitPattern: arena.allocate(capacity: size)), size))
            }
            let sorted = live.sorted { $0.start < $1.start }
            #expect(zip(sorted, sorted.dropFirst()).allSatisfy { $0.start + UInt($0.size) <= $1.start })
        }
    }

    @Test("without a reserved range (the system refused it, or none asked for) every request gets a segment")
    func withoutRange() {
        let arena = BlockArena(reserving: 0)
        let a = arena.allocate(capacity: 2 * g), b = arena.allocate(capacity: 3 * g)
        #expect(arena.bytesHeld == 5 * g && Int(bitPattern: a) % 64 == 0 && Int(bitPattern: b) % 64 == 0)
        arena.release(a, capacity: 2 * g)
        #expect(arena.allocate(capacity: g) == a, "a freed segment block serves a smaller request")
        #expect(arena.bytesHeld == 5 * g)
    }
}
