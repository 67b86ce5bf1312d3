// The plan's key "fc9" also appears quoted in this comment: the error is placed at the key.
// exit: 2
// message: fc9
// json-error: key-quoted-in-comment.ts:11
import { simulation, models } from 'autodist';
export default simulation({
  mesh: { tp: 2 },
  model: models.ffn({ hidden: 16 }),
  input: { batch: 2, seq: 4 },
  plan: {
    'fc9': 'colwise',
  },
});
