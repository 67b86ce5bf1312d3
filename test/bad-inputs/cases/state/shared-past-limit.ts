// 5,000 ranks that all run the person's program (meta mode, folding off): past the 4,096 ranks
// that get their own copy of the script's modules, the rest share it, and the run says so at
// the line of the module-level state they share.
// exit: 0
// args: --meta
// message: 904 ranks (past the 4096 that each loaded their own copy of shared-past-limit.ts) share its module-level state
// message: shared-past-limit.ts:10
// message: fix: keep per-rank state inside the rank's program
import { simulation } from 'autodist';
let calls = 0;
export default simulation({
  mesh: { dp: 5000 },
  fold: false,
  async program(rank) {
    calls++;
    await rank.comm.allReduce(rank.ones([4]), { axis: 'dp' });
  },
});
