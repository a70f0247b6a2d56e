// Defaults shared by several commands.

/**
 * Hosts in parallel. Sized for fleets: each host costs one SSH connection and
 * a few hundred KB here, and a no-op run is mostly waiting on the network.
 */
export const DEFAULT_FORKS = 50;
