// process.kill(process.pid) would end the whole command: refused at the line.
// exit: 2
// message: rank 1 called process.kill(process.pid, "SIGKILL")
// message: process-kill.ts:9
import { simulation } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  async program(rank) {
    if (rank.rank === 1) process.kill(process.pid, 'SIGKILL');
    await rank.comm.allReduce(rank.ones([4]), { axis: 'tp' });
  },
});
