/** placeholder */
export const snapshotCommands = [] as const
