/**
 * Link classes between ranks and the alpha-beta time of one message.
 *
 * Ranks are placed on nodes in blocks: node(r) = ⌊r / gpusPerNode⌋. Two ranks on the
 * same node talk over NVLink; ranks on different nodes over the NIC (InfiniBand).
 * One message of S bytes over a link with latency α and bandwidth β takes
 *   t = α + S / β.
 */
import type { HardwarePreset } from './hardware.js';

export type LinkClass = 'nvlink' | 'nic';

/** How ranks map to nodes. */
export interface Topology {
  readonly gpusPerNode: number;
}

function checkGpusPerNode(gpusPerNode: number): void {
  if (!(Number.isInteger(gpusPerNode) && gpusPerNode >= 1)) {
    throw new RangeError(`gpusPerNode must be an integer >= 1, got ${gpusPerNode}.`);
  }
}

function checkRank(rank: number): void {
  if (!(Number.isInteger(rank) && rank >= 0)) {
    throw new RangeError(`rank must be an integer >= 0, got ${rank}.`);
  }
}

/** Node index of a global rank: ⌊rank / gpusPerNode⌋. */
export function nodeOf(rank: number, gpusPerNode: number): number {
  checkRank(rank);
  checkGpusPerNode(gpusPerNode);
  return Math.floor(rank / gpusPerNode);
}

/** 'nvlink' when `a` and `b` share a node, else 'nic'. */
export function linkBetween(a: number, b: number, gpusPerNode: number): LinkClass {
  return nodeOf(a, gpusPerNode) === nodeOf(b, gpusPerNode) ? 'nvlink' : 'nic';
}

/**
 * The slowest link a group uses: 'nic' if its ranks span more than one node, else
 * 'nvlink' (also for an empty or single-rank group).
 */
export function groupLinkClass(ranks: readonly number[], gpusPerNode: number): LinkClass {
  if (ranks.length === 0) {
    checkGpusPerNode(gpusPerNode);
    return 'nvlink';
  }
  const first = nodeOf(ranks[0]!, gpusPerNode);
  for (const r of ranks) if (nodeOf(r, gpusPerNode) !== first) return 'nic';
  return 'nvlink';
}

/** α (µs) and β (bytes/s) of a link class on `hw`: NVLink at the fraction NCCL reaches of it (`nvlinkEfficiency`). */
export function linkParams(hw: HardwarePreset, link: LinkClass): { alphaUs: number; bandwidth: number } {
  return link === 'nvlink'
    ? { alphaUs: hw.nvlinkLatencyUs, bandwidth: hw.nvlinkBandwidth * (hw.nvlinkEfficiency ?? 1) }
    : { alphaUs: hw.nicLatencyUs, bandwidth: hw.nicBandwidth };
}

/** Time of one point-to-point message, µs: α + S/β (0 bytes → α). */
export function p2pTimeUs(bytes: number, hw: HardwarePreset, link: LinkClass): number {
  if (!(Number.isFinite(bytes) && bytes >= 0)) {
    throw new RangeError(`bytes must be a finite number >= 0, got ${bytes}.`);
  }
  const { alphaUs, bandwidth } = linkParams(hw, link);
  return alphaUs + (bytes / bandwidth) * 1e6;
}
