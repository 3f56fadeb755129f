import Testing
@testable import Tensors

/// The large-buffer arena behind `Storage`: best fit, split, merge, and memory freed by one size reused by another.
@Suite("BlockArena")
struct BlockArenaTests {
    let g = BlockArena.granule

    @Test("a freed block serves smaller requests (split) and merges back to serve the whole size again")
    func splitAndMerge() {
        var arena = BlockArena()
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
        #expect(arena.bytesHeld == 9 * g, "nothing free: a new segment")
    }

    @Test("best fit: the smallest free block that fits, and exact fits before splits")
    func bestFit() {
        var arena = BlockArena()
        let big = arena.allocate(capacity: 6 * g), small = arena.allocate(capacity: 2 * g)
        arena.release(big, capacity: 6 * g)
        arena.release(small, capacity: 2 * g)
        #expect(arena.allocate(capacity: 2 * g) == small)
        #expect(arena.allocate(capacity: g) == big, "the 6-granule block is split (the 2-granule one is taken)")
        #expect(arena.allocate(capacity: 5 * g) == big + g, "the rest of it fits exactly")
        #expect(arena.bytesHeld == 8 * g, "every request served from the two freed blocks")
    }

    @Test("blocks handed out never overlap, through a random sequence of allocations and releases")
    func noOverlap() {
        var arena = BlockArena()
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
}
