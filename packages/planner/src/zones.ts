/**
 * Availability Zone balance of an Auto Scaling group. Auto Scaling launches into the zone with the
 * fewest instances and, when AZRebalance runs, launches then terminates (without draining) until no
 * two zones differ by more than one instance. A run keeps the group balanced by choosing which
 * instances it removes: each next one from the zone with the most instances left.
 */

/** Instances per zone: every zone of the group (zero when empty), plus any zone a member is in. */
export const zoneCounts = (
  zones: ReadonlyArray<string>,
  members: ReadonlyArray<{ readonly availabilityZone: string }>,
): ReadonlyMap<string, number> => {
  const counts = new Map(zones.map((zone) => [zone, 0]))
  for (const member of members)
    counts.set(member.availabilityZone, (counts.get(member.availabilityZone) ?? 0) + 1)
  return counts
}

/** Balanced as AZRebalance sees it: no two zones differ by more than one instance. */
export const isBalanced = (counts: ReadonlyMap<string, number>): boolean => {
  const values = [...counts.values()]
  return values.length === 0 || Math.max(...values) - Math.min(...values) <= 1
}

/** A removal candidate: its zone and a cost to prefer cheaper removals within a zone (e.g. tasks to move). */
export interface RemovalCandidate {
  readonly instanceId: string
  readonly availabilityZone: string
  readonly cost: number
}

/**
 * The candidates in the order that keeps the zones most even as they are removed one by one: each
 * next one from the zone with the most instances left, the cheapest there, then by id. With
 * `evenCandidates`, a tie between zones goes to the one with the most candidates left first: a rollout
 * removes every old instance in the end while Auto Scaling refills the smallest zones, so the old
 * instances left must stay even too.
 */
export const balancedRemovalOrder = (
  counts: ReadonlyMap<string, number>,
  candidates: ReadonlyArray<RemovalCandidate>,
  evenCandidates: boolean,
): ReadonlyArray<string> => {
  const left = new Map(counts)
  const cheaper = (a: RemovalCandidate, b: RemovalCandidate): boolean =>
    a.cost < b.cost || (a.cost === b.cost && a.instanceId < b.instanceId)
  const queues = new Map<string, Array<RemovalCandidate>>()
  for (const candidate of candidates) {
    const queue = queues.get(candidate.availabilityZone)
    if (queue === undefined) queues.set(candidate.availabilityZone, [candidate])
    else queue.push(candidate)
  }
  for (const queue of queues.values()) queue.sort((a, b) => (cheaper(a, b) ? -1 : cheaper(b, a) ? 1 : 0))
  const order: Array<string> = []
  for (;;) {
    let zone: string | undefined
    let head: RemovalCandidate | undefined
    for (const [candidateZone, queue] of queues) {
      const first = queue[0]
      if (first === undefined) continue
      const byCount = (left.get(candidateZone) ?? 0) - (zone === undefined ? 0 : (left.get(zone) ?? 0))
      const byCandidates = evenCandidates
        ? queue.length - (zone === undefined ? 0 : (queues.get(zone)?.length ?? 0))
        : 0
      if (
        head === undefined ||
        byCount > 0 ||
        (byCount === 0 && (byCandidates > 0 || (byCandidates === 0 && cheaper(first, head))))
      ) {
        zone = candidateZone
        head = first
      }
    }
    if (zone === undefined || head === undefined) break
    queues.get(zone)?.shift()
    order.push(head.instanceId)
    left.set(zone, (left.get(zone) ?? 0) - 1)
  }
  return order
}
