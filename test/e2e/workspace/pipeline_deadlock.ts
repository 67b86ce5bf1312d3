// A two-stage pipeline on a 2 × 2 mesh that deadlocks: the stage-1 ranks wait to receive their
// activations from stage 0, but stage 0 forgets to send them. The e2e suite expects the report
// to name the waiting ranks (2 and 3) and this file's recv line.
import { simulation } from 'autodist';

export default simulation({
  name: 'pipeline that never sends, PP=2 × TP=2',
  mesh: { pp: 2, tp: 2 },
  program: async (rank) => {
    const stage = rank.coord('pp');
    const x = rank.zeros([2, 16, 64]); // [B, S, H]
    if (stage === 0) return; // BUG: stage 0 never sends x to stage 1
    const prev = rank.rank - rank.axisSize('tp'); // the pp-axis neighbour on stage 0
    await rank.comm.recv(x, prev); // [B, S, H] from stage 0: waits forever
  },
});
