import { initBackend } from '../src/runner/backend.js';
import { BENCHES } from '../bench/suite.js';
(async () => { await initBackend('wasm'); const b = BENCHES.find(b => b.id.startsWith('runner'))!; console.log((await b.run()).summary); })();
