/**
 * The discrete-event queue: simulated happenings ordered by time, then by insertion order, so two
 * events due at the same millisecond always run in the order they were scheduled (determinism).
 * A binary heap keeps a 200-instance, multi-hour run at a few thousand cheap operations.
 */
export interface SimEvent {
  readonly at: number
  readonly seq: number
  readonly label: string
  readonly run: () => void
}

export class EventQueue {
  private readonly heap: Array<SimEvent> = []
  private nextSeq = 0

  get size(): number {
    return this.heap.length
  }

  push(at: number, label: string, run: () => void): void {
    const event: SimEvent = { at, seq: this.nextSeq++, label, run }
    const heap = this.heap
    let index = heap.length
    heap.push(event)
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = heap[parentIndex]
      if (parent === undefined || !before(event, parent)) break
      heap[index] = parent
      index = parentIndex
    }
    heap[index] = event
  }

  peek(): SimEvent | undefined {
    return this.heap[0]
  }

  pop(): SimEvent | undefined {
    const heap = this.heap
    const top = heap[0]
    const last = heap.pop()
    if (top === undefined || last === undefined || heap.length === 0) return top
    let index = 0
    for (;;) {
      const left = heap[2 * index + 1]
      const right = heap[2 * index + 2]
      let smallest = last
      let smallestIndex = index
      if (left !== undefined && before(left, smallest)) {
        smallest = left
        smallestIndex = 2 * index + 1
      }
      if (right !== undefined && before(right, smallest)) {
        smallest = right
        smallestIndex = 2 * index + 2
      }
      if (smallestIndex === index) break
      heap[index] = smallest
      index = smallestIndex
    }
    heap[index] = last
    return top
  }
}

const before = (a: SimEvent, b: SimEvent): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)
