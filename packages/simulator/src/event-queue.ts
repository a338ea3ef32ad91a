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
    heap.push(event)
    let index = heap.length - 1
    while (index > 0) {
      const parent = (index - 1) >> 1
      if (!before(event, heap[parent]!)) break
      heap[index] = heap[parent]!
      index = parent
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
      const left = 2 * index + 1
      const right = left + 1
      let smallest = index
      let candidate = last
      if (left < heap.length && before(heap[left]!, candidate)) {
        smallest = left
        candidate = heap[left]!
      }
      if (right < heap.length && before(heap[right]!, candidate)) smallest = right
      if (smallest === index) break
      heap[index] = heap[smallest]!
      index = smallest
    }
    heap[index] = last
    return top
  }
}

const before = (a: SimEvent, b: SimEvent): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq)
