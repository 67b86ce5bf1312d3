// A script that exports nothing by default.
// exit: 2
// message: does not export a simulation: it has no default export (it exports spec)
import { simulation, models } from 'autodist';
export const spec = simulation({ mesh: { tp: 2 }, model: models.ffn({ hidden: 16 }), input: { batch: 2, seq: 4 } });
