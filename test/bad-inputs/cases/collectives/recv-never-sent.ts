// A recv that no rank answers.
// exit: 2
// message: deadlock: 1 rank waits and none can proceed (rank 0 already finished)
// message: recv-never-sent.ts:10
// message: fix: every member of a group must call the same collectives
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    if (rank.rank === 1) await rank.comm.recv({ shape: [4] }, 0);
  },
});
