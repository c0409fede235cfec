import ChannelSupport
import Testing

/// A large frame parsed off the event loop holds back only the later frames of its own channel.
@Suite struct LaneQueueTests {
    @Test func anItemWithNothingHeldPassesAtOnce() {
        var queue = LaneQueue<Int, String>()
        #expect(queue.arrive("a", lane: 1) == "a")
        #expect(!queue.isHolding)
    }

    @Test func aHeldPlaceKeepsItsLanesOrderAndLetsOtherLanesOvertake() {
        var queue = LaneQueue<Int, String>()
        let large = queue.hold(lane: 1)
        #expect(queue.arrive("cancel", lane: 1) == nil)  // a cancellation stays behind its request
        #expect(queue.arrive("other", lane: 2) == "other")
        #expect(queue.isHolding)
        #expect(queue.finish(large, with: "request") == ["request", "cancel"])
        #expect(!queue.isHolding)
        #expect(queue.arrive("later", lane: 1) == "later")
    }

    @Test func placesFinishedOutOfOrderComeOutInOrder() {
        var queue = LaneQueue<Int, String>()
        let first = queue.hold(lane: 1)
        let second = queue.hold(lane: 1)
        #expect(queue.arrive("third", lane: 1) == nil)
        #expect(queue.finish(second, with: "second").isEmpty)
        #expect(queue.finish(first, with: "first") == ["first", "second", "third"])
        #expect(!queue.isHolding)
    }

    @Test func aPlaceThatComesToNothingReleasesItsLane() {
        var queue = LaneQueue<Int, String>()
        let first = queue.hold(lane: 1)
        let second = queue.hold(lane: 1)
        #expect(queue.arrive("after", lane: 1) == nil)
        #expect(queue.finish(first, with: nil).isEmpty)  // the second is still being prepared
        #expect(queue.finish(second, with: nil) == ["after"])
        #expect(!queue.isHolding)
    }

    @Test func finishingTwiceHandsNothingOn() {
        var queue = LaneQueue<Int, String>()
        let place = queue.hold(lane: 1)
        #expect(queue.finish(place, with: "once") == ["once"])
        #expect(queue.finish(place, with: "twice").isEmpty)
    }
}
